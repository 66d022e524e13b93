"""Lay questions over statute text: query expansion and law priors from a mined lexicon.

Citizens ask "老公欠的债我要还吗"; the civil code says 夫妻共同债务. This module closes
part of that gap without a language model, from one data file
(``rag/data/statute_lexicon.json``, built by ``bench/build_thesaurus.py`` from the
lawrefbook archive and STARD's *tune* fold only):

- :func:`expand` maps the question's jieba terms to statute terms with weights
  (老公 → 夫妻, 配偶; 欠 → 债务), mined from question/gold-article pairs by lift
  (how much more often a statute term is in the gold article when the lay term is
  in the question than for any question), kept where seen in ≥ ``min_count``
  questions;
- :func:`law_posterior` says which law a question is about (multinomial naive
  Bayes over question terms → law title, with a prior over laws);
- :func:`adapt_query` moves an e5-small question vector with a linear map
  ``q + A·q`` (renormalised) learnt on the tune fold against the fixed article
  vectors — the dense side learns that 老公 questions live near 夫妻 articles
  without re-embedding the corpus;
- :func:`statute_fuse` ranks an index's rows for a question from the dense,
  word-BM25 and bigram-BM25 scores plus an expanded-query BM25 channel and the
  law prior, with weights fitted on the tune fold (stored in the same file).

It is used by :func:`rag.retrieve.retrieve` only for statute indexes (see
:func:`statute_lexicon`; ``RetrieveConfig.statute`` can force it on or off). It does not segment, embed or search by
itself beyond calling the index's BM25 store.
"""

from __future__ import annotations

import base64
import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import QueryError

__all__ = ["DEFAULT_LEXICON", "STATUTE_TYPES", "Lexicon", "adapt_query", "expand", "is_statute_index", "law_posterior",
           "load_lexicon", "statute_fuse", "statute_lexicon"]

DEFAULT_LEXICON = Path(__file__).resolve().parent / "data" / "statute_lexicon.json"
FORMAT = 1
#: ``Document.meta["doc_type"]`` values that mark statute text (set by ingest for laws and regulations).
STATUTE_TYPES = frozenset({"法律", "行政法规", "司法解释", "部门规章", "地方法规", "statute"})


@dataclass(frozen=True)
class Lexicon:
    """The mined lay→statute map, the law classifier and the fusion weights.

    ``expansions``: lay term → [(statute term, weight)]; ``law_logp``: law → term →
    log P(term | law) for seen terms, ``law_unseen``: law → log P(unseen term | law),
    ``law_logprior``: law → log P(law); ``weights``: fusion weights by channel name.
    """

    expansions: dict[str, list[tuple[str, float]]] = field(default_factory=dict)
    law_logp: dict[str, dict[str, float]] = field(default_factory=dict)
    law_unseen: dict[str, float] = field(default_factory=dict)
    law_logprior: dict[str, float] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)
    adapter: np.ndarray | None = None  # (dim, dim) A of q + A·q, for the embedder named in meta["adapter_for"]


def _decode_matrix(m: dict) -> np.ndarray:
    """``{"dtype": "float16", "shape": [r, c], "base64": …}`` → float32 array."""
    raw = base64.b64decode(m["base64"])
    return np.frombuffer(raw, dtype="<f2").astype(np.float32).reshape(m["shape"])


def _from_dict(d: dict) -> Lexicon:
    if d.get("format") != FORMAT:
        raise QueryError(f"Statute lexicon format {d.get('format')!r} is not {FORMAT}; "
                         "rebuild it with `python bench/build_thesaurus.py`.")
    adapter = _decode_matrix(d["adapter"]) if d.get("adapter") else None
    return Lexicon({k: [(t, float(w)) for t, w in v] for k, v in d["expansions"].items()},
                   d["law_logp"], d["law_unseen"], d["law_logprior"], d["weights"], d.get("meta", {}), adapter)


