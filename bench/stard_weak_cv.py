"""Does adding judicial-interpretation weak pairs to the query adapter's training help? (round 9, issue 10; CV inside
STARD tune, nothing shipped unless it passes).

For each weak-pair weight ``w`` of a grid and each of the 4 folds of STARD tune (grouped by gold article: the
round-8 ``folds.json`` of ``bench/stard_crossfit.py``), an adapter is fitted with the shipped recipe on the other
three folds' questions plus every weak pair (``bench/stard_weak_pairs.py``) at weight ``w`` (``w = 0``: the
shipped recipe alone, the baseline), against the same full-archive index; it is applied at the shipped scale
(0.6) and the fold's questions are retrieved through ``rag.retrieve.retrieve`` on the 31-law index (k = 10;
a hit = a passage holding a gold answer sentence). ``w`` is then chosen on 3 folds and scored on the 4th.

    python bench/stard_weak_cv.py --adapter-index FULL_HOME --home H31 --tune T.jsonl --crossfit FOLDS.json \
        --pairs pairs.jsonl --work DIR [--weights 0,0.1,0.3,1]
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

from fit_query_adapter import index_training_set, train
from stard_crossfit import SHIPPED


def weak_vectors(pairs: Path, embedder, cache: Path) -> tuple[np.ndarray, list[set[int]]]:
    from rag.textnorm import to_mainland
    recs = [json.loads(x) for x in pairs.read_text(encoding="utf-8").splitlines() if x.strip()]
    if cache.exists():
        W = np.load(cache)
    else:
        W = np.asarray(embedder.embed_queries([to_mainland(r["text"]) for r in recs]), np.float32)
        np.save(cache, W)
    return W, [set(r["rows"]) for r in recs]


def fit_adapters(a, emb, work: Path, weights: list[float]) -> dict[tuple[float, int], Path]:
    from rag.query_adapter import QueryAdapter, save_adapter
    Q, golds, P, ids = index_training_set(a.adapter_index, a.tune, emb, with_ids=True)
    folds = json.loads(Path(a.crossfit).read_text())["folds"]
    fold = np.array([folds[i] for i in ids])
    W, wg = weak_vectors(Path(a.pairs), emb, work / "weak_vectors.npy")
    print(f"{len(ids)} tune questions with a gold passage, {len(wg)} weak pairs", file=sys.stderr, flush=True)
    out = {}
    for w in weights:
        for f in range(4):
            path = work / f"adapter_w{w:g}_fold{f}.json"
            out[(w, f)] = path
            if path.exists():
                continue
            t0 = time.time()
            fit = np.flatnonzero(fold != f)
            Qf, gf, wt = Q[fit], [golds[i] for i in fit], np.ones(len(fit), np.float32)
            if w > 0:
                Qf, gf = np.vstack([Qf, W]), gf + wg
                wt = np.concatenate([wt, np.full(len(wg), w, np.float32)])
            params = train(Qf, gf, P, np.ones(len(P), bool), SHIPPED, weights=wt)[SHIPPED.steps]
            save_adapter(path, QueryAdapter(emb.fingerprint, A=params["A"], scale=0.6,
                                            meta={"built_by": "bench/stard_weak_cv.py", "w": w, "fold": f}))
            print(f"  w={w:g} fold {f}: {len(Qf)} rows, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return out


def ranks(a, emb, adapters: dict[tuple[float, int], Path]) -> dict[str, dict]:
    from mixed_law_dev import load_items, rank_of
    from stard_prf_cv import CachedEmbedder

    from rag.index import open_index
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.textnorm import normalize, search_form
    index, ce = open_index(a.home), CachedEmbedder(emb)
    folds = json.loads(Path(a.crossfit).read_text())["folds"]
    rows = {}
    for it in load_items(a.tune):
        f = folds.get(str(it.qid))
        if f is None:
            continue
        golds = [search_form(normalize(x)[0]) for x in it.answers]
        r = rows[str(it.qid)] = {"fold": f, "ranks": {}}
        for (w, ff), path in adapters.items():
            if ff == f:
                hits = retrieve(index, it.question, embedder=ce, k=10, config=RetrieveConfig(adapter=str(path)))
                r["ranks"][f"{w:g}"] = rank_of(hits, golds) or 0
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for x in ("--adapter-index", "--home", "--tune", "--crossfit", "--pairs", "--work"):
        ap.add_argument(x, required=True)
    ap.add_argument("--weights", default="0,0.1,0.3,1")
    a = ap.parse_args()
    from stard_prf_cv import choose_by_folds, hits, verdict

    from rag.embed import get_embedder
    work = Path(a.work)
    work.mkdir(parents=True, exist_ok=True)
    weights = [float(x) for x in a.weights.split(",")]
    emb = get_embedder("e5-small")
    rows = ranks(a, emb, fit_adapters(a, emb, work, weights))
    (work / "rows.json").write_text(json.dumps(rows))
    rs = list(rows.values())
    keys = [f"{w:g}" for w in weights]
    print(f"STARD tune, 31-law index, {len(rs)} q, each through an adapter fitted without its fold (scale 0.6)")
    for k in keys:
        print(f"  weak-pair weight {k}: hit@1/@5/@10 " + " / ".join(f"{x:.3f}" for x in hits(rs, k)))
    cv, chosen = choose_by_folds(rs, keys)
    d, keep = verdict(cv, hits(rs, keys[0]))
    print(f"CV (weight chosen on 3 folds: {chosen}): " + " / ".join(f"{x:.3f}" for x in cv)
          + f" (Δ {d[0]:+.1f} / {d[1]:+.1f} / {d[2]:+.1f} points vs w=0) -> {'KEEP' if keep else 'no'}")


if __name__ == "__main__":
    main()
