"""Save a benchmark's printed table as Markdown, headed by the command line that regenerates it."""

from __future__ import annotations

import sys
from pathlib import Path


def save_report(path: str | Path, title: str, text: str) -> None:
    """Write ``# title``, the command (``python bench/<script> <args>``) and ``text`` to ``path``."""
    command = " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    Path(path).write_text(f"# {title}\n\n`{command}`\n\n{text}\n", encoding="utf-8")


def table_of_saved_rows(table) -> bool:
    """``python bench/<script> --table ROWS…``: print ``table(rows)`` of the JSON-lines files an earlier run saved
    (with ``--out``) and return True; False when the command line asks for something else."""
    import json

    if len(sys.argv) > 2 and sys.argv[1] == "--table":
        rows = [json.loads(x) for p in sys.argv[2:] for x in Path(p).read_text(encoding="utf-8").splitlines()]
        print(table(rows))
        return True
    return False
