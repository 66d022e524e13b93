"""Round 17 (issue 11): what a pronoun can stand for. Every dialogue here was written for this test (not taken
from any evaluation set); the readings run on the real jieba tables.

- 它 stands for a thing named: not a bare date (排在它前面… after “2019年那次评比把宁波排在第几名” is 宁波, not
  2019年) nor a clause opening with a function word (并配套专门支持政策 is no referent; before, both were spliced in).
- A 3–4 character name does not open with a dictionary verb, adverb, conjunction, preposition or particle: 申请专利
  is no person, so 他 is not read as it (before: 申请专利是哪里的副所长).
"""

from __future__ import annotations

import pytest

from rag.dialogue import Turn, resolve
from rag.rewrite_rules import plausible_name


def test_it_is_not_a_bare_date():
    rw = resolve("排在它前面的是哪几座城市？", [Turn("2019年那次评比把宁波排在第几名？", "宁波排在第三名,位列第二梯队。[1]")])
    assert rw.rule == "it" and rw.antecedent == "宁波"
    assert rw.search_question == "排在宁波前面的是哪几座城市"


def test_it_is_not_a_clause_opening_with_a_conjunction():
    history = [Turn("哪家国家级开发区最早押注机器人？",
                    "示例工业园区则成为全国首个聚焦机器人领域,并配套专门支持政策的国家级经济技术开发区。[1]")]
    rw = resolve("它所在的城市把机器人摆在了什么位置？", history)
    assert "并配套" not in rw.search_question and not rw.antecedent.startswith("并")


def test_it_still_reads_the_thing_the_answer_named():
    rw = resolve("它是哪年成立的？", [Turn("温州挂牌成立了全国首个什么机构？",
                                        "温州还在原有基础上,挂牌成立全国首个“人工智能局”,统筹推进算力建设。[1]")])
    assert rw.antecedent == "人工智能局" and rw.search_question.startswith("人工智能局")


def test_he_is_not_a_verb_phrase_that_opens_with_a_surname_character():
    rw = resolve("他是哪里的副所长？", [Turn("谁在会上谈了申请专利的事？", "据统计,申请专利的企业越来越多。[1]")])
    assert "申请专利" not in rw.search_question


@pytest.mark.parametrize("name, text, ok", [
    ("申请专利", "申请专利的企业越来越多", False),  # 申请: a verb
    ("于是乎", "于是乎大家都去了", False),  # 于是: a conjunction
    ("张立新", "市委书记张立新表示", True),
    ("丁文涛", "副所长丁文涛说", True),
    ("范波", "市委书记范波指出", True),  # two characters: not tested for a word at the start
    ("特朗普", "特朗普是美国总统。", True),
])
def test_a_name_does_not_open_with_another_word(name, text, ok):
    assert plausible_name(name, text) is ok
