"""STARD statute retrieval at article level: baselines, expansion, law prior, fusion, ablation.

One passage per article of the lawrefbook archive (``bench/stard_corpus.py``); a hit at k = one
of the top k articles contains a gold article's opening (how the held-back questions are scored).
Weights are chosen on the *tune* fold; numbers are printed for tune and *report*
(``bench/stard_split.py``). Needs the cached vectors of ``bench/stard_embed.py``; with a partial
cache, every method runs over the embedded articles only (the header says how many).

    RAG_STARD_EMB=/tmp/h5/snap python bench/bench_stard.py [--out bench/results/stard.md] [--limit N]

``RAG_STARD_EMB`` names the vector shard folder (default /tmp/h5/emb); freeze a copy while
``stard_embed.py`` still runs so the lexicon and the bench see the same articles.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stard_env import load_env, question_vectors  # noqa: E402

KS = (1, 5, 10)


class CachedQueries:
    """Embedder stand-in for the bench: returns the cached e5 vector of a known question."""

    name, dim, fingerprint = "e5-small", 384, "cached"

    def __init__(self, questions, vecs, live=None):
        self.map = {q: v for q, v in zip(questions, vecs)}
        self.live = live

    def embed_queries(self, texts):
        return np.stack([self.map[t] if t in self.map else self.live.embed_queries([t])[0] for t in texts])


def hits_at(ranked: list[list[int]], gold: list[set[int]]) -> dict[str, float]:
    out = {}
    for k in KS:
        out[f"hit@{k}"] = float(np.mean([bool(set(r[:k]) & g) for r, g in zip(ranked, gold)]))
    return out


def run_method(fn, questions, qvecs) -> tuple[list[list[int]], list[float]]:
    ranked, ms = [], []
    for q, v in zip(questions, qvecs):
        t = time.perf_counter()
        ranked.append(fn(q, v))
        ms.append((time.perf_counter() - t) * 1000)
    return ranked, ms


def methods(env, lex, params):
    """name → fn(question, qvec) → top-10 article ids."""
    import stard_methods as M
    return M.all_methods(env, lex, params)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="")
    ap.add_argument("--only", default="", help="method names separated by ',' (or by '|' when names hold commas)")
    ap.add_argument("--limit", type=int, default=0, help="first N questions of each fold (smoke runs)")
    a = ap.parse_args()
    import stard_methods as M
    env = load_env()
    from rag.embed import get_embedder
    qt, qr = question_vectors(env, get_embedder("e5-small"))
    mask = env.have
    missing = sum(1 for g in env.gold_tune + env.gold_report for r in g if not mask[r])
    assert missing == 0, f"{missing} gold articles are not embedded yet; run bench/stard_embed.py longer"
    print(f"{int(mask.sum())} of {len(mask)} articles embedded; all methods run over those", flush=True)
    lex = M.lexicon()
    rows = []
    for name, fn in M.all_methods(env, lex, mask).items():
        if a.only and name not in a.only.split("|" if "|" in a.only else ","):
            continue
        res = {}
        for fold, recs, vecs, gold in (("tune", env.tune, qt, env.gold_tune), ("report", env.report, qr, env.gold_report)):
            g = gold  # every gold article belongs to a gold law, and those are embedded first
            n = a.limit or len(recs)
            g = g[:n]
            ranked, ms = run_method(fn, [r["问题"] for r in recs[:n]], vecs[:n])
            res[fold] = hits_at(ranked, g)
            res[fold]["p95"] = float(np.percentile(ms, 95))
        line = (f"| {name} | " + " | ".join(f"{res['tune'][f'hit@{k}']:.3f}" for k in KS) + " | "
                + " | ".join(f"{res['report'][f'hit@{k}']:.3f}" for k in KS) + f" | {res['report']['p95']:.0f} |")
        print(line, flush=True)
        rows.append(line)
    head = ("| method | tune @1 | tune @5 | tune @10 | **report @1** | **report @5** | **report @10** | p95 ms |\n"
            "|---|---|---|---|---|---|---|---|")
    if a.out:
        Path(a.out).write_text(f"{int(mask.sum())} articles\n\n{head}\n" + "\n".join(rows) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
