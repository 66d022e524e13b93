"""Does the statute re-ranker (rag/statute_rerank.py) help on top of the adapter hybrid? CV inside STARD tune.

Each tune question's candidates come from the product's default for statute indexes — the general hybrid
with the query adapter (``RetrieveConfig(query_adapter="auto")``: dense on the adapted vector, weights
0.6 / 0.2, evidence re-ranking) — through its fold's cross-fitted adapter (``bench/stard_crossfit.py``).
Features: :func:`rag.statute_rerank.candidate_features` (retrieval channels, the article's own evidence,
law-level mass and rank among the candidates' laws, the plain question's cosine with the article), plus,
with ``--law-knn``, P(law | question) from the other folds' questions (``bench/statute_lawprior.law_prob``).
A logistic model is fitted on 3 folds and re-ranks the 4th; held-out hit@1/5/10 pooled. Report not read.

    python bench/stard_rerank_cv.py [--set SET] [--cache DIR] [--xfit DIR] [--depth 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

KS = (1, 5, 10)


def collect(a) -> list[dict]:
    cache = Path(a.cache) / f"rerank_cv_rows_d{a.depth}.jsonl"
    if cache.exists():
        return [json.loads(line) for line in cache.open(encoding="utf-8")]
    from stard_crossfit import fold_adapters

    from rag.embed import get_embedder
    from rag.eval_data import load_dataset
    from rag.evaluate import QueryCache, own_documents
    from rag.index import open_index
    from rag.query_adapter import load_adapter
    from rag.retrieve import RetrieveConfig, clean_question, fuse, rerank_by_evidence
    from rag.statute_rerank import candidate_features
    from rag.textnorm import normalize, search_form, to_mainland
    from rag.tokenize import char_bigrams, tokenize
    index = open_index(a.set / "home")
    emb = QueryCache(get_embedder(index.embedder_name))
    _, items = load_dataset(a.set / "stard_tune.jsonl")
    folds, paths = fold_adapters(a.adapter_index, a.set / "stard_tune.jsonl", k=4, out_dir=Path(a.xfit),
                                 scale=load_adapter().scale)
    cfg = RetrieveConfig()
    w, bw = cfg.adapter_weights
    out, folded = [], {}
    for it in items:
        q = clean_question(it.question)
        qv = emb.embed_queries([to_mainland(q)])[0]
        qa = load_adapter(paths[folds[it.qid]]).apply(qv)
        s, r = index.dense.search(qa, cfg.candidates)
        dense = dict(zip(r.tolist(), s.tolist()))
        s, r = index.keyword.search(tokenize(q), cfg.candidates)
        bm25 = dict(zip(r.tolist(), s.tolist()))
        s, r = index.bigram.search(char_bigrams(q), cfg.candidates)
        bigram = dict(zip(r.tolist(), s.tolist()))
        scores = fuse(dense, bm25, bigram, weight=w, bigram_weight=bw)
        scores = rerank_by_evidence(index, q, scores, weight=cfg.rerank_weight, depth=max(cfg.rerank_depth, a.depth))
        rows, feats = candidate_features(index, q, scores, dense, bm25, bigram, query_vector=qv, depth=a.depth)
        golds = [search_form(normalize(x)[0]) for x in it.answers]
        out.append({"qid": it.qid, "fold": folds[it.qid], "feats": feats,
                    "titles": [index.documents[index.chunks[r].doc_id].title for r in rows],
                    "laws": sorted({index.documents[d].title for d in own_documents(index, it, folded)}),
                    "qv": [float(x) for x in qv],
                    "gold": [int(any(g in search_form(index.chunks[r].text) for g in golds)) for r in rows]})
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    return out


def add_law_knn(rows: list[dict], k: int = 10, tau: float = 0.02) -> None:
    from statute_lawprior import law_prob
    Q = np.array([r["qv"] for r in rows], np.float32)
    fold = np.array([r["fold"] for r in rows])
    for i, r in enumerate(rows):
        idx = np.flatnonzero(fold != r["fold"])
        p = law_prob(Q[i], Q[idx], [rows[j]["laws"] for j in idx], k, tau)
        top = max(p.values(), default=0.0) or 1.0
        for f, t in zip(r["feats"], r["titles"]):
            f["law_knn"] = p.get(t, 0.0) / top


def hits(rows, probs=None) -> np.ndarray:
    out = []
    for i, r in enumerate(rows):
        order = list(range(len(r["gold"])))
        if probs is not None:
            order.sort(key=lambda j: (-probs[i][j], j))
        out.append([any(r["gold"][j] for j in order[:k]) for k in KS])
    return np.array(out, float)


def cv(rows, names, C=1.0):
    from sklearn.linear_model import LogisticRegression
    probs = [None] * len(rows)
    for f in sorted({r["fold"] for r in rows}):
        tr = [r for r in rows if r["fold"] != f]
        X = np.array([[x.get(n, 0.0) for n in names] for r in tr for x in r["feats"]])
        y = np.array([g for r in tr for g in r["gold"]])
        m = LogisticRegression(C=C, max_iter=5000).fit(X, y)
        for i, r in enumerate(rows):
            if r["fold"] == f:
                probs[i] = m.decision_function(np.array([[x.get(n, 0.0) for n in names] for x in r["feats"]])).tolist()
    return hits(rows, probs).mean(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/stard_rerank_cv")
    ap.add_argument("--xfit", default="/tmp/stard_answers/xfit")
    ap.add_argument("--adapter-index", default=os.environ.get("RAG_ADAPTER_INDEX", "/tmp/fullbuild4/this-0"))
    ap.add_argument("--depth", type=int, default=30)
    a = ap.parse_args()
    rows = collect(a)
    print("adapter hybrid (as retrieved):", np.round(hits(rows).mean(0), 3).tolist(), len(rows))
    add_law_knn(rows)
    base = sorted(k for k in rows[0]["feats"][0] if k != "law_knn")
    law = ["law_mass", "law_top", "law_inv_rank"]
    for name, names in (("re-ranker, all features", base), ("without law-level features", [n for n in base if n not in law]),
                        ("+ law kNN prior", base + ["law_knn"])):
        for C in (0.1, 1.0):
            print(f"{name} (C={C}): held out", np.round(cv(rows, names, C), 3).tolist())


if __name__ == "__main__":
    main()
