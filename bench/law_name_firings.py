"""Where does the round-15 law-name reading fire on development questions? (no index, no embedder)

Every question of the development sets (rounds <= 13: ``dialogues*.jsonl`` turns, ``everyday_*.jsonl``,
``sample_eval``, ``english_eval``; never round 14 or later) is read by :func:`rag.law_names.law_name_in` (a law named
the way titles are, held or not) and by :func:`rag.law_names.titles_named` against the titles of the indexes given
(``--index``: a held law, nicknames included). A name that fires but is not held is where a follow-up in a law
conversation would now be refused as naming a law the library lacks; each is printed with its set so it can be
judged (a real law name, or an ordinary word read as one).

    python bench/law_name_firings.py --index HOME…         # counts, then every firing on a name no index holds
    python bench/law_name_firings.py --index HOME… --all   # every firing
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.index import open_index  # noqa: E402
from rag.law_names import law_name_in, resolve_title, titles_named  # noqa: E402

DATA = ROOT / "bench" / "data"
_ROUND = re.compile(r"heldout(\d+)")


def development_files(max_round: int = 13) -> list[Path]:
    """The question files of rounds <= ``max_round`` (unnumbered sets are rounds <= 5)."""
    out = []
    for p in sorted(DATA.glob("*.jsonl")):
        m = _ROUND.search(p.stem)
        if p.stem.startswith(("dialogues", "everyday_", "sample_eval", "english_eval")) \
                and not (m and int(m.group(1)) > max_round):
            out.append(p)
    return out


def questions(path: Path):
    """(row, turn, question) of a file: dialogue turns, or one question a row (turn 0)."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        r = json.loads(line)
        for t, turn in enumerate(r.get("turns") or [r]):
            if q := (turn.get("question") or "").strip():
                yield i, t, q


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--all", action="store_true", help="print every firing, held laws too")
    ap.add_argument("--max-round", type=int, default=13)
    ap.add_argument("--index", nargs="+", required=True, help="data dirs whose titles count as held")
    args = ap.parse_args()
    titles = sorted({d.title for home in args.index for d in open_index(home).documents.values()})
    n = fired = unheld = followups = 0
    for path in development_files(args.max_round):
        for row, turn, q in questions(path):
            n += 1
            name = law_name_in(q)
            if not name:
                continue
            fired += 1
            held = bool(resolve_title(titles, name)) or bool(titles_named(titles, q))
            unheld += not held
            followups += (not held and turn > 0)
            if args.all or not held:
                print(f"{path.name} row {row} turn {turn}: {'held' if held else 'NOT HELD'} {name!r} in {q!r}")
    print(f"{n} development questions; the law-name reading fires on {fired}; on a name no index holds: "
          f"{unheld} ({followups} of them follow-ups)")


if __name__ == "__main__":
    main()
