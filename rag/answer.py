"""Extractive answers with sentence-level citations — no LLM.

From the retrieved hits, every answerable sentence (body text only: no
headings, captions or pull quotes) becomes a candidate with the features of
:func:`rag.select.candidates`: lexical evidence (weighted term coverage,
character-bigram overlap, answer type, heaviest missing term), the
passage's rank and score, and — when the index stores sentence vectors —
the cosine between the question and the sentence. A logistic *selector*
learned from data (``bench/calibrate_answers.py``) ranks them by
P(sentence contains the answer); the best one (and a second one when its P
comes close) becomes the reply, each followed by an ``[n]`` marker that
resolves to a :class:`~rag.records.Citation`: the quoted sentence, the
passage it sits in and their exact offsets in the stored document.

Whether to answer at all is a second logistic model over the best
candidate's P and evidence and the best cosines, calibrated on questions
whose own article was removed from the index (see ``docs/answers.md``).
Below its threshold the reply says plainly that the documents do not
contain the answer and offers the closest passages as suggestions. The
models are fitted per embedder; another embedder gets the lexical models.
A quote that contradicts a hard constraint of the question (a year, a city,
an office holder the passage never names: :mod:`rag.constraints`) is dropped;
when none is left the reply is the refusal. So is a quote, or a statute answer, that gives no amount of what
the question asks 多少 of (:mod:`rag.asked_quantity`), and a statute answer to a question naming a place the
quoted law never names (:mod:`rag.statute_gate`). A question that asks an age, hours, a time limit, money or a
rate and gets a statute answer holding none is refused too (in :func:`rag.qa.ask`, not with a conversation's context
re-ranking or second look) (:func:`value_checked`, :mod:`rag.asked_value`).
A refusal model that reads ``ag_verify`` gets the answer verifier's score of the best sentence (:mod:`rag.verify`,
question and sentence read together by e5-small); the shipped models do not (docs/answers.md, round 8).

This module does not retrieve; it takes hits.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .asked_value import missing_value
from .asked_quantity import missing_quantity
from .constraints import violation as near_miss
from .evidence import ScoredSentence, score_sentences
from .records import Answer, Citation, Hit
from .select import (CROSSLINGUAL_CJK, AnswerModels, Candidate, LinearModel, candidates, cjk_share, load_models,
                     question_features)
from .sentvec import SentenceVectors
from .statute_answer import is_article, statute_answer
from .statute_gate import off_topic_place
from .verify import add_verify, uses_verifier

__all__ = ["NOT_FOUND", "REFUSAL_PREFIX", "RefusalModel", "build_answer", "citation_from_hit", "evidence_features", "is_refusal",
           "score_sentences", "value_checked"]

NOT_FOUND = "资料中没有找到与该问题直接相关的内容。"
REFUSAL_PREFIX = "资料中没有找到"
"""Every refusal starts with this (the general, statute and missing-article refusals differ after it)."""


def is_refusal(text: str) -> bool:
    """Whether an answer text (e.g. from a chat history) is one of our refusals."""
    return text.strip().startswith(REFUSAL_PREFIX)


#: Kept for compatibility: the logistic model type of the refusal decision.
RefusalModel = LinearModel


def citation_from_hit(hit: Hit, n: int, quote: tuple[int, int] | None = None) -> Citation:
    """Build a Citation from a Hit alone; ``quote`` is an absolute ``[start, end)`` inside the chunk."""
    c = hit.chunk
    qs, qe = quote if quote else (c.sentences[0] if c.sentences else (c.start, c.end))
    return Citation(n=n, doc_id=c.doc_id, title=hit.title, section=c.section, chunk_id=c.chunk_id,
                    start=c.start, end=c.end, quote=c.text[qs - c.start:qe - c.start], text=c.text,
                    score=round(float(hit.score), 4), quote_start=qs, quote_end=qe,
                    date=str(hit.meta.get("date", "") or ""))


def evidence_features(scored: Sequence[ScoredSentence], hits: Sequence[Hit]) -> dict[str, float]:
    """Lexical evidence of the best-scored sentence and the best passage cosine (diagnostics)."""
    best = scored[0] if scored else None
    f = {"coverage": best.coverage if best else 0.0, "bigram": best.bigram if best else 0.0,
         "answer_type": best.answer_type if best else 0.0, "missing_top": best.missing_top if best else 1.0}
    dense = [h.dense for h in hits if h.dense is not None]
    if dense:
        f["dense"] = max(dense)
    return f


def _refusal(question: str, hits: Sequence[Hit], cands: Sequence[Candidate], p: float) -> Answer:
    suggestions = []
    for n, h in enumerate(hits[:3], 1):
        sent = next((c.sentence for c in cands if c.sentence.hit is h), None)
        suggestions.append(citation_from_hit(h, n, (sent.start, sent.end) if sent else None))
    return Answer(question=question, answer=NOT_FOUND, answerable=False, citations=[],
                  suggestions=suggestions, confidence=p)


def _merge_adjacent(sents: Sequence[ScoredSentence]) -> list[tuple[Hit, int, int]]:
    """``(hit, start, end)`` quotes; consecutive sentences of one passage become one contiguous quote."""
    out: list[tuple[Hit, int, int]] = []
    for s in sents:
        if out:
            hit, qs, qe = out[-1]
            spans = hit.chunk.sentences
            ends = [e for _, e in spans]
            if hit.chunk.chunk_id == s.hit.chunk.chunk_id and qe in ends and ends.index(qe) + 1 < len(spans) \
                    and spans[ends.index(qe) + 1][0] == s.start:
                out[-1] = (hit, qs, s.end)
                continue
        out.append((s.hit, s.start, s.end))
    return out


def _glossed(question: str, hits: Sequence[Hit]) -> str | None:
    """Chinese terms for an English question (translations preferred that occur in the hits), or None."""
    from .gloss import available, gloss
    from .textnorm import to_simplified

    if not available():
        return None
    g = gloss(question, to_simplified(" ".join(h.chunk.text for h in hits)).lower())
    return g.text if g.text and cjk_share(g.text) >= CROSSLINGUAL_CJK else None


def _checked_statute(question: str, hits: Sequence[Hit], statute: Answer, english: bool) -> Answer:
    """``statute``, or the refusal when it answers a news question with a law naming none of its places
    (:mod:`rag.statute_gate`) or asks 多少钱/多少天/… of an article holding no such amount (:mod:`rag.asked_quantity`).
    Not for English questions (their gloss loses word boundaries) nor an article named by law and number."""
    if statute.answerable and not hits[0].exact and not english and (
            off_topic_place(question, statute) is not None
            or missing_quantity(question, "".join(c.quote for c in _as_ranked(statute, hits))) is not None):
        return _refusal(question, hits, [], statute.confidence)
    return statute


def value_checked(question: str, hits: Sequence[Hit], answer: Answer) -> Answer:
    """``answer``, or the refusal (its hits as suggestions) when ``question`` asks an age, hours, a time limit, money or a
    rate (:func:`rag.asked_value.missing_value`) and no quote of the statute answer holds one.

    Statute answers only (the first hit is an article): a law writes a value the same few ways (二十二周岁, 十五日内,
    五百元, 百分之二十); free text does not (一分钟, 30秒之久, 9800日元, 青少年时代), and on the CMRC2018 dev and DRCD
    report questions asking such a value the check refused right answers (docs/answers.md, round 9).

    Run on the answer shown (:func:`rag.qa.ask`), not inside :func:`build_answer`: the law-slot guard's second answer
    (:func:`rag.qa._unless_general_refuses`) quotes other articles, and a value missing from those says nothing about
    the quote shown. Not for English questions nor an article named by law and number."""
    if not answer.answerable or not hits or not is_article(hits[0]) or hits[0].exact \
            or cjk_share(question) < CROSSLINGUAL_CJK:
        return answer
    if missing_value(question, "".join(c.quote for c in answer.citations)) is None:
        return answer
    return _refusal(question, hits, [], answer.confidence)


def _as_ranked(statute: Answer, hits: Sequence[Hit]) -> list[Citation]:
    """The statute answer's citations without an article brought forward for the value the question asks
    (:mod:`rag.asked_value`: quoted first, ahead of the top hit), so that reaching down the ranking for the value never
    lifts the amount check's refusal of what the ranking put first (on the development sets it answered an
    unanswerable 多少钱 question and a question whose own law was removed)."""
    cits = statute.citations
    if cits and cits[0].chunk_id != hits[0].chunk.chunk_id:
        return [c for c in cits if c.chunk_id == hits[0].chunk.chunk_id]
    return cits


def build_answer(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
                 refusal: LinearModel | None = None, max_sentences: int = 2,
                 query_vector: np.ndarray | None = None, vectors: SentenceVectors | None = None,
                 fingerprint: str | None = None, models: AnswerModels | None = None, gloss: bool = True) -> Answer:
    """Compose the extractive answer (or a refusal) for ``question`` from ``hits``.

    ``query_vector`` (the question's embedding) and ``vectors`` (the index's
    sentence vectors) enable the sentence cosines; ``fingerprint`` names the
    index's embedder weights, which picks the models (:func:`rag.select.load_models`).
    ``refusal`` overrides the refusal model. A question with little CJK text (English) gets the
    cross-lingual models, its lexical features computed on its Chinese gloss (:mod:`rag.gloss`,
    when the dictionary is installed and ``gloss``).
    When the top hit is a statute article (and no model is overridden), the
    article is quoted whole with its label (:mod:`rag.statute_answer`).
    """
    crosslingual = cjk_share(question) < CROSSLINGUAL_CJK
    wording = question
    if crosslingual and gloss and (zh := _glossed(question, hits)):
        wording = zh  # the Chinese terms of an English question, for the lexical features
    if refusal is None and models is None and (statute := statute_answer(
            question, hits, idf=idf, query_vector=query_vector, vectors=vectors, fingerprint=fingerprint,
            wording=wording)):
        return _checked_statute(question, hits, statute, english=wording != question)
    dense = query_vector is not None and vectors is not None
    models = models or load_models(fingerprint=fingerprint, dense=dense, crosslingual=crosslingual)
    if models.kind == "lexical":
        query_vector = None  # the lexical models were fitted without cosines
    cands = candidates(wording, hits, idf=idf, query_vector=query_vector, vectors=vectors, models=models)
    refusal = refusal or models.refusal
    if cands and uses_verifier(refusal):  # the answer verifier reads question and best sentence together
        add_verify(question, cands, fingerprint)
    p = refusal.probability(question_features(cands, hits)) if cands else 0.0
    if not cands or p < refusal.threshold:
        return _refusal(question, hits, cands, p)
    best = cands[0]
    chosen = [best]
    for c in cands[1:]:
        if len(chosen) >= max_sentences or c.p < models.second_ratio * best.p:
            break
        if c.sentence.text != best.sentence.text:
            chosen.append(c)
    # a quote that contradicts a hard constraint of the question is dropped; none left: refuse (rag.constraints)
    chosen = [c for c in chosen if near_miss(wording, c.sentence.text, c.sentence.hit.chunk.text,
                                             c.sentence.hit.title, gloss=wording != question) is None]
    if not chosen or (wording == question and missing_quantity(question, "".join(c.sentence.text for c in chosen))):
        return _refusal(question, hits, cands, p)  # no quote left, or none gives the amount asked (rag.asked_quantity)
    # same document: document order; else best first
    if len({c.sentence.hit.chunk.doc_id for c in chosen}) == 1:
        chosen.sort(key=lambda c: c.sentence.start)
    spans = _merge_adjacent([c.sentence for c in chosen])
    citations: list[Citation] = []
    parts: list[str] = []
    for n, (hit, qs, qe) in enumerate(spans, 1):
        cit = citation_from_hit(hit, n, (qs, qe))
        citations.append(cit)
        parts.append(f"{cit.quote}[{n}]")
    return Answer(question=question, answer="".join(parts), answerable=True, citations=citations,
                  confidence=p)
