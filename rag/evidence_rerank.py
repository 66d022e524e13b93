"""Passage re-ranking by best-sentence evidence, with each passage's sentences prepared once per index.

:func:`rag.retrieve.rerank_by_evidence` re-scores the top rows of a ranking as ``score / top + weight · best
sentence evidence`` (:func:`rag.evidence.evidence`: 0.6 · weighted term coverage + 0.4 · bigram overlap). It ran
:func:`rag.evidence.score_sentences` on every call, which folds every passage to simplified lower case and builds
every sentence's bigram set again — for each query and twice per query on a mixed index (the general ranking and
the law slots, :mod:`rag.law_route`). Statute articles are long, so on a law conversation (two or three readings
per turn) this was most of the retrieval time.

:func:`evidence_rerank` computes the *same numbers* (same terms, weights, sums in the same order, the same
first-seen rule for sentences repeated by overlapping passages) from per-row sentences prepared once per loaded
index generation (:meth:`rag.index.Index.derived`; at most :data:`MAX_ROWS` rows kept, then started afresh) and the
question's term weights prepared once per question. It does not score answer types, the passage prior or
anything the answer layer uses (:func:`rag.evidence.score_sentences` still does that).
"""

from __future__ import annotations

import threading

from .evidence import _NOT_ALNUM, term_weights
from .textnorm import search_form, to_simplified
from .tokenize import tokenize

__all__ = ["MAX_ROWS", "evidence_rerank"]

#: prepared rows kept per index, then started afresh (measured: ~8 KB a row on the shipped corpus — 15 MB for its
#: 1,893 rows — so at most ~35 MB; a statute archive of 66,000 articles is not prepared whole)
MAX_ROWS = 4096
#: question term weights kept per index
_MAX_QUESTIONS = 256


class _Prepared:
    """Per index: row → its sentences ``((doc_id, start), folded text, bigram set)``; question → terms."""

    def __init__(self) -> None:
        self.rows: dict[int, tuple] = {}
        self.questions: dict[str, tuple] = {}
        self.pool: dict[str, str] = {}  # one string per bigram, shared by the rows (emptied with them)
        self.lock = threading.Lock()


def _bigrams(folded: str, pool: dict[str, str] | None = None) -> frozenset[str]:
    """The character bigrams of ``folded``'s letters and digits; with ``pool``, one string object per bigram shared
    by every row (not ``sys.intern``: interned strings are immortal on Python 3.12.0–3.12.5 and free-threaded
    builds, python/cpython#113993, so every bigram of every passage and question ever seen would stay in memory
    past :data:`MAX_ROWS`)."""
    t = _NOT_ALNUM.sub("", folded)
    if pool is None:
        return frozenset(t[i:i + 2] for i in range(len(t) - 1))
    return frozenset(pool.setdefault(b, b) for b in (t[i:i + 2] for i in range(len(t) - 1)))


def _row(prep: _Prepared, index, r: int) -> tuple:
    got = prep.rows.get(r)
    if got is None:
        c = index.chunks[r]
        folded = to_simplified(c.text).lower()  # same length as c.text
        pool = prep.pool
        got = tuple(((c.doc_id, s), sent, _bigrams(sent, pool))
                    for s, e in c.sentences for sent in (folded[s - c.start:e - c.start],))
        with prep.lock:
            if len(prep.rows) >= MAX_ROWS:
                prep.rows.clear()
                prep.pool = {}  # a fresh pool (threads preparing a row with the old one keep theirs)
            prep.rows[r] = got
    return got


def _question(prep: _Prepared, index, question: str) -> tuple:
    got = prep.questions.get(question)
    if got is None:
        terms = list(dict.fromkeys(tokenize(question)))
        weights = term_weights(terms, index.keyword.idf)
        got = (bool(terms), tuple(weights.items()), sum(weights.values()) or 1.0,
               _bigrams(search_form(question)))
        with prep.lock:
            if len(prep.questions) >= _MAX_QUESTIONS:
                prep.questions.clear()
            prep.questions[question] = got
    return got


def evidence_rerank(index, question: str, scores: dict[int, float], *, weight: float = 0.8,
                    depth: int = 20) -> dict[int, float]:
    """Re-score the top ``depth`` rows: ``score / top + weight · best-sentence evidence`` — exactly what
    :func:`rag.retrieve.rerank_by_evidence` computed through :func:`rag.evidence.score_sentences`.

    >>> evidence_rerank(None, "任何问题", {}) == {}
    True
    """
    top_rows = sorted(scores, key=lambda r: (-scores[r], r))[:depth]
    if not top_rows or weight <= 0:
        return scores
    top = scores[top_rows[0]] or 1.0
    prep = index.derived("evidence-rerank", _Prepared)
    has_terms, weights, total, q_bi = _question(prep, index, question)
    n_bi = len(q_bi)
    seen: set[tuple[str, int]] = set()
    out: dict[int, float] = {}
    for r in top_rows:
        best = 0.0
        for key, sent, bi_set in _row(prep, index, r):
            if key in seen:  # overlapping passages repeat sentences: the first passage has them
                continue
            seen.add(key)
            cov = sum(w for t, w in weights if t in sent) / total if has_terms else 0.0
            bi = len(q_bi & bi_set) / n_bi if n_bi else 0.0
            best = max(best, 0.6 * cov + 0.4 * bi)
        out[r] = best
    return _combined(index, top_rows, scores, top, weight, out)


def _combined(index, top_rows, scores, top, weight, best_of_row) -> dict[int, float]:
    """``score / top + weight · best``, the best evidence taken per chunk id (as the reference did)."""
    best: dict[str, float] = {}
    for r in top_rows:
        cid = index.chunks[r].chunk_id
        best[cid] = max(best.get(cid, 0.0), best_of_row[r])
    return {r: scores[r] / top + weight * best.get(index.chunks[r].chunk_id, 0.0) for r in top_rows}
