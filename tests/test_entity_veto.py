"""Entity veto candidate (bench/entity_veto.py, round 17, not shipped): names read from the question, checked in the
quote's passage and title, and the scorer that measured it on development rows (real jieba, real rag.constraints)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from entity_veto import missing_name, names, score  # noqa: E402

HUANGCHAN = "黄蝉（学名：'）别称为硬枝黄蝉、夹竹桃叶黄蝉、小花黄蝉。原生于巴西，现广植于热带地区，为观赏植物。"
RUANZHI = "软枝黄蝉，别称黄莺、小黄蝉，为夹竹桃科黄蝉属植物，原生于巴西。"


def test_names_of_a_question_about_one_species():
    assert "软枝" in names("软枝黄蝉的别名是什么？")
    assert names("軟枝黃蟬的別名是什麼？") == names("软枝黄蝉的别名是什么？")  # traditional script reads the same


def test_quoted_titles_and_latin_words_are_names():
    assert names("《宇宙奇兵》是什么？") == ("宇宙奇兵",)
    assert "MonoDevelop" in names("MonoDevelop主要是用来开发什么的？")


def test_common_questions_have_no_names():
    for q in ("杭州2023年有多少家人工智能企业？", "醉驾会被判几个月的刑?", "加班费怎么算？"):
        assert names(q) == ()


def test_another_articles_passage_is_vetoed_and_the_own_one_is_not():
    q = "软枝黄蝉的原生地在哪里？"
    assert missing_name(q, HUANGCHAN, "黄蝉") == "软枝"  # the article about 黄蝉 (硬枝黄蝉), not 软枝黄蝉
    assert missing_name(q, RUANZHI, "软枝黄蝉") is None
    assert missing_name(q, "原生于巴西。", "软枝黄蝉") is None  # the title holds the name
    assert missing_name("MonoDevelop是什么？", "monodevelop是一个开发环境。") is None  # case folded


def test_a_name_run_into_a_common_word_is_trimmed():
    # jieba's HMM reads 苏佩维埃尔出 …: the name must not carry 出 (of 出生), else its own passage would veto it
    q = "苏佩维埃尔出生于哪里？"
    assert all("出" not in n for n in names(q))
    assert missing_name(q, "苏佩维埃尔出生于乌拉圭蒙得维的亚。", "苏佩维埃尔") is None


def test_score_counts_vetoes_per_set(tmp_path, capsys):
    call = {"q": "软枝黄蝉的原生地在哪里？", "quote": "原生于巴西，现广植于热带地区，为观赏植物。",
            "passage": HUANGCHAN, "title": "黄蝉", "gloss": False}
    own = dict(call, passage=RUANZHI, title="软枝黄蝉", quote="软枝黄蝉，别称黄莺、小黄蝉，为夹竹桃科黄蝉属植物，原生于巴西。")
    rows = [{"set": "t", "id": "1", "question": call["q"], "gold": True, "answerable": True, "hit_quote": True,
             "calls": [own]},
            {"set": "t_removed", "id": "1", "question": call["q"], "gold": False, "answerable": True,
             "hit_quote": False, "calls": [call]}]
    (tmp_path / "t.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    table = score(tmp_path)
    assert table["t"]["right_vetoed"] == 0 and table["t"]["vetoed_after"] == 0
    assert table["t_removed"]["vetoed_before"] == 0 and table["t_removed"]["vetoed_after"] == 1
    assert "t_removed" in capsys.readouterr().out


def test_ceiling_counts_what_an_oracle_title_could_veto(tmp_path):
    from entity_veto import ceiling

    squad = {"data": [{"title": "软枝黄蝉", "paragraphs": [{"context": RUANZHI, "qas": [
        {"id": "q1", "question": "软枝黄蝉的原生地在哪里？", "answers": [{"text": "巴西"}]}]}]}]}
    (tmp_path / "s.json").write_text(json.dumps(squad, ensure_ascii=False), "utf-8")
    other = {"q": "软枝黄蝉的原生地在哪里？", "quote": "原生于巴西。", "passage": HUANGCHAN, "title": "黄蝉"}
    own = dict(other, passage=RUANZHI, title="软枝黄蝉")
    rows = [{"set": "s", "id": "q1", "question": other["q"], "gold": True, "answerable": True, "hit_quote": True,
             "calls": [own]},
            {"set": "s_removed", "id": "q1", "question": other["q"], "gold": False, "answerable": True,
             "hit_quote": False, "calls": [other]}]
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    out = ceiling(tmp_path, "s", tmp_path / "s.json")
    assert out == {"removed": 1, "answered": 1, "names_own_title": 1, "oracle_catch": 1, "oracle_right_vetoed": 0}
