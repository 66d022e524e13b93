"""Conversation defects from the round-13 acceptance walk (issue 11: conversations about laws and articles), each
pinned by a test that failed before its fix, on a real index (``law_home``: real FAISS/BM25, the real e5 embedder).

- An article named by number alone after an answer that quoted a law (那第十九条呢？ after 《劳动合同法》第八十二条;
  它的第三条呢？ after 《个人信息保护法》第一条) was searched as ``第十九条的<previous question>`` and answered with
  another article (劳动合同法第三十八条; 个人信息保护法第一条 again): now it is that article of the law the last
  answer quoted (:func:`rag.lookup.article_in_law`); under a law filter, that article of the filtered law.
- Under a law filter, 那第二十条呢 after 劳动合同法第十九条 was answered from the filtered law but shown as searched
  “劳动合同法第二十条是什么”: the search shown now names the filtered law.
"""

from __future__ import annotations

import functools

import pytest

from rag.dialogue import Turn, ask_in_context
from rag.filters import Filters
from rag.index import open_index
from rag.lookup import article_in_law
from rag.qa import ask

LABOUR = "中华人民共和国劳动合同法"
CIVIL = "中华人民共和国民法典"
#: a situation question answered with an article that names no article number in the question
SITUATION = Turn("用人单位不签书面劳动合同怎么办",
                 f"《{LABOUR}》第八十二条 用人单位自用工之日起超过一个月不满一年未与劳动者订立书面劳动合同的，"
                 "应当向劳动者每月支付二倍的工资。[1]")


@pytest.fixture(scope="module")
def law_ask(law_home, embedder):
    return functools.partial(ask, open_index(law_home), embedder=embedder)


@pytest.mark.parametrize("question", ["那第十九条呢？", "第十九条呢", "那它的第十九条呢"])
def test_an_article_named_alone_is_that_article_of_the_law_just_quoted(law_ask, question):
    ans = ask_in_context(law_ask, question, [SITUATION])
    assert ans.answerable and ans.citations[0].label == f"《{LABOUR}》第十九条", (ans.search_question, ans.answer)
    assert ans.search_question == f"《{LABOUR}》第十九条规定了什么"


def test_an_article_named_alone_after_a_civil_code_answer(law_ask):
    history = [Turn("民法典里成年人是多大", f"《{CIVIL}》第十七条 十八周岁以上的自然人为成年人。[1]")]
    ans = ask_in_context(law_ask, "那第十八条呢", history)
    assert ans.answerable and ans.citations[0].label == f"《{CIVIL}》第十八条", ans.search_question


def test_an_article_the_law_lacks_is_reported_missing_not_replaced(law_ask):
    ans = ask_in_context(law_ask, "第九百条呢？", [SITUATION])
    assert not ans.answerable and "第九百条" in ans.answer and LABOUR in ans.answer


def test_a_named_law_and_the_rule_built_rewrite_stay(law_ask):
    history = [Turn("劳动合同法第三十七条规定了什么？", f"《{LABOUR}》第三十七条 劳动者提前三十日以书面形式通知用人单位，"
                    "可以解除劳动合同。[1]", "劳动合同法第三十七条规定了什么？")]
    ans = ask_in_context(law_ask, "第三十八条呢？", history)
    assert ans.search_question == "劳动合同法第三十八条规定了什么"
    assert ans.citations[0].label == f"《{LABOUR}》第三十八条"
    ans = ask_in_context(law_ask, "民法典第十八条呢", [SITUATION])  # the question names its own law
    assert ans.citations[0].label == f"《{CIVIL}》第十八条"


def test_under_a_law_filter_the_filter_chooses_the_law(law_ask):
    ans = ask_in_context(law_ask, "那第十八条呢", [SITUATION], filters=Filters(law="民法典"))
    assert ans.search_question == "《民法典》第十八条规定了什么"
    assert ans.citations[0].label == f"《{CIVIL}》第十八条", [c.label for c in ans.citations]


def test_under_a_law_filter_the_shown_search_names_the_filtered_law_not_the_conversation_law(law_ask):
    # the UI walk: 劳动合同法第十九条 asked, then the law filter set to 民法典 and 那第二十条呢 asked: the answer was
    # 民法典第二十条 (the filter held) but the search shown was “劳动合同法第二十条是什么”
    history = [Turn("劳动合同法第十九条是什么", f"《{LABOUR}》第十九条 劳动合同期限三个月以上不满一年的，试用期不得超过一个月。[1]",
                    "劳动合同法第十九条是什么")]
    ans = ask_in_context(law_ask, "那第二十条呢", history, filters=Filters(law="民法典"))
    assert ans.citations[0].label == f"《{CIVIL}》第二十条"
    assert "劳动合同法" not in ans.search_question and "民法典" in ans.search_question, ans.search_question
    ans = ask_in_context(law_ask, "那第二十条呢", history, filters=Filters(types=("法律",)))  # not a law filter
    assert ans.citations[0].label == f"《{LABOUR}》第二十条", ans.search_question


def test_article_in_law_wording():
    assert article_in_law("那第十九条呢？", "第十九条的用人单位不签书面劳动合同怎么办", LABOUR) == f"《{LABOUR}》第十九条规定了什么"
    assert article_in_law("第19条说的试用期多久", "", LABOUR) == f"《{LABOUR}》第19条说的试用期多久"
    assert article_in_law("劳动合同法第十九条呢", "", LABOUR) == ""
    assert article_in_law("《民法典》第十九条呢", "", LABOUR) == ""
    assert article_in_law("试用期呢", "试用期的…", LABOUR) == ""
    assert article_in_law("那第十九条呢", "", "") == ""
    nested = "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）"
    assert article_in_law("第五条呢", "", nested) == f"{nested}第五条规定了什么"


def test_an_article_named_by_number_alone_asks_which_law(law_ask):
    """第十九条是什么？ with no law in the question or the conversation, over an index where several laws have a
    第十九条: a refusal that asks which law is meant, instead of a guess from a passage that mentions 第十九章; a law
    named in the question (or a law filter) still gets its article."""
    for q in ("第十九条是什么？", "那第十九条呢", "第19条呢"):
        ans = law_ask(q)
        assert not ans.answerable and not ans.citations, q
        assert ans.answer.startswith("资料中没有找到问题所指的法律") and "请写明是哪部法律" in ans.answer, ans.answer
    named = law_ask("劳动合同法第十九条是什么")
    assert named.answerable and named.citations[0].label == f"《{LABOUR}》第十九条"
