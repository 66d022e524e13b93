"""Question answering: the thin layer that composes retrieve → answer.

:func:`ask` runs one question against a loaded :class:`~rag.index.Index`
and returns an :class:`~rag.records.Answer` with timings; it is the one
answering path (``rag ask``, the UI, the HTTP API and ``rag eval`` all use it).
The question's embedding from retrieval is reused by the answer step.
:class:`Searcher` keeps an index and its embedder loaded for long-running
processes (the UI, the HTTP API) and swaps in a new index generation when
``CURRENT`` changes, so readers keep answering from the old index while a
rebuild runs. It owns no other state.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .answer import NOT_FOUND, RefusalModel, build_answer, citation_from_hit, value_checked
from .batching import QueryBatcher
from .config import data_dir
from .context import retrieve_in_context
from .embed import Embedder, get_embedder
from .index import Index, check_embedder, current_generation, open_index
from .law_level import retrieve_by_law
from .law_prior import LawPrior, retrieve_with_laws
from .law_route import law_documents
from .lookup import ambiguous_article, missing_references, unread_references
from .restricted import DEPTH as RESTRICTED_DEPTH
from .restricted import RESTRICTED_REFUSAL, filter_refusal, law_refusal, repealed_law_refusal, restricted_gate, \
    unheld_law_refusal
from .filters import Filters, excluded_titles, not_in_force
from .law_names import titles_named
from .statute_answer import NOT_FOUND as STATUTE_NOT_FOUND
from .query_cache import lookup, mixed, remember
from .records import Answer, Superseded
from .repealed import repealed_laws, superseded_by, unheld_subject
from .statute import label_citations
from .retrieve import RetrieveConfig, clean_question, retrieve
from .textnorm import to_mainland

__all__ = ["Searcher", "ask"]


def ask(index: Index, question: str, *, embedder: Embedder | None, k: int = 5, mode: str = "hybrid",
        doc_ids: Sequence[str] | None = None, config: RetrieveConfig = RetrieveConfig(),
        refusal: RefusalModel | None = None, filters: Filters | None = None, context: str = "",
        reconsider: Callable[[Answer, Callable[..., Answer]], Answer] | None = None,
        read_as: tuple[str, str] | None = None, needed_above: float | None = None, within_law: str = "",
        previous: Sequence[str] = (), near_weight: float = 0.0, near_join: bool = False,
        law_prior: LawPrior | None = None, restricted: bool | str = False, restricted_depth: int = RESTRICTED_DEPTH
        ) -> Answer:
    """Answer ``question`` from ``index`` with cited sentences (or a refusal).

    ``filters``: document type / date range / law (:class:`rag.filters.Filters`).
    ``context``: a conversation's topic words, which re-rank the question's own candidates
    (:mod:`rag.context`); the answer and the refusal are still on ``question``.
    ``reconsider(answer, answer_as)``: a conversation's second look (:mod:`rag.incontext`) — it gets the answer
    and ``answer_as(wording, read_with, depth)``, which answers another wording on the same (top ``depth``) hits
    (no second retrieval), its query vector the question's mixed with ``read_with``'s (:mod:`rag.query_cache`).
    ``read_as=(a, b)``: the query vector is ``a``'s mixed with ``b``'s, from :mod:`rag.query_cache` (embedded only
    when not there) instead of an embedding of ``question`` — a follow-up searched with its topic words
    (:mod:`rag.dialogue`) costs no embedding; words and answer are still ``question``'s.
    ``needed_above``: the caller uses this answer only when its confidence is above this value (a law follow-up's
    further reading, :mod:`rag.law_followup`); an answer at or below it is returned without asking whether the
    general ranking refuses (:func:`_unless_general_refuses`): it may then stand where that one would refuse.
    ``within_law``: search only the versions of this law (:func:`rag.law_route.law_documents`, within ``doc_ids`` when
    given; a conversation's law, not the user's filter: the current version is still preferred).
    ``previous`` (the previous answer's quotes, as written) and ``near_weight``: a conversation's candidates that
    hold one rank higher by ``near_weight`` (:func:`rag.context.near_prior`), or with ``near_join`` one takes the
    last place when none is in the top ``k``; answer and refusal are unchanged.
    ``law_prior``: a law conversation's laws re-rank the top candidates (:mod:`rag.law_prior`); not used with
    ``context``, ``previous`` or ``near_weight``, whose in-context search takes precedence.
    ``restricted``: ``within_law`` is a law the user named (:mod:`rag.law_switch`); then, as under an active
    ``filters``, the answer stands only when its passage is in the top ``restricted_depth`` of the question over the
    whole index (:mod:`rag.restricted`; 0: no such check) — of the text ``restricted`` when it is one (the matter
    asked without the law's name, which would pull that law up everywhere).
    A question about a law the index does not hold (round 16, :func:`rag.repealed.unheld_subject`: 刑法规定正当防卫是什么)
    is refused before any search (``law_not_in_index``); one about a law a held law repealed (婚姻法规定…) is answered
    as typed — its words find the successor's article better than the successor's name would (婚姻法 → 婚姻登记…) —
    and says so (``Answer.superseded``); a ``within_law`` naming such a law searches its successor.
    """
    t0 = time.perf_counter()
    named, asked, sup = "", clean_question(question), None  # named: a follow-up's law (rag.law_switch), for its refusal
    if within_law:  # narrows doc_ids (never widens a user's document restriction)
        doc_ids, named, sup = _within(index, within_law, doc_ids)
        if excluded_titles(index, filters, [named]):  # the user's own filter leaves that law out: nothing to search
            return _refused(asked, filter_refusal([named]), "filter_excludes_law", t0)
        named = named if restricted else ""
    elif not doc_ids and (subject := unheld_subject(index, asked, _titles(index)))[0]:
        if (sup := subject[1]) is None:
            return _refused(asked, unheld_law_refusal(subject[0]), "law_not_in_index", t0)
    q = asked  # the question cleaned once, above
    seen = _Remember(embedder) if embedder is not None else None
    if seen is not None and read_as:
        seen.preset = mixed(_vector_of(seen, read_as[0]), _vector_of(seen, read_as[1]))
    common = {"embedder": seen, "k": k, "mode": mode, "doc_ids": doc_ids, "config": config, "filters": filters}
    hits = _search(index, q, common, context=context, previous=previous, near_weight=near_weight,
                   near_join=near_join, law_prior=law_prior)
    t1 = time.perf_counter()
    if (ans := _by_reference(index, q, hits, doc_ids, filters)) is None:  # that refusal is final
        ans = _answered(index, q, hits, seen, refusal, needed_above, context, reconsider)
    if ans.answerable and (restricted or (filters is not None and filters.active)):  # rag.restricted
        ans = _gated(ans, hits, index, q, restricted, seen, mode, config, restricted_depth, named)
    if not ans.answerable and (named or (filters is not None and filters.active)):
        ans = _refusal_said(index, q, ans, filters, named)
    # statutes: 《…》第X条, type, 已被修改 (a general ranking's refusal suggests its own hits: rag.law_route)
    label_citations(ans, hits + [h.general for h in hits if h.general is not None], not_in_force(index))
    t2 = time.perf_counter()
    ans.question = asked  # cleaned: normalised, no control characters or lone surrogates
    if sup is not None:
        ans.superseded = ans.superseded or sup
    ans.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (t2 - t1) * 1000, "total": (t2 - t0) * 1000}
    return ans


_PLAIN_REFUSALS = (NOT_FOUND, STATUTE_NOT_FOUND, RESTRICTED_REFUSAL)


def _refusal_said(index: Index, q: str, ans: Answer, filters: Filters | None, named: str) -> Answer:
    """A plain refusal (no passage answers) that says why when it can: searched in the law a follow-up named
    (``named``: 资料中没有找到《…》中与该问题直接相关的规定), or under the user's filter that leaves out every held law
    ``q`` names (所选筛选条件不包含《…》). Other refusals (an article a law lacks, an unclear article) stand."""
    if ans.answer not in _PLAIN_REFUSALS:
        return ans
    if named:
        return replace(ans, answer=law_refusal(named), refusal_reason="not_in_named_law")
    laws = titles_named(_titles(index), q)
    if laws and excluded_titles(index, filters, laws) == laws:
        return replace(ans, answer=filter_refusal(laws), refusal_reason="filter_excludes_law")
    return ans


def _titles(index: Index) -> list[str]:
    """The index's document titles, sorted, each once (remembered per index generation)."""
    return index.derived("titles", lambda: sorted({d.title for d in index.documents.values()}))


def _refused(q: str, text: str, reason: str, t0: float) -> Answer:
    """A refusal decided before any search (no suggestions)."""
    ms = (time.perf_counter() - t0) * 1000
    return Answer(question=q, answer=text, answerable=False, citations=[], refusal_reason=reason,
                  timings_ms={"retrieve": 0.0, "answer": ms, "total": ms})


def _within(index: Index, law: str, doc_ids: Sequence[str] | None) -> tuple[list[str], str, Superseded | None]:
    """The versions of the law ``law`` names (:func:`rag.law_route.law_documents`) within ``doc_ids``, and its title;
    for a law the index lacks that a held law repealed (:func:`rag.repealed.superseded_by`), the held law's, and
    what says so (else None)."""
    # a repealed law first: 民法通则 is a title of its own, not 民法 (民法典)'s part (a held law's name gives None)
    sup = superseded_by(index, law)
    versions = law_documents(index, law if sup is None else sup.by)
    allowed = None if doc_ids is None else set(doc_ids)
    return [d for d in versions if allowed is None or d in allowed], index.documents[versions[0]].title, sup


def _search(index: Index, q: str, common: dict, *, context: str, previous: Sequence[str], near_weight: float,
            near_join: bool, law_prior: LawPrior | None) -> list:
    """The hits of ``q``: re-ranked in a conversation's context (:mod:`rag.context`), else by a law conversation's
    laws (:mod:`rag.law_prior`), else through the law-level stage (:mod:`rag.law_level`) when its weight is set
    (hybrid only), else plainly (:func:`rag.retrieve.retrieve`)."""
    if context or (previous and (near_weight or near_join)):
        return retrieve_in_context(functools.partial(retrieve, index), index, q, context, **common,
                                   previous=previous, near_weight=near_weight, near_join=near_join)
    if law_prior:
        return retrieve_with_laws(functools.partial(retrieve, index), index, q, law_prior, **common)
    config = common["config"]
    if config.law_level > 0 and common["mode"] == "hybrid":
        return retrieve_by_law(functools.partial(retrieve, index), index, q, weight=config.law_level,
                               size=config.law_level_size, **common)
    return retrieve(index, q, **common)


def _answered(index: Index, q: str, hits: list, seen: "_Remember | None", refusal, needed_above: float | None,
              context: str, reconsider) -> Answer:
    """The answer to ``q`` from ``hits`` (see :func:`ask` for ``needed_above``, ``context`` and ``reconsider``)."""
    ans = build_answer(q, hits, idf=index.keyword.idf, refusal=refusal,
                       query_vector=seen.last if seen is not None else None, vectors=index.sentences,
                       fingerprint=index.manifest["embedder"].get("fingerprint"))
    if needed_above is None or (ans.confidence or 0.0) > needed_above:  # else it cannot be used
        ans = _unless_general_refuses(ans, q, hits, index, refusal, seen.last if seen is not None else None)
    if not context and reconsider is None:  # the value a question asks must be quoted (rag.answer)
        ans = value_checked(q, hits, ans)
    if reconsider is not None:
        ans = reconsider(ans, _AnswerAs(hits, index, refusal, seen))
    return ans


def _by_reference(index: Index, q: str, hits: list, doc_ids, filters: Filters | None) -> Answer | None:
    """The refusal of a question naming what the index lacks (第九百条), or an article of no one law (第十九条 of
    which?); None to answer it."""
    kind, laws = unread_references(index, q, _titles(index), lambda ts: excluded_titles(index, filters, ts),
                                   own_parts=list(repealed_laws(index)))
    if kind:  # a law the index lacks, or one the user's filter leaves out: no other law's article of that number
        sup = superseded_by(index, laws[0]) if kind == "unheld" and len(laws) == 1 else None
        text = (repealed_law_refusal(sup) if sup else unheld_law_refusal(laws[0])) if kind == "unheld" \
            else filter_refusal(laws)
        return Answer(question=q, answer=text, answerable=False, citations=[], superseded=sup,
                      refusal_reason="law_not_in_index" if kind == "unheld" else "filter_excludes_law")
    if not any(h.exact for h in hits) and (missing := missing_references(index, q)):
        text = f"资料中没有找到{'、'.join(missing)}。"
    elif not doc_ids and not (filters and filters.active) and (unclear := ambiguous_article(index, q)):
        text = unclear
    else:
        return None
    return Answer(question=q, answer=text, answerable=False, citations=[],
                  suggestions=[citation_from_hit(h, n) for n, h in enumerate(hits[:3], 1)])


def _gated(ans: Answer, hits: list, index: Index, q: str, restricted: bool | str, seen: "_Remember | None",
           mode: str, config: RetrieveConfig, depth: int, named: str) -> Answer:
    """:func:`rag.restricted.restricted_gate` of ``ans``: checked with the question ``q`` over the whole index,
    or with the text ``restricted`` when it is one (the matter of a follow-up that named the law ``named``)."""
    text = restricted if isinstance(restricted, str) and restricted else q
    return restricted_gate(ans, hits, functools.partial(_unrestricted, index, text, seen, mode, config, text != q),
                           depth=depth, law=named)


def _unrestricted(index: Index, q: str, seen: "_Remember | None", mode: str, config: RetrieveConfig, other: bool,
                  depth: int) -> list:
    """``q`` over the whole index, top ``depth``: with the query vector just used, or for ``other`` text its own
    (remembered from an earlier turn, else embedded)."""
    if seen is not None and (other or seen.last is not None):
        seen.preset = _vector_of(seen, q) if other else seen.last
    try:
        return retrieve(index, q, embedder=seen, k=depth, mode=mode, config=config)
    finally:
        if seen is not None:
            seen.preset = None


def _unless_general_refuses(ans: Answer, q: str, hits: list, index: Index, refusal, query_vector) -> Answer:
    """``ans`` (from a ranking whose statute slots :mod:`rag.law_route` refilled), or a refusal when the general
    ranking's answer is one: the refilled slots find the right article for lay wording more often, but the
    refusal models were fitted on general rankings and read the refilled ones as more confident than they are
    (own-document-removed refusal recall fell 7-20 points on the development sets). So both must answer.
    ``ans`` itself when it is a refusal or no slot was refilled."""
    if not ans.answerable or all(h.general is None for h in hits):
        return ans
    first = build_answer(q, [h.general or h for h in hits], idf=index.keyword.idf, refusal=refusal,
                         query_vector=query_vector, vectors=index.sentences,
                         fingerprint=index.manifest["embedder"].get("fingerprint"))
    return ans if first.answerable else first


def _answer_as(hits: list, index: Index, refusal, seen: "_Remember | None", wording: str, read_with: str = "",
               depth: int | None = None) -> Answer:
    """A conversation's second look (``reconsider``): ``wording`` answered on the same (top ``depth``) hits, held
    to the general ranking's answer like the first look (:func:`_unless_general_refuses`)."""
    qv = _read_with(seen, read_with)
    ans = build_answer(wording, hits[:depth], idf=index.keyword.idf, refusal=refusal, query_vector=qv,
                       vectors=index.sentences, fingerprint=index.manifest["embedder"].get("fingerprint"))
    return _unless_general_refuses(ans, wording, hits[:depth], index, refusal, qv)


def _vector_of(seen: "_Remember", text: str) -> np.ndarray:
    """``text``'s query vector: remembered, else embedded now (and remembered)."""
    text = to_mainland(text)
    v = lookup(seen.fingerprint, text)
    if v is None:
        v = seen.inner.embed_queries([text])[0]
        remember(seen.fingerprint, text, v)
    return v


class _AnswerAs:
    """The ``reconsider`` hook's second argument: called as ``answer_as(wording, read_with, depth)``
    (:func:`_answer_as`); :meth:`cosines` reads stored sentence vectors for :mod:`rag.sentence_choice`."""

    def __init__(self, hits: list, index: Index, refusal, seen: "_Remember | None"):
        self.hits, self.index, self.refusal, self.seen = hits, index, refusal, seen

    def __call__(self, wording: str, read_with: str = "", depth: int | None = None) -> Answer:
        return _answer_as(self.hits, self.index, self.refusal, self.seen, wording, read_with, depth)

    def cosines(self, text: str, doc_id: str, spans: Sequence[tuple[int, int]]) -> list[float] | None:
        """Cosines of ``text``'s remembered query vector with the stored vectors of ``doc_id``'s sentences at
        ``spans`` (document offsets); None when ``text`` was never embedded (nothing is embedded here) or a
        sentence has no vector."""
        vectors = self.index.sentences
        v = lookup(self.seen.fingerprint, to_mainland(text)) if self.seen is not None and vectors is not None \
            else None
        rows = vectors.rows(doc_id, spans) if v is not None else [None]
        if v is None or any(r is None for r in rows):
            return None
        return [float(x) for x in vectors.cosines(v, rows)]


def _read_with(seen: "_Remember | None", other: str) -> np.ndarray | None:
    """The last query vector mixed with ``other``'s (remembered, else embedded now); None without an embedder."""
    if seen is None or seen.last is None or not other:
        return seen.last if seen is not None else None
    return mixed(seen.last, _vector_of(seen, other))


def _warm_gloss() -> None:
    """Load the English→Chinese dictionary (rag.gloss, ~2 s) in the background, not on the first English question."""
    from .gloss import warm

    threading.Thread(target=warm, name="gloss-warm", daemon=True).start()


class _Remember:
    """Passes an embedder through and keeps the last query vector (reused by the answer step)."""

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.last: np.ndarray | None = None
        self.preset: np.ndarray | None = None  # ``read_as``: the vector to return instead of embedding

    def embed_queries(self, texts):
        if self.preset is not None and len(texts) == 1:
            self.last = self.preset
            return self.preset[None, :]
        v = self.inner.embed_queries(texts)
        self.last = v[0] if len(v) == 1 else None
        for t, row in zip(texts, v):  # a conversation's next turn reads its question with this one (rag.query_cache)
            remember(self.fingerprint, t, row)
        return v

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)


class Searcher:
    """A loaded index + embedder that follows the index's ``CURRENT`` generation.

    >>> s = Searcher("index")            # doctest: +SKIP
    >>> s.ask("温州人工智能局做什么").answerable  # doctest: +SKIP
    True
    """

    def __init__(self, home: str | Path | None = None, *, embedder: Embedder | None = None,
                 batch_queries: bool = False):
        self.home = data_dir(home)
        self._batch_queries = batch_queries  # group concurrent query embeddings (rag.batching)
        self._lock = threading.Lock()
        self._embedder = embedder
        self._fixed_embedder = embedder is not None  # else follow the index's embedder across rebuilds
        self._index: Index | None = None
        self._gen: Path | None = None

    def index(self) -> Index:
        """The current index, reloaded if a newer generation was published."""
        gen = current_generation(self.home)
        if self._index is None or gen != self._gen:
            with self._lock:
                if self._index is None or gen != self._gen:
                    idx = open_index(self.home)
                    emb = self._embedder if self._fixed_embedder else get_embedder(idx.embedder_name)
                    if self._batch_queries and not isinstance(emb, QueryBatcher):
                        emb = QueryBatcher(emb)
                    check_embedder(idx.manifest, emb)
                    self._embedder, self._index, self._gen = emb, idx, gen
                    _warm_gloss()
        return self._index

    @property
    def embedder(self) -> Embedder:
        self.index()
        return self._embedder

    def ask(self, question: str, **kw) -> Answer:
        idx = self.index()
        return ask(idx, question, embedder=self._embedder, **kw)
