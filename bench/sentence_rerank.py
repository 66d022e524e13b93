"""A second look at which sentence to quote (issue 9, round 15): re-rank the selector's top :data:`K` sentences.

**Not shipped** (docs/answers.md, "Round 15": the keep rule failed on development data); kept here, with the rows
(``bench/sentence_rerank_rows.py``) and the estimate (``bench/sentence_rerank_fit.py``), so a later round can replay
it. The product's answer layer (:func:`rag.answer.build_answer`) is unchanged.

The selector (:mod:`rag.select`) scores each sentence alone, with weights fitted mostly on questions written from
the paragraph (CMRC2018 trial, DRCD tune). The re-ranker looks at the selector's top :data:`K` *together*: besides a
sentence's own features it reads where the sentence stands among them — its rank under the selector and its logit's
gap to the best, the rank of its dense cosine among all candidates, and where it sits relative to the sentence with
the best lexical match to the question (the same sentence, the next or the previous one of that passage, or
elsewhere). A linear score fitted pairwise (a gold sentence against a non-gold one of the same question, logistic
regression on feature differences) orders the top :data:`K`; the replayed answer quotes as many sentences as the
selector's choice did, taken from the new order, and keeps the selector's quote where a check (near miss, quantity)
would refuse the new one, so refusals are unchanged by construction. No term lists: every feature is a number the
selector already computes or a rank among the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["K", "RerankModel", "extras", "order"]

#: how many of the selector's best sentences the re-ranker may reorder
K = 4


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def extras(rows: Sequence[dict], k: int = K) -> list[dict]:
    """The re-ranker's own features of the first ``k`` of ``rows`` (the candidates, selector-best first).

    Each row: ``f`` (the selector's features), ``p`` (its P), ``chunk`` (passage id), ``k`` (sentence index in the
    passage). Returns, per top row, its features plus the rank features (see the module)."""
    if not rows:
        return []
    best_logit = _logit(rows[0]["p"])
    cos = [r["f"].get("cos", 0.0) for r in rows]
    cos_order = sorted(range(len(rows)), key=lambda i: -cos[i])
    cos_rank = {i: n for n, i in enumerate(cos_order)}
    lex = max(range(len(rows)), key=lambda i: (rows[i]["f"].get("coverage", 0.0), rows[i]["f"].get("bigram", 0.0),
                                               -i))
    out = []
    for i, r in enumerate(rows[:k]):
        same = r["chunk"] == rows[lex]["chunk"]
        d = r["k"] - rows[lex]["k"] if same else None
        x = dict(r["f"])
        x.update({"rr_rank1": float(i == 0), "rr_rank2": float(i == 1), "rr_rank3": float(i == 2),
                  "rr_logit": _logit(r["p"]), "rr_logit_gap": _logit(r["p"]) - best_logit,
                  "rr_cos_rank": 1.0 / (1 + cos_rank[i]), "rr_cos_top": float(cos_rank[i] == 0),
                  "rr_is_lex": float(i == lex), "rr_after_lex": float(d == 1), "rr_before_lex": float(d == -1),
                  "rr_near_lex": float(d is not None and 2 <= abs(d) <= 3), "rr_same_passage_lex": float(same),
                  "rr_top_passage": float(r["chunk"] == rows[0]["chunk"])})
        out.append(x)
    return out


class RerankModel:
    """A linear score over :func:`extras` (features divided by ``scale``); higher = quote first."""

    def __init__(self, names: Sequence[str], weights: Sequence[float], scale: Sequence[float], k: int = K,
                 fingerprint: str | None = None):
        self.names, self.weights, self.scale, self.k = list(names), list(weights), list(scale), k
        self.fingerprint = fingerprint

    def score(self, x: dict) -> float:
        return sum(w * x.get(n, 0.0) / s for n, w, s in zip(self.names, self.weights, self.scale))

    def to_dict(self) -> dict:
        return {"k": self.k, "features": self.names, "weights": self.weights, "scale": self.scale}

    @classmethod
    def from_dict(cls, d: dict, fingerprint: str | None = None) -> RerankModel:
        return cls(d["features"], d["weights"], d["scale"], int(d.get("k", K)), fingerprint)


def order(rows: Sequence[dict], model: RerankModel) -> list[int]:
    """Indices of ``rows`` (selector-best first) in the re-ranked order: the top ``model.k`` by the model's score
    (ties keep the selector's order), then the rest as they were."""
    top = extras(rows, model.k)
    ranked = sorted(range(len(top)), key=lambda i: (-model.score(top[i]), i))
    return ranked + list(range(len(top), len(rows)))
