"""Cross-validate :mod:`rag.statute_dense` (dense pseudo-relevance feedback, neighbouring-article smoothing) inside
STARD tune on the 31-law statute index (round 9, issue 10).

Every tune question is retrieved through ``rag.retrieve.retrieve`` (the product path, k = 10) with the adapter of
its fold (``--crossfit``: 4 folds grouped by gold article, each adapter fitted on the other three, scale 0.6 —
``bench/stard_crossfit.py``), once per setting of a grid. A hit: a passage holding one of the question's gold
answer sentences (``rag eval``'s relevance). For each family of settings (``prf``, ``nb``) the setting with the
best hit@1 + hit@5 + hit@10 on 3 folds (the baseline — nothing — is a candidate) is scored on the 4th.
The rule (brief): keep a family only with a held-out gain ≥ 1 point at @5 or @10 and ≤ 1 point loss at @1.

    python bench/stard_prf_cv.py --home H31 --tune T.jsonl --crossfit FOLDS.json [--cache rows.json] \
        [--family prf] [--family nb]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.statute_dense import DenseFeedback

FAMILIES: dict[str, list[DenseFeedback]] = {
    "prf": [DenseFeedback(alpha=a, k=k, source=s) for s in ("dense", "fused") for k in (3, 5, 10)
            for a in (0.1, 0.2, 0.3, 0.5, 1.0)],
    "nb": [DenseFeedback(beta=b, where=w) for w in ("fused", "final") for b in (0.02, 0.05, 0.1, 0.2, 0.3)],
}


def key(look: DenseFeedback) -> str:
    return json.dumps(dataclasses.asdict(look), sort_keys=True)


class CachedEmbedder:
    """The embedder, with question vectors memoised (the grid embeds each question once)."""

    def __init__(self, inner):
        self._inner, self._memo = inner, {}

    def __getattr__(self, name):
        return getattr(self._inner, name)

    def embed_queries(self, texts):
        miss = [t for t in texts if t not in self._memo]
        if miss:
            for t, v in zip(miss, self._inner.embed_queries(miss)):
                self._memo[t] = v
        return np.stack([self._memo[t] for t in texts])


def collect(home: str, tune: str, crossfit: dict, looks: list[DenseFeedback], cache: Path) -> dict:
    """``{qid: {"fold": f, "ranks": {setting: gold rank or 0}, "ms": {setting: ms}}}``, resumable via ``cache``."""
    from mixed_law_dev import load_items, rank_of

    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig, clean_question, retrieve
    from rag.textnorm import normalize, search_form, to_mainland

    rows = json.loads(cache.read_text()) if cache.exists() else {}
    s = Searcher(home)
    index, emb = s.index(), CachedEmbedder(s.embedder)
    items = [it for it in load_items(tune) if str(it.qid) in crossfit["folds"]]
    todo = [DenseFeedback()] + looks
    t0 = time.time()
    for n, it in enumerate(items):
        fold = crossfit["folds"][str(it.qid)]
        row = rows.setdefault(str(it.qid), {"fold": fold, "ranks": {}, "ms": {}})
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        emb.embed_queries([to_mainland(clean_question(it.question))])  # time retrieval only: as retrieve embeds it
        for look in todo:
            kk = key(look)
            if kk in row["ranks"]:
                continue
            cfg = RetrieveConfig(adapter=crossfit["paths"][fold], dense_feedback=look)
            t = time.perf_counter()
            hits = retrieve(index, it.question, embedder=emb, k=10, config=cfg)
            row["ms"][kk] = (time.perf_counter() - t) * 1000
            row["ranks"][kk] = rank_of(hits, golds) or 0
        if n % 50 == 49:
            cache.write_text(json.dumps(rows))
            print(f"  {n + 1}/{len(items)} questions ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    cache.write_text(json.dumps(rows))
    return rows


def hits(rows: list[dict], kk: str) -> tuple[float, float, float]:
    n = max(len(rows), 1)
    return tuple(sum(1 for r in rows if 0 < r["ranks"][kk] <= c) / n for c in (1, 5, 10))


def choose_by_folds(rows: list[dict], cands: list[str]) -> tuple[tuple[float, float, float], list[str]]:
    """Held-out hit@1/5/10 when each of the 4 folds gets the candidate chosen on the other three (ties: the
    first candidate, the baseline), and the choices."""
    held, chosen = [], []
    for f in range(4):
        fit = [r for r in rows if r["fold"] != f]
        best = max(cands, key=lambda c: (round(sum(hits(fit, c)), 9), c == cands[0]))
        chosen.append(best)
        held += [{"ranks": {"x": r["ranks"][best]}} for r in rows if r["fold"] == f]
    return hits(held, "x"), chosen


def verdict(cv: tuple[float, ...], base: tuple[float, ...]) -> tuple[list[float], bool]:
    """Points gained at @1/@5/@10 and the rule fixed before any run: ≥ 1 point at @5 or @10, ≤ 1 point lost at @1."""
    d = [100 * (x - y) for x, y in zip(cv, base)]
    return d, (d[1] >= 1 or d[2] >= 1) and d[0] >= -1


def cross_validate(rows: dict, looks: list[DenseFeedback]) -> tuple[tuple[float, ...], list[str]]:
    """Held-out hit@1/5/10 when each fold gets the setting chosen on the other three, and the choices."""
    return choose_by_folds(list(rows.values()), [key(DenseFeedback())] + [key(x) for x in looks])


def p95(rows: dict, kk: str) -> float:
    return float(np.percentile([r["ms"][kk] for r in rows.values()], 95))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--tune", required=True)
    ap.add_argument("--crossfit", required=True)
    ap.add_argument("--cache", default="/tmp/stard_prf_rows.json")
    ap.add_argument("--family", action="append", choices=sorted(FAMILIES))
    a = ap.parse_args()
    fams = a.family or list(FAMILIES)
    looks = [x for f in fams for x in FAMILIES[f]]
    rows = collect(a.home, a.tune, json.loads(Path(a.crossfit).read_text()), looks, Path(a.cache))
    base = key(DenseFeedback())
    b = hits(list(rows.values()), base)
    print(f"STARD tune, 31-law index, fold adapters, {len(rows)} q. hit@1/@5/@10 (p95 ms of retrieve())")
    print(f"  baseline: {b[0]:.3f} / {b[1]:.3f} / {b[2]:.3f} ({p95(rows, base):.0f})")
    for f in fams:
        cv, chosen = cross_validate(rows, FAMILIES[f])
        d, keep = verdict(cv, b)
        print(f"{f}: CV held-out {cv[0]:.3f} / {cv[1]:.3f} / {cv[2]:.3f} "
              f"(Δ {d[0]:+.1f} / {d[1]:+.1f} / {d[2]:+.1f} points) -> {'KEEP' if keep else 'no'}")
        for c in chosen:
            print(f"    fold choice: {c}")
        for x in FAMILIES[f]:
            h = hits(list(rows.values()), key(x))
            print(f"    in-sample {key(x)}: {h[0]:.3f} / {h[1]:.3f} / {h[2]:.3f} ({p95(rows, key(x)):.0f})")


if __name__ == "__main__":
    main()
