"""Round 14 (issue 11), cost: a follow-up's sentence re-ranking computes the conversation features only for the
candidates that can reach the positions an answer reads (:func:`rag.followup_sentence._rerank_head`), and those
positions are the full re-ranking's. The texts and dialogues here were written for these tests."""

from __future__ import annotations

import copy
import functools
import math
import random

import pytest

from rag.dialogue import DialogueConfig
from rag.evidence import ScoredSentence
from rag.followup_sentence import FITTED, Conversation, SentenceWeights, adjust, in_conversation
from rag.index import open_index
from rag.qa import ask
from rag.records import Chunk, Hit
from rag.select import Candidate
from tests.helpers import converse

WORDS = ["苏州", "南京", "大会", "项目", "发布", "产业", "基金", "人才", "政策", "园区", "企业", "资金"]


def _random_cands(rng: random.Random) -> tuple[list[Candidate], tuple[str, ...]]:
    cands, quotes = [], []
    for rank in range(1, rng.randint(1, 5) + 1):
        parts = ["".join(rng.sample(WORDS, 3)) + "。" for _ in range(rng.randint(1, 8))]
        text = "".join(parts)
        spans, start = [], 0
        for part in parts:
            spans.append((start, start + len(part)))
            start += len(part)
        hit = Hit(chunk=Chunk(f"c{rank}", f"d{rank}", 0, len(text), text, sentences=spans), score=1.0, rank=rank)
        cands += [Candidate(ScoredSentence(hit, s, e, text[s:e], 1.0, 0.5, 0.5), p=1 / (1 + math.exp(-rng.gauss(-2.0, 3.0)))) for s, e in spans]
        if rng.random() < 0.5:
            quotes.append(rng.choice(parts))
    cands.sort(key=lambda c: (-c.p, c.sentence.hit.rank, c.sentence.start))
    return cands, tuple(quotes)


def _read(cands: list[Candidate]) -> list:
    """The positions an answer reads: the best, the first with another text, the first of another passage, the
    first of each of the three best passages — each as (sentence, P)."""
    top = cands[0]
    other = next((c for c in cands if c.sentence.text != top.sentence.text), None)
    ranks = sorted({c.sentence.hit.rank for c in cands})[:3]
    firsts = [next(c for c in cands if c.sentence.hit.rank == r) for r in ranks]
    gap = next((c for c in cands if c.sentence.hit.rank != top.sentence.hit.rank), None)  # p_gap's
    return [(c.sentence.hit.rank, c.sentence.start, round(c.p, 12)) if c else None
            for c in [top, other, gap, *firsts]]


@pytest.mark.parametrize("weights", [SentenceWeights(next1=0.5, own=2.0, carried=-1.0),
                                     SentenceWeights(next1=0.5, own=3.0), FITTED,
                                     SentenceWeights(repeat=-1.0, next2=0.5, before=0.3, same=0.5, own=1.0)])
def test_the_head_an_answer_reads_is_the_full_re_ranking(weights):
    rng = random.Random(14)
    scored = total = 0
    for _ in range(300):
        cands, quotes = _random_cands(rng)
        typed = "".join(rng.sample(WORDS, 2)) + "呢"
        question, known = "".join(rng.sample(WORDS, 4)), "".join(rng.sample(WORDS, 3))
        full, head = copy.deepcopy(cands), copy.deepcopy(cands)
        with in_conversation(Conversation(typed, quotes, known, weights, record=True)):
            adjust(question, full)  # recording: every feature of every candidate, the whole list re-ranked
        with in_conversation(Conversation(typed, quotes, known, weights)):
            adjust(question, head)
        assert _read(head) == _read(full)
        assert sorted((c.sentence.hit.rank, c.sentence.start) for c in head) == \
               sorted((c.sentence.hit.rank, c.sentence.start) for c in full)  # a permutation
        assert len(head) == len(full)
        scored += sum("conv_z" in c.features for c in head)
        total += len(head)
    assert scored < 0.7 * total  # the full re-ranking scores every one


def test_only_the_weighted_features_are_computed():
    cands, _ = _random_cands(random.Random(3))
    with in_conversation(Conversation("南京呢", ("苏州大会项目。",), "苏州", SentenceWeights(next1=0.5, own=2.0))):
        adjust("南京大会项目", cands)
    got = {k for c in cands for k in c.features if k.startswith("conv_")}
    assert got == {"conv_next1", "conv_own", "conv_z"}


@pytest.fixture(scope="module")
def sample_ask(built_home, embedder):
    return functools.partial(ask, open_index(built_home), embedder=embedder, k=5)


DIALOGUES = [["2018年苏州把人工智能产业列为什么？", "南京那年打算发挥哪些优势？"],
             ["苏州的人工智能产业有什么目标？", "那南京呢？", "它有哪些优势？"],
             ["文章提到了哪些城市？", "杭州呢？", "那里有什么计划？"]]


@pytest.mark.parametrize("dialogue", DIALOGUES)
def test_on_the_real_sample_index_the_answers_equal_the_full_re_ranking(sample_ask, dialogue):
    w = SentenceWeights(next1=0.5, own=2.0, carried=-1.0)
    full = converse(sample_ask, dialogue, DialogueConfig(sentence_weights=w, sentence_record=True))
    head = converse(sample_ask, dialogue, DialogueConfig(sentence_weights=w))
    for a, b in zip(full, head):
        assert (a.answer, a.answerable, round(a.confidence, 9), [c.quote for c in a.suggestions]) == \
               (b.answer, b.answerable, round(b.confidence, 9), [c.quote for c in b.suggestions])
