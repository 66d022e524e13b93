"""Round 12: a follow-up's own candidates re-ranked by the previous answer's passage (``DialogueConfig.near_prior``).

The prior re-orders the candidates the follow-up retrieved, and adds the previous passage when the search left it
out (looked up by its quote: nothing embedded, no second search); on by default at 1.5 (README, Conversations,
round 12). These tests run the real index of the sample article.
"""

from __future__ import annotations

import functools

from rag.chunk import split_sentences
from rag.context import near_prior, previous_passages, retrieve_in_context
from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.qa import ask
from rag.retrieve import retrieve
from rag.textnorm import search_form

QUESTION = "杭州人工智能企业有多少家"


def _sentence_of(text: str) -> str:
    s, e = max(split_sentences(text), key=lambda se: se[1] - se[0])
    return text[s:e]


def test_the_passage_of_the_previous_answer_moves_up(sample_index, embedder):
    plain = retrieve(sample_index, QUESTION, embedder=embedder, k=5)
    third = plain[2].chunk
    quote = _sentence_of(third.text)
    bound = functools.partial(retrieve, sample_index)
    same = retrieve_in_context(bound, sample_index, QUESTION, "", embedder=embedder, k=5, previous=[quote],
                               near_weight=0.0)
    assert [h.chunk.chunk_id for h in same] == [h.chunk.chunk_id for h in plain]  # off: the ranking as without
    moved = retrieve_in_context(bound, sample_index, QUESTION, "", embedder=embedder, k=5, previous=[quote],
                                near_weight=1.0)
    assert moved[0].chunk.chunk_id == third.chunk_id
    assert {h.chunk.chunk_id for h in moved} == {h.chunk.chunk_id for h in plain}  # nothing added or dropped


def test_near_prior_marks_only_passages_holding_a_quote(sample_index, embedder):
    hits = retrieve(sample_index, QUESTION, embedder=embedder, k=5)
    quote = _sentence_of(hits[1].chunk.text)
    assert near_prior(hits, [quote]) == {hits[1].chunk.chunk_id: 1.0}
    assert near_prior(hits, ["这句话不在任何段落里出现过"]) == {}


def _recording(index, embedder, seen: list):
    def one(question, **kw):
        seen.append({k: v for k, v in kw.items() if k in ("previous", "near_weight")})
        return ask(index, question, embedder=embedder, **kw)
    return one


def test_ask_in_context_passes_the_previous_quotes_only_when_on(sample_index, embedder):
    first = ask(sample_index, "常州市委书记是谁？", embedder=embedder)
    assert first.answerable
    history = [Turn("常州市委书记是谁？", first.answer, first.search_question)]
    on, off = [], []
    ask_in_context(_recording(sample_index, embedder, on), "他说常州要打造什么？", history)  # on by default
    ask_in_context(_recording(sample_index, embedder, off), "他说常州要打造什么？", history,
                   config=DialogueConfig(near_prior=0.0))
    assert on[0]["near_weight"] == DialogueConfig().near_prior > 0
    assert any(q in first.citations[0].text for q in on[0]["previous"])
    assert all("previous" not in kw for kw in off)
    refused = [Turn("常州市委书记是谁？", "资料中没有找到相关内容。", "常州市委书记是谁")]
    after_refusal = []
    ask_in_context(_recording(sample_index, embedder, after_refusal), "他说常州要打造什么？", refused,
                   config=DialogueConfig(near_prior=0.5))
    assert all("previous" not in kw for kw in after_refusal)  # a refusal quoted nothing


def test_a_passage_the_search_left_out_joins_the_top_five(sample_index, embedder):
    plain = retrieve(sample_index, QUESTION, embedder=embedder, k=8)
    left_out = plain[6].chunk  # rank 7 of the sample's 8 passages: not in the top 5
    quote = _sentence_of(left_out.text)
    bound = functools.partial(retrieve, sample_index)
    joined = retrieve_in_context(bound, sample_index, QUESTION, "", embedder=embedder, k=5, previous=[quote],
                                 near_join=True)
    assert [h.chunk.chunk_id for h in joined[:4]] == [h.chunk.chunk_id for h in plain[:4]]  # the order is kept
    assert joined[4].chunk.chunk_id == left_out.chunk_id and joined[4].rank == 5
    # a quote the top 5 already holds changes nothing
    kept = retrieve_in_context(bound, sample_index, QUESTION, "", embedder=embedder, k=5,
                               previous=[_sentence_of(plain[1].chunk.text)], near_join=True)
    assert [h.chunk.chunk_id for h in kept] == [h.chunk.chunk_id for h in plain[:5]]


def test_previous_passages_finds_a_passage_by_its_quote(sample_index):
    chunk = sample_index.chunks[3]
    rows = previous_passages(sample_index, [_sentence_of(chunk.text)])
    assert 3 in rows and all(_sentence_of(chunk.text) in sample_index.chunks[r].text for r in rows)
    assert 3 in previous_passages(sample_index, [search_form(_sentence_of(chunk.text))])  # re-typed: search form
    assert previous_passages(sample_index, ["这句话不在任何段落里出现过"]) == []


def test_a_topic_switch_is_searched_as_alone(sample_index, embedder):
    first = ask(sample_index, "常州市委书记是谁？", embedder=embedder)
    history = [Turn("常州市委书记是谁？", first.answer, first.search_question)]
    seen: list = []
    ask_in_context(_recording(sample_index, embedder, seen), "温州人工智能局做什么？", history)  # names its own place
    assert all("previous" not in kw for kw in seen)
