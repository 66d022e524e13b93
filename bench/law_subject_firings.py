"""Where do round 16's rules fire on development questions? (no embedder: the index's titles and texts only)

Every development question (rounds <= 14 by default: dialogue turns, everyday sets, sample_eval, english_eval —
:func:`law_name_firings.development_files`; with ``--stard`` also the STARD tune fold's questions) is read by
:func:`rag.repealed.unheld_subject` against each index given, as :func:`rag.qa.ask` reads a question it is asked:
``refuse`` (a law the index lacks is the question's subject: refused with ``law_not_in_index``) or ``superseded`` (a
law a held law repealed: searched in the successor). Each firing is printed so it can be judged by hand; nothing
else changes for a question on which neither fires (the check runs before any search and changes nothing then).

    python bench/law_subject_firings.py --index /tmp/lead/r16/m/corpus /tmp/lead/r16/m/sample --stard
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from law_name_firings import development_files, questions  # noqa: E402

from rag.index import open_index  # noqa: E402
from rag.repealed import unheld_subject  # noqa: E402


def stard_questions():
    """(row, 0, question) of the STARD tune fold (a development set)."""
    from stard_split import load_split

    tune, _ = load_split()
    for i, r in enumerate(tune):
        yield i, 0, r["问题"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", nargs="+", required=True, help="data dirs (each read on its own titles)")
    ap.add_argument("--max-round", type=int, default=14)
    ap.add_argument("--stard", action="store_true", help="also the STARD tune fold's questions")
    args = ap.parse_args()
    sets = [(p.name, questions(p)) for p in development_files(args.max_round)]
    if args.stard:
        sets.append(("stard_tune", stard_questions()))
    asked = [(name, row, turn, q) for name, qs in sets for row, turn, q in qs]
    for home in args.index:
        idx = open_index(home)
        titles = sorted({d.title for d in idx.documents.values()})
        counts: Counter = Counter()
        for name, row, turn, q in asked:
            law, sup = unheld_subject(idx, q, titles)
            if not law:
                continue
            kind = f"superseded by {sup.by}" if sup else "refuse"
            counts[("superseded" if sup else "refuse", name == "stard_tune", turn > 0)] += 1
            print(f"[{Path(home).name}] {name} row {row} turn {turn}: {kind} {law!r} in {q!r}")
        n_stard = sum(1 for a in asked if a[0] == "stard_tune")
        print(f"== {home}: {len(asked) - n_stard} development questions + {n_stard} STARD tune; firings "
              + ", ".join(f"{k}{' stard' if s else ''}{' follow-up' if f else ''}: {v}"
                          for (k, s, f), v in sorted(counts.items())))


if __name__ == "__main__":
    main()
