"""Retrieval: a question → ranked :class:`~rag.records.Hit` list.

Three modes over one index: ``dense`` (FAISS cosine on the embedder's query
vector), ``bm25`` (BM25 over jieba words) and ``hybrid``. Queries go through
the same normalisation as documents (full-width folding, traditional →
simplified, Taiwan phrasing), so 溫州人工智慧局 finds 温州人工智能局.

Hybrid, chosen by measurement on the CMRC2018 trial set (tuning data; reported on dev)
(``bench/tune_fusion.py``; numbers in the README):

1. candidates: the union of the top 50 of dense, word BM25 and a second BM25
   over character bigrams (robust where jieba segments the question and
   the passage differently — common after traditional → simplified);
2. convex fusion of per-query normalised scores::

       fused = 0.30 · dense (min-max) + 0.35 · bm25 / max + 0.35 · bigram / max

   (equal-weight reciprocal-rank fusion lost to BM25 alone: it throws away
   how *much* better the best lexical match is);
3. re-ranking of the top 20 by their best sentence's evidence
   (:mod:`rag.evidence`: question-term coverage and bigram overlap)::

       final = fused / fused_top + 0.8 · evidence

   — questions are usually about one sentence, and passage-level BM25
   dilutes a sentence that matches well.

With ``RetrieveConfig.adaptive`` (default) the weights depend on the question
(:mod:`rag.fusion`, fitted by ``bench/tune_adaptive.py``; docs/retrieval.md): dense
0.3 → 0.5 when BM25's best passages hold under half of the question's weighted
terms (everyday wording), re-rank weight 0.5; an English question searches BM25
with its Chinese gloss. On statute-only indexes Chinese questions keep their weights:
the query adapter's ``adapter_weights`` (dense 0.6, bigram 0.2) where it applies (the
default there), the weights above otherwise; English questions get the gloss there too.

This module does not build answers; see :mod:`rag.answer`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from .embed import Embedder
from .errors import QueryError, QuestionError
from .evidence_rerank import evidence_rerank
from .expand import adapt_query, is_statute_index, statute_fuse, statute_lexicon
from .filters import Filters, document_mask, prefer_current
from .fusion import AdaptiveFusion, dense_weight, english_query, signals, split_weights
from .index import Index
from .law_route import fill_law_slots, law_adapter, law_scores, statute_mask
from .lookup import find_references
from .query_adapter import adapter_for_index
from .query_lora import embed_query_lora, lora_for_index
from .records import Hit
from .statute_dense import DenseFeedback, second_dense, smooth_neighbours
from .statute_rerank import rerank as statute_rerank
from .textnorm import normalize, to_mainland
from .tokenize import char_bigrams, tokenize

__all__ = ["MAX_QUESTION_CHARS", "MODES", "RetrieveConfig", "clean_question", "fuse", "rerank_by_evidence", "retrieve"]

MODES = ("hybrid", "dense", "bm25")
MAX_QUESTION_CHARS = 2000


@dataclass(frozen=True)
class RetrieveConfig:
    """Hybrid settings. ``weight``: dense share of the fused score; ``bigram_weight``:
    character-bigram BM25 share (word BM25 gets the rest); ``candidates``: depth per
    retriever; ``fusion``: ``"convex"`` (default) or ``"rrf"``; ``rerank_weight`` and
    ``rerank_depth``: sentence-evidence re-ranking (0 turns it off). ``statute``:
    ``"off"`` (default) or ``"auto"`` (use :mod:`rag.expand` — lay→statute query
    expansion, a law prior, a query adapter and weights fitted on STARD — on indexes
    made of legal documents alone) or ``"on"``. Off by default: it raises STARD hit@10
    but lowers hit@1, and the answer layer's refusal model (fitted on general hybrid
    scores) refuses most answers it ranks (README, issue 10). ``lexicon``: another
    lexicon file."""

    weight: float = 0.3
    bigram_weight: float = 0.35
    candidates: int = 50
    fusion: str = "convex"
    rrf_k: int = 60
    dense_norm: str = "minmax"
    rerank_weight: float = 0.8
    rerank_depth: int = 20
    statute: str = "off"
    lexicon: str | None = None
    #: Re-rank the hybrid's top 20 by a model fitted on STARD (:mod:`rag.statute_rerank`) — on indexes made
    #: of legal documents alone; opt-in (+1.8/+2.8 points hit@5/@10 on the STARD report fold, -0.5 @1).
    statute_rerank: bool = False
    #: Learned map of the question vector for dense scoring (:mod:`rag.query_adapter`): ``"auto"`` (default:
    #: on indexes made of legal documents alone; the statute answer models are fitted on its cross-fitted
    #: scores, bench/stard_answers.py), ``"on"`` or ``"off"``; ``adapter``: another adapter file.
    query_adapter: str = "auto"
    adapter: str | None = None
    #: Query-side LoRA of e5-small (:mod:`rag.query_lora`): ``"off"`` (default), ``"auto"`` (indexes made of laws
    #: alone) or ``"on"``; where it applies it replaces the adapter above; ``lora``: another LoRA file.
    query_lora: str = "off"
    lora: str | None = None
    #: Dense and bigram weights of the hybrid when the adapter applies (chosen by CV inside STARD tune).
    adapter_weights: tuple[float, float] = (0.6, 0.2)
    #: Query-dependent dense share (:mod:`rag.fusion`, hybrid convex fusion only): dense 0.3 → 0.5 when the
    #: question's words are not the corpus's words; a question with little CJK text searches BM25 with its
    #: Chinese gloss; the evidence re-rank then uses ``adaptive_rule.rerank_weight`` (0.5). It replaces
    #: ``weight``/``bigram_weight``/``rerank_weight``: set ``adaptive=False`` to use those as given.
    adaptive: bool = True
    adaptive_rule: AdaptiveFusion = AdaptiveFusion()
    #: Mixed indexes (laws beside other documents): the general ranking's statute slots are filled in the order
    #: a statute index would rank its articles (:mod:`rag.law_route`): ``"auto"`` (default) or ``"off"``.
    mixed_law: str = "auto"
    #: Law-level stage (:mod:`rag.law_level`): the top 20's statute-article slots re-ranked by their law's
    #: evidence in the candidate list, ``law_level`` its weight (0 = off), ``law_level_size`` the exponent of the
    #: law's share of the index's articles that normalises it (applied by :func:`rag.qa.ask`, hybrid mode).
    law_level: float = 0.0
    law_level_size: float = 1.0
    #: Dense pseudo-relevance feedback and neighbouring-article smoothing (:mod:`rag.statute_dense`), only where
    #: the query adapter applies (statute-only indexes); inactive by default (round 9: no CV gain, docs/legal-retrieval.md).
    dense_feedback: DenseFeedback = DenseFeedback()
    #: Deprecated: round 9's name of ``dense_feedback`` (copied there with a DeprecationWarning; reads ``None`` after).
    second_look: DenseFeedback | None = None

    def __post_init__(self) -> None:
        if self.second_look is None:
            return
        warnings.warn("RetrieveConfig(second_look=…) is now RetrieveConfig(dense_feedback=…).", DeprecationWarning,
                      stacklevel=3)
        if self.dense_feedback not in (DenseFeedback(), self.second_look):
            raise QueryError("RetrieveConfig: give dense_feedback= or its old name second_look=, not both.")
        object.__setattr__(self, "dense_feedback", self.second_look)
        object.__setattr__(self, "second_look", None)


def clean_question(question: object, *, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Validate and normalise a question; raise QueryError with advice when unusable.

    >>> clean_question("  溫州ＡＩ局?  ")
    '溫州AI局?'
    """
    if not isinstance(question, str):
        raise QuestionError("The question must be text.")
    q = normalize(question)[0].strip()
    if not q:
        raise QuestionError("The question is empty. Type a question, e.g. 温州人工智能局做什么?")
    if len(q) > max_chars:
        raise QuestionError(f"The question is {len(q)} characters long; the limit is {max_chars}. "
                         "Ask about one thing at a time.")
    return q


