"""Equivalence of the Milvus store with the local store: SQuAD-style dev recall (CMRC2018, DRCD), same run.

Takes the first ``--articles`` articles of CMRC2018 dev (all of them with
``--articles 0``), builds the local index (FAISS + bm25s) in a temp data
dir, then moves the same generation onto Milvus Lite (vectors and BM25
terms reused, nothing re-embedded) and scores both with ``rag.evaluate``
in hybrid, dense and BM25 modes. Reports recall@1/@5, MRR@10, p50 latency
and the Milvus build time. Nothing here was tuned: fusion weights are the
shipped ones (fitted on CMRC2018 *trial*, not dev).

    python bench/bench_milvus.py --articles 80            # ~5 min on 2 shared cores
    python bench/bench_milvus.py --articles 0 --out bench/results/milvus.md
    python bench/bench_milvus.py --articles 0 --dataset ../shared/data/drcd/DRCD_dev.json \
        --out bench/results/milvus_drcd.md

Default metrics are retrieval only (fast); ``--full-eval`` runs ``rag.evaluate`` (answers, refusals).
Also measured: Milvus's own ``hybrid_search`` (WeightedRanker 0.3/0.35/0.35) against our fusion.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import save_report  # noqa: E402
DATA = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_dev.json"
MODES = ("hybrid", "dense", "bm25")


def _retrieval(local, milvus, items, emb) -> dict:
    """Recall@1/@5, MRR@10, p50 latency per mode and store; plus Milvus's own hybrid_search."""
    import numpy as np

    from rag.evaluate import _QueryCache, _relevant
    from rag.retrieve import RetrieveConfig, clean_question, retrieve
    from rag.textnorm import to_mainland
    from rag.tokenize import char_bigrams, tokenize

    emb = _QueryCache(emb)
    items = [i for i in items if i.answerable]
    for it in items:  # embed every question once up front, so no mode pays for it in its latency
        emb.embed_queries([to_mainland(clean_question(it.question))])
    out: dict = {"local": {}, "milvus": {}}
    tops: dict = {}
    runs = [(m, n, idx) for m in MODES + ("hybrid_norerank",) for n, idx in (("local", local), ("milvus", milvus))]
    runs.append(("milvus_hybrid_search", "milvus", milvus))
    for mode, name, idx in runs:
        ranks, lat, top = [], [], []
        for it in items:
            t0 = time.perf_counter()
            if mode == "milvus_hybrid_search":
                q = clean_question(it.question)
                qv = emb.embed_queries([to_mainland(q)])[0]
                _, rows = idx.dense.hybrid_search(qv, tokenize(q), char_bigrams(q), 10)
                chunks = [idx.chunks[r] for r in rows.tolist()]
            else:
                cfg = RetrieveConfig(rerank_weight=0.0) if mode == "hybrid_norerank" else RetrieveConfig()
                hits = retrieve(idx, it.question, embedder=emb, k=10, mode=mode.split("_")[0], config=cfg)
                chunks = [h.chunk for h in hits]
            lat.append((time.perf_counter() - t0) * 1000)
            top.append([c.chunk_id for c in chunks])
            rel = [_relevant(it, c.text, c.doc_id) for c in chunks]
            ranks.append(next((i + 1 for i, r in enumerate(rel) if r), None))
        n = len(items)
        out[name][mode] = {"recall@1": sum(r == 1 for r in ranks) / n,
                           "recall@5": sum(r is not None and r <= 5 for r in ranks) / n,
                           "mrr@10": sum(1 / r for r in ranks if r) / n, "latency_p50_ms": float(np.median(lat))}
        tops[(name, mode)] = top
        if name == "milvus" and ("local", mode) in tops:
            same = sum(a == b for a, b in zip(tops[("local", mode)], top))
            out[name][mode]["same_top10"] = f"{same}/{n}"
        print(name, mode, out[name][mode], flush=True)
    return out


def _answers(local, milvus, items, emb) -> tuple[int, int]:
    """How many of ``items`` get the same answer from both stores."""
    from rag.qa import ask

    def key(a):
        return a.answer, a.answerable, [c.chunk_id for c in a.citations]

    same = sum(key(ask(local, it.question, embedder=emb, k=5)) == key(ask(milvus, it.question, embedder=emb, k=5))
               for it in items)
    return same, len(items)


