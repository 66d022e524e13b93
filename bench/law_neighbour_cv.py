"""Out-of-fold check of a structural re-scorer of the statute ranking on STARD tune (round 18, issue 10).

Reads ``bench/law_neighbour_rows.py``'s rows (each tune question's top 100 through its fold's adapter, 31-law index)
and re-ranks each question's top ``--depth`` rows by a pointwise ``HistGradientBoostingClassifier`` (fixed settings:
depth 3, 150 iterations, learning rate 0.1) over the candidate's own scores, its structural place relative to the
top hits (same law, article-number distance, same 编/章/节 path) and the question's cosine with its law title +
section path ("chapter agreement"). Fitted on 3 folds, scored on the 4th (the rows' folds: grouped by gold article).
Prints the baseline and the re-ranked hit@1/5/10 from the same rows, per fold, and an ablation without the
structural and chapter features. Keep rule: ``bench/results/r18_h2_rule.md`` (written before the first run).

    python bench/law_neighbour_cv.py --home H31 --rows rows.jsonl [--depth 50]

On rows of ``law_neighbour_rows.py --dev-law`` the folds are the source sets (leave one set out; a diagnostic only).

``--boost`` (a diagnostic after the verdict) keeps the ranking and adds a small structural bonus instead:
``score / top + w · [±3 article of a top-3 hit] + v · [same section as a top-3 hit] + u · (section cosine gap)``,
``(w, v, u)`` from a grid chosen on 3 folds by hit@5 + hit@10 (all zero is a candidate), scored on the 4th.
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

from law_neighbour_headroom import article_keys, article_no  # noqa: E402

SCORE_FEATURES = ["score_share", "rank", "dense", "bm25_share", "cos", "cos_gap"]
STRUCT_FEATURES = ["same_law_1", "same_law_3", "dist_1", "dist_3", "same_sec_1", "same_sec_3", "law_share_10",
                   "sec_cos", "sec_cos_gap"]
CAP = 20.0


def section_vectors(index, embedder) -> tuple[list[int], np.ndarray]:
    """Per row, the id of its ``title + section path`` string, and those strings' e5 passage vectors."""
    from rag.textnorm import to_mainland
    names: dict[str, int] = {}
    ids = []
    for c in index.chunks:
        s = to_mainland(f"{index.documents[c.doc_id].title} {c.section.replace(' > ', ' ')}".strip())
        ids.append(names.setdefault(s, len(names)))
    vecs = embedder.embed_passages(list(names))
    return ids, np.asarray(vecs, dtype=np.float32)


def features(hits: list, qv: np.ndarray, V: np.ndarray, sec_id: list[int], S: np.ndarray, chunks, nos,
             depth: int) -> np.ndarray:
    """One row of :data:`SCORE_FEATURES` + :data:`STRUCT_FEATURES` per candidate of ``hits`` (top ``depth``)."""
    hits = hits[:depth]
    rows = [h[0] for h in hits]
    top = max(hits[0][1], 1e-9)
    bm = max([h[3] or 0.0 for h in hits] + [1e-9])
    cos = V[rows] @ qv
    sc = S[[sec_id[r] for r in rows]] @ qv
    docs10 = [chunks[r].doc_id for r in rows[:10]]
    out = []
    for i, (r, s, d, b) in enumerate(hits):
        c, n = chunks[r], nos[r]

        def dist(t: int) -> float:
            ct = chunks[t]
            if ct.doc_id != c.doc_id or n is None or nos[t] is None:
                return CAP
            return min(abs(n - nos[t]), CAP)
        others3 = [t for t in rows[:3] if t != r]
        out.append([s / top, i + 1, -1.0 if d is None else d, (b or 0.0) / bm, cos[i], cos[i] - cos.max(),
                    float(chunks[rows[0]].doc_id == c.doc_id), float(any(chunks[t].doc_id == c.doc_id for t in others3)),
                    dist(rows[0]), min([dist(t) for t in others3] + [CAP]),
                    float(bool(c.section) and chunks[rows[0]].section == c.section and chunks[rows[0]].doc_id == c.doc_id),
                    float(any(bool(c.section) and chunks[t].section == c.section and chunks[t].doc_id == c.doc_id
                              for t in others3)),
                    docs10.count(c.doc_id) / len(docs10), sc[i], sc[i] - sc.max()])
    return np.asarray(out, dtype=np.float32)


def hit_at(order: list[int], labels: np.ndarray, k: int) -> bool:
    return bool(labels[order[:k]].any())


