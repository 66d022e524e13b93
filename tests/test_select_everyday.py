"""The everyday_dev training source of bench/calibrate_answers.py: grouping, weights, statute rows left out."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
import everyday_dev  # noqa: E402


def _row(set_, qid, answerable, cands, **kw):
    return dict({"set": set_, "qid": qid, "answerable": answerable, "dense": 0.8, "cands": cands}, **kw)


def test_article_groups_everyday_rows_by_document_and_squad_rows_by_article():
    assert ca._article(_row("cmrc_trial", "TRIAL_549_QUERY_3", 1, [])) == "cmrc_trial:TRIAL_549"
    assert ca._article(_row("drcd_tune", "1147-5-1", 1, [])) == "drcd_tune:1147"
    # an everyday question about a CMRC trial article shares that article's group (same text on both sides)
    assert ca._article(_row("everyday", "hx-a01", 1, [], group="cmrc_trial:TRIAL_549")) == "cmrc_trial:TRIAL_549"


def test_selector_row_weight_acts_like_repeating_the_row():
    rng = np.random.default_rng(0)
    names = ["coverage", "bigram"]

    def q(i, lab_first):
        cands = [({"coverage": float(rng.random()), "bigram": float(rng.random())}, int(j == 0 and lab_first))
                 for j in range(4)]
        cands[0][0]["coverage"] += 0.5
        return _row("cmrc_trial", f"T_{i}_QUERY_0", 1, cands)

    base = [q(i, True) for i in range(30)]
    odd = q(99, True)
    odd["cands"] = [({"coverage": 0.0, "bigram": 1.0}, 1)] + [({"coverage": 1.0, "bigram": 0.0}, 0)] * 3
    heavy = ca.fit_selector(base + [dict(odd, w=5.0)], names)
    repeated = ca.fit_selector(base + [odd] * 5, names)
    plain = ca.fit_selector(base + [odd], names)
    for n in names:
        assert abs(heavy.weights[n] - repeated.weights[n]) < 1e-3
    # and the weight matters: the odd row pulls the bigram weight up
    assert heavy.weights["bigram"] > plain.weights["bigram"]


def test_calib_rows_drop_statute_questions_and_carry_the_weight(tmp_path):
    cached = [_row("everyday", "a", 1, [], group="g1", kind="full", statute=False),
              _row("everyday", "a", 0, [], group="g1", kind="removed", statute=True),
              _row("everyday", "u", 0, [], group="g2", kind="native", statute=False)]
    (tmp_path / "calib_rows_everyday.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in cached), encoding="utf-8")
    rows = everyday_dev.calib_rows(tmp_path / "no_index", None, tmp_path, reuse=True, weight=3.0)
    assert [(r["qid"], r["kind"]) for r in rows] == [("a", "full"), ("u", "native")]
    assert all(r["w"] == 3.0 for r in rows)