def _seed_cache(home: Path, sources: list[str]) -> None:
    """Copy the vectors of existing embedding caches into ``home``'s (keys are embedder + text hashes)."""
    if not sources:
        return
    import sqlite3

    (home / "cache").mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(home / "cache" / "embeddings.sqlite"))
    db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")
    for i, src in enumerate(sources):
        db.execute(f"ATTACH DATABASE ? AS s{i}", (src,))
        db.execute(f"INSERT OR IGNORE INTO vec SELECT key, v FROM s{i}.vec")
        db.commit()
        db.execute(f"DETACH DATABASE s{i}")
    db.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--articles", type=int, default=80, help="first N articles of CMRC2018 dev (0 = all)")
    ap.add_argument("--dataset", default=str(DATA))
    ap.add_argument("--out", default=None)
    ap.add_argument("--milvus-uri", default=None, help="Milvus to use (default: a Milvus Lite file in the temp dir)")
    ap.add_argument("--full-eval", action="store_true", help="score with rag.evaluate (ask + refusal; slow)")
    ap.add_argument("--answers", type=int, default=200, help="compare rag.qa.ask answers on the first N questions")
    ap.add_argument("--cache-from", action="append", default=[],
                    help="embedding cache sqlite file(s) to seed the temp data dir with (saves re-embedding)")
    args = ap.parse_args()
    from rag.embed import get_embedder
    from rag.evaluate import evaluate, load_dataset
    from rag.index import build_index, open_index
    from rag.store import set_store_config

    tmp = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    data = json.loads(Path(args.dataset).read_text(encoding="utf-8"))
    if args.articles:
        data["data"] = data["data"][:args.articles]
    subset = tmp / "dev.json"
    subset.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    docs, items = load_dataset(subset)
    emb = get_embedder()
    home = tmp / "home"
    _seed_cache(home, args.cache_from)
    t0 = time.perf_counter()
    local = build_index(docs, embedder=emb, home=home, progress=True)
    local_s = time.perf_counter() - t0
    local = open_index(home)
    set_store_config(home, "milvus", args.milvus_uri or str(tmp / "milvus.db"))
    t0 = time.perf_counter()
    build_index(list(local.documents.values()), embedder=emb, home=home, previous=local, progress=False)
    milvus_s = time.perf_counter() - t0
    milvus = open_index(home)
    assert milvus.manifest["store"]["kind"] == "milvus" and len(milvus.chunks) == len(local.chunks)
    if args.full_eval:
        res = {name: evaluate(idx, items, embedder=emb, modes=MODES, k=10, progress=True)
               for name, idx in (("local", local), ("milvus", milvus))}
    else:
        res = _retrieval(local, milvus, items, emb)
    lines = [f"{Path(args.dataset).name}, first {args.articles or 'all'} articles: {len(docs)} documents, "
             f"{len(local.chunks)} chunks, {len(items)} questions; embedder {emb.name}; Milvus "
             f"{'at ' + args.milvus_uri if args.milvus_uri else 'Lite (embedded, pinned version)'}; "
             f"{os.cpu_count()} cores (shared). Build: local {local_s:.1f} s (includes embedding), "
             f"Milvus {milvus_s:.1f} s (vectors reused, insert + index only). "
             + ("Metrics: rag.evaluate (ask + retrieval)." if args.full_eval else
                "Metrics: retrieval only (rag.retrieve top 10, relevance as in rag.evaluate); "
                "`same top-10` = share of questions whose top-10 chunk lists are identical."), "",
             "| mode | store | recall@1 | recall@5 | MRR@10 | p50 ms | same top-10 |", "|---|---|---|---|---|---|---|"]
    for mode in [m for m in res["milvus"] if m in res["local"]] + [m for m in res["milvus"] if m not in res["local"]]:
        for name in ("local", "milvus"):
            m = res[name].get(mode)
            if m:
                lines.append(f"| {mode} | {name} | {m['recall@1']:.4f} | {m['recall@5']:.4f} | {m['mrr@10']:.4f} | "
                             f"{m['latency_p50_ms']:.1f} | {m.get('same_top10', '')} |")
    for mode in MODES:
        d1 = abs(res["local"][mode]["recall@1"] - res["milvus"][mode]["recall@1"]) * 100
        d5 = abs(res["local"][mode]["recall@5"] - res["milvus"][mode]["recall@5"]) * 100
        lines.append(f"\n{mode}: |Δ recall@1| = {d1:.2f} points, |Δ recall@5| = {d5:.2f} points"
                     + (" (within 1 point)" if max(d1, d5) <= 1 else " (OVER 1 point)"))
    if args.answers:
        same, n = _answers(local, milvus, items[:args.answers], emb)
        lines.append(f"\nAnswers (`rag.qa.ask`, hybrid) of the first {n} questions: {same}/{n} identical "
                     "(answer text, answerable flag, cited chunks).")
    text = "\n".join(lines)
    print(text)
    if args.out:
        save_report(args.out, "Milvus vs local store", text)


if __name__ == "__main__":
    main()
