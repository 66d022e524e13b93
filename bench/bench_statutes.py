"""Scale bench: index a whole statute archive, kill and resume, re-run unchanged, time queries.

    python bench/bench_statutes.py ../shared/data/lawrefbook.tar.gz --home /tmp/statbench \
        --kill-after 120 --queries ../shared/data/stard/stard_dev_eval.jsonl --out bench/results/statutes.json

    python bench/bench_statutes.py ../shared/data/lawrefbook.tar.gz --home /tmp/statbench --embed-sample 800

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

``--random-passages`` (latency and memory only): passages get random unit
vectors instead of e5 embeddings, queries still go through the real e5
model, which the build process also loads. Everything else — ingest of every
file, article chunking, jieba and bigram BM25, FAISS over all chunks, the
generation write, the unchanged re-run and the query path — is the real
thing at full size; only the embedding time (measured separately, as
passages/s and CPU s per passage on a sample) is left out.
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


class RandomPassages:
    """The real embedder for queries, random unit vectors for passages (see --random-passages)."""

    def __init__(self, real):
        self.real, self.name, self.dim = real, real.name, real.dim
        self.fingerprint = real.fingerprint + "+random-passages"

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def embed_passages(self, texts, *, batch_size=16, progress=None):
        import numpy as np

        v = np.random.default_rng(len(texts)).standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)


def _embedder(random_passages: bool):
    from rag.embed import get_embedder

    real = get_embedder()
    return RandomPassages(real) if random_passages else real


def _rag_index(args: list[str], env: dict, kill_after: float = 0, random_passages: bool = False) -> dict:
    cpu0, _ = _child_usage()
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "rag.cli", "index", *args]
    if random_passages:
        cmd = [sys.executable, __file__, "--child-index", *args, "--home", env["RAG_HOME"]]
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


def _queries(home: str, path: str, n: int, random_passages: bool = False) -> dict:
    from rag import Searcher

    qs = [json.loads(ln)["question"] for ln in Path(path).read_text(encoding="utf-8").splitlines() if ln.strip()][:n]
    s = Searcher(home, embedder=_embedder(random_passages)) if random_passages else Searcher(home)
    s.ask(qs[0])  # load index and embedder
    lat, cpu = [], []
    for q in qs:
        t0, c0 = time.perf_counter(), time.process_time()
        s.ask(q)
        lat.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    lat.sort()
    cpu.sort()
    counts = s.index().manifest["counts"]
    return {"n": len(lat), "p50_ms": round(lat[len(lat) // 2], 1), "p95_ms": round(lat[int(len(lat) * 0.95) - 1], 1),
            "max_ms": round(lat[-1], 1), "cpu_p50_ms": round(cpu[len(cpu) // 2], 1),
            "cpu_p95_ms": round(cpu[int(len(cpu) * 0.95) - 1], 1), "counts": counts}


def _embed_sample(source: str, home: str, n: int) -> dict:
    """e5 throughput on ``n`` passages drawn at random from the source's chunks (what the build embeds)."""
    import random

    from rag.archive import expand_archives
    from rag.chunk import chunk_document, embed_text
    from rag.embed import get_embedder
    from rag.ingest import load_paths

    docs = load_paths(expand_archives([source], Path(home))).documents
    texts = [embed_text(c, d.title) for d in docs for c in chunk_document(d)]
    sample = random.Random(0).sample(texts, min(n, len(texts)))
    sample.sort(key=len, reverse=True)  # as the build does: longest first, batches of 16
    emb = get_embedder()
    emb.embed_passages(sample[:16])  # warm up
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(0, len(sample), 16):
        emb.embed_passages(sample[i:i + 16])
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"passages": len(sample), "of": len(texts), "mean_chars": round(sum(map(len, sample)) / len(sample)),
            "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "passages_per_s": round(len(sample) / wall, 1),
            "cpu_s_per_passage": round(cpu / len(sample), 4),
            "extrapolated_cpu_s_all": round(cpu / len(sample) * len(texts))}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="archive (.tar.gz/.zip) or folder to index")
    ap.add_argument("--home", required=True, help="empty data directory for the bench")
    ap.add_argument("--kill-after", type=float, default=0, help="SIGKILL the first build after this many seconds")
    ap.add_argument("--queries", default="", help="JSONL with a 'question' field per line")
    ap.add_argument("--n-queries", type=int, default=200)
    ap.add_argument("--out", default="")
    ap.add_argument("--random-passages", action="store_true", help="latency/memory only (see the docstring)")
    ap.add_argument("--embed-sample", type=int, default=0,
                    help="only measure e5 throughput on N random passages of the source (no index built)")
    ap.add_argument("--child-index", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child_index:
        from rag.update import update_index

        rep = update_index([a.source], home=a.home, embedder=_embedder(True), progress=True)
        print(f"{rep['counts']} added {len(rep['added'])} unchanged {len(rep['unchanged'])}")
        return rep
    if a.embed_sample:
        res = {"source": a.source, "embed_sample": _embed_sample(a.source, a.home, a.embed_sample),
               "load_avg": os.getloadavg()}
        print(json.dumps(res, ensure_ascii=False, indent=1))
        if a.out:
            Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        return res
    env = dict(os.environ, RAG_HOME=a.home)
    rp = a.random_passages
    res_mode = "random passage vectors (latency/memory only)" if rp else "real e5 embeddings"
    res: dict = {"source": a.source, "mode": res_mode, "cpus": os.cpu_count(), "load_avg_start": os.getloadavg()}
    if a.kill_after:
        res["kill"] = _rag_index([a.source], env, kill_after=a.kill_after, random_passages=rp)
    res["build"] = _rag_index([a.source], env, random_passages=rp)
    res["peak_rss_mib"] = res["build"]["peak_rss_mib_so_far"]
    res["rerun"] = _rag_index([a.source], env, random_passages=rp)
    if a.queries:
        res["query"] = _queries(a.home, a.queries, a.n_queries, random_passages=rp)
    res["load_avg_end"] = os.getloadavg()
    print(json.dumps(res, ensure_ascii=False, indent=1))
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return res


if __name__ == "__main__":
    main()
