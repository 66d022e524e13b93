"""Fit and measure the statute re-ranker (rag/statute_rerank.py) on STARD; the tune fold only for fitting.

Corpus: the 31-law statute corpus of the answer calibration (``bench/statute_corpus.py``). For each
question, the general hybrid's top 20 (after evidence re-ranking, as ``rag.retrieve.retrieve``
computes it) with each candidate's features and whether it holds a gold article. A logistic model is
fitted on the tune rows (both kinds: with and without sentence cosines) and written to
``rag/data/statute_rerank.json``; hit@1/5/10 are printed for tune (in-sample) and report.

    python bench/stard_rerank.py [--set /tmp/cal/sets/stard] [--out bench/results/stard_rerank.md]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.expand import law_posterior, load_lexicon  # noqa: E402
from rag.evaluate import _QueryCache, load_dataset  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.retrieve import RetrieveConfig, clean_question, fuse, rerank_by_evidence  # noqa: E402
from rag.select import LinearModel  # noqa: E402
from rag.statute_rerank import RERANK_MODELS, candidate_features  # noqa: E402
from rag.textnorm import normalize, search_form, to_mainland  # noqa: E402
from rag.tokenize import char_bigrams, tokenize  # noqa: E402

KS = (1, 5, 10)
LEX = None
DEPTH = 20  # candidates per question (--depth); the product re-ranks rag.statute_rerank.DEPTH


def channels(index, q: str, qv, cfg: RetrieveConfig = RetrieveConfig()):
    """The general hybrid exactly as rag.retrieve.retrieve runs it (no filters)."""
    depth = cfg.candidates
    s, r = index.dense.search(qv, depth)
    dense = dict(zip(r.tolist(), s.tolist()))
    s, r = index.keyword.search(tokenize(q), depth)
    bm25 = dict(zip(r.tolist(), s.tolist()))
    s, r = index.bigram.search(char_bigrams(q), depth)
    bigram = dict(zip(r.tolist(), s.tolist()))
    scores = fuse(dense, bm25, bigram, weight=cfg.weight, bigram_weight=cfg.bigram_weight)
    scores = rerank_by_evidence(index, q, scores, weight=cfg.rerank_weight, depth=max(cfg.rerank_depth, DEPTH))
    return scores, dense, bm25, bigram


def collect(index, emb, items, cache: Path) -> list[dict]:
    if cache.exists():
        return [json.loads(line) for line in cache.open(encoding="utf-8")]
    out, t0 = [], time.time()
    for i, it in enumerate(items):
        q = clean_question(it.question)
        qv = emb.embed_queries([to_mainland(q)])[0]
        scores, dense, bm25, bigram = channels(index, q, qv)
        prior = law_posterior(LEX, tokenize(q)) if LEX is not None else None
        rows, feats = candidate_features(index, q, scores, dense, bm25, bigram, query_vector=qv, law_prior=prior,
                                         depth=DEPTH)
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        gold = [int(any(g in search_form(index.chunks[r].text) for g in golds)) for r in rows]
        out.append({"qid": it.qid, "feats": feats, "gold": gold})
        if i % 100 == 0:
            print(f"  {i}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("w", encoding="utf-8") as f:
        for r in out:
            f.write(json.dumps(r) + "\n")
    return out


def _names(rows, dense: bool) -> list[str]:
    return sorted({k for r in rows for f in r["feats"] for k in f if dense or k != "cos"})


def fit(rows, dense: bool, C: float = 1.0) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    names = _names(rows, dense)
    X = np.array([[f.get(n, 0.0) for n in names] for r in rows for f in r["feats"]])
    y = np.array([g for r in rows for g in r["gold"]])
    m = LogisticRegression(C=C, max_iter=5000).fit(X, y)
    return LinearModel(float(m.intercept_[0]), {n: float(w) for n, w in zip(names, m.coef_[0])})


def hits(rows, model: LinearModel | None) -> dict[str, float]:
    out = {k: 0 for k in KS}
    for r in rows:
        order = list(range(len(r["gold"])))
        if model is not None:
            p = [model.probability(f) for f in r["feats"]]
            order.sort(key=lambda i: (-p[i], i))
        for k in KS:
            out[k] += any(r["gold"][i] for i in order[:k])
    return {f"hit@{k}": v / max(len(rows), 1) for k, v in out.items()}


def main() -> None:
    global LEX, DEPTH
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/h3/stard_rerank")
    ap.add_argument("--model", default=str(RERANK_MODELS))
    ap.add_argument("--out", default="")
    ap.add_argument("--law-prior", action="store_true", help="add the lexicon's law prior as a feature")
    ap.add_argument("--depth", type=int, default=DEPTH, help="candidates per question (measured: 20 and 50)")
    a = ap.parse_args()
    LEX = load_lexicon() if a.law_prior else None
    DEPTH = a.depth
    from rag.embed import get_embedder
    index = open_index(a.set / "home")
    emb = _QueryCache(get_embedder(index.embedder_name))
    folds = {f: collect(index, emb, load_dataset(a.set / f"stard_{f}.jsonl")[1], Path(a.cache) / f"rows_{f}.jsonl")
             for f in ("tune", "report")}
    models = {kind: fit(folds["tune"], kind == "dense") for kind in ("dense", "lexical")}
    lines = [f"STARD, 31-law corpus ({len(index.chunks)} passages); re-ranking the general hybrid's top 20. "
             "Fitted on tune (in-sample there), measured on report.", "",
             "| ranking | tune @1 | tune @5 | tune @10 | **report @1** | **report @5** | **report @10** |",
             "|---|---|---|---|---|---|---|"]
    for name, m in (("general hybrid", None), ("+ re-ranker (with cosines)", models["dense"]),
                    ("+ re-ranker (lexical)", models["lexical"])):
        t, r = hits(folds["tune"], m), hits(folds["report"], m)
        lines.append(f"| {name} | " + " | ".join(f"{t[f'hit@{k}']:.3f}" for k in KS) + " | "
                     + " | ".join(f"{r[f'hit@{k}']:.3f}" for k in KS) + " |")
    print("\n".join(lines))
    fp = index.manifest["embedder"]
    Path(a.model).write_text(json.dumps({
        "note": "Written by bench/stard_rerank.py. Fitted on the STARD tune fold only (31-law corpus, the general "
                "hybrid's top 20 per question). Do not edit by hand.",
        "fitted_for": {"embedder": fp.get("name"), "fingerprint": fp.get("fingerprint")},
        "fitted_on": {"questions": len(folds["tune"])},
        "models": {k: {"bias": m.bias, "weights": m.weights} for k, m in models.items()}},
        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
