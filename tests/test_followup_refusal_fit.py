"""bench/followup_refusal_fit.py: the follow-up refusal refit writes a model file that records what it was fitted
on, in the shipped file's format, and its leave-one-round-out compares like with like."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import followup_refusal_fit as fit

from rag.followup_refusal import FOLLOWUP_REFUSAL
from rag.trees import TreeModel


def _rows(n: int = 360) -> list[dict]:
    """Synthetic readings: the label follows coverage (a right quote covers the question), three rounds."""
    rnd = random.Random(0)
    rows = []
    for i in range(n):
        cov = rnd.random()
        rows.append({"round": f"r{i % 3}", "set": "s", "home": "sample", "id": f"d{i}#2",
                     "label": int(cov + rnd.gauss(0, 0.15) > 0.5),
                     "features": {"coverage": cov, "selector_logit": rnd.gauss(0, 1), "cos": rnd.random()}})
    return rows


def test_the_written_model_records_what_it_was_fitted_on(tmp_path):
    rows = _rows()
    out = tmp_path / "followup_refusal.json"
    fit._write_model(fit.fit_model(rows), rows, out)
    data = json.loads(out.read_text(encoding="utf-8"))
    shipped = json.loads(FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))
    assert data["round11"]["dense_refusal"] == fit.provenance(rows)
    assert data["round11"]["dense_refusal"]["rows"] == {"r0": [120, sum(r["label"] for r in rows[0::3])],
                                                        "r1": [120, sum(r["label"] for r in rows[1::3])],
                                                        "r2": [120, sum(r["label"] for r in rows[2::3])]}
    assert data["models"]["lexical"] == shipped["models"]["lexical"]  # only the dense refusal model is refitted
    model = TreeModel.from_dict(data["models"]["dense"]["refusal"])
    assert model.features == shipped["models"]["dense"]["refusal"]["features"] and 0 < model.threshold < 1
    good, bad = model.probability({"coverage": 0.95}), model.probability({"coverage": 0.05})
    assert good > model.threshold > bad  # it learned the rows' rule, out of round for the threshold


def test_the_sets_are_the_development_rounds_only():
    names = [s[1] for s in fit.SETS]
    assert not any("heldout10" in n or "heldout11" in n for n in names)  # validation and held-out never fitted
    assert {s[0] for s in fit.SETS} == {"r1-4", "r5", "r6", "r7", "r8", "r9"}
    assert all((ROOT / "bench" / "data" / f"{n}.jsonl").is_file() for n in names)


def test_compare_counts_correct_follow_ups():
    base = [{"answerable": True, "hit": True, "answered": True, "correct": True},
            {"answerable": False, "hit": False, "answered": True, "correct": False}]
    cand = [{"answerable": True, "hit": False, "answered": False, "correct": False},
            {"answerable": False, "hit": False, "answered": False, "correct": True}]
    c = fit._compare(base, cand)
    assert c["hit"] == [1, 0] and c["unans_refused"] == [0, 1] and c["net"] == 0 and c["changed"] == 2


def test_the_gate_utility_counts_refused_unanswerable_minus_refused_hits():
    import followup_gate_fit as gate

    rows = [{"answerable": False, "hit": False}, {"answerable": True, "hit": True},
            {"answerable": True, "hit": False}]
    p = np.array([0.1, 0.2, 0.1])
    assert gate.utility(rows, p, 0.15) == 1  # the unanswerable answer refused; the wrong answerable one: 0
    assert gate.utility(rows, p, 0.25) == 0  # ... and the right one refused too
