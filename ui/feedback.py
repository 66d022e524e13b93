"""Reader feedback: one JSON line per 👍/👎 in ``<data dir>/feedback.jsonl``.

Each record holds the question, the answer text, its citations (as in the
JSON contract), the vote (``"up"``/``"down"``), an optional comment and the
time (ISO 8601, UTC). Appends are serialised with a lock so concurrent
sessions never interleave lines. This module does not read feedback back or
aggregate it.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["MAX_COMMENT", "VOTES", "record_feedback"]

VOTES = ("up", "down")
MAX_COMMENT = 1000
_LOCK = threading.Lock()


def record_feedback(home: str | Path, answer: dict, vote: str, comment: str = "") -> dict:
    """Append one feedback record for ``answer`` (an ``Answer.to_dict()``); returns it.

    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp()
    >>> record_feedback(d, {"question": "问", "answer": "答[1]", "citations": []}, "up", " 好 ")["comment"]
    '好'
    >>> len(pathlib.Path(d, "feedback.jsonl").read_text(encoding="utf-8").splitlines())
    1
    """
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")
    rec = {
        "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "question": answer.get("question", ""),
        "answer": answer.get("answer", ""),
        "answerable": answer.get("answerable"),
        "citations": answer.get("citations", []),
        "vote": vote,
        "comment": (comment or "").strip()[:MAX_COMMENT],
    }
    path = Path(home) / "feedback.jsonl"
    line = json.dumps(rec, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)
    return rec
