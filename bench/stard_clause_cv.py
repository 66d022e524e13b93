"""Clause-level (款) vectors for the dense channel: does max-sim over an article's clauses help? (round 9, issue 10;
CV inside STARD tune; bench only — the product has no clause store).

The dense store of the 31-law index is wrapped: a passage's dense score becomes
``(1 - lam) · cos(q, passage) + lam · max(cos(q, passage), max over its clauses cos(q, clause))``, over the union
of the passage search's top k and the passages of the clause search's top k (clauses: ``bench/stard_clause_vectors.py``,
each 款 of a multi-paragraph passage embedded with the passage's head). Everything else is ``rag.retrieve.retrieve``
(k = 10), each tune question through its fold's adapter (``--crossfit``); ``lam`` chosen on 3 folds, scored on the 4th.

    python bench/stard_clause_cv.py --home H31 --tune T.jsonl --crossfit FOLDS.json --clauses CLAUSES.npz
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

LAMS = (0.0, 0.25, 0.5, 0.75, 1.0)


class ClauseDense:
    """A dense store whose scores mix each passage's vector with its best clause (see the module docstring)."""

    def __init__(self, inner, C: np.ndarray, crow: np.ndarray, lam: float):
        self.inner, self.C, self.crow, self.lam = inner, C, crow, lam
        self.P = inner.vectors()

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def search(self, q, k, *, allowed=None):
        s, r = self.inner.search(q, k, allowed=allowed)
        if self.lam <= 0:
            return s, r
        best = np.full(len(self.P), -np.inf, np.float32)
        np.maximum.at(best, self.crow, self.C @ np.asarray(q, np.float32))
        if allowed is not None:
            best[~allowed] = -np.inf
        top = np.argsort(-best)[:k]
        rows = np.unique(np.concatenate([r, top[np.isfinite(best[top])]]))
        art = self.P[rows] @ np.asarray(q, np.float32)
        sc = (1 - self.lam) * art + self.lam * np.maximum(art, best[rows])
        o = np.argsort(-sc)[:k]
        return sc[o], rows[o]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for x in ("--home", "--tune", "--crossfit", "--clauses"):
        ap.add_argument(x, required=True)
    ap.add_argument("--out", default="/tmp/stard_clause_rows.json")
    a = ap.parse_args()
    from mixed_law_dev import load_items, rank_of
    from stard_prf_cv import CachedEmbedder, choose_by_folds, hits, verdict

    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig, clean_question, retrieve
    from rag.textnorm import normalize, search_form, to_mainland
    s = Searcher(a.home)
    index, emb = s.index(), CachedEmbedder(s.embedder)
    z = np.load(a.clauses)
    inner = index.dense
    stores = {lam: ClauseDense(inner, z["vectors"], z["rows"], lam) for lam in LAMS}
    cf = json.loads(Path(a.crossfit).read_text())
    rows: dict[str, dict] = {}
    for it in load_items(a.tune):
        f = cf["folds"].get(str(it.qid))
        if f is None:
            continue
        golds = [search_form(normalize(x)[0]) for x in it.answers]
        emb.embed_queries([to_mainland(clean_question(it.question))])  # time retrieval only: as retrieve embeds it
        r = rows[str(it.qid)] = {"fold": f, "ranks": {}, "ms": {}}
        for lam, st in stores.items():
            index.dense = st
            t = time.perf_counter()
            h = retrieve(index, it.question, embedder=emb, k=10, config=RetrieveConfig(adapter=cf["paths"][f]))
            r["ms"][f"{lam:g}"] = (time.perf_counter() - t) * 1000
            r["ranks"][f"{lam:g}"] = rank_of(h, golds) or 0
    index.dense = inner
    Path(a.out).write_text(json.dumps(rows))
    rs, keys = list(rows.values()), [f"{x:g}" for x in LAMS]
    print(f"STARD tune, 31-law index, fold adapters, {len(rs)} q; {len(z['rows'])} clause vectors")
    for k in keys:
        p95 = np.percentile([r["ms"][k] for r in rs], 95)
        print(f"  lam {k}: hit@1/@5/@10 " + " / ".join(f"{x:.3f}" for x in hits(rs, k)) + f" (retrieve p95 {p95:.0f} ms)")
    cv, chosen = choose_by_folds(rs, keys)
    d, keep = verdict(cv, hits(rs, keys[0]))
    print(f"CV (lam chosen on 3 folds: {chosen}): " + " / ".join(f"{x:.3f}" for x in cv)
          + f" (Δ {d[0]:+.1f} / {d[1]:+.1f} / {d[2]:+.1f} points) -> {'KEEP' if keep else 'no'}")


if __name__ == "__main__":
    main()
