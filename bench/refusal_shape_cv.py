"""Do score-shape / channel-agreement features (rag/refusal_shape.py) separate "not in the index" better? (round 7)

Reads the feature rows of ``bench/calibrate_answers.py`` in ``$RAG_HOME`` (as ``bench/refusal_tradeoff.py``),
fits the dense refusal trees with and without the ``sh_*`` features on the shipped rows (CMRC trial, DRCD tune,
their rewordings, everyday_dev, round 5's everyday held-out set), 4 folds grouped by article, and applies the
shipped threshold rule (3 % CMRC/DRCD false refusal, each everyday kind ≤ 8 %, floor 90 % CMRC/DRCD removed
recall). Prints per variant: AUC per kind (out of fold), the rule's threshold, CMRC/DRCD removed-article recall
and each kind's false refusals there; and, on round 6's everyday sets (``calib_rows_everyday_h6*.jsonl``, rows
whose first hit is not a statute article; development data, never fitted here), the full-data model's false
refusals and refusal recall at that threshold.

    RAG_HOME=H python bench/refusal_shape_cv.py [--corpus-home C --h6docs-home D]

The round-6 rows are recorded on first use (``bench/calib_rows.py`` ``dev_set_rows``) when ``--corpus-home`` (an
index of ``corpus/``) and ``--h6docs-home`` (``python bench/everyday_heldout6.py build --home D``) are given.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from calibrate_answers import REF_DENSE, SEL_DENSE, fit_refusal, fit_selector, refusal_features  # noqa: E402
from rag.config import data_dir  # noqa: E402
from rag.refusal_shape import SHAPE_FEATURES  # noqa: E402
from refusal_tradeoff import KINDS, auc, kind, load  # noqa: E402

VARIANTS = {"shipped": REF_DENSE, "shape": REF_DENSE + list(SHAPE_FEATURES)}


SETS = (("everyday_h6", "everyday_heldout6.jsonl"), ("everyday_h6docs", "everyday_heldout6_docs.jsonl"))


def transfer_rows(home: Path, indexes: dict[str, str | None]) -> list[dict]:
    """General-answerer rows of the round-6 everyday sets (recorded into ``home`` when an index is given)."""
    rows = []
    for name, file in SETS:
        path = home / f"calib_rows_{name}.jsonl"
        if not path.exists() and indexes.get(name):
            from calib_rows import CachedQueries, dev_set_rows
            from rag.embed import get_embedder

            emb = CachedQueries(get_embedder("e5-small"), home / "qcache.npz")
            dev_set_rows(name, ROOT / "bench" / "data" / file, Path(indexes[name]), emb, path, reuse=False)
            emb.save()
        if path.exists():
            rows += [r for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
                     if not r["statute"] and not r["set"].endswith("_en")]
    return rows


def run(rows: list[dict], extra: list[dict], names: list[str], sel) -> dict:
    model, st = fit_refusal(rows, sel, names, True, 0.03, "trees", style_budget=0.08, min_removed_recall=0.90)
    o = st["oof"]
    p, y = np.array(o["p"]), np.array(o["y"])
    k = np.array([kind(r) for r in rows])
    thr = st["threshold"]
    out = {"auc": {kk: round(auc(p[k == kk], y[k == kk]), 3) for kk in KINDS}, "threshold": round(thr, 3),
           "removed_recall_orig": round(float((p < thr)[(y == 0) & (k == "orig")].mean()), 3),
           "false_refusal": {kk: round(float((p < thr)[(y == 1) & (k == kk)].mean()), 3) for kk in KINDS}}
    if extra:
        feats, ye = refusal_features(extra, sel, True, shape=any(n.startswith("sh_") for n in names))
        pe = np.array([model.probability(f) for f in feats])
        kinds = np.array([r.get("kind", "") for r in extra])
        out["h6"] = {"auc": round(auc(pe, ye), 3),
                     "false_refusal": round(float((pe < thr)[ye == 1].mean()), 3),
                     "removed_recall": round(float((pe < thr)[kinds == "removed"].mean()), 3),
                     "native_recall": round(float((pe < thr)[kinds == "native"].mean()), 3),
                     "n": {"answerable": int((ye == 1).sum()), "removed": int((kinds == "removed").sum()),
                           "native": int((kinds == "native").sum())}}
    return out


def main() -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-home", help="Index of corpus/ (for everyday_heldout6's rows, when not recorded yet).")
    ap.add_argument("--h6docs-home", help="Index of everyday_heldout6_docs' 16 documents (likewise).")
    args = ap.parse_args()
    home = data_dir()
    rows = load(home, 1000)
    extra = transfer_rows(home, {"everyday_h6": args.corpus_home, "everyday_h6docs": args.h6docs_home})
    sel = fit_selector([r for r in rows if kind(r) == "orig"], SEL_DENSE)
    print(json.dumps({"rows": {kk: int(sum(kind(r) == kk for r in rows)) for kk in KINDS}, "h6_rows": len(extra)}))
    for name, names in VARIANTS.items():
        print(json.dumps({"variant": name, **run(rows, extra, names, sel)}), flush=True)


if __name__ == "__main__":
    main()
