"""Where does the refusal of a law + article number the index lacks or the filter leaves out fire? (round 15 review)

Every development question (rounds <= 13, the sets of ``bench/law_name_firings.py``) is read by
:func:`rag.lookup.unread_references` against each index given, without a filter; each firing is printed.

    python bench/law_reference_firings.py HOME…
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from law_name_firings import development_files, questions  # noqa: E402

from rag.index import open_index  # noqa: E402
from rag.lookup import unread_references  # noqa: E402


def main() -> None:
    homes = sys.argv[1:]
    indexes = [(h, ix, sorted({d.title for d in ix.documents.values()})) for h in homes for ix in [open_index(h)]]
    n = fired = 0
    for p in development_files(13):
        for i, t, q in questions(p):
            n += 1
            for home, ix, titles in indexes:
                kind, laws = unread_references(ix, q, titles, lambda ts: [])
                if kind:
                    fired += 1
                    print(f"{p.name} row {i} turn {t} on {home}: {kind} {laws} in {q!r}")
    print(f"{n} development questions; the article-reference refusal fires {fired} times")


if __name__ == "__main__":
    main()
