"""The statute answer's first-article switch (rag/statute_first.py): the reordering, the candidates it may move
first, the shipped file and the switch, and answers on a real law index (questions written for
tests/test_statute_choice.py, not taken from any evaluation set)."""

from __future__ import annotations

import json

import pytest

import rag.answer as A
from rag.records import Chunk, Hit
from rag.statute_choice import Trees
from rag.statute_first import FIRST_MODEL, RANKS, FirstModel, best_first, load_first_model, pair_features, reorder

from .test_statute_choice import QUESTIONS

_STATUTE_ANSWER = A.statute_answer
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


def test_no_model_file_means_no_switch(embedder, tmp_path):
    """Round 15's model failed its keep rule and is not shipped: without the file (or for another embedder) nothing
    is loaded and the answerer keeps the round-10 choice."""
    assert not FIRST_MODEL.exists()
    assert load_first_model(embedder.fingerprint) is None
    f = tmp_path / "first.json"
    f.write_text(json.dumps({"fitted_for": {"fingerprint": embedder.fingerprint},
                             "model": {"pair": {"names": ["rank1"], "base": 5.0, "trees": []}}}), encoding="utf-8")
    assert load_first_model(embedder.fingerprint, f) is not None and load_first_model("other", f) is None


def _answers(home, monkeypatch, **kw):
    from rag.qa import Searcher

    def wrapped(*a, **k):
        return _STATUTE_ANSWER(*a, **{**k, **kw})

    monkeypatch.setattr(A, "statute_answer", wrapped)
    s = Searcher(home)
    return [s.ask(q) for q, _ in QUESTIONS]


def test_a_switch_that_always_fires_moves_a_rank_2_3_article_first(law_home, monkeypatch):
    """On a real index: the forced switch quotes another article first, never changes a refusal or the number of
    articles quoted; ``first=False`` gives the round-10 answers."""
    off = _answers(law_home, monkeypatch, first=False)
    forced = _answers(law_home, monkeypatch, first=ALWAYS)
    assert [a.answerable for a in forced] == [a.answerable for a in off]
    assert [len(a.citations) for a in forced] == [len(a.citations) for a in off]
    moved = [i for i, (a, b) in enumerate(zip(off, forced))
             if a.answerable and a.citations[0].chunk_id != b.citations[0].chunk_id]
    assert moved  # some answer now starts with another article
    for i in moved:  # the old top article is still quoted second when the answer had two
        if len(off[i].citations) == 2:
            assert forced[i].citations[1].chunk_id == off[i].citations[0].chunk_id


def test_default_and_the_off_switch_give_round_10_answers(law_home, monkeypatch):
    off = _answers(law_home, monkeypatch, first=False)
    default = _answers(law_home, monkeypatch)
    assert [a.answer for a in default] == [a.answer for a in off]
    monkeypatch.setenv("RAG_STATUTE_FIRST", "off")
    assert [a.answer for a in _answers(law_home, monkeypatch, first=ALWAYS)] != [a.answer for a in off]  # explicit wins
