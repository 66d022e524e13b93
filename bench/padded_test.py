"""Round 11 hypothesis test: does a larger index of look-alike articles lower the refusal recall out of fold?

The shipped procedure (refusal trees over ``REF_DENSE``, the shipped selector, the rows named in
``rag/calibration.json``'s note) is refitted 4 times, each time without one fold of articles (GroupKFold by article,
as ``calibrate_answers.fit_refusal``), and predicts (a) its own left-out training rows — the shipped ``tune_stats`` —
and (b) the same questions asked on the padded index (``bench/padded_rows.py``: CMRC trial + the DRCD tune half in
simplified script, 718 documents), whose article lies in the left-out fold. Both are read at the shipped threshold and
over a grid (``at_rule``: the threshold the shipped procedure's utility rule gives on these refits, main's 0.153;
``at_shipped``: the one stored in ``rag/calibration.json``, whichever file that is). With ``--train-pad`` the padded rows are also training rows (a refit candidate's out-of-fold figures).

    RAG_HOME=H python bench/padded_test.py [--train-pad] [--out FILE]

Needs the cached rows of the shipped refit in ``$RAG_HOME`` (``calib_rows_*.jsonl``, see docs/answers.md round 10).
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

from calibrate_answers import _article, _hgb  # noqa: E402
from everyday_loro import Features, read_rows, rule_threshold  # noqa: E402
from everyday_rounds import SETS, general_rows  # noqa: E402

from rag.select import LinearModel  # noqa: E402

#: the shipped refit's Chinese refusal rows, in calibrate_answers.py's order
SHIPPED_SETS = ("cmrc_trial", "cmrc_trial_para_1000", "drcd_tune", "drcd_tune_para_1000")
PAD_SETS = ("cmrc_trial_pad", "drcd_tune_pad")


def shipped_rows(home: Path) -> list[dict]:
    """The rows of the shipped general refusal model (CMRC/DRCD + rewordings + the everyday rounds' general rows)."""
    rows = [r for n in SHIPPED_SETS for r in read_rows(home, n)]
    return rows + [r for name, _, _, _ in SETS for r in general_rows(read_rows(home, name))]


def oof_predictions(F: Features, train: np.ndarray, extra: np.ndarray, folds: int = 4) -> np.ndarray:
    """Out-of-fold P(answerable) of rows ``train`` (fitted on) and ``extra`` (predicted only, by the model that did
    not see their article's fold). Folds: GroupKFold over the training rows' articles."""
    from sklearn.model_selection import GroupKFold

    p = np.full(len(F.y), np.nan)
    fold_of: dict[str, int] = {}
    for k, (tr, te) in enumerate(GroupKFold(n_splits=folds).split(F.X[train], groups=F.groups[train])):
        fold_of.update({g: k for g in F.groups[train][te]})
        m = _hgb(F.X[train][tr], F.y[train][tr])
        p[train[te]] = m.predict_proba(F.X[train][te])[:, 1]
        ex = extra[[fold_of.get(g, -1) == k for g in F.groups[extra]]] if len(extra) else extra
        if len(ex):
            p[ex] = m.predict_proba(F.X[ex])[:, 1]
    return p


def rates(p: np.ndarray, y: np.ndarray, sets: np.ndarray, thr: float, names) -> dict:
    from sklearn.metrics import roc_auc_score

    out = {}
    for s in names:
        m = sets == s
        if not m.any() or np.isnan(p[m]).any():
            continue
        out[s] = {"false_refusal": float((p[m & (y == 1)] < thr).mean()),
                  "removed_recall": float((p[m & (y == 0)] < thr).mean()),
                  "auc": float(roc_auc_score(y[m], p[m])), "answerable": int((m & (y == 1)).sum()),
                  "removed": int((m & (y == 0)).sum())}
    return out


def main(argv: list[str] | None = None) -> int:
    from rag.config import data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train-pad", action="store_true", help="also fit on the padded rows")
    ap.add_argument("--floor-sets", default="cmrc_trial,drcd_tune",
                    help="the rows bounding the utility rule's threshold (with --train-pad: cmrc_trial_pad,drcd_tune_pad)")
    ap.add_argument("--pad-file", default="",
                    help="read the padded rows from calib_rows_<set>_pad<SUFFIX>.jsonl (e.g. _s50: padded_rows.py --share 0.5)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    home = data_dir()
    cal = json.loads((ROOT / "rag" / "calibration.json").read_text(encoding="utf-8"))
    sel = LinearModel.from_dict(cal["models"]["dense"]["selector"])
    ship_thr = cal["models"]["dense"]["refusal"]["threshold"]
    train_rows = shipped_rows(home)
    pad = [r for n in PAD_SETS if (home / f"calib_rows_{n}{args.pad_file}.jsonl").exists()
           for r in read_rows(home, n + args.pad_file)]
    rows = train_rows + pad
    F = Features(rows, sel)
    F.groups = np.array([_article(r) for r in rows])
    n0 = len(train_rows)
    train = np.arange(len(rows)) if args.train_pad else np.arange(n0)
    extra = np.array([], dtype=int) if args.train_pad else np.arange(n0, len(rows))
    p = oof_predictions(F, train, extra)
    thr = rule_threshold("utility", p[train], F.y[train], F.sets[train], F.hit[train],
                         tuple(args.floor_sets.split(",")))
    names = ("cmrc_trial", "cmrc_trial_pad", "drcd_tune", "drcd_tune_pad")
    out = {"rows": {s: int((F.sets == s).sum()) for s in sorted(set(F.sets))}, "shipped_threshold": ship_thr,
           "rule_threshold": thr, "at_shipped": rates(p, F.y, F.sets, ship_thr, names),
           "at_rule": rates(p, F.y, F.sets, thr, names),
           "grid": {f"{t:.2f}": rates(p, F.y, F.sets, t, names) for t in (0.05, 0.1, 0.2, 0.3, 0.5, 0.7)}}
    print(json.dumps({k: out[k] for k in ("rows", "shipped_threshold", "rule_threshold", "at_shipped", "at_rule")},
                     indent=1))
    for t, per in out["grid"].items():
        print(t, " ".join(f"{s}: FR {v['false_refusal']:.3f} R {v['removed_recall']:.3f}" for s, v in per.items()))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
