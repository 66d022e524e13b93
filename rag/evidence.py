"""Sentence-level evidence: how well one sentence answers a question.

Shared by retrieval (re-ranking passages by their best sentence) and by the
answerer (choosing the sentences to quote and deciding whether to answer).
For each sentence of each hit it measures:

- ``coverage``: the share of the question's terms present in the sentence,
  each term weighted by the geometric mean of its corpus IDF and a
  general-Chinese IDF (jieba's), so 合肥 or 丁波涛 count and 企业 or an
  everywhere-word like 人工智能 barely do;
- ``bigram``: character-bigram overlap with the question (catches names
  the segmenter splits differently);
- ``answer_type``: whether the sentence has what the question asks for — a
  "多少家" question wants "741家", a "哪一年" question a year;
- ``missing_top``: the weight of the heaviest question term it lacks.

Terms are matched as substrings of the sentence in simplified, lower-case
form, so no segmentation runs per sentence. This module does not rank
passages or compose answers.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .records import Hit
from .textnorm import folded as _folded
from .textnorm import search_form
from .tokenize import tokenize

__all__ = ["ScoredSentence", "evidence", "expected_answer_type", "score_sentences", "term_weights"]

_NUM = "0-9一二三四五六七八九十百千万亿两〇零"
_EXPECTS: list[tuple[re.Pattern, str]] = [
    # (question pattern, what the answering sentence must contain); {0} is the question's measure word
    (re.compile(r"(?:多少|几)\s*([家个次位名项所座条亿万千元人年月天岁倍件台辆%％])"), "[" + _NUM + r"]\s*{0}"),
    (re.compile(r"哪一?天|几号|哪一日|何日|几月几日"), r"[0-9一二三四五六七八九十]+[日号]"),
    (re.compile(r"哪一?年|何年|什么时候|何时|什么时间|哪个时候"), r"[0-9〇零一二三四五六七八九十]{2,4}年|[0-9]+月"),
    (re.compile(r"多少|几|比例|占比|百分之|多大|多高|多长|多久"), "[" + _NUM + "]"),
]


def expected_answer_type(question: str) -> re.Pattern | None:
    """What an answering sentence must contain, from the question's wording.

    >>> bool(expected_answer_type("杭州有多少家企业?").search("741家"))
    True
    >>> expected_answer_type("温州人工智能局做什么") is None
    True
    """
    q = search_form(question)
    for pat, want in _EXPECTS:
        m = pat.search(q)
        if m:
            return re.compile(want.replace("{0}", re.escape(m.group(1)) if m.groups() else ""))
    return None


@functools.lru_cache(maxsize=1)
def _background_idf() -> dict[str, float]:
    """General-Chinese IDF shipped with jieba (jieba/analyse/idf.txt)."""
    import jieba

    path = Path(jieba.__file__).parent / "analyse" / "idf.txt"
    out: dict[str, float] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w, _, v = line.rstrip("\n").partition(" ")
            if v:
                out[w] = float(v)
    return out


def term_weights(terms: Sequence[str], idf: Callable[[str], float]) -> dict[str, float]:
    """Weight question terms by the geometric mean of corpus IDF and general-Chinese IDF.

    A word common in this corpus (人工智能 in an AI corpus) or in Chinese at
    large (企业) counts little; names and specific terms (合肥, 丁波涛) count
    most. The background IDF keeps weights sensible on a corpus of one document.
    """
    bg = _background_idf()
    return {t: math.sqrt(max(idf(t), 0.0) * bg.get(t, 12.0)) for t in terms}


_NOT_ALNUM = re.compile(r"[\W_]+")


def _bigrams(folded: str) -> set[str]:
    t = _NOT_ALNUM.sub("", folded)
    return {t[i:i + 2] for i in range(len(t) - 1)}


@functools.lru_cache(maxsize=4096)
def sentence_bigrams(folded: str) -> frozenset[str]:
    """:func:`_bigrams` of a folded sentence or statute article, remembered: every reading of a question and every
    turn that stays on the same passages scores the same texts again."""
    return frozenset(_bigrams(folded))


@dataclass
class ScoredSentence:
    hit: Hit
    start: int  # absolute offsets in the document
    end: int
    text: str
    score: float
    coverage: float
    bigram: float
    answer_type: float = 1.0
    missing_top: float = 0.0  # weight of the heaviest question term the sentence lacks, relative to the heaviest


def score_sentences(question: str, hits: Sequence[Hit], idf: Callable[[str], float]) -> list[ScoredSentence]:
    """Score every answerable sentence of ``hits`` against ``question`` (best first).

    A question term counts as covered when it occurs in the sentence (matched
    in simplified, lower-case form), so no segmentation runs per sentence.
    """
    q_terms = list(dict.fromkeys(tokenize(question)))
    weights = term_weights(q_terms, idf)
    total = sum(weights.values()) or 1.0
    heaviest = max(weights.values(), default=0.0) or 1.0
    q_bi = _bigrams(search_form(question))
    expect = expected_answer_type(question)
    top = max((h.score for h in hits), default=0.0) or 1.0
    out: list[ScoredSentence] = []
    seen: set[tuple[str, int]] = set()
    for h in hits:
        c = h.chunk
        folded = _folded(c.text)  # same length as c.text
        for s, e in c.sentences:
            if (c.doc_id, s) in seen:  # overlapping chunks repeat sentences
                continue
            seen.add((c.doc_id, s))
            sent = folded[s - c.start:e - c.start]
            cov = sum(w for t, w in weights.items() if t in sent) / total if q_terms else 0.0
            missing = max((w for t, w in weights.items() if t not in sent), default=0.0) / heaviest
            bi = len(q_bi & sentence_bigrams(sent)) / len(q_bi) if q_bi else 0.0
            typ = 1.0 if expect is None or expect.search(sent) else 0.0
            score = 0.50 * cov + 0.20 * bi + 0.15 * typ + 0.15 * max(h.score, 0.0) / top
            out.append(ScoredSentence(h, s, e, c.text[s - c.start:e - c.start], score, cov, bi, typ, missing))
    out.sort(key=lambda x: -x.score)
    return out


def evidence(s: "ScoredSentence") -> float:
    """A sentence's evidence score without the passage prior (0..1), used to re-rank passages."""
    return 0.6 * s.coverage + 0.4 * s.bigram
