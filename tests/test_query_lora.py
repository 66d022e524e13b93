"""The query-side LoRA (rag/query_lora.py): file format, the hooks, the embedder method and the retrieve() hook —
questions move, passages never do, and it applies only where it was asked for and fitted."""

from __future__ import annotations

import numpy as np
import pytest

from rag.errors import QueryError
from rag.index import open_index
from rag.query_lora import QueryLora, load_lora, lora_for_index, save_lora
from rag.retrieve import RetrieveConfig, retrieve


def _random_lora(fp: str, layers=(10, 11), r: int = 4, scale: float = 2.0, zero_b: bool = False, seed: int = 0):
    g = np.random.default_rng(seed)
    w = {}
    for i in layers:
        for name in ("attention.self.query", "attention.self.value"):
            b = np.zeros((384, r), np.float32) if zero_b else (0.2 * g.standard_normal((384, r))).astype(np.float32)
            w[f"encoder.layer.{i}.{name}"] = ((g.standard_normal((r, 384)) / 20).astype(np.float32), b)
    return QueryLora(fp, w, scale, {"fitted_on": "test"})


def test_round_trip_and_bad_files(tmp_path):
    lo = _random_lora("fp-1")
    save_lora(tmp_path / "l.json", lo)
    back = load_lora(tmp_path / "l.json")
    assert back.fingerprint == "fp-1" and back.scale == 2.0 and set(back.weights) == set(lo.weights)
    for n, (a, b) in lo.weights.items():
        assert np.array_equal(back.weights[n][0], a) and np.array_equal(back.weights[n][1], b)
    assert load_lora(tmp_path / "missing.json") is None
    for text in ("{", '{"format": 1, "kind": "other"}', '{"format": 1, "kind": "query-lora", "layers": {}}',
                 '[1, 2]', '{"format": 1, "kind": "query-lora", "fingerprint": "x", "layers": []}'):
        (tmp_path / "bad.json").write_text(text, encoding="utf-8")
        from rag.query_lora import _load
        _load.cache_clear()
        with pytest.raises(QueryError, match="fit_query_lora"):
            load_lora(tmp_path / "bad.json")
    with pytest.raises(QueryError, match="auto, on or off"):
        lora_for_index(None, object(), "sometimes")


def test_lora_moves_questions_only_and_is_inactive_outside(tmp_path, embedder):
    q = "老公欠的债我要还吗"
    plain = embedder.embed_queries([q])[0]
    psg = embedder.embed_passages(["第一千零六十四条 夫妻双方共同签名的债务，属于夫妻共同债务。"])[0]
    lo = _random_lora(embedder.fingerprint)
    moved = embedder.embed_queries_lora([q], lo)[0]
    assert abs(float(np.linalg.norm(moved)) - 1) < 1e-3 and float(moved @ plain) < 0.999
    # outside embed_queries_lora the model is exactly as before (hooks inactive), for questions and passages
    assert np.allclose(embedder.embed_queries([q])[0], plain, atol=1e-6)
    assert np.allclose(embedder.embed_passages(["第一千零六十四条 夫妻双方共同签名的债务，属于夫妻共同债务。"])[0],
                       psg, atol=1e-6)
    # B = 0: the LoRA is the identity
    ident = embedder.embed_queries_lora([q], _random_lora(embedder.fingerprint, zero_b=True))[0]
    assert np.allclose(ident, plain, atol=1e-5)


def _dense(home, embedder, q, **cfg):
    return [(h.chunk.chunk_id, round(h.dense or 0, 5)) for h in
            retrieve(open_index(home), q, embedder=embedder, k=10, mode="dense", config=RetrieveConfig(**cfg))]


def test_retrieve_hook_on_statute_indexes_only_and_only_for_its_embedder(tmp_path, law_home, built_home, embedder):
    path = tmp_path / "l.json"
    save_lora(path, _random_lora(embedder.fingerprint, scale=4.0))
    q = "试用期最长可以约定多久"
    off = _dense(law_home, embedder, q, query_lora="off", lora=str(path))
    assert _dense(law_home, embedder, q, query_lora="auto", lora=str(path)) != off
    hits = retrieve(open_index(law_home), q, embedder=embedder, k=3, config=RetrieveConfig(query_lora="auto",
                                                                                            lora=str(path)))
    assert all(h.adapted for h in hits)
    # news index: "auto" changes nothing; a LoRA fitted for other weights is not used anywhere
    assert _dense(built_home, embedder, "温州人工智能局做什么", query_lora="auto", lora=str(path)) == \
        _dense(built_home, embedder, "温州人工智能局做什么", query_lora="off")
    other = tmp_path / "other.json"
    save_lora(other, _random_lora("other-weights"))
    assert _dense(law_home, embedder, q, query_lora="on", lora=str(other)) == off


def test_bench_training_raises_the_gold_passages_in_sample(embedder, e5_model):
    """bench/fit_query_lora.py's train() on a toy set: after training, questions sit closer to their gold passages
    than before (in sample; the honest numbers are the CV in docs/legal-retrieval.md)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from fit_query_lora import Encoder, LoraConfig, embed_with, train

    arts = ["劳动合同期限三个月以上不满一年的，试用期不得超过一个月。", "夫妻双方共同签名的债务，属于夫妻共同债务。",
            "用人单位自用工之日起即与劳动者建立劳动关系。", "自然人从事工商业经营，经依法登记，为个体工商户。",
            "消费者享有自主选择商品或者服务的权利。", "劳动者每年享受带薪年休假。"]
    qs = ["试用期最长多久", "老公欠的钱我要还吗", "什么时候算建立劳动关系", "开小店要登记吗"]
    P = embedder.embed_passages(arts)
    golds = [{0}, {1}, {2}, {3}]
    enc = Encoder(str(embedder.folder))
    cfg = LoraConfig(rank=4, lr=5e-3, epochs=6, batch=4, first_layer=10)
    states = enc.lower(qs, cfg.first_layer)
    before = embed_with(enc, states, None, cfg)
    assert np.allclose(before, embedder.embed_queries(qs), atol=2e-2)  # fp32 here, the product may run bf16
    after = embed_with(enc, states, train(enc, states, golds, P, cfg)[cfg.epochs], cfg)

    def margin(V):  # gold cosine minus the best other passage's, averaged over the questions
        return np.mean([V[i] @ P[i] - np.max(np.delete(V[i] @ P.T, i)) for i in range(len(qs))])
    assert margin(after) > margin(before) + 0.01, (margin(before), margin(after))
