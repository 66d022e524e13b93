"""Reader feedback: one JSON line per 👍/👎 in ``<data dir>/feedback.jsonl``, once per answer.

The first vote on an answer writes a record with the question, the answer text, its citations (as in the JSON
contract), the vote (``"up"``/``"down"``), an optional comment, the time (ISO 8601, UTC) and ``turn``, an id of
that answer in the chat. Voting again on the same answer writes a short line ``{"time", "turn", "vote",
"comment", "revised": true}`` only when the vote or the comment changed (the last line of a turn wins), so
clicking 👍 repeatedly no longer appends the whole answer each time. The file is capped: past
:data:`MAX_BYTES` it is renamed to ``feedback.jsonl.1`` (replacing an older one) and a new file is started, so
feedback takes at most about twice that on disk. Appends are serialised with a lock so concurrent sessions never
interleave lines. This module does not read feedback back (:mod:`rag.feedback_log`, ``rag feedback`` does).
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["MAX_BYTES", "MAX_COMMENT", "VOTES", "record_feedback", "vote_on_turn"]

VOTES = ("up", "down")
MAX_COMMENT = 1000
MAX_BYTES = 5 * 2**20
_LOCK = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _append(home: str | Path, rec: dict, max_bytes: int) -> None:
    path = Path(home) / "feedback.jsonl"
    line = json.dumps(rec, ensure_ascii=False) + "\n"
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size + len(line.encode("utf-8")) > max_bytes:
            os.replace(path, path.with_name("feedback.jsonl.1"))
        with open(path, "a", encoding="utf-8") as f:
            f.write(line)


def _check(vote: str) -> None:
    if vote not in VOTES:
        raise ValueError(f"vote must be one of {VOTES}, not {vote!r}")


def record_feedback(home: str | Path, answer: dict, vote: str, comment: str = "", *, turn: str = "",
                    max_bytes: int = MAX_BYTES) -> dict:
    """Append one feedback record for ``answer`` (an ``Answer.to_dict()``); returns it.

    >>> import tempfile, pathlib
    >>> d = tempfile.mkdtemp()
    >>> record_feedback(d, {"question": "问", "answer": "答[1]", "citations": []}, "up", " 好 ")["comment"]
    '好'
    >>> len(pathlib.Path(d, "feedback.jsonl").read_text(encoding="utf-8").splitlines())
    1
    """
    _check(vote)
    rec = {
        "time": _now(),
        "question": answer.get("question", ""),
        "answer": answer.get("answer", ""),
        "answerable": answer.get("answerable"),
        "citations": answer.get("citations", []),
        "vote": vote,
        "comment": (comment or "").strip()[:MAX_COMMENT],
    }
    if turn:
        rec["turn"] = turn
    _append(home, rec, max_bytes)
    return rec


def vote_on_turn(home: str | Path, turn: dict, vote: str, comment: str = "", *, max_bytes: int = MAX_BYTES) -> dict:
    """A chat turn (``{"answer": Answer.to_dict(), "vote": …}``) after a vote, recording what changed: the whole
    answer on the first vote, a short ``revised`` line when the vote or comment changed, nothing otherwise.

    >>> import tempfile, pathlib
    >>> d, t = tempfile.mkdtemp(), {"answer": {"question": "问", "answer": "答", "citations": []}, "vote": None}
    >>> t = vote_on_turn(d, vote_on_turn(d, vote_on_turn(d, t, "up"), "up"), "down")
    >>> [sorted(json.loads(x)) for x in pathlib.Path(d, "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    ... # doctest: +NORMALIZE_WHITESPACE
    [['answer', 'answerable', 'citations', 'comment', 'question', 'time', 'turn', 'vote'],
     ['comment', 'revised', 'time', 'turn', 'vote']]
    """
    _check(vote)
    comment = (comment or "").strip()[:MAX_COMMENT]
    tid = turn.get("id") or uuid.uuid4().hex[:16]
    if turn.get("vote") is None:
        record_feedback(home, turn["answer"], vote, comment, turn=tid, max_bytes=max_bytes)
    elif (turn.get("vote"), turn.get("comment", "")) != (vote, comment):
        _append(home, {"time": _now(), "turn": tid, "vote": vote, "comment": comment, "revised": True}, max_bytes)
    return dict(turn, id=tid, vote=vote, comment=comment)
