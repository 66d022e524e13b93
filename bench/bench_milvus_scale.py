"""Scale: insert throughput, query p50/p95 and peak memory of the stores at N passages, same run.

Passages: the statute archive's real articles that have a cached e5-small vector (``bench/stard_embed.py``,
``/tmp/h5/emb``; text ``《law》第X条 …``, BM25 terms from :func:`rag.tokenize.tokenize`) plus synthetic ones
up to N: 2–4 real sentences drawn at random from the archive (their jieba terms concatenated) with the
vector of a random real article perturbed by Gaussian noise (σ = 0.03 per dimension, re-normalised: cosine
≈ 0.75 to its source, the spread of real e5 neighbours). Metadata: ``doc_id`` (law, or a synthetic group of
20), ``type`` (the archive's category folder, 13 values), ``date`` (a year). Nothing is embedded here.

Stores, each in its own worker process (so peak RSS is its own):

- ``local``: :class:`rag.store.FaissStore` + two :class:`rag.store.BM25Store` (words, bigrams);
- ``lite``: :mod:`rag.milvus_store` on embedded Milvus Lite (the pinned milvus-lite, a file);
- ``server``: the same code over ``http://127.0.0.1:PORT`` against ``milvus-lite server`` (3.x, another
  venv: ``--lite3``), started and stopped here.

Queries (``--queries``, seed 1): a real article's vector perturbed the same way, and 6 of its terms.
``dense`` = top 50 by cosine; ``bm25`` = top 50 word BM25; ``hybrid+filter`` = dense + word BM25 + bigram
BM25 top 50 each under a filter ``type == <the article's category>`` (pushed into Milvus; a row mask
locally), fused with :func:`rag.retrieve.fuse` — the retrieval work of one ``rag ask`` without the answer step.
Peak RSS: ``VmHWM`` of the worker, plus the Milvus process it talks to (Lite 2.5.1's ``milvus`` child; the
3.x server).

    nice -n 10 python bench/bench_milvus_scale.py --sizes 100000 300000 --lite3 /path/to/milvus-lite \\
        --out bench/results/milvus_scale
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
CACHE = Path(os.environ.get("RAG_SCALE_CACHE", "/tmp/h1/scale"))
SIGMA = 0.03


def _hwm(pid: int | str = "self") -> int:
    """Peak resident memory (VmHWM) of a process in MiB; 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for t in Path(f"/proc/{pid}/task").iterdir():
        try:
            out += [int(x) for x in (t / "children").read_text().split()]
        except OSError:
            continue
    return out


