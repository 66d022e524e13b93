"""What a follow-up in a conversation about laws costs (rag.law_followup), against the same question asked alone.

Every follow-up of the law dialogue files is answered in context (rag.dialogue.ask_in_context: the typed reading
and the previous-search reading, whose query vector mixes two cached ones) and then asked alone (rag.qa.ask),
interleaved in the same run, ``--rounds`` times; p50/p95 of both, the added p95, and how many readings were
answered per turn. Answers are not scored here (``rag eval FILE --index HOME`` does that).

    python bench/bench_law_dialogue.py --home HOME [--rounds 3] [--runs 3] [--stat all|min] [--clock wall|cpu] [FILE ...]

Each follow-up's own query vector is forgotten before it is answered in context (in use it is a new question;
round 8's bench let rounds 2 and 3 find it remembered, which flattered follow-ups that are not read as typed), and
odd rounds ask the question alone first, after one untimed round (whichever runs first pays for caches still cold:
round 8's bench always answered in context first, on cold caches).

``--runs N`` repeats the whole measurement N times in the same process and reports each run's added p50/p95 and
their medians (a shared machine is noisy: compare medians of several runs, and code versions interleaved).
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path

import numpy as np

from rag import query_cache
from rag.dialogue import DialogueConfig, Turn, ask_in_context, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher
from rag.retrieve import clean_question
from rag.textnorm import strip_end, to_mainland

ROOT = Path(__file__).resolve().parents[1]
SETS = ("dialogues_heldout6_laws.jsonl", "dialogues_heldout_laws.jsonl", "dialogues_report_laws.jsonl",
        "dialogues_heldout7_laws.jsonl")  # round 7's held-out law dialogues are development data since round 8


def _forget(question: str) -> None:
    """Drop ``question``'s query vector from the process's cache (rag.query_cache): in use a follow-up is a new
    question, embedded for the first time; the earlier rounds of this bench must not have it remembered."""
    gone = {strip_end(question), strip_end(to_mainland(clean_question(question)))}
    with query_cache._lock:
        for key in [k for k in query_cache._cache if k[1] in gone]:
            del query_cache._cache[key]


def measure(searcher: Searcher, files: list[Path], rounds: int, clock=time.perf_counter, stat: str = "all",
            config: DialogueConfig = DialogueConfig()) -> dict:
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    in_ctx, alone, readings = [], [], []
    for n in range(rounds):
        for path in files:
            for d in load_dialogues(path):
                history: list[Turn] = []
                for i, t in enumerate(d.turns):
                    if i and n % 2:  # odd rounds: alone first (what runs first pays for cold caches)
                        t0 = clock()
                        ask(t.question)
                        alone.append((clock() - t0) * 1000)
                    _forget(t.question)
                    t0 = clock()
                    a = ask_in_context(ask, t.question, history, config=config)
                    t1 = clock()
                    if i:
                        in_ctx.append((t1 - t0) * 1000)
                        if not n % 2:
                            ask(t.question)
                            alone.append((clock() - t1) * 1000)
                        readings.append(a.timings_ms.get("law_readings", 0.0))
                    history.append(Turn(t.question, a.answer, a.search_question))
    if stat == "min":  # per turn, the fastest of the rounds (what it costs without other processes' interference)
        n = len(in_ctx) // rounds
        in_ctx, alone = (np.min(np.reshape(x, (rounds, n)), axis=0) for x in (in_ctx, alone))
    p = lambda xs, q: float(np.percentile(xs, q))  # noqa: E731
    return {"turns": len(in_ctx), "in_p50": p(in_ctx, 50), "in_p95": p(in_ctx, 95), "alone_p50": p(alone, 50),
            "alone_p95": p(alone, 95), "law_turns": sum(r > 0 for r in readings) / len(readings),
            "readings": float(np.mean([r for r in readings if r > 0] or [0.0]))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*", help="dialogue JSONL files (default: the four law dialogue sets)")
    ap.add_argument("--home", default=None, help="data dir of an index holding corpus/ (default: $RAG_HOME)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1, help="repeat the measurement; report the medians")
    ap.add_argument("--stat", choices=("all", "min"), default="all",
                    help="all: percentiles over every turn of every round (default); min: per turn the fastest round")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: elapsed time (default); cpu: CPU time of this process (all its threads), which other "
                         "processes on a shared machine inflate far less")
    ap.add_argument("--law-prior", nargs="+", default=None, metavar="W:L",
                    help="DialogueConfig(law_prior=W, law_prior_last=L) per run, in turn (e.g. 0:0 0.3:0.05: the "
                         "configurations interleaved run by run in one process, each reported on its own)")
    args = ap.parse_args()
    if args.law_prior:
        return compare(args)
    files = [Path(f) for f in args.files] or [ROOT / "bench" / "data" / s for s in SETS]
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise SystemExit(f"No such dialogue file: {', '.join(missing)}")
    searcher = Searcher(args.home)
    warm_up()
    searcher.ask("试用期最长能约定多久？")
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    measure(searcher, files, 1)  # untimed: a running server has its passages prepared (rag.evidence_rerank)
    runs = [measure(searcher, files, args.rounds, clock, args.stat) for _ in range(max(1, args.runs))]
    m = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
    print(f"| what ({args.clock} clock, {args.stat}) | p50 ms | p95 ms |\n|---|---|---|")
    print(f"| law follow-up in context, {m['turns']:.0f} turns ({m['law_turns']:.0%} read as law follow-ups, "
          f"{m['readings']:.2f} readings each) | {m['in_p50']:.1f} | {m['in_p95']:.1f} |")
    print(f"| the same question asked alone | {m['alone_p50']:.1f} | {m['alone_p95']:.1f} |")
    added = [(r["in_p50"] - r["alone_p50"], r["in_p95"] - r["alone_p95"]) for r in runs]
    print(f"| **added** (median of {len(runs)} run{'s' * (len(runs) > 1)}: "
          f"{', '.join(f'{a:+.1f}/{b:+.1f}' for a, b in added)}) "
          f"| **{np.median([a for a, _ in added]):+.1f}** | **{np.median([b for _, b in added]):+.1f}** |")


def compare(args) -> None:
    """``--law-prior``: the configurations interleaved run by run (``--runs`` each), the added p50/p95 of each."""
    files = [Path(f) for f in args.files] or [ROOT / "bench" / "data" / s for s in SETS]
    configs = {c: DialogueConfig(law_prior=float(c.split(":")[0]), law_prior_last=float(c.split(":")[1]))
               for c in args.law_prior}
    searcher = Searcher(args.home)
    warm_up()
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    for cfg in configs.values():
        measure(searcher, files, 1, config=cfg)  # untimed
    runs: dict = {c: [] for c in configs}
    for _ in range(max(1, args.runs)):
        for c, cfg in configs.items():
            runs[c].append(measure(searcher, files, args.rounds, clock, args.stat, cfg))
    print(f"| law prior ({args.clock} clock, {args.stat}) | in context p50 / p95 | alone p50 / p95 | added p50 / p95 "
          "(median; runs) |\n|---|---|---|---|")
    for c, rs in runs.items():
        med = {k: float(np.median([r[k] for r in rs])) for k in rs[0]}
        added = [(r["in_p50"] - r["alone_p50"], r["in_p95"] - r["alone_p95"]) for r in rs]
        print(f"| {c} | {med['in_p50']:.1f} / {med['in_p95']:.1f} | {med['alone_p50']:.1f} / {med['alone_p95']:.1f} | "
              f"**{np.median([a for a, _ in added]):+.1f} / {np.median([b for _, b in added]):+.1f}** "
              f"({', '.join(f'{a:+.1f}/{b:+.1f}' for a, b in added)}) |")


if __name__ == "__main__":
    main()
