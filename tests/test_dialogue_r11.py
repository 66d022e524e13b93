"""Round 11 (issue 11, an acceptance run's defects): what a follow-up with a subject of its own, and one without,
needs. Every dialogue here was written for this test (not taken from any evaluation set).

- A question that names its own place — even one jieba does not know and splits from its suffix (样板/n 市/n) — stands
  alone: it is searched exactly as typed, with no context words (before: ``…（结合上文：…）``).
- A bare predicate (要由谁代理？) after a question that asked for its subject (谁是无民事行为能力人？) carries that
  question's predicate as its subject (before: searched as typed, answered from another article).
- ``X呢`` naming a new subject in a law conversation is not answered by the article just shown again, unless that
  article holds X (before: 经济补偿呢？ after 第四十条呢？ quoted 第四十条 again).
"""

from __future__ import annotations

import functools

import pytest

from rag.dialogue import Turn, resolve
from rag.mentions import places, pos_tags
from rag.topic import elided_subject, new_subject, topic_of

from .helpers import converse

# ------------------------------------------------------------------ the readings (no index)

@pytest.mark.parametrize("text, place", [
    ("样板市的政务服务中心在哪里", ["样板市"]),  # jieba: 样板/n 市/n
    ("示例县的防汛办公室电话是多少", ["示例县"]),  # 示例/n 县/zg
    ("杭州市有多少家企业", ["杭州市"]),  # a known place stays one word
    ("全市有多少家企业", []),  # 全市, 本市, 某县: no name of their own
    ("本市的最低工资是多少", []),
    ("制造业强市有哪些", []),  # an adjective before 市: a kind of city, not a name
])
def test_a_place_split_from_its_suffix_is_a_place(text, place):
    assert places(pos_tags(text)) == place


def test_a_question_naming_its_own_place_is_searched_as_typed():
    history = [Turn("试点县的应急管理局电话是多少", "试点县应急管理局的电话是 0571-1234。[1]")]
    rw = resolve("样板市的政务服务中心在哪里", history)
    assert rw.rule == "standalone" and rw.search_question == "样板市的政务服务中心在哪里"
    assert rw.context == ""  # no （结合上文：…）: the question stands alone
    # a cue-less follow-up with no topic of its own still gets the context words (round 4)
    assert resolve("电话是几点到几点接听", history).context


@pytest.mark.parametrize("prev, topic", [
    ("谁是无民事行为能力人", "无民事行为能力人"),
    ("什么人可以担任监护人", "担任监护人"),  # the noun the question word asks for (人) is not the topic
    ("哪些单位可以申请补贴", "申请补贴"),
    ("公司泄露了我的个人信息要通知谁", "公司泄露了我的个人信息"),  # question word at the end: as before
    ("是否需要登记", ""),  # no noun: nothing to carry
])
def test_the_topic_of_a_question_that_asks_for_its_subject_is_its_predicate(prev, topic):
    assert topic_of(prev) == topic


def test_a_bare_predicate_carries_the_previous_questions_subject():
    assert elided_subject("要由谁代理", "谁是无民事行为能力人") == "无民事行为能力人要由谁代理"
    assert elided_subject("需要登记吗", "什么人可以担任监护人") == "担任监护人需要登记吗"
    assert elided_subject("杭州要交税吗", "谁可以担任监护人") == ""  # a place of its own: it stands alone
    rw = resolve("要由谁代理？", [Turn("谁是无民事行为能力人？", "《中华人民共和国民法典》第二十条 不满八周岁的未成年人为"
                                                        "无民事行为能力人，由其法定代理人代理实施民事法律行为。[1]")])
    assert rw.rule == "elided" and rw.search_question == "无民事行为能力人要由谁代理"


@pytest.mark.parametrize("slot, previous, subject", [
    ("经济补偿", "劳动合同法第四十条规定了什么", "经济补偿"),
    ("第四十一条", "劳动合同法第四十条规定了什么", ""),  # an article number takes the number's place
    ("一周", "一天最多干几个钟头", ""),  # a quantity
    ("劳动合同法", "劳动合同法第四十条规定了什么", ""),  # already the subject
])
def test_a_new_subject_of_an_ellipsis(slot, previous, subject):
    assert new_subject(slot, previous) == subject


# ------------------------------------------------------------------ real dialogues

@pytest.fixture(scope="module")
def law_ask(law_home, embedder):
    from rag.qa import Searcher

    return functools.partial(Searcher(law_home, embedder=embedder).ask, k=5, mode="hybrid")


_converse = converse  # tests/helpers.py


def test_a_new_subject_in_the_same_law_does_not_requote_the_article_just_shown(law_ask):
    _, second, third = _converse(law_ask, ["劳动合同法第四十条规定了什么？", "第四十一条呢？", "经济补偿呢？"])
    assert second.citations and second.citations[0].label == "《中华人民共和国劳动合同法》第四十一条"
    shown = second.citations[0].label
    # answered with an article on 经济补偿, or refused — never 第四十一条 again (it does not name 经济补偿)
    assert not third.answerable or (third.citations[0].label != shown and "经济补偿" in third.citations[0].quote), \
        third.answer
    assert "经济补偿" in third.search_question


def test_a_bare_predicate_in_a_law_conversation_is_read_with_the_previous_subject(law_ask):
    first, follow = _converse(law_ask, ["谁是无民事行为能力人？", "要由谁代理？"])
    assert first.answerable and first.citations[0].label
    assert follow.search_question.startswith("无民事行为能力人")
    assert follow.answerable and any("法定代理人代理" in c.quote for c in follow.citations), follow.answer


def test_a_standalone_question_after_another_is_answered_as_alone(tmp_path, embedder):
    from rag.qa import Searcher
    from rag.update import update_index

    src = tmp_path / "src"
    src.mkdir()
    (src / "a.md").write_text("# 值班安排\n\n试点县应急管理局的值班电话是 0571-1234，全天有人接听。\n", encoding="utf-8")
    (src / "b.md").write_text("# 办事指南\n\n样板市的政务服务中心位于人民路 88 号，工作日上午九点开门。\n", encoding="utf-8")
    home = tmp_path / "home"
    update_index([src], home=home, progress=False, embedder=embedder)
    ask = functools.partial(Searcher(home, embedder=embedder).ask, k=5, mode="hybrid")
    _, follow = _converse(ask, ["试点县应急管理局的值班电话是多少？", "样板市的政务服务中心在哪里？"])
    alone = ask("样板市的政务服务中心在哪里？")
    assert follow.search_question == "样板市的政务服务中心在哪里？"  # exactly as typed: no （结合上文：…）
    assert follow.answerable and "人民路 88 号" in follow.answer
    assert follow.answer == alone.answer
