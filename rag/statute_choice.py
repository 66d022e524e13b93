"""Which retrieved statute articles to quote: a learned chooser over the top statute hits.

The statute answerer (:mod:`rag.statute_answer`) quotes the top hit, plus a second provision. On citizens' questions
the gold article is often at rank 2-5 and not quoted. This module scores each statute article at ranks 2-5 with
boosted trees (:class:`Trees`: P(the article is a gold provision)) over the answerer's own evidence
(:func:`rag.statute_answer.article_features`: coverage, bigram overlap, rank, score share, the question-vs-article
cosine) and features that follow from the structure of statutes:

- the law's title against the question's words (a question that names 劳动合同法 is about that law);
- whether the article holds the kind of value the question asks (an age, a time limit, money …:
  :func:`rag.asked_value.asked_kind`, :func:`rag.asked_value.holds`);
- article shape: a definition (…是指…, 本法所称…), a penalty (罚款, 拘留, 刑事责任 …), boilerplate (立法目的,
  适用范围, 施行日期) — rarely what a citizen asks;
- position in its law (第一条-第三条 are mostly purpose/scope);
- differences to the top hit's cosine and coverage.

:func:`choose` returns the hits to quote: the top hit (a model over all five ranks never displaced it on STARD),
then the likeliest other article when its P reaches the model's ``second`` threshold (set on STARD tune to keep
1.59 articles per answer, the gold answers' own average). The model file (``rag/data/statute_choice.json``) is
fitted by ``bench/statute_chooser.py fit`` on development data, with provenance; without it (or for an embedder it
was not fitted for) the caller keeps its own choice. This module does not retrieve, refuse or format.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .asked_value import asked_kind, holds
from .lookup import article_number
from .records import Hit
from .textnorm import to_simplified
from .tokenize import char_bigrams

__all__ = ["CHOICE_MODEL", "DEPTH", "ChoiceModel", "Trees", "best_other", "choice_features", "choose",
           "load_choice_model"]

CHOICE_MODEL = Path(__file__).resolve().parent / "data" / "statute_choice.json"
DEPTH = 5
_DEFINITION = re.compile(r"是指|本法所称|本条例所称|本规定所称|本办法所称|所称的?[^，。；]{1,12}，是")
_PENALTY = re.compile(r"罚款|拘留|刑事责任|吊销|没收违法所得|责令停产|处分|处[一二三四五六七八九十]+[年日个]")
_BOILERPLATE = re.compile(r"为了[^。]{0,80}制定本|根据[^。]{0,60}制定本|本(?:法|条例|规定|办法|解释)(?:自|于)[^。]{0,30}(?:施行|生效)"
                          r"|适用本(?:法|条例|规定|办法)|本(?:法|条例|规定|办法)适用于")
_LAW_PREFIX = re.compile(r"^中华人民共和国|^最高人民法院|^最高人民检察院|^国务院")


@dataclass(frozen=True)
class Trees:
    """A boosted tree ensemble (depth ≤ 3, from scikit-learn's HistGradientBoostingClassifier, as plain lists):
    P = sigmoid(base + Σ leaf value); a node goes left when the feature is ≤ its threshold; features missing from
    the input count as 0."""

    names: tuple[str, ...]
    base: float
    trees: tuple[tuple[tuple[int, float, int, int, float], ...], ...]  # (feature, threshold, left, right, leaf value)

    def probability(self, features: dict[str, float]) -> float:
        x = [features.get(n, 0.0) for n in self.names]
        z = self.base
        for nodes in self.trees:
            i = 0
            while nodes[i][2] >= 0:  # an inner node
                f, thr, left, right, _ = nodes[i]
                i = left if x[f] <= thr else right
            z += nodes[i][4]
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @classmethod
    def from_dict(cls, d: dict) -> Trees:
        return cls(tuple(d["names"]), float(d["base"]),
                   tuple(tuple((int(f), float(t), int(lo), int(hi), float(v)) for f, t, lo, hi, v in tree)
                         for tree in d["trees"]))


@dataclass(frozen=True)
class ChoiceModel:
    """``other``: P(a hit below the top is a gold provision) over :func:`choice_features`; the likeliest is quoted
    after the top hit when its P ≥ ``second``."""

    other: Trees
    second: float


def _bigrams(text: str) -> set[str]:
    return {b for b in char_bigrams(text) if len(b) == 2}  # a one-character text has none (char_bigrams keeps it)


_CLOSE_AT_END = re.compile(r"[）)]\n?\Z")


def _drop_final_bracket(t: str) -> str:
    """``re.sub(r"[（(].*?[）)]$", "", t)`` in linear time (that regex is quadratic on a hostile title of brackets): from
    the first opening bracket of the last line to a closing bracket that ends the text (before a final newline)."""
    m = _CLOSE_AT_END.search(t)
    if m is None:
        return t
    line = t.rfind("\n", 0, m.start()) + 1
    opens = [i for i in (t.find("(", line, m.start()), t.find("（", line, m.start())) if i >= 0]
    return t[:min(opens)] + t[m.start() + 1:] if opens else t


def _short_title(title: str) -> str:
    return _drop_final_bracket(_LAW_PREFIX.sub("", to_simplified(title or "")))


def choice_features(question: str, hits: Sequence[Hit], arts: Sequence[dict[str, float]]) -> list[dict[str, float]]:
    """Per hit (the first ``len(arts)``): the answerer's evidence ``arts`` plus the structural features above."""
    q = to_simplified(question)
    q_bi = _bigrams(q)
    kind = asked_kind(q)
    top = arts[0] if arts else {}
    out = []
    for i, (h, a) in enumerate(zip(hits, arts)):
        text = to_simplified(h.chunk.text)
        short = _short_title(h.title)
        core = re.sub(r"(?:法|条例|规定|办法|解释)$", "", short)
        t_bi = _bigrams(short)
        num = article_number(re.sub(r"^第|条.*$", "", (h.chunk.article or "")[:40])) or 0  # a label is short
        f = {k: float(v) for k, v in a.items()}
        f.update({
            f"rank{i}": 1.0,
            "title_overlap": len(q_bi & t_bi) / len(t_bi) if t_bi else 0.0,
            "title_named": float(len(core) >= 2 and core in q),
            "value_fit": 0.0 if kind is None else (1.0 if holds(kind, text) else -1.0),
            "definition": float(bool(_DEFINITION.search(text))),
            "penalty": float(bool(_PENALTY.search(text))),
            "boilerplate": float(bool(_BOILERPLATE.search(text))),
            "first_articles": float(0 < num <= 3),
            "log_article_no": math.log10(num + 1) / 3,
            "d_coverage": a.get("coverage", 0.0) - top.get("coverage", 0.0),
        })
        if "cos" in a:
            f["d_cos"] = a["cos"] - top["cos"]
        out.append(f)
    return out


@functools.lru_cache(maxsize=4)
def _read(path: str) -> dict | None:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


@functools.lru_cache(maxsize=8)
def load_choice_model(fingerprint: str | None, path: str | Path = CHOICE_MODEL) -> ChoiceModel | None:
    """The chooser fitted for embedder ``fingerprint``, or None (no file, another embedder). Built once per
    (fingerprint, path): the trees are immutable, and rebuilding them cost ~0.35 ms a statute answer."""
    data = _read(str(path))
    if not data or fingerprint is None or data.get("fitted_for", {}).get("fingerprint") != fingerprint:
        return None
    return ChoiceModel(Trees.from_dict(data["model"]["other"]), float(data["model"]["second"]))


def choose(model: ChoiceModel, question: str, hits: Sequence[Hit], arts: Sequence[dict[str, float]],
           exclude: frozenset[int] = frozenset()) -> list[int]:
    """Indices of the hits to quote: the top hit, then the likeliest other article (rank 2-5, another passage, not
    in ``exclude``) when its P ≥ ``model.second``. An empty ``hits`` gives []."""
    if not hits:
        return []
    p, j = best_other(model, question, hits, arts, exclude)
    return [0, j] if j is not None and p >= model.second else [0]


def best_other(model: ChoiceModel, question: str, hits: Sequence[Hit], arts: Sequence[dict[str, float]],
               exclude: frozenset[int] = frozenset()) -> tuple[float, int | None]:
    """(P, index) of the likeliest statute article below the top hit and not in ``exclude`` (another version of the
    top article: :func:`rag.statute_answer.other_versions`), or (-1, None) when there is none. Features are computed
    over all ``hits``, so an excluded hit leaves the others' ranks as they were."""
    feats = choice_features(question, hits, arts)
    best: tuple[float, int | None] = (-1.0, None)
    for j in range(1, min(len(hits), len(feats))):
        h = hits[j]
        if getattr(h.chunk, "article", "") and h.chunk.chunk_id != hits[0].chunk.chunk_id and j not in exclude:
            p = model.other.probability(feats[j])
            if p > best[0]:
                best = (p, j)
    return best