def _base() -> dict:
    """Real articles with vectors, their terms, and a sentence pool (cached as .npz + .json)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    f = CACHE / "base.json"
    if not f.exists():
        from stard_corpus import load_articles, passage
        from stard_embed import load_vectors

        from rag.tokenize import tokenize

        arts = load_articles()
        vecs, have = load_vectors("/tmp/h5/emb", len(arts))
        keep = np.flatnonzero(have)
        rows = []
        for i in keep.tolist():
            a = arts[i]
            rows.append({"text": passage(a), "title": a.title, "type": a.file.split("/")[1] if "/" in a.file else "",
                         "terms": tokenize(passage(a))})
        sents = []
        for a in arts[::3]:
            for s in re.split(r"(?<=[。；;])", a.text):
                if len(s) > 8:
                    sents.append({"s": s, "t": tokenize(s)})
        f.write_text(json.dumps({"rows": rows, "sents": sents}, ensure_ascii=False))
        np.save(CACHE / "base_vecs.npy", vecs[keep].astype(np.float32))
    data = json.loads(f.read_text())
    data["vecs"] = np.load(CACHE / "base_vecs.npy")
    return data


def corpus(n: int, seed: int = 0):
    """``(texts, vectors, terms, doc_ids, types, dates, real)`` for ``n`` passages (deterministic)."""
    b = _base()
    rows, sents, bv = b["rows"], b["sents"], b["vecs"]
    rng = np.random.default_rng(seed)
    n_real = min(n, len(rows))
    texts = [r["text"] for r in rows[:n_real]]
    terms = [r["terms"] for r in rows[:n_real]]
    docs = [r["title"] for r in rows[:n_real]]
    types = [r["type"] for r in rows[:n_real]]
    m = n - n_real
    src = rng.integers(0, len(rows), m)
    noise = rng.normal(0, SIGMA, (m, bv.shape[1])).astype(np.float32)
    syn = bv[src] + noise
    syn /= np.linalg.norm(syn, axis=1, keepdims=True)
    vectors = np.concatenate([bv[:n_real], syn]) if m else bv[:n_real].copy()
    pick = rng.integers(0, len(sents), (m, 4))
    lens = rng.integers(2, 5, m)
    for i in range(m):
        ss = [sents[j] for j in pick[i, :lens[i]]]
        texts.append("".join(s["s"] for s in ss))
        terms.append([t for s in ss for t in s["t"]])
        docs.append(f"syn-{i // 20}")
        types.append(rows[src[i]]["type"])
    dates = [str(1990 + (i * 7919) % 36) for i in range(n)]
    return texts, vectors, terms, docs, types, dates, n_real


def corpus_blocks(n: int, block: int = 50_000, seed: int = 0):
    """:func:`corpus` generated ``block`` passages at a time (same recipe, per-block random streams), so
    Milvus can be filled at sizes whose Python lists would not fit in memory; yields ``(start, corpus)``."""
    b = _base()
    n_real = min(n, len(b["rows"]))
    for start in range(0, n, block):
        stop = min(n, start + block)
        rng = np.random.default_rng([seed, start])
        texts, terms, docs, types, vecs = [], [], [], [], []
        for i in range(start, min(stop, n_real)):
            r = b["rows"][i]
            texts.append(r["text"]), terms.append(r["terms"]), docs.append(r["title"]), types.append(r["type"])
            vecs.append(b["vecs"][i])
        for i in range(max(start, n_real), stop):
            src = int(rng.integers(0, len(b["rows"])))
            v = b["vecs"][src] + rng.normal(0, SIGMA, b["vecs"].shape[1]).astype(np.float32)
            vecs.append(v / np.linalg.norm(v))
            ss = [b["sents"][j] for j in rng.integers(0, len(b["sents"]), int(rng.integers(2, 5)))]
            texts.append("".join(x["s"] for x in ss))
            terms.append([t for x in ss for t in x["t"]])
            docs.append(f"syn-{(i - n_real) // 20}")
            types.append(b["rows"][src]["type"])
        dates = [str(1990 + (i * 7919) % 36) for i in range(start, stop)]
        yield start, (texts, np.asarray(vecs, np.float32), terms, docs, types, dates)


def queries(n_q: int, seed: int = 1, *, years: bool = False):
    """``n_q`` (query vector, 6 of a row's terms, its type) drawn from the base rows; ``years``: also a start year."""
    b = _base()
    rng = np.random.default_rng(seed)
    out = []
    for i in rng.integers(0, len(b["rows"]), n_q).tolist():
        r = b["rows"][i]
        v = b["vecs"][i] + rng.normal(0, SIGMA, b["vecs"].shape[1]).astype(np.float32)
        terms = [t for t in r["terms"] if len(t) > 1] or r["terms"]
        words = [terms[j] for j in rng.integers(0, len(terms), 6)]
        q = (v / np.linalg.norm(v), words, r["type"])
        out.append((*q, int(rng.integers(1990, 2016))) if years else q)
    return out


def _pcts(ms: list[float]) -> dict:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 2), "p95_ms": round(float(np.percentile(ms, 95)), 2)}


def _time_queries(qs, dense_fn, bm25_fn, hybrid_fn) -> dict:
    out = {}
    for name, fn in (("dense", dense_fn), ("bm25", bm25_fn), ("hybrid+filter", hybrid_fn)):
        fn(qs[0])  # warm
        ms = []
        for q in qs:
            t0 = time.perf_counter()
            fn(q)
            ms.append((time.perf_counter() - t0) * 1000)
        out[name] = _pcts(ms)
    return out


def _milvus_rows(docs, types, dates, type_key: str = "type"):
    """Chunks and documents of one corpus block as the Milvus store reads them (the category under ``type_key``)."""
    from rag.records import Chunk, Document

    chunks = [Chunk(chunk_id=f"c{i}", doc_id=d, text="", start=0, end=0) for i, d in enumerate(docs)]
    meta = {}
    for d, t, y in zip(docs, types, dates):
        meta.setdefault(d, Document(doc_id=d, title=d, text="", path="", meta={type_key: t, "date": y}))
    return chunks, meta


