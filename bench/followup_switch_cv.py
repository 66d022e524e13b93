"""An on/off switch of the conversation layer chosen by leave-one-round-out over the development dialogues (round 13).

Inputs: the rows of ``bench/followup_gates.py`` for the development dialogue sets run with the switch off (``--base``)
and on (``--cand``). Fold r (a round): on if it gives more correct follow-ups (answerable quoted + unanswerable refused)
on the other rounds, ties off; round r is scored with that choice (both runs are real replays: no simulation).

    python bench/followup_switch_cv.py --base BASE.jsonl… --cand CAND.jsonl…
"""

from __future__ import annotations

import argparse
import collections

from followup_gates import round_of
from followup_threshold_cv import _read, score


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", nargs="+", required=True)
    ap.add_argument("--cand", nargs="+", required=True)
    args = ap.parse_args()
    base, cand = _read(args.base), _read(args.cand)
    assert base.keys() == cand.keys(), "the two runs must cover the same follow-ups"
    by_round = collections.defaultdict(list)
    for k in base:
        by_round[round_of(k[0])].append(k)
    print("| round | follow-ups | on (chosen on the other rounds) | answerable quoted: off → out of round | "
          "unanswerable refused: off → out of round | on, this round: quoted, refused |")
    print("|---|---|---|---|---|---|")
    tot = collections.Counter()
    for ro in sorted(by_round):
        others = [k for r2, ks in by_round.items() if r2 != ro for k in ks]
        on = score(cand, others)["correct"] > score(base, others)["correct"]
        b, c = score(base, by_round[ro]), score(cand, by_round[ro])
        a = c if on else b
        tot.update({"b_hit": b["hit"], "a_hit": a["hit"], "b_ref": b["unans_refused"], "a_ref": a["unans_refused"]})
        print(f"| {ro} | {len(by_round[ro])} | {'on' if on else 'off'} | {b['hit']} → {a['hit']} | "
              f"{b['unans_refused']} → {a['unans_refused']} | {c['hit']}, {c['unans_refused']} |")
    print(f"| pooled | | | {tot['b_hit']} → {tot['a_hit']} ({tot['a_hit'] - tot['b_hit']:+d}) | {tot['b_ref']} → "
          f"{tot['a_ref']} ({tot['a_ref'] - tot['b_ref']:+d}) | |")
    for tag in ("sample", "corpus"):
        ks = [k for k in base if k[0].endswith("__" + tag)]
        b, c = score(base, ks), score(cand, ks)
        print(f"{tag}: quoted {b['hit']} → {c['hit']}, unanswerable refused {b['unans_refused']} → {c['unans_refused']}")


if __name__ == "__main__":
    main()
