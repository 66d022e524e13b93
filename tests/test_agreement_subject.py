"""The question's subject matched as one piece (rag.agreement, round 5): a look-alike article about a
narrower or broader entity (黄蝉 for 软枝黄蝉) must not look like the article about the subject."""

from __future__ import annotations

from rag.agreement import subject_head
from rag.select import candidates, question_features

from tests.test_answer_features import _hit


def test_subject_head_is_the_opening_words_up_to_the_first_function_word():
    assert subject_head("软枝黄蝉的原生地在哪里？") == "软枝黄蝉"
    assert subject_head("耶律乞奴被谁所杀？") == "耶律乞奴"
    assert subject_head("《宇宙奇兵》在日本是何时播出的？") == "宇宙奇兵"  # quotes dropped
    assert subject_head("长宗我部元亲在领内实行什么制度？") == "长宗我部元亲"
    assert subject_head("该漫画是由谁创作的？") == "该漫画"
    assert subject_head("") == "" and len(subject_head("一" * 40)) == 12


def test_a_passage_about_a_shorter_name_does_not_carry_the_subject():
    idf = lambda t: 8.0  # noqa: E731
    q = "软枝黄蝉的原生地在哪里？"
    right = _hit("a", "软枝黄蝉", "软枝黄蝉是夹竹桃科的植物。软枝黄蝉原生于巴西。", 1)
    other = _hit("b", "黄蝉", "黄蝉是一种观赏植物。原生于巴西，现广植于热带地区。", 2)
    by_doc = {}
    for c in candidates(q, [right, other], idf=idf):
        by_doc.setdefault(c.sentence.hit.chunk.doc_id, c.features)
    good, bad = by_doc["a"], by_doc["b"]
    assert good["ag_head_passage"] == 1.0 and bad["ag_head_passage"] == 0.5  # 黄蝉: half of 软枝黄蝉
    assert good["ag_head_title"] == 1.0 and bad["ag_head_title"] == 0.5
    assert good["ag_title_in_q"] == 1.0 and bad["ag_title_in_q"] == 0.5  # 黄蝉 sits inside a longer name
    assert good["ag_head_best"] == bad["ag_head_best"] == 1.0  # question-level: the best of the passages
    assert good["ag_head_len"] == 0.4 and good["ag_head_anaphor"] == 0.0
    # with the right article gone, the question-level evidence says the subject is nowhere
    only = candidates(q, [other], idf=idf)
    for c in only:
        c.p = 0.9
    f = question_features(only, [other])
    assert f["ag_head_best"] == 0.5 and f["ag_title_in_q"] == 0.5


def test_an_anaphoric_question_names_no_subject():
    idf = lambda t: 8.0  # noqa: E731
    hit = _hit("a", "山东女子学院", "学校现有市中校区、长清校区两个校区。", 1)
    f = candidates("该校有几个校区？", [hit], idf=idf)[0].features
    assert f["ag_head_anaphor"] == 1.0 and f["ag_title_in_q"] == 0.0
