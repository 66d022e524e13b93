"""Near-miss check (rag.constraints): contradicted hard constraints veto, paraphrase does not."""

from __future__ import annotations

import pytest

import rag.answer
from rag.answer import NOT_FOUND
from rag.constraints import places_in, violation
from rag.qa import ask

FIGURE = "《2021杭州人工智能创业生态报告》显示,当年杭州市人工智能企业达到741家,较前一年的490家增加超过50%。"
PLANS = "江苏、浙江、安徽三省已公布的“十五五”规划建议全文中,“人工智能”分别出现了7次、18次和11次。"
MEETING = "1月4日,2026全国智能体开发者大会亮相常州,传递出当地抢占人工智能赛道的雄心。常州市委书记王剑锋表示,作为产业强市,常州制造业基础坚实。"
TITLE = "怎么发展人工智能产业：长三角城市的选择"


@pytest.mark.parametrize("question, quote, passage, kind", [
    ("杭州2023年有多少家人工智能企业？", FIGURE, FIGURE, "year"),          # another year's figure
    ("上海的“十五五”规划建议里“人工智能”出现了几次？", PLANS, "这一年,人工智能融入城市发展。" + PLANS, "place"),  # 上海 nowhere
    ("嘉兴有多少家人工智能企业？", FIGURE, FIGURE, "place"),                # the place is nowhere in the passage
    ("常州市长说了什么？", MEETING, MEETING, "role"),                       # 市委书记 spoke, not the mayor
    ("杭州2023年有多少家人工智能企業？", FIGURE, FIGURE, "year"),          # traditional script too
])
def test_contradicted_constraint_vetoes(question, quote, passage, kind):
    v = violation(question, quote, passage, TITLE)
    assert v is not None and v.kind == kind


@pytest.mark.parametrize("question, quote, passage", [
    ("2021年杭州有多少家人工智能企业？", FIGURE, FIGURE),                   # the year and the place hold
    ("杭州市有多少家AI企业？", FIGURE, FIGURE),                            # 杭州市 vs 杭州, AI vs 人工智能
    ("今年一月常州开了什么会？", MEETING, MEETING),                         # relative date: not a constraint
    ("常州市委书记是谁？", MEETING, MEETING),
    ("常州市委说了什么？", MEETING, MEETING),                              # 市委 is not an office holder
    ("杭州2021年一共有多少家AI公司？", FIGURE, FIGURE),
    ("天门冬分布在哪些地区？", "分布于河北、海南、贵州、广西各省。", "天门冬是植物。分布于河北、海南、贵州、广西各省。"),
])
def test_paraphrase_does_not_veto(question, quote, passage):
    title = "天门冬" if "天门冬" in question else TITLE
    assert violation(question, quote, passage, title) is None


def test_place_names_are_words_not_parts_of_a_title_word():
    assert places_in("合肥和杭州市") == {"合肥", "杭州"}
    assert places_in("天门冬分布在哪里", "天门冬") == set()
    assert places_in("天门市在哪里", "天门冬") == {"天门"}


def _ask_both(index, embedder, question, monkeypatch):
    with_check = ask(index, question, embedder=embedder)
    monkeypatch.setattr(rag.answer, "near_miss", lambda *a, **k: None)
    without = ask(index, question, embedder=embedder)
    monkeypatch.undo()
    return with_check, without


def test_near_miss_is_refused_with_suggestions(sample_index, embedder, monkeypatch):
    # answered with the 2021 figure without the check; refused (suggestions kept) with it
    with_check, without = _ask_both(sample_index, embedder, "2012年杭州的人工智能企业有多少家？", monkeypatch)
    assert without.answerable and "741" in without.answer
    assert not with_check.answerable and with_check.answer == NOT_FOUND and with_check.suggestions


def test_fair_question_keeps_its_answer(sample_index, embedder, monkeypatch):
    with_check, without = _ask_both(sample_index, embedder, "2021年杭州的人工智能企业有多少家？", monkeypatch)
    assert with_check.answerable and "741" in with_check.answer
    assert with_check.answer == without.answer


def test_a_place_name_inside_a_common_word_is_not_a_place():
    """大城 (a county) inside 大城市 (a big city) asks about no place; 杭州 in 杭州市 still does."""
    from rag.constraints import places_in

    assert places_in("大城市带着周边城市一起干AI，是想形成个啥？") == set()
    assert places_in("杭州市有多少家人工智能企业？") == {"杭州"}
    assert places_in("大城县在哪个省？") == {"大城"}
