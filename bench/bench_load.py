"""Load test of the HTTP API: 20 concurrent clients against a running ``rag serve``.

Starts ``rag serve`` itself (temp ``RAG_HOME`` holding an index of corpus/,
a free port on 127.0.0.1), then:

1. single client: one client asks question after question for
   ``--single-seconds`` (the baseline latency);
2. concurrent: ``--clients`` threads, each with its own httpx client, ask
   varied questions (answerable ones about the sample article, a few
   unanswerable, traditional-Chinese and emoji ones) via ``POST /api/ask``
   for ``--seconds``. Half-way through, ``rag index`` adds a document to the
   same index (``--no-reindex`` to skip), so the run also checks that the
   server keeps answering during a rebuild and then answers from the new
   generation.

Any non-200 reply, timeout or malformed body counts as an error; the run
requires zero. Prints a table (p50/p95/p99/max latency, throughput, the
ratio to single-client latency) and writes it to ``bench/results/load.md``.

    python bench/bench_load.py                  # 60 s, 20 clients
    python bench/bench_load.py --seconds 20 --clients 10 --out /tmp/load.md

It does not judge answer quality (see ``rag eval``) and measures only the
JSON API, not the Gradio UI (see ``bench/bench_ui.py``).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAG = str(Path(sys.executable).with_name("rag"))

QUESTIONS = [
    "温州人工智能局做什么", "温州成立了什么机构", "2021年杭州有多少家人工智能企业",
    "苏州发展人工智能选择了什么路径", "长三角人工智能产业规模占全国多少",
    "哪些城市获批国家新一代人工智能创新发展试验区", "德清县为什么能成为试验区",
    "江苏省省长刘小涛1月4日做了什么", "浙江十五五规划建议中人工智能出现了几次",
    "长三角有多少城市提及人工智能", "上海什么时候发布推动新一代人工智能发展的实施意见",
    "苏州工业园区有什么特别之处", "合肥什么时候首次在政府工作报告中提到人工智能",
    "宁波人工智能行动方案重点对接哪些领域", "常州举办了什么大会", "无锡如何发展人工智能",
    "丁波涛认为长三角应该怎么做", "上海在人工智能哪个方面有优势", "长三角集成电路产业规模占全国多少",
    "曾刚怎么看城市间的产业协同", "台州实施了什么行动计划", "AlphaGo什么时候战胜李世石",
    "人工智能概念是哪一年首次提出的", "2025年为什么被称为人工智能爆发元年",
    "杭州人工智能企业融资集中在哪些年份", "南京发展人工智能有哪些优势",
    "溫州人工智慧局做什麼", "🤖 温州人工智能局是做什么的？", "What does the Wenzhou AI bureau do?",
]
UNANSWERABLE = ["火星上的天气怎么样", "今天股市涨了吗", "红烧肉怎么做"]
QUESTIONS += UNANSWERABLE
NEW_DOC = "丙县图书馆周末开放到晚上九点，借书证免费办理。"
NEW_QUESTION = "丙县图书馆周末开放到几点"


@dataclass
class Phase:
    name: str
    clients: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0

    def row(self, base_p50: float | None, base_p95: float | None) -> list[str]:
        lat = sorted(self.latencies_ms) or [float("nan")]
        p50, p95 = _pct(lat, 50), _pct(lat, 95)
        ratio = "1.0× / 1.0×" if base_p50 is None else f"{p50 / base_p50:.1f}× / {p95 / base_p95:.1f}×"
        return [self.name, str(self.clients), str(len(self.latencies_ms)), str(len(self.errors)),
                f"{p50:.0f}", f"{p95:.0f}", f"{_pct(lat, 99):.0f}", f"{lat[-1]:.0f}",
                f"{len(self.latencies_ms) / self.seconds:.1f}", ratio]


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(home: Path, port: int, log) -> subprocess.Popen:
    env = dict(os.environ, RAG_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([RAG, "serve", "--home", str(home), "--port", str(port),
                             "--corpus", str(ROOT / "corpus")], env=env, cwd=ROOT, stdout=log, stderr=log)
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited with {proc.returncode}; see {log.name}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("rag serve did not become healthy within 300 s")


def _ask(client, url: str, question: str, phase: Phase, lock: threading.Lock) -> dict | None:
    t0 = time.perf_counter()
    try:
        r = client.post(url, json={"question": question, "k": 5, "mode": "hybrid"})
        ms = (time.perf_counter() - t0) * 1000
        body = r.json() if r.status_code == 200 else None
        ok = body is not None and isinstance(body.get("answer"), str) and "answerable" in body
        err = None if ok else f"HTTP {r.status_code}: {r.text[:120]}"
    except Exception as e:  # noqa: BLE001 - every failure is an error to count, whatever its type
        ms, body, err = (time.perf_counter() - t0) * 1000, None, f"{type(e).__name__}: {e}"
    with lock:
        if err:
            phase.errors.append(err)
        else:
            phase.latencies_ms.append(ms)
            phase.refused += not body["answerable"]
    return body


def run_phase(base: str, phase: Phase, seconds: float, *, during=None) -> None:
    import httpx

    url = f"{base}/api/ask"
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client_loop(i: int) -> None:
        with httpx.Client(timeout=60) as client:
            n = i * 7  # each client walks the list from a different place
            while time.monotonic() < stop:
                _ask(client, url, QUESTIONS[n % len(QUESTIONS)], phase, lock)
                n += 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client_loop, args=(i,), daemon=True) for i in range(phase.clients)]
    for t in threads:
        t.start()
    if during:
        during(stop)
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60, help="Length of the concurrent phase (default 60).")
    ap.add_argument("--clients", type=int, default=20, help="Concurrent clients (default 20).")
    ap.add_argument("--single-seconds", type=float, default=None,
                    help="Length of the single-client phase (default: a quarter of --seconds, at least 10).")
    ap.add_argument("--no-reindex", action="store_true", help="Do not add a document during the concurrent phase.")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "load.md"), help="Markdown report.")
    args = ap.parse_args()
    single_s = args.single_seconds or max(10.0, args.seconds / 4)

    import httpx

    with tempfile.TemporaryDirectory(prefix="rag-load-") as tmp:
        home = Path(tmp) / "home"
        log = open(Path(tmp) / "serve.log", "w")
        t0 = time.perf_counter()
        subprocess.run([RAG, "index", "--quiet", "--home", str(home), str(ROOT / "corpus")], check=True,
                       stdout=subprocess.DEVNULL)
        index_s = time.perf_counter() - t0
        port = _free_port()
        proc = _start_server(home, port, log)
        base = f"http://127.0.0.1:{port}"
        reindex: dict = {}
        try:
            with httpx.Client(timeout=60) as c:  # warm-up, not measured
                for q in QUESTIONS[:3]:
                    c.post(f"{base}/api/ask", json={"question": q})
            print(f"single client for {single_s:.0f} s …", file=sys.stderr)
            single = Phase("single client", 1)
            run_phase(base, single, single_s)
            print(f"{args.clients} clients for {args.seconds:.0f} s …", file=sys.stderr)
            concurrent = Phase(f"{args.clients} clients", args.clients)

            def add_document(stop: float) -> None:
                if args.no_reindex:
                    return
                time.sleep(max(0.0, (stop - time.monotonic()) / 2))
                (Path(tmp) / "new").mkdir()
                (Path(tmp) / "new" / "library.txt").write_text(NEW_DOC, encoding="utf-8")
                gen0 = httpx.get(f"{base}/api/health", timeout=60).json()["generation"]
                r0 = time.perf_counter()
                done = subprocess.run([RAG, "index", "--quiet", "--home", str(home), str(Path(tmp) / "new")],
                                      capture_output=True, text=True)
                reindex.update(rc=done.returncode, seconds=time.perf_counter() - r0, before=gen0,
                               stderr=done.stderr.strip()[-300:])

            health = httpx.get(f"{base}/api/health", timeout=60).json()
            run_phase(base, concurrent, args.seconds, during=add_document)
            if reindex:
                ans = httpx.post(f"{base}/api/ask", json={"question": NEW_QUESTION}, timeout=60).json()
                reindex["after"] = httpx.get(f"{base}/api/health", timeout=60).json()["generation"]
                reindex["new_doc_answered"] = bool(ans.get("answerable")) and "九点" in ans.get("answer", "")
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

    b50, b95 = _pct(single.latencies_ms, 50), _pct(single.latencies_ms, 95)
    head = ["phase", "clients", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s",
            "p50 / p95 vs single"]
    rows = [single.row(None, None), concurrent.row(b50, b95)]
    table = "\n".join("| " + " | ".join(r) + " |" for r in [head, ["---"] * len(head), *rows])
    errors = single.errors + concurrent.errors
    load = os.getloadavg()
    lines = [
        "# HTTP API under load (`bench/bench_load.py`)",
        "",
        f"`POST /api/ask` on `rag serve` (index of corpus/: {health.get('counts', {}).get('documents')} document(s), "
        f"{health.get('counts', {}).get('chunks')} chunks; embedder {health.get('embedder', {}).get('name', '?')}), "
        f"{len(QUESTIONS)} varied questions ({len(UNANSWERABLE)} unanswerable, "
        "plus traditional Chinese, emoji and English ones).",
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs (shared; load average "
        f"{load[0]:.1f} at the end), Python {platform.python_version()}. Date: {time.strftime('%Y-%m-%d %H:%M')}.",
        f"Index build before the run: {index_s:.1f} s. Single-client phase {single.seconds:.0f} s, "
        f"concurrent phase {concurrent.seconds:.0f} s.",
        "",
        table,
        "",
        f"Errors: **{len(errors)}** (required: 0)." + ("" if not errors else " First: " + errors[0]),
        f"Refusals (\"not in the documents\"): {single.refused + concurrent.refused} of "
        f"{len(single.latencies_ms) + len(concurrent.latencies_ms)} answers.",
    ]
    if reindex:
        lines.append(
            f"Rebuild during the concurrent phase: `rag index` added a document in {reindex['seconds']:.1f} s "
            f"(exit {reindex['rc']}), generation {reindex['before']} → {reindex['after']}; the server kept "
            f"answering (errors above include that window) and then answered from the new document: "
            f"{'yes' if reindex.get('new_doc_answered') else 'NO'}.")
    lines += ["", "Latency is wall-clock per request as the client sees it (queueing included). "
              "Query embedding runs one at a time per process, so on a small machine throughput is bounded by "
              "it and latency under load grows with the queue."]
    report = "\n".join(lines) + "\n"
    print(report)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(report, encoding="utf-8")
    if errors or (reindex and (reindex["rc"] != 0 or not reindex.get("new_doc_answered"))):
        sys.exit(1)


if __name__ == "__main__":
    main()
