"""Dense feedback for statute-only indexes (round 9, issue 10; off by default): :class:`DenseFeedback`.

Two cheap ways to use what the first ranking found, without re-embedding anything:

* **Dense pseudo-relevance feedback** (Rocchio on vectors): the adapted question vector moves towards the
  mean of the top ``k`` article vectors of the first ranking, ``q' = normalise(q + alpha · mean)``, and the
  dense channel is searched again with ``q'`` (one extra FAISS search). The lexical channels are unchanged.
* **Neighbouring-article smoothing**: a candidate's score gains ``beta ·`` the best score among the passages
  next to it in the same document and the same 编/章/节 path (the article before or after, or the other
  款 of a long article) — citizens' questions often touch a run of consecutive articles.

What it does not do: it does not fit anything (``alpha``, ``k``, ``beta`` are settings, chosen by CV inside
STARD tune: ``bench/stard_prf_cv.py``), it does not touch news or mixed indexes (:mod:`rag.retrieve` calls it
only where the query adapter applies), and it cannot add a passage that no channel retrieved except through
the second dense search.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import QueryError
from .index import Index

__all__ = ["DenseFeedback", "feedback_vector", "neighbour_rows", "smooth_neighbours"]


@dataclass(frozen=True)
class DenseFeedback:
    """``alpha`` > 0 turns feedback on (``k``: feedback articles; ``source``: ``"dense"`` = the first dense
    ranking, ``"fused"`` = the final hybrid ranking); ``beta`` > 0 turns neighbour smoothing on, applied to the
    fused scores (``where="fused"``, every candidate) or to the re-ranked top (``where="final"``)."""

    alpha: float = 0.0
    k: int = 5
    source: str = "dense"
    beta: float = 0.0
    where: str = "final"

    def __post_init__(self) -> None:
        if self.source not in ("dense", "fused") or self.where not in ("fused", "final") or self.k < 1:
            raise QueryError(f"DenseFeedback: source must be 'dense' or 'fused', where 'fused' or 'final', k ≥ 1; got "
                             f"source={self.source!r}, where={self.where!r}, k={self.k!r}.")

    @property
    def active(self) -> bool:
        return self.alpha > 0 or self.beta > 0


def feedback_vector(index: Index, qv: np.ndarray, rows: list[int], alpha: float) -> np.ndarray:
    """``normalise(qv + alpha · mean of rows' passage vectors)``; ``qv`` itself when ``rows`` is empty.

    >>> import numpy as np
    >>> class _D:
    ...     def vectors(self): return np.eye(2, dtype=np.float32)
    >>> class _I:
    ...     dense = _D()
    ...     def derived(self, key, compute): return compute()
    >>> [round(float(x), 3) for x in feedback_vector(_I(), np.array([1.0, 0.0], np.float32), [1], 1.0)]
    [0.707, 0.707]
    """
    if not rows or alpha <= 0:
        return qv
    vecs = index.derived("statute_dense.vectors", index.dense.vectors)
    v = np.asarray(qv, np.float32) + alpha * vecs[np.asarray(rows)].mean(axis=0)
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)


def neighbour_rows(index: Index) -> list[tuple[int, ...]]:
    """For every row, the rows next to it (±1) in the same document and the same section path."""
    def compute() -> list[tuple[int, ...]]:
        ch = index.chunks
        out = []
        for i, c in enumerate(ch):
            out.append(tuple(j for j in (i - 1, i + 1)
                             if 0 <= j < len(ch) and ch[j].doc_id == c.doc_id and ch[j].section == c.section))
        return out
    return index.derived("statute_dense.neighbours", compute)


def smooth_neighbours(index: Index, scores: dict[int, float], beta: float) -> dict[int, float]:
    """``score + beta · max(score of a neighbour that is itself a candidate)``, for every candidate.

    Non-candidates contribute nothing; the order of ties is left to the caller."""
    if beta <= 0 or not scores:
        return scores
    nb = neighbour_rows(index)
    return {r: s + beta * max((scores[j] for j in nb[r] if j in scores), default=0.0) for r, s in scores.items()}


def second_dense(index: Index, qv: np.ndarray, first_rows: list[int], look: DenseFeedback, depth: int,
                 allowed: np.ndarray | None, search: Callable | None = None) -> dict[int, float]:
    """The dense channel searched again with the feedback vector of ``first_rows[:k]``."""
    q2 = feedback_vector(index, qv, first_rows[: look.k], look.alpha)
    s, r = (search or index.dense.search)(q2, depth, allowed=allowed)
    return dict(zip(r.tolist(), s.tolist()))


def __getattr__(name: str):
    """``SecondLook``: round 9's name of :class:`DenseFeedback` (renamed: :class:`rag.incontext.SecondLook` is a
    different thing), kept with a DeprecationWarning."""
    if name == "SecondLook":
        warnings.warn("rag.statute_dense.SecondLook is now DenseFeedback.", DeprecationWarning, stacklevel=2)
        return DenseFeedback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
