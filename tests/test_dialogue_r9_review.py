"""Review of the round-9 follow-up rules: standalone questions pass through, hostile input stays fast.

Every question here was written for this test (none is from an evaluation set). They run on the rewriter
alone (no index), in about a second.
"""

from __future__ import annotations

import pytest

from rag.dialogue import Turn, resolve
from rag.mentions import pos_tags

_DATED = [Turn("合肥那次签约仪式是哪天办的？", "3月15日,合肥市政府与多家企业举行集中签约仪式[1]")]


@pytest.mark.parametrize("question", [
    "劳动者在入职当天受伤算工伤吗？",  # the day of an event the question names (a verb before it)
    "离职那天公司要结清工资吗？",
    "公司与员工签合同的同一天能否约定试用期？",  # 的 before it
    "申请人提交材料的当天能拿到结果吗？",
    "当天气炎热时用人单位要发高温津贴吗？",  # 当 + 天气: no 当天 at all
    "那天然气价格涨了多少？",  # 那 + 天然气
])
def test_a_day_the_question_names_itself_is_left_as_typed(question):
    rw = resolve(question, _DATED)
    assert rw.rule != "that-year" and "3月15日" not in rw.search_question


@pytest.mark.parametrize("question, searched", [
    ("同一天芜湖举办了什么活动？", "3月15日芜湖举办了什么活动"),
    ("浙江省长那天开了什么会？", "浙江省长3月15日开了什么会"),
    ("常州当天办了什么活动？", "常州3月15日办了什么活动"),
])
def test_a_day_pointing_back_is_still_the_previous_answers_day(question, searched):
    assert resolve(question, _DATED).search_question == searched


def test_english_question_check_is_linear_on_a_long_run_of_letters():
    import time

    from rag.rewrite_rules import _LATIN

    t = time.perf_counter()
    assert _LATIN.search("a" * 50_000) is None  # was quadratic: minutes on 50,000 letters
    assert time.perf_counter() - t < 0.5
    assert _LATIN.search("What does the Binjiang fund invest in?") and not _LATIN.search("What的AI")


def test_city_as_a_modifier_is_not_it_being_a_city():
    from rag.rewrite_rules import _IT_IS_PLACE

    assert not _IT_IS_PLACE.search("它是城市更新项目吗") and not _IT_IS_PLACE.search("它是城市规划的一部分吗")
    assert _IT_IS_PLACE.search("它想变成一座什么样的城市") and _IT_IS_PLACE.search("它是一座什么样的城市呢")
    assert _IT_IS_PLACE.search("它是城市更新的示范城市吗")


_FUND = [Turn("2023年常州新增了多少家机器人企业？", "常州新增机器人企业86家,设立5亿元产业引导基金[1]")]


@pytest.mark.parametrize("question", ["这个款式是谁设计的？", "这个钱包是谁做的？", "这笔款项什么时候到账？"])
def test_a_dictionary_word_starting_with_money_is_not_the_fund(question):
    # 款式/钱包/款项 are words of their own: the fund fallback (for jieba's 钱图) must not cut them to 款/钱
    assert "产业引导基金" not in resolve(question, _FUND).search_question


def test_this_money_misread_by_jieba_is_still_the_fund():
    assert pos_tags("这笔钱图的是什么")[1][0] == "钱图"  # the misreading the fallback is for
    assert resolve("这笔钱图的是什么？", _FUND).search_question.startswith("常州产业引导基金")


def test_subject_head_skips_leading_prepositions_like_subject():
    from rag.topic import scope, subject_head

    assert subject_head(pos_tags("对于常州的企业数量增长了多少")) == "ns"  # 常州, not 对于 (p)
    assert subject_head(pos_tags("2021年杭州市人工智能企业达到多少家")) == "n"
    assert scope("其中最大的是哪家", "对于常州的企业数量增长了多少") == "常州中最大的是哪家"


@pytest.mark.parametrize("question, kept", [
    ("它主要为谁提供服务？", True),  # 谁 the beneficiary: what it serves answers it
    ("这次事故是因为谁？", False),  # 因为谁 asks who caused it: a person or a body, which the quote does not name
    ("大家认为谁该负责？", False),
])
def test_wei_of_yinwei_is_no_beneficiary(question, kept):
    from rag.followup import check_answer_type
    from rag.records import Answer, Citation

    quote = "该平台为外卖骑手提供服务，面向全市商户。"
    cit = Citation(n=1, doc_id="d", title="t", section="", chunk_id="d-0", start=0, end=len(quote), quote=quote,
                   text=quote, score=1.0, quote_start=0, quote_end=len(quote))
    ans = Answer(question="q", answer=quote + "[1]", answerable=True, citations=[cit], confidence=0.9)
    assert check_answer_type(ans, question).answerable is kept


def test_scope_after_an_english_question_names_no_set():
    # 其中 after an English question: its first word (What) is no set to search within (as for 这个结论)
    from rag.topic import scope

    assert scope("其中最大的是哪家", "What are the AI companies in Hangzhou") == ""
    rw = resolve("其中最大的是哪家？", [Turn("What are the AI companies in Hangzhou?", "杭州人工智能企业有632家[1]")])
    assert "What中" not in rw.search_question


def test_scope_set_is_a_noun_phrase_not_the_rest_of_the_question():
    # 哪几家企业获得了补贴: what follows 哪几家 is 企业 + a verb phrase, not a set named 企业获得了补贴
    from rag.topic import scope

    out = scope("其中最大的是哪个", "2023年常州哪几家企业获得了补贴")
    assert "获得了补贴中" not in out and out.startswith("2023年常州")
    assert scope("其中最大的是哪个", "2021年杭州有多少家搞AI的企业") == "2021年杭州的搞AI的企业中最大的是哪个"