def fuse(dense: dict[int, float], bm25: dict[int, float], bigram: dict[int, float] | None = None, *,
         weight: float = 0.3, bigram_weight: float = 0.35, method: str = "convex", rrf_k: int = 60,
         dense_norm: str = "minmax") -> dict[int, float]:
    """Fuse ``row → score`` maps into one (word BM25 gets ``1 - weight - bigram_weight``).

    ``dense_norm="minmax"`` rescales cosines to [0, 1] over the candidates
    (e5 cosines bunch up between 0.75 and 0.9); ``"max"`` divides by the top.

    >>> fuse({1: 0.9, 2: 0.8}, {2: 10.0}, weight=0.5, dense_norm="max")
    {1: 0.5, 2: 0.944...}
    """
    bigram = bigram or {}
    wc = bigram_weight if bigram else 0.0
    wb = 1.0 - weight - wc
    rows = set(dense) | set(bm25) | set(bigram)
    if method == "rrf":
        def ranks(d):
            return {r: 1 / (rrf_k + i + 1) for i, r in enumerate(sorted(d, key=d.get, reverse=True))}
        rd, rb, rc = ranks(dense), ranks(bm25), ranks(bigram)
        return {r: weight * rd.get(r, 0) + wb * rb.get(r, 0) + wc * rc.get(r, 0) for r in rows}
    bmax = max(bm25.values(), default=0.0) or 1.0
    cmax = max(bigram.values(), default=0.0) or 1.0
    dmax = max(dense.values(), default=0.0)
    if dense_norm == "minmax" and len(dense) > 1:
        dmin = min(dense.values())
        span = (dmax - dmin) or 1.0
        dn = {r: (v - dmin) / span for r, v in dense.items()}
    else:
        dn = {r: max(v, 0.0) / (dmax or 1.0) for r, v in dense.items()}
    return {r: weight * dn.get(r, 0.0) + wb * bm25.get(r, 0.0) / bmax + wc * bigram.get(r, 0.0) / cmax
            for r in rows}


