"""Round 19 (issue 11): an open follow-up's further reading is not held to its own words.

:func:`rag.incontext.gate` (the further readings of a follow-up every earlier reading left refused: even odds, the
topic named around the quote) skips ``check_focus`` for a follow-up that asks no typed thing
(:func:`rag.incontext.asks_open`; ``DialogueConfig.open_unfocused``): its own words are a predicate the text says
in other words (意味着 ~ 转折点, 负责 ~ 统筹). bench/results/r19_h3_rule.md, r19_h3_result.md.

The dialogues were written for these tests (not taken from any evaluation set); they run the real index of the sample
article.
"""

from __future__ import annotations

import functools

import pytest

import rag.incontext
from rag.dialogue import DialogueConfig, ask_in_context
from rag.incontext import asks_open
from rag.qa import ask

from .helpers import converse

OFF = DialogueConfig(open_unfocused=False)


def test_open_means_no_typed_thing_asked_in_chinese():
    assert asks_open("这场胜利意味着什么") and asks_open("它主要负责什么") and asks_open("那算不算领先")
    # a typed ask keeps its own words: which value (用户, 局长, 时间) is what makes it answerable
    assert not asks_open("它的用户有多少") and not asks_open("这个局的局长是谁") and not asks_open("这是什么时候的事")
    assert not asks_open("这条走廊有多长") and not asks_open("他今年多大了")  # a measure is a quantity
    assert not asks_open("What does it mean?")  # ask_kind reads Chinese only


@pytest.fixture(scope="module")
def one(sample_index, embedder):
    return functools.partial(ask, sample_index, embedder=embedder)


@pytest.mark.parametrize("questions,gold", [
    (["AlphaGo是在哪一年打败李世石的？", "这场胜利意味着什么？"], "象征性的转折点"),
    (["哪个城市挂牌成立了全国首个人工智能局？", "它主要负责什么？"], "统筹推进算力建设"),
])
def test_open_follow_up_answered_by_a_further_reading(one, questions, gold):
    before = converse(one, questions, OFF)[-1]
    assert not before.answerable, before.answer  # main's gate: the quote does not say 意味着 / 负责
    after = converse(one, questions)[-1]
    assert after.answerable and gold in after.citations[0].quote, after.answer


def test_typed_follow_up_still_held_to_its_own_words(one):
    for questions in (["哪个城市挂牌成立了全国首个人工智能局？", "这个局的局长是谁？"],
                      ["AlphaGo是在哪一年打败李世石的？", "它背后的公司融了多少钱？"]):
        a = converse(one, questions)[-1]
        assert not a.answerable, a.answer


def test_a_question_with_no_history_never_reaches_the_gate(one, monkeypatch):
    q = "AlphaGo战胜李世石意味着什么？"
    off, on = ask_in_context(one, q, [], config=OFF), None

    def boom(*a, **k):
        raise AssertionError("gate reached without history")

    monkeypatch.setattr(rag.incontext, "gate", boom)
    monkeypatch.setattr("rag.dialogue.gate", boom)
    on = ask_in_context(one, q, [])
    assert (on.answer, on.answerable, on.search_question) == (off.answer, off.answerable, off.search_question)
