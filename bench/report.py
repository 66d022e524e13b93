"""Save a benchmark's printed table as Markdown, headed by the command line that regenerates it."""

from __future__ import annotations

import sys
from pathlib import Path


def save_report(path: str | Path, title: str, text: str) -> None:
    """Write ``# title``, the command (``python bench/<script> <args>``) and ``text`` to ``path``."""
    command = " ".join(["python", f"bench/{Path(sys.argv[0]).name}", *sys.argv[1:]])
    Path(path).write_text(f"# {title}\n\n`{command}`\n\n{text}\n", encoding="utf-8")
