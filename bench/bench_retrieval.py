"""Retrieval benchmarks: CMRC2018 dev, DRCD dev, and the pooled set, three modes in one run.

- ``cmrc``: CMRC2018 dev questions against its own 848 contexts (simplified).
- ``drcd``: DRCD dev questions against its own 1,000 contexts (traditional).
- ``pooled``: every context of CMRC2018 dev + trial and DRCD dev in ONE index
  (~2,100 passages, mixed scripts) with all their questions — harder than
  each file alone, because near-duplicate topics compete across sets.

For each, bm25, dense and hybrid are evaluated on the same index in the
same run. Embeddings are cached in ``$RAG_HOME/cache`` (default
``bench/out/home``), so the pooled index re-uses the per-set embeddings.

    python bench/bench_retrieval.py [--sets cmrc,drcd,pooled] [--limit N] [--embedder NAME] [--json out.json] [--static]

``--static`` turns off the query-dependent weights (:mod:`rag.fusion`) to compare with them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "data"
SETS = {
    "cmrc": [DATA / "cmrc2018/cmrc2018_dev.json"],
    "drcd": [DATA / "drcd/DRCD_dev.json"],
    "pooled": [DATA / "cmrc2018/cmrc2018_dev.json", DATA / "cmrc2018/cmrc2018_trial.json", DATA / "drcd/DRCD_dev.json"],
}
COLS = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_hit_quote", "latency_p50_ms",
        "latency_p95_ms"]


def run_set(name: str, limit: int | None, embedder_name: str | None, static: bool = False) -> dict:
    from rag.embed import get_embedder
    from rag.evaluate import dataset_index, evaluate, load_dataset
    from rag.retrieve import RetrieveConfig

    docs, items = {}, []
    for f in SETS[name]:
        d, it = load_dataset(f)
        docs.update({x.doc_id: x for x in d})
        items += it
    if limit:
        items = items[:limit]
    emb = get_embedder(embedder_name)
    t0 = time.perf_counter()
    index = dataset_index(list(docs.values()), embedder=emb, progress=True)
    build_s = time.perf_counter() - t0
    res = evaluate(index, items, embedder=emb, modes=["bm25", "dense", "hybrid"], progress=True,
                   config=RetrieveConfig(adaptive=not static))
    return {"set": name, "documents": len(index.documents), "chunks": len(index.chunks), "questions": len(items),
            "embedder": emb.name, "index_seconds": round(build_s, 1), "modes": res}


def table(r: dict) -> str:
    lines = [f"### {r['set']}: {r['questions']} questions, {r['documents']} contexts, {r['chunks']} chunks "
             f"({r['embedder']})", "", "| mode | " + " | ".join(COLS) + " |", "|---" * (len(COLS) + 1) + "|"]
    for mode, m in r["modes"].items():
        vals = [f"{m[c]:.1f}" if c.startswith("latency") else f"{m[c]:.4f}" for c in COLS]
        lines.append(f"| {mode} | " + " | ".join(vals) + " |")
    best_single = max(r["modes"]["bm25"]["recall@1"], r["modes"]["dense"]["recall@1"])
    gain = (r["modes"]["hybrid"]["recall@1"] - best_single) * 100
    lines += ["", f"hybrid recall@1 minus best single mode: {gain:+.2f} points"]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="cmrc,drcd,pooled")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--embedder", default=None)
    ap.add_argument("--json", default=None, help="Also write all results to this JSON file.")
    ap.add_argument("--static", action="store_true", help="Static hybrid weights (RetrieveConfig(adaptive=False)).")
    args = ap.parse_args()
    results = []
    for name in args.sets.split(","):
        r = run_set(name.strip(), args.limit, args.embedder, args.static)
        results.append(r)
        print(table(r), "\n", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", str(ROOT / "bench" / "out" / "home"))
    main()
