"""What a follow-up costs beyond the question asked alone (issue 11, round 14), on the real embedder and index.

A follow-up's further readings (:mod:`rag.incontext`, :mod:`rag.law_followup`) answer other wordings on the passages
the first reading retrieved; the text work that depends on the passage alone (folding to simplified lower case,
sentence bigrams) is remembered (:func:`rag.textnorm.folded`, :func:`rag.evidence.sentence_bigrams`), and an
already-normal text skips :func:`rag.textnorm.normalize`'s per-character loop. None of it may change an answer.
"""

from __future__ import annotations

import functools
import random

import pytest

from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.qa import ask

from .helpers import converse


def test_normalize_returns_a_normal_text_as_is_and_agrees_with_the_character_loop():
    from rag.textnorm import _normalize, normalize

    rng = random.Random(14)
    alphabet = list("ab温州 \n\r\t\u3000\uff21\uff0c\u200b\x7f\xa0\u2028。")
    texts = ["", " ", "\n", "a b", "a  b", "a\n\nb", "a\n\n\nb", "a \nb", "a\n b", " a", "a ", "a\n", "\na",
             "《中华人民共和国劳动合同法》第三十八条 用人单位有下列情形之一的，劳动者可以解除劳动合同。[1]"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 10))) for _ in range(20000)]
    for t in texts:
        assert normalize(t) == _normalize(t), repr(t)
    plain = "温州人工智能局做什么？\n答：负责全市人工智能产业。"
    assert normalize(plain) == (plain, list(range(len(plain))))


def _counting_fold(monkeypatch) -> list[str]:
    """Record every text folded to simplified characters (in whichever module folds it)."""
    import rag.textnorm

    seen: list[str] = []
    real = rag.textnorm.to_simplified

    def counting(text):
        seen.append(text)
        return real(text)

    for mod in ("rag.textnorm", "rag.evidence", "rag.select", "rag.agreement", "rag.statute_answer"):
        monkeypatch.setattr(f"{mod}.to_simplified", counting, raising=False)
    return seen


def test_a_second_reading_on_the_same_passages_folds_no_passage_again(sample_index, embedder, monkeypatch):
    """The ``reconsider`` hook answers another wording on the hits of the first (as a follow-up's second reading
    does): the passages and sentences were folded for the first reading, so only the new wording is."""
    recorded: list[list[str]] = []
    texts: set[str] = set()

    def second(ans, answer_as):
        for h in answer_as.hits[:2]:
            texts.add(h.chunk.text)
            texts.update(h.chunk.text[s - h.chunk.start:e - h.chunk.start] for s, e in h.chunk.sentences)
        recorded.append(_counting_fold(monkeypatch))  # from here on, every fold is recorded
        answer_as("杭州人工智能企业有多少家", "温州人工智能局做什么", 2)
        return ans

    ask(sample_index, "温州人工智能局做什么", embedder=embedder, k=5, reconsider=second)
    assert texts and recorded and recorded[0], "the second reading folded nothing at all: the test cannot see"
    folded_again = [t for t in recorded[0] if t in texts]
    assert not folded_again, folded_again[:3]


class _CountingQueries:
    """The real embedder, counting query encoder calls and texts."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.calls = self.texts = 0

    def embed_queries(self, texts):
        self.calls, self.texts = self.calls + 1, self.texts + len(texts)
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)


def test_an_article_follow_up_costs_one_query_embedding_like_the_question_alone(sample_index, embedder):
    """Every further reading reuses the turn's and the previous turn's query vectors (rag.query_cache)."""
    counting = _CountingQueries(embedder)
    one = functools.partial(ask, sample_index, embedder=counting, k=5)
    first = one("2021年杭州有多少家人工智能企业？")
    history = [Turn("2021年杭州有多少家人工智能企业？", first.answer, first.search_question)]
    for follow_up in ("其中应用层企业有多少家？", "比前一年多了多少？", "南京呢？"):
        before = counting.calls
        ask_in_context(one, follow_up, history)
        assert counting.calls - before == 1, follow_up


def test_law_follow_up_readings_cost_at_most_one_query_embedding(law_home, embedder):
    """The typed reading embeds the question; the previous-search reading mixes that vector with the previous
    question's (both remembered): no second embedding."""
    from rag.index import open_index

    idx = open_index(law_home)
    counting = _CountingQueries(embedder)
    one = functools.partial(ask, idx, embedder=counting, k=5)
    answers = converse(one, ["劳动者提前多少天通知可以解除劳动合同？"])
    history = [Turn("劳动者提前多少天通知可以解除劳动合同？", answers[0].answer, answers[0].search_question)]
    before = counting.calls
    a = ask_in_context(one, "试用期内呢？", history)
    assert a.timings_ms.get("law_readings", 0) >= 1
    assert counting.calls - before <= 1