def rerank_by_evidence(index: Index, question: str, scores: dict[int, float], *, weight: float = 0.8,
                       depth: int = 20) -> dict[int, float]:
    """Re-score the top ``depth`` rows: ``score / top + weight · best-sentence evidence`` (the sentences of each
    row prepared once per index: :mod:`rag.evidence_rerank`, same numbers as :func:`rag.evidence.score_sentences`)."""
    return evidence_rerank(index, question, scores, weight=weight, depth=depth)


def _allowed(index: Index, doc_ids: Sequence[str] | None) -> np.ndarray | None:
    """Row mask for a document filter; ``None`` or an empty list means no filter."""
    if not doc_ids:
        return None
    unknown = [d for d in doc_ids if d not in index.documents]
    if unknown:
        raise QueryError(f"Unknown document id(s): {', '.join(unknown)}. List them with `rag docs`.")
    wanted = set(doc_ids)
    return np.array([c.doc_id in wanted for c in index.chunks], dtype=bool)


def _weights(index: Index, q: str, config: RetrieveConfig, dense: dict[int, float], bm25: dict[int, float],
             bigram: dict[int, float], *, adapted: bool, adaptive: bool) -> tuple[float, float, float]:
    """Dense, bigram and evidence re-rank weights of the hybrid for this question (:mod:`rag.fusion`)."""
    w, bw = config.adapter_weights if adapted else (config.weight, config.bigram_weight)
    if not adaptive:
        return w, bw, config.rerank_weight
    sig = signals(q, lambda r: index.chunks[r].text, index.keyword.idf, dense, bm25, bigram)
    wd = dense_weight(sig, config.adaptive_rule, statute_index=adapted or is_statute_index(index))
    if wd is None:
        return w, bw, config.rerank_weight
    return (*split_weights(wd, (config.weight, config.bigram_weight)), config.adaptive_rule.rerank_weight)


def _law_slots(index: Index, lq: str, plain_qv, order: list[int], config: RetrieveConfig, embedder,
               allowed, filters, depth: int) -> list[int]:
    """``order`` with its statute slots refilled by :mod:`rag.law_route` on a mixed index (else unchanged; also
    with ``query_adapter="off"``, which turns the adapter off everywhere)."""
    law = law_adapter(index, embedder, config.mixed_law, config.adapter) if config.query_adapter != "off" else None
    mask = statute_mask(index) if law is not None else None
    if law is None or not any(mask[r] for r in order):
        return order
    ls = law_scores(index, lq, plain_qv, law, allowed=allowed, depth=depth, weights=config.adapter_weights,
                    rerank_weight=config.rerank_weight, rerank_depth=max(config.rerank_depth, len(order)),
                    fuse=fuse, rerank=rerank_by_evidence, tokens=tokenize(lq), bigrams=char_bigrams(lq))
    ls = prefer_current(index, ls, filters)
    return fill_law_slots(order, lambda r: bool(mask[r]), sorted(ls, key=lambda r: (-ls[r], r)))


