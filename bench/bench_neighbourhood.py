"""CPU cost of the neighbourhood reading (rag.neighbourhood) per follow-up turn — independent of the machine's load.

Replays dialogue files as the chat answers them with ``DialogueConfig(neighbourhood=False)``; on every follow-up left
refused (the turns where the neighbourhood step runs), times ``rag.dialogue._near`` — finding the previous answer's
passage (asking the previous question again when no passage at hand holds it), reading its sentences and the checks —
in CPU time (``time.process_time``). Prints how many follow-ups reach it, its p50/p95/max, and the added CPU time over
all follow-ups (0 for those that do not reach it).

    python bench/bench_neighbourhood.py --home HOME bench/data/dialogues_heldout7.jsonl bench/data/dialogues.jsonl
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from rag.dialogue import DialogueConfig, Turn, _near, ask_in_context, resolve
from rag.qa import Searcher


def neighbourhood_cpu(searcher: Searcher, paths: list[str]) -> tuple[int, list[float]]:
    """``(follow-ups, CPU ms of the neighbourhood step on each refused one)``."""
    off = DialogueConfig(neighbourhood=False)
    turns, ms = 0, []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            history: list[Turn] = []
            for t in json.loads(line)["turns"]:
                a = ask_in_context(searcher.ask, t["question"], history, config=off)
                if history:
                    turns += 1
                    if not a.answerable:
                        rw = resolve(t["question"], history)
                        t0 = time.process_time()
                        _near(searcher.ask, a, rw, history, off, [], {})
                        ms.append((time.process_time() - t0) * 1000)
                history.append(Turn(t["question"], a.answer, a.search_question))
    return turns, ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dialogues", nargs="+")
    ap.add_argument("--home", default=None)
    args = ap.parse_args()
    turns, ms = neighbourhood_cpu(Searcher(args.home), args.dialogues)
    if not ms:  # no follow-up left refused (or no follow-up at all): nothing was timed
        print(f"follow-ups {turns}, reaching the neighbourhood 0: no added CPU")
        return
    every = ms + [0.0] * (turns - len(ms))
    print(f"follow-ups {turns}, reaching the neighbourhood {len(ms)}: CPU p50 {np.percentile(ms, 50):.2f} ms, "
          f"p95 {np.percentile(ms, 95):.2f} ms, max {max(ms):.2f} ms")
    print(f"added CPU over all follow-ups: p95 {np.percentile(every, 95):.2f} ms, mean {np.mean(every):.2f} ms")


if __name__ == "__main__":
    main()
