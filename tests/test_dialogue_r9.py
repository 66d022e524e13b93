"""Round 9 (issue 11): follow-up readings that follow from the structure of the conversation.

Every dialogue here was written for this test (none is from an evaluation set). Each case failed before the
round-9 change and passes after it, except the guards (a reading that must not change: a noun subject kept,
which-city not read as a city, 谁 as the agent); they run on the rewriter alone (no index), in well under a second.
"""

from __future__ import annotations

import pytest

from rag.dialogue import Turn, resolve
from rag.followup import focus_words
from rag.topic import scope


def test_scope_reads_the_set_the_previous_question_asked_for():
    # 其中 after “哪几家企业”: among those companies, not among “2023年”
    rw = resolve("其中位于苏州的是哪家？", [Turn("2023年获评国家级智能制造示范工厂的有哪几家企业？", "共有12家企业获评[1]")])
    assert rw.rule == "scope"
    assert rw.search_question == "2023年获评国家级智能制造示范工厂的企业中位于苏州的是哪家"


def test_scope_without_a_named_set_is_left_as_typed():
    # “比前年多了多少家” names no set (its subject is no noun): 其中 is not glued to “前年多”
    history = [Turn("去年常州新增了多少家机器人企业？", "新增86家[1]"), Turn("比前年多了多少家？", "多出20家[1]")]
    rw = resolve("其中规模最大的是哪家？", history)
    assert "前年多中" not in rw.search_question
    assert scope("其中规模最大的是哪家", "比前年多了多少家") == ""


def test_scope_keeps_a_noun_subject():
    assert scope("其中软件企业有多少家", "2022年南京市信息技术企业达到多少家") == "2022年南京市信息技术企业中软件企业有多少家"


def test_same_day_is_the_previous_answers_day():
    rw = resolve("同一天芜湖举办了什么活动？", [Turn("合肥那次签约仪式是哪天办的？", "3月15日,合肥市政府与多家企业举行集中签约仪式[1]")])
    assert rw.search_question == "3月15日芜湖举办了什么活动"


def test_this_money_is_the_fund_named_even_after_an_english_question():
    history = [Turn("What does the Binjiang fund invest in?", "滨江区设立5亿元产业引导基金,重点投向集成电路[1]")]
    rw = resolve("这笔钱由谁来管？", history)
    assert rw.search_question.startswith("产业引导基金") and "What" not in rw.search_question


def test_an_english_question_gives_no_topic_word():
    history = [Turn("How large is the new park?", "园区规划面积3平方公里[1]")]
    assert not resolve("这个结论是谁提出的？", history).search_question.startswith("How")


@pytest.mark.parametrize("question, history, place", [
    ("它想建成一座什么样的城市？", [Turn("无锡靠什么产业起家？", "无锡以物联网产业起家[1]")], "无锡"),
    ("它要成为一座什么样的城市？", [Turn("宁波的发展路子是什么？", "“数字港航”是宁波选择的路线[1]")], "宁波"),  # not 数字港航
])
def test_it_said_to_be_a_city_is_the_place(question, history, place):
    rw = resolve(question, history)
    assert rw.rule == "it" and rw.antecedent == place


def test_it_asked_which_city_is_not_read_as_a_city():
    # 它是在哪座城市…: 城市 is what is asked, not what 它 is (a guard: this reading must not change)
    from rag.rewrite_rules import _IT_IS_PLACE

    assert _IT_IS_PLACE.search("它想建成一座什么样的城市")
    assert not _IT_IS_PLACE.search("它是在哪座城市诞生的")
    assert not _IT_IS_PLACE.search("它让哪个城市成了焦点")


def test_words_pointing_back_into_the_conversation_are_not_focus_words():
    assert focus_words("刚才那位市长叫什么名字来着", "") == ["市长"]
    assert focus_words("是不是同一个月开的会", "") == []


def test_far_demonstratives_refer_back_like_near_ones():
    # 那次/那项/那份 point back like 这次: the phrase ending in the noun in the earlier turns
    history = [Turn("2022年那次普查，嘉兴排第几？", "2022年,省统计局在嘉兴开展数字经济专项普查后发布排名,嘉兴位列第三[1]"),
               Turn("湖州呢？", "资料中没有找到与该问题直接相关的内容。")]
    rw = resolve("那次普查是谁组织的？", history)
    assert rw.rule == "demonstrative" and rw.search_question.endswith("专项普查是谁组织的")


def _answer(quote: str):
    from rag.records import Answer, Citation

    cit = Citation(n=1, doc_id="d", title="t", section="", chunk_id="d-0", start=0, end=len(quote), quote=quote,
                   text=quote, score=1.0, quote_start=0, quote_end=len(quote))
    return Answer(question="q", answer=quote + "[1]", answerable=True, citations=[cit], confidence=0.9)


@pytest.mark.parametrize("question, quote, kept", [
    # 谁 as the beneficiary: what it serves answers it
    ("这些数据中心分别是给谁用的", "这些数据中心各有分工:有的服务科研,有的面向工业场景推理。", True),
    # 谁 as the agent still needs a person or a body
    ("这些数据中心是谁建的", "这些数据中心各有分工:有的服务科研,有的面向工业场景推理。", False),
    ("这些数据中心分别是给谁用的", "这些数据中心的总投资超过百亿元。", False),
])
def test_who_as_beneficiary(question, quote, kept):
    from rag.followup import check_answer_type

    assert check_answer_type(_answer(quote), question).answerable is kept


def test_this_ratio_is_the_rate_named():
    # 这个比例 → the rate the earlier turn named (出口退税率), not a bare 比例 with a place in front
    rw = resolve("这个比例是从什么时候开始的？", [Turn("宁波外贸企业的出口退税率提高了多少？", "宁波出口退税率提高至13%[1]")])
    assert rw.rule == "demonstrative" and "出口退税率" in rw.search_question and "宁波比例" not in rw.search_question
