"""Scale bench: index a whole statute archive, kill and resume, re-run unchanged, time queries.

    python bench/bench_statutes.py ../shared/data/lawrefbook.tar.gz --home /tmp/statbench \
        --kill-after 120 --queries ../shared/data/stard/stard_dev_eval.jsonl --out bench/results/statutes.json

Steps (each one a separate ``rag`` process, so wall time, CPU time and peak
RSS are the child's own, from ``getrusage(RUSAGE_CHILDREN)``):

1. ``kill``: start ``rag index ARCHIVE`` on an empty ``--home`` and SIGKILL it
   after ``--kill-after`` seconds (skipped when 0);
2. ``build``: run the same command again — it resumes from the embedding
   cache (the vectors computed before the kill are not recomputed);
3. ``rerun``: the same command with nothing changed (no generation written);
4. ``query``: load the index once and ask ``--n-queries`` questions
   (``rag ask`` path: retrieve + answer), reporting p50/p95/max latency.

The machine is shared, so report wall *and* CPU seconds. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path


def _child_usage() -> tuple[float, float]:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024  # CPU seconds, peak RSS MiB (max over children)


def _rag_index(args: list[str], env: dict, kill_after: float = 0) -> dict:
    cpu0, _ = _child_usage()
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "rag.cli", "index", *args]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = False
    try:
        out, err = proc.communicate(timeout=kill_after or None)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        out, err = proc.communicate()
        killed = True
    wall = time.perf_counter() - t0
    cpu1, peak = _child_usage()
    cached = [ln for ln in err.replace("\r", "\n").split("\n") if "cached)" in ln]
    return {"wall_s": round(wall, 1), "cpu_s": round(cpu1 - cpu0, 1), "peak_rss_mib_so_far": round(peak),
            "rc": proc.returncode, "killed": killed, "stdout_tail": out.strip().splitlines()[:3],
            "progress_first": cached[0][:120] if cached else "", "progress_last": cached[-1][:120] if cached else ""}


def _queries(home: str, path: str, n: int) -> dict:
    from rag import Searcher

    qs = [json.loads(ln)["question"] for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()][:n]
    s = Searcher(home)
    s.ask(qs[0])  # load index and embedder
    lat = []
    for q in qs:
        t0 = time.perf_counter()
        s.ask(q)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    counts = s.index().manifest["counts"]
    return {"n": len(lat), "p50_ms": round(lat[len(lat) // 2], 1), "p95_ms": round(lat[int(len(lat) * 0.95) - 1], 1),
            "max_ms": round(lat[-1], 1), "counts": counts}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="archive (.tar.gz/.zip) or folder to index")
    ap.add_argument("--home", required=True, help="empty data directory for the bench")
    ap.add_argument("--kill-after", type=float, default=0, help="SIGKILL the first build after this many seconds")
    ap.add_argument("--queries", default="", help="JSONL with a 'question' field per line")
    ap.add_argument("--n-queries", type=int, default=200)
    ap.add_argument("--out", default="")
    a = ap.parse_args(argv)
    env = dict(os.environ, RAG_HOME=a.home)
    res: dict = {"source": a.source, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}
    if a.kill_after:
        res["kill"] = _rag_index([a.source], env, kill_after=a.kill_after)
    res["build"] = _rag_index([a.source], env)
    res["peak_rss_mib"] = res["build"]["peak_rss_mib_so_far"]
    res["rerun"] = _rag_index([a.source], env)
    if a.queries:
        res["query"] = _queries(a.home, a.queries, a.n_queries)
    res["load_avg_end"] = os.getloadavg()
    print(json.dumps(res, ensure_ascii=False, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
