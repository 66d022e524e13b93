"""Round 15 (not shipped): a learned switch of the statute answer's FIRST article from the top hit to rank 2-3.

The statute answerer (:mod:`rag.statute_answer`) quotes the top hit and, by the round-10 chooser
(:mod:`rag.statute_choice`), maybe a second article; the top hit itself was never replaced, yet on unread laws the
gold article often sits at rank 2-3 while the top hit is not gold. This module scores each statute article ``j`` at
ranks 2-3 with boosted trees (:class:`rag.statute_choice.Trees`) of P(j is the gold provision | exactly one of the
top hit and j is gold), over the round-10 chooser's features of ``j`` (:func:`rag.statute_choice.choice_features`),
the top hit's own features (``top_…``) and the differences (``dd_…`` = j minus top). When the best P reaches
``threshold`` (0.5, set, not tuned) the answer quotes ``j`` first and keeps its number of articles
(:func:`reorder`: the old picks follow ``j``, the last one dropped).

It failed its keep rule (docs/legal-retrieval.md "Round 15"), so it lives in bench/ and the product never calls
it: ``bench/statute_first.py`` replays the shipped answerer's choice with and without it over recorded rows. A model
file (``fit --model PATH``) records the embedder fingerprint it was fitted for.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.records import Hit
from rag.statute_choice import Trees, choice_features

__all__ = ["FIRST_MODEL", "RANKS", "FirstModel", "best_first", "load_first_model", "pair_features", "reorder"]

FIRST_MODEL = Path("/tmp/statute_first.json")  # where `fit` writes by default: nothing ships
RANKS = 3  # candidates for the first article: the statute articles at ranks 2..RANKS


@dataclass(frozen=True)
class FirstModel:
    """``pair``: P(hit j is gold | exactly one of the top hit and j is) over :func:`pair_features`; j is quoted
    first when its P ≥ ``threshold``."""

    pair: Trees
    threshold: float = 0.5



def pair_features(top: dict[str, float], cand: dict[str, float]) -> dict[str, float]:
    """The candidate's features, the top hit's (``top_``) and their differences (``dd_``: candidate minus top)."""
    f = dict(cand)
    for k, v in top.items():
        if not k.startswith("rank"):
            f[f"top_{k}"] = v
            f[f"dd_{k}"] = cand.get(k, 0.0) - v
    return f


def best_first(model: FirstModel, question: str, hits: Sequence[Hit], arts: Sequence[dict[str, float]],
               exclude: frozenset[int] = frozenset(), allowed: Callable[[int], bool] = lambda j: True
               ) -> tuple[float, int | None]:
    """(P, index) of the likeliest statute article at ranks 2..RANKS (another passage than the top, not in
    ``exclude``, ``allowed(j)``), or (-1, None)."""
    feats = choice_features(question, hits, arts)
    best: tuple[float, int | None] = (-1.0, None)
    for j in range(1, min(len(hits), len(feats), RANKS)):
        h = hits[j]
        if getattr(h.chunk, "article", "") and h.chunk.chunk_id != hits[0].chunk.chunk_id and j not in exclude \
                and allowed(j):
            p = model.pair.probability(pair_features(feats[0], feats[j]))
            if p > best[0]:
                best = (p, j)
    return best


def reorder(picks: Sequence[int], j: int) -> list[int]:
    """``j`` first, then the old picks without it, as many articles as before (the last one dropped)."""
    return ([j] + [i for i in picks if i != j])[:max(len(picks), 1)]


@functools.lru_cache(maxsize=8)
def load_first_model(fingerprint: str | None, path: str | Path = FIRST_MODEL) -> FirstModel | None:
    """The model fitted for embedder ``fingerprint``, or None (no file, another embedder)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if fingerprint is None or data.get("fitted_for", {}).get("fingerprint") != fingerprint:
        return None
    return FirstModel(Trees.from_dict(data["model"]["pair"]), float(data["model"].get("threshold", 0.5)))
