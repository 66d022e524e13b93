"""Judge round 18's ``--cmrc-dev-tune`` refit on development rows (keep rule: bench/results/r18_h3_rule.md).

Reads the CMRC2018 dev tune-half rows (``$RAG_HOME/calib_rows_cmrc_dev_tune[_everyN].jsonl``, written by
``bench/calibrate_answers.py --cmrc-dev-tune``), the model files of the two arms (``--before``: the refit without those
rows; ``--after``: the candidate) and their out-of-fold predictions (``--oof-out`` of each fit), plus the shipped
``rag/calibration.json``. Prints, per arm, on cmrc_dev_tune: own-article-removed refusal recall, answerable refused,
refusal precision and quote (answered with a quote holding the answer); per watched row set the out-of-fold false
refusal and removed recall; the everyday rows pooled; a same-run scoring-time ratio; then each clause of the rule.

The shipped model and the "before" refit never saw cmrc_dev_tune (their figures there are out of sample); the
candidate's are its own out-of-fold predictions (4 folds grouped by article). This module fits nothing.

    RAG_HOME=H python bench/cmrc_dev_tune_cv.py --before B.json --after A.json --oof-before OB.json --oof-after OA.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calib_fit import refusal_features  # noqa: E402
from everyday_loro import quote_hit  # noqa: E402

from rag.config import data_dir  # noqa: E402
from rag.select import LinearModel  # noqa: E402
from rag.trees import TreeModel  # noqa: E402

SET = "cmrc_dev_tune"
WATCHED = ("cmrc_trial", "cmrc_trial_pad", "drcd_tune", "drcd_tune_pad", "cmrc_trial_para", "drcd_tune_para")


def rates(refused: np.ndarray, y: np.ndarray, hit: np.ndarray | None = None) -> dict:
    """Removed recall, answerable refused, refusal precision (and quote when ``hit`` is given)."""
    out = {"removed_recall": float(refused[y == 0].mean()) if (y == 0).any() else float("nan"),
           "answerable_refused": float(refused[y == 1].mean()) if (y == 1).any() else float("nan"),
           "precision": float((refused & (y == 0)).sum() / max(refused.sum(), 1)),
           "n_answerable": int((y == 1).sum()), "n_removed": int((y == 0).sum())}
    if hit is not None:
        out["quote"] = float((~refused & (y == 1) & (hit == 1)).sum() / max((y == 1).sum(), 1))
    return out


def load_model(path: Path) -> tuple[LinearModel, TreeModel]:
    m = json.loads(path.read_text(encoding="utf-8"))["models"]["dense"]
    return LinearModel.from_dict(m["selector"]), TreeModel.from_dict(m["refusal"])


def oof_sets(path: Path, threshold: float) -> dict:
    """Per watched set (and the everyday rows pooled): out-of-fold rates at ``threshold``."""
    o = json.loads(path.read_text(encoding="utf-8"))
    p, y, sets = np.array(o["p"]), np.array(o["y"]), np.array(o["set"])
    out = {s: rates(p[sets == s] < threshold, y[sets == s]) for s in (*WATCHED, SET) if (sets == s).any()}
    ev = np.array([s.startswith("everyday_r") for s in sets])
    out["everyday_rounds"] = rates(p[ev] < threshold, y[ev])
    return out


def scoring_ratio(feats: list[dict], a: TreeModel, b: TreeModel, repeats: int = 3) -> float:
    """min time of scoring every row with ``a`` / with ``b``, alternating (same run)."""
    ta, tb = [], []
    for _ in range(repeats):
        for m, t in ((a, ta), (b, tb)):
            t0 = time.perf_counter()
            for f in feats:
                m.probability(f)
            t.append(time.perf_counter() - t0)
    return min(ta) / min(tb)


def verdict(before: dict, after: dict, ob: dict, oa: dict, ratio: float) -> list[tuple[str, bool, str]]:
    """The clauses of bench/results/r18_h3_rule.md (1-5; 6 is the tests)."""
    b, a = before, after
    c = [("1 gain >= +0.04, precision >= 0.90", a["removed_recall"] - b["removed_recall"] >= 0.04 and a["precision"] >= 0.90,
          f"{b['removed_recall']:.3f} -> {a['removed_recall']:.3f}, P {a['precision']:.3f}"),
         ("2 cmrc_dev_tune answerable refused <= 3 %, quote not lower by > 1 pt",
          a["answerable_refused"] <= 0.03 and a["quote"] >= b["quote"] - 0.01,
          f"refused {a['answerable_refused']:.4f}, quote {b['quote']:.3f} -> {a['quote']:.3f}")]
    ok, text = True, []
    for s, cap in (("cmrc_trial_pad", 0.03), ("drcd_tune_pad", 0.05), ("cmrc_trial", 0.03), ("drcd_tune", 0.05)):
        if s in oa:
            good = oa[s]["answerable_refused"] <= cap and oa[s]["removed_recall"] >= ob[s]["removed_recall"] - 0.02
            ok &= good
            text.append(f"{s} FR {oa[s]['answerable_refused']:.4f} R {ob[s]['removed_recall']:.3f}->"
                        f"{oa[s]['removed_recall']:.3f}")
    c.append(("3 watched sets' false refusal within budget, recall not down > 0.02", ok, "; ".join(text)))
    e_b, e_a = ob["everyday_rounds"], oa["everyday_rounds"]
    para = [s for s in ("cmrc_trial_para", "drcd_tune_para") if s in oa]
    good = (e_a["answerable_refused"] <= e_b["answerable_refused"] + 0.01
            and e_a["removed_recall"] >= e_b["removed_recall"] - 0.02
            and all(oa[s]["answerable_refused"] <= ob[s]["answerable_refused"] + 0.01 for s in para))
    c.append(("4 everyday answerable refused not up > 1 pt, unanswerable not down > 0.02; rewordings not up > 1 pt", good,
              f"everyday refused {e_b['answerable_refused']:.4f} -> {e_a['answerable_refused']:.4f}, unanswerable "
              f"{e_b['removed_recall']:.3f} -> {e_a['removed_recall']:.3f}; " + "; ".join(
                  f"{s} {ob[s]['answerable_refused']:.4f} -> {oa[s]['answerable_refused']:.4f}" for s in para)))
    c.append(("5 scoring time ratio <= 1.2", ratio <= 1.2, f"{ratio:.3f}"))
    return c


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, type=Path)
    ap.add_argument("--after", required=True, type=Path)
    ap.add_argument("--oof-before", required=True, type=Path)
    ap.add_argument("--oof-after", required=True, type=Path)
    ap.add_argument("--shipped", type=Path, default=ROOT / "rag" / "calibration.json")
    ap.add_argument("--rows", type=Path, default=None, help="default $RAG_HOME/calib_rows_cmrc_dev_tune.jsonl")
    ap.add_argument("--json-out", type=Path, default=None)
    args = ap.parse_args(argv)
    rows_path = args.rows or data_dir() / f"calib_rows_{SET}.jsonl"
    rows = [json.loads(x) for x in rows_path.read_text(encoding="utf-8").splitlines()]
    sel, shipped = load_model(args.shipped)
    feats, y = refusal_features(rows, sel, dense=True)
    hit = np.array([quote_hit(r, sel) for r in rows])
    arms = {}
    for name, path in (("shipped", args.shipped), ("before_refit", args.before)):
        s, m = load_model(path)
        assert s.to_dict() == sel.to_dict(), f"{path}: another selector"
        arms[name] = rates(np.array([m.probability(f) for f in feats]) < m.threshold, y, hit)
    _, cand = load_model(args.after)
    o = json.loads(args.oof_after.read_text(encoding="utf-8"))
    p = np.array(o["p"])[np.array(o["set"]) == SET]
    assert (np.array(o["y"])[np.array(o["set"]) == SET] == y).all(), "out-of-fold rows are not the rows file's"
    arms["after_oof"] = rates(p < cand.threshold, y, hit)
    arms["after_in_sample"] = rates(np.array([cand.probability(f) for f in feats]) < cand.threshold, y, hit)
    before = max((arms["shipped"], arms["before_refit"]), key=lambda r: r["removed_recall"])
    ob = oof_sets(args.oof_before, load_model(args.before)[1].threshold)
    oa = oof_sets(args.oof_after, cand.threshold)
    ratio = scoring_ratio(feats, cand, shipped)
    clauses = verdict(before, arms["after_oof"], ob, oa, ratio)
    report = {"rows": str(rows_path), "thresholds": {"shipped": shipped.threshold,
                                                     "before_refit": load_model(args.before)[1].threshold,
                                                     "after": cand.threshold},
              "cmrc_dev_tune": arms, "oof_before": ob, "oof_after": oa, "scoring_ratio": ratio,
              "clauses": [{"clause": n, "pass": bool(g), "figures": t} for n, g, t in clauses],
              "keep": all(g for _, g, _ in clauses)}
    print(json.dumps(report, indent=1))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
