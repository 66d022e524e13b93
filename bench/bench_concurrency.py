"""Concurrent questions in one process: 1 vs 20 clients, with and without query batching.

What ``rag serve`` does per request (FastAPI runs each on a threadpool
thread): :meth:`rag.qa.Searcher.ask`. This drives the same call from 1 and
then 20 threads for ``--seconds`` each, over the corpus index and the
questions of ``bench/bench_load.py``, with the plain embedder (one query at
a time) and with :class:`rag.batching.QueryBatcher` (concurrent queries
embedded in one batch). Reports req/s, p50/p95 and mean batch size.

    python bench/bench_concurrency.py --seconds 15 --out bench/results/concurrency.md
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report import save_report  # noqa: E402


def run(searcher, questions, clients: int, seconds: float) -> dict:
    lat: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(i: int) -> None:
        n = i
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            searcher.ask(questions[n % len(questions)])
            with lock:
                lat.append((time.perf_counter() - t0) * 1000)
            n += clients

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"clients": clients, "requests": len(lat), "rps": len(lat) / wall,
            "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    from bench_load import QUESTIONS

    from rag.batching import QueryBatcher
    from rag.embed import get_embedder
    from rag.qa import Searcher
    from rag.update import update_index

    home = Path(tempfile.mkdtemp(prefix="bench-conc-"))
    update_index([ROOT / "corpus"], home=home, progress=False)
    plain = get_embedder()
    rows = []
    for label, emb in (("one query at a time", plain), ("QueryBatcher", QueryBatcher(plain))):
        s = Searcher(home, embedder=emb)
        for q in QUESTIONS[:5]:
            s.ask(q)  # warm-up
        if isinstance(emb, QueryBatcher):
            emb.batches.clear()
        for c in (1, args.clients):
            r = run(s, QUESTIONS, c, args.seconds)
            r["label"] = label
            r["batch"] = float(np.mean(emb.batches)) if isinstance(emb, QueryBatcher) and emb.batches else 1.0
            if isinstance(emb, QueryBatcher):
                emb.batches.clear()
            rows.append(r)
    lines = [f"In-process `Searcher.ask` from N threads, corpus index, {len(QUESTIONS)} questions of bench_load.py, "
             f"{args.seconds:.0f} s per phase, embedder {plain.name}, {os.cpu_count()} cores (shared).", "",
             "| embedding | clients | requests | req/s | p50 ms | p95 ms | mean batch | req/s vs 1 client |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        base = next(x for x in rows if x["label"] == r["label"] and x["clients"] == 1)["rps"]
        lines.append(f"| {r['label']} | {r['clients']} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.0f} | "
                     f"{r['p95']:.0f} | {r['batch']:.1f} | {r['rps'] / base:.2f}× |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        save_report(args.out, "Concurrency", text)


if __name__ == "__main__":
    main()
