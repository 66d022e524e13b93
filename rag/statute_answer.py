"""Answers from statute articles: quote the article verbatim with its label, or refuse.

When the best retrieved passage is a statute article (``Chunk.article`` set by
statute ingestion, :mod:`rag.statute`), a citizen's question is answered by the
provision itself, not by one sentence picked out of it:

- the reply quotes the whole passage (the article, or the 款 part of a long
  article that was retrieved) and labels it — ``《中华人民共和国民法典》第五十四条 自然人从事…[1]``;
- a second provision is quoted too when a per-article model says it is likely
  a gold provision as well (a law and its implementing regulation or judicial
  interpretation, or two articles of one law): P(article is cited by the
  question's answer) from the article's evidence (idf-weighted coverage of the
  question's terms, bigram overlap, the cosine of the question with the article passage's
  own vector (stored with the index, :mod:`rag.sentvec`), rank and score); since round 10 the other provision is the one the
  learned chooser (:mod:`rag.statute_choice`) rates likeliest among ranks 2-5, when its model file fits the
  embedder (``choice=False`` restores the per-article model's pick); the top article's text in another version
  of its law is never the second provision (:func:`other_versions`: the next candidate takes its place), and
  after an article the question names by law and number (劳动合同法第三十七条) another law's article of the same number
  is not either (:func:`_namesake`);
- when the question asks a value (an age, hours, a time limit, money, a rate, a date: :mod:`rag.asked_value`) that
  the top article does not hold, the first of the next two articles *of the same law* that holds one and names some
  of the question's terms is quoted first
  and the top article second (男的最早多大能领结婚证？ → 第一千零四十七条 二十二周岁, then 第一千零四十九条 结婚登记);
- whether to answer at all is a statute-specific logistic model over the
  question's best evidence, fitted on STARD's *tune* fold only, with the
  questions asked again after their gold law was removed from the index as the
  negatives, retrieved through query adapters cross-fitted by fold (the default retrieval of statute
  indexes; ``bench/stard_answers.py fit --cross-fit-adapter``; data file ``rag/data/statute_answer.json``,
  which records the embedder fingerprint it was fitted for — any other embedder
  gets the lexical models). Where retrieval did not use the adapter (an index mixing laws with other
  documents, like the shipped ``corpus/``) a second refusal model is used, fitted on such retrieval for
  two kinds of question — STARD tune and citizens' everyday law questions — with a threshold that refuses
  at most 7.5 % of each kind's answerable questions (``bench/statute_refusal.py``).

The general answerer (:mod:`rag.answer`) calls :func:`statute_answer` first and
keeps its own path when this returns ``None`` (the top hit is not an article,
or no model file). This module does not retrieve, and it does not label
citations (``rag.statute.label_citations`` does, in :mod:`rag.qa`).
"""

from __future__ import annotations

import functools
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .asked_quantity import missing_quantity
from .asked_value import missing_value, typed_choice
from .evidence import _bigrams, sentence_bigrams, term_weights
from .records import Answer, Citation, Hit
from .select import LinearModel
from .sentvec import SentenceVectors
from .statute import citation_label
from .statute_choice import ChoiceModel, choose, load_choice_model
from .textnorm import folded, search_form, to_simplified
from .tokenize import tokenize

__all__ = ["STATUTE_MODELS", "StatuteModels", "article_features", "is_article", "load_statute_models",
           "other_versions", "question_features", "statute_answer"]

log = logging.getLogger("rag.statute_answer")
STATUTE_MODELS = Path(__file__).resolve().parent / "data" / "statute_answer.json"
NOT_FOUND = "资料中没有找到与该问题直接相关的法律条文。"
DEPTH = 5  # hits looked at (rag.qa asks for 5)
TYPED_DEPTH = 3  # ranks read for the value a question asks when the top article lacks it (rag.asked_value)


@dataclass(frozen=True)
class StatuteModels:
    """``article``: P(a retrieved article is a gold provision); ``refusal``: P(the corpus holds the
    answer), refuse below its threshold; ``second``: quote another article when its P reaches this."""

    kind: str
    article: LinearModel
    refusal: LinearModel
    second: float = 0.5


def is_article(hit: Hit) -> bool:
    """A passage of a statute article (labelled 第X条 at ingest)."""
    return bool(getattr(hit.chunk, "article", ""))


def other_versions(hits: Sequence[Hit]) -> frozenset[int]:
    """Indices of the hits that are the top hit's article in another version of its law (same law title, same
    article label, another document — ``妇女权益保障法(2018-10-26)`` 第四条 under the 2022 version's): never quoted
    next to it, so that an answer does not quote an amended text beside the current one. Another part of the same
    article in the same document, or another article of an older version, is not excluded.

    >>> other_versions([])
    frozenset()
    """
    if not hits or not is_article(hits[0]):
        return frozenset()
    top = hits[0]
    key = (to_simplified(top.title or ""), top.chunk.article)
    return frozenset(i for i, h in enumerate(hits) if i > 0 and is_article(h) and h.chunk.doc_id != top.chunk.doc_id
                     and (to_simplified(h.title or ""), h.chunk.article) == key)


