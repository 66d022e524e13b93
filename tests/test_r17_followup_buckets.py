"""Round 17 (issue 11): ``bench/r17_followup_buckets.py`` sorts each follow-up into one bucket, on a real replay.

The dialogue below was written for this test (not taken from any evaluation set); it runs on the session's index of
the sample article with the real e5, FAISS and BM25.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import r17_followup_buckets as fb  # noqa: E402

import rag.qa as qa_mod  # noqa: E402

_BASE = {"answerable_gold": True, "answered": True, "hit": False, "passage": False, "gold_top5": False,
         "other_top5": False}


@pytest.mark.parametrize("row, expected", [
    ({"hit": True}, "hit"),
    ({"passage": True, "gold_top5": True}, "d_sentence"),
    ({"gold_top5": True}, "d_passage"),
    ({"answered": False, "gold_top5": True}, "c_refused"),
    ({"answered": False, "other_top5": True}, "a_question"),
    ({"answered": False}, "b_retrieval"),
    ({"answerable_gold": False}, "e_answered"),
    ({"answerable_gold": False, "answered": False}, "e_refused"),
])
def test_each_follow_up_gets_the_first_bucket_that_applies(row, expected):
    assert fb.bucket({**_BASE, **row}) == expected


def test_a_replay_buckets_every_follow_up_and_leaves_retrieval_as_it_was(built_home, tmp_path):
    dialogue = {"id": "T1", "turns": [
        {"question": "温州成立了全国首个什么机构？", "answers": ["人工智能局"], "answerable": True},
        {"question": "它是在什么基础上成立的？", "answers": ["原有"], "answerable": True},
        {"question": "它的局长今年多大了？", "answers": [], "answerable": False}]}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(dialogue, ensure_ascii=False) + "\n", encoding="utf-8")
    search = qa_mod._search
    rows = fb.replay(qa_mod.Searcher(built_home), path)
    assert qa_mod._search is search  # the recording is put back
    assert [r["id"] for r in rows] == ["T1#2", "T1#3"]
    assert rows[0]["bucket"] in {"hit", "a_question", "b_retrieval", "c_refused", "d_sentence", "d_passage"}
    assert rows[1]["bucket"] in {"e_answered", "e_refused"}
    assert rows[0]["rule"] == "it" and "它" not in rows[0]["search_question"]
    assert "| ALL | 1 |" in fb.table(rows)
