"""Query-dependent hybrid weights: how much to trust dense vs BM25 for *this* question.

The default hybrid (dense 0.3 / word BM25 0.35 / bigram BM25 0.35, :mod:`rag.retrieve`) was chosen on
questions written from the paragraph (CMRC2018 trial): their words are the passage's words, and BM25 is
sharp. A citizen's everyday wording (斑马线 for 人行横道) or an English question shares few or no words
with the text, and BM25 then ranks passages that share incidental words — or, for English, the few
passages with Latin text. This module reads cheap signals of that from the three result lists the
hybrid computes anyway (no second embedding, no extra search):

- ``cjk``: share of CJK characters in the question (:func:`rag.select.cjk_share`);
- ``cover``: the best IDF-weighted share of the question's terms found in one of BM25's top 3 passages
  (terms weighted like :mod:`rag.evidence`: corpus IDF × general-Chinese IDF) — near 1 when the question
  was written from a passage, low when its words are not the corpus's words;
- ``agree``: overlap of the dense top 5 with the union of the two BM25 top 5s (0..1).

:func:`dense_weight` maps them to the dense share of the convex fusion with a small logistic rule fitted
by ``bench/tune_adaptive.py`` on tuning data only (CMRC2018 trial, the DRCD dev tune half, the STARD tune
fold, ``bench/data/everyday_dev.jsonl`` with CV grouped by document, pseudo-English tune questions);
the fitted numbers live in :class:`AdaptiveFusion`. A question with little CJK text gets ``english_weight``.

This module does not search, fuse or re-rank (:mod:`rag.retrieve` does).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from .evidence import term_weights
from .select import CROSSLINGUAL_CJK, cjk_share
from .textnorm import to_simplified
from .tokenize import tokenize

__all__ = ["AdaptiveFusion", "Signals", "dense_weight", "english_query", "signals", "split_weights"]


@dataclass(frozen=True)
class Signals:
    """What the three result lists say about one question (see the module docstring)."""

    cjk: float
    cover: float
    agree: float


@dataclass(frozen=True)
class AdaptiveFusion:
    """The fitted rule: ``w = lo + (hi - lo) · sigmoid(bias + a_cover · cover + a_agree · agree)``.

    ``w`` is the dense share; the two BM25s split the rest equally (as in the default 0.3/0.35/0.35).
    ``english_cjk``: below this CJK share a question gets ``english_weight`` (its BM25 searches the gloss).
    Defaults: chosen by ``bench/tune_adaptive.py fit`` on the tuning mix (module docstring) — a question
    whose best BM25 passage holds under half of its (weighted) terms moves from dense 0.3 to 0.5.
    """

    lo: float = 0.3
    hi: float = 0.5
    bias: float = 12.5
    a_cover: float = -25.0
    a_agree: float = 0.0
    english_cjk: float = CROSSLINGUAL_CJK  # the answer layer's line for an English question: the same one
    english_weight: float = 0.5
    #: sentence-evidence re-rank weight used with this rule (replaces RetrieveConfig.rerank_weight)
    rerank_weight: float = 0.5
    #: whether the Chinese rule also applies on statute-only indexes (see :func:`dense_weight`)
    statute: bool = False


def _top(scores: dict[int, float], n: int) -> list[int]:
    return sorted(scores, key=lambda r: (-scores[r], r))[:n]


def signals(question: str, texts: Callable[[int], str], idf: Callable[[str], float], dense: dict[int, float],
            bm25: dict[int, float], bigram: dict[int, float]) -> Signals:
    """Signals of one question from its dense / word-BM25 / bigram-BM25 ``row → score`` maps.

    ``texts(row)`` gives a passage's text, ``idf`` the index's word IDF.
    """
    terms = list(dict.fromkeys(tokenize(question)))
    weights = term_weights(terms, idf)
    total = sum(weights.values())
    cover = 0.0
    if total > 0:
        for r in _top(bm25, 3):
            t = to_simplified(texts(r)).lower()
            cover = max(cover, sum(w for term, w in weights.items() if term in t) / total)
    lex = set(_top(bm25, 5)) | set(_top(bigram, 5))
    top_dense = _top(dense, 5)
    agree = len(lex & set(top_dense)) / len(top_dense) if top_dense else 1.0
    return Signals(cjk=cjk_share(question), cover=cover, agree=agree)


def dense_weight(sig: Signals, rule: AdaptiveFusion = AdaptiveFusion(), *, statute_index: bool = False
                 ) -> float | None:
    """The dense share of the fusion for a question with these signals; None: keep the static weights.

    On an index made of statutes alone (:func:`rag.expand.is_statute_index`) only English questions get
    the rule (``rule.statute`` False): fitted on STARD tune alone, the Chinese rule did not beat the static
    weights at recall@1 (``bench/tune_adaptive.py``).
    """
    if sig.cjk < rule.english_cjk:
        return rule.english_weight
    if statute_index and not rule.statute:
        return None
    z = rule.bias + rule.a_cover * sig.cover + rule.a_agree * sig.agree
    return rule.lo + (rule.hi - rule.lo) / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))


def split_weights(w: float, default: Sequence[float] = (0.3, 0.35)) -> tuple[float, float]:
    """(dense, bigram) weights for dense share ``w``; the BM25s keep the default's word:bigram ratio."""
    d, b = default
    rest = 1.0 - d
    return w, (1.0 - w) * (b / rest if rest > 0 else 0.5)


def english_query(question: str, dense: dict[int, float], texts: Callable[[int], str],
                  rule: AdaptiveFusion = AdaptiveFusion()) -> str | None:
    """Chinese terms to search BM25 with for a question with little CJK text, or None.

    The question is glossed with CC-CEDICT (:mod:`rag.gloss`), preferring translations that occur in
    the dense top 5 — so BM25 matches Chinese words, not the English words of the few Latin passages.
    """
    from .gloss import available, gloss

    if cjk_share(question) >= rule.english_cjk or not dense or not available():
        return None
    context = to_simplified(" ".join(texts(r) for r in _top(dense, 5))).lower()
    g = gloss(question, context)
    return g.text if g.text and cjk_share(g.text) >= rule.english_cjk else None
