"""Hard negatives for the refusal model (``bench/calibrate_answers.py --hard-negatives``).

Each answerable tuning question is asked once more with its own article *and* the article of the first
passage retrieved without it removed, so the best look-alike is gone too. Tried in round 5: they are
nearly all refused already (out-of-fold CMRC-trial refusal recall 0.932 → 0.940), so they are off by
default. This module only collects feature rows; fitting is in calibrate_answers.
"""

from __future__ import annotations

import sys
import time

from rag.evaluate import EvalItem, own_documents
from rag.retrieve import clean_question, retrieve
from calib_rows import bench_candidates

__all__ = ["collect_hard"]


def _articles(items: list[EvalItem]) -> dict[str, frozenset[str]]:
    """Every document → the documents of its article (SQuAD sets; a document alone for the others)."""
    out: dict[str, frozenset[str]] = {}
    for it in items:
        art = frozenset(it.source_docs)
        for d in art:
            out.setdefault(d, art)
    return out


def collect_hard(name: str, index, items: list[EvalItem], emb, rows: list[dict]) -> None:
    """One feature row per answerable item, asked with its own article and the first retrieved one removed."""
    articles = _articles(items)
    all_docs = set(index.documents)
    folded: dict[str, str] = {}
    t0 = time.time()
    for i, it in enumerate(items):
        if not it.answerable or not it.answers:
            continue
        q = clean_question(it.question)
        own = own_documents(index, it, folded)
        others = sorted(all_docs - own)
        first = retrieve(index, q, embedder=emb, k=5, mode="hybrid", doc_ids=others)
        if not first:
            continue
        gone = own | articles.get(first[0].chunk.doc_id, frozenset({first[0].chunk.doc_id}))
        hits = retrieve(index, q, embedder=emb, k=5, mode="hybrid", doc_ids=sorted(all_docs - gone))
        cands = bench_candidates(q, hits, index, emb)
        dense = [h.dense for h in hits if h.dense is not None]
        rows.append({"set": name, "qid": it.qid, "answerable": 0, "hard": 1, "dense": max(dense) if dense else 0.0,
                     "cands": [(c.features, 0) for c in cands]})
        if i % 250 == 0:
            print(f"  {name} (hard): {i}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
