"""Where do the adapter hybrid's STARD tune misses lie? (round 9, issue 10; diagnostic, nothing fitted).

For each tune question (through its fold's adapter, 31-law index, top 50): is a gold article in the top 5; if not,
is a gold article in one of the top-5 hits' laws, is it next to a top-5 hit (``rag.statute_dense.neighbour_rows``),
and at which rank does it come. Also the base rate: how often a neighbour of a top-5 hit is gold at all.

    python bench/stard_miss_diag.py --home H31 --tune T.jsonl --crossfit FOLDS.json
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for x in ("--home", "--tune", "--crossfit"):
        ap.add_argument(x, required=True)
    a = ap.parse_args()
    from mixed_law_dev import load_items

    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.statute_dense import neighbour_rows
    from rag.textnorm import normalize, search_form
    s = Searcher(a.home)
    ix, emb = s.index(), s.embedder
    cf = json.loads(Path(a.crossfit).read_text())
    nb = neighbour_rows(ix)
    texts = [search_form(c.text) for c in ix.chunks]
    row = {c.chunk_id: i for i, c in enumerate(ix.chunks)}
    n = miss5 = miss_nb = miss_law = nbgold = nbtot = 0
    missrank = []
    for it in load_items(a.tune):
        f = cf["folds"].get(str(it.qid))
        if f is None:
            continue
        golds = [search_form(normalize(x)[0]) for x in it.answers]
        hits = retrieve(ix, it.question, embedder=emb, k=50, config=RetrieveConfig(adapter=cf["paths"][f]))
        g = [any(x in texts[row[h.chunk.chunk_id]] for x in golds) for h in hits]
        n += 1
        top5 = [row[h.chunk.chunk_id] for h in hits[:5]]
        cand = {j for r in top5 for j in nb[r]} - set(top5)
        gold_rows = {i for i, t in enumerate(texts) if any(x in t for x in golds)}
        nbtot += len(cand)
        nbgold += len(cand & gold_rows)
        if not any(g[:5]):
            miss5 += 1
            miss_nb += bool(cand & gold_rows)
            miss_law += bool({ix.chunks[r].doc_id for r in gold_rows} & {h.chunk.doc_id for h in hits[:5]})
            missrank.append(next((i + 1 for i, ok in enumerate(g) if ok), 99))
    print(f"{n} tune q (fold adapters): missed @5 {miss5}; of those, gold law among top-5 laws {miss_law}, "
          f"gold is a neighbour of a top-5 hit {miss_nb}")
    print(f"neighbours of top-5 hits (not themselves top-5): {nbtot}, gold {nbgold} ({nbgold / max(nbtot, 1):.3f})")
    print("rank of gold among top-50 for @5 misses (bucket 60 = not in the top 50):",
          sorted(collections.Counter(min(r // 10 * 10, 60) for r in missrank).items()))


if __name__ == "__main__":
    main()
