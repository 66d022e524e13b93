"""Query micro-batching with the real e5-small embedder and real threads."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from rag.batching import QueryBatcher

QUESTIONS = ["温州人工智能局做什么", "苏州发展人工智能选择了什么路径", "合肥什么时候首次提到人工智能",
             "长三角人工智能产业规模占全国多少", "今天股市涨了吗", "What does the Wenzhou AI bureau do?"] * 4


def _concurrently(fn, items):
    out: dict[int, object] = {}
    start = threading.Barrier(len(items))

    def worker(i, x):
        start.wait()
        try:
            out[i] = fn(x)
        except Exception as e:  # collected and asserted on by the caller
            out[i] = e

    ts = [threading.Thread(target=worker, args=(i, x)) for i, x in enumerate(items)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return [out[i] for i in range(len(items))]


def test_concurrent_queries_are_batched_and_each_gets_its_own_vector(embedder):
    b = QueryBatcher(embedder, max_batch=8, max_wait_ms=20)
    got = _concurrently(lambda q: b.embed_queries([q])[0], QUESTIONS)
    want = np.stack([embedder.embed_queries([q])[0] for q in QUESTIONS])
    # e5-small runs bf16 on this CPU: padding in a batch moves vectors by ~1% cosine (as in test_embed)
    assert (np.sum(np.stack(got) * want, axis=1) > 0.98).all()
    best = np.argmax(np.stack(got) @ want.T, axis=1) % 6  # the list repeats every 6 questions
    assert best.tolist() == [i % 6 for i in range(len(QUESTIONS))]
    assert sum(b.batches) == len(QUESTIONS) and max(b.batches) > 1 and max(b.batches) <= 8
    assert (b.name, b.dim, b.fingerprint) == (embedder.name, embedder.dim, embedder.fingerprint)


def _best_of(fn, n=3) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def test_a_lone_client_does_not_wait(embedder):
    b = QueryBatcher(embedder, max_wait_ms=200)
    b.embed_queries(["预热"])
    batched = _best_of(lambda: b.embed_queries(["温州人工智能局做什么"]))
    plain = _best_of(lambda: embedder.embed_queries(["温州人工智能局做什么"]))
    assert batched < plain + 0.1 and b.batches == [1, 1, 1, 1]  # waiting would cost 0.2 s


class _Failing:
    name, dim, fingerprint = "failing", 3, "x"

    def embed_queries(self, texts):
        from rag.errors import EmbedderError

        raise EmbedderError("server down")


def test_errors_reach_every_waiting_caller_and_the_batcher_recovers():
    from rag.errors import EmbedderError

    b = QueryBatcher(_Failing(), max_wait_ms=10)
    got = _concurrently(lambda q: b.embed_queries([q]), ["a", "b", "c", "d"])
    assert all(isinstance(e, EmbedderError) for e in got)
    with pytest.raises(EmbedderError):
        b.embed_queries(["again"])


def test_searcher_with_batching_answers_concurrently(built_home):
    from rag.qa import Searcher

    s = Searcher(built_home, batch_queries=True)
    answers = _concurrently(lambda q: s.ask(q), QUESTIONS[:12])
    assert isinstance(s.embedder, QueryBatcher)
    assert all(not isinstance(a, Exception) for a in answers)
    assert answers[0].answerable and "人工智能局" in answers[0].citations[0].quote
    assert not answers[4].answerable  # 今天股市涨了吗
    assert answers[1].answerable and answers[1].citations[0].doc_id == answers[0].citations[0].doc_id
