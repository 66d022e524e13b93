"""Milvus Lite: an incremental sync in place vs writing a new collection, same run.

N passages (the recipe of ``bench_milvus_scale.corpus_blocks``: real statute articles with cached e5
vectors plus synthetic ones, documents of 20 passages) are written into a fresh collection through
:func:`rag.milvus_store.build_stores` (what a full build, ``rag index --rebuild``, does). Then one sync
that removes ``--change`` documents and adds as many new ones (20 passages each) is applied in place
(:func:`rag.milvus_sync.update_in_place`, what ``rag index --sync`` does now) and, for comparison, as a
second fresh collection (what it did before). Reported: seconds and rows written for each, and dense
search p50/p95 before and after the in-place sync (the hidden documents add a ``doc_id not in [...]``
term to every search until they are deleted). Nothing is embedded here.

    nice -n 10 python bench/bench_milvus_sync.py --n 50000 --change 10 --out bench/results/milvus_sync
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_milvus_ivf import _docs, queries  # noqa: E402
from bench_milvus_scale import _pcts, corpus_blocks  # noqa: E402


def _corpus(n: int):
    from rag.tokenize import char_bigrams

    texts, vecs, terms, docs, types, dates = [], [], [], [], [], []
    for _, (t, v, tm, d, ty, da) in corpus_blocks(n):
        texts += t
        vecs.append(v)
        terms += tm
        docs += d
        types += ty
        dates += da
    return texts, np.concatenate(vecs), terms, [char_bigrams(t) for t in texts], docs, types, dates


def _p(dense, qs) -> dict:
    dense.search(qs[0][0], 10)  # warm
    ms = []
    for q in qs:
        t0 = time.perf_counter()
        dense.search(q[0], 10)
        ms.append((time.perf_counter() - t0) * 1000)
    return _pcts(ms)


def run(n: int, change: int, n_q: int) -> dict:
    from rag.milvus_store import build_stores

    texts, vecs, terms, bigrams, docs, types, dates = _corpus(n)
    chunks, meta = _docs(docs, types, dates)
    tmp = Path(tempfile.mkdtemp(prefix="msync-"))
    store = {"kind": "milvus", "uri": str(tmp / "m.db")}
    qs = queries(n_q, 2)
    try:
        t0 = time.perf_counter()
        dense = build_stores(store, tmp, vecs, terms, bigrams, chunks, meta)[0]
        full_s = time.perf_counter() - t0
        before = _p(dense, qs)
        syn = sorted({d for d in docs if d.startswith("syn-")})
        gone = set(syn[:change])
        keep = [i for i, d in enumerate(docs) if d not in gone]
        rng = np.random.default_rng(7)
        add = rng.integers(0, n, 20 * change)  # new documents: copies of random passages under new ids
        idx = keep + add.tolist()
        new_docs = [docs[i] for i in keep] + [f"new-{j // 20}" for j in range(len(add))]
        new_chunks, new_meta = _docs(new_docs, [types[i] for i in idx], [dates[i] for i in idx])
        for j, c in enumerate(new_chunks):  # chunk ids of kept passages are unchanged
            c.chunk_id = chunks[idx[j]].chunk_id if j < len(keep) else f"n{j}"
        args = (vecs[idx], [terms[i] for i in idx], [bigrams[i] for i in idx], new_chunks, new_meta)
        prev = SimpleNamespace(dense=dense, chunks=chunks, documents=meta, manifest={"store": store})
        t0 = time.perf_counter()
        synced = build_stores(store, tmp, *args, previous=prev)[0]
        sync_s = time.perf_counter() - t0
        after = _p(synced, qs)
        rows_written = int(synced._client.query(synced.collection, filter=f"born == {synced.gen}",
                                                output_fields=["count(*)"])[0]["count(*)"])
        t0 = time.perf_counter()
        build_stores(dict(store, prefix="again"), tmp, *args)
        again_s = time.perf_counter() - t0
        assert len(synced) == len(new_chunks)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"n": n, "changed_docs": change, "rows_removed": n - len(keep), "rows_added": len(add),
            "full_build_s": round(full_s, 1), "sync_in_place_s": round(sync_s, 2), "rows_written_in_place":
            rows_written, "sync_new_collection_s": round(again_s, 1), "rows_written_new_collection": len(idx),
            "dense_before": before, "dense_after_sync": after, "queries": n_q}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50_000)
    ap.add_argument("--change", type=int, default=10, help="documents removed and as many added")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    r = run(a.n, a.change, a.queries)
    r["command"] = "python bench/bench_milvus_sync.py " + " ".join(sys.argv[1:])
    print(json.dumps(r))
    if a.out:
        Path(a.out + ".json").write_text(json.dumps(r, indent=1))
        md = ["# Milvus Lite: sync in place vs a new collection", "", f"`{r['command']}`  ", "",
              f"{os.cpu_count()} cores shared with other work. {r['n']:,} passages; the sync removes "
              f"{r['changed_docs']} documents ({r['rows_removed']} rows) and adds {r['changed_docs']} "
              f"({r['rows_added']} rows). Dense top-10 p50/p95 over {r['queries']} queries.", "",
              "| what | seconds | rows written |", "|---|---|---|",
              f"| full build (fresh collection) | {r['full_build_s']} | {r['n']:,} |",
              f"| sync in place (`rag index --sync` now) | {r['sync_in_place_s']} | {r['rows_written_in_place']:,} |",
              f"| the same sync as a new collection (before) | {r['sync_new_collection_s']} | "
              f"{r['rows_written_new_collection']:,} |", "",
              f"Dense p50/p95 ms: before the sync {r['dense_before']['p50_ms']} / {r['dense_before']['p95_ms']}, "
              f"after it (hidden documents filtered) {r['dense_after_sync']['p50_ms']} / "
              f"{r['dense_after_sync']['p95_ms']}."]
        Path(a.out + ".md").write_text("\n".join(md) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