def _dense_feedback(index: Index, lq: str, qv, config: RetrieveConfig, dense: dict[int, float], bm25: dict[int, float],
                 bigram: dict[int, float], scores: dict[int, float], weights: tuple[float, float, float], *,
                 allowed, depth: int, k: int) -> dict[int, float]:
    """Scores after :mod:`rag.statute_dense`'s feedback search and neighbour smoothing. The feedback search's
    cosines feed the fusion only: ``dense`` (what :class:`~rag.records.Hit` ``.dense`` reports) stays the question's."""
    look = config.dense_feedback
    w, bw, rw = weights
    channel = dense
    if look.alpha > 0:
        first = dense if look.source == "dense" else scores
        channel = second_dense(index, qv, sorted(first, key=lambda r: (-first[r], r)), look, depth, allowed)
    elif look.where == "final":
        return smooth_neighbours(index, scores, look.beta)
    fused = fuse(channel, bm25, bigram, weight=w, bigram_weight=bw, method=config.fusion, rrf_k=config.rrf_k,
                 dense_norm=config.dense_norm)
    if look.where == "fused":
        fused = smooth_neighbours(index, fused, look.beta)
    scores = rerank_by_evidence(index, lq, fused, weight=rw, depth=max(config.rerank_depth, k))
    if look.where == "final":
        scores = smooth_neighbours(index, scores, look.beta)
    return scores


@dataclass
class _Channels:
    """One question's searches, as :func:`retrieve`'s stages pass them on: the query vectors (``plain_qv`` before
    the adapter or lexicon map, ``adapter``: the query adapter or LoRA that applied), the text the lexical
    retrievers search (``lexical``: an English question's Chinese gloss) and each channel's ``row → score``."""

    lexical: str
    qv: np.ndarray | None = None
    plain_qv: np.ndarray | None = None
    adapter: object | None = None
    adaptive: bool = False
    dense: dict[int, float] = field(default_factory=dict)
    bm25: dict[int, float] = field(default_factory=dict)
    bigram: dict[int, float] = field(default_factory=dict)


def retrieve(index: Index, question: str, *, embedder: Embedder | None = None, k: int = 5,
             mode: str = "hybrid", doc_ids: Sequence[str] | None = None,
             config: RetrieveConfig = RetrieveConfig(), filters: Filters | None = None) -> list[Hit]:
    """Rank the index's chunks for ``question``; return the top ``k`` hits.

    ``filters`` (:class:`rag.filters.Filters`) narrows the search to document
    types, a date range or one law, and by default demotes superseded versions.

    ``embedder`` is needed for ``dense`` and ``hybrid``; it must be the one
    the index was built with (see :func:`rag.index.check_embedder`).
    """
    if mode not in MODES:
        raise QueryError(f"Unknown retrieval mode {mode!r}; use one of {', '.join(MODES)}.")
    if not isinstance(k, int) or k < 1:
        raise QueryError(f"k must be a positive number of passages, not {k!r}.")
    q = clean_question(question)
    allowed = _allowed(index, doc_ids)
    if (fmask := document_mask(index, filters)) is not None:
        allowed = fmask if allowed is None else allowed & fmask
    depth = max(config.candidates, k)
    lex = statute_lexicon(index, config.statute, config.lexicon)  # None unless a statute index
    ch = _search(index, q, mode=mode, embedder=embedder, config=config, lex=lex, allowed=allowed, depth=depth)
    scores = _scores(index, q, ch, mode=mode, config=config, lex=lex, allowed=allowed, depth=depth, k=k)
    scores = prefer_current(index, scores, filters)
    exact = [r for r in find_references(index, q) if allowed is None or allowed[r]]
    top = max(scores.values(), default=0.0)
    for i, r in enumerate(exact):  # a named article (劳动合同法第三十八条) comes first, in the order named
        scores[r] = top + 1.0 + (len(exact) - i) * 1e-3
    general = sorted(scores, key=lambda r: (-scores[r], r))[:k]
    order = general
    if mode == "hybrid" and ch.adapter is None and lex is None and not exact and config.fusion == "convex":
        order = _law_slots(index, ch.lexical, ch.plain_qv, general, config, embedder, allowed, filters, depth)
    return _hits(index, order, general, [float(scores[r]) for r in general], ch.dense, ch.bm25, exact,
                 ch.adapter is not None)


def _query_vectors(index: Index, q: str, embedder: Embedder, config: RetrieveConfig, lex) -> _Channels:
    """The question's vector, mapped by the query LoRA, the query adapter or the statute lexicon where they apply."""
    lora = lora_for_index(index, embedder, config.query_lora, config.lora)
    qv = plain_qv = (embed_query_lora(embedder, to_mainland(q), lora) if lora is not None
                     else embedder.embed_queries([to_mainland(q)])[0])
    ad = None
    if lora is not None:
        ad = lora  # supersedes the linear adapter; the adapter's fusion weights apply
    elif (ad := adapter_for_index(index, embedder, config.query_adapter, config.adapter)) is not None:
        qv = ad.apply(qv)  # supersedes the lexicon's older adapter
    elif lex is not None:
        qv = adapt_query(lex, qv, embedder.name)
    return _Channels(lexical=q, qv=qv, plain_qv=plain_qv, adapter=ad)


