"""Law-level evidence for statute retrieval, cross-validated on STARD tune (nothing here is shipped).

Each tune question is retrieved (the product's ``rag.retrieve``, k = 30, the 31-law index) through its
fold's cross-fitted adapter (``bench/stard_crossfit.py``: fitted on the other folds, folds grouped by gold
article); its candidates are re-scored ``s / s_top + w · prior(candidate)`` with one of these priors:

- ``questions``: P(law | question), a softmax-kernel vote (k nearest, temperature tau) of the *other-fold*
  tune questions (plain e5 query vectors) for their gold laws — lay wording → law, learned from questions;
- ``centroid`` (``--centroid``): softmax over laws of the question's cosine with the law's mean article vector;
- ``lawmass<N>`` / ``secmass<N>``: the share of the top N candidates' fused score in the candidate's law /
  its law's 编章节 section (pseudo-relevance feedback);
- ``cluster<M>`` (``--centroid``): the candidate's cosine with the mean vector of the top M candidates.

(prior, w, k, tau) is chosen on 3 folds by hit@1 + @5 + @10 and scored on the 4th; held-out figures pooled.
The report fold is not read.

    python bench/statute_lawprior.py cv --centroid [--set SET] [--cache DIR] [--xfit DIR_OF_FOLD_ADAPTERS]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

WS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8)
KS = (5, 10, 20, 40)
TAUS = (0.02, 0.05)
DEPTH = 30


def candidates(a):
    """Per tune question: folds, plain query vector, gold laws (titles), candidates (title, score, gold)."""
    cache = Path(a.cache) / "lp_cands2.pkl"
    if cache.exists():
        return pickle.loads(cache.read_bytes())
    from stard_crossfit import fold_adapters

    from rag.embed import get_embedder
    from rag.eval_data import load_dataset
    from rag.evaluate import QueryCache, own_documents
    from rag.index import open_index
    from rag.query_adapter import load_adapter
    from rag.retrieve import RetrieveConfig, clean_question, retrieve
    from rag.textnorm import normalize, search_form, to_mainland
    index = open_index(a.set / "home")
    emb = QueryCache(get_embedder(index.embedder_name))
    _, items = load_dataset(a.set / "stard_tune.jsonl")
    folds, paths = fold_adapters(a.adapter_index, a.set / "stard_tune.jsonl", k=4, out_dir=Path(a.xfit),
                                 scale=load_adapter().scale)
    out, folded = [], {}
    for it in items:
        g = [search_form(normalize(x)[0]) for x in it.answers]
        cfg = RetrieveConfig(query_adapter="auto", adapter=str(paths[folds[it.qid]]))
        hits = retrieve(index, it.question, embedder=emb, k=DEPTH, config=cfg)
        laws = sorted({index.documents[d].title for d in own_documents(index, it, folded)})
        qv = emb.embed_queries([to_mainland(clean_question(it.question))])[0]
        out.append({"qid": it.qid, "fold": folds[it.qid], "qv": np.asarray(qv, np.float32), "laws": laws,
                    "cands": [(h.title, h.score, any(x in search_form(h.chunk.text) for x in g), h.chunk.section,
                               h.chunk.chunk_id) for h in hits]})
    cache.write_bytes(pickle.dumps(out))
    return out


def law_prob(qv, Q, laws, k, tau):
    """P(law | question): a softmax-kernel vote of the k nearest questions in ``Q`` for their gold laws."""
    sims = Q @ qv
    top = np.argsort(-sims)[:k]
    w = np.exp((sims[top] - sims[top].max()) / tau)
    p: dict[str, float] = {}
    for i, wi in zip(top, w):
        for law in laws[i]:
            p[law] = p.get(law, 0.0) + wi / len(laws[i])
    s = sum(p.values()) or 1.0
    return {law: v / s for law, v in p.items()}


def hits_of(rec, p, w, key=lambda c: c[0]):
    top = max(rec["cands"][0][1], 1e-9) if rec["cands"] else 1.0
    order = sorted(rec["cands"], key=lambda c: -(c[1] / top + w * p.get(key(c), 0.0)))
    rel = [c[2] for c in order]
    return [any(rel[:1]), any(rel[:5]), any(rel[:10])]


def centroids(home):
    """``(titles, unit mean article vector per law)`` of an index."""
    from rag.index import open_index
    index = open_index(home)
    P = index.dense.vectors().astype(np.float32)
    titles = sorted({d.title for d in index.documents.values()})
    pos = {t: i for i, t in enumerate(titles)}
    C = np.zeros((len(titles), P.shape[1]), np.float32)
    for r, c in enumerate(index.chunks):
        C[pos[index.documents[c.doc_id].title]] += P[r]
    return titles, C / np.linalg.norm(C, axis=1, keepdims=True)


def table(recs, home=None):
    """``{(w, k, tau): questions × hit@1/5/10}`` with each question's prior from the other folds."""
    Q = np.stack([r["qv"] for r in recs])
    fold = np.array([r["fold"] for r in recs])
    out = {}
    for n in (5, 10, 20, 30):  # pseudo-relevance feedback: the candidates' own mass per section / per law
        for name, key in (("secmass", lambda c: (c[0], c[3])), ("lawmass", lambda c: c[0])):
            priors = []
            for r in recs:
                m: dict = {}
                for c in r["cands"][:n]:
                    m[key(c)] = m.get(key(c), 0.0) + max(c[1], 0.0)
                tot = sum(m.values()) or 1.0
                priors.append({k: v / tot for k, v in m.items()})
            for w in WS:
                out[(w, f"{name}{n}", 0)] = np.array([hits_of(r, p, w, key) for r, p in zip(recs, priors)], float)
    if home is not None:  # cluster feedback: each candidate's cosine with the mean vector of the top m candidates
        from rag.index import open_index
        index = open_index(home)
        P = index.dense.vectors().astype(np.float32)
        row = {c.chunk_id: i for i, c in enumerate(index.chunks)}
        for m in (1, 3, 5):
            priors = []
            for r in recs:
                V = P[[row[c[4]] for c in r["cands"]]]
                cen = V[:m].mean(0)
                cen /= np.linalg.norm(cen) or 1.0
                priors.append({c[4]: float(v) for c, v in zip(r["cands"], V @ cen)})
            for w in WS:
                out[(w, f"cluster{m}", 0)] = np.array([hits_of(r, p, w, lambda c: c[4]) for r, p in zip(recs, priors)], float)
        titles, C = centroids(home)
        for tau in (0.005, 0.01, 0.02):
            priors = []
            for r in recs:
                s = C @ r["qv"]
                e = np.exp((s - s.max()) / tau)
                priors.append(dict(zip(titles, e / e.sum())))
            for w in WS:
                out[(w, "centroid", tau)] = np.array([hits_of(r, p, w) for r, p in zip(recs, priors)], float)
    for k in KS:
        for tau in TAUS:
            priors = []
            for i, r in enumerate(recs):
                m = fold != r["fold"]
                idx = np.flatnonzero(m)
                priors.append(law_prob(r["qv"], Q[idx], [recs[j]["laws"] for j in idx], k, tau))
            for w in WS:
                out[(w, k, tau)] = np.array([hits_of(r, p, w) for r, p in zip(recs, priors)], float)
    return out, fold