@functools.lru_cache(maxsize=4)
def read_model_file(path: str) -> dict | None:
    """A model file's JSON (cached), or None when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


_warned: set[str] = set()


def load_statute_models(*, fingerprint: str | None, dense: bool, adapted: bool = False,
                        path: str | Path = STATUTE_MODELS) -> StatuteModels | None:
    """The models for an index built with embedder ``fingerprint``; ``None`` without a model file.

    The dense models (with sentence cosines) are used only for the embedder they were fitted for.
    ``adapted``: retrieval used the query adapter (statute-only indexes; as :attr:`rag.records.Hit.adapted`,
    ``False`` unless said); when it did not (an index that
    mixes laws with other documents) the dense models' refusal is the one fitted on such retrieval
    (``models["dense_plain"]``, when the file has it; ``bench/statute_refusal.py``).
    """
    data = read_model_file(str(path))
    if not data:
        return None
    kind = "dense" if dense and fingerprint == data["fitted_for"]["fingerprint"] else "lexical"
    if dense and kind == "lexical" and str(fingerprint) not in _warned:
        _warned.add(str(fingerprint))
        log.warning("Statute answer models were fitted for weights %s; this index uses %s, so the lexical "
                    "models are used. Refit with bench/stard_answers.py.", data["fitted_for"]["fingerprint"],
                    fingerprint)
    m = data["models"][kind]
    refusal = m["refusal"]
    if kind == "dense" and not adapted and "dense_plain" in data["models"]:
        refusal = data["models"]["dense_plain"]["refusal"]
    return StatuteModels(kind, LinearModel.from_dict(m["article"]), LinearModel.from_dict(refusal),
                         float(m.get("second", 0.5)))


def article_features(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
                     query_vector: np.ndarray | None = None,
                     vectors: SentenceVectors | None = None) -> list[dict[str, float]]:
    """Per-hit evidence (the first :data:`DEPTH` hits): coverage, bigram overlap, missing top term,
    rank, score share, law agreement with the top hit and — with vectors — the question's cosine with the
    article passage (:meth:`rag.sentvec.SentenceVectors.best_cosine`)."""
    hits = list(hits[:DEPTH])
    terms = list(dict.fromkeys(tokenize(question)))
    weights = term_weights(terms, idf)
    total = sum(weights.values()) or 1.0
    heaviest = max(weights.values(), default=0.0) or 1.0
    q_bi = _bigrams(search_form(question))
    top = max((h.score for h in hits), default=0.0) or 1.0
    out = []
    for i, h in enumerate(hits):
        text = folded(h.chunk.text)
        f = {"coverage": sum(w for t, w in weights.items() if t in text) / total if terms else 0.0,
             "bigram": len(q_bi & sentence_bigrams(text)) / len(q_bi) if q_bi else 0.0,
             "missing_top": max((w for t, w in weights.items() if t not in text), default=0.0) / heaviest,
             "inv_rank": 1.0 / (i + 1), "score_share": max(h.score, 0.0) / top,
             "same_law": float(h.chunk.doc_id == hits[0].chunk.doc_id),
             "log_len": math.log10(max(len(h.chunk.text), 10)) / 3}
        if query_vector is not None and vectors is not None:  # the article passage's own vector
            cos = vectors.passage_cosine(query_vector, h.chunk)
            if cos is None and h.chunk.article and h.dense is not None:  # built before article vectors were stored
                cos = h.dense  # the same cosine, as dense retrieval scored it
            if cos is None:  # not an article: its best sentence
                cos = vectors.best_cosine(query_vector, h.chunk)
            f["cos"] = float(cos)
        out.append(f)
    if out and "cos" in out[0]:
        best = max(f["cos"] for f in out)
        for f in out:
            f["cos_gap"] = f["cos"] - best
    return out


def question_features(arts: Sequence[dict[str, float]], probs: Sequence[float]) -> dict[str, float]:
    """The refusal model's inputs: the best article's P and evidence, the spread of the top hits' laws."""
    if not arts:
        return {"missing_top": 1.0}
    p = min(max(max(probs), 1e-6), 1 - 1e-6)
    first = arts[0]
    f = {"article_logit": math.log(p / (1 - p)), "coverage": first["coverage"], "bigram": first["bigram"],
         "missing_top": first["missing_top"], "max_coverage": max(a["coverage"] for a in arts),
         "max_bigram": max(a["bigram"] for a in arts), "law_share": sum(a["same_law"] for a in arts) / len(arts)}
    if "cos" in first:
        f["cos"] = first["cos"]
        f["max_cos"] = max(a["cos"] for a in arts)
    return f


def _citation(hit: Hit, n: int) -> Citation:
    c = hit.chunk
    return Citation(n=n, doc_id=c.doc_id, title=hit.title, section=c.section, chunk_id=c.chunk_id,
                    start=c.start, end=c.end, quote=c.text, text=c.text, score=round(float(hit.score), 4),
                    quote_start=c.start, quote_end=c.end, date=str(hit.meta.get("date", "") or ""),
                    label=citation_label(hit.title, c.article))


