"""What the previous-answer prior (``DialogueConfig.near_prior``) adds to a follow-up turn, same run.

Every follow-up of the given dialogue sets is answered in context twice per round, with ``near_prior=0`` and with
``near_prior=W``, in alternating order (the history is the answers the base gave, so both answer the same turn);
``--rounds`` rounds. Reports p50/p95 of both over every sample, the p95 of each turn's fastest round, and the added
p95 (W − base). The per-index table of sentence starts (:func:`rag.context.previous_passages`) is built before
timing, as a warm server has it.

    python bench/bench_near_prior.py --home HOME [--weight 1.0 | --join] --rounds 3 bench/data/dialogues.jsonl …
"""

from __future__ import annotations

import argparse
import functools
import time

import numpy as np

from rag.context import previous_passages
from rag.dialogue import DialogueConfig, Turn, ask_in_context, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher


def _p(xs, q):
    return float(np.percentile(xs, q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--home", required=True)
    ap.add_argument("--weight", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--join", action="store_true", help="DialogueConfig(near_join=True) instead of near_prior")
    args = ap.parse_args()
    searcher = Searcher(args.home)
    warm_up()
    searcher.ask("温州人工智能局做什么")
    previous_passages(searcher.index(), ["温州人工智能局"])  # the table, built once per index
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    base_cfg = DialogueConfig(near_prior=0.0, near_join=False)
    near_cfg = DialogueConfig(near_join=True) if args.join else DialogueConfig(near_prior=args.weight)
    turns = []  # (question, history) of every follow-up, the history as the base answered it
    for f in args.files:
        for d in load_dialogues(f):
            history: list[Turn] = []
            for i, t in enumerate(d.turns):
                a = ask_in_context(ask, t.question, history, config=base_cfg)
                if i:
                    turns.append((t.question, list(history)))
                history.append(Turn(t.question, a.answer, a.search_question))
    times = {"base": [[] for _ in turns], "near": [[] for _ in turns]}
    for r in range(args.rounds):
        for j, (q, history) in enumerate(turns):
            order = [("base", base_cfg), ("near", near_cfg)]
            for name, cfg in order if (r + j) % 2 == 0 else order[::-1]:
                t0 = time.perf_counter()
                ask_in_context(ask, q, history, config=cfg)
                times[name][j].append((time.perf_counter() - t0) * 1000)
    every = {k: [x for row in v for x in row] for k, v in times.items()}
    fastest = {k: [min(row) for row in v] for k, v in times.items()}
    print(f"{len(turns)} follow-ups × {args.rounds} rounds, {'near_join' if args.join else f'weight {args.weight}'}")
    print("| what | base p50 / p95 ms | near prior p50 / p95 ms | added p95 |")
    print("|---|---|---|---|")
    for name, xs in (("every sample", every), ("each turn's fastest round", fastest)):
        b, n = xs["base"], xs["near"]
        print(f"| {name} | {_p(b, 50):.1f} / {_p(b, 95):.1f} | {_p(n, 50):.1f} / {_p(n, 95):.1f} | "
              f"{_p(n, 95) - _p(b, 95):+.1f} |")


if __name__ == "__main__":
    main()
