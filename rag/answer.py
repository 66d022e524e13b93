"""Extractive answers with sentence-level citations — no LLM.

From the retrieved hits, every answerable sentence (body text only: no
headings, captions or pull quotes) is scored against the question by
:func:`rag.evidence.score_sentences`:

    score = 0.50 · weighted coverage of the question's terms
          + 0.20 · character-bigram overlap (catches names jieba splits oddly)
          + 0.15 · answer type: a "多少家" question wants "741家", "哪一年" a year
          + 0.15 · the passage's retrieval score, normalised to the top hit

The best sentence (and a second one when it scores almost as well) becomes
the reply, each followed by an ``[n]`` marker that resolves to a
:class:`~rag.records.Citation`: the quoted sentence, the passage it sits in
and their exact offsets in the stored document.

Whether to answer at all is a logistic model over features of the evidence
(coverage, bigram overlap, answer type, heaviest missing term, dense cosine), fitted on held-out data
by ``bench/calibrate_refusal.py`` — never on the questions we report. Below
the threshold the reply says plainly that the documents do not contain the
answer and offers the closest passages as suggestions.

This module does not retrieve; it takes hits.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .evidence import ScoredSentence, score_sentences
from .records import Answer, Citation, Hit

__all__ = ["NOT_FOUND", "RefusalModel", "build_answer", "citation_from_hit", "evidence_features", "score_sentences"]

NOT_FOUND = "资料中没有找到与该问题直接相关的内容。"


_CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class RefusalModel:
    """P(answerable) = sigmoid(bias + Σ weight·feature); answer when P ≥ threshold.

    Features (:func:`evidence_features`): ``coverage``, ``bigram``,
    ``answer_type`` and ``missing_top`` of the best sentence, and ``dense``
    (cosine of the best passage) when the retrieval mode has one. The fitted
    numbers live in ``rag/calibration.json``, written by
    ``bench/calibrate_refusal.py`` from held-out data (see the README).
    """

    bias: float
    weights: dict[str, float]
    threshold: float = 0.5

    @classmethod
    def default(cls, *, dense: bool = True) -> "RefusalModel":
        return _load_calibration()["with_dense" if dense else "lexical"]

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


@functools.lru_cache(maxsize=1)
def _load_calibration() -> dict[str, RefusalModel]:
    data = json.loads(_CALIBRATION.read_text(encoding="utf-8"))
    return {k: RefusalModel(bias=v["bias"], weights=v["weights"], threshold=v["threshold"])
            for k, v in data["models"].items()}


def citation_from_hit(hit: Hit, n: int, quote: tuple[int, int] | None = None) -> Citation:
    """Build a Citation from a Hit alone; ``quote`` is an absolute ``[start, end)`` inside the chunk."""
    c = hit.chunk
    qs, qe = quote if quote else (c.sentences[0] if c.sentences else (c.start, c.end))
    return Citation(n=n, doc_id=c.doc_id, title=hit.title, section=c.section, chunk_id=c.chunk_id,
                    start=c.start, end=c.end, quote=c.text[qs - c.start:qe - c.start], text=c.text,
                    score=round(float(hit.score), 4), quote_start=qs, quote_end=qe,
                    date=str(hit.meta.get("date", "") or ""))


def evidence_features(scored: Sequence[ScoredSentence], hits: Sequence[Hit]) -> dict[str, float]:
    """The refusal model's inputs: how well the best sentence and passage match."""
    best = scored[0] if scored else None
    f = {"coverage": best.coverage if best else 0.0, "bigram": best.bigram if best else 0.0,
         "answer_type": best.answer_type if best else 0.0, "missing_top": best.missing_top if best else 1.0}
    dense = [h.dense for h in hits if h.dense is not None]
    if dense:
        f["dense"] = max(dense)
    return f


def build_answer(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
                 refusal: RefusalModel | None = None, max_sentences: int = 2) -> Answer:
    """Compose the extractive answer (or a refusal) for ``question`` from ``hits``."""
    scored = score_sentences(question, hits, idf)
    best = scored[0] if scored else None
    features = evidence_features(scored, hits)
    refusal = refusal or RefusalModel.default(dense="dense" in features)
    p = refusal.probability(features) if best else 0.0
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
