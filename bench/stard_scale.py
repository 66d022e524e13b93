"""Choose how much of the query adapter's correction to apply, and the hybrid's weights with it, by CV inside tune.

The shipped adapter moves the question vector ``q' = normalise(q + scale·q·Aᵀ)``. On the 31-law product index
the full correction (scale 1) lowers dense hit@1 while it raises @5/@10, so a partial correction may rank
better. Each tune question is retrieved (the product's ``rag.retrieve.retrieve``, general hybrid, k = 10)
through its fold's cross-fitted adapter (``bench/stard_crossfit.py``: fitted on the other folds, folds grouped
by gold article) at each scale × weight pair; the pair is chosen on 3 folds by hit@1 + @5 + @10 and scored
on the 4th, and the held-out figures are pooled. The report fold is not read.

    python bench/stard_scale.py [--set SET] [--cache DIR] [--adapter-index FULL_ARCHIVE_HOME]
    python bench/fit_query_adapter.py --set-scale S      # store the chosen scale in rag/data/query_adapter.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SCALES = (1.0, 0.6, 0.4, 0.25)
WEIGHTS = ((0.6, 0.2), (0.45, 0.25), (0.3, 0.35))


def hits_table(index, emb, items, folds: dict[str, int], paths: dict[tuple[int, float], Path]) -> dict:
    """``{(scale, weights): array (questions × hit@1/@5/@10)}`` through each question's fold adapter."""
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.textnorm import normalize, search_form
    golds = [[search_form(normalize(a)[0]) for a in it.answers] for it in items]
    out = {}
    for sc in SCALES:
        for w in WEIGHTS:
            rows = []
            for it, g in zip(items, golds):
                cfg = RetrieveConfig(query_adapter="auto", adapter=str(paths[(folds[it.qid], sc)]), adapter_weights=w)
                rel = [any(x in search_form(h.chunk.text) for x in g)
                       for h in retrieve(index, it.question, embedder=emb, k=10, config=cfg)]
                rows.append([any(rel[:1]), any(rel[:5]), any(rel[:10])])
            out[(sc, w)] = np.array(rows, float)
            print(f"scale {sc:g} weights {w}: tune hit@1/5/10 {np.round(out[(sc, w)].mean(0), 3).tolist()}", flush=True)
    return out


def cross_validate(table: dict, fold_of: np.ndarray) -> tuple[np.ndarray, list]:
    """Pooled held-out hit@1/@5/@10 of the pair chosen on the other folds, and the pair each fold chose."""
    held = np.zeros((len(fold_of), 3))
    chosen = []
    for f in sorted(set(fold_of.tolist())):
        best = max(table, key=lambda key: table[key][fold_of != f].mean(0).sum())
        chosen.append(best)
        held[fold_of == f] = table[best][fold_of == f]
    return held.mean(0), chosen


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/stard_answers")
    ap.add_argument("--adapter-index", default=os.environ.get("RAG_ADAPTER_INDEX", "/tmp/fullbuild4/this-0"))
    ap.add_argument("--folds", type=int, default=4)
    a = ap.parse_args()
    from stard_crossfit import fold_adapters

    from rag.embed import get_embedder
    from rag.evaluate import _QueryCache, load_dataset
    from rag.index import open_index
    index = open_index(a.set / "home")
    emb = _QueryCache(get_embedder(index.embedder_name))
    _, items = load_dataset(a.set / "stard_tune.jsonl")
    paths = {}
    for sc in SCALES:
        folds, ps = fold_adapters(a.adapter_index, a.set / "stard_tune.jsonl", k=a.folds,
                                  out_dir=Path(a.cache) / "xfit", scale=sc)
        paths.update({(f, sc): p for f, p in enumerate(ps)})
    table = hits_table(index, emb, items, folds, paths)
    held, chosen = cross_validate(table, np.array([folds[it.qid] for it in items]))
    base = table[(1.0, WEIGHTS[0])].mean(0)
    print(json.dumps({"held_out_hit@1/5/10": np.round(held, 3).tolist(), "chosen_per_fold": [list(c) for c in chosen],
                      "scale 1, weights 0.6/0.2 (round 4)": np.round(base, 3).tolist()}))


if __name__ == "__main__":
    main()
