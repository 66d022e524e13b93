"""Retrieval: a question → ranked :class:`~rag.records.Hit` list.

Three modes over one index: ``dense`` (FAISS cosine on the embedder's query
vector), ``bm25`` (jieba terms) and ``hybrid``. Queries go through the same
normalisation as documents (full-width folding, traditional → simplified),
so 溫州 finds 温州. Hybrid fusion is a convex combination of per-query
normalised scores::

    fused = w · dense_cos / max(dense_cos) + (1 − w) · bm25 / max(bm25)

over the union of both candidate lists (a missing score counts as 0). We
chose it over reciprocal-rank fusion by measurement (``bench/tune_fusion.py``
on the held-out CMRC2018 trial set; numbers in the README): RRF throws away
how *much* better the first BM25 hit is, and on near-duplicate Chinese
passages that margin is what ranks the right one first. This module does not
build answers; see :mod:`rag.answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .embed import Embedder
from .errors import QueryError
from .index import Index
from .records import Hit
from .textnorm import normalize, to_mainland
from .tokenize import tokenize

__all__ = ["MAX_QUESTION_CHARS", "MODES", "RetrieveConfig", "clean_question", "fuse", "retrieve"]

MODES = ("hybrid", "dense", "bm25")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class RetrieveConfig:
    """``weight``: dense share of the fused score; ``candidates``: per-retriever depth;
    ``fusion``: ``"convex"`` (default) or ``"rrf"``."""

    weight: float = 0.3
    candidates: int = 50
    fusion: str = "convex"
    rrf_k: int = 60
    dense_norm: str = "minmax"


def clean_question(question: object, *, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Validate and normalise a question; raise QueryError with advice when unusable.

    >>> clean_question("  溫州ＡＩ局?  ")
    '溫州AI局?'
    """
    if not isinstance(question, str):
        raise QueryError("The question must be text.")
    q = normalize(question)[0].strip()
    if not q:
        raise QueryError("The question is empty. Type a question, e.g. 温州人工智能局做什么?")
    if len(q) > max_chars:
        raise QueryError(f"The question is {len(q)} characters long; the limit is {max_chars}. "
                         "Ask about one thing at a time.")
    return q


def fuse(dense: dict[int, float], bm25: dict[int, float], *, weight: float = 0.3,
         method: str = "convex", rrf_k: int = 60, dense_norm: str = "minmax") -> dict[int, float]:
    """Fuse two ``row → score`` maps into one.

    ``dense_norm="minmax"`` rescales cosines to [0, 1] over the candidates
    (e5 cosines bunch up between 0.75 and 0.9); ``"max"`` divides by the top.

    >>> fuse({1: 0.9, 2: 0.8}, {2: 10.0}, weight=0.5, dense_norm="max")
    {1: 0.5, 2: 0.944...}
    """
    rows = set(dense) | set(bm25)
    if method == "rrf":
        rd = {r: i for i, r in enumerate(sorted(dense, key=dense.get, reverse=True))}
        rb = {r: i for i, r in enumerate(sorted(bm25, key=bm25.get, reverse=True))}
        return {r: weight * (1 / (rrf_k + rd[r] + 1) if r in rd else 0)
                + (1 - weight) * (1 / (rrf_k + rb[r] + 1) if r in rb else 0) for r in rows}
    bmax = max(bm25.values(), default=0.0) or 1.0
    dmax = max(dense.values(), default=0.0)
    if dense_norm == "minmax" and len(dense) > 1:
        dmin = min(dense.values())
        span = (dmax - dmin) or 1.0
        dn = {r: (v - dmin) / span for r, v in dense.items()}
    else:
        dn = {r: max(v, 0.0) / (dmax or 1.0) for r, v in dense.items()}
    return {r: weight * dn.get(r, 0.0) + (1 - weight) * bm25.get(r, 0.0) / bmax for r in rows}


def _allowed(index: Index, doc_ids: Sequence[str] | None) -> np.ndarray | None:
    if not doc_ids:
        return None
    unknown = [d for d in doc_ids if d not in index.documents]
    if unknown:
        raise QueryError(f"Unknown document id(s): {', '.join(unknown)}. List them with `rag docs`.")
    wanted = set(doc_ids)
    return np.array([c.doc_id in wanted for c in index.chunks], dtype=bool)


def retrieve(index: Index, question: str, *, embedder: Embedder | None = None, k: int = 5,
             mode: str = "hybrid", doc_ids: Sequence[str] | None = None,
             config: RetrieveConfig = RetrieveConfig()) -> list[Hit]:
    """Rank the index's chunks for ``question``; return the top ``k`` hits.

    ``embedder`` is needed for ``dense`` and ``hybrid``; it must be the one
    the index was built with (see :func:`rag.index.check_embedder`).
    """
    if mode not in MODES:
        raise QueryError(f"Unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}.")
    q = clean_question(question)
    allowed = _allowed(index, doc_ids)
    depth = max(config.candidates, k)
    dense: dict[int, float] = {}
    bm25: dict[int, float] = {}
    if mode in ("dense", "hybrid"):
        if embedder is None:
            raise QueryError(f"Mode {mode!r} needs the embedder the index was built with.")
        qv = embedder.embed_queries([to_mainland(q)])[0]
        s, r = index.dense.search(qv, depth, allowed=allowed)
        dense = dict(zip(r.tolist(), s.tolist()))
    if mode in ("bm25", "hybrid"):
        s, r = index.keyword.search(tokenize(q), depth, allowed=allowed)
        bm25 = dict(zip(r.tolist(), s.tolist()))
    if mode == "dense":
        scores = dense
    elif mode == "bm25":
        scores = bm25
    else:
        scores = fuse(dense, bm25, weight=config.weight, method=config.fusion, rrf_k=config.rrf_k,
                      dense_norm=config.dense_norm)
    order = sorted(scores, key=lambda r: (-scores[r], r))[:k]
    hits = []
    for rank, row in enumerate(order, 1):
        c = index.chunks[row]
        d = index.documents[c.doc_id]
        hits.append(Hit(chunk=c, score=float(scores[row]), rank=rank, dense=dense.get(row), bm25=bm25.get(row),
                        title=d.title, meta=d.meta))
    return hits
