"""Recently embedded questions, by text: a conversation's previous question costs no second embedding.

A follow-up's second reading (:mod:`rag.incontext`) is answered with the query vector
``normalise(v(question) + v(previous standalone question))``. The previous question was embedded one request
earlier (the chat, ``rag chat``, ``/v1/chat/completions`` with the full ``messages`` list all answer turn by
turn in one process), so :func:`rag.qa.ask` records every query vector here and the second reading looks it up.
A process-wide LRU of :data:`SIZE` vectors in all (384 floats each: ~0.8 MB at 512), keyed by the embedder's
fingerprint and the question without trailing punctuation; thread-safe. This module does not embed or retrieve.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .textnorm import strip_end

__all__ = ["SIZE", "lookup", "mixed", "remember"]

#: Vectors kept (least recently used dropped first).
SIZE = 512
_lock = threading.Lock()
_cache: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()


def _key(fingerprint: str, text: str) -> tuple[str, str]:
    return fingerprint, strip_end(text)


def remember(fingerprint: str, text: str, vector: np.ndarray) -> None:
    """Keep ``vector`` as the query vector of ``text`` under the embedder ``fingerprint``."""
    k = _key(fingerprint, text)
    with _lock:
        _cache[k] = vector
        _cache.move_to_end(k)
        while len(_cache) > SIZE:
            _cache.popitem(last=False)


def lookup(fingerprint: str, text: str) -> np.ndarray | None:
    """The remembered query vector of ``text``, or None."""
    k = _key(fingerprint, text)
    with _lock:
        v = _cache.get(k)
        if v is not None:
            _cache.move_to_end(k)
        return v


def mixed(vector: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``(vector + other) / ‖vector + other‖`` — the question read together with another one.

    >>> [round(float(x), 3) for x in mixed(np.array([1.0, 0.0]), np.array([0.0, 1.0]))]
    [0.707, 0.707]
    """
    v = np.asarray(vector, dtype=np.float32) + np.asarray(other, dtype=np.float32)
    n = float(np.linalg.norm(v))
    return v / n if n else v
