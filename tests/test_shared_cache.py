"""A shared embedding cache behind each data dir's own (``$RAG_SHARED_EMBED_CACHE``, rag.embed_cache.open_cache).

With it, a text embedded for one data dir is not embedded again for another: the second build takes the vectors
from the shared cache (the real e5 vectors of the first build), copies them into its own cache, and answers alike.
Without it, or when it cannot be opened, every data dir embeds on its own, as before.
"""

from __future__ import annotations

import sqlite3

import numpy as np

from rag.embed_cache import SHARED_CACHE_ENV
from rag.index import open_index
from rag.qa import Searcher
from rag.update import update_index

from .helpers import CountingEmbedder

TEXT = "# 示范市公告\n\n示范市图书馆周末开放到晚上九点，借书证免费办理。\n\n示范市数据局成立于2026年3月，负责统筹算力建设。\n"


def _rows(home) -> int:
    db = sqlite3.connect(str(home / "cache" / "embeddings.sqlite"))
    try:
        return db.execute("SELECT count(*) FROM vec").fetchone()[0]
    finally:
        db.close()


def test_a_second_data_dir_takes_the_vectors_from_the_shared_cache(tmp_path, embedder, monkeypatch):
    doc = tmp_path / "公告.md"
    doc.write_text(TEXT, encoding="utf-8")
    monkeypatch.setenv(SHARED_CACHE_ENV, str(tmp_path / "shared.sqlite"))
    first, second = CountingEmbedder(embedder), CountingEmbedder(embedder)
    update_index([doc], home=tmp_path / "a", embedder=first, progress=False)
    update_index([doc], home=tmp_path / "b", embedder=second, progress=False)
    assert first.passages and second.passages == []  # embedded once, for the first data dir only
    assert _rows(tmp_path / "b") == _rows(tmp_path / "a") == len(first.passages)  # the own cache is complete
    a, b = open_index(tmp_path / "a"), open_index(tmp_path / "b")
    np.testing.assert_array_equal(a.dense.vectors(), b.dense.vectors())
    ans = Searcher(tmp_path / "b", embedder=embedder).ask("示范市数据局负责什么")
    assert ans.answerable and "算力" in ans.answer


def test_without_it_or_when_it_cannot_be_opened_each_data_dir_embeds(tmp_path, embedder, monkeypatch):
    doc = tmp_path / "公告.md"
    doc.write_text(TEXT, encoding="utf-8")
    monkeypatch.delenv(SHARED_CACHE_ENV, raising=False)
    first, second = CountingEmbedder(embedder), CountingEmbedder(embedder)
    update_index([doc], home=tmp_path / "a", embedder=first, progress=False)
    update_index([doc], home=tmp_path / "b", embedder=second, progress=False)
    assert first.passages and sorted(second.passages) == sorted(first.passages)
    (tmp_path / "not-a-file").mkdir()
    monkeypatch.setenv(SHARED_CACHE_ENV, str(tmp_path / "not-a-file"))  # a folder: cannot be opened as sqlite
    third = CountingEmbedder(embedder)
    update_index([doc], home=tmp_path / "c", embedder=third, progress=False)
    assert sorted(third.passages) == sorted(first.passages) and _rows(tmp_path / "c") == len(first.passages)


def test_another_precision_never_receives_the_shared_vectors(tmp_path, embedder, monkeypatch):
    """int8, bf16 and fp32 e5 share one weights fingerprint: the shared cache keys also hold the precision, so a
    build at another precision embeds on its own (review of round 13)."""
    doc = tmp_path / "公告.md"
    doc.write_text(TEXT, encoding="utf-8")
    monkeypatch.setenv(SHARED_CACHE_ENV, str(tmp_path / "shared.sqlite"))
    first, second, third = (CountingEmbedder(embedder) for _ in range(3))
    first.precision, second.precision, third.precision = "fp32", "int8", "fp32"
    update_index([doc], home=tmp_path / "a", embedder=first, progress=False)
    update_index([doc], home=tmp_path / "b", embedder=second, progress=False)
    update_index([doc], home=tmp_path / "c", embedder=third, progress=False)
    assert first.passages and sorted(second.passages) == sorted(first.passages)  # not served the fp32 vectors
    assert third.passages == []  # the same precision still shares


def test_a_damaged_shared_cache_does_not_fail_a_build(tmp_path, embedder, monkeypatch):
    """A shared file that is not a database is skipped on reads and writes alike; the build keeps its own cache."""
    doc = tmp_path / "公告.md"
    doc.write_text(TEXT, encoding="utf-8")
    shared = tmp_path / "shared.sqlite"
    update_index([doc], home=tmp_path / "seed", embedder=embedder, progress=False)  # a valid sqlite file to damage
    shared.write_bytes((tmp_path / "seed" / "cache" / "embeddings.sqlite").read_bytes()[:4096] + b"\x00garbage" * 4096)
    monkeypatch.setenv(SHARED_CACHE_ENV, str(shared))
    counting = CountingEmbedder(embedder)
    update_index([doc], home=tmp_path / "a", embedder=counting, progress=False)
    assert counting.passages and _rows(tmp_path / "a") == len(counting.passages)
