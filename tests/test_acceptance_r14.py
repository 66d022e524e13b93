"""Answer defects known from the round-13 acceptance run (issues 10/11), each pinned by a test that failed before
its fix, on a real index of shipped laws (real FAISS/BM25, the real e5 embedder):

- a follow-up that names another law (那消费者权益保护法呢？ after a labour question) stayed on the labour article: it
  is now searched within the law it names (:mod:`rag.law_switch`);
- under a law filter that leaves nothing on the matter (试用期 under 消费者权益保护法) an unrelated article was quoted:
  an answer under a restriction now stands only when its passage is among the question's top results over the whole
  index (:mod:`rag.restricted`), and the right law's answer is kept;
- articles of a judicial interpretation with a nested title (婚姻家庭编的解释（一）第三条) could not be looked up by
  number: names of such laws now come from :mod:`rag.law_names`.
"""

from __future__ import annotations

import functools

import pytest

from rag.dialogue import Turn, ask_in_context
from rag.filters import Filters
from rag.index import open_index
from rag.qa import ask
from rag.restricted import RESTRICTED_REFUSAL

INTERPRETATION = "最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）"
LABOUR = "中华人民共和国劳动合同法"
CONSUMER = "中华人民共和国消费者权益保护法"


@pytest.fixture(scope="module")
def law_ask(four_laws_home, embedder):
    """The labour contract law, the labour law, the consumer law and the first 婚姻家庭编 interpretation
    (tests/conftest.py: ``four_laws_home``)."""
    return functools.partial(ask, open_index(four_laws_home), embedder=embedder)


@pytest.mark.parametrize("question", ["婚姻家庭编的解释（一）第三条是什么", "民法典婚姻家庭编解释一第三条",
                                      f"{INTERPRETATION}第三条是什么", f"《{INTERPRETATION}》第三条"])
def test_an_article_of_a_nested_title_interpretation_is_looked_up(law_ask, question):
    ans = law_ask(question)
    assert ans.answerable and ans.citations[0].label == f"《{INTERPRETATION}》第三条", ans.answer[:80]


def test_an_article_the_interpretation_lacks_is_reported_missing(law_ask):
    ans = law_ask("婚姻家庭编的解释（一）第二百条是什么")
    assert not ans.answerable and "第二百条" in ans.answer and INTERPRETATION in ans.answer


def test_a_followup_naming_another_law_asks_that_law_the_same_article(law_ask):
    first = law_ask("劳动合同法第十九条是什么")
    assert first.citations[0].label == f"《{LABOUR}》第十九条"
    history = [Turn("劳动合同法第十九条是什么", first.answer, "劳动合同法第十九条是什么")]
    ans = ask_in_context(law_ask, "那消费者权益保护法呢？", history)
    assert ans.answerable and ans.citations[0].label == f"《{CONSUMER}》第十九条", (ans.search_question, ans.answer)
    assert ans.search_question == "消费者权益保护法第十九条是什么"


def test_a_followup_naming_another_law_is_not_answered_from_the_conversation_law(law_ask):
    first = law_ask("用人单位不签书面劳动合同怎么办")
    assert first.answerable and "劳动" in first.citations[0].label
    history = [Turn("用人单位不签书面劳动合同怎么办", first.answer, "用人单位不签书面劳动合同怎么办")]
    ans = ask_in_context(law_ask, "那消费者权益保护法呢？", history)
    # the consumer law says nothing on labour contracts: a refusal, not the labour article again
    assert not any("劳动" in c.label for c in ans.citations), (ans.search_question, ans.answer)
    assert not ans.answerable, ans.answer


def test_a_filter_to_an_unrelated_law_is_refused_and_the_right_law_answers(law_ask):
    wrong = law_ask("试用期最长多久", filters=Filters(law="消费者权益保护法"))  # answered with its 第二十三条 before
    assert not wrong.answerable and wrong.answer == RESTRICTED_REFUSAL, wrong.answer[:80]
    assert wrong.suggestions  # what the filter left is still offered
    right = law_ask("试用期最长多久", filters=Filters(law="劳动合同法"))
    assert right.answerable and right.citations[0].label == f"《{LABOUR}》第十九条", right.answer[:80]
    off = law_ask("试用期最长多久", filters=Filters(law="消费者权益保护法"), restricted_depth=0)
    assert off.answerable  # the gate, not the answer models, refuses it


def test_a_type_filter_is_held_to_the_same_gate(law_ask):
    # this index holds 4 laws (359 passages): 30 places are a twelfth of it, so the gate is shown at 10 places here
    # (on corpus/ the default refuses this question under 司法解释, as the README's example shows)
    f = Filters(types=("司法解释",))
    assert law_ask("试用期最长多久", filters=f, restricted_depth=0).answerable  # the interpretation's 第五十三条
    ans = law_ask("试用期最长多久", filters=f, restricted_depth=10)
    assert not ans.answerable and ans.answer == RESTRICTED_REFUSAL, ans.answer[:80]


@pytest.mark.parametrize("question", ["那刑法呢？", "有什么办法吗", "婚姻家庭编解释一里呢"])
def test_a_followup_naming_a_law_the_index_lacks_or_no_law_is_answered_as_before(law_ask, question):
    # a span that ends like a law's name but names no law of this index (刑法, 办法) goes the ordinary way (it raised
    # a NameError in law_documents once); a law named by its interpretation's short form is searched in it
    history = [Turn("劳动合同法第十九条是什么", f"《{LABOUR}》第十九条 劳动合同期限三个月以上不满一年的，试用期不得超过一个月。[1]",
                    "劳动合同法第十九条是什么")]
    ans = ask_in_context(law_ask, question, history)
    assert ans.question
    if "解释" in question:
        assert not ans.answerable or all(INTERPRETATION in c.label for c in ans.citations), ans.answer[:80]


def test_a_refused_switch_names_the_law_by_its_title_not_as_typed(law_ask):  # 《我想问问消费者权益保护法》 once
    history = [Turn("用人单位不签书面劳动合同怎么办", law_ask("用人单位不签书面劳动合同怎么办").answer, "用人单位不签书面劳动合同怎么办")]
    ans = ask_in_context(law_ask, "我想问问消费者权益保护法呢？", history)
    assert not ans.answerable and ans.answer == f"资料中没有找到《{CONSUMER}》中与该问题直接相关的规定。", ans.answer
