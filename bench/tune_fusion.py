"""Choose the hybrid fusion by measurement on tuning data (CMRC2018 *trial*; the README reports dev).

Prints recall@1/5 and MRR@10 for BM25, dense, reciprocal-rank fusion,
convex score fusion, the added character-bigram BM25 and the sentence-evidence
re-ranking at several weights, all on one index in one run.
The reported benchmarks (CMRC2018 dev, DRCD dev) are never used here.

    python bench/tune_fusion.py [--data ../shared/data/cmrc2018/cmrc2018_trial.json] [--limit N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.embed import get_embedder  # noqa: E402
from rag.evaluate import _QueryCache, dataset_index, evaluate, load_dataset  # noqa: E402
from rag.retrieve import RetrieveConfig  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[1]
    ap.add_argument("--data", default=str(here.parent / "shared/data/cmrc2018/cmrc2018_trial.json"))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--embedder", default=None)
    args = ap.parse_args()
    docs, items = load_dataset(args.data)
    items = items[: args.limit] if args.limit else items
    emb = _QueryCache(get_embedder(args.embedder))
    index = dataset_index(docs, embedder=emb.inner, progress=True)
    print(f"{args.data}: {len(items)} questions, {len(index.chunks)} chunks, embedder {emb.name}")
    print(f"{'setting':<28} {'recall@1':>9} {'recall@5':>9} {'mrr@10':>8}")
    def C(**kw):  # static weights: the query-dependent rule (bench/tune_adaptive.py) is off here
        return RetrieveConfig(adaptive=False, **kw)

    rows = [("bm25 (words)", "bm25", C()), ("dense", "dense", C()),
            ("rrf dense+words, equal", "hybrid", C(fusion="rrf", weight=0.5, bigram_weight=0, rerank_weight=0)),
            ("convex dense+words w=.3", "hybrid", C(weight=0.3, bigram_weight=0, rerank_weight=0)),
            ("convex dense+words w=.5", "hybrid", C(weight=0.5, bigram_weight=0, rerank_weight=0)),
            ("+bigrams .3/.35/.35", "hybrid", C(weight=0.3, bigram_weight=0.35, rerank_weight=0)),
            ("+bigrams .2/.4/.4", "hybrid", C(weight=0.2, bigram_weight=0.4, rerank_weight=0))]
    rows += [(f"+bigrams+rerank w={w} r={r}", "hybrid", C(weight=w, bigram_weight=(1 - w) / 2, rerank_weight=r))
             for w in (0.2, 0.3, 0.4) for r in (0.5, 0.8, 1.2)]
    for name, mode, cfg in rows:
        m = evaluate(index, items, embedder=emb, modes=[mode], config=cfg)[mode]
        print(f"{name:<28} {m['recall@1']:>9.4f} {m['recall@5']:>9.4f} {m['mrr@10']:>8.4f}", flush=True)


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", str(Path(__file__).resolve().parents[1] / "bench" / "out" / "home"))
    main()
