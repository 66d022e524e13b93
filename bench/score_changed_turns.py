"""Score every dialogue turn that differs between two ``bench/dialogue_identical.py`` dumps against its gold.

A changed turn is *turned right* when the after-answer is right and the before-answer was not (answerable: a cited
quote holds a gold string, as ``rag eval`` scores it; unanswerable: refused), *turned wrong* the other way round.
Prints one line per changed turn and the counts per (index, round-16 set or not, first turn or follow-up).

    PYTHONPATH=. python bench/score_changed_turns.py before.json after.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rag.evaluate_dialogue import normalize, search_form

DATA = Path(__file__).resolve().parent / "data"
_KEYS = ("answer", "refused", "search_question", "citations")


def _right(turn: dict, rec: dict) -> bool:
    if not turn["answerable"]:
        return rec["refused"]
    golds = [search_form(normalize(g)[0]) for g in turn.get("answers", [])]
    return not rec["refused"] and any(g in search_form(c["quote"]) for g in golds for c in rec["citations"])


def _shown(rec: dict) -> str:
    return "REF" if rec["refused"] else (rec["citations"][0]["quote"][:40] if rec["citations"] else "")


def compare(before: dict, after: dict) -> dict[tuple, list[int]]:
    tally: dict[tuple, list[int]] = {}
    for idx, files in before.items():
        for name, recs in files.items():
            turns = [t for line in (DATA / name).open(encoding="utf-8") if line.strip()
                     for t in json.loads(line)["turns"]]
            for t, b, a in zip(turns, recs, after[idx][name], strict=True):
                if all(b[k] == a[k] for k in _KEYS):
                    continue
                rb, ra = _right(t, b), _right(t, a)
                sign = "+" if ra and not rb else "-" if rb and not ra else "="
                key = (idx, "r16" if "heldout16" in name else "other", "first" if b["turn"] == 0 else "follow-up")
                tally.setdefault(key, [0, 0, 0])["+-=".index(sign)] += 1
                print(f"{idx} {name} turn{b['turn']} answerable={t['answerable']} {sign} | {t['question']} | "
                      f"before: {b['search_question']} {_shown(b)} | after: {a['search_question']} {_shown(a)}")
    return tally


def main(argv: list[str]) -> None:
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in argv[:2])
    print("(index, set, kind): [turned right, turned wrong, changed but right/wrong unchanged]")
    for key, counts in sorted(compare(before, after).items()):
        print(key, counts)


if __name__ == "__main__":
    main(sys.argv[1:])
