"""Round 10 (issue 9): the everyday development rounds as refusal rows and the leave-one-round-out rules
(bench/everyday_rounds.py, bench/everyday_loro.py). Synthetic rows: no index, no model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
import everyday_loro as loro  # noqa: E402
import everyday_rounds as rounds  # noqa: E402


def test_every_development_round_is_listed_and_no_validation_or_held_out_set_is():
    files = {f for _, _, f, _ in rounds.SETS}
    assert {r for _, r, _, _ in rounds.SETS} == set(rounds.ROUNDS) == {"dev", "5", "6", "7", "8", "9", "10"}
    assert "everyday_dev.jsonl" in files and "everyday_heldout8_docs.jsonl" in files
    # round 12: rounds 9 and 10 (everyday on corpus/ and the _docs sets on their own indexes) are development data
    assert {"everyday_heldout9.jsonl", "everyday_heldout9_docs.jsonl", "everyday_heldout10.jsonl",
            "everyday_heldout10_docs.jsonl"} <= files
    assert not any("heldout11" in f or "heldout12" in f for f in files)  # validation and held out in round 12
    assert all((ROOT / "bench" / "data" / f).exists() for f in files)
    # each _docs set has its own index key, never corpus/'s
    keys = {f: k for _, _, f, k in rounds.SETS}
    assert keys["everyday_heldout9_docs.jsonl"] == "docs9" and keys["everyday_heldout10_docs.jsonl"] == "docs10"
    assert set(keys.values()) <= set(rounds.DEFAULT_INDEXES)


def test_round_11s_rounds_select_the_rows_its_model_was_fitted_on():
    assert rounds.R11_ROUNDS == ("dev", "5", "6", "7", "8")
    names = [n for n, *_ in rounds.sets_of(rounds.R11_ROUNDS)]
    assert not any(n.startswith(("everyday_r9", "everyday_r10")) for n in names) and len(names) == 8
    assert rounds.sets_of(None) == rounds.SETS
    # the leave-one-round-out baseline trains on those rounds only, the candidates on every round
    assert loro.TRAIN_ROUNDS[loro._family("r11")] == rounds.R11_ROUNDS
    assert loro.TRAIN_ROUNDS[loro._family("utility_sel")] == rounds.ROUNDS


def test_pooled_rates_weigh_each_round_by_its_rows():
    per = {"a": {"answerable": 10, "removed": 4, "native": 0, "quote": 0.5, "false_refusal": 0.2,
                 "removed_recall": 0.5, "native_recall": float("nan")},
           "b": {"answerable": 90, "removed": 0, "native": 6, "quote": 1.0, "false_refusal": 0.0,
                 "removed_recall": float("nan"), "native_recall": 1.0}}
    q, fr, rec = loro.pooled(per)
    assert abs(q - 0.95) < 1e-12 and abs(fr - 0.02) < 1e-12 and abs(rec - 0.8) < 1e-12
    # their rows are everyday-style for the threshold rules, except English ones, and never CMRC/DRCD budget rows
    assert ca.is_everyday_style({"set": "everyday_r7docs"}) and not ca.is_everyday_style({"set": "everyday_r7_en"})


def test_general_rows_keep_only_chinese_rows_the_general_model_decides():
    rows = [{"set": "everyday_r6", "statute": False}, {"set": "everyday_r6", "statute": True},
            {"set": "everyday_r6_en", "statute": False}]
    assert rounds.general_rows(rows) == rows[:1]


def test_utility_counts_right_quotes_false_refusals_and_missed_unanswerables():
    p = np.array([0.9, 0.8, 0.2, 0.7, 0.1])
    y = np.array([1, 1, 1, 0, 0])
    hit = np.array([1, 0, 1, 0, 0])
    # threshold 0.5: answers rows 0, 1, 3; quote 1/3, false refusal 1/3, unanswerable recall 1/2
    assert abs(loro.utility(p, y, hit, 0.5) - (1 / 3 - (1 / 3 + 1 / 2) / 2)) < 1e-12
    assert abs(loro.utility(p, y, hit, 0.0) - (2 / 3 - (0 + 1) / 2)) < 1e-12  # answer everything


def _oof(rng):
    """Out-of-fold predictions: CMRC/DRCD rows well separated, everyday answerable rows lower (their wording)."""
    p, y, sets, hit = [], [], [], []
    for s, n, (lo_a, hi_a), (lo_u, hi_u) in (("cmrc_trial", 400, (0.5, 1.0), (0.0, 0.3)),
                                              ("drcd_tune", 400, (0.5, 1.0), (0.0, 0.3)),
                                              ("everyday_r6", 60, (0.1, 0.9), (0.0, 0.15))):
        p += list(rng.uniform(lo_a, hi_a, n)) + list(rng.uniform(lo_u, hi_u, n // 3))
        y += [1] * n + [0] * (n // 3)
        sets += [s] * (n + n // 3)
        hit += [1] * n + [0] * (n // 3)
    return np.array(p), np.array(y), np.array(sets), np.array(hit)


def test_the_utility_threshold_stays_between_the_recall_floor_and_the_false_refusal_ceiling():
    p, y, sets, hit = _oof(np.random.default_rng(0))
    base = np.isin(sets, ["cmrc_trial", "drcd_tune"])
    thr = loro.rule_threshold("utility", p, y, sets, hit)
    assert (p[base & (y == 1)] < thr).mean() <= 0.031  # ≤ 3 % of CMRC/DRCD answerable refused
    assert (p[base & (y == 0)] < thr).mean() >= loro.FLOOR_RECALL  # ≥ 0.90 of their removed-article asks refused
    # everyday answerable rows spread down to 0.1 while their unanswerable ones stay under 0.15: the rule goes low
    ev = sets == "everyday_r6"
    assert thr < 0.3 and (p[ev & (y == 0)] < thr).mean() > 0.5
    style = loro.rule_threshold("style", p, y, sets, hit)  # 8 % of the everyday answerable rows at most ...
    removed = (p[base & (y == 0)] < style).mean()
    assert removed >= loro.FLOOR_RECALL  # ... never below the floor ...
    assert (p[ev & (y == 1)] < style).mean() <= 0.08 or removed < loro.FLOOR_RECALL + 0.01  # ... which may bind



def test_the_utility_threshold_never_goes_below_the_recall_floor():
    """When the CMRC/DRCD recall floor lies above the 3 % false-refusal ceiling, no threshold is between them: the
    floor binds (as in the style rule). The utility rule used to pick the ceiling when its everyday utility was higher."""
    rng = np.random.default_rng(1)
    n = 400  # CMRC/DRCD: unanswerable rows overlap the answerable ones, so refusing 90 % of them costs > 3 %
    p = np.concatenate([rng.uniform(0.2, 1.0, n), rng.uniform(0.0, 0.6, n // 2),       # base answerable / removed
                        rng.uniform(0.3, 1.0, 60), rng.uniform(0.0, 0.05, 20)])        # everyday answerable / unans
    y = np.array([1] * n + [0] * (n // 2) + [1] * 60 + [0] * 20)
    sets = np.array(["cmrc_trial"] * (n + n // 2) + ["everyday_r6"] * 80)
    hit = y.copy()
    base = sets == "cmrc_trial"
    for rule in ("utility", "style"):
        thr = loro.rule_threshold(rule, p, y, sets, hit)
        assert (p[base & (y == 0)] < thr).mean() >= loro.FLOOR_RECALL, rule


def test_keep_from_refits_the_refusal_on_the_kept_selectors_and_keeps_the_cross_lingual_pair(tmp_path):
    """Round 12 (``calibrate_answers.py --keep-from FILE``): a refusal-only refit. The dense and lexical selectors and
    the whole cross-lingual pair are FILE's; the refusal models are fitted anew on rows scored with those selectors."""
    import json

    kept = json.loads((ROOT / "rag" / "calibration.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(0)
    rows = []
    for i in range(240):
        s = ("cmrc_trial", "drcd_tune")[i % 2]
        qid = f"TRIAL_{i // 6}_QUERY_{i % 6}" if s == "cmrc_trial" else f"{i // 6}-1-{i % 6}"
        for answerable in (1, 0):
            cands = [({"coverage": float(rng.uniform(0.5, 1.0) if answerable and j == 0 else rng.uniform(0, 0.6)),
                       "cos": float(rng.uniform(0.8, 0.9) if answerable else rng.uniform(0.7, 0.85)),
                       "bigram": float(rng.uniform(0, 1)), "answer_type": 0.0, "missing_top": 0.0,
                       "cos_margin": 0.0}, int(answerable and j == 0)) for j in range(4)]
            rows.append({"set": s, "qid": qid, "answerable": answerable, "dense": 0.8, "cands": cands})
    args = ca._parser().parse_args(["--keep-from", str(ROOT / "rag" / "calibration.json")])
    models, stats = ca._fit_models(rows, args)
    for kind in ("dense", "lexical"):
        assert models[kind]["selector"] == kept["models"][kind]["selector"]
        assert models[kind]["refusal"] != kept["models"][kind]["refusal"]  # fitted on these rows
    assert models["crosslingual"] == kept["models"]["crosslingual"]
    assert stats["crosslingual"] == kept["tune_stats"]["crosslingual"]
    # without it the selector would be fitted on the rows, and differ
    assert ca.fit_selector(rows, ca.SEL_DENSE).__dict__ != kept["models"]["dense"]["selector"]
