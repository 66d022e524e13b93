"""Boosted decision trees stored as JSON: the refusal model's learner.

:class:`TreeModel` evaluates a sum of regression trees fitted by
scikit-learn's ``HistGradientBoostingClassifier`` (``bench/calibrate_answers.py``
exports them with :func:`export_hgb`): P = sigmoid(bias + Σ leaf values).
Stored as plain arrays in ``rag/calibration.json`` — no pickle, no
scikit-learn at query time. One question's refusal decision walks every
tree once (a few hundred comparisons, well under a millisecond).

This module neither fits models nor chooses thresholds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["TreeModel", "export_hgb"]


@dataclass(frozen=True)
class TreeModel:
    """P = sigmoid(bias + Σ tree(features)); features missing from the input count as 0.

    Each tree is ``{"f": [...], "t": [...], "l": [...], "r": [...], "v": [...]}`` per node:
    the feature index, threshold (go left when ``x <= t``), left / right child (-1 at a leaf) and leaf value.

    >>> m = TreeModel(0.0, ["x"], [{"f": [0, -1, -1], "t": [0.5, 0, 0], "l": [1, -1, -1],
    ...                             "r": [2, -1, -1], "v": [0, -2.0, 2.0]}])
    >>> round(m.probability({"x": 0.9}), 3), round(m.probability({}), 3)
    (0.881, 0.119)
    """

    bias: float
    features: list[str]
    trees: list[dict]
    threshold: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        x = [features.get(n, 0.0) for n in self.features]
        z = self.bias
        for t in self.trees:
            i = 0
            while t["l"][i] >= 0:
                i = t["l"][i] if x[t["f"][i]] <= t["t"][i] else t["r"][i]
            z += t["v"][i]
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @property
    def weights(self) -> dict[str, float]:
        """The input names (for checks that the answer step computes them); no linear weights."""
        return dict.fromkeys(self.features, 0.0)

    @classmethod
    def from_dict(cls, d: dict) -> "TreeModel":
        return cls(float(d["bias"]), list(d["features"]), list(d["trees"]), float(d.get("threshold", 0.5)))

    def to_dict(self) -> dict:
        return {"kind": "trees", "bias": self.bias, "features": self.features, "trees": self.trees,
                "threshold": self.threshold}


def export_hgb(model, names: list[str], threshold: float = 0.5) -> TreeModel:
    """A fitted binary ``HistGradientBoostingClassifier`` (numeric features, no missing values) as a TreeModel."""
    trees = []
    for (pred,) in model._predictors:
        n = pred.nodes
        leaf = n["is_leaf"].astype(bool)
        trees.append({"f": [int(v) if not lf else -1 for v, lf in zip(n["feature_idx"], leaf)],
                      "t": [float(v) if not lf else 0.0 for v, lf in zip(n["num_threshold"], leaf)],
                      "l": [int(v) if not lf else -1 for v, lf in zip(n["left"], leaf)],
                      "r": [int(v) if not lf else -1 for v, lf in zip(n["right"], leaf)],
                      "v": [round(float(v), 6) if lf else 0.0 for v, lf in zip(n["value"], leaf)]})
    return TreeModel(float(model._baseline_prediction.ravel()[0]), list(names), trees, threshold)
