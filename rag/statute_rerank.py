"""Learned re-ranking of statute articles: one logistic model over each candidate's evidence.

On an index made of legal documents only (:func:`rag.expand.is_statute_index`),
:func:`rag.retrieve.retrieve` hands its fused candidates to :func:`rerank`:
the top :data:`DEPTH` rows of the general hybrid are re-scored by
P(article is a gold provision) from

- the retrieval channels: fused score share and rank, dense cosine (min-max over
  the candidates), word-BM25 and bigram-BM25 shares;
- the article's own evidence: idf-weighted coverage of the question's terms,
  character-bigram overlap, the heaviest question term it lacks, its best
  sentence cosine with the question (with sentence vectors);
- the law it belongs to (pseudo-relevance feedback over laws, no lexicon): the
  share of the candidates' fused mass that falls in the same document, and
  that document's rank among the candidates' documents.

The weights are fitted on STARD's *tune* fold only (``bench/stard_rerank.py``),
stored in ``rag/data/statute_rerank.json`` with the embedder fingerprint; any
other embedder gets the model without cosines. Rows below the re-ranked depth
keep their order, under the re-ranked ones. It does not search or answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .evidence import term_weights
from .select import LinearModel
from .statute_answer import read_model_file
from .textnorm import search_form, to_simplified
from .tokenize import tokenize

__all__ = ["DEPTH", "RERANK_MODELS", "RerankModel", "candidate_features", "load_rerank_model", "rerank"]

RERANK_MODELS = Path(__file__).resolve().parent / "data" / "statute_rerank.json"
DEPTH = 20  # the general hybrid keeps its top 20 after evidence re-ranking


@dataclass(frozen=True)
class RerankModel:
    kind: str  # "dense" (with cosines) or "lexical"
    model: LinearModel


def load_rerank_model(*, fingerprint: str | None, dense: bool, path: str | Path = RERANK_MODELS) -> RerankModel | None:
    """The model for an index built with embedder ``fingerprint``; ``None`` without a model file."""
    data = read_model_file(str(path))
    if not data:
        return None
    kind = "dense" if dense and fingerprint == data["fitted_for"]["fingerprint"] else "lexical"
    return RerankModel(kind, LinearModel.from_dict(data["models"][kind]))


def _bigrams(folded: str) -> set[str]:
    t = "".join(ch for ch in folded if ch.isalnum())
    return {t[i:i + 2] for i in range(len(t) - 1)}


def _share(d: dict[int, float], rows: Sequence[int], minmax: bool = False) -> list[float]:
    if not d:
        return [0.0] * len(rows)
    hi = max(d.values())
    lo = min(d.values()) if minmax else 0.0
    span = (hi - lo) or 1.0
    return [(d[r] - lo) / span if r in d else 0.0 for r in rows]


def candidate_features(index, question: str, scores: dict[int, float], dense: dict[int, float],
                       bm25: dict[int, float], bigram: dict[int, float], *, query_vector: np.ndarray | None = None,
                       depth: int = DEPTH, law_prior: dict[str, float] | None = None
                       ) -> tuple[list[int], list[dict[str, float]]]:
    """The top ``depth`` rows of ``scores`` and their features (cosines only with ``query_vector``;
    ``law_prior``: P(law title | question), e.g. :func:`rag.expand.law_posterior`)."""
    rows = sorted(scores, key=lambda r: (-scores[r], r))[:depth]
    if not rows:
        return [], []
    terms = list(dict.fromkeys(tokenize(question)))
    weights = term_weights(terms, index.keyword.idf)
    total = sum(weights.values()) or 1.0
    heaviest = max(weights.values(), default=0.0) or 1.0
    q_bi = _bigrams(search_form(question))
    top = max(scores[rows[0]], 1e-9)
    docs = [index.chunks[r].doc_id for r in rows]
    mass: dict[str, float] = {}
    for r, d in zip(rows, docs):
        mass[d] = mass.get(d, 0.0) + max(scores[r], 0.0)
    msum = sum(mass.values()) or 1.0
    drank = {d: i for i, d in enumerate(sorted(mass, key=lambda d: -mass[d]))}
    dn, bn, cn = _share(dense, rows, minmax=True), _share(bm25, rows), _share(bigram, rows)
    vectors = index.sentences if query_vector is not None else None
    feats = []
    for i, (r, d) in enumerate(zip(rows, docs)):
        c = index.chunks[r]
        text = to_simplified(c.text).lower()
        f = {"score_share": max(scores[r], 0.0) / top, "inv_rank": 1.0 / (i + 1), "dense": dn[i], "bm25": bn[i],
             "bigram_bm25": cn[i],
             "coverage": sum(w for t, w in weights.items() if t in text) / total if terms else 0.0,
             "bigram": len(q_bi & _bigrams(text)) / len(q_bi) if q_bi else 0.0,
             "missing_top": max((w for t, w in weights.items() if t not in text), default=0.0) / heaviest,
             "law_mass": mass[d] / msum, "law_top": float(drank[d] == 0), "law_inv_rank": 1.0 / (drank[d] + 1),
             "log_len": math.log10(max(len(c.text), 10)) / 3}
        if law_prior is not None:
            f["law_prior"] = law_prior.get(index.documents[d].title, 0.0) / (max(law_prior.values(), default=0.0) or 1.0)
        if vectors is not None:
            f["cos"] = vectors.best_cosine(query_vector, c)  # an article: its passage vector (rag/sentvec.py)
        feats.append(f)
    return rows, feats


def rerank(index, question: str, scores: dict[int, float], dense: dict[int, float], bm25: dict[int, float],
           bigram: dict[int, float], *, query_vector: np.ndarray | None = None, fingerprint: str | None = None,
           model: RerankModel | None = None) -> dict[int, float]:
    """``row → score``: the top :data:`DEPTH` rows scored ``1 + P(gold)``, the rest unchanged below them."""
    model = model or load_rerank_model(fingerprint=fingerprint, dense=query_vector is not None)
    if model is None or not scores:
        return scores
    qv = query_vector if model.kind == "dense" else None
    rows, feats = candidate_features(index, question, scores, dense, bm25, bigram, query_vector=qv)
    lo = min(scores.values())
    hi = max(scores.values())
    out = {r: (v - lo) / ((hi - lo) or 1.0) * 0.5 for r, v in scores.items()}  # below every re-ranked row
    for r, f in zip(rows, feats):
        out[r] = 1.0 + model.model.probability(f)
    return out
