"""Extractive answers with sentence-level citations — no LLM.

From the retrieved hits, every answerable sentence (body text only: no
headings, captions or pull quotes) is scored against the question:

    score = 0.55 · idf-weighted coverage of the question's terms
          + 0.25 · character-bigram overlap (catches names jieba splits oddly)
          + 0.20 · the passage's retrieval score, normalised to the top hit

The best sentence (and a second one when it scores almost as well) becomes
the reply, each followed by an ``[n]`` marker that resolves to a
:class:`~rag.records.Citation`: the quoted sentence, the passage it sits in
and their exact offsets in the stored document.

Whether to answer at all is a logistic model over three features of the
evidence (coverage, bigram overlap, dense cosine), fitted on held-out data
by ``bench/calibrate_refusal.py`` — never on the questions we report. Below
the threshold the reply says plainly that the documents do not contain the
answer and offers the closest passages as suggestions.

This module does not retrieve; it takes hits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from .records import Answer, Citation, Hit
from .textnorm import search_form
from .tokenize import tokenize

__all__ = ["NOT_FOUND", "RefusalModel", "build_answer", "citation_from_hit", "score_sentences"]

NOT_FOUND = "资料中没有找到与该问题直接相关的内容。"


@dataclass(frozen=True)
class RefusalModel:
    """P(answerable) = sigmoid(bias + a·coverage + b·bigram + c·dense); answer when ≥ threshold.

    Defaults come from ``bench/calibrate_refusal.py`` (see the README for the
    held-out data and the resulting precision/recall).
    """

    bias: float = -9.0
    coverage: float = 6.0
    bigram: float = 3.0
    dense: float = 6.0
    threshold: float = 0.5

    def probability(self, coverage: float, bigram: float, dense: float) -> float:
        z = self.bias + self.coverage * coverage + self.bigram * bigram + self.dense * dense
        return 1.0 / (1.0 + math.exp(-max(min(z, 50), -50)))


def _bigrams(text: str) -> set[str]:
    t = "".join(ch for ch in search_form(text) if ch.isalnum())
    return {t[i:i + 2] for i in range(len(t) - 1)}


@dataclass
class ScoredSentence:
    hit: Hit
    start: int  # absolute offsets in the document
    end: int
    text: str
    score: float
    coverage: float
    bigram: float


def score_sentences(question: str, hits: Sequence[Hit], idf: Callable[[str], float]) -> list[ScoredSentence]:
    """Score every answerable sentence of ``hits`` against ``question`` (best first)."""
    q_terms = list(dict.fromkeys(tokenize(question)))
    weights = {t: idf(t) for t in q_terms}
    total = sum(weights.values()) or 1.0
    q_bi = _bigrams(question)
    top = max((h.score for h in hits), default=0.0) or 1.0
    out: list[ScoredSentence] = []
    seen: set[tuple[str, int]] = set()
    for h in hits:
        c = h.chunk
        for s, e in c.sentences:
            if (c.doc_id, s) in seen:  # overlapping chunks repeat sentences
                continue
            seen.add((c.doc_id, s))
            text = c.text[s - c.start:e - c.start]
            terms = set(tokenize(text))
            cov = sum(w for t, w in weights.items() if t in terms) / total if q_terms else 0.0
            bi = len(q_bi & _bigrams(text)) / len(q_bi) if q_bi else 0.0
            score = 0.55 * cov + 0.25 * bi + 0.20 * max(h.score, 0.0) / top
            out.append(ScoredSentence(h, s, e, text, score, cov, bi))
    out.sort(key=lambda x: -x.score)
    return out


def citation_from_hit(hit: Hit, n: int, quote: tuple[int, int] | None = None) -> Citation:
    """Build a Citation from a Hit alone; ``quote`` is an absolute ``[start, end)`` inside the chunk."""
    c = hit.chunk
    qs, qe = quote if quote else (c.sentences[0] if c.sentences else (c.start, c.end))
    return Citation(n=n, doc_id=c.doc_id, title=hit.title, section=c.section, chunk_id=c.chunk_id,
                    start=c.start, end=c.end, quote=c.text[qs - c.start:qe - c.start], text=c.text,
                    score=round(float(hit.score), 4), quote_start=qs, quote_end=qe,
                    date=str(hit.meta.get("date", "") or ""))


def build_answer(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
                 refusal: RefusalModel = RefusalModel(), max_sentences: int = 2) -> Answer:
    """Compose the extractive answer (or a refusal) for ``question`` from ``hits``."""
    scored = score_sentences(question, hits, idf)
    best = scored[0] if scored else None
    dense_top = max((h.dense for h in hits if h.dense is not None), default=0.0)
    p = refusal.probability(best.coverage, best.bigram, dense_top) if best else 0.0
    if best is None or p < refusal.threshold:
        suggestions = []
        for n, h in enumerate(hits[:3], 1):
            sent = next((s for s in scored if s.hit is h), None)
            suggestions.append(citation_from_hit(h, n, (sent.start, sent.end) if sent else None))
        return Answer(question=question, answer=NOT_FOUND, answerable=False, citations=[],
                      suggestions=suggestions, confidence=p)
    chosen = [best]
    for s in scored[1:]:
        if len(chosen) >= max_sentences:
            break
        if s.score >= 0.85 * best.score and s.coverage >= 0.5 and s.text != best.text:
            chosen.append(s)
    # keep document order when both come from the same document
    chosen.sort(key=lambda s: (s.hit.rank, s.start))
    citations: list[Citation] = []
    parts: list[str] = []
    for n, s in enumerate(chosen, 1):
        citations.append(citation_from_hit(s.hit, n, (s.start, s.end)))
        parts.append(f"{s.text}[{n}]")
    return Answer(question=question, answer="".join(parts), answerable=True, citations=citations,
                  confidence=p)
