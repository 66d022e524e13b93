"""Context as a retrieval signal: a follow-up left as typed also searched with the conversation's topic.

Some follow-ups carry no cue word (no 呢, 他, 这个, 其中) and have a noun of
their own, yet lean on the context: 第一梯队是哪几个城市？ after a question about
杭州's AI industry, 配套的基金有多少钱？ after one about a plan. :mod:`rag.dialogue`
leaves them as typed, because a rewrite rule for them would also change
questions that stand alone. Instead, :func:`retrieve_in_context` searches twice —
the question as typed, and the question with the context's content words
appended (:func:`context_words`: the nouns, places, names and times of the
previous standalone question) — and fuses the two rankings::

    score = typed / typed_top + weight · with_context / with_context_top

so a passage that answers the question *about the earlier topic* comes first,
while a question that really stands alone keeps its own best passages (they
rank high in both searches). Both query vectors come from one batched
embedding call. The answer is then built, and refusal decided, on the
question as typed (:func:`rag.qa.ask` with ``context=``), and the user sees
what was searched (:func:`shown_search`: 第一梯队是哪几个城市（结合上文：杭州 人工智能 产业）).

This module does not rewrite questions or build answers.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from .embed import Embedder
from .mentions import NOUNISH, QWORDS, pos_tags
from .records import Hit
from .textnorm import to_mainland

__all__ = ["CONTEXT_WEIGHT", "context_words", "retrieve_in_context", "shown_search", "split_shown"]

#: Share of the with-context ranking in the fused score (chosen on the development dialogues).
CONTEXT_WEIGHT = 1.0
RERANK_ONLY = False
_KEEP = NOUNISH | {"ns", "nr", "t", "m"}
_SHOWN = re.compile(r"（结合上文：[^（）]*）$")
_MAX_WORDS = 8


def context_words(previous: str, question: str) -> str:
    """The previous standalone question's content words not already in ``question`` (space-joined).

    >>> context_words("2021年杭州有多少家人工智能企业", "第一梯队是哪几个城市")
    '2021年 杭州 人工智能 企业'
    """
    out: list[str] = []
    for w, f in pos_tags(previous):
        if (f in _KEEP or f.startswith("n")) and len(w) >= 2 and not QWORDS.search(w) and w not in question \
                and w not in out:
            out.append(w)
    return " ".join(out[:_MAX_WORDS])


def shown_search(question: str, context: str) -> str:
    """What the user is told was searched: the question and the context words."""
    return f"{question}（结合上文：{context}）" if context else question


def split_shown(search_question: str) -> str:
    """The question part of a :func:`shown_search` text (earlier turns are re-read as the question alone)."""
    return _SHOWN.sub("", search_question)


class _Pair:
    """An embedder that embeds the typed and the with-context query in one call and serves both."""

    def __init__(self, inner: Embedder, texts: Sequence[str]):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        keys = [to_mainland(t) for t in texts]
        self._vectors = dict(zip(keys, inner.embed_queries(keys)))

    def embed_queries(self, texts):
        if all(t in self._vectors for t in texts):
            return np.stack([self._vectors[t] for t in texts])
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)


def retrieve_in_context(retrieve, question: str, context: str, *, embedder: Embedder | None, wrap=None,
                        k: int = 5, weight: float | None = None, **kw):
    """Fuse ``retrieve(question)`` with ``retrieve(question + context)``; ``(top k hits, wrapped embedder)``.

    ``retrieve`` is :func:`rag.retrieve.retrieve` with the index bound; both query vectors come from one
    batched call; ``wrap`` (e.g. :class:`rag.qa._Remember`) wraps the embedder for the typed question's search,
    so its last query vector is the typed question's.
    """
    with_context = f"{question} {context}"
    depth = max(k, 20)
    pair = _Pair(embedder, [with_context, question]) if embedder is not None else None
    seen = wrap(pair) if wrap is not None and pair is not None else pair
    other = retrieve(with_context, embedder=pair, k=depth, **kw)
    typed = retrieve(question, embedder=seen, k=depth, **kw)
    return fuse_hits(typed, other, k=k, weight=CONTEXT_WEIGHT if weight is None else weight), seen


def fuse_hits(typed: list[Hit], other: list[Hit], *, k: int, weight: float) -> list[Hit]:
    """``typed / top + weight · other / top`` over both lists; named articles (``exact``) stay first."""
    def norm(hits):
        top = max((h.score for h in hits), default=0.0) or 1.0
        return {h.chunk.chunk_id: max(h.score, 0.0) / top for h in hits}

    a, b = norm(typed), norm(other)
    by_id = {h.chunk.chunk_id: h for h in other}
    by_id.update({h.chunk.chunk_id: h for h in typed})  # the typed question's dense/bm25 where it has them
    pool = a if RERANK_ONLY else by_id
    score = {c: a.get(c, 0.0) + weight * b.get(c, 0.0) + (10.0 if by_id[c].exact else 0.0) for c in pool}
    order = sorted(score, key=lambda c: (-score[c], c))[:k]
    out = []
    for rank, c in enumerate(order, 1):
        h = by_id[c]
        out.append(Hit(chunk=h.chunk, score=score[c], rank=rank, dense=h.dense, bm25=h.bm25, title=h.title,
                       meta=h.meta, exact=h.exact))
    return out
