"""Round 20 (issue 11): a follow-up that names a place of its own gets the conversation's topic when refused as typed.

Since round 11 a question naming its own place stands alone (searched as typed, no context words), so a follow-up
like 浙江负责哪一块？ after a question on 上海's part of the chip chain was refused with no further reading.
``DialogueConfig.own_place_topic``: refused as typed, it is searched once more as the previous question's topic
words less the places it replaced (:func:`rag.dialogue.place_topic`) + the question, held to
:func:`rag.incontext.gate`. bench/results/r20_lead_rule.md, r20_lead_result.md.

The dialogues were written for these tests (not taken from any evaluation set); they run the real index of the sample
article.
"""

from __future__ import annotations

import functools

import pytest

import rag.dialogue
import rag.incontext
from rag.dialogue import DialogueConfig, ask_in_context, place_topic, resolve, Turn
from rag.qa import ask

from .helpers import converse

OFF = DialogueConfig(own_place_topic=False)


def test_topic_words_drop_the_places_the_follow_up_replaced():
    assert place_topic("浙江负责哪一块？", "上海在芯片产业链上侧重什么") == "芯片 产业链"
    assert place_topic("那安徽出现了多少次", "江苏的十五五规划建议里人工智能出现了几次") == "十五 规划 建议 人工智能"
    # many places before the topic do not crowd it out of context_words' first 8 words (review h2)
    assert place_topic("那安徽侧重什么？", "上海、江苏、浙江、南京、苏州、无锡、常州、杭州在芯片产业链上侧重什么") == "芯片 产业链"


def test_the_http_history_rebuilds_what_the_chat_searched(one):
    """``/api/ask`` and ``/v1`` send text only: the search of an own-place turn answered by its topic reading is
    rebuilt with the same words (review h2: 上海 leaked into the next 浙江 question's context)."""
    questions = ["上海在芯片产业链上侧重什么？", "浙江负责哪一块？"]
    answers = converse(one, questions)
    assert answers[-1].search_question.endswith("（结合上文：芯片 产业链）")
    shown = [Turn(q, a.answer, a.search_question) for q, a in zip(questions, answers)]
    text_only = [Turn(q, a.answer) for q, a in zip(questions, answers)]
    follow = "具体有哪些企业？"
    assert resolve(follow, shown).context == resolve(follow, text_only).context


@pytest.mark.parametrize("q", ["王剑锋负责哪一块？", "他负责哪一块？", "《实施意见》负责哪一块？", "负责哪一块？"])
def test_only_a_follow_up_that_names_a_place_of_its_own(q):
    assert place_topic(q, "上海在芯片产业链上侧重什么") == ""  # a person, a pronoun, a title, or no place at all


def test_resolve_keeps_the_first_reading_as_typed():
    rw = resolve("浙江负责哪一块？", [Turn("上海在芯片产业链上侧重什么？", "…上海侧重高端芯片和关键器件…")])
    assert (rw.search_question, rw.context, rw.place_topic) == ("浙江负责哪一块？", "", "芯片 产业链")


@pytest.fixture(scope="module")
def one(sample_index, embedder):
    return functools.partial(ask, sample_index, embedder=embedder)


def test_a_place_follow_up_refused_as_typed_is_read_with_the_topic(one):
    questions = ["上海在芯片产业链上侧重什么？", "浙江负责哪一块？"]
    assert not converse(one, questions, OFF)[-1].answerable  # round 19: searched as typed, refused
    a = converse(one, questions)[-1]
    assert a.answerable and "浙江侧重通信和视觉芯片" in a.citations[0].quote, a.answer
    assert a.search_question == "浙江负责哪一块？（结合上文：芯片 产业链）"  # shown under the answer


@pytest.mark.parametrize("questions", [
    ["上海在芯片产业链上侧重什么？", "那山东负责哪一块？"],  # the article says nothing of 山东 or 广东
    ["浙江在人工智能哪个领域有较大优势？", "那广东擅长什么？"],
    ["江苏的十五五规划建议里人工智能出现了几次？", "那广东出现了多少次？"],
    ["苏州市委书记是谁？", "深圳有多少家人工智能企业？"],
])
def test_a_place_the_article_says_nothing_of_is_still_refused(one, questions):
    a = converse(one, questions)[-1]
    assert not a.answerable, a.answer


@pytest.mark.parametrize("questions", [["上海在芯片产业链上侧重什么？", "那山东负责哪一块？"],
                                       ["上海在芯片产业链上侧重什么？", "浙江负责哪一块？"]])
def test_the_refusals_above_go_through_the_topic_reading(one, monkeypatch, questions):
    """The refusal test is not vacuous: the unanswerable follow-up is read with the topic (and refused there, by the
    answer layer or the gate), like the answerable one; with the switch off it never is."""
    calls = []
    real = rag.dialogue._with_topic
    monkeypatch.setattr(rag.dialogue, "_with_topic", lambda ask, rw, *a, **k: calls.append(rw.context) or real(ask, rw, *a, **k))
    converse(one, questions)
    assert calls == ["芯片 产业链"]
    calls.clear()
    converse(one, questions, OFF)
    assert calls == []


def test_a_question_with_no_history_is_untouched(one):
    q = "浙江负责哪一块？"
    on, off = ask_in_context(one, q, []), ask_in_context(one, q, [], config=OFF)
    assert (on.answer, on.answerable, on.search_question) == (off.answer, off.answerable, off.search_question)
