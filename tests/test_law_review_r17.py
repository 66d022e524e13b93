"""Round 17 review of h5's law changes (2d161d0; /work/brief/r17/review_h5.md, findings 1–9): a first question is
refused as asked under an unheld law only when the law frame is the predicate that ends it (违反刑法吗, 受著作权法保护吗,
按反家暴法怎么处理), never when the law introduces a clause that asks something else; a held law's other names
(交通安全法, 新劳动法, 反家暴法) are held on both paths; traditional script reads as simplified; a repealed law asked
under gets its note; an abbreviation + 总则/通则 is a title of its own only when the data say so; partial repeals are
not repeals. Each test failed on 2d161d0's code (checked in a worktree of aa7f7b7) unless marked *guard*. Real index
of tests/test_repealed_r16.py (民法典's 附则 and 婚姻家庭编, 劳动合同法), real e5, FAISS, BM25.
"""

from __future__ import annotations

import pytest

from rag.index import open_index
from rag.law_names import named_law_candidate, titles_named
from rag.law_passing import held_name, law_asked_under
from rag.repealed import repeal_clauses, unheld_subject

from .test_repealed_r16 import CODE, home, law_ask  # noqa: F401 (module fixtures)

TRAFFIC, VIOLENCE = "中华人民共和国道路交通安全法", "中华人民共和国反家庭暴力法"
CRIMINAL_PROCEDURE, CIVIL_PROCEDURE = "中华人民共和国刑事诉讼法", "中华人民共和国民事诉讼法"


@pytest.fixture(scope="module")
def held(home):  # noqa: F811
    idx = open_index(home)
    return idx, sorted({d.title for d in idx.documents.values()})


# ------------------------------------------------------------------ 1, 2, 7: the frame is the predicate at the end

@pytest.mark.parametrize("question", [
    "触犯刑法的员工公司能辞退吗", "触犯刑法的人会被开除吗", "不受著作权法限制的作品有哪些",  # 1: 触犯 / 不受 checked too
    "欧盟根据数字市场法对苹果罚款多少？", "上海根据人工智能条例设立了什么机构？",  # 2: news, the law introduces a clause
    "温州按照人工智能产业促进条例出台了哪些措施", "杭州按照垃圾分类管理条例罚了多少人",
])
def test_a_law_that_introduces_another_question_is_not_refused(held, law_ask, question):
    idx, titles = held
    assert law_asked_under(question) == "" and unheld_subject(idx, question, titles) == ("", None)
    assert law_ask(question).refusal_reason != "law_not_in_index", question


@pytest.mark.parametrize("question,law", [("老板拖欠工资违反刑法吗，", "刑法"), ("老板拖欠工资触犯刑法吗；", "刑法"),
                                          ("这种作品不受著作权法保护吗", "著作权法")])  # the last: guard
def test_the_frame_at_the_end_is_read_whatever_mark_ends_it(held, question, law):  # 7 (and 1's frame words)
    idx, titles = held
    assert law_asked_under(question) == law and unheld_subject(idx, question, titles) == (law, None)


# ------------------------------------------------------------------ 3: a held law's other names, on both paths

@pytest.mark.parametrize("question,extra", [
    ("闯红灯违反交通安全法吗", TRAFFIC), ("闯红灯，按交通安全法处理吗", TRAFFIC), ("违反交通法吗", TRAFFIC),
    ("按反家暴法怎么处理", VIOLENCE), ("反家暴法规定了什么", VIOLENCE),  # the second: round 16's law_subject path
    ("公司不签合同，按新劳动法处理吗", None),  # 劳动合同法 is held by this index
])
def test_a_held_laws_other_name_is_not_an_unheld_law(held, question, extra):
    idx, titles = held
    assert unheld_subject(idx, question, sorted(titles + ([extra] if extra else []))) == ("", None), question