@functools.lru_cache(maxsize=4)
def load_lexicon(path: str | Path | None = None) -> Lexicon:
    """Load (and cache) a lexicon file; the shipped one by default."""
    p = Path(path) if path else DEFAULT_LEXICON
    try:
        return _from_dict(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as e:
        raise QueryError(f"Cannot read the statute lexicon {p} ({e}); rebuild it with "
                         "`python bench/build_thesaurus.py`.") from e


def is_statute_index(index, *, share: float = 0.5) -> bool:
    """Whether the index is made of legal/policy documents only (each has a ``doc_type``) and at least
    ``share`` of its passages come from statutes (cached on the index).

    An index that mixes in news or other untyped documents (the shipped ``corpus/``: the sample
    article beside the law set) keeps the general hybrid: the lexicon was fitted on citizens'
    legal questions only, and its adapter costs hit@1 (docs/legal-retrieval.md).
    """
    def compute() -> bool:
        docs = index.documents
        n = sum(1 for c in index.chunks if docs[c.doc_id].meta.get("doc_type") in STATUTE_TYPES)
        typed = all(d.meta.get("doc_type") for d in docs.values())
        return bool(index.chunks) and typed and n >= share * len(index.chunks)

    return index.derived(("statute-index", share), compute)


def statute_lexicon(index, setting: str = "auto", path: str | Path | None = None) -> Lexicon | None:
    """The lexicon to use for ``index``: ``"auto"`` → only for statute indexes, ``"on"``/``"off"`` force it."""
    if setting not in ("auto", "on", "off"):
        raise QueryError(f"Unknown statute setting {setting!r}; use auto, on or off.")
    if setting == "off" or (setting == "auto" and not is_statute_index(index)):
        return None
    return load_lexicon(path)


def adapt_query(lex: Lexicon, qv: np.ndarray, embedder_name: str = "e5-small") -> np.ndarray:
    """``normalise(q + A·q)`` when the lexicon has an adapter for this embedder, else ``qv`` unchanged.

    >>> v = adapt_query(Lexicon(adapter=np.eye(2, dtype=np.float32), meta={"adapter_for": "e5-small"}),
    ...                 np.array([0.6, 0.8], np.float32))
    >>> [round(float(x), 2) for x in v]
    [0.6, 0.8]
    """
    if lex.adapter is None or lex.meta.get("adapter_for") != embedder_name or lex.adapter.shape[1] != qv.shape[-1]:
        return qv
    v = qv + qv @ lex.adapter.T
    return (v / (np.linalg.norm(v) or 1.0)).astype(np.float32)


def _titles(index) -> list[str]:
    return index.derived("chunk-titles", lambda: [index.documents[c.doc_id].title for c in index.chunks])


def expand(lex: Lexicon, terms: Sequence[str], *, top: int = 12) -> dict[str, float]:
    """Statute terms for the question ``terms`` (the question's own terms excluded), best ``top``.

    >>> lex = Lexicon(expansions={"老公": [("夫妻", 0.8), ("配偶", 0.5)], "欠": [("债务", 0.6)]})
    >>> expand(lex, ["老公", "欠", "债"])
    {'夫妻': 0.8, '债务': 0.6, '配偶': 0.5}
    """
    own = set(terms)
    out: dict[str, float] = {}
    for t in dict.fromkeys(terms):
        for s, w in lex.expansions.get(t, ()):
            if s not in own:
                out[s] = out.get(s, 0.0) + w
    best = sorted(out.items(), key=lambda x: (-x[1], x[0]))[:top]
    return dict(best)


def law_posterior(lex: Lexicon, terms: Sequence[str]) -> dict[str, float]:
    """P(law | question terms) by multinomial naive Bayes (terms the model never saw are ignored).

    >>> lex = Lexicon(law_logp={"甲法": {"工资": -1.0}, "乙法": {"房屋": -1.0}},
    ...               law_unseen={"甲法": -5.0, "乙法": -5.0}, law_logprior={"甲法": -0.7, "乙法": -0.7})
    >>> round(law_posterior(lex, ["工资"])["甲法"], 3)
    0.982
    """
    if not lex.law_logprior:
        return {}
    vocab = {t for d in lex.law_logp.values() for t in d}
    seen = [t for t in terms if t in vocab]
    logs = {law: lp + sum(lex.law_logp[law].get(t, lex.law_unseen[law]) for t in seen)
            for law, lp in lex.law_logprior.items()}
    top = max(logs.values())
    z = sum(math.exp(v - top) for v in logs.values())
    return {law: math.exp(v - top) / z for law, v in logs.items()}


def _norm(d: dict[int, float]) -> dict[int, float]:
    m = max(d.values(), default=0.0) or 1.0
    return {r: v / m for r, v in d.items()}


def statute_fuse(index, terms: Sequence[str], dense: dict[int, float], bm25: dict[int, float],
                 bigram: dict[int, float], *, lex: Lexicon, depth: int = 50,
                 allowed: np.ndarray | None = None, titles: Sequence[str] | None = None,
                 weights: dict[str, float] | None = None) -> dict[int, float]:
    """Fuse the three base channels with expansion BM25 and the law prior; ``row → score``.

    ``dense`` is min-max normalised, the BM25 channels divided by their max (as in
    :func:`rag.retrieve.fuse`); the expansion channel is the weighted BM25 of the
    expansion terms; the law channel is P(law | question) of the row's law title
    (``titles[row]``, default the document titles), divided by its max.
    """
    w = dict(lex.weights)
    w.update(weights or {})
    exp_terms = expand(lex, list(terms), top=int(w.get("expand_top", 12)))
    expd: dict[int, float] = {}
    if exp_terms and w.get("expand", 0.0) > 0:
        total = np.zeros(len(index.chunks), np.float32)
        for t, tw in exp_terms.items():
            s, r = index.keyword.search([t], depth, allowed=allowed)
            total[r] += tw * s
        rows = np.flatnonzero(total)
        expd = dict(zip(rows.tolist(), total[rows].tolist()))
    if titles is None:
        titles = _titles(index)
    post = law_posterior(lex, terms) if w.get("law", 0.0) > 0 else {}
    rows = set(dense) | set(bm25) | set(bigram) | set(expd)
    if dense and len(dense) > 1:
        lo, hi = min(dense.values()), max(dense.values())
        dn = {r: (v - lo) / ((hi - lo) or 1.0) for r, v in dense.items()}
    else:
        dn = _norm(dense)
    bn, cn, en = _norm(bm25), _norm(bigram), _norm(expd)
    pmax = max(post.values(), default=0.0) or 1.0
    return {r: w.get("dense", 0.0) * dn.get(r, 0.0) + w.get("bm25", 0.0) * bn.get(r, 0.0)
            + w.get("bigram", 0.0) * cn.get(r, 0.0) + w.get("expand", 0.0) * en.get(r, 0.0)
            + w.get("law", 0.0) * post.get(titles[r], 0.0) / pmax for r in rows}