def _worker_streamed(store: str, n: int, qs, uri: str, server_pid: int | None) -> dict:
    """Milvus only: fill the collection block by block (the corpus never whole in this process)."""
    from rag.milvus_store import build_stores
    from rag.retrieve import fuse
    from rag.tokenize import char_bigrams

    insert_s, prep_s = 0.0, 0.0
    home = Path(tempfile.mkdtemp(prefix="scale-home-"))
    dense = kw = bg = None
    t0 = time.perf_counter()
    for start, (texts, vectors, terms, docs, types, dates) in corpus_blocks(n):
        bigrams = [char_bigrams(t) for t in texts]
        chunks, meta = _milvus_rows(docs, types, dates)
        t1 = time.perf_counter()
        prep_s += t1 - t0
        if dense is None:
            dense, kw, bg = build_stores({"kind": "milvus", "uri": uri}, home, vectors, terms, bigrams, chunks, meta)
        else:
            dense.insert(start, vectors, terms, bigrams, chunks, meta)
        t0 = time.perf_counter()
        insert_s += t0 - t1
    t1 = time.perf_counter()
    dense._client.load_collection(dense.collection)
    insert_s += time.perf_counter() - t1
    res = {"store": store, "n": n, "real": min(n, len(_base()["rows"])), "prep_s": round(prep_s, 1),
           "rss_corpus_mib": 0, "streamed": True, "insert_s": round(insert_s, 1), "insert_per_s": round(n / insert_s)}

    def search(st, x, k, q=None, filt=False):
        return st.search(x, k, filter=f'type == "{q[2]}"' if filt else None)

    def hybrid(q):
        parts = [search(st, x, 50, q, True) for st, x in ((dense, q[0]), (kw, q[1]), (bg, char_bigrams("".join(q[1]))))]
        return fuse(*[dict(zip(r.tolist(), s.tolist())) for s, r in parts])

    res["queries"] = len(qs)
    res.update(_time_queries(qs, lambda q: search(dense, q[0], 50, q), lambda q: search(kw, q[1], 50, q), hybrid))
    res["rss_worker_mib"] = _hwm()
    res["rss_milvus_mib"] = sum(_hwm(c) for c in _children(os.getpid())) if store == "lite" else _hwm(server_pid or 0)
    shutil.rmtree(home, ignore_errors=True)
    return res


def worker(store: str, n: int, n_q: int, uri: str | None, server_pid: int | None, stream: bool = False) -> dict:
    from rag.embed import configure_threads
    from rag.retrieve import fuse
    from rag.tokenize import char_bigrams

    configure_threads()  # the thread settings `rag serve` runs with

    qs = queries(n_q)
    if stream:
        return _worker_streamed(store, n, qs, uri, server_pid)
    t0 = time.perf_counter()
    texts, vectors, terms, docs, types, dates, n_real = corpus(n)
    bigrams = [char_bigrams(t) for t in texts]
    prep_s = time.perf_counter() - t0
    res = {"store": store, "n": n, "real": n_real, "prep_s": round(prep_s, 1), "rss_corpus_mib": _rss()}
    with contextlib.suppress(OSError):  # reset the peak: from here on VmHWM is the store's work on top
        Path("/proc/self/clear_refs").write_text("5")
    t0 = time.perf_counter()
    if store == "local":
        from rag.store import BM25Store, FaissStore

        dense, kw, bg = FaissStore(vectors), BM25Store(terms), BM25Store(bigrams)
        types_a = np.asarray(types)

        def mask(q):
            return types_a == q[2]

        def search(st, x, k, q=None, filt=False):
            return st.search(x, k, allowed=mask(q) if filt else None)
    else:
        from rag.milvus_store import build_stores
        from rag.records import Chunk, Document

        chunks = [Chunk(chunk_id=f"c{i}", doc_id=docs[i], text="", start=0, end=0) for i in range(n)]
        meta = {}
        for i in range(n):
            meta.setdefault(docs[i], Document(doc_id=docs[i], title=docs[i], text="", path="",
                                              meta={"type": types[i], "date": dates[i]}))
        home = Path(tempfile.mkdtemp(prefix="scale-home-"))
        dense, kw, bg = build_stores({"kind": "milvus", "uri": uri}, home, vectors, terms, bigrams, chunks, meta)
        dense._client.load_collection(dense.collection)
        del chunks

        def search(st, x, k, q=None, filt=False):
            return st.search(x, k, filter=f'type == "{q[2]}"' if filt else None)
    res["insert_s"] = round(time.perf_counter() - t0, 1)
    res["insert_per_s"] = round(n / res["insert_s"])

    def hybrid(q):
        s, r = search(dense, q[0], 50, q, True)
        d = dict(zip(r.tolist(), s.tolist()))
        s, r = search(kw, q[1], 50, q, True)
        w = dict(zip(r.tolist(), s.tolist()))
        s, r = search(bg, char_bigrams("".join(q[1])), 50, q, True)
        return fuse(d, w, dict(zip(r.tolist(), s.tolist())))

    res["queries"] = n_q
    res.update(_time_queries(qs, lambda q: search(dense, q[0], 50, q), lambda q: search(kw, q[1], 50, q), hybrid))
    res["rss_worker_mib"] = _hwm()
    if store == "lite":
        res["rss_milvus_mib"] = sum(_hwm(c) for c in _children(os.getpid()))
    elif server_pid:
        res["rss_milvus_mib"] = _hwm(server_pid)
    return res


