"""The prepared evidence re-rank (rag/evidence_rerank.py) gives exactly the numbers of the score_sentences one."""

from __future__ import annotations

import random

import pytest

from rag.evidence import evidence, score_sentences
from rag.evidence_rerank import evidence_rerank
from rag.index import open_index
from rag.records import Hit

QUESTIONS = ("温州人工智能局做什么", "杭州2021年有多少人工智能企业", "试用期最长能约定多久？", "公司不跟我签书面合同，能要几倍工资？",
             "What does the Wenzhou AI bureau do?", "？？", "😀", "劳动者每年享受带薪年休假多少天", "溫州人工智慧局做什麼")


def reference(index, question: str, scores: dict[int, float], *, weight: float = 0.8, depth: int = 20):
    """The re-rank as rag.retrieve computed it before (every sentence scored by score_sentences)."""
    top_rows = sorted(scores, key=lambda r: (-scores[r], r))[:depth]
    if not top_rows or weight <= 0:
        return scores
    top = scores[top_rows[0]] or 1.0
    hits = [Hit(chunk=index.chunks[r], score=scores[r], rank=i + 1) for i, r in enumerate(top_rows)]
    best: dict[str, float] = {}
    for s in score_sentences(question, hits, index.keyword.idf):
        cid = s.hit.chunk.chunk_id
        best[cid] = max(best.get(cid, 0.0), evidence(s))
    return {r: scores[r] / top + weight * best.get(index.chunks[r].chunk_id, 0.0) for r in top_rows}


@pytest.mark.parametrize("which", ["sample", "laws"])
def test_same_numbers_as_score_sentences(which, built_home, law_home):
    index = open_index(built_home if which == "sample" else law_home)
    rng = random.Random(7)
    n = len(index.chunks)
    for question in QUESTIONS:
        for depth, weight in ((20, 0.8), (5, 0.5), (n + 3, 0.8), (20, 0.0)):
            rows = rng.sample(range(n), min(n, 40))
            scores = {r: rng.choice([0.0, 1.0, rng.random()]) for r in rows}  # ties and zeros too
            for _ in range(2):  # the second call reads the prepared rows
                assert evidence_rerank(index, question, scores, weight=weight, depth=depth) == \
                    reference(index, question, scores, weight=weight, depth=depth)
    assert evidence_rerank(index, "任何问题", {}) == {}


def test_overlapping_passages_credit_a_sentence_once(built_home):
    """Rows of one document in rank order: a sentence two passages share counts for the first only."""
    index = open_index(built_home)
    rows = list(range(min(len(index.chunks), 30)))
    scores = {r: 1.0 - r / 100 for r in rows}
    q = "温州挂牌成立全国首个人工智能局"
    assert evidence_rerank(index, q, scores, depth=30) == reference(index, q, scores, depth=30)
    reversed_scores = {r: r / 100 for r in rows}
    assert evidence_rerank(index, q, reversed_scores, depth=30) == reference(index, q, reversed_scores, depth=30)


def test_a_full_cache_starts_afresh_with_the_same_numbers(built_home, monkeypatch):
    import rag.evidence_rerank as er

    monkeypatch.setattr(er, "MAX_ROWS", 3)
    index = open_index(built_home)
    scores = {r: 1.0 / (r + 1) for r in range(min(len(index.chunks), 12))}
    for q in QUESTIONS[:3]:
        assert evidence_rerank(index, q, scores) == reference(index, q, scores)
    assert len(index.derived("evidence-rerank", er._Prepared).rows) <= 3


def test_concurrent_calls_with_a_small_cache_give_the_same_numbers(law_home, monkeypatch):
    """As `rag serve` calls it: threads share one index's prepared rows while the cache keeps starting afresh."""
    import threading

    import rag.evidence_rerank as er

    monkeypatch.setattr(er, "MAX_ROWS", 7)
    index = open_index(law_home)
    rng = random.Random(3)
    n = len(index.chunks)
    cases = []
    for i in range(24):
        rows = rng.sample(range(n), min(n, 25))
        cases.append((QUESTIONS[i % len(QUESTIONS)], {r: rng.random() for r in rows}))
    expected = [reference(index, q, s) for q, s in cases]
    wrong: list[int] = []

    def work(offset: int) -> None:
        for k in range(len(cases)):
            i = (k + offset) % len(cases)
            if evidence_rerank(index, *cases[i]) != expected[i]:
                wrong.append(i)

    threads = [threading.Thread(target=work, args=(t * 5,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not wrong
    prep = index.derived("evidence-rerank", er._Prepared)
    assert len(prep.rows) <= 7 and prep.rows  # bounded, and used
