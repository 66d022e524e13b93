"""CPU ms of one answer-layer pass, two code versions in one process, alternating question by question (round 16).

    python bench/answer_pass_ab.py OLD_PARENT [--home H] [--reps 6] [--n 120]

OLD_PARENT holds a copy of the old ``rag`` package renamed ``rag_base`` (``git archive BASE rag | tar -x -C D;
mv D/rag D/rag_base``; the package imports itself relatively). Hits are retrieved once with the current code; each
pass is ``build_answer`` on the top 5 and the top 2 hits with the wording's caches cleared (tokenize memo,
``whq._mask``, ``agreement.subject_head``), as a further reading of a new wording on the same passages; the order of
old and new flips every question, so load from other jobs falls on both alike. Questions: sample_eval, then
everyday_dev (development sets)."""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def _clearer(pkg: str):
    tk, whq, ag = (importlib.import_module(f"{pkg}.{m}") for m in ("tokenize", "whq", "agreement"))

    def clear():
        tk._tokenize_memo.cache_clear()
        for f in (whq._mask, ag.subject_head):
            f.cache_clear()
    return clear


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("old_parent")
    ap.add_argument("--home", default="/tmp/lead/r16/m/corpus")
    ap.add_argument("--reps", type=int, default=6)
    ap.add_argument("--n", type=int, default=120)
    args = ap.parse_args()
    sys.path.insert(0, args.old_parent)
    sys.path.insert(0, str(ROOT))
    from rag.qa import Searcher, _Remember
    from rag.retrieve import retrieve
    builds = {"old": importlib.import_module("rag_base.answer").build_answer,
              "new": importlib.import_module("rag.answer").build_answer}
    clears = {"old": _clearer("rag_base"), "new": _clearer("rag")}
    s = Searcher(args.home)
    idx = s.index()
    fp = idx.manifest["embedder"].get("fingerprint")
    qs = []
    for name in ("sample_eval.jsonl", "everyday_dev.jsonl"):
        qs += [json.loads(x)["question"] for x in (ROOT / "bench/data" / name).read_text().splitlines() if x.strip()]
    cases = []
    for q in qs[:args.n]:
        seen = _Remember(s.embedder)
        hits = retrieve(idx, q, embedder=seen, k=5, mode="hybrid")
        cases.append((q, hits, seen.last))
    t = {(v, d): [] for v in builds for d in (2, 5)}
    for rep in range(args.reps + 1):
        for i, (q, hits, vec) in enumerate(cases):
            order = ("old", "new") if (i + rep) % 2 == 0 else ("new", "old")
            for depth in (5, 2):
                for v in order:
                    clears[v]()
                    c0 = time.process_time()
                    builds[v](q, hits[:depth], idf=idx.keyword.idf, query_vector=vec, vectors=idx.sentences,
                              fingerprint=fp)
                    if rep:  # the first round warms both
                        t[(v, depth)].append((time.process_time() - c0) * 1000)
    for depth in (5, 2):
        o, n = np.array(t[("old", depth)]), np.array(t[("new", depth)])
        k = len(cases)
        per_rep = [(o[r * k:(r + 1) * k].mean(), n[r * k:(r + 1) * k].mean()) for r in range(args.reps)]
        print(f"depth {depth}: {k} questions x {args.reps} reps; mean CPU ms per pass old {o.mean():.3f} new "
              f"{n.mean():.3f} ({(n.mean() / o.mean() - 1) * 100:+.1f} %); p95 old {np.percentile(o, 95):.2f} new "
              f"{np.percentile(n, 95):.2f}; per rep old/new: " + ", ".join(f"{a:.2f}/{b:.2f}" for a, b in per_rep))


if __name__ == "__main__":
    main()
