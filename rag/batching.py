"""Micro-batching of concurrent query embeddings for a serving process.

A server answers each request on its own thread, and every question starts
with one query embedding; one at a time, those dominate latency under load
(20 clients queued behind each other). :class:`QueryBatcher` wraps an
:class:`~rag.embed.Embedder`: the first thread to arrive becomes the leader,
waits up to ``max_wait_ms`` for others (at most ``max_batch`` queries), embeds
them all in one call and hands each thread its row. It waits only while
requests are concurrent (the previous batch held more than one query, or
several are queued), so a lone client pays nothing. Leadership passes on
after each batch, so no thread serves others forever. Passages are passed straight through. Results
are the same vectors as unbatched calls, up to the embedder's own batch
padding noise. This module does not retrieve or cache.

    >>> from rag.embed import get_embedder                    # doctest: +SKIP
    >>> emb = QueryBatcher(get_embedder("e5-small"))          # doctest: +SKIP
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

__all__ = ["QueryBatcher"]


class _Slot:
    __slots__ = ("texts", "out", "error", "done")

    def __init__(self, texts: list[str]):
        self.texts, self.out, self.error, self.done = texts, None, None, threading.Event()


class QueryBatcher:
    """An embedder whose ``embed_queries`` calls from many threads are grouped into one batch."""

    def __init__(self, inner, *, max_batch: int = 32, max_wait_ms: float = 3.0):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.max_batch, self.max_wait = max_batch, max_wait_ms / 1000
        self._cond = threading.Condition()
        self._queue: list[_Slot] = []
        self._leader = False
        self._last = 1  # size of the previous batch
        self.batches: list[int] = []  # sizes of the batches run (for benchmarks and tests)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        slot = _Slot(list(texts))
        with self._cond:
            self._queue.append(slot)
            self._cond.notify_all()
        while not slot.done.is_set():
            with self._cond:
                self._cond.wait_for(lambda: slot.done.is_set() or not self._leader)
                if slot.done.is_set():
                    break
                self._leader = True
            try:
                self._run(self._collect())
            finally:
                with self._cond:
                    self._leader = False
                    self._cond.notify_all()
        if slot.error is not None:
            raise slot.error
        return slot.out

    def _collect(self) -> list[_Slot]:
        """Wait up to ``max_wait`` for a full batch, then take the oldest queries (at most ``max_batch``)."""
        with self._cond:
            if self._last > 1 or len(self._queue) > 1:  # only under concurrency: a lone client never waits
                self._cond.wait_for(lambda: sum(len(s.texts) for s in self._queue) >= self.max_batch,
                                    timeout=self.max_wait)
            batch, n = [], 0
            while self._queue and (not batch or n + len(self._queue[0].texts) <= self.max_batch):
                s = self._queue.pop(0)
                batch.append(s)
                n += len(s.texts)
            return batch

    def _run(self, batch: list[_Slot]) -> None:
        if not batch:
            return
        texts = [t for s in batch for t in s.texts]
        try:
            vecs = self.inner.embed_queries(texts)
        except BaseException as e:  # every waiting thread gets the embedder's own error
            for s in batch:
                s.error = e
                s.done.set()
            return
        self.batches.append(len(texts))
        self._last = len(texts)
        i = 0
        for s in batch:
            s.out = vecs[i:i + len(s.texts)]
            i += len(s.texts)
            s.done.set()

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)
