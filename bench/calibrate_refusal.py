"""Fit the "not found" decision (rag/calibration.json) on held-out data.

Positives: CMRC2018 *trial* questions asked against the trial contexts.
Negatives: the same questions asked with their own paragraph (and any other
paragraph holding the answer) filtered out of the index, the rest of the
article kept — the documents are on topic but lack the answer, the hard case. Plus ``bench/data/calibration_sample.jsonl``:
questions about the sample article, answerable and not, written for this
purpose and disjoint from the shipped evaluation set (eval/). None of the
reported benchmarks (CMRC2018 dev, DRCD dev, eval/) is used.

A logistic regression over the evidence features of :mod:`rag.answer` is
fitted for each kind of retrieval (with and without a dense score) and
written to rag/calibration.json with its held-out accuracy.

    python bench/calibrate_refusal.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from rag.answer import evidence_features, score_sentences  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.evaluate import _QueryCache, dataset_index  # noqa: E402
from rag.ingest import RawBlock, assemble  # noqa: E402
from rag.retrieve import retrieve  # noqa: E402
from rag.update import update_index  # noqa: E402
from rag.index import open_index  # noqa: E402

FEATURES = {"with_dense": ["coverage", "bigram", "answer_type", "missing_top", "dense"],
            "lexical": ["coverage", "bigram", "answer_type", "missing_top"]}
MODES = {"with_dense": "hybrid", "lexical": "bm25"}


def _features(index, question, emb, mode, doc_ids=None):
    hits = retrieve(index, question, embedder=emb, k=5, mode=mode, doc_ids=doc_ids)
    return evidence_features(score_sentences(question, hits, index.keyword.idf), hits)


def collect(limit: int | None, emb) -> dict[str, tuple[list, list]]:
    data = json.loads((ROOT.parent / "shared/data/cmrc2018/cmrc2018_trial.json").read_text(encoding="utf-8"))
    docs, qs = [], []
    for art in data["data"]:
        for p in art["paragraphs"]:
            d = assemble([RawBlock(p["context"])], meta={"title": art.get("title", "")})
            docs.append(d)
            qs += [(qa["question"], d.doc_id, [a["text"] for a in qa["answers"]]) for qa in p["qas"]
                   if qa["question"].strip()]
    qs = qs[:limit] if limit else qs
    index = dataset_index(docs, embedder=emb.inner, progress=True)
    out = {k: ([], [], []) for k in FEATURES}
    for i, (q, own, answers) in enumerate(qs):
        # hard negative: the question's own paragraph (and any other holding its answer) removed,
        # its sibling paragraphs of the same article kept — on topic, but without the answer
        others = [d for d, doc in index.documents.items()
                  if d != own and not any(a and a in doc.text for a in answers)]
        for kind, mode in MODES.items():
            X, y, w = out[kind]
            X.append(_features(index, q, emb, mode)); y.append(1); w.append(1.0)
            X.append(_features(index, q, emb, mode, doc_ids=others)); y.append(0); w.append(1.0)
        if i % 200 == 0:
            print(f"  {i}/{len(qs)} CMRC trial questions", file=sys.stderr, flush=True)
    # sample-article questions written for calibration (not the eval set)
    home = ROOT / "bench" / "out" / "calib-home"
    update_index([ROOT / "corpus"], home=home, progress=False)
    sample = open_index(home)
    rows = [json.loads(line) for line in (ROOT / "bench/data/calibration_sample.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    # the product's own domain (one on-topic article, where everything looks relevant) weighs as much
    # in the fit as all CMRC pairs together
    weight = 2 * len(qs) / len(rows)
    for r in rows:
        for kind, mode in MODES.items():
            out[kind][0].append(_features(sample, r["question"], emb, mode))
            out[kind][1].append(int(r["answerable"]))
            out[kind][2].append(weight)
    return out


def fit(X: list[dict], y: list[int], w: list[float], names: list[str]) -> dict:
    from sklearn.linear_model import LogisticRegression

    A = np.array([[f.get(n, 0.0) for n in names] for f in X])
    yv, wv = np.array(y), np.array(w)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(yv))
    cut = int(0.8 * len(yv))
    tr, te = order[:cut], order[cut:]
    model = LogisticRegression(C=10.0, max_iter=1000).fit(A[tr], yv[tr], sample_weight=wv[tr])
    pred = model.predict(A[te])
    refuse_true, refuse_pred = yv[te] == 0, pred == 0
    stats = {"held_out_accuracy": float((pred == yv[te]).mean()),
             "refusal_precision": float((refuse_true & refuse_pred).sum() / max(refuse_pred.sum(), 1)),
             "refusal_recall": float((refuse_true & refuse_pred).sum() / max(refuse_true.sum(), 1)),
             "n_train": int(cut), "n_test": int(len(yv) - cut)}
    model = LogisticRegression(C=10.0, max_iter=1000).fit(A, yv, sample_weight=wv)
    return {"bias": float(model.intercept_[0]),
            "weights": {n: float(w) for n, w in zip(names, model.coef_[0])},
            "threshold": 0.5, "stats": stats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="Only the first N trial questions.")
    args = ap.parse_args()
    emb = _QueryCache(get_embedder())
    data = collect(args.limit, emb)
    models = {kind: fit(X, y, w, FEATURES[kind]) for kind, (X, y, w) in data.items()}
    out = {"note": "Written by bench/calibrate_refusal.py from CMRC2018 trial (own article present vs. filtered "
                   "out) and bench/data/calibration_sample.jsonl. Do not edit by hand.",
           "embedder": emb.name, "models": models}
    (ROOT / "rag" / "calibration.json").write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n")
    for kind, m in models.items():
        print(kind, json.dumps(m, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", str(ROOT / "bench" / "out" / "home"))
    main()
