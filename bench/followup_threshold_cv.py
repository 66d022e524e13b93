"""The follow-up refusal threshold chosen by leave-one-round-out over the development dialogues (round 13).

Inputs: the rows of ``bench/followup_gates.py`` for the development dialogue sets run twice — as shipped (the stored
dense follow-up threshold, 0.183) and with ``--config followup_threshold=0`` (every first reading of a turn that leans
on the conversation answered by the refusal model; the checks still apply). For a threshold ``t`` between the two, a
follow-up whose first reading has ``t <= p < 0.183`` takes the outcome of the second run, every other one that of the
first (the first reading is the same wording on the same passages in both; later turns' histories may differ, which
this ignores — the chosen threshold is then replayed for real). Fold r (a round): the ``t`` of the grid with the most
correct follow-ups (answerable quoted + unanswerable refused) on the other rounds, ties to the higher ``t``; round r
is scored at it. Fits nothing else.

    python bench/followup_threshold_cv.py --base BASE.jsonl… --low LOW.jsonl…
"""

from __future__ import annotations

import argparse
import collections
import json
from pathlib import Path

from followup_gates import round_of

STORED = 0.18336138504458563
GRID = [round(x * 0.01, 2) for x in range(0, 19)] + [STORED]


def _read(paths) -> dict:
    rows = [json.loads(x) for p in paths for x in Path(p).read_text(encoding="utf-8").splitlines()]
    return {(r["set"], r["id"]): r for r in rows}


def correct(r: dict) -> int:
    return int(r["hit"]) if r["answerable"] else int(r["unanswerable"] and not r["answered"])


def outcome(base: dict, low: dict, t: float) -> dict:
    """Per follow-up: the row (base or low) that threshold ``t`` would give."""
    out = {}
    for k, b in base.items():
        lo = low.get(k)
        p = lo.get("p") if lo else None
        out[k] = lo if lo is not None and p is not None and t <= p < STORED else b
    return out


def score(rows: dict, keys) -> collections.Counter:
    c = collections.Counter()
    for k in keys:
        r = rows[k]
        c["hit"] += int(r["hit"])
        c["unans_refused"] += int(r["unanswerable"] and not r["answered"])
        c["correct"] += correct(r)
    return c


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", nargs="+", required=True)
    ap.add_argument("--low", nargs="+", required=True)
    args = ap.parse_args()
    base, low = _read(args.base), _read(args.low)
    by_round = collections.defaultdict(list)
    for k in base:
        by_round[round_of(k[0])].append(k)
    sims = {t: outcome(base, low, t) for t in GRID}
    print("| round | chosen t | follow-ups | answerable hit: base → out of round | unanswerable refused: base → |")
    print("|---|---|---|---|---|")
    tot = collections.Counter()
    for ro in sorted(by_round):
        others = [k for r2, ks in by_round.items() if r2 != ro for k in ks]
        t = max(GRID, key=lambda t: (score(sims[t], others)["correct"], t))
        b, a = score(base, by_round[ro]), score(sims[t], by_round[ro])
        tot.update({"b_hit": b["hit"], "a_hit": a["hit"], "b_ref": b["unans_refused"], "a_ref": a["unans_refused"]})
        print(f"| {ro} | {t:.2f} | {len(by_round[ro])} | {b['hit']} → {a['hit']} | {b['unans_refused']} → "
              f"{a['unans_refused']} |")
    print(f"| pooled | | | {tot['b_hit']} → {tot['a_hit']} ({tot['a_hit'] - tot['b_hit']:+d}) | {tot['b_ref']} → "
          f"{tot['a_ref']} ({tot['a_ref'] - tot['b_ref']:+d}) |")
    print("\nall rounds, per threshold (simulated): t, hit, unanswerable refused, correct")
    for t in GRID:
        s = score(sims[t], list(base))
        print(f"  {t:.3f} {s['hit']} {s['unans_refused']} {s['correct']}")


if __name__ == "__main__":
    main()
