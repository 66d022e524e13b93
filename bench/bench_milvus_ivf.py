"""Milvus Lite at scale: FLAT vs IVF_FLAT, and metadata filters as expressions vs document-id lists.

Builds ONE collection of N passages (``--build``; the recipe of ``bench_milvus_scale.corpus_blocks``:
the statute archive's real articles with cached e5 vectors plus synthetic ones, streamed 50,000 at a
time through :func:`rag.milvus_store.build_stores`, so the rows carry the scalar filter fields of
:mod:`rag.milvus_filters`), then measures query variants on it (``--query``), re-indexing the vector
field between variants (release, drop index, create index, load):

- vector index ``FLAT`` (exact) and ``IVF_FLAT`` with ``nlist`` in ``--nlist``; for each IVF index
  ``nprobe`` is chosen on a tuning query set (seed 1: the smallest in ``--nprobe`` whose dense
  recall@10 against FLAT is ≥ ``--target``) and reported on other queries (seed 2): recall@10 against
  FLAT (unfiltered dense and filtered dense) and p50/p95;
- ``hybrid+filter``: dense + word BM25 + bigram BM25, top 50 each, fused with
  :func:`rag.retrieve.fuse`, under a filter ``doc_type == <the query article's category> and day in
  <a 10-year window>``, sent as the expression of :func:`rag.milvus_filters.predicate_expr` (what
  ``rag ask --type … --from … --to …`` sends now) and as the ``doc_id in [...]`` list of the matching
  documents (what it sent before); every search also carries the generation filter (``born <= 0``).

Metadata per synthetic group of 20 passages: ``doc_type`` = the category of its source article,
``day`` = a year 1990–2025. Nothing is embedded here.

    nice -n 10 python bench/bench_milvus_ivf.py --build 1000000 --db /tmp/h1/scale1m/m.db
    nice -n 10 python bench/bench_milvus_ivf.py --query --db /tmp/h1/scale1m/m.db --out bench/results/milvus_ivf
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_milvus_scale import _children, _hwm, _milvus_rows, _pcts, corpus_blocks, queries  # noqa: E402


def build(n: int, db: Path) -> dict:
    from rag.milvus_store import build_stores
    from rag.tokenize import char_bigrams

    db.parent.mkdir(parents=True, exist_ok=True)
    home = db.parent / "home"
    home.mkdir(exist_ok=True)
    dense, insert_s, meta_rows = None, 0.0, {}
    for start, (texts, vectors, terms, docs, types, dates) in corpus_blocks(n):
        bigrams = [char_bigrams(t) for t in texts]
        chunks, meta = _milvus_rows(docs, types, dates, type_key="doc_type")
        for d in meta.values():
            meta_rows.setdefault(d.doc_id, [d.meta["doc_type"], int(d.meta["date"])])
        t0 = time.perf_counter()
        if dense is None:
            dense = build_stores({"kind": "milvus", "uri": str(db)}, home, vectors, terms, bigrams, chunks, meta)[0]
        else:
            dense.insert(start, vectors, terms, bigrams, chunks, meta)
        insert_s += time.perf_counter() - t0
        print(f"{start + len(docs):,} rows, {insert_s:.0f} s", flush=True)
    t0 = time.perf_counter()
    dense._client.load_collection(dense.collection)
    insert_s += time.perf_counter() - t0
    info = {"n": n, "collection": dense.collection, "insert_s": round(insert_s, 1),
            "insert_per_s": round(n / insert_s), "rss_milvus_mib": sum(_hwm(c) for c in _children(os.getpid()))}
    (db.parent / "build.json").write_text(json.dumps(info))
    (db.parent / "docs.json").write_text(json.dumps(meta_rows, ensure_ascii=False))
    return info


def _reindex(client, coll: str, index: dict) -> float:
    client.release_collection(coll)
    client.drop_index(coll, "vec")
    ip = client.prepare_index_params()
    if index["type"] == "FLAT":
        ip.add_index("vec", index_type="FLAT", metric_type="IP")
    else:
        ip.add_index("vec", index_type=index["type"], metric_type="IP", params={"nlist": index["nlist"]})
    t0 = time.perf_counter()
    client.create_index(coll, ip)
    client.load_collection(coll)
    return time.perf_counter() - t0


class Runner:
    """Searches one collection the way ``rag.retrieve`` does through :mod:`rag.milvus_store`."""

    def __init__(self, db: Path):
        from rag.milvus_store import MilvusKeywordStore, MilvusVectorStore

        info = json.loads((db.parent / "build.json").read_text())
        self.info, self.coll = info, info["collection"]
        docs = json.loads((db.parent / "docs.json").read_text())
        self.by_filter: dict[str, list[tuple[str, int]]] = {}
        for d, (t, y) in docs.items():
            self.by_filter.setdefault(t, []).append((d, y))
        self.dense = MilvusVectorStore(str(db), self.coll, 384, [])
        self.kw = MilvusKeywordStore(self.dense, "sp_terms", lambda: [])
        self.bg = MilvusKeywordStore(self.dense, "sp_bigrams", lambda: [])
        self.client = self.dense._client

    def expr(self, q, how: str) -> str:
        from rag.filters import DocPredicate
        from rag.milvus_filters import doc_ids_expr, predicate_expr

        lo, hi = q[3] * 10000, (q[3] + 9) * 10000 + 9999
        if how == "expr":
            return predicate_expr(DocPredicate(types=(q[2],), day_lo=lo, day_hi=hi))
        ids = [d for d, y in self.by_filter.get(q[2], []) if q[3] <= y <= q[3] + 9]
        return doc_ids_expr(ids)

    def dense_top(self, q, k=10, filt=None):
        return self.dense.search(q[0], k, filter=filt)[1]

    def hybrid(self, q, how: str):
        from rag.retrieve import fuse
        from rag.tokenize import char_bigrams

        f = self.expr(q, how)
        parts = [st.search(x, 50, filter=f) for st, x in
                 ((self.dense, q[0]), (self.kw, q[1]), (self.bg, char_bigrams("".join(q[1]))))]
        return fuse(*[dict(zip(r.tolist(), s.tolist())) for s, r in parts])


def _timed(qs, fn) -> tuple[dict, list]:
    fn(qs[0])
    ms, outs = [], []
    for q in qs:
        t0 = time.perf_counter()
        outs.append(fn(q))
        ms.append((time.perf_counter() - t0) * 1000)
    return _pcts(ms), outs


def _recall(got, truth, k=10) -> float:
    """Mean share of the exact top ``k`` found (queries whose exact result is empty are left out)."""
    return float(np.mean([len(set(g[:k].tolist()) & set(t[:k].tolist())) / min(k, len(t))
                          for g, t in zip(got, truth) if len(t)] or [1.0]))


def query(db: Path, a) -> list[dict]:
    r = Runner(db)
    tune, test = queries(a.tune, 1, years=True), queries(a.queries, 2, years=True)
    results = []
    variants = [{"type": "FLAT"}] + [{"type": "IVF_FLAT", "nlist": n} for n in a.nlist]
    truth_tune = truth_test = truth_ftest = None
    for v in variants:
        build_s = _reindex(r.client, r.coll, v)
        nprobes = [None] if v["type"] == "FLAT" else a.nprobe
        chosen = None
        for npb in nprobes:
            r.dense.search_params = {} if npb is None else {"params": {"nprobe": npb}}
            got = [r.dense_top(q) for q in tune]
            if truth_tune is None:
                truth_tune = got
            rec = _recall(got, truth_tune)
            print(json.dumps({"tune": v, "nprobe": npb, "recall@10": round(rec, 4)}), flush=True)
            chosen = npb
            if npb is None or rec >= a.target:
                break
        r.dense.search_params = {} if chosen is None else {"params": {"nprobe": chosen}}
        row = {"n": r.info["n"], "index": v["type"], "nlist": v.get("nlist"), "nprobe": chosen,
               "index_build_s": round(build_s, 1), "tune_queries": a.tune, "queries": a.queries}
        row["dense"], dense_out = _timed(test, r.dense_top)
        row["dense+filter"], fdense_out = _timed(test, lambda q: r.dense_top(q, 10, r.expr(q, "expr")))
        if truth_test is None:
            truth_test, truth_ftest = dense_out, fdense_out
        row["recall@10_dense"] = round(_recall(dense_out, truth_test), 4)
        row["recall@10_dense_filter"] = round(_recall(fdense_out, truth_ftest), 4)
        row["hybrid+filter (expression)"], _ = _timed(test, lambda q: r.hybrid(q, "expr"))
        row["hybrid+filter (doc_id list)"], _ = _timed(test[: a.list_queries], lambda q: r.hybrid(q, "ids"))
        row["rss_milvus_mib"] = sum(_hwm(c) for c in _children(os.getpid()))
        print(json.dumps(row), flush=True)
        results.append(row)
    return results


def report(build_info: dict, rows: list[dict], cmd: str) -> str:
    lines = [f"`{cmd}`  ", "",
             f"{os.cpu_count()} cores shared with other work (load 3–8 during the run); Milvus Lite "
             f"{_lite_version()}, one collection of {build_info['n']:,} passages built once "
             f"({build_info['insert_s']} s, {build_info['insert_per_s']:,} passages/s). nprobe chosen on "
             "tuning queries (seed 1), everything below on other queries (seed 2). Recall@10 is against "
             "FLAT (exact) on the same queries. Filters: `doc_type == <category> and day in a 10-year "
             "window` as an expression on the scalar fields vs the same documents as a `doc_id in [...]` "
             "list (fewer queries: it is slow).", "",
             "| index | nlist | nprobe | index build s | dense p50/p95 ms | dense recall@10 | dense+filter p50/p95 "
             "ms | dense+filter recall@10 | hybrid+filter (expression) p50/p95 ms | hybrid+filter (doc_id list) "
             "p50/p95 ms | peak RSS Milvus MiB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in rows:
        pp = {k: f"{x[k]['p50_ms']} / {x[k]['p95_ms']}" for k in
              ("dense", "dense+filter", "hybrid+filter (expression)", "hybrid+filter (doc_id list)")}
        lines.append(f"| {x['index']} | {x['nlist'] or ''} | {x['nprobe'] or ''} | {x['index_build_s']} | "
                     f"{pp['dense']} | {x['recall@10_dense']} | {pp['dense+filter']} | "
                     f"{x['recall@10_dense_filter']} | {pp['hybrid+filter (expression)']} | "
                     f"{pp['hybrid+filter (doc_id list)']} | {x['rss_milvus_mib']:,} |")
    return "\n".join(lines)


def _lite_version() -> str:
    from importlib.metadata import version

    return version("milvus-lite")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=int, default=0, help="build a collection of N passages into --db")
    ap.add_argument("--query", action="store_true", help="measure the variants on the collection in --db")
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--nlist", type=int, nargs="+", default=[1024])
    ap.add_argument("--nprobe", type=int, nargs="+", default=[8, 16, 32, 64])
    ap.add_argument("--target", type=float, default=0.95, help="dense recall@10 vs FLAT nprobe must reach")
    ap.add_argument("--tune", type=int, default=50)
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--list-queries", type=int, default=30)
    ap.add_argument("--out", default=None, help="write OUT.md and OUT.json")
    a = ap.parse_args()
    from rag.embed import configure_threads

    configure_threads()
    if a.build:
        print(json.dumps(build(a.build, a.db)))
    if a.query:
        rows = query(a.db, a)
        info = json.loads((a.db.parent / "build.json").read_text())
        cmd = "python bench/bench_milvus_ivf.py " + " ".join(sys.argv[1:])
        if a.out:
            Path(a.out + ".json").write_text(json.dumps({"build": info, "rows": rows, "command": cmd}, indent=1))
            Path(a.out + ".md").write_text("# Milvus Lite: IVF_FLAT and expression filters\n\n"
                                           + report(info, rows, cmd) + "\n", encoding="utf-8")
        print(report(info, rows, cmd))


if __name__ == "__main__":
    main()
