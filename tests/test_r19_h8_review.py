"""Round 19, h8: review of h6's ``open_focus_last`` (issue 11) — guards the existing tests leave out.

tests/test_dialogue_r19_h6.py shows the neighbourhood winning over an unfocused answer, and the gate's move; nothing
shows the other half of "the last resort": when the neighbourhood has no answer, the unfocused answer stands as it
was (same quote, citations and confidence). These dialogues were written for the review (sample article, real index).
"""

from __future__ import annotations

import functools

import pytest

import rag.dialogue as dialogue
from rag.dialogue import DialogueConfig
from rag.qa import ask

from .helpers import converse

OFF = DialogueConfig(open_unfocused=True, open_focus_last=False)
ON = DialogueConfig(open_unfocused=True)  # open_unfocused is opt-in since the end of round 19


@pytest.fixture(scope="module")
def one(sample_index, embedder):
    return functools.partial(ask, sample_index, embedder=embedder)


def _record(monkeypatch) -> dict:
    """What ``unfocused`` answered and whether ``_near`` gave an answer, per call."""
    seen: dict = {"unfocused": [], "near": []}
    real_u, real_n = dialogue.unfocused, dialogue._near

    def u(*a, **k):
        seen["unfocused"].append(r := real_u(*a, **k))
        return r

    def n(*a, **k):
        seen["near"].append((r := real_n(*a, **k)) is not None)
        return r

    monkeypatch.setattr(dialogue, "unfocused", u)
    monkeypatch.setattr(dialogue, "_near", n)
    return seen


@pytest.mark.parametrize("questions", [
    ["温州成立了什么机构？", "这个局主要负责什么？"],  # h3's example: the right sentence says 统筹, not 负责
    ["AlphaGo在哪一年战胜了李世石？", "这件事意味着什么？"],
])
def test_unfocused_answer_stands_when_the_neighbourhood_has_none(one, monkeypatch, questions):
    off = converse(one, questions, OFF)[-1]
    seen = _record(monkeypatch)
    on = converse(one, questions, ON)[-1]
    assert seen == {"unfocused": [True], "near": [False]}  # handed to the neighbourhood, which gave nothing
    assert on.answerable and on.citations
    assert (on.answer, on.confidence, on.search_question) == (off.answer, off.confidence, off.search_question)
    assert [c.chunk_id for c in on.citations] == [c.chunk_id for c in off.citations]


@pytest.mark.parametrize("questions,unfocused,near", [
    (["2018年苏州怎么定位人工智能产业？", "那年南京准备凭哪几样长处？"], [False], []),  # gate's move alone
    (["2026全国智能体开发者大会在哪座城市举行？", "当地说要把自己打造成什么？"], [True], [True]),  # the neighbourhood
])
def test_each_h6_case_exercises_its_own_part(one, monkeypatch, questions, unfocused, near):
    seen = _record(monkeypatch)
    converse(one, questions, ON)
    assert seen == {"unfocused": unfocused, "near": near}
