"""Read back the readers' 👍/👎 votes that the UI writes to ``<data dir>/feedback.jsonl``.

The UI (``ui/feedback.py``) appends one full record per answer voted on and a short ``revised`` line when the vote
or comment changes; past 5 MB the file is rotated to ``feedback.jsonl.1``. :func:`read_feedback` folds the two
files back into one vote per answer (the last line of a turn wins) for staff (``rag feedback``). Lines that are not
JSON records are skipped and counted, never fatal. This module does not write feedback and does not aggregate it
beyond counting votes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FeedbackLog", "read_feedback"]


@dataclass
class FeedbackLog:
    """The votes, oldest first (one dict per answer: ``time``, ``vote``, ``comment``, ``question``, ``answer``,
    ``answerable``, ``citations``, ``turn``, and ``revised`` — the time of the last change, or ``""``), and the
    number of lines that could not be read."""

    votes: list[dict] = field(default_factory=list)
    damaged: int = 0


def _lines(home: Path):
    for name in ("feedback.jsonl.1", "feedback.jsonl"):  # the rotated file holds the older lines
        path = home / name
        if path.is_file():
            with open(path, encoding="utf-8", errors="replace") as f:
                yield from f


def read_feedback(home: str | Path) -> FeedbackLog:
    """Every vote recorded under ``home``, one per answer, with later ``revised`` lines applied.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "feedback.jsonl").write_text(
    ...     '{"time": "t1", "turn": "a", "question": "问", "answer": "答", "vote": "up", "comment": ""}\\n'
    ...     '{"time": "t2", "turn": "a", "vote": "down", "comment": "不对", "revised": true}\\nnot json\\n')
    >>> log = read_feedback(d)
    >>> [(v["question"], v["vote"], v["comment"], v["revised"]) for v in log.votes], log.damaged
    ([('问', 'down', '不对', 't2')], 1)
    """
    log = FeedbackLog()
    by_turn: dict[str, dict] = {}
    for line in _lines(Path(home)):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            rec = None
        if not isinstance(rec, dict) or rec.get("vote") not in ("up", "down"):
            log.damaged += 1
            continue
        turn = str(rec.get("turn") or "")
        if rec.get("revised"):
            if turn in by_turn:
                by_turn[turn].update(vote=rec["vote"], comment=str(rec.get("comment") or ""),
                                     revised=str(rec.get("time") or ""))
            else:  # its first record was rotated away with an older file
                log.damaged += 1
            continue
        vote = {"time": str(rec.get("time") or ""), "vote": rec["vote"], "comment": str(rec.get("comment") or ""),
                "question": str(rec.get("question") or ""), "answer": str(rec.get("answer") or ""),
                "answerable": rec.get("answerable"), "citations": rec.get("citations") or [], "turn": turn,
                "revised": ""}
        log.votes.append(vote)
        if turn:
            by_turn[turn] = vote
    return log
