"""The refusal trade-off across question kinds, out of fold (round 6, issue 9).

Reads the feature rows ``bench/calibrate_answers.py`` saved in ``$RAG_HOME`` (run it first with
``--paraphrase N --everyday HOME``), fits the dense refusal model on 4 article-grouped folds for each
variant below, and prints, per variant: the AUC on each kind of question (CMRC trial / DRCD tune as
written, their everyday-style rewordings, everyday_dev, round 5's everyday held-out set — development data
since round 6 — over the shipped corpus), and the trade-off curve — as the threshold
falls, the false refusals on CMRC/DRCD and on everyday-style questions against the refusal recall with
the own article removed. Every number is out of fold on tuning data (no reported set is read).

    RAG_HOME=/tmp/r6h2/home python bench/refusal_tradeoff.py [--variants base,rarity,para,base_para,all_h5,all_h5_base]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from calibrate_answers import REF_DENSE, REF_RARITY, SEL_DENSE, fit_refusal, fit_selector  # noqa: E402
from rag.config import data_dir  # noqa: E402

#: variant → (refusal features, which kinds of rows are fitted on; the others are only predicted)
BASE, RARITY = REF_DENSE, REF_DENSE + REF_RARITY
VARIANTS = {"base": (BASE, ("orig",)), "rarity": (RARITY, ("orig",)), "para": (RARITY, ("orig", "para")),
            "base_para": (BASE, ("orig", "para")), "all": (RARITY, ("orig", "para", "everyday")),
            "all_h5": (RARITY, ("orig", "para", "everyday", "h5")),
            "all_h5_base": (BASE, ("orig", "para", "everyday", "h5"))}  # the shipped configuration
KINDS = ("orig", "para", "everyday", "h5")


def kind(row: dict) -> str:
    return "para" if row["set"].endswith("_para") else {"everyday": "everyday", "everyday_h5": "h5"}.get(row["set"], "orig")


def load(home: Path, para: int) -> list[dict]:
    rows = []
    for name in ("cmrc_trial", "drcd_tune", f"cmrc_trial_para_{para}", f"drcd_tune_para_{para}", "everyday", "everyday_h5"):
        path = home / f"calib_rows_{name}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["set"] in ("everyday", "everyday_h5") and r.get("statute"):
                continue  # those go to the statute answerer
            if not r["set"].endswith("_en"):
                rows.append(r)
    return rows


def auc(p: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else float("nan")


def curve(p: np.ndarray, y: np.ndarray, k: np.ndarray, budgets=(0.005, 0.01, 0.02, 0.03, 0.05)) -> list[dict]:
    """Per CMRC/DRCD false-refusal budget b: threshold (b-quantile of their positives) → the rates there."""
    out = []
    pos = np.sort(p[(y == 1) & (k == "orig")])
    style = k != "orig"
    for b in budgets:
        thr = float(pos[int(b * len(pos))])
        r = p < thr
        out.append({"budget": b, "threshold": round(thr, 3),
                    "removed_recall_orig": round(float(r[(y == 0) & (k == "orig")].mean()), 3),
                    "false_refusal_para": round(float(r[(y == 1) & (k == "para")].mean()), 3),
                    "false_refusal_everyday": round(float(r[(y == 1) & (k == "everyday")].mean()), 3),
                    "false_refusal_h5": round(float(r[(y == 1) & (k == "h5")].mean()), 3),
                    "removed_recall_style": round(float(r[(y == 0) & style].mean()), 3)})
    return out


def run(rows: list[dict], variant: str) -> dict:
    names, fit_kinds = VARIANTS[variant]
    rows = [dict(r, w=1.0 if kind(r) in fit_kinds else 0.0) for r in rows]
    sel = fit_selector([r for r in rows if kind(r) == "orig"], SEL_DENSE)  # as calibrate_answers: round 5's rows
    _, st = fit_refusal(rows, sel, names, True, 0.03, "trees")
    o = st["oof"]
    p, y = np.array(o["p"]), np.array(o["y"])
    k = np.array([kind(r) for r in rows])
    return {"variant": variant, "auc": {kk: round(auc(p[k == kk], y[k == kk]), 3) for kk in KINDS},
            "curve": curve(p, y, k)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="base,rarity,para,base_para,all_h5,all_h5_base")
    ap.add_argument("--paraphrase", type=int, default=1000, help="N of the calibrate_answers --paraphrase run.")
    args = ap.parse_args()
    rows = load(data_dir(), args.paraphrase)
    print(json.dumps({"rows": {kk: int(sum(kind(r) == kk for r in rows)) for kk in KINDS}}))
    for v in args.variants.split(","):
        print(json.dumps(run(rows, v)), flush=True)


if __name__ == "__main__":
    main()