def _search(index: Index, q: str, *, mode: str, embedder: Embedder | None, config: RetrieveConfig, lex, allowed,
            depth: int) -> _Channels:
    """Each channel the mode uses, searched to ``depth``: dense, word BM25, character-bigram BM25."""
    ch = _Channels(lexical=q)
    if mode in ("dense", "hybrid"):
        if embedder is None:
            raise QueryError(f"Mode {mode!r} needs the embedder the index was built with.")
        ch = _query_vectors(index, q, embedder, config, lex)
        s, r = index.dense.search(ch.qv, depth, allowed=allowed)
        ch.dense = dict(zip(r.tolist(), s.tolist()))
    # with the query adapter only an English question's handling applies (the adapter has its own weights)
    ch.adaptive = mode == "hybrid" and config.adaptive and config.fusion == "convex" and lex is None
    if ch.adaptive:
        ch.lexical = english_query(q, ch.dense, lambda r: index.chunks[r].text, config.adaptive_rule) or q
    if mode in ("bm25", "hybrid"):
        s, r = index.keyword.search(tokenize(ch.lexical), depth, allowed=allowed)
        ch.bm25 = dict(zip(r.tolist(), s.tolist()))
    if mode == "hybrid" and index.bigram is not None and config.bigram_weight > 0:
        s, r = index.bigram.search(char_bigrams(ch.lexical), depth, allowed=allowed)
        ch.bigram = dict(zip(r.tolist(), s.tolist()))
    return ch


def _scores(index: Index, q: str, ch: _Channels, *, mode: str, config: RetrieveConfig, lex, allowed, depth: int,
            k: int) -> dict[int, float]:
    """``row → score`` of the mode: one channel, the statute path's fusion, or the hybrid (fusion, evidence
    re-rank, then the opt-in dense feedback and statute re-ranker)."""
    if mode == "dense":
        return ch.dense
    if mode == "bm25":
        return ch.bm25
    if lex is not None:
        return statute_fuse(index, tokenize(q), ch.dense, ch.bm25, ch.bigram, lex=lex, depth=depth, allowed=allowed)
    w, bw, rw = _weights(index, q, config, ch.dense, ch.bm25, ch.bigram, adapted=ch.adapter is not None,
                         adaptive=ch.adaptive)
    scores = fuse(ch.dense, ch.bm25, ch.bigram, weight=w, bigram_weight=bw, method=config.fusion, rrf_k=config.rrf_k,
                  dense_norm=config.dense_norm)
    scores = rerank_by_evidence(index, ch.lexical, scores, weight=rw, depth=max(config.rerank_depth, k))
    if ch.adapter is not None and config.dense_feedback.active:
        scores = _dense_feedback(index, ch.lexical, ch.qv, config, ch.dense, ch.bm25, ch.bigram, scores, (w, bw, rw),
                                 allowed=allowed, depth=depth, k=k)
    if config.statute_rerank and is_statute_index(index):
        scores = statute_rerank(index, q, scores, ch.dense, ch.bm25, ch.bigram, query_vector=ch.plain_qv,  # as fitted
                                fingerprint=index.manifest["embedder"].get("fingerprint"))
    return scores


def _hits(index: Index, order: list[int], general: list[int], slot: list[float], dense: dict[int, float],
          bm25: dict[int, float], exact: list[int], adapted: bool) -> list[Hit]:
    """Hits of ``order``; each rank keeps the score ``slot`` of the general ranking's row there (``general``),
    and a row that replaced it (:mod:`rag.law_route`) carries that row's hit as ``Hit.general``."""
    def hit(rank: int, row: int, was: Hit | None = None) -> Hit:
        c = index.chunks[row]
        d = index.documents[c.doc_id]
        return Hit(chunk=c, score=slot[rank - 1], rank=rank, dense=dense.get(row), bm25=bm25.get(row),
                   title=d.title, meta=d.meta, exact=row in exact, adapted=adapted, general=was)

    return [hit(rank, row, None if row == general[rank - 1] else hit(rank, general[rank - 1]))
            for rank, row in enumerate(order, 1)]