def test_a_two_character_name_is_no_part_of_a_longer_title(held):  # 刑法 is not 刑事诉讼法's (abbreviates said so)
    idx, titles = held
    assert not held_name("刑法", [CRIMINAL_PROCEDURE]) and held_name("交通法", [TRAFFIC])
    assert unheld_subject(idx, "老板不发工资违反刑法吗", sorted(titles + [CRIMINAL_PROCEDURE])) == ("刑法", None)


# ------------------------------------------------------------------ 5: traditional script

def test_traditional_script_is_read_as_simplified(held, law_ask):
    idx, titles = held
    assert unheld_subject(idx, "公司不給加班費，按勞動合同法處理嗎", titles) == ("", None)
    assert law_ask("公司不給加班費，按勞動合同法處理嗎").refusal_reason != "law_not_in_index"
    assert unheld_subject(idx, "老闆拖欠工資違反刑法嗎", titles) == ("刑法", None)  # as 老板拖欠工资违反刑法吗
    assert unheld_subject(idx, "小說的書名受著作權法保護嗎", titles) == ("著作權法", None)  # as written


# ------------------------------------------------------------------ 6: a repealed law asked under keeps its note

@pytest.mark.parametrize("question,named", [("离婚时财产按婚姻法怎么分", "婚姻法"), ("这种情况按民法总则处理吗", "民法总则")])
def test_a_repealed_law_asked_under_says_it_was_repealed(law_ask, question, named):
    ans = law_ask(question)
    assert ans.refusal_reason != "law_not_in_index" and ans.superseded is not None, ans.answer
    assert ans.superseded.named == named and ans.superseded.by == CODE


# ------------------------------------------------------------------ 4: an abbreviation + 总则 / 通则

def test_an_abbreviation_and_a_part_word_name_the_abbreviated_law_unless_the_data_say_otherwise(held):
    idx, titles = held
    with_procedure = sorted(titles + [CRIMINAL_PROCEDURE, CIVIL_PROCEDURE])
    assert titles_named([CIVIL_PROCEDURE], "民诉法总则第一条是什么") == [CIVIL_PROCEDURE]
    assert titles_named([CRIMINAL_PROCEDURE], "那刑诉法总则呢？") == [CRIMINAL_PROCEDURE]
    for question in ("按照刑诉法总则怎么处理", "那刑诉法总则呢？"):
        assert unheld_subject(idx, question, with_procedure) == ("", None), question
    assert named_law_candidate("那民法总则编呢") == ["那民法"] and titles_named([CODE], "那民法总则编呢") == [CODE]


def test_the_general_principles_stay_titles_of_their_own(held):  # guard: h5's fix kept
    idx, titles = held
    law, sup = unheld_subject(idx, "根据民法通则，诉讼时效多久", titles)
    assert law == "民法通则" and sup is not None and sup.by == CODE


# ------------------------------------------------------------------ 8: partial repeals, 生效

@pytest.mark.parametrize("text", [
    "第二十条 本解释自公布之日起施行。《关于审理甲案件的解释》第三条自本解释施行之日起不再执行。",
    "第三十条 本办法自2020年1月1日起施行。\n\n《乙办法》第五条、第六条同时废止。",
])
def test_a_repeal_of_some_articles_is_not_a_repeal_of_the_law(text):
    assert repeal_clauses(text) == []


def test_an_entry_into_force_worded_shengxiao_is_read_before_the_next_paragraph():
    assert repeal_clauses("第三十条 本办法自2020年1月1日起生效。\n\n《乙办法》同时废止。") == [("乙办法", "2020-01-01")]


# ------------------------------------------------------------------ 9: no private names across modules

def test_the_law_modules_import_no_private_names():
    import inspect

    import rag.law_passing
    import rag.repealed

    for module in (rag.law_passing, rag.repealed):
        imports = [line for line in inspect.getsource(module).splitlines() if line.startswith("from .")]
        assert not any(" _" in line.split(" import ", 1)[1] or ", _" in line for line in imports), imports
