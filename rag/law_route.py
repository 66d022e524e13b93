"""Statute articles of a *mixed* index ranked as on a statute index: the law slots of a mixed ranking.

An index that mixes laws with other documents (the shipped ``corpus/``: the sample article beside the law
set) is searched by the general hybrid with the plain question vector; the query adapter
(:mod:`rag.query_adapter`) and its fusion weights apply on indexes made of legal documents alone, where
they were fitted (STARD tune) and measured to help. On a mixed index a citizen's law question then mostly
finds the right law but the wrong article (docs/legal-retrieval.md, round 8).

This module ranks the statute passages of a mixed index the way a statute index is ranked — the adapted
question vector (no second embedding: the adapter maps the same vector), the adapter's dense / bigram
weights, the same sentence-evidence re-ranking — restricted to statute rows, and puts that order into the
*slots* the general ranking gave to statute passages:

    general top k:   [law, news, law, law, news]        (which slots are law: decided as before)
    law ranking:     [a, b, c, …]                        (statute rows only, adapted)
    result:          [a,   news, b,   c,   news]         (news rows keep their rank and score)

So the law-vs-other decision and every non-statute hit are unchanged, and each slot keeps its score (the
answer layer's features, fitted on general rankings, see the same score shape). A question naming an
article (``劳动合同法第三十八条``) keeps the general ranking. Statute-only and statute-free indexes are not
touched. Switched by ``RetrieveConfig.mixed_law`` (``"auto"`` default, ``"off"``).

This module does not embed, build answers or decide refusals.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .expand import STATUTE_TYPES, is_statute_index
from .query_adapter import QueryAdapter, adapter_for

__all__ = ["SETTINGS", "fill_law_slots", "law_adapter", "law_documents", "law_scores", "statute_mask"]

SETTINGS = ("auto", "off")


def statute_mask(index) -> np.ndarray:
    """Boolean row mask of the index's statute passages (cached per loaded generation)."""
    def compute() -> np.ndarray:
        docs = index.documents
        return np.array([docs[c.doc_id].meta.get("doc_type") in STATUTE_TYPES for c in index.chunks], dtype=bool)

    return index.derived("statute-rows", compute)


def law_adapter(index, embedder, setting: str = "auto", path=None) -> QueryAdapter | None:
    """The adapter for the law slots of ``index``, or ``None`` where they are not re-ranked: the setting is
    ``"off"``, the index is statute-only (the adapter already applies to everything) or has no statute
    passage, or no adapter was fitted for ``embedder``'s weights."""
    from .errors import QueryError

    if setting not in SETTINGS:
        raise QueryError(f"Unknown mixed_law setting {setting!r}; use {' or '.join(SETTINGS)}.")
    if setting == "off" or embedder is None or not index.chunks or is_statute_index(index):
        return None
    if not statute_mask(index).any():
        return None
    return adapter_for(embedder, path)


def law_scores(index, search_question: str, plain_qv: np.ndarray, adapter: QueryAdapter, *,
               allowed: np.ndarray | None, depth: int, weights: tuple[float, float], rerank_weight: float,
               rerank_depth: int, fuse: Callable, rerank: Callable, tokens: Sequence[str],
               bigrams: Sequence[str]) -> dict[int, float]:
    """``row → score`` over statute rows only, ranked as a statute index ranks them (adapted dense vector,
    ``weights`` = dense / bigram shares, evidence re-ranking). ``fuse``/``rerank``: :mod:`rag.retrieve`'s
    :func:`~rag.retrieve.fuse` and :func:`~rag.retrieve.rerank_by_evidence` (passed in: no import cycle)."""
    mask = statute_mask(index)
    if allowed is not None:
        mask = mask & allowed
    if not mask.any():
        return {}
    s, r = index.dense.search(adapter.apply(plain_qv), depth, allowed=mask)
    dense = dict(zip(r.tolist(), s.tolist()))
    s, r = index.keyword.search(list(tokens), depth, allowed=mask)
    bm25 = dict(zip(r.tolist(), s.tolist()))
    bigram: dict[int, float] = {}
    if index.bigram is not None:
        s, r = index.bigram.search(list(bigrams), depth, allowed=mask)
        bigram = dict(zip(r.tolist(), s.tolist()))
    scores = fuse(dense, bm25, bigram, weight=weights[0], bigram_weight=weights[1])
    return rerank(index, search_question, scores, weight=rerank_weight, depth=rerank_depth)


def fill_law_slots(order: Sequence[int], is_law: Callable[[int], bool], law_order: Sequence[int]) -> list[int]:
    """``order`` with its statute rows replaced, slot by slot, by ``law_order`` (then by its own statute rows
    not yet placed); non-statute rows keep their positions. No row appears twice.

    >>> fill_law_slots([1, 9, 2, 3], lambda r: r < 9, [3, 7])
    [3, 9, 7, 1]
    """
    used: set[int] = set()
    queue = [r for r in law_order if is_law(r)] + [r for r in order if is_law(r)]
    out = []
    for r in order:
        if not is_law(r):
            out.append(r)
            continue
        while queue and queue[0] in used:
            queue.pop(0)
        nxt = queue.pop(0) if queue else r
        used.add(nxt)
        out.append(nxt)
    return out


def law_documents(index, title: str) -> list[str]:
    """The ids of every indexed version of the law titled ``title``, else of the law a name the user wrote calls
    (:func:`rag.law_names.resolve_title`: 婚姻家庭编解释一, 请问劳动法 — name keys, never a part of a title: 合同法 is not
    劳动合同法, 人民法 not 最高人民法院…) — for a search within the law a conversation is about, which unlike
    ``Filters(law=title)`` (a law the user named: exactly what was asked for, old versions included) still prefers
    the current version and labels an old one ``已被修改``.

    Raises:
        LawNotFound: no indexed document has such a title (a :class:`rag.errors.QueryError`).
    """
    from .errors import LawNotFound
    from .law_names import resolve_title

    docs = index.documents
    found = [i for i, d in docs.items() if d.title == title]
    if not found and (named := resolve_title({d.title for d in docs.values()}, title)):  # 婚姻家庭编解释一, 请问劳动法
        found = [i for i, d in docs.items() if d.title == named]
    if not found:
        raise LawNotFound(f"No indexed law is called {title!r}. List them with `rag docs`.")
    return sorted(found)
