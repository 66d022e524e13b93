"""Retrieval methods compared by bench_stard.py, as ``fn(question, qvec) → top-10 article ids``."""

from __future__ import annotations

import os

import numpy as np

from rag.expand import Lexicon, adapt_query, load_lexicon, statute_fuse
from rag.query_adapter import load_adapter
from rag.retrieve import RetrieveConfig, clean_question, retrieve
from rag.tokenize import char_bigrams, tokenize


class _Vec:
    """Embedder stand-in: the cached vector of the current question."""
    name, dim, fingerprint = "e5-small", 384, "cached"
    v = None

    def embed_queries(self, texts):
        return self.v[None, :]


def lexicon() -> Lexicon:
    try:
        return load_lexicon()
    except Exception:  # noqa: BLE001 — bench runs before the first lexicon exists
        return Lexicon()


def base_channels(index, q: str, qv, mask, depth: int = 50):
    q = clean_question(q)
    s, r = index.dense.search(qv, depth, allowed=mask)
    dense = dict(zip(r.tolist(), s.tolist()))
    s, r = index.keyword.search(tokenize(q), depth, allowed=mask)
    bm25 = dict(zip(r.tolist(), s.tolist()))
    s, r = index.bigram.search(char_bigrams(q), depth, allowed=mask)
    bigram = dict(zip(r.tolist(), s.tolist()))
    return q, dense, bm25, bigram


def top(scores: dict[int, float], k: int = 10) -> list[int]:
    return sorted(scores, key=lambda r: (-scores[r], r))[:k]


def all_methods(env, lex: Lexicon, mask, weights: dict | None = None):
    index = env.index
    titles = [a.title for a in env.arts]
    m = None if mask.all() else mask

    def channel(name, full=False):
        def fn(q, v):
            _, d, b, c = base_channels(index, q, v, None if full else m)
            return top({"dense": d, "bm25": b, "bigram": c}[name])
        return fn

    # the shipped query adapter (rag/data/query_adapter.json), or RAG_STARD_ADAPTER=PATH (e.g. one fitted with
    # bench/fit_query_adapter.py --fit --out PATH against this bench's own passage vectors)
    qpath = os.environ.get("RAG_STARD_ADAPTER") or None
    qad = load_adapter(qpath)

    def fused(w, rerank=0.0, adapt=False, qadapt=False):
        from rag.retrieve import rerank_by_evidence

        def fn(q, v):
            if adapt:
                v = adapt_query(lex, v)
            if qadapt:
                v = qad.apply(v)
            q, d, b, c = base_channels(index, q, v, m)
            s = statute_fuse(index, tokenize(q), d, b, c, lex=lex, allowed=m, titles=titles, weights=w)
            if rerank:
                s = rerank_by_evidence(index, q, s, weight=rerank, depth=20)
            return top(s)
        return fn

    vec = _Vec()
    doc_ids = None if mask.all() else [f"a{i}" for i in np.flatnonzero(mask)]

    def product(q, v):
        vec.v = v
        hits = retrieve(index, q, embedder=vec, k=10, mode="hybrid", doc_ids=doc_ids,
                        config=RetrieveConfig(statute="on"))
        return [int(h.chunk.doc_id[1:]) for h in hits]

    def general(rerank: bool, adapter: str = "off", **weights):
        cfg = RetrieveConfig(statute_rerank=rerank, query_adapter=adapter, adapter=qpath, **weights)

        def fn(q, v):
            vec.v = v
            # the cached vectors come from the e5-small weights the adapter was fitted for (bench/stard_embed.py)
            vec.fingerprint = qad.fingerprint if qad is not None else "cached"
            hits = retrieve(index, q, embedder=vec, k=10, mode="hybrid", doc_ids=doc_ids, config=cfg)
            return [int(h.chunk.doc_id[1:]) for h in hits]
        return fn

    def adapted_dense(q, v):
        _, d, _, _ = base_channels(index, q, adapt_query(lex, v), m)
        return top(d)

    W = dict(lex.weights or {"dense": 0.3, "bm25": 0.35, "bigram": 0.35})
    E = W.get("expand") or 0.1  # expansion is off by default (measured); the ablation shows it at 0.1
    base = {"dense": 0.3, "bm25": 0.35, "bigram": 0.35, "expand": 0.0, "law": 0.0}
    out = {
        "BM25 words": channel("bm25"),
        "BM25 character bigrams": channel("bigram"),
        "dense e5-small": channel("dense"),
        "BM25 words, whole archive (64,744 articles)": channel("bm25", full=True),
        "hybrid, README default + evidence re-ranking (current product)": fused(base, rerank=0.8),
        "general: rag.retrieve.retrieve()": general(False),
        "general + statute re-ranker (lexical; fitted on the 31-law tune rows)": general(True),
    }
    if qad is not None:
        def qadapted_dense(q, v):
            _, d, _, _ = base_channels(index, q, qad.apply(v), m)
            return top(d)
        out.update({
            "dense e5-small + query adapter (rag/query_adapter.py)": qadapted_dense,
            "general + query adapter, weights 0.3/0.35 as without it": general(False, "auto", adapter_weights=(0.3, 0.35)),
            "general + query adapter + statute re-ranker, weights 0.3/0.35": general(True, "auto",
                                                                                    adapter_weights=(0.3, 0.35)),
            "general + query adapter: retrieve(query_adapter='auto') (weights 0.6/0.2)": general(False, "auto"),
        })
        for w, b in ((0.5, 0.25), (0.6, 0.2), (0.7, 0.15)):  # dense weight chosen by CV inside tune (fit_query_adapter.py)
            out[f"general + query adapter, dense weight {w} (bigram {b})"] = general(False, "auto",
                                                                                    adapter_weights=(w, b))
            out[f"general, dense weight {w} (bigram {b}), no adapter"] = general(False, "off", weight=w, bigram_weight=b)
        if lex.weights:
            out.update({
                "statute fusion, 3 channels + query adapter (rag/query_adapter.py)":
                    fused({**W, "expand": 0.0, "law": 0.0}, qadapt=True),
                "statute fusion + law prior + query adapter (rag/query_adapter.py)":
                    fused({**W, "expand": 0.0}, qadapt=True),
            })
    if lex.weights:
        no = {"expand": 0.0, "law": 0.0}
        out.update({
            "statute fusion weights, 3 channels": fused({**W, **no}),
            "+ law prior": fused({**W, "expand": 0.0}),
            f"+ law prior + expansion (weight {E})": fused({**W, "expand": E}),
        })
        if lex.adapter is not None:
            out.update({
                "dense e5-small + query adapter": adapted_dense,
                "3 channels + query adapter": fused({**W, **no}, adapt=True),
                "+ law prior + query adapter": fused({**W, "expand": 0.0}, adapt=True),
            })
        out.update({
            "**statute default** (the shipped lexicon's weights)": fused(W, adapt=True),
            "statute default + evidence re-ranking 0.8": fused(W, rerank=0.8, adapt=True),
            "product: rag.retrieve.retrieve(statute='on')": product,
        })
    return out
