"""Statute articles get no sentence vectors; the statute answerer compares the question with the article
passage's own vector, stored with the index; the build records its stages and embedding counts."""

from __future__ import annotations

import numpy as np

from rag.index import open_index
from rag.sentvec import SentenceVectors, build_sentence_vectors, sentence_texts
from rag.statute_answer import article_features


def test_article_chunks_store_their_passage_vector_instead_of_sentence_vectors(law_home, embedder):
    idx = open_index(law_home)
    sv = idx.sentences
    arts = [i for i, c in enumerate(idx.chunks) if c.article]
    assert arts and len(sv.passage_keys) == len(arts)
    art_docs_spans = {(idx.chunks[i].doc_id, s) for i in arts for s, _ in idx.chunks[i].sentences}
    assert not any((d, s) in art_docs_spans for d, s, _ in sv.keys)  # no article sentence was embedded
    assert len(sv.keys) == len(sentence_texts(idx.documents, idx.chunks))  # other chunks' sentences still are
    dense = idx.dense.vectors()
    for i in (arts[0], arts[len(arts) // 2], arts[-1]):
        c = idx.chunks[i]
        row = sv.passage_keys.index((c.doc_id, c.start, c.end))
        np.testing.assert_allclose(sv.passage_vectors[row].astype(np.float32), dense[i], atol=2e-3)
    files = idx.manifest["files"]
    assert "artvec.npy" in files and "artvec.tsv" in files  # checksummed like every index file

    build = idx.manifest["build"]
    assert set(build["seconds"]) >= {"chunk", "embed_passages", "embed_sentences", "tokenize", "stores"}
    assert sum(build["embeddings"]["passages"].values()) == len(idx.chunks)  # embedded + cached + reused
    assert sum(build["embeddings"].get("sentences", {}).values()) == len(sv.keys)


def test_the_statute_cos_feature_is_the_question_passage_cosine(law_home, embedder):
    idx = open_index(law_home)
    q = "个体工商户可以起字号吗"
    qv = embedder.embed_queries([q])[0]
    from rag.retrieve import RetrieveConfig, retrieve

    from rag.query_adapter import adapter_for_index

    assert adapter_for_index(idx, embedder, "auto") is not None  # else both passes below would be the same
    rows = {(c.doc_id, c.start, c.end): i for i, c in enumerate(idx.chunks)}
    dense = idx.dense.vectors()
    for adapter in ("off", "auto"):  # with the query adapter (default) retrieval scores the adapted vector
        hits = [h for h in retrieve(idx, q, embedder=embedder, k=5, config=RetrieveConfig(query_adapter=adapter))
                if h.chunk.article]
        assert hits
        feats = article_features(q, hits, idf=idx.keyword.idf, query_vector=qv, vectors=idx.sentences)
        for h, f in zip(hits, feats):  # the feature is the plain question's cosine either way
            assert abs(f["cos"] - float(dense[rows[(h.chunk.doc_id, h.chunk.start, h.chunk.end)]] @ qv)) < 5e-3
            if h.dense is not None and adapter == "off":  # the same cosine dense retrieval scored it with
                assert abs(f["cos"] - h.dense) < 5e-3


def test_sentence_vectors_round_trip_with_passage_rows(tmp_path, sample_index):
    from dataclasses import replace

    chunks = sample_index.chunks[:3]  # a newspaper article: mark copies of two chunks as statute articles
    marked = [replace(chunks[0], article="第一条"), chunks[1], replace(chunks[2], article="第二条")]
    pv = np.eye(3, 8, dtype=np.float32)
    calls = []

    def embed(texts):
        calls.append(list(texts))
        return np.ones((len(texts), 8), np.float32) / np.sqrt(8)

    sv = build_sentence_vectors(sample_index.documents, marked, embed, 8, passage_vectors=pv)
    assert len(calls) == 1 and len(calls[0]) == len(marked[1].sentences)  # only the non-article chunk's sentences
    sv.save(tmp_path)
    back = SentenceVectors.load(tmp_path)
    assert back.passage_keys == [(c.doc_id, c.start, c.end) for c in (marked[0], marked[2])]
    q = np.zeros(8, np.float32)
    q[2] = 1.0
    assert back.passage_cosine(q, marked[2]) == 1.0 and back.passage_cosine(q, marked[0]) == 0.0
    assert back.passage_cosine(q, marked[1]) is None
    assert abs(back.best_cosine(q, marked[1]) - 1 / np.sqrt(8)) < 1e-3  # no passage row: best sentence


def test_a_text_that_occurs_twice_is_embedded_once(embedder, tmp_path):
    from rag.embed_cache import EmbeddingCache, embed_with_cache

    seen: list[str] = []

    class Counting:
        name, dim, fingerprint = embedder.name, embedder.dim, embedder.fingerprint

        def embed_passages(self, texts, **kw):
            seen.extend(texts)
            return embedder.embed_passages(texts, **kw)

    texts = ["第一条 为了保护民事主体的合法权益。", "第二条 民法调整平等主体之间的关系。", "第一条 为了保护民事主体的合法权益。"]
    stats: dict[str, int] = {}
    cache = EmbeddingCache(tmp_path / "c.sqlite")
    try:
        v = embed_with_cache(texts, Counting(), cache, progress=False, stats=stats)
    finally:
        cache.close()
    assert sorted(seen) == sorted(set(texts)) and stats == {"reused": 0, "cached": 0, "embedded": 2, "duplicates": 1}
    np.testing.assert_array_equal(v[0], v[2])
    assert abs(float(v[0] @ v[1])) < 0.99
