"""Context as a retrieval signal: a follow-up left as typed also searched with the conversation's topic.

Some follow-ups carry no cue word (no 呢, 他, 这个, 其中) and have a noun of
their own, yet lean on the context: 第一梯队是哪几个城市？ after a question about
杭州's AI industry, 配套的基金有多少钱？ after one about a plan. :mod:`rag.dialogue`
leaves them as typed, because a rewrite rule for them would also change
questions that stand alone. Instead, :func:`retrieve_in_context` retrieves the
question as typed (its top :data:`DEPTH` candidates, exactly as without a
conversation) and re-ranks those candidates with a context prior — word and
character-bigram BM25 of the question with the context's content words
appended (:func:`context_words`: the nouns, places, names and times of the
previous standalone question, and of the previous turn's own context)::

    score = typed / typed_top + CONTEXT_WEIGHT · prior        (prior ∈ [0, 1])

so of the question's own candidates, the one about the earlier topic comes
first. The prior never brings in a passage the question did not retrieve, and
costs no second query embedding (~0.5 ms CPU; ``bench/bench_dialogue.py``).
The answer is then built, and refusal decided, on the question as typed
(:func:`rag.qa.ask` with ``context=``), and the user sees what was searched
(:func:`shown_search`: 第一梯队是哪几个城市（结合上文：2021年 杭州 人工智能 企业）).
:mod:`rag.dialogue` decides when (a turn with history left as typed, that names no
place, person or 《document》 of its own and has no unresolved 他).

This module does not rewrite questions or build answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .chunk import split_sentences
from .followup import ANSWER_TYPE
from .index import Index
from .mentions import NOUNISH, QWORDS, pos_tags
from .records import Hit
from .textnorm import search_form
from .tokenize import char_bigrams, tokenize

__all__ = ["CONTEXT_WEIGHT", "DEPTH", "context_prior", "context_words", "fuse_hits", "near_prior",
           "previous_passages", "retrieve_in_context", "shown_search", "split_shown"]

#: Weight of the context prior (0.5 and 1.0 gave the same development-dialogue results; the smaller was kept).
CONTEXT_WEIGHT = 0.5
#: Candidates of the typed question that the prior re-ranks (the hybrid's evidence re-ranking depth).
DEPTH = 20
_KEEP = NOUNISH | {"ns", "nr", "t", "m"}
_SHOWN = re.compile(r"（结合上文：[^（）]*）$")
_MAX_WORDS = 8
_KEY = 8  # characters of a sentence's start that find the passages holding a quote (rag.context.previous_passages)


def context_words(previous: str, question: str) -> str:
    """The previous standalone question's content words not already in ``question`` (space-joined).

    >>> context_words("2021年杭州有多少家人工智能企业", "第一梯队是哪几个城市")
    '2021年 杭州 人工智能 企业'
    """
    out: list[str] = []
    toks = pos_tags(previous)
    for i, (w, f) in enumerate(toks):
        if w.isdigit() and i + 1 < len(toks) and toks[i + 1][0] in ("年", "月"):
            w, f = w + toks[i + 1][0], "t"  # 2021 年 → 2021年
        if (f in _KEEP or f.startswith("n")) and len(w) >= 2 and not QWORDS.search(w) and w not in question \
                and w not in out and w not in ANSWER_TYPE:  # 时候, 城市, 方面 name the kind of answer, not the topic
            out.append(w)
    return " ".join(out[:_MAX_WORDS])


def shown_search(question: str, context: str) -> str:
    """What the user is told was searched: the question and the context words."""
    return f"{question}（结合上文：{context}）" if context else question


def split_shown(search_question: str) -> str:
    """The question part of a :func:`shown_search` text (earlier turns are re-read as the question alone)."""
    return _SHOWN.sub("", search_question)


def retrieve_in_context(retrieve, index: Index, question: str, context: str, *, k: int = 5,
                        weight: float | None = None, previous: Sequence[str] = (), near_weight: float = 0.0,
                        near_join: bool = False, **kw) -> list[Hit]:
    """The typed question's top :data:`DEPTH` hits re-ranked with a context prior; top ``k``.

    ``retrieve`` is :func:`rag.retrieve.retrieve` with the index bound (it embeds the typed question once,
    as without context). The prior is lexical — word and character-bigram BM25 of the question with the
    context words, over those candidates only — so it costs no second query embedding. Where :mod:`rag.law_route`
    refilled law slots, the general ranking (``Hit.general``) is re-ranked the same way and rides along slot by
    slot, so that ``[h.general or h for h in hits]`` is what the general ranking gives in context.
    ``previous``: the previous answer's quotes (as written); a candidate that holds one scores ``near_weight``
    more (:func:`near_prior`: the conversation is still about the passage just quoted). With no ``context``
    only that prior re-ranks. ``near_join``: when no hit of the top ``k`` holds a quote, the passage that does
    (the first of the candidates, else looked up) takes the last place instead (the order is otherwise kept).
    """
    # the context prior re-ranks the top DEPTH; the previous-answer prior alone needs only the top k, since a
    # passage it misses is looked up (:func:`previous_passages`): no deeper ranking to pay for
    typed = retrieve(question, k=max(k, DEPTH) if context else k, **kw)
    if not typed:
        return typed
    unfiltered = kw.get("doc_ids") is None and (kw.get("filters") is None or not kw["filters"].active)
    if (near_weight or near_join) and previous and unfiltered:  # the UI and HTTP always pass a Filters (often empty)
        typed = typed + _passages_of(index, previous, typed)  # the previous answer's passage, if not retrieved
    text, w = f"{question} {context}", (CONTEXT_WEIGHT if weight is None else weight) if context else 0.0

    def prior(hits: list[Hit]) -> dict[str, float]:  # in units of the context weight (fuse_hits multiplies)
        out = context_prior(index, [h.chunk.chunk_id for h in hits], text) if w else {}
        if near_weight and previous:
            near = near_prior(hits, previous)
            out = {c: out.get(c, 0.0) + near.get(c, 0.0) * near_weight / (w or 1.0) for c in set(out) | set(near)}
        return out

    out = fuse_hits(typed, prior(typed), k=k, weight=w or 1.0)
    if not any(h.general is not None for h in typed):
        return _joined(out, typed, previous) if near_join and previous else out
    # law slots refilled (rag.law_route): the general ranking rides along re-ranked the same way, slot by slot
    general = [h.general or h for h in typed]
    general = fuse_hits(general, prior(general), k=k, weight=w or 1.0)
    return [replace(h, general=None if (g.chunk.chunk_id, g.score) == (h.chunk.chunk_id, h.score) else g)
            for h, g in zip(out, general)]


def previous_passages(index: Index, previous: Sequence[str]) -> list[int]:
    """Rows of the passages that hold one of the previous answer's quotes: looked up by the first :data:`_KEY`
    characters of each sentence (search form; a table built once per index), then checked whole."""
    starts = index.derived("context:sentence-starts", lambda: _sentence_starts(index))
    rows: list[int] = []
    for q in previous:
        rows += [r for r in starts.get(search_form(q)[:_KEY], ()) if r not in rows and _holds(index.chunks[r].text, q)]
    return rows


def _holds(text: str, quote: str) -> bool:
    """``quote`` is in ``text`` as written (it was cut from a passage), else in search form (a client re-typed it)."""
    return quote in text or search_form(quote) in search_form(text)


def _sentence_starts(index: Index) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for r, c in enumerate(index.chunks):
        spans = [(s - c.start, e - c.start) for s, e in c.sentences] or split_sentences(c.text)
        for s, e in spans:
            rows = out.setdefault(search_form(c.text[s:e])[:_KEY], [])
            if not rows or rows[-1] != r:
                rows.append(r)
    return out


def _passages_of(index: Index, previous: Sequence[str], hits: list[Hit]) -> list[Hit]:
    """Hits (score 0, after ``hits``) for the previous answer's passages that ``hits`` does not hold."""
    have = {h.chunk.chunk_id for h in hits}
    out: list[Hit] = []
    for r in previous_passages(index, previous):
        c = index.chunks[r]
        if c.chunk_id not in have:
            d = index.documents[c.doc_id]
            out.append(Hit(chunk=c, score=0.0, rank=len(hits) + len(out) + 1, title=d.title, meta=d.meta))
    return out


