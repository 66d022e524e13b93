"""Query latency on a built index (process start excluded).

For each retrieval mode, times ``rag.qa.ask`` (retrieve + answer) over varied
questions, after one warm-up, and prints p50/p95/max. The baseline measured in
the same run is the bare query embedding (the floor any dense/hybrid query
pays), so the ratio shows what retrieval and answering add on this machine.

    python bench/bench_query.py [--home index] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

QUESTIONS = [
    "温州人工智能局做什么", "溫州人工智慧局做什麼", "杭州2021年有多少人工智能企业", "丁波涛是谁",
    "长三角集成电路产业规模占全国多少", "苏州的人工智能发展路径是什么", "哪些城市获批国家新一代人工智能创新发展试验区",
    "算力中心重复建设的风险", "What does the Wenzhou AI bureau do?", "北京的房价是多少", "合肥人工智能产业先行区",
    "常州智能体开发者大会", "绍兴人工智能产业发展行动方案", "无锡工业物联网", "人工智能芯片流片补贴池",
    "宁波人工智能创新发展行动方案重点领域", "嘉兴算力基础设施", "台州人工智能+行动计划", "今天天气怎么样",
    "长三角人工智能产业规模占全国比重", "德清县县域试验区", "AlphaGo李世石", "Z字形轴地区", "曾刚 城市发展研究院",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default=None, help="Index dir (default: build corpus/ into bench/out/query-home).")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    from rag.qa import Searcher, ask
    from rag.retrieve import clean_question
    from rag.textnorm import to_mainland
    from rag.update import update_index

    home = Path(args.home) if args.home else ROOT / "bench" / "out" / "query-home"
    if not args.home:
        update_index([ROOT / "corpus"], home=home, progress=False)
    s = Searcher(home)
    index, emb = s.index(), s.embedder
    ask(index, "预热", embedder=emb)
    base = []
    for _ in range(args.rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            emb.embed_queries([to_mainland(clean_question(q))])
            base.append((time.perf_counter() - t) * 1000)
    print(f"index {home}: {len(index.documents)} docs, {len(index.chunks)} chunks, embedder {emb.name}, "
          f"threads OMP={os.environ.get('OMP_NUM_THREADS')}")
    print(f"{'what':<26} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'p95/base':>9}")
    b95 = float(np.percentile(base, 95))
    print(f"{'query embedding (base)':<26} {np.percentile(base, 50):>8.1f} {b95:>8.1f} {max(base):>8.1f} {1.0:>9.2f}")
    for mode in ("bm25", "dense", "hybrid"):
        lat = []
        for _ in range(args.rounds):
            for q in QUESTIONS:
                t = time.perf_counter()
                ask(index, q, embedder=emb, mode=mode)
                lat.append((time.perf_counter() - t) * 1000)
        p95 = float(np.percentile(lat, 95))
        print(f"{'ask ' + mode:<26} {np.percentile(lat, 50):>8.1f} {p95:>8.1f} {max(lat):>8.1f} {p95 / b95:>9.2f}")


if __name__ == "__main__":
    main()
