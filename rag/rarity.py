"""Refusal evidence that survives paraphrase: which *kind* of question word is missing.

A citizen's own words are often not the text's (出圈, 行当, 长处, 啥): such a word is missing from the
answering passage, and corpus IDF alone calls it heavy (it is rare *in the corpus*). A missing rare
name, number or technical term is a different matter: the passage is probably about something else.
:func:`rarity_features` weights each question term by its rarity in Chinese at large — jieba's
dictionary frequencies, a word jieba does not know counting as rarest — and reports, per passage and
sentence:

- ``rr_cov_passage`` / ``rr_cov_sent``: the question's terms found, weighted by general rarity
  (a missing everyday word costs little, a missing name much);
- ``rr_miss_passage``: the general rarity of the rarest question term the passage lacks (0 when none);
- ``rr_name_miss_passage``: the same, over the terms that are names (jieba tags nr/ns/nt/nz, or a word
  jieba does not know): a missing 常州 is not a missing 长处, though both are as rare in general text;
- ``rr_common_q``: the share of the question's terms that are everyday words (what paraphrase adds).

Pure string work on folded text (well under a millisecond, but the first call of a process loads jieba's
part-of-speech table, ~170 ms). No shipped model uses these features (round 6: no out-of-fold gain), so
answering never computes them: only the refusal-fit experiment does (``bench/calibrate_answers.py --rarity``
→ :func:`add_rarity` on every recorded candidate, bench/calib_rows.py). It does not fit or apply models.
"""

from __future__ import annotations

import functools
import math
from typing import Callable, Sequence

__all__ = ["add_rarity", "general_rarity", "is_name", "rarity_features"]

_COMMON = 0.6  # rarity below this: an everyday word (的 0.29, 大会 0.49, 举办 0.54; 长处 0.70, 耶律乞奴 0.9)
_NAME_TAGS = ("nr", "ns", "nt", "nz")


@functools.lru_cache(maxsize=1)
def _freqs() -> tuple[dict[str, int], float]:
    from .tokenize import jieba_tokenizer

    tk = jieba_tokenizer()
    return tk.FREQ, math.log(max(tk.total, 2))


@functools.lru_cache(maxsize=1)
def _tags() -> dict[str, str]:
    import jieba.posseg

    return jieba.posseg.dt.word_tag_tab


def is_name(word: str) -> bool:
    """A proper name by jieba's dictionary tag, or a word jieba does not know at all.

    >>> is_name("常州"), is_name("长处")
    (True, False)
    """
    tag = _tags().get(word)
    return tag.startswith(_NAME_TAGS) if tag else _freqs()[0].get(word, 0) <= 0


@functools.lru_cache(maxsize=65536)
def general_rarity(word: str) -> float:
    """0 (the commonest words) … 1 (a word jieba does not know, e.g. a rare name); multi-character
    words jieba lacks but whose parts it knows count as 0.9.

    >>> general_rarity("的") < general_rarity("长处") < general_rarity("耶律乞奴")
    True
    """
    freq, log_total = _freqs()
    f = freq.get(word, 0)
    if f <= 0:
        return 1.0 if len(word) < 2 or word.isascii() or not all(freq.get(ch, 0) for ch in word) else 0.9
    return max(0.0, min(1.0, (log_total - math.log1p(f)) / log_total))


def rarity_features(terms: Sequence[str], passages: dict[str, str], sentence_of: dict[str, str]) -> \
        tuple[dict[str, float], dict[str, dict[str, float]], dict[str, float]]:
    """(question-level, per passage id, per sentence text) rarity features of the question ``terms``.

    ``passages`` maps passage id → folded text, ``sentence_of`` sentence key → folded sentence text.
    """
    r = {t: general_rarity(t) for t in dict.fromkeys(terms)}
    total = sum(v * v for v in r.values()) or 1.0
    names = {t: is_name(t) for t in r}
    q = {"rr_common_q": sum(v < _COMMON for v in r.values()) / max(len(r), 1)}

    def cov(text: str) -> float:
        return sum(v * v for t, v in r.items() if t in text) / total

    per_passage = {cid: {"rr_cov_passage": cov(text),
                         "rr_miss_passage": max((v for t, v in r.items() if t not in text), default=0.0),
                         "rr_name_miss_passage": max((v for t, v in r.items() if t not in text and names[t]),
                                                     default=0.0)}
                   for cid, text in passages.items()}
    per_sent = {k: cov(text) for k, text in sentence_of.items()}
    return q, per_passage, per_sent


def add_rarity(question: str, hits: Sequence, cands: Sequence, idf: Callable[[str], float]) -> None:
    """Add the ``rr_*`` features above to every candidate of :func:`rag.select.candidates` (what
    :func:`rag.agreement.add_agreement` did in round 6 before they were left out of the shipped models)."""
    from .evidence import term_weights
    from .textnorm import to_simplified
    from .tokenize import tokenize

    if not cands:
        return
    terms = list(term_weights(list(dict.fromkeys(tokenize(question))), idf))
    texts = {h.chunk.chunk_id: to_simplified(h.chunk.text).lower() for h in hits}
    sents = {str(id(c)): to_simplified(c.sentence.text).lower() for c in cands}
    rr_q, rr_passage, rr_sent = rarity_features(terms, texts, sents)
    for c in cands:
        c.features.update(rr_q)
        c.features.update(rr_passage.get(c.sentence.hit.chunk.chunk_id, {}))
        c.features["rr_cov_sent"] = rr_sent[str(id(c))]
