"""The query-side adapter (rag/query_adapter.py): the shipped file, the fingerprint guard, bad files,
and the retrieve() hook — on for statute indexes, identical results everywhere else."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from rag.errors import QueryError
from rag.expand import is_statute_index
from rag.index import open_index
from rag.query_adapter import DEFAULT_ADAPTER, QueryAdapter, adapter_for, adapter_for_index, load_adapter, save_adapter
from rag.retrieve import RetrieveConfig, retrieve


def _random_adapter(fp: str, d: int = 384, r: int = 4, scale: float = 0.5, seed: int = 0) -> QueryAdapter:
    g = np.random.default_rng(seed)
    return QueryAdapter(fp, U=(scale * g.standard_normal((d, r))).astype(np.float32),
                        V=(scale * g.standard_normal((d, r))).astype(np.float32), meta={"fitted_on": "test"})


def test_shipped_adapter_is_small_fitted_on_tune_for_the_default_embedder(embedder):
    assert DEFAULT_ADAPTER.stat().st_size <= 1_000_000
    ad = load_adapter()
    assert ad is not None and "tune" in ad.meta["fitted_on"]
    assert adapter_for(embedder) is ad, "the shipped adapter must match the default embedder's weights"
    q = embedder.embed_queries(["老公欠的债我要还吗"])[0]
    v = ad.apply(q)
    assert v.shape == q.shape and abs(float(np.linalg.norm(v)) - 1) < 1e-5
    assert np.isfinite(v).all() and float(v @ q) < 0.9999
    assert np.allclose(ad.apply(np.stack([q, q]))[1], v, atol=1e-6)


def test_save_load_round_trip_and_zero_map_is_identity(tmp_path):
    ad = _random_adapter("fp-1")
    save_adapter(tmp_path / "a.json", ad)
    back = load_adapter(tmp_path / "a.json")
    assert back.fingerprint == "fp-1" and np.array_equal(back.U, ad.U) and np.array_equal(back.V, ad.V)
    q = np.random.default_rng(1).standard_normal(384).astype(np.float32)
    q /= np.linalg.norm(q)
    assert np.allclose(back.apply(q), ad.apply(q))
    zero = QueryAdapter("fp", U=np.zeros((384, 4), np.float32), V=ad.V)
    assert np.allclose(zero.apply(q), q, atol=1e-6)
    full = QueryAdapter("fp", A=np.zeros((384, 384), np.float32))
    save_adapter(tmp_path / "full.json", full)
    assert np.allclose(load_adapter(tmp_path / "full.json").apply(q), q, atol=1e-6)
    assert load_adapter(tmp_path / "missing.json") is None


def test_other_embedder_weights_get_no_adapter_and_one_log_line(tmp_path, embedder, caplog):
    save_adapter(tmp_path / "a.json", _random_adapter("some-other-weights"))
    with caplog.at_level(logging.INFO, logger="rag.query_adapter"):
        assert adapter_for(embedder, tmp_path / "a.json") is None
        assert adapter_for(embedder, tmp_path / "a.json") is None
    assert sum("not used" in r.getMessage() for r in caplog.records) == 1


@pytest.mark.parametrize("text", ["{", '{"format": 99}', '{"format": 1, "fingerprint": "x", "matrices": {}}',
                                  ('{"format": 1, "fingerprint": "x", "matrices": {"A": {"shape": [2, 2], '
                                   '"dtype": "float64", "base64": ""}}}')])
def test_bad_adapter_file_is_a_clear_error(tmp_path, text):
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    with pytest.raises(QueryError, match="fit_query_adapter"):
        load_adapter(tmp_path / "bad.json")
    with pytest.raises(QueryError, match="auto, on or off"):
        adapter_for_index(None, object(), "sometimes")


def _top(home, embedder, question, **cfg):
    hits = retrieve(open_index(home), question, embedder=embedder, k=10, config=RetrieveConfig(**cfg))
    return [(h.chunk.chunk_id, round(h.score, 6)) for h in hits]


def test_hook_moves_dense_scoring_on_statute_indexes_only(tmp_path, law_home, built_home, embedder):
    assert is_statute_index(open_index(law_home)) and not is_statute_index(open_index(built_home))
    strong = tmp_path / "strong.json"
    save_adapter(strong, _random_adapter(embedder.fingerprint, scale=2.0))
    q = "试用期最长可以约定多久"
    # a statute index: a (deliberately wild) adapter changes the dense ranking, "off" does not use it
    plain = retrieve(open_index(law_home), q, embedder=embedder, k=10, mode="dense",
                     config=RetrieveConfig(query_adapter="off", adapter=str(strong)))
    moved = retrieve(open_index(law_home), q, embedder=embedder, k=10, mode="dense",
                     config=RetrieveConfig(query_adapter="auto", adapter=str(strong)))
    assert [h.dense for h in plain] != [h.dense for h in moved]
    # the sample article's index (news): "auto" leaves every hit and score as it was
    for question in ("温州人工智能局做什么", "北京的房价是多少"):
        assert _top(built_home, embedder, question, query_adapter="auto", adapter=str(strong)) == \
            _top(built_home, embedder, question, query_adapter="off")


def test_shipped_adapter_keeps_the_probation_article_in_the_top_five(law_home, embedder):
    hits = retrieve(open_index(law_home), "试用期最长可以约定多久", embedder=embedder, k=5,
                    config=RetrieveConfig(query_adapter="auto"))
    assert any(h.chunk.article == "第十九条" and "劳动合同法" in h.title for h in hits), \
        [(h.title, h.chunk.article) for h in hits]


def test_adapter_weights_apply_only_with_the_adapter(tmp_path, law_home, embedder):
    """On a statute index the hybrid uses ``adapter_weights`` when the adapter applies, and
    the general weights (unchanged results) when it is off."""
    zero = tmp_path / "zero.json"
    save_adapter(zero, QueryAdapter(embedder.fingerprint, U=np.zeros((384, 2), np.float32),
                                    V=np.zeros((384, 2), np.float32)))
    q = "用人单位解除劳动合同要给经济补偿吗"
    def same(a, b):  # same passages in the same order; scores equal up to the renormalised vector's rounding
        return [c for c, _ in a] == [c for c, _ in b] and np.allclose([s for _, s in a], [s for _, s in b], atol=1e-4)
    general = _top(law_home, embedder, q, query_adapter="off", weight=0.6, bigram_weight=0.2)
    # an identity adapter with weights 0.6/0.2 ranks as the general hybrid with those weights
    assert same(_top(law_home, embedder, q, query_adapter="auto", adapter=str(zero)), general)
    assert same(_top(law_home, embedder, q, query_adapter="auto", adapter=str(zero), adapter_weights=(0.3, 0.35)),
                _top(law_home, embedder, q, query_adapter="off"))
    assert not same(general, _top(law_home, embedder, q, query_adapter="off"))


def test_scale_applies_a_share_of_the_correction_and_survives_a_round_trip(tmp_path):
    import dataclasses

    ad = _random_adapter("fp-s")
    q = np.random.default_rng(2).standard_normal(384).astype(np.float32)
    q /= np.linalg.norm(q)
    half = dataclasses.replace(ad, scale=0.5)
    want = q + 0.5 * ((q @ ad.V) @ ad.U.T)
    assert np.allclose(half.apply(q), want / np.linalg.norm(want), atol=1e-5)
    assert np.allclose(dataclasses.replace(ad, scale=0.0).apply(q), q, atol=1e-6)
    save_adapter(tmp_path / "s.json", half)
    assert load_adapter(tmp_path / "s.json").scale == 0.5
    shipped = load_adapter()
    assert 0 < shipped.scale <= 1 and "CV" in shipped.meta["scale"]["chosen_by"]
