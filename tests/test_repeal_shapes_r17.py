"""Round 17: repeals stated in other shapes than round 16's “本法自…起施行。《…》同时废止。” in one paragraph (README
"Limits"; bench/results/r17_h5_repeals.md counts the shapes of the lawrefbook archive). Each test marked *old*
failed on round 16's code (checked in a worktree of 25d44d8); the *guards* pass on both.

Read now (every pair they add over the archive, 21, was checked by reading its text): the entry into force worded
实施 / 实行 / 生效 / 公布之日 or by 本实施条例, 本规范, 本安排, 本法（原称《…》）; the repeal in the paragraph right
after an article that is only the entry into force; a title that 不再执行 from the repealing text's entry into force.
"""

from __future__ import annotations

import functools

import pytest

from rag.index import open_index
from rag.qa import ask
from rag.repealed import repeal_clauses, repealed_laws, superseded_by

# the shapes as the archive writes them (its own sentences, abridged where marked …)
NEXT_PARAGRAPH = ("第五十三条 本条例自2011年11月1日起施行。\n\n1987年12月12日国务院发布的《退伍义务兵安置条例》，1999年12月13日"
                  "国务院、中央军委下发的《中国人民解放军士官退出现役安置暂行办法》同时废止。\n\n本条例施行以前入伍、施行以后退出现役的士兵，"
                  "执行本条例。")
SHAPES = [  # (text, the pairs read)
    (NEXT_PARAGRAPH, [("退伍义务兵安置条例", "2011-11-01"), ("中国人民解放军士官退出现役安置暂行办法", "2011-11-01")]),
    ("第四十五条 本办法自2004年1月1日起实施。1999年5月1日实施的《进口药品管理办法》同时废止。",
     [("进口药品管理办法", "2004-01-01")]),  # 实施; the date is the repealing text's, not the old one's
    ("第六十八条 本实施条例自2004年11月1日起施行。1993年2月17日国务院批准修订、1993年4月1日海关总署发布的"
     "《中华人民共和国海关法行政处罚实施细则》同时废止。", [("中华人民共和国海关法行政处罚实施细则", "2004-11-01")]),
    ("第五十四条 本法（原称《中国人民解放军现役军官服役条例》）自1989年1月1日起施行。1978年8月18日…颁布的"
     "《中国人民解放军干部服役条例》同时废止。", [("中国人民解放军干部服役条例", "1989-01-01")]),
    ("第十五条 本解释发布实施后，《最高人民法院关于审理盗窃案件具体应用法律若干问题的解释》（法释〔1998〕4号）同时废止；"
     "之前发布的司法解释和规范性文件与本解释不一致的，以本解释为准。", [("最高人民法院关于审理盗窃案件具体应用法律若干问题的解释", "")]),
    ("第三十条 本安排生效之日，《最高人民法院关于内地与香港特别行政区法院相互认可和执行当事人协议管辖的民商事案件判决的安排》同时废止。",
     [("最高人民法院关于内地与香港特别行政区法院相互认可和执行当事人协议管辖的民商事案件判决的安排", "")]),
    ("自本规定公布之日起，我院法〔1998〕86号通知印发的《关于人民法院受理申请承认外国法院离婚判决案件几个问题的意见》同时废止。",
     [("关于人民法院受理申请承认外国法院离婚判决案件几个问题的意见", "")]),
    ("第二十条 本解释自公布之日起施行。\n\n《最高人民法院关于办理未成年人刑事案件适用法律的若干问题的解释》（法发〔1995〕9号）"
     "自本解释公布之日起不再执行。", [("最高人民法院关于办理未成年人刑事案件适用法律的若干问题的解释", "")]),
]


@pytest.mark.parametrize("text,pairs", SHAPES)
def test_repeals_in_other_shapes_are_read(text, pairs):  # old
    assert repeal_clauses(text) == pairs


@pytest.mark.parametrize("text", [
    "第八十六条 各地可以制定实施办法。\n\n2005年11月14日公安部印发的《甲规范》同时废止。",  # no entry into force before it
    "第五十三条 本条例自2011年11月1日起施行。\n\n第五十四条 《乙条例》同时废止。",  # an article of its own: round 16's rule
    "第五十三条 本条例自2011年11月1日起施行，国务院另有规定的除外。\n\n《丙条例》同时废止。",  # more than the entry into force
    "## 三\n2000年3月17日劳动保障部发布的《丁通知》同时废止。",  # a heading, no entry into force
    "第七十六条 本法自公布之日起施行。缓刑考验期满，原判的刑罚就不再执行，并公开予以宣告。",  # 不再执行 of a sentence
    "2014年2月19日 《国务院关于废止和修改部分行政法规的决定》第一次修订",  # a revision in a header
    "第十条 本法自2021年1月1日起施行。国务院根据本法制定的规定与本法不一致的，予以废止。",  # no title
])
def test_what_is_still_not_a_repeal(text):  # guards
    assert repeal_clauses(text) == []


def test_round_16s_shape_reads_as_before():  # guard
    text = "第一千二百六十条 本法自2021年1月1日起施行。《中华人民共和国婚姻法》、《中华人民共和国继承法》同时废止。"
    assert repeal_clauses(text) == [("中华人民共和国婚姻法", "2021-01-01"), ("中华人民共和国继承法", "2021-01-01")]


REGULATION = """# 退役士兵安置条例

2011年10月29日 中华人民共和国国务院、中华人民共和国中央军事委员会令第608号公布

2011年11月1日 施行

<!-- INFO END -->

第一条 为了规范退役士兵安置工作，保障退役士兵的合法权益，根据《中华人民共和国兵役法》，制定本条例。

第十八条 义务兵和服现役不满12年的士官退出现役的，由人民政府扶持自主就业。

第十九条 对自主就业的退役士兵，由部队发给一次性退役金，一次性退役金由中央财政专项安排。

""" + NEXT_PARAGRAPH + "\n"


@pytest.fixture(scope="module")
def regulation_home(tmp_path_factory, embedder):
    from rag.update import update_index

    src = tmp_path_factory.mktemp("r17-reg") / "行政法规"
    src.mkdir()
    (src / "退役士兵安置条例(2011-10-29).md").write_text(REGULATION, encoding="utf-8")
    out = tmp_path_factory.mktemp("r17-reg-index")
    update_index([src.parent], home=out, progress=False, embedder=embedder)
    return out


def test_a_repeal_in_the_next_paragraph_points_the_old_regulation_to_its_successor(regulation_home, embedder):  # old
    idx = open_index(regulation_home)
    assert repealed_laws(idx)["退伍义务兵安置条例"] == ("退役士兵安置条例", "2011-11-01")
    assert superseded_by(idx, "退伍义务兵安置条例").by == "退役士兵安置条例"
    ans = functools.partial(ask, idx, embedder=embedder)("退伍义务兵安置条例规定自主就业的退役金怎么发？")
    assert ans.superseded is not None and ans.superseded.by == "退役士兵安置条例", ans.answer
    assert ans.refusal_reason != "law_not_in_index"