def _quote_line(cit: Citation, article: str) -> str:
    """``《title》第X条 …[n]`` — the label is not repeated when the passage starts with it."""
    body = cit.quote.strip()
    if body.startswith(article):
        return f"《{cit.title}》{body}[{cit.n}]" if cit.title else f"{body}[{cit.n}]"
    return f"{cit.label}（节选）：{body}[{cit.n}]"


def _picks(choice: ChoiceModel | None | bool, fingerprint: str | None, models: StatuteModels, question: str,
           wording: str, hits: Sequence[Hit], arts: Sequence[dict[str, float]]) -> list[int]:
    """The chooser's hits to quote (:func:`rag.statute_choice.choose`), or [] (no chooser, lexical models, an
    article named by law and number — the answer asked for —, or a top article lacking the value the question asks:
    the answer layer refuses such an answer unless another quote holds the value (:mod:`rag.asked_value`,
    :mod:`rag.asked_quantity`), and a second article chosen here must not turn that refusal into an answer)."""
    if choice is False or models.kind != "dense" or hits[0].exact:
        return []
    if missing_value(question, hits[0].chunk.text) or missing_quantity(question, hits[0].chunk.text):
        return []
    model = choice if isinstance(choice, ChoiceModel) else load_choice_model(fingerprint)
    return choose(model, wording, hits[:len(arts)], arts, other_versions(hits)) if model is not None else []


def _namesake(hits: Sequence[Hit], j: int) -> bool:
    """``hits[j]`` only shares its number with an article the question names by law and number (劳动合同法第三十七条
    → the implementing regulation's own 第三十七条): it matched the number, not the question, so it is no second
    provision. An article the question names itself, or one with another number, may be."""
    return hits[0].exact and not hits[j].exact and hits[j].chunk.article == hits[0].chunk.article


def statute_answer(question: str, hits: Sequence[Hit], *, idf: Callable[[str], float],
                   query_vector: np.ndarray | None = None, vectors: SentenceVectors | None = None,
                   fingerprint: str | None = None, models: StatuteModels | None = None,
                   wording: str | None = None, choice: ChoiceModel | None | bool = None) -> Answer | None:
    """The answer quoting statute articles, or a refusal; ``None`` when the top hit is not an article.

    ``wording``: what the lexical features read instead of ``question`` (an English question's Chinese gloss).
    ``choice``: the article chooser (:mod:`rag.statute_choice`; default: the shipped one for this embedder,
    ``False``: none — the top hit first, and the article model's second provision)."""
    if not hits or not is_article(hits[0]):
        return None
    dense = query_vector is not None and vectors is not None
    models = models or load_statute_models(fingerprint=fingerprint, dense=dense,
                                           adapted=bool(getattr(hits[0], "adapted", False)))
    if models is None:
        return None
    if models.kind == "lexical":
        query_vector = None
    arts = article_features(wording or question, hits, idf=idf, query_vector=query_vector, vectors=vectors)
    probs = [models.article.probability(f) for f in arts]
    p = models.refusal.probability(question_features(arts, probs))
    if p < models.refusal.threshold and not hits[0].exact:  # an article named by law and number is the answer
        return Answer(question=question, answer=NOT_FOUND, answerable=False, citations=[],
                      suggestions=[_citation(h, n) for n, h in enumerate(hits[:3], 1)], confidence=p)
    chosen, versions = [hits[0]], other_versions(hits)  # another version of the top article is never quoted too
    typed = None if hits[0].exact else typed_choice(  # an article named by law and number is the answer asked for
        question, [h.chunk.text if is_article(h) and h.title == hits[0].title and (i == 0 or a["coverage"] > 0)
                   and i not in versions else "" for i, (h, a) in enumerate(zip(hits, arts))],
        depth=TYPED_DEPTH)  # same law, names something asked
    if typed is not None:  # the question asks a value (an age, a time limit …) the top article lacks: quote the
        chosen = [hits[typed], hits[0]]  # article that holds it first, the top one second (rag.asked_value)
    elif (picks := _picks(choice, fingerprint, models, question, wording or question, hits, arts)):
        chosen = [hits[i] for i in picks]  # the top hit, then the chooser's pick (rag.statute_choice)
    elif len(arts) > 1:  # the likeliest other provision, when the model rates it high enough
        i = max((j for j in range(1, len(arts)) if j not in versions and not _namesake(hits, j)),
                key=lambda j: (probs[j], -j), default=0)
        if i and probs[i] >= models.second and is_article(hits[i]) and hits[i].chunk.chunk_id != hits[0].chunk.chunk_id:
            chosen.append(hits[i])
    citations = [_citation(h, n) for n, h in enumerate(chosen, 1)]
    text = "\n".join(_quote_line(c, h.chunk.article) for c, h in zip(citations, chosen))
    return Answer(question=question, answer=text, answerable=True, citations=citations, confidence=p)
