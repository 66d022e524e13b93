"""A law-level stage for statute questions on mixed indexes (round 14, issue 9/10).

On the shipped ``corpus/`` (a news article and 16 laws, 民法典 among them) a lay question about a worker's or a
buyer's right ranks 民法典 articles above the labour or consumer law that holds the answer: a 1,260-article code wins
by volume. This stage scores each *law* by the evidence of its articles in the candidate list — the sum of their
normalised scores (``score / top``) over the law's share of the index's articles (``(n_law / n_all) ** size``): a
law with more candidates than its size predicts is the question's law — and re-ranks the top :data:`DEPTH`
candidates by ``score / top + weight · E(law) / max E`` **among the statute-article slots only**: a passage that is
not a law article keeps its rank, so a news-only index and an article question whose passages are not law articles
do not change, and a question that names an article (``exact``) is left alone. Nothing is embedded and nothing
searched twice (the same top-:data:`DEPTH` retrieval as :mod:`rag.law_prior`).

Weight and size exponent: chosen by leave-one-round-out over the development rounds (docs/answers.md, round 14).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .law_prior import with_general
from .records import Hit

__all__ = ["DEPTH", "law_evidence", "rerank_by_law", "retrieve_by_law"]

DEPTH = 20


def _article_counts(index) -> dict[str, int]:
    """``title → number of distinct article labels`` of every law in the index (all versions), once per
    generation, with the total under ``""``."""
    def build() -> dict[str, int]:
        arts: dict[str, set[str]] = {}
        for c in index.chunks:
            if getattr(c, "article", ""):
                arts.setdefault(index.documents[c.doc_id].title, set()).add(c.article)
        out = {t: len(v) for t, v in arts.items()}
        out[""] = sum(out.values())
        return out
    return index.derived(("law_level", "articles"), build)


def law_evidence(hits: Sequence[Hit], counts: dict[str, int], *, size: float = 1.0) -> dict[str, float]:
    """``title → Σ score/top of its article candidates / (its share of the index's articles) ** size``, scaled so
    the best law has 1. Empty unless the candidates hold articles of at least two laws."""
    top = max((h.score for h in hits), default=0.0) or 1.0
    mass: dict[str, float] = {}
    for h in hits:
        if getattr(h.chunk, "article", ""):
            mass[h.title] = mass.get(h.title, 0.0) + max(h.score, 0.0) / top
    if len(mass) < 2:
        return {}
    total = counts.get("", 0) or 1
    ev = {t: m / (max(counts.get(t, 1), 1) / total) ** size for t, m in mass.items()}
    best = max(ev.values()) or 1.0
    return {t: v / best for t, v in ev.items()}


def _rerank(hits: list[Hit], ev: dict[str, float], weight: float, k: int) -> list[Hit]:
    if not ev:
        return hits[:k]
    top = max((h.score for h in hits), default=0.0) or 1.0
    slots = [i for i, h in enumerate(hits) if getattr(h.chunk, "article", "")]
    arts = sorted((hits[i] for i in slots),
                  key=lambda h: (-(max(h.score, 0.0) / top + weight * ev.get(h.title, 0.0)), h.rank))
    out = list(hits)
    for i, h in zip(slots, arts):
        out[i] = h
    # each rank keeps the ranking's score at that rank (as rag.law_route's refilled slots do)
    return [h if h is hits[r] else replace(h, score=hits[r].score, rank=r + 1) for r, h in enumerate(out[:k])]


def rerank_by_law(hits: list[Hit], counts: dict[str, int], *, weight: float, size: float = 1.0,
                  k: int = 5) -> list[Hit]:
    """``hits`` re-ranked by law evidence among their article slots (other passages keep their ranks); top ``k``.
    Unchanged when ``weight`` is 0, a hit is ``exact``, or fewer than two laws are among the candidates. Where
    :mod:`rag.law_route` refilled law slots, the general ranking rides along re-ranked the same way (as in
    :func:`rag.law_prior.retrieve_with_laws`)."""
    if weight <= 0 or not hits or any(h.exact for h in hits):
        return hits[:k]
    return with_general(hits, lambda hs: _rerank(hs, law_evidence(hs, counts, size=size), weight, k))


def retrieve_by_law(retrieve: Callable[..., list[Hit]], index, question: str, *, weight: float, size: float = 1.0,
                    k: int = 5, **kw) -> list[Hit]:
    """``retrieve(question, k=max(k, DEPTH), **kw)`` re-ranked by :func:`rerank_by_law`; top ``k``."""
    cands = retrieve(question, k=max(k, DEPTH), **kw)
    return rerank_by_law(cands, _article_counts(index), weight=weight, size=size, k=k)