def run(home: str, rows_path: Path, depth: int) -> dict:
    from sklearn.ensemble import HistGradientBoostingClassifier

    from rag.qa import Searcher
    from rag.retrieve import clean_question
    from rag.textnorm import to_mainland
    s = Searcher(home)
    index, emb = s.index(), s.embedder
    chunks = index.chunks
    nos = [article_no(c.article) for c in chunks]
    keys = article_keys(chunks)
    V = index.dense.vectors()
    sec_id, S = section_vectors(index, emb)
    rows = [json.loads(x) for x in rows_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    Q = emb.embed_queries([to_mainland(clean_question(r["q"])) for r in rows])
    X, Y, G, F = [], [], [], []
    for r, qv in zip(rows, Q):
        gk = {keys[g] for g in r["gold"]}
        X.append(features(r["hits"], qv, V, sec_id, S, chunks, nos, depth))
        Y.append(np.array([keys[h[0]] in gk for h in r["hits"][:depth]]))
        F.append(r["fold"])
    F = np.array(F)
    res: dict = {}
    for name, cols in (("candidate", slice(None)), ("scores only (ablation)", slice(0, len(SCORE_FEATURES)))):
        per = {"baseline": np.zeros((len(rows), 3), bool), name: np.zeros((len(rows), 3), bool)}
        for f in sorted(set(F)):
            tr = [i for i in range(len(rows)) if F[i] != f]
            m = HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.1, random_state=0)
            m.fit(np.vstack([X[i][:, cols] for i in tr]), np.concatenate([Y[i] for i in tr]))
            for i in np.where(F == f)[0]:
                p = m.predict_proba(X[i][:, cols])[:, 1]
                order = list(np.argsort(-p, kind="stable"))
                base = list(range(len(Y[i])))
                per["baseline"][i] = [hit_at(base, Y[i], k) for k in (1, 5, 10)]
                per[name][i] = [hit_at(order, Y[i], k) for k in (1, 5, 10)]
        res.setdefault("baseline", per["baseline"])
        res[name] = per[name]
    res["folds"] = F
    return res


GRID = (0.0, 0.02, 0.05, 0.1, 0.2)


def boost_cv(home: str, rows_path: Path, depth: int) -> dict:
    """Out-of-fold hit@1/5/10 of the additive structural bonus (see the module docstring) and of the baseline."""
    import itertools

    from rag.qa import Searcher
    from rag.retrieve import clean_question
    from rag.textnorm import to_mainland
    s = Searcher(home)
    index, emb = s.index(), s.embedder
    chunks = index.chunks
    nos = [article_no(c.article) for c in chunks]
    keys = article_keys(chunks)
    V = index.dense.vectors()
    sec_id, S = section_vectors(index, emb)
    rows = [json.loads(x) for x in rows_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    Q = emb.embed_queries([to_mainland(clean_question(r["q"])) for r in rows])
    names = SCORE_FEATURES + STRUCT_FEATURES
    col = {n: i for i, n in enumerate(names)}
    data = []
    for r, qv in zip(rows, Q):
        gk = {keys[g] for g in r["gold"]}
        X = features(r["hits"], qv, V, sec_id, S, chunks, nos, depth)
        y = np.array([keys[h[0]] in gk for h in r["hits"][:depth]])
        near = (X[:, col["dist_3"]] <= 3).astype(np.float32)
        near[:3] = 0.0
        data.append((X[:, col["score_share"]], near, X[:, col["same_sec_3"]], X[:, col["sec_cos_gap"]], y))
    F = np.array([r["fold"] for r in rows])

    def hits(i: int, w: float, v: float, u: float) -> np.ndarray:
        base, near, sec, gap, y = data[i]
        order = np.argsort(-(base + w * near + v * sec + u * gap), kind="stable")
        return np.array([y[order[:k]].any() for k in (1, 5, 10)])

    grid = list(itertools.product(GRID, GRID, GRID))
    out = {"baseline": np.array([hits(i, 0, 0, 0) for i in range(len(rows))]), "boost": np.zeros((len(rows), 3), bool)}
    chosen = []
    for f in sorted(set(F)):
        tr, te = np.where(F != f)[0], np.where(F == f)[0]
        best = max(grid, key=lambda g: (sum(hits(i, *g)[1:].sum() for i in tr), -sum(g)))
        chosen.append((f, best))
        for i in te:
            out["boost"][i] = hits(i, *best)
    print("chosen (fold, (w, v, u)):", [(str(f), b) for f, b in chosen])
    allq = range(len(rows))
    best = max(grid, key=lambda g: (sum(hits(i, *g)[1:].sum() for i in allq), -sum(g)))
    top = max((g for g in grid if sum(g) > 0), key=lambda g: sum(hits(i, *g)[1:].sum() for i in allq))
    print("in-sample best:", best, "best non-zero:", top, np.mean([hits(i, *top) for i in allq], 0).round(3))
    out["folds"] = F
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--rows", required=True, type=Path)
    ap.add_argument("--depth", type=int, default=50)
    ap.add_argument("--boost", action="store_true", help="the additive structural bonus (diagnostic)")
    a = ap.parse_args()
    res = (boost_cv if a.boost else run)(a.home, a.rows, a.depth)
    F = res.pop("folds")
    print(f"| ranking ({len(F)} q, out of fold) | hit@1 / @5 / @10 | per fold @5 | per fold @10 |")
    print("|---|---|---|---|")
    for name, h in res.items():
        m = h.mean(0)
        pf = [h[F == f].mean(0) for f in sorted(set(F))]
        print(f"| {name} | {m[0]:.3f} / {m[1]:.3f} / {m[2]:.3f} | " + " ".join(f"{x[1]:.3f}" for x in pf) + " | "
              + " ".join(f"{x[2]:.3f}" for x in pf) + " |")


if __name__ == "__main__":
    main()