def _joined(out: list[Hit], candidates: list[Hit], previous: Sequence[str]) -> list[Hit]:
    """``out`` with its last hit replaced by the first of ``candidates`` that holds a quote of ``previous``, when
    none of ``out`` does (that hit keeps the replaced one's score and rank)."""
    if not out or near_prior(out, previous):
        return out
    kept = {h.chunk.chunk_id for h in out}
    extra = next((h for h in candidates if h.chunk.chunk_id not in kept and near_prior([h], previous)), None)
    return out if extra is None else out[:-1] + [replace(extra, score=out[-1].score, rank=out[-1].rank)]


def near_prior(hits: Sequence[Hit], previous: Sequence[str]) -> dict[str, float]:
    """``chunk_id → 1.0`` for the candidates that hold one of the previous answer's quotes as written (a quote is
    cut from a passage; no text is converted here, which would cost more than the retrieval it re-ranks).

    >>> from rag.records import Chunk
    >>> h = Hit(chunk=Chunk("c1", "d", 0, 15, "苏州举行了推进大会。南京也有。"), score=1.0, rank=1)
    >>> near_prior([h], ["苏州举行了推进大会"])
    {'c1': 1.0}
    """
    return {h.chunk.chunk_id: 1.0 for h in hits if any(q in h.chunk.text for q in previous)}


def context_prior(index: Index, chunk_ids: Sequence[str], text: str) -> dict[str, float]:
    """``chunk_id → 0.5 · word BM25 / max + 0.5 · bigram BM25 / max`` of ``text`` over ``chunk_ids`` alone."""
    rows = index.derived("context:rows", lambda: {c.chunk_id: i for i, c in enumerate(index.chunks)})
    wanted = [rows[c] for c in chunk_ids if c in rows]
    allowed = np.zeros(len(index.chunks), dtype=bool)
    allowed[wanted] = True
    out: dict[str, float] = {}
    searches = [(index.keyword, tokenize(text))] + ([(index.bigram, char_bigrams(text))] if index.bigram else [])
    for store, terms in searches:
        s, r = store.search(terms, len(wanted), allowed=allowed)
        top = float(s.max()) if len(s) else 0.0
        for score, row in zip(s.tolist(), r.tolist()):
            cid = index.chunks[row].chunk_id
            out[cid] = out.get(cid, 0.0) + score / (top or 1.0) / len(searches)
    return out


def fuse_hits(typed: list[Hit], prior: dict[str, float], *, k: int, weight: float) -> list[Hit]:
    """``score / top + weight · prior`` over ``typed``; named articles (``exact``) stay first."""
    top = max((h.score for h in typed), default=0.0) or 1.0
    score = {h.chunk.chunk_id: max(h.score, 0.0) / top + weight * prior.get(h.chunk.chunk_id, 0.0)
             + (10.0 if h.exact else 0.0) for h in typed}
    order = sorted(typed, key=lambda h: (-score[h.chunk.chunk_id], h.rank))[:k]
    return [replace(h, score=score[h.chunk.chunk_id], rank=rank) for rank, h in enumerate(order, 1)]
