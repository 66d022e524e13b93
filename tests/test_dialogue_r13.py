"""Round 13 (issue 11): follow-ups refused although their passage is at hand.

The diagnosis (docs/conversations.md, "Round 13"; ``bench/followup_gates.py``) names the gate of each refusal; two
candidate fixes are switches of :class:`rag.dialogue.DialogueConfig`:

- ``focus_frame``: time words and localizers (平时, 后来, 前面, 里面) are not what a follow-up asks, so
  :func:`rag.followup.check_focus` does not require a quote to say them;
- ``followup_threshold``: the dense follow-up refusal threshold for a turn that leans on the conversation.

The dialogues were written for these tests (not taken from any evaluation set); they run the real index of the sample
article.
"""

from __future__ import annotations

import functools

from rag.dialogue import DialogueConfig, Rewrite
from rag.followup import focus_words
from rag.followup_refusal import FOLLOWUP_REFUSAL, _stored, followups, refusal_for
from rag.followup_threshold import threshold_for
from rag.qa import ask

from .helpers import converse

# ------------------------------------------------------------------ no index


def test_time_words_and_localizers_are_no_focus_words_with_focus_frame():
    assert focus_words("它平时都管哪些事", "温州人工智能局") == ["平时"]
    assert focus_words("它平时都管哪些事", "温州人工智能局", frame=True) == []
    known = "杭州在2020年的调研中排在第几梯队"
    assert focus_words("排在它前面的是哪几座城市", known) == ["前面"]
    assert focus_words("排在它前面的是哪几座城市", known, frame=True) == []
    # content words stay: an unanswerable 它的研发投入是多少？ is still held to 研发/投入
    assert focus_words("它的研发投入是多少", "DeepSeek", frame=True) == ["研发", "投入"]


def test_the_follow_up_threshold_applies_to_the_dense_model_inside_followups_only():
    fp = _stored(str(FOLLOWUP_REFUSAL))["fitted_for"]["fingerprint"]
    stored = refusal_for("dense", fp)  # outside followups(): None
    assert stored is None
    with followups(True):
        dense, lexical = refusal_for("dense", fp), refusal_for("lexical", fp)
    with followups(True, 0.05):
        assert refusal_for("dense", fp)["threshold"] == 0.05
        assert refusal_for("lexical", fp)["threshold"] == lexical["threshold"]  # the lexical model keeps its own
    assert dense["threshold"] != 0.05
    with followups(True):
        assert refusal_for("dense", fp)["threshold"] == dense["threshold"]  # reset on leaving the block


def test_the_threshold_is_only_for_turns_that_lean_on_the_conversation():
    cfg = DialogueConfig(followup_threshold=0.05)
    assert threshold_for(Rewrite("这个局平时干什么", "温州人工智能局平时干什么", "demonstrative"), False, cfg) == 0.05
    assert threshold_for(Rewrite("第一梯队是哪些城市", "第一梯队是哪些城市", context="杭州"), False, cfg) == 0.05
    assert threshold_for(Rewrite("温州人工智能局做什么", "温州人工智能局做什么"), False, cfg) is None  # own topic
    assert threshold_for(Rewrite("试用期呢", "劳动合同法试用期规定了什么", "ellipsis"), True, cfg) is None  # laws
    assert threshold_for(Rewrite("他说了什么", "王剑锋说了什么", "person"), False, DialogueConfig()) is None


# ------------------------------------------------------------------ the real index

def _dialogue(sample_index, embedder, questions, config):
    return converse(functools.partial(ask, sample_index, embedder=embedder, k=5), questions, config)


def test_a_frame_word_no_longer_refuses_the_answer_at_hand(sample_index, embedder):
    questions = ["温州挂牌成立了全国首个什么局？", "这个局平时干什么？"]
    # round 19's open_unfocused (on by default) also answers it — off here, to test focus_frame alone
    before = _dialogue(sample_index, embedder, questions, DialogueConfig(focus_frame=False, open_unfocused=False))
    after = _dialogue(sample_index, embedder, questions, DialogueConfig(focus_frame=True, open_unfocused=False))
    assert before[0].answerable and "人工智能局" in before[0].answer
    assert not before[1].answerable  # check_focus: no quote says 平时
    assert after[1].answerable and "统筹推进算力建设" in after[1].answer
    assert after[1].search_question == before[1].search_question  # the same reading, only the check differs


def test_a_content_word_the_article_never_says_is_still_refused(sample_index, embedder):
    questions = ["温州挂牌成立了全国首个什么局？", "这个局平时的经费有多少？"]
    after = _dialogue(sample_index, embedder, questions, DialogueConfig(focus_frame=True))
    assert not after[1].answerable