@pytest.mark.parametrize("questions", [["2021年杭州有多少家人工智能企业？", "其中应用层企业有多少家？", "南京呢？",
                                        "比前一年多了多少？"]])
def test_remembered_folds_change_no_answer(sample_index, embedder, questions):
    """The same conversation with every remembered fold forgotten before each turn and with them kept: identical."""
    from rag.evidence import sentence_bigrams
    from rag.textnorm import folded

    one = functools.partial(ask, sample_index, embedder=embedder, k=5)
    warm = converse(one, questions)
    cold, history = [], []
    for q in questions:
        folded.cache_clear()
        sentence_bigrams.cache_clear()
        a = ask_in_context(one, q, history, config=DialogueConfig())
        cold.append(a)
        history.append(Turn(q, a.answer, a.search_question))
    assert [(a.answer, a.search_question, a.answerable) for a in warm] == \
        [(a.answer, a.search_question, a.answerable) for a in cold]


# ------------------------------------------------------------------ round 15

def test_a_chinese_answer_with_its_punctuation_takes_no_character_loop(monkeypatch):
    """The kept full-width ，！？；：（） are copied as they are by the loop, so a text holding them and nothing else
    that would change is already normal (round 14 sent every Chinese answer through the loop, many times per law
    follow-up: its history's answers)."""
    import rag.textnorm
    from rag.textnorm import _normalize, normalize

    answer = "《中华人民共和国劳动合同法》第三十八条 用人单位有下列情形之一的，劳动者可以解除劳动合同：（一）未按照约定提供劳动保护的；[1]"
    question = "试用期内呢？能不能辞职！"
    for text in (answer, question):
        assert _normalize(text) == (text, list(range(len(text))))

    def loop(text):
        raise AssertionError(f"character loop for {text!r}")

    monkeypatch.setattr(rag.textnorm, "_normalize", loop)
    for text in (answer, question):
        assert normalize(text) == (text, list(range(len(text))))


def test_a_law_follow_up_sends_no_normal_text_through_the_character_loop(law_home, embedder, monkeypatch):
    """On the real index, a law follow-up's history (questions and statute answers with ，：（）) is read with no
    character loop: only a text the loop changes goes through it."""
    import rag.textnorm
    from rag.index import open_index

    idx = open_index(law_home)
    one = functools.partial(ask, idx, embedder=embedder, k=5)
    questions = ["劳动者提前多少天通知可以解除劳动合同？", "试用期内呢？"]
    first = converse(one, questions[:1])[0]
    assert first.answerable and "，" in first.answer, "the first answer must hold a ， for the test to see"
    looped: list[str] = []
    real = rag.textnorm._normalize

    def recording(text):
        looped.append(text)
        return real(text)

    monkeypatch.setattr(rag.textnorm, "_normalize", recording)
    ask_in_context(one, questions[1], [Turn(questions[0], first.answer, first.search_question)])
    assert not [t for t in looped if real(t)[0] == t], looped[:2]


def _statute_answer(question: str, confidence: float) -> object:
    from rag.records import Answer, Citation

    quote = "用人单位自用工之日起即与劳动者建立劳动关系。"
    cit = Citation(n=1, doc_id="d", title="中华人民共和国劳动合同法", section="", chunk_id="c7", start=0,
                   end=len(quote), quote=quote, text=quote, score=1.0, quote_start=0, quote_end=len(quote),
                   label="《中华人民共和国劳动合同法》第七条")
    return Answer(question=question, answer=f"{cit.label} {quote}[1]", answerable=True, citations=[cit],
                  confidence=confidence)


@pytest.mark.parametrize("typed, answered", [(0.95, 1), (0.9, 1), (0.85, 2), (0.3, 2)])
def test_a_law_reading_that_cannot_win_is_not_answered(typed, answered):
    """A law follow-up's readings compete on confidence, the typed one 0.1 ahead: once it answers at 0.9 or more no
    other reading (confidence at most 1) can score above it, so none is answered — and the typed answer stands,
    as it did when every reading was answered (round 14 answered both)."""
    from rag.law_followup import ask_law_followup

    calls: list[str] = []

    def stub(wording, **kw):
        calls.append(wording)
        return _statute_answer(wording, typed if len(calls) == 1 else 1.0)

    history = [Turn("签了劳动合同以后什么时候开始算劳动关系？", _statute_answer("x", 0.8).answer,
                    "签了劳动合同以后什么时候开始算劳动关系？")]
    ans = ask_law_followup(stub, "用人单位要建立职工名册吗？", history)
    assert len(calls) == answered, calls
    assert ans.timings_ms["law_readings"] == answered
    assert ans.search_question == ("用人单位要建立职工名册吗？" if answered == 1 else ans.search_question)
    if answered == 2:  # the previous-search reading, at 1.0, beats a typed one below 0.9
        assert ans.search_question != "用人单位要建立职工名册吗？"
