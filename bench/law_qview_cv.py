"""A query-side view of statute articles, checked out of fold on STARD tune (round 18, issue 10; bench only).

Every passage of the index is embedded a second time with e5's *query* prefix (its usual input,
``rag.chunk.embed_text``), so a citizen's question can be compared with an article as question with question.
Each tune question's top 100 (``bench/law_neighbour_rows.py`` rows, fold adapters) is re-scored by
``score / top + w · (cos_qq − max cos_qq over the candidates)``; ``w`` is chosen on 3 folds by hit@5 + hit@10
(0 is a candidate) and scored on the 4th. Keep rule: ``bench/results/r18_h2_rule.md`` (addendum). The vectors are
cached in ``--cache`` (``.npy``), keyed by the index's passage count.

    python bench/law_qview_cv.py --home H31 --rows rows.jsonl --cache /tmp/h2/qview.npy
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from law_neighbour_headroom import article_keys  # noqa: E402

WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


def query_view(index, embedder, cache: Path) -> np.ndarray:
    """Each passage's input embedded as a query (L2-normalised), cached in ``cache``."""
    from rag.chunk import embed_text
    if cache.exists() and (v := np.load(cache)).shape[0] == len(index.chunks):
        return v
    texts = [embed_text(c, index.documents[c.doc_id].title) for c in index.chunks]
    out = []
    for i in range(0, len(texts), 64):
        out.append(np.asarray(embedder.embed_queries(texts[i:i + 64]), dtype=np.float32))
        print(f"  {i + 64}/{len(texts)}", file=sys.stderr, flush=True)
    v = np.vstack(out)
    np.save(cache, v)
    return v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--rows", required=True, type=Path)
    ap.add_argument("--cache", required=True, type=Path)
    ap.add_argument("--weights", default=",".join(map(str, WEIGHTS)),
                    help="the grid of w (the rule's grid by default; another is a diagnostic)")
    a = ap.parse_args()
    weights = tuple(float(x) for x in a.weights.split(","))
    from rag.qa import Searcher
    from rag.retrieve import clean_question
    from rag.textnorm import to_mainland
    s = Searcher(a.home)
    index, emb = s.index(), s.embedder
    keys = article_keys(index.chunks)
    W = query_view(index, emb, a.cache)
    rows = [json.loads(x) for x in a.rows.read_text(encoding="utf-8").splitlines() if x.strip()]
    Q = emb.embed_queries([to_mainland(clean_question(r["q"])) for r in rows])
    data = []
    for r, qv in zip(rows, Q):
        gk = {keys[g] for g in r["gold"]}
        ids = [h[0] for h in r["hits"]]
        base = np.array([h[1] for h in r["hits"]]) / max(r["hits"][0][1], 1e-9)
        qq = W[ids] @ qv
        data.append((base, qq - qq.max(), np.array([keys[i] in gk for i in ids])))
    spread = np.array([[d[0][min(9, len(d[0]) - 1)], d[1][:10].min()] for d in data])
    print(f"median over questions: score/top at rank 10 {np.median(spread[:, 0]):.3f}, "
          f"lowest cos_qq gap in the top 10 {np.median(spread[:, 1]):.3f}")

    def hits(i: int, w: float) -> np.ndarray:
        base, gap, y = data[i]
        order = np.argsort(-(base + w * gap), kind="stable")
        return np.array([y[order[:k]].any() for k in (1, 5, 10)])

    F = np.array([r["fold"] for r in rows])
    base = np.array([hits(i, 0.0) for i in range(len(rows))])
    cand = np.zeros_like(base)
    for f in sorted(set(F)):
        tr, te = np.where(F != f)[0], np.where(F == f)[0]
        w = max(weights, key=lambda w: (sum(hits(i, w)[1:].sum() for i in tr), -w))
        print(f"fold {f}: w = {w}")
        for i in te:
            cand[i] = hits(i, w)
    for w in weights:
        print(f"in-sample w = {w}: " + " / ".join(f"{x:.3f}" for x in np.mean([hits(i, w) for i in range(len(rows))], 0)))
    print("| ranking | hit@1 / @5 / @10 | per fold @5 | per fold @10 |\n|---|---|---|---|")
    for name, h in (("baseline", base), ("query-side view", cand)):
        m = h.mean(0)
        pf = [h[F == f].mean(0) for f in sorted(set(F))]
        print(f"| {name} | {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f} | " + " ".join(f"{x[1]:.3f}" for x in pf) + " | "
              + " ".join(f"{x[2]:.3f}" for x in pf) + " |")


if __name__ == "__main__":
    main()
