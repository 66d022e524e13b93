"""Of the turns one change turned right / wrong (round-18 dump → round-19 dump), how many a later fix keeps / undoes.

    PYTHONPATH=. python bench/r19_h7_gain_keep.py r18.json r19.json fix.json

Reads three ``bench/dialogue_identical.py`` dumps of the same dialogue sets and scores turns as
``bench/score_changed_turns.py`` does (a cited quote holds a gold string; an unanswerable turn is refused). A gain
(right in r19, not in r18) is *kept* when it is right in the fix; a loss (right in r18, not in r19) is *undone* when it
is right in the fix. Prints one line per gain lost and per loss undone, then the counts per index.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from score_changed_turns import DATA, _right  # bench/ is on sys.path when run as a script


def main(argv: list[str]) -> None:
    r18, r19, fix = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[:3])
    for idx, files in r18.items():
        c = {"gains": 0, "kept": 0, "losses": 0, "undone": 0, "other turned right": 0, "other turned wrong": 0}
        for name, recs in files.items():
            turns = [t for line in (DATA / name).open(encoding="utf-8") if line.strip()
                     for t in json.loads(line)["turns"]]
            for t, a, b, f in zip(turns, recs, r19[idx][name], fix[idx][name], strict=True):
                ra, rb, rf = _right(t, a), _right(t, b), _right(t, f)
                if rb and not ra:
                    c["gains"] += 1
                    c["kept"] += rf
                    if not rf:
                        print(f"{idx} {name} turn{a['turn']} gain lost | {t['question']}")
                elif ra and not rb:
                    c["losses"] += 1
                    c["undone"] += rf
                    if rf:
                        print(f"{idx} {name} turn{a['turn']} loss undone | {t['question']}")
                elif rb == ra and rf != rb:
                    c["other turned right" if rf else "other turned wrong"] += 1
                    print(f"{idx} {name} turn{a['turn']} other {'+' if rf else '-'} | {t['question']}")
        print(idx, c)


if __name__ == "__main__":
    main(sys.argv[1:])
