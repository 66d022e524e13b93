"""Grouped-CV choice of the everyday_dev row weight (and of extra refusal features) — out-of-fold figures.

Reads the feature rows that ``bench/calibrate_answers.py --reuse-rows --everyday HOME`` caches in
``$RAG_HOME`` (``calib_rows_{cmrc_trial,drcd_tune,stard_tune,everyday}.jsonl``; run that first) and, for each
weight W, refits the dense selector and refusal model on 3 of 4 folds (groups: CMRC/DRCD article, everyday
document; an everyday question about a CMRC trial article shares that article's group; one fold assignment for
every W) with the everyday rows weighted W, predicting the 4th. The threshold refuses 3 % of the CMRC trial +
DRCD tune answerable questions out of fold, as the refit does. STARD rows train the selector only; everyday
rows that go to the statute answerer and English ones are left out, as in the refit. With ``--everyday-budgets``
the threshold also refuses at most Y of the everyday answerable questions (lower of the two thresholds, out of fold).
Prints one JSON line per W (and budget):
per tuning set the top sentence share / false refusal / refusal recall, and for the everyday questions
(``ev``; ``ev_cmrc``, ``ev_law`` by document kind): quote contains answer and not refused, refused answerable,
native unanswerable refusal recall / precision, AUC answerable vs native unanswerable, own-document-removed recall.

    RAG_HOME=H python bench/everyday_weight_cv.py --weights 0,1,3,10,30,100,300
    RAG_HOME=H python bench/everyday_weight_cv.py --weights 0 --everyday-budgets none,0.10,0.05
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

from calibrate_answers import REF_DENSE, SEL_DENSE, _article, _lr, refusal_features  # noqa: E402
from rag.config import data_dir  # noqa: E402


def load(home: Path) -> list[dict]:
    rows = []
    for name in ("cmrc_trial", "drcd_tune", "stard_tune", "everyday"):
        rows += [json.loads(x) for x in (home / f"calib_rows_{name}.jsonl").read_text(encoding="utf-8").splitlines()]
    return [r for r in rows if r["set"] != "everyday_en" and not r.get("statute")]


def folds(rows: list[dict], k: int = 4) -> np.ndarray:
    groups = sorted({_article(r) for r in rows})
    perm = np.random.RandomState(0).permutation(len(groups))
    of = {groups[j]: i % k for i, j in enumerate(perm)}
    return np.array([of[_article(r)] for r in rows])


def _selector(rows, idx, w_ev):
    X, y, w = [], [], []
    for i in idx:
        r = rows[i]
        if r["answerable"] and any(lab for _, lab in r["cands"]):
            for f, lab in r["cands"]:
                X.append([f.get(n, 0.0) for n in SEL_DENSE])
                y.append(lab)
                w.append(w_ev if r["set"] == "everyday" else 1.0)
    return _lr(np.array(X), np.array(y), SEL_DENSE, w=np.array(w))


def _hgb(X, y, w):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                          early_stopping=False, random_state=0).fit(X, y, sample_weight=w)


def out_of_fold(rows, fold, w_ev: float, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold P(answerable) and "the selector's top sentence holds the answer" per row."""
    sets, y = np.array([r["set"] for r in rows]), np.array([r["answerable"] for r in rows])
    p, top = np.zeros(len(rows)), np.zeros(len(rows))
    for k in range(fold.max() + 1):
        tr, te = np.where(fold != k)[0], np.where(fold == k)[0]
        sel = _selector(rows, tr, w_ev)
        feats, _ = refusal_features(rows, sel, True)
        X = np.array([[f.get(n, 0.0) for n in names] for f in feats])
        rtr = tr[sets[tr] != "stard_tune"]
        p[te] = _hgb(X[rtr], y[rtr], np.where(sets[rtr] == "everyday", w_ev, 1.0)).predict_proba(X[te])[:, 1]
        for i in te:
            if rows[i]["cands"]:
                top[i] = max(rows[i]["cands"], key=lambda c: sel.probability(c[0]))[1]
    return p, top


def threshold(rows, p, everyday_budget: float | None = None) -> float:
    """The refit's rule: refuse ≤ 3 % of the CMRC trial + DRCD tune answerable questions and, with
    ``everyday_budget`` Y, ≤ Y of the everyday (non-statute) answerable ones — the lower of the two thresholds."""
    sets, y = np.array([r["set"] for r in rows]), np.array([r["answerable"] for r in rows])
    pos = np.sort(p[(y == 1) & np.isin(sets, ["cmrc_trial", "drcd_tune"])])
    thr = float(pos[int(0.03 * len(pos))])
    ev = np.sort(p[(y == 1) & (sets == "everyday")])
    if everyday_budget is not None and len(ev):
        thr = min(thr, float(ev[int(everyday_budget * len(ev))]))
    return thr


def report(rows, p, top, w_ev: float, everyday_budget: float | None = None) -> dict:
    from sklearn.metrics import roc_auc_score

    sets, y = np.array([r["set"] for r in rows]), np.array([r["answerable"] for r in rows])
    ref = p < threshold(rows, p, everyday_budget)
    out: dict = {"w": w_ev, "everyday_budget": everyday_budget}
    for s in ("cmrc_trial", "drcd_tune"):
        m = sets == s
        out[s] = {"top": round(top[m & (y == 1)].mean(), 4), "false_refusal": round(ref[m & (y == 1)].mean(), 4),
                  "refusal_recall": round(ref[m & (y == 0)].mean(), 4)}
    both = np.isin(sets, ["cmrc_trial", "drcd_tune"])
    out["cmrc_drcd"] = {"false_refusal": round(ref[both & (y == 1)].mean(), 4),
                        "refusal_recall": round(ref[both & (y == 0)].mean(), 4)}
    kind = np.array([r.get("kind", "") for r in rows])
    law = np.array([bool(r.get("law")) for r in rows])
    ev = sets == "everyday"
    for lab, sub in (("ev", ev), ("ev_cmrc", ev & ~law), ("ev_law", ev & law)):
        a, u, rm = sub & (kind == "full"), sub & (kind == "native"), sub & (kind == "removed")
        if not a.any():
            continue
        auc = roc_auc_score(np.r_[np.ones(a.sum()), np.zeros(u.sum())], np.r_[p[a], p[u]]) if u.any() else None
        out[lab] = {"n": int(a.sum()), "n_native": int(u.sum()), "quote": round((top[a] * ~ref[a]).mean(), 3),
                    "refused": round(ref[a].mean(), 3), "native_recall": round(ref[u].mean(), 3) if u.any() else None,
                    "native_precision": round(ref[u].sum() / max(ref[u].sum() + ref[a].sum(), 1), 3),
                    "auc": None if auc is None else round(auc, 3), "removed_recall": round(ref[rm].mean(), 3)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", default="0,1,3,10,30,100,300")
    ap.add_argument("--extra", nargs="*", default=[], help="Refusal features to add to the dense list.")
    ap.add_argument("--everyday-budgets", default="none",
                    help="Comma list of everyday budgets Y (none, or a share such as 0.10) to report per weight "
                         "(the threshold rule of calibrate_answers.py --everyday-budget).")
    a = ap.parse_args()
    rows = load(data_dir())
    fold = folds(rows)
    for w in map(float, a.weights.split(",")):
        p, top = out_of_fold(rows, fold, w, REF_DENSE + a.extra)
        for b in a.everyday_budgets.split(","):
            print(json.dumps(report(rows, p, top, w, None if b == "none" else float(b))), flush=True)


if __name__ == "__main__":
    main()
