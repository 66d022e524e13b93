"""Off-topic place check on statute answers (rag.statute_gate): news questions landing on a law are refused,
law questions are not touched."""

from __future__ import annotations

import pytest

import rag.answer
from rag.qa import ask
from rag.records import Answer, Citation
from rag.statute_gate import off_topic_place

ARTICLE = Citation(n=1, doc_id="d", title="中华人民共和国民法典", section="", chunk_id="c", start=0, end=30,
                   quote="第八百一十二条 承运人应当按照约定的或者通常的运输路线将旅客、货物运输到约定地点。",
                   text="第八百一十二条 承运人应当按照约定的或者通常的运输路线将旅客、货物运输到约定地点。", score=1.0)
LOCAL = Citation(n=1, doc_id="e", title="上海市物业管理条例", section="", chunk_id="e1", start=0, end=20,
                 quote="第一条 为了规范物业管理活动，制定本条例。", text="第一条 为了规范物业管理活动，制定本条例。", score=1.0)


def _answer(c: Citation) -> Answer:
    return Answer("q", c.quote + "[1]", True, [c])


@pytest.mark.parametrize("question", ["苏州搞AI走的是啥路线，听说比较实在？", "外地的研究所到上海设点，主要研究些什么？",
                                      "杭州市的交通路线怎么规划？"])
def test_a_place_the_law_never_names_drops_the_answer(question):
    v = off_topic_place(question, _answer(ARTICLE))
    assert v is not None and v.kind == "place"


@pytest.mark.parametrize("question, cit", [
    ("在上海离婚，孩子归谁？", ARTICLE),                          # a legal word: a law question wherever it is asked
    ("苏州的货运公司不按约定路线运输，要赔偿吗？", ARTICLE),
    ("金融借款合同纠纷是否适用新民间借贷司法解释？", ARTICLE),     # 新民 inside 新民间 is not a place
    ("上海的小区物业怎么管？", LOCAL),                             # the law's title names the place
    ("承运人该走哪条路线？", ARTICLE),                             # no place at all
])
def test_law_questions_keep_their_answer(question, cit):
    assert off_topic_place(question, _answer(cit)) is None


def test_refusals_are_left_alone():
    assert off_topic_place("苏州搞AI走的是啥路线？", Answer("q", "资料中没有找到…", False, [])) is None


def test_ask_refuses_a_news_question_that_lands_on_a_law(law_home, embedder, monkeypatch):
    """On an index of laws alone a question about a city's AI plans gets a law article from the statute answerer;
    with the check it is refused (and the same question without the check is answered, so the test can fail)."""
    from rag.index import open_index

    index = open_index(law_home, embedder=embedder)
    question = "杭州的创业公司一般招多少个人？"
    gated = ask(index, question, embedder=embedder)
    monkeypatch.setattr(rag.answer, "off_topic_place", lambda q, a: None)
    ungated = ask(index, question, embedder=embedder)
    assert ungated.answerable and ungated.citations[0].label, "the statute answerer no longer answers it: pick another"
    assert not gated.answerable and gated.suggestions
    law_q = "公司不跟我签书面劳动合同，我能要求双倍工资吗？"
    monkeypatch.undo()
    a = ask(index, law_q, embedder=embedder)
    monkeypatch.setattr(rag.answer, "off_topic_place", lambda q, a: None)
    b = ask(index, law_q, embedder=embedder)
    assert a.answer == b.answer
