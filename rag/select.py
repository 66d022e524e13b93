"""Learned sentence selection and the refusal decision.

For every sentence of the retrieved passages, :func:`candidates` gathers
features — the lexical evidence of :mod:`rag.evidence` (term coverage,
bigram overlap, answer type, heaviest missing term), the passage's rank
and fused score, and, when the index stores sentence vectors
(:mod:`rag.sentvec`) and the question was embedded, the cosine between the
question and the sentence (what lets 在哪办护照 or an English question
reach 出入境管理机构受理申请). A logistic model (the *selector*) turns them
into P(sentence contains the answer); a second one (the *refusal* model)
turns the best sentence's features into P(the documents answer the
question).

Both are fitted by ``bench/calibrate_answers.py`` and stored in
``rag/calibration.json`` together with the embedder they were fitted for
(name and weights fingerprint). With any other embedder, or without
sentence vectors (an index built before them, ``bm25`` mode), the
lexical-only models fitted in the same run are used and a warning says so —
the e5 numbers are never applied to another embedder.

This module does not retrieve or compose the reply (:mod:`rag.answer`).
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
import operator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .agreement import add_agreement
from .evidence import ScoredSentence, score_sentences
from .followup_refusal import refusal_for, selector_for
from .followup_sentence import adjust
from .records import Hit
from .sentvec import SentenceVectors
from .trees import TreeModel

__all__ = ["CROSSLINGUAL_CJK", "AnswerModels", "Candidate", "LinearModel", "candidates", "cjk_share", "load_models",
           "question_features"]

log = logging.getLogger("rag.select")
CALIBRATION = Path(__file__).with_name("calibration.json")


@dataclass(frozen=True)
class LinearModel:
    """P = sigmoid(bias + Σ weight·feature); features missing from the input count as 0."""

    bias: float
    weights: dict[str, float]
    threshold: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        names, weights = self._terms
        # the same products summed in the same order as a generator over ``weights`` (round 15: the selector runs
        # once per candidate sentence of every reading; this is the answer layer's hottest loop)
        z = self.bias + sum(map(operator.mul, weights, map(features.get, names, itertools.repeat(0.0))))
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @functools.cached_property
    def _terms(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        return tuple(self.weights), tuple(self.weights.values())

    def to_dict(self) -> dict:
        """The stored form (what :meth:`from_dict` reads); not ``__dict__``, which also holds the cached ``_terms``."""
        return {"bias": self.bias, "weights": dict(self.weights), "threshold": self.threshold}

    @classmethod
    def from_dict(cls, d: dict) -> "LinearModel":
        return cls(bias=float(d["bias"]), weights={k: float(v) for k, v in d["weights"].items()},
                   threshold=float(d.get("threshold", 0.5)))


@dataclass(frozen=True)
class AnswerModels:
    """The selector and refusal models of one kind (``"dense"`` or ``"lexical"``)."""

    kind: str
    selector: LinearModel
    refusal: "LinearModel | TreeModel"
    second_ratio: float = 0.8  # quote a second sentence when its P is at least this share of the best's


@dataclass
class Candidate:
    sentence: ScoredSentence
    features: dict[str, float] = field(default_factory=dict)
    p: float = 0.0


@functools.lru_cache(maxsize=4)
def _calibration(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


_warned: set[str] = set()


def _model(d: dict) -> "LinearModel | TreeModel":
    """A stored model: boosted trees (``"kind": "trees"``) or logistic."""
    return TreeModel.from_dict(d) if d.get("kind") == "trees" else LinearModel.from_dict(d)


def cjk_share(text: str) -> float:
    """Share of CJK ideographs among the letters and digits of ``text``.

    >>> cjk_share("What does the Wenzhou AI bureau do?"), cjk_share("温州AI局")
    (0.0, 0.6)
    """
    chars = [ch for ch in text if ch.isalnum()]
    return sum("\u3400" <= ch <= "\u9fff" for ch in chars) / len(chars) if chars else 0.0


#: Below this share of CJK characters a question goes to the cross-lingual models (no word overlap to use).
CROSSLINGUAL_CJK = 0.3


def load_models(*, fingerprint: str | None, dense: bool, path: Path = CALIBRATION,
                crosslingual: bool = False) -> AnswerModels:
    """The models for an index built with embedder ``fingerprint``.

    ``dense`` says whether sentence cosines are available for this question.
    The dense models are used only for the embedder they were fitted for.
    ``crosslingual`` (a question with little CJK text) picks the models fitted on
    English renderings of the tuning questions (lexical features computed on the
    question's CC-CEDICT gloss, :mod:`rag.gloss`), when dense and fitted.
    """
    data = _calibration(str(path))
    fitted = data["fitted_for"]
    kind = "dense" if dense and fingerprint == fitted["fingerprint"] else "lexical"
    if kind == "dense" and crosslingual and "crosslingual" in data["models"]:
        kind = "crosslingual"
    if dense and kind == "lexical" and fingerprint not in _warned:
        _warned.add(str(fingerprint))
        log.warning("Answer models were fitted for embedder %s (weights %s); this index uses weights %s, so the "
                    "lexical-only models are used (no sentence cosines). Refit with bench/calibrate_answers.py "
                    "for this embedder.", fitted["embedder"], fitted["fingerprint"], fingerprint)
    m = data["models"][kind]
    refusal = refusal_for(kind, fitted["fingerprint"]) or m["refusal"]  # a follow-up: rag.followup_refusal
    selector = selector_for(kind, fitted["fingerprint"]) or m["selector"]  # ... its selector too, where stored
    return AnswerModels(kind, LinearModel.from_dict(selector), _model(refusal),
                        float(m.get("second_ratio", 0.8)))


def _sentence_cosines(scored: Sequence[ScoredSentence], qvec: np.ndarray | None,
                      vectors: SentenceVectors | None) -> list[float | None]:
    if qvec is None or vectors is None:
        return [None] * len(scored)
    rows = [vectors.rows(s.hit.chunk.doc_id, [(s.start, s.end)])[0] for s in scored]
    have = [r for r in rows if r is not None]
    cos = iter(vectors.cosines(qvec, have).tolist())
    return [next(cos) if r is not None else None for r in rows]


def _focus(question: str, scored: Sequence[ScoredSentence], idf: Callable[[str], float]) -> list[tuple[float, float]]:
    """Coverage and bigram overlap with each question unit weighted by how *few* candidates contain it.

    The topic of a question (the entity the passage is about) occurs in most
    candidate sentences and says nothing about which one answers; the words
    that ask for something specific (功能, 主持, 首先…制) occur in few.
    """
    from .evidence import _bigrams, sentence_bigrams, term_weights
    from .textnorm import folded, search_form
    from .tokenize import tokenize

    terms = list(dict.fromkeys(tokenize(question)))
    w = term_weights(terms, idf)
    sents = [folded(s.text) for s in scored]
    n = len(sents) or 1
    tw = {t: w[t] * (1.0 - sum(t in x for x in sents) / n) for t in terms}
    q_bi = _bigrams(search_form(question))
    sent_bi = [sentence_bigrams(x) for x in sents]
    bw = {b: 1.0 - sum(b in sb for sb in sent_bi) / n for b in q_bi}
    t_tot, b_tot = sum(tw.values()) or 1.0, sum(bw.values()) or 1.0
    return [(sum(v for t, v in tw.items() if t in x) / t_tot, sum(v for b, v in bw.items() if b in sb) / b_tot)
            for x, sb in zip(sents, sent_bi)]


def candidates(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
               query_vector: np.ndarray | None = None, vectors: SentenceVectors | None = None,
               models: AnswerModels | None = None) -> list[Candidate]:
    """Every answerable sentence of ``hits`` with its features (and P when ``models`` is given), best first."""
    scored = score_sentences(question, hits, idf)
    if not scored:
        return []
    cos = _sentence_cosines(scored, query_vector, vectors)
    have_cos = any(c is not None for c in cos)
    top = max((h.score for h in hits), default=0.0) or 1.0
    best_cov = max(s.coverage for s in scored)
    best_bi = max(s.bigram for s in scored)
    best_cos = max((c for c in cos if c is not None), default=0.0)
    mean_cos = float(np.mean([c for c in cos if c is not None])) if have_cos else 0.0
    focus = _focus(question, scored, idf)
    best_focus = max(f for f, _ in focus)
    at = {(s.hit.chunk.doc_id, s.start): i for i, s in enumerate(scored)}
    whole = _passage_evidence(question, hits, idf)
    out = []
    for i, (s, c) in enumerate(zip(scored, cos)):
        f = {"coverage": s.coverage, "bigram": s.bigram, "answer_type": s.answer_type,
             "missing_top": s.missing_top, "cov_gap": s.coverage - best_cov, "bigram_gap": s.bigram - best_bi,
             "passage": max(s.hit.score, 0.0) / top, "inv_rank": 1.0 / s.hit.rank,
             "log_len": math.log1p(len(s.text)) / 5.0,
             "focus": focus[i][0], "focus_bigram": focus[i][1], "focus_gap": focus[i][0] - best_focus,
             "neighbour_focus": _neighbour(s, at, focus),
             "passage_coverage": whole[s.hit.chunk.chunk_id][0], "passage_missing_top": whole[s.hit.chunk.chunk_id][1]}
        if have_cos:
            cv = c if c is not None else best_cos - 0.1
            f["cos"] = cv
            f["cos_gap"] = cv - best_cos
            f["passage_dense"] = s.hit.dense if s.hit.dense is not None else 0.0
            f["cos_margin"] = cv - mean_cos
        out.append(Candidate(s, f))
    _add_alignment(question, out)
    add_agreement(question, hits, out, idf)
    if models is not None:
        for cand in out:
            cand.p = models.selector.probability(cand.features)
        out.sort(key=lambda x: (-x.p, x.sentence.hit.rank, x.sentence.start))
        adjust(question, out)  # a follow-up: the conversation's sentence features (rag.followup_sentence)
    return out


def _passage_evidence(question: str, hits: Sequence[Hit],
                      idf: Callable[[str], float]) -> dict[str, tuple[float, float]]:
    """Per passage: weighted coverage of the question's terms and the weight of the heaviest one it lacks.

    A question whose heaviest term (usually its topic: 蓍, 林永康) is in none of the
    passages is rarely answered by them, whichever sentence is quoted.
    """
    from .evidence import term_weights
    from .textnorm import folded
    from .tokenize import tokenize

    w = term_weights(list(dict.fromkeys(tokenize(question))), idf)
    total, heaviest = sum(w.values()) or 1.0, max(w.values(), default=0.0) or 1.0
    out = {}
    for h in hits:
        text = folded(h.chunk.text)
        out[h.chunk.chunk_id] = (sum(v for t, v in w.items() if t in text) / total,
                                 max((v for t, v in w.items() if t not in text), default=0.0) / heaviest)
    return out


_ALIGN = ("pred_bigram", "wh_left", "wh_right", "lcs", "pred_lcs")


def _add_alignment(question: str, cands: list[Candidate]) -> None:
    """Add :func:`rag.whq.align` features, their gaps to the best candidate and the neighbours' predicate match."""
    from .textnorm import folded, to_simplified
    from .whq import align, parse, topic_bigrams

    parts = parse(to_simplified(question).lower())
    topics: dict[str, frozenset[str]] = {}
    rows = []
    for c in cands:
        chunk = c.sentence.hit.chunk
        if chunk.chunk_id not in topics:
            lead = chunk.text[:chunk.sentences[0][1] - chunk.start] if chunk.sentences else ""
            topics[chunk.chunk_id] = topic_bigrams(parts, folded(f"{c.sentence.hit.title} {lead}"))
        r = align(parts, folded(c.sentence.text), topics[chunk.chunk_id])
        r["topic"] = len(topics[chunk.chunk_id]) / max(len(parts.bigrams), 1)  # question named in title/lead
        rows.append(r)
    best = {k: max(r[k] for r in rows) for k in _ALIGN} if rows else {}
    at = {(c.sentence.hit.chunk.doc_id, c.sentence.start): i for i, c in enumerate(cands)}
    for c, r in zip(cands, rows):
        spans, doc = c.sentence.hit.chunk.sentences, c.sentence.hit.chunk.doc_id
        k = next((j for j, (a, _) in enumerate(spans) if a == c.sentence.start), 0)
        near = [at.get((doc, spans[j][0])) for j in (k - 1, k + 1) if 0 <= j < len(spans)]
        r["nb_pred"] = max((rows[j]["pred_bigram"] for j in near if j is not None), default=0.0)
        r["pos"] = k / max(len(spans), 1)
        for name in _ALIGN:
            r[name + "_gap"] = r[name] - best[name]
        c.features.update(r)


def _neighbour(s: ScoredSentence, at: dict[tuple[str, int], int], focus: list[tuple[float, float]]) -> float:
    """The best focus of the sentences just before and after ``s`` in its passage (answers sit next to the match)."""
    spans = s.hit.chunk.sentences
    k = next((j for j, (a, _) in enumerate(spans) if a == s.start), None)
    if k is None:
        return 0.0
    near = [spans[j][0] for j in (k - 1, k + 1) if 0 <= j < len(spans)]
    return max((focus[at[(s.hit.chunk.doc_id, a)]][0] for a in near if (s.hit.chunk.doc_id, a) in at), default=0.0)


def question_features(cands: Sequence[Candidate], hits: Sequence[Hit]) -> dict[str, float]:
    """The refusal model's inputs: the best candidate's P and evidence, its agreement with what the
    question names (:mod:`rag.agreement`), and the best cosines."""
    if not cands:
        return {"missing_top": 1.0}
    best = cands[0]
    p = min(max(best.p, 1e-6), 1 - 1e-6)
    f = {"selector_logit": math.log(p / (1 - p)), "coverage": best.features["coverage"],
         "bigram": best.features["bigram"], "answer_type": best.features["answer_type"],
         "missing_top": best.features["missing_top"],
         "max_coverage": max(c.features["coverage"] for c in cands),
         "pred_bigram": best.features.get("pred_bigram", 0.0), "wh_left": best.features.get("wh_left", 0.0),
         "wh_right": best.features.get("wh_right", 0.0), "lcs": best.features.get("lcs", 0.0),
         "max_lcs": max(c.features.get("lcs", 0.0) for c in cands),
         "max_pred_bigram": max(c.features.get("pred_bigram", 0.0) for c in cands),
         "topic": best.features.get("topic", 0.0), "max_topic": max(c.features.get("topic", 0.0) for c in cands),
         "passage_missing_top": best.features.get("passage_missing_top", 1.0),
         "min_passage_missing_top": min(c.features.get("passage_missing_top", 1.0) for c in cands),
         "max_passage_coverage": max(c.features.get("passage_coverage", 0.0) for c in cands),
         "type_new": best.features.get("type_new", 0.0), "p_gap": best.p - next(
             (c.p for c in cands[1:] if c.features.get("inv_rank") != best.features.get("inv_rank")), 0.0)}
    f.update({k: v for k, v in best.features.items() if k.startswith("ag_")})
    if "cos" in best.features:
        f["cos"] = best.features["cos"]
        f["max_cos"] = max(c.features["cos"] for c in cands)
        f["max_cos_margin"] = max(c.features["cos_margin"] for c in cands)
        f["cos_margin"] = best.features["cos_margin"]
        dense = [h.dense for h in hits if h.dense is not None]
        f["dense"] = max(dense) if dense else 0.0
    return f
