"""Round 19, h6 (issue 11): an open follow-up's answer that says none of its own words is the last resort.

Round 19's ``open_unfocused`` waives ``check_focus``'s refusal for an open follow-up's further reading; with
``DialogueConfig.open_focus_last`` its move to a neighbouring sentence that says the follow-up's words is kept
(:func:`rag.incontext.gate`), and such an answer (:func:`rag.incontext.unfocused`) lets the previous answer's
neighbourhood answer first. bench/results/r19_h6_rule.md, r19_h6_result.md.

The dialogues were written for these tests (not taken from any evaluation set); they run the real index of the sample
article.
"""

from __future__ import annotations

import functools

import pytest

from rag.dialogue import DialogueConfig, ask_in_context
from rag.qa import ask

import rag.incontext

from .helpers import converse

OFF = DialogueConfig(open_unfocused=True, open_focus_last=False)
ON = DialogueConfig(open_unfocused=True)  # open_unfocused is opt-in since the end of round 19


@pytest.fixture(scope="module")
def one(sample_index, embedder):
    return functools.partial(ask, sample_index, embedder=embedder)


@pytest.mark.parametrize("questions,wrong,gold", [
    # the further reading quotes the sentence on 苏州; the next sentence says 南京 (check_focus's move)
    (["2018年苏州怎么定位人工智能产业？", "那年南京准备凭哪几样长处？"], "苏州将人工智能产业", "南京明确"),
    # the further reading quotes the meeting sentence again; the neighbourhood holds what 常州 is to become
    (["2026全国智能体开发者大会在哪座城市举行？", "当地说要把自己打造成什么？"], "亮相常州", "国际化智造名城"),
])
def test_unfocused_answer_is_the_last_resort(one, questions, wrong, gold, monkeypatch):
    with monkeypatch.context() as m:  # the waiver as h6 found it (before names_new_thing kept 南京's check whole)
        m.setattr(rag.incontext, "names_new_thing", lambda q, known: False)
        before = converse(one, questions, OFF)[-1]
    assert before.answerable and wrong in before.citations[0].quote, before.answer  # main: the unfocused quote
    after = converse(one, questions, ON)[-1]
    assert after.answerable and gold in after.citations[0].quote, after.answer


def test_a_question_with_no_history_never_asks_if_unfocused(one, monkeypatch):
    q = "常州要打造成什么？"
    off = ask_in_context(one, q, [], config=OFF)

    def boom(*a, **k):
        raise AssertionError("unfocused asked without history")

    monkeypatch.setattr("rag.dialogue.unfocused", boom)
    on = ask_in_context(one, q, [], config=ON)
    assert (on.answer, on.answerable, on.search_question) == (off.answer, off.answerable, off.search_question)
