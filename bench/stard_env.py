"""Shared setup of the STARD benchmarks: articles, gold rows, split, BM25 stores, cached vectors.

Everything expensive is cached under ``/tmp/h5`` (``RAG_STARD_CACHE``): jieba terms of every
article, the e5-small passage vectors (``bench/stard_embed.py``) and the question vectors.
An in-memory :class:`rag.index.Index` (one document per article) lets the product's own
:func:`rag.retrieve.retrieve` run over the corpus unchanged.
"""

from __future__ import annotations

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stard_corpus import ARCHIVE, Article, gold_rows, load_articles, passage  # noqa: E402
from stard_split import load_split  # noqa: E402

CACHE = Path(os.environ.get("RAG_STARD_CACHE", "/tmp/h5"))
_SENT = re.compile(r"[^。；！？\n]+[。；！？]?")


@dataclass
class Env:
    arts: list[Article]
    texts: list[str]
    terms: list[list[str]]
    tune: list[dict]
    report: list[dict]
    gold_tune: list[set[int]]
    gold_report: list[set[int]]
    index: object  # rag.index.Index
    have: np.ndarray  # rows with a dense vector
    vecs: np.ndarray  # article vectors (zero where not embedded)


def _cached_json(path: Path, make):
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    v = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(v, ensure_ascii=False), encoding="utf-8")
    return v


def make_index(arts: list[Article], texts: list[str], terms: list[list[str]], vecs: np.ndarray):
    """An in-memory Index: one Document and one Chunk per article; meta carries the law title."""
    from rag.index import Index
    from rag.records import Chunk, Document
    from rag.store import BM25Store, FaissStore
    from rag.tokenize import char_bigrams

    docs, chunks = {}, []
    for a, t in zip(arts, texts):
        did = f"a{a.aid}"
        docs[did] = Document(did, a.title, t, meta={"title": a.title, "doc_type": "statute", "article": a.label})
        sents = [(m.start(), m.end()) for m in _SENT.finditer(t) if m.group().strip()]
        chunks.append(Chunk(f"{did}-0000", did, 0, len(t), t, section=a.label, sentences=sents))
    d = CACHE / "bm25"
    if (d / "bm25" / "count.json").exists() and (d / "bm25_bigram" / "count.json").exists():
        keyword, bigram = BM25Store.load(d), BM25Store.load(d, "bm25_bigram")
    else:
        keyword = BM25Store(terms)
        bigram = BM25Store([char_bigrams(t) for t in texts], directory="bm25_bigram")
        d.mkdir(parents=True, exist_ok=True)
        keyword.save(d)
        bigram.save(d)
    manifest = {"embedder": {"name": "e5-small", "dim": 384}, "counts": {"chunks": len(chunks)}}
    return Index(Path("/nonexistent"), manifest, docs, chunks, FaissStore(vecs), keyword, terms, bigram)


def load_env(*, dense: bool = True) -> Env:
    from rag.tokenize import tokenize
    from stard_embed import load_vectors

    arts = load_articles()
    texts = [passage(a) for a in arts]
    terms = _cached_json(CACHE / "terms.json", lambda: [tokenize(t) for t in texts])
    tune, report = load_split()
    gold = _cached_json(CACHE / "gold.json", lambda: [sorted(g) for g in gold_rows(tune + report, arts)])
    gold_tune = [set(g) for g in gold[:len(tune)]]
    gold_report = [set(g) for g in gold[len(tune):]]
    vecs, have = load_vectors(os.environ.get("RAG_STARD_EMB", CACHE / "emb"), len(arts)) if dense else (np.zeros((len(arts), 384), np.float32),
                                                                        np.zeros(len(arts), bool))
    index = make_index(arts, texts, terms, vecs)
    return Env(arts, texts, terms, tune, report, gold_tune, gold_report, index, have, vecs)


def question_vectors(env: Env, embedder) -> tuple[np.ndarray, np.ndarray]:
    """e5 query vectors of the tune and report questions (cached)."""
    from rag.textnorm import to_mainland
    from rag.retrieve import clean_question

    f = CACHE / "qvec.npz"
    qs = [r["问题"] for r in env.tune + env.report]
    if f.exists():
        z = np.load(f)
        if len(z["v"]) == len(qs):
            return z["v"][:len(env.tune)], z["v"][len(env.tune):]
    v = embedder.embed_queries([to_mainland(clean_question(q)) for q in qs])
    np.savez(f, v=v)
    return v[:len(env.tune)], v[len(env.tune):]