def _start_server(exe: str, data: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.Popen(["nice", "-n", "10", exe, "server", "--data-dir", str(data), "--host", "127.0.0.1",
                          "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return p, f"http://127.0.0.1:{port}"
        time.sleep(0.2)
    p.kill()
    raise RuntimeError("milvus-lite server did not start")


def run_one(store: str, n: int, n_q: int, lite3: str | None, timeout: int, stream: bool = False) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix=f"scale-{store}-"))
    server, uri = None, None
    if store == "lite":
        uri = str(tmp / "m.db")
    elif store == "server":
        server, uri = _start_server(lite3, tmp / "srv")
    cmd = [sys.executable, __file__, "--worker", store, "--sizes", str(n), "--queries", str(n_q)]
    if uri:
        cmd += ["--uri", uri]
    if server:
        cmd += ["--server-pid", str(server.pid)]
    if stream:
        cmd += ["--stream"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            return {"store": store, "n": n, "error": p.stderr.strip().splitlines()[-1][:300] if p.stderr else
                    f"exit {p.returncode}"}
        return json.loads(p.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {"store": store, "n": n, "error": f"did not finish in {timeout} s"}
    finally:
        if server:
            server.terminate()
            server.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def report(results: list[dict], argv: list[str]) -> str:
    cmds = sorted({r.get("command", "python bench/bench_milvus_scale.py " + " ".join(argv)) for r in results})
    lines = [*(f"`{c}`  " for c in cmds), "",
             f"{os.cpu_count()} cores (shared with other work), {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') >> 30} GiB RAM. "
             "p50/p95 over the queries. Memory: RSS of the worker holding the corpus in Python lists (the same "
             "for every store) and its peak (VmHWM, reset after loading the corpus) while building and querying; "
             "peak RSS of the Milvus process (Lite 2.5.1's `milvus` child; the 3.x server). `--stream` rows "
             "generate the corpus 50,000 at a time (`corpus_blocks`: same recipe, other random draws) and have "
             "no corpus RSS; `server` = milvus-lite 3.x's `server` over http:// (pure Python), not Milvus "
             "standalone.", "",
             "| N | store | queries | insert s | passages/s | dense p50/p95 ms | BM25 p50/p95 ms | hybrid+filter p50/p95 ms "
             "| RSS corpus MiB | peak RSS worker MiB | peak RSS Milvus MiB |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        if "error" in r:
            lines.append(f"| {r['n']:,} | {r['store']} | | failed: {r['error']} | | | | | | | |")
            continue
        q = " | ".join(f"{r[k]['p50_ms']} / {r[k]['p95_ms']}" for k in ("dense", "bm25", "hybrid+filter"))
        lines.append(f"| {r['n']:,} | {r['store']} | {r['queries']} | {r['insert_s']} | {r['insert_per_s']:,} | {q} | "
                     f"{r['rss_corpus_mib']:,} | {r['rss_worker_mib']:,} | {r.get('rss_milvus_mib', '')} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--stores", nargs="+", default=["local", "lite", "server"])
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--lite3", default=os.environ.get("RAG_TEST_MILVUS_LITE3"), help="milvus-lite 3.x executable")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per store and size")
    ap.add_argument("--out", default=None, help="write OUT.md and OUT.json (appends to an existing OUT.json)")
    ap.add_argument("--stream", action="store_true", help="Milvus stores: generate and insert 50,000 at a time")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--uri", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--server-pid", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.sizes[0], a.queries, a.uri, a.server_pid, a.stream)))
        return
    _base()  # build the shared cache once, outside the timed workers
    results = json.loads(Path(a.out + ".json").read_text()) if a.out and Path(a.out + ".json").exists() else []
    argv = sys.argv[1:]
    for n in a.sizes:
        for store in a.stores:
            if store == "server" and not a.lite3:
                continue
            if a.stream and store == "local":
                continue
            r = run_one(store, n, a.queries, a.lite3, a.timeout, a.stream)
            r["command"] = "python bench/bench_milvus_scale.py " + " ".join(argv)
            print(json.dumps(r, ensure_ascii=False), flush=True)
            results.append(r)
            if a.out:
                Path(a.out + ".json").write_text(json.dumps(results, indent=1), encoding="utf-8")
                Path(a.out + ".md").write_text("# Milvus scale\n\n" + report(results, argv) + "\n", encoding="utf-8")
    print(report(results, argv))


if __name__ == "__main__":
    main()
