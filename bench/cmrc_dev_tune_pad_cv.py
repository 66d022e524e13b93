"""Judge round 19's ``--cmrc-dev-tune-pad`` refit on development rows (keep rule: bench/results/r19_h2_rule.md).

Reads the ``cmrc_dev_tune_pad`` rows (``$RAG_HOME/calib_rows_cmrc_dev_tune_pad.jsonl``: the CMRC2018 dev tune-half
questions asked on an index of the target's size, ``bench/padded_rows.py cmrc_dev_pad_rows``), the model files of the
two arms (``--before``: the round-18 command refitted, ``--after``: the same + ``--cmrc-dev-tune-pad``), their
out-of-fold predictions (``--oof-out``) and the shipped ``rag/calibration.json``. Prints:

- on cmrc_dev_tune_pad: removed recall, answerable refused, refusal precision and quote for the shipped model and
  the before refit (neither saw these rows: out of sample) and the candidate out of fold (4 folds grouped by article)
  and, for reference only, in sample;
- on cmrc_dev_tune (the 389-article index): both arms out of fold, each at its own threshold;
- round 18's clauses 3–5 (``cmrc_dev_tune_cv.verdict``: watched sets out of fold, everyday rounds, rewordings,
  scoring time) and each clause of the round-19 rule.

This module fits nothing.

    RAG_HOME=H python bench/cmrc_dev_tune_pad_cv.py --before B.json --after A.json --oof-before OB.json --oof-after OA.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calib_fit import refusal_features  # noqa: E402
from cmrc_dev_tune_cv import load_model, oof_sets, rates, scoring_ratio, verdict  # noqa: E402
from everyday_loro import quote_hit  # noqa: E402

from rag.config import data_dir  # noqa: E402

PAD = "cmrc_dev_tune_pad"
TUNE = "cmrc_dev_tune"


def _rows(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _oof(path: Path, name: str, y: np.ndarray) -> np.ndarray:
    """The out-of-fold P(answerable) of set ``name`` (checked against the rows file's labels)."""
    o = json.loads(path.read_text(encoding="utf-8"))
    sets = np.array(o["set"])
    assert (np.array(o["y"])[sets == name] == y).all(), f"{path}: out-of-fold rows are not the {name} rows file's"
    return np.array(o["p"])[sets == name]


def clauses(pad: dict, tune: dict, old: list[tuple[str, bool, str]]) -> list[tuple[str, bool, str]]:
    """The clauses of bench/results/r19_h2_rule.md (1-4; 5 is the README commands and tests)."""
    b, a = max((pad["shipped"], pad["before_refit"]), key=lambda r: r["removed_recall"]), pad["after_oof"]
    tb, ta = tune["before_oof"], tune["after_oof"]
    return [("1 pad removed recall gain >= +0.015, precision >= 0.90",
             a["removed_recall"] - b["removed_recall"] >= 0.015 and a["precision"] >= 0.90,
             f"{b['removed_recall']:.4f} -> {a['removed_recall']:.4f} "
             f"({a['removed_recall'] - b['removed_recall']:+.4f}), P {a['precision']:.3f}"),
            ("2 pad answerable refused <= 3 %, quote not down > 1 pt",
             a["answerable_refused"] <= 0.03 and a["quote"] >= b["quote"] - 0.01,
             f"refused {a['answerable_refused']:.4f}, quote {b['quote']:.4f} -> {a['quote']:.4f}"),
            ("3 cmrc_dev_tune (oof both) removed recall not down > 0.01, answerable refused <= 3 %",
             ta["removed_recall"] >= tb["removed_recall"] - 0.01 and ta["answerable_refused"] <= 0.03,
             f"R {tb['removed_recall']:.4f} -> {ta['removed_recall']:.4f}, refused {tb['answerable_refused']:.4f} -> "
             f"{ta['answerable_refused']:.4f}"),
            ("4 r18 clauses 3-5 unchanged", all(g for _, g, _ in old), " | ".join(f"{n}: {t}" for n, _, t in old))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, type=Path)
    ap.add_argument("--after", required=True, type=Path)
    ap.add_argument("--oof-before", required=True, type=Path)
    ap.add_argument("--oof-after", required=True, type=Path)
    ap.add_argument("--shipped", type=Path, default=ROOT / "rag" / "calibration.json")
    ap.add_argument("--pad-rows", type=Path, default=None, help=f"default $RAG_HOME/calib_rows_{PAD}.jsonl")
    ap.add_argument("--tune-rows", type=Path, default=None, help=f"default $RAG_HOME/calib_rows_{TUNE}.jsonl")
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args(argv)
    sel, shipped = load_model(args.shipped)
    (_, before), (_, after) = load_model(args.before), load_model(args.after)
    for path in (args.before, args.after):
        assert load_model(path)[0].to_dict() == sel.to_dict(), f"{path}: another selector"
    report: dict = {"thresholds": {"shipped": shipped.threshold, "before_refit": before.threshold,
                                   "after": after.threshold}}
    pad_rows = _rows(args.pad_rows or data_dir() / f"calib_rows_{PAD}.jsonl")
    feats, y = refusal_features(pad_rows, sel, dense=True)
    hit = np.array([quote_hit(r, sel) for r in pad_rows])
    pad = {name: rates(np.array([m.probability(f) for f in feats]) < m.threshold, y, hit)
           for name, m in (("shipped", shipped), ("before_refit", before), ("after_in_sample", after))}
    pad["after_oof"] = rates(_oof(args.oof_after, PAD, y) < after.threshold, y, hit)
    tune_rows = _rows(args.tune_rows or data_dir() / f"calib_rows_{TUNE}.jsonl")
    _, ty = refusal_features(tune_rows, sel, dense=True)
    thit = np.array([quote_hit(r, sel) for r in tune_rows])
    tune = {"before_oof": rates(_oof(args.oof_before, TUNE, ty) < before.threshold, ty, thit),
            "after_oof": rates(_oof(args.oof_after, TUNE, ty) < after.threshold, ty, thit)}
    ob, oa = oof_sets(args.oof_before, before.threshold), oof_sets(args.oof_after, after.threshold)
    ratio = scoring_ratio(feats, after, shipped)
    old = verdict(pad["before_refit"], pad["after_oof"], ob, oa, ratio)[2:]  # round 18's clauses 3, 4, 5
    result = clauses(pad, tune, old)
    report.update({PAD: pad, TUNE: tune, "oof_before": ob, "oof_after": oa, "scoring_ratio": ratio,
                   "clauses": [{"clause": n, "pass": bool(g), "figures": t} for n, g, t in result],
                   "keep": all(g for _, g, _ in result)})
    print(json.dumps(report, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