def cmd_cv(a):
    recs = [r for r in candidates(a) if r["laws"]]
    tab, fold = table(recs, a.set / "home" if a.centroid else None)
    print("no prior (tune, cross-fitted adapters):", np.round(tab[(0.0, KS[0], TAUS[0])].mean(0), 3).tolist())
    held = np.zeros((len(recs), 3))
    for f in sorted(set(fold.tolist())):
        inner = fold != f
        best = max(tab, key=lambda key: tab[key][inner].mean(0).sum())
        held[fold == f] = tab[best][fold == f]
        print(f"fold {f}: chose w={best[0]} k={best[1]} tau={best[2]}; inner {np.round(tab[best][inner].mean(0), 3).tolist()}")
    print("held out:", np.round(held.mean(0), 3).tolist(), f"({len(recs)} questions)")
    for kind in ("questions", "centroid", "secmass", "lawmass", "cluster"):
        keys = [key for key in tab if key[0] > 0 and (str(key[1]).startswith(kind) or kind == "questions" and isinstance(key[1], int))]
        if keys:
            best = max(keys, key=lambda key: tab[key].mean(0).sum())
            print(f"best {kind} prior on all of tune (in-sample choice): w={best[0]} k={best[1]} tau={best[2]}",
                  np.round(tab[best].mean(0), 3).tolist())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("cv",))
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/stard_lawprior")
    ap.add_argument("--xfit", default="/tmp/stard_answers/xfit")
    ap.add_argument("--adapter-index", default=os.environ.get("RAG_ADAPTER_INDEX", "/tmp/fullbuild4/this-0"))
    ap.add_argument("--centroid", action="store_true", help="also P(law) from the law's mean article vector")
    a = ap.parse_args()
    Path(a.cache).mkdir(parents=True, exist_ok=True)
    cmd_cv(a)


if __name__ == "__main__":
    main()
