"""Latency of the chat UI's answer endpoint, question → complete answer, through a running server.

Starts ``rag serve`` (unless ``--url`` points at one already running) on a
temp copy of the index, then asks ~30 varied questions about the sample
corpus through gradio_client's ``/ask`` endpoint (the same queue and
handlers a browser session goes through) and prints p50/p95/max wall-clock
milliseconds, plus the server-side ``timings_ms.total`` for comparison.
Target: p95 < 1000 ms.

    python bench/bench_ui.py                      # builds an index of corpus/ in a temp RAG_HOME
    python bench/bench_ui.py --url http://127.0.0.1:7860/
    python bench/bench_ui.py --json

This script does not judge answer quality; see ``rag eval`` for that.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    "温州人工智能局做什么", "温州成立了什么机构", "2021年杭州有多少家人工智能企业",
    "杭州人工智能企业在城市治理场景的专利转化率是多少", "苏州发展人工智能选择了什么路径",
    "长三角人工智能产业规模占全国多少", "哪些城市获批国家新一代人工智能创新发展试验区",
    "德清县为什么能成为试验区", "江苏省省长刘小涛1月4日做了什么", "浙江十五五规划建议中人工智能出现了几次",
    "长三角有多少城市提及人工智能", "上海什么时候发布推动新一代人工智能发展的实施意见",
    "苏州工业园区有什么特别之处", "合肥什么时候首次在政府工作报告中提到人工智能",
    "宁波人工智能行动方案重点对接哪些领域", "嘉兴的人工智能实施方案有什么内容",
    "杭州的人工智能芯片流片补贴池承担多少试错成本", "西湖区科创走廊设立了多少成果转化基金",
    "常州举办了什么大会", "绍兴的人工智能行动方案依托哪些产业", "无锡如何发展人工智能",
    "有多少城市提出推进算力平台布局", "丁波涛认为长三角应该怎么做", "上海在人工智能哪个方面有优势",
    "长三角集成电路产业规模占全国多少", "曾刚怎么看城市间的产业协同", "台州实施了什么行动计划",
    "溫州人工智慧局做什麼", "火星上的天气怎么样", "今天股市涨了吗",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_server(home: Path) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ, RAG_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--port", str(port),
                             "--corpus", str(ROOT / "corpus")], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("server did not start within 120 s")


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, max(0, round(p / 100 * len(xs) + 0.5) - 1))]


def bench(url: str, rounds: int) -> dict:
    from gradio_client import Client

    client = Client(url, verbose=False)
    client.predict(QUESTIONS[0], api_name="/ask")  # connect; the server warms its model at start
    wall, server, refused = [], [], 0
    for _ in range(rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            ans = client.predict(q, api_name="/ask")
            wall.append((time.perf_counter() - t0) * 1000)
            server.append(ans["timings_ms"]["total"])
            refused += not ans["answerable"]
    client.close()
    return {
        "url": url, "questions": len(wall), "refused": refused,
        "wall_ms": {"p50": round(statistics.median(wall), 1), "p95": round(_pct(wall, 95), 1),
                    "max": round(max(wall), 1), "mean": round(statistics.fmean(wall), 1)},
        "server_ms": {"p50": round(statistics.median(server), 1), "p95": round(_pct(server, 95), 1),
                      "max": round(max(server), 1)},
        "target_p95_ms": 1000, "ok": _pct(wall, 95) < 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="A running server; default: start one on a temp index of corpus/.")
    ap.add_argument("--rounds", type=int, default=1, help="Times to ask the whole question list.")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    proc = None
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url
        if not url:
            proc, url = _start_server(Path(tmp))
        try:
            result = bench(url, args.rounds)
        finally:
            if proc:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    w, s = result["wall_ms"], result["server_ms"]
    print(f"{result['questions']} questions via gradio_client /ask ({result['refused']} refused) at {result['url']}")
    print(f"  question → complete answer: p50 {w['p50']} ms  p95 {w['p95']} ms  max {w['max']} ms  mean {w['mean']} ms")
    print(f"  server-side (timings_ms.total): p50 {s['p50']} ms  p95 {s['p95']} ms  max {s['max']} ms")
    print(f"  target p95 < {result['target_p95_ms']} ms: {'OK' if result['ok'] else 'MISSED'}")


if __name__ == "__main__":
    main()
