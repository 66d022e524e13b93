"""Round 15's first-article switch (bench/statute_first_model.py, not shipped: it failed its keep rule): the
reordering and the candidates it may move first, as bench/statute_first.py replays them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rag.records import Chunk, Hit
from rag.statute_choice import Trees

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from statute_first_model import RANKS, FirstModel, best_first, pair_features, reorder

ALWAYS = FirstModel(Trees(("rank1",), 5.0, ()), 0.5)  # every candidate at P ≈ 1
NEVER = FirstModel(Trees(("rank1",), -5.0, ()), 0.5)


def _hits(n=5, article=True):
    return [Hit(Chunk(f"c{i}", "d", 0, 4, "用人单位应当按时支付工资。", article=f"第{i + 1}条" if article else ""),
                1.0 - i / 10, i + 1, title="某法") for i in range(n)]


def _arts(n=5):
    return [{"inv_rank": 1 / (i + 1), "cos": 0.8 - i / 100, "coverage": 0.5} for i in range(n)]


def test_reorder_keeps_the_number_of_articles():
    assert reorder([0], 2) == [2]
    assert reorder([0, 3], 1) == [1, 0]
    assert reorder([0, 1], 1) == [1, 0]  # the chooser's second article moves first
    assert reorder([], 1) == [1]


def test_pair_features_hold_the_top_hit_and_the_differences():
    f = pair_features({"cos": 0.8, "rank0": 1.0}, {"cos": 0.7, "rank1": 1.0})
    assert f["cos"] == 0.7 and f["top_cos"] == 0.8 and f["dd_cos"] == pytest.approx(-0.1)
    assert f["rank1"] == 1.0 and "top_rank0" not in f


def test_best_first_looks_at_ranks_2_to_3_only_and_respects_exclusions():
    hits, arts = _hits(), _arts()
    p, j = best_first(ALWAYS, "工资什么时候发？", hits, arts)
    assert j is not None and 1 <= j < RANKS == 3 and p > 0.99
    assert best_first(ALWAYS, "q", hits, arts, exclude=frozenset({1, 2}))[1] is None  # rank 4-5 never first
    assert best_first(ALWAYS, "q", hits, arts, allowed=lambda i: i == 2)[1] == 2
    assert best_first(ALWAYS, "q", _hits(article=False), arts)[1] is None  # not a statute article
    assert best_first(ALWAYS, "q", hits[:1], arts[:1]) == (-1.0, None)
    assert best_first(NEVER, "q", hits, arts)[0] < 0.5
