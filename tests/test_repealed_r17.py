"""Round 17: 民法通则 and 民法总则, which 民法典第一千二百六十条 repeals, named in a question or a follow-up (README "Limits":
each test marked *old* failed on round 16's code, checked), on the real index of tests/test_repealed_r16.py (real
FAISS/BM25, the real e5 embedder).

Round 16 read 民法 in 民法通则 as the abbreviation of 民法典 (rag.law_names.ALIASES) wherever a name was cut at its last
法: a follow-up 那民法通则呢？ was searched in 民法典 without the note, 根据民法通则，… was a question about a held law,
and 民法通则第一百三十五条 was answered with 民法典第一百三十五条 (another law's article of that number).
"""

from __future__ import annotations

import pytest

from rag.dialogue import Turn, ask_in_context
from rag.law_names import law_name_in, named_law_candidate
from rag.repealed import note_for

from .test_repealed_r16 import ARTICLE_19, CODE, home, law_ask  # noqa: F401 (module fixtures)

GENERAL = {"民法通则": "中华人民共和国民法通则", "民法总则": "中华人民共和国民法总则"}


def _says_repealed(ans, named: str) -> None:
    assert ans.superseded is not None, (ans.answer, ans.refusal_reason)
    assert ans.superseded.to_dict() == {"named": named, "title": GENERAL[named], "by": CODE, "since": "2021-01-01"}
    assert all(c.title == CODE for c in ans.citations), [c.title for c in ans.citations]


# ------------------------------------------------------------------ names (old)

def test_an_abbreviation_followed_by_tongze_or_zongze_is_a_title_of_its_own():
    assert named_law_candidate("那民法通则呢？") == ["那民法通则"]
    assert named_law_candidate("根据民法总则，诉讼时效多久") == ["根据民法总则"]
    assert law_name_in("那民法通则呢") == "民法通则" and law_name_in("民法总则第九条") == "民法总则"


def test_the_code_and_its_parts_are_named_as_before():  # guards: pass on old code too
    assert named_law_candidate("民法典总则里呢") == ["民法典"] and named_law_candidate("民法上怎么说") == ["民法"]
    assert law_name_in("那民法呢") == "民法" and law_name_in("那消法呢") == "消法"


# ------------------------------------------------------------------ a follow-up (old)

@pytest.mark.parametrize("question,named", [("那民法通则呢？", "民法通则"), ("那民法总则里怎么规定？", "民法总则"),
                                            ("民法通则里诉讼时效是多久", "民法通则")])
def test_a_followup_naming_the_general_principles_says_the_code_replaced_them(law_ask, question, named):
    history = [Turn("劳动合同法第十九条是什么", ARTICLE_19, "劳动合同法第十九条是什么")]
    ans = ask_in_context(law_ask, question, history)
    assert ans.refusal_reason != "law_not_in_index"
    _says_repealed(ans, named)


def test_a_followup_naming_the_code_itself_has_no_note(law_ask):  # guard: passes on old code too
    history = [Turn("劳动合同法第十九条是什么", ARTICLE_19, "劳动合同法第十九条是什么")]
    for question in ("那民法呢？", "那民法典总则里呢？"):
        assert ask_in_context(law_ask, question, history).superseded is None, question


# ------------------------------------------------------------------ a first question (old)

def test_a_first_question_placed_in_the_general_principles_says_so(law_ask):
    _says_repealed(law_ask("根据民法通则，诉讼时效多久"), "民法通则")


def test_an_article_of_the_general_principles_is_not_the_codes_article_of_that_number(law_ask):
    ans = law_ask("民法通则第一百三十五条是什么")
    assert not ans.answerable and ans.refusal_reason == "law_not_in_index" and not ans.citations, ans.answer
    assert ans.superseded.named == "民法通则" and ans.superseded.by == CODE and "条文编号不同" in ans.answer


# ------------------------------------------------------------------ the surfaces (old): /v1 and /api/ask follow-ups

def test_v1_and_api_ask_followups_say_the_general_principles_were_repealed(home):  # noqa: F811
    import httpx

    from .test_http import _app, _serving

    turns = [{"role": "user", "content": "劳动合同法第十九条是什么"}, {"role": "assistant", "content": ARTICLE_19}]
    with _serving(_app(home)) as url, httpx.Client(base_url=url, timeout=60) as c:
        r = c.post("/v1/chat/completions", json={"model": "rag-zh-extractive",
                                                 "messages": turns + [{"role": "user", "content": "那民法通则呢？"}]})
        assert r.status_code == 200, r.text
        content, rag = r.json()["choices"][0]["message"]["content"], r.json()["rag"]
        assert rag["superseded"]["named"] == "民法通则" and rag["superseded"]["by"] == CODE, rag
        assert content == f"{note_for(rag)}\n{rag['answer']}" and content.startswith("《民法通则》已于2021年1月1日废止")
        r = c.post("/api/ask", json={"question": "那民法总则呢？", "history": turns})
        assert r.status_code == 200 and r.json()["superseded"]["named"] == "民法总则", r.text
