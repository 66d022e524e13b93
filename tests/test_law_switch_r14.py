"""Round-14 review of named-law follow-ups (rag.law_names, rag.law_switch, rag.law_route, rag.dialogue): each test
failed on the code the review read (the reviewer's repro checks, moved here) and names the defect it pins. The index
tests read the session's ``four_laws_home`` (tests/conftest.py), not an index outside the checkout."""
import pytest

from rag.errors import QueryError
from rag.index import open_index
from rag.law_names import name_key
from rag.law_route import law_documents
from rag.law_switch import law_switch, swapped_question

LABOUR = "中华人民共和国劳动合同法"


def test_implementing_regulation_is_a_switch_from_its_law():  # resolve_title's earlier-cut fallback
    assert law_switch("那劳动合同法实施条例呢？", [LABOUR]) == "劳动合同法实施条例"
    assert law_switch("劳动合同法里有没有规定办法", [LABOUR]) == ""  # the conversation's law, then more words


def test_civil_code_name_is_not_cut_to_minfa():  # LAW_SUFFIX tried 法 before 法典
    assert law_switch("那民法典呢？", [LABOUR]) == "民法典"
    assert swapped_question("那民法典呢？", "民法典", "劳动合同法第十九条是什么", [LABOUR]) == "民法典第十九条是什么"


@pytest.mark.parametrize("q", ["劳动法和消费者权益保护法有什么区别", "劳动合同法与民法典的关系", "劳动合同法、劳动法"])
def test_two_laws_are_not_one_name_and_not_a_switch(q):  # read as 《劳动法和消费者权益保护法》 and refused
    assert law_switch(q, [LABOUR]) == ""


def test_and_inside_a_title_does_not_split_it():
    assert law_switch("那中华人民共和国消费者权益保护法呢", [LABOUR]) == "中华人民共和国消费者权益保护法"


@pytest.mark.parametrize("name", ["合同法", "人民法", "法典"])  # 民法 is the civil code's nickname since round 15's review
def test_a_word_inside_a_title_is_not_a_law_the_index_holds(four_laws_home, name):  # law_documents' substring fallback
    with pytest.raises(QueryError):
        law_documents(open_index(four_laws_home), name)


def test_a_name_the_index_holds_still_resolves(four_laws_home):
    ix = open_index(four_laws_home)
    for name, law in (("中华人民共和国劳动合同法", "劳动合同法"), ("劳动合同法", "劳动合同法"),
                      ("请问劳动合同法", "劳动合同法"), ("消费者权益保护法", "消费者权益保护法")):
        assert {name_key(ix.documents[d].title) for d in law_documents(ix, name)} == {law}


def test_the_gate_text_of_a_bare_swap_holds_no_conversation_law():  # dialogue: matter = previous (劳动合同法…)
    from rag.law_switch import without_laws
    assert without_laws("劳动合同法第十九条是什么", [LABOUR]) == "第十九条是什么"
    assert without_laws("用人单位不签书面劳动合同怎么办", [LABOUR]) == "用人单位不签书面劳动合同怎么办"



@pytest.mark.parametrize("law", ["婚姻家庭编解释一", "《婚姻家庭编解释一》", "民法典婚姻家庭编解释一"])
def test_a_law_filter_takes_the_short_names_questions_take(four_laws_home, law):  # rag ask --law 婚姻家庭编解释一
    from rag.filters import Filters, document_mask
    ix = open_index(four_laws_home)
    mask = document_mask(ix, Filters(law=law))
    titles = {ix.chunks[i].doc_id for i in range(len(ix.chunks)) if mask[i]}
    assert {ix.documents[d].title for d in titles} == {"最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）"}


def test_words_before_the_law_are_not_its_name():  # the swap read 我想问问消费者权益保护法第十九条是什么
    assert law_switch("我想问问消费者权益保护法呢？", [LABOUR]) == "消费者权益保护法"
    assert swapped_question("我想问问消费者权益保护法呢？", "消费者权益保护法", "劳动合同法第十九条是什么", [LABOUR]) \
        == "消费者权益保护法第十九条是什么"
