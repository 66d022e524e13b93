"""Build rag/data/statute_lexicon.json from the lawrefbook archive and STARD's *tune* fold only.

1. Lay → statute term map: for each jieba term w of a tune question and each term t of the
   question's gold articles' bodies (not in the question), count the questions where both occur.
   lift(w→t) = P(t in gold | w in question) / P(t in gold); kept when seen in ≥ MIN_COUNT
   questions and lift ≥ MIN_LIFT; weight = P(t | w) · log(lift); the best TOP per lay term.
2. Law classifier: multinomial naive Bayes, question terms → law title of the gold articles
   (titles as in the archive), add-ALPHA smoothing, prior = smoothed share of tune questions.
3. Fusion weights: grid search maximising hit@5 + hit@10 by 2-fold cross-fitting inside tune
   (the lexicon is mined on one half and scored on the other, both ways), so the weights are
   chosen on questions the map has not seen — like the report fold and the held-back set.

The report fold is never read. ``python bench/build_thesaurus.py [--grid small|full]``
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stard_env import load_env, question_vectors  # noqa: E402
from stard_split import components  # noqa: E402

OUT = Path(__file__).resolve().parents[1] / "rag" / "data" / "statute_lexicon.json"
MIN_COUNT, MIN_LIFT, TOP, ALPHA = 2, 3.0, 6, 0.1


def body_terms(env, aid: int, cache: dict) -> set[str]:
    from rag.tokenize import tokenize
    if aid not in cache:
        cache[aid] = {t for t in tokenize(env.arts[aid].text) if len(t) > 1}
    return cache[aid]


def mine(env, recs, golds, cache) -> dict:
    from rag.tokenize import tokenize
    qterms = [set(tokenize(r["问题"])) for r in recs]
    gterms = [set().union(*(body_terms(env, a, cache) for a in g)) if g else set() for g in golds]
    n = len(recs)
    df_q, df_g, co = Counter(), Counter(), defaultdict(Counter)
    for qt, gt in zip(qterms, gterms):
        df_q.update(qt)
        df_g.update(gt)
        for w in qt:
            co[w].update(gt - qt)
    exp = {}
    for w, c in co.items():
        cand = []
        for t, k in c.items():
            if k < MIN_COUNT:
                continue
            p = k / df_q[w]
            lift = p / (df_g[t] / n)
            if lift >= MIN_LIFT:
                cand.append((t, round(p * math.log(lift), 4)))
        if cand:
            exp[w] = sorted(cand, key=lambda x: -x[1])[:TOP]
    # naive Bayes: question terms -> law titles (fractional when the gold spans several titles)
    law_terms, law_n = defaultdict(Counter), Counter()
    for qt, g in zip(qterms, golds):
        titles = {env.arts[a].title for a in g}
        for t in titles:
            law_n[t] += 1 / len(titles)
            for w in qt:
                law_terms[t][w] += 1 / len(titles)
    vocab = {w for c in law_terms.values() for w in c}
    total_q = sum(law_n.values())
    law_logp, law_unseen, prior = {}, {}, {}
    for law, c in law_terms.items():
        denom = sum(c.values()) + ALPHA * len(vocab)
        law_logp[law] = {w: round(math.log((v + ALPHA) / denom), 3) for w, v in c.items()}
        law_unseen[law] = round(math.log(ALPHA / denom), 3)
        prior[law] = round(math.log((law_n[law] + 1) / (total_q + len(law_n))), 3)
    return {"expansions": exp, "law_logp": law_logp, "law_unseen": law_unseen, "law_logprior": prior}


def train_adapter(Q: np.ndarray, golds: list[set[int]], P: np.ndarray, have: np.ndarray, *, steps: int = 200,
                  lam: float = 1e-3, tau: float = 0.02, hard: int = 50, shared: int = 4096, seed: int = 0) -> np.ndarray:
    """Linear query adapter A (q' = normalise(q + A q)) by softmax cross-entropy against fixed article vectors.

    Negatives: ``shared`` random embedded articles for all questions plus each question's ``hard``
    nearest articles under the unadapted query; positives: the gold articles (log-sum-exp over them).
    """
    import torch
    rng = np.random.default_rng(seed)
    emb = np.flatnonzero(have)
    keep = [i for i, g in enumerate(golds) if g]
    Q, golds = Q[keep], [sorted(golds[i]) for i in keep]
    sims = Q @ P[emb].T
    hard_rows = emb[np.argsort(-sims, axis=1)[:, :hard]]
    neg = rng.choice(emb, size=min(shared, len(emb)), replace=False)
    G = max(len(g) for g in golds)
    pos = np.array([g + [g[0]] * (G - len(g)) for g in golds])
    pmask = np.array([[j < len(g) for j in range(G)] for g in golds])
    Pt = torch.from_numpy(P)
    q = torch.from_numpy(Q)
    A = torch.zeros(Q.shape[1], Q.shape[1], requires_grad=True)
    opt = torch.optim.Adam([A], lr=1e-3)
    Pneg, Ph, Pp = Pt[torch.from_numpy(neg)], Pt[torch.from_numpy(hard_rows)], Pt[torch.from_numpy(pos)]
    gold_sets = [set(g) for g in golds]
    hmask = torch.from_numpy(np.array([[r in gs for r in row] for row, gs in zip(hard_rows, gold_sets)]))
    nmask = torch.from_numpy(np.array([[r in gs for r in neg] for gs in gold_sets]))
    pm = torch.from_numpy(pmask)
    for _ in range(steps):
        v = q + q @ A.T
        v = v / v.norm(dim=1, keepdim=True)
        lp = torch.einsum("nd,ngd->ng", v, Pp) / tau
        lh = torch.einsum("nd,nhd->nh", v, Ph) / tau
        ln = (v @ Pneg.T) / tau
        pos_l = torch.logsumexp(lp.masked_fill(~pm, -1e9), dim=1)
        all_l = torch.logsumexp(torch.cat([lp.masked_fill(~pm, -1e9), lh.masked_fill(hmask, -1e9),
                                           ln.masked_fill(nmask, -1e9)], dim=1), dim=1)
        loss = (all_l - pos_l).mean() + lam * (A ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return A.detach().numpy()


def encode_matrix(a: np.ndarray) -> dict:
    """A float16 matrix as base64 (a quarter of the size of JSON numbers)."""
    import base64
    return {"dtype": "float16", "shape": list(a.shape),
            "base64": base64.b64encode(a.astype("<f2").tobytes()).decode("ascii")}


def adapt_all(Q: np.ndarray, A: np.ndarray | None) -> np.ndarray:
    if A is None:
        return Q
    V = Q + Q @ A.T
    return (V / np.linalg.norm(V, axis=1, keepdims=True)).astype(np.float32)


def dense_hits(Q, golds, P, have, k=10) -> float:
    emb = np.flatnonzero(have)
    top = emb[np.argsort(-(Q @ P[emb].T), axis=1)[:, :k]]
    return float(np.mean([bool(set(t.tolist()) & g) for t, g in zip(top, golds) if g]))


def halves(recs, golds) -> list[int]:
    """Two halves of tune with no gold article on both sides.

    Questions are grouped by connected components of shared gold articles (corpus rows, so the
    same text in two versions of a law links them too); a component's half is the hash of its
    smallest question id. Grouping by the first gold name only (our first try) let questions
    with a common second article straddle the halves, and the cross-fitted numbers came out
    optimistic for the adapter.
    """
    roots = components(golds)
    first = {}
    for i, r in enumerate(roots):
        first.setdefault(r, recs[i]["query_id"])
    return [int(hashlib.sha256(f"h5-half:{first[r]}".encode()).hexdigest(), 16) % 2 for r in roots]


def features(env, lex, recs, qvecs, idx, golds):
    """Per question: candidate rows, a channel matrix (dense, bm25, bigram, expand, law) and gold flags."""
    from rag.expand import statute_fuse
    from rag.tokenize import tokenize
    from stard_methods import base_channels
    titles = [a.title for a in env.arts]
    mask = None if env.have.all() else env.have
    out = []
    for i in idx:
        q, d, b, c = base_channels(env.index, recs[i]["问题"], qvecs[i], mask)
        chans = []
        for name in ("dense", "bm25", "bigram", "expand", "law"):
            w = {k: 0.0 for k in ("dense", "bm25", "bigram", "expand", "law")}
            w[name] = 1.0
            chans.append(statute_fuse(env.index, tokenize(q), d, b, c, lex=lex, allowed=mask, titles=titles,
                                      weights=w))
        rows = sorted(set().union(*chans))
        X = np.array([[ch.get(r, 0.0) for ch in chans] for r in rows], np.float32)
        y = np.array([r in golds[i] for r in rows])
        out.append((X, y))
    return out


def score_grid(feats, grid):
    res = []
    for w in grid:
        wv = np.array(w, np.float32)
        h5 = h10 = 0
        for X, y in feats:
            if not y.any():
                continue
            s = X @ wv
            order = np.argsort(-s, kind="stable")
            h5 += y[order[:5]].any()
            h10 += y[order[:10]].any()
        res.append(((h5 + h10) / (2 * len(feats)), h5 / len(feats), h10 / len(feats), w))
    return sorted(res, key=lambda x: -x[0])


ADAPTER_GRID = ((0, 0.0), (100, 1e-2), (200, 1e-3), (400, 1e-3))  # (steps, L2); (0, ·) = no adapter


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(OUT))
    ap.add_argument("--no-adapter", action="store_true", help="ship no query adapter (see docs/legal-retrieval.md)")
    a = ap.parse_args()
    t0 = time.time()
    grid_adapter = ((0, 0.0),) if a.no_adapter else ADAPTER_GRID
    from rag.embed import get_embedder
    from rag.expand import FORMAT, _from_dict
    env = load_env()
    qt, _ = question_vectors(env, get_embedder("e5-small"))
    P, have = env.vecs, env.have
    recs, golds = env.tune, env.gold_tune
    if not have.all():
        emb = set(np.flatnonzero(have).tolist())
        golds = [g & emb for g in golds]
    print(f"{int(have.sum())} articles embedded; tune {len(recs)} questions ({time.time() - t0:.0f} s)", flush=True)
    cache: dict = {}
    h = halves(recs, golds)
    print(f"halves: {h.count(0)} / {h.count(1)} questions", flush=True)
    # 1. adapter hyper-parameters, cross-fitted on the two halves of tune (dense hit@10 on the other half)
    adapters = {}
    for cfg in grid_adapter:
        hs = []
        for part in (0, 1):
            fit = [i for i in range(len(recs)) if h[i] != part]
            held = [i for i in range(len(recs)) if h[i] == part]
            A = train_adapter(qt[fit], [golds[i] for i in fit], P, have, steps=cfg[0], lam=cfg[1]) if cfg[0] else None
            adapters[(cfg, part)] = A
            hs.append(dense_hits(adapt_all(qt[held], A), [golds[i] for i in held], P, have) * len(held))
        print(f"  adapter steps={cfg[0]} l2={cfg[1]}: cross-fitted dense hit@10 {sum(hs) / len(recs):.3f}"
              f" ({time.time() - t0:.0f} s)", flush=True)
        adapters[cfg] = sum(hs) / len(recs)
    best_cfg = max(grid_adapter, key=lambda c: adapters[c])
    # 2. fusion weights, cross-fitted: lexicon + adapter from one half, features on the other
    grid = [w for w in itertools.product((0.4, 0.6, 0.8, 1.0), (0.0, 0.1, 0.2), (0.0, 0.1, 0.2),
                                         (0.0, 0.1, 0.2, 0.3), (0.0, 0.1, 0.2, 0.4))]
    feats = []
    for part in (0, 1):
        fit = [i for i in range(len(recs)) if h[i] != part]
        held = [i for i in range(len(recs)) if h[i] == part]
        lexd = mine(env, [recs[i] for i in fit], [golds[i] for i in fit], cache)
        lex = _from_dict({"format": FORMAT, **lexd, "weights": {}})
        qa = adapt_all(qt, adapters[(best_cfg, part)])
        feats += features(env, lex, recs, qa, held, golds)
        print(f"half {part}: mined on {len(fit)}, features for {len(held)} ({time.time() - t0:.0f} s)", flush=True)
    ranked = score_grid(feats, grid)
    for r in ranked[:5]:
        print(f"  cross-fitted tune hit@5 {r[1]:.3f} hit@10 {r[2]:.3f}  weights {r[3]}")
    for name, cond in (("no expansion", lambda w: w[3] == 0), ("no law prior", lambda w: w[4] == 0),
                       ("neither", lambda w: w[3] == 0 and w[4] == 0)):
        r = [x for x in ranked if cond(x[3])][0]
        print(f"  best with {name}: hit@5 {r[1]:.3f} hit@10 {r[2]:.3f} {r[3]}")
    best = ranked[0][3]
    lexd = mine(env, recs, golds, cache)
    A = train_adapter(qt, golds, P, have, steps=best_cfg[0], lam=best_cfg[1]) if best_cfg[0] else None
    weights = dict(zip(("dense", "bm25", "bigram", "expand", "law"), best))
    weights["rerank"] = 0.0
    doc = {"format": FORMAT, **lexd, "weights": weights,
           "adapter": encode_matrix(A) if A is not None else None,
           "meta": {"built_by": "bench/build_thesaurus.py", "fitted_on": f"STARD tune fold ({len(recs)} questions)",
                    "adapter_for": "e5-small", "adapter": {"steps": best_cfg[0], "l2": best_cfg[1]},
                    "min_count": MIN_COUNT, "min_lift": MIN_LIFT, "top": TOP, "alpha": ALPHA,
                    "articles_embedded": int(have.sum()),
                    "cross_fitted_tune": {"hit@5": round(ranked[0][1], 4), "hit@10": round(ranked[0][2], 4)}}}
    Path(a.out).write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    print(f"wrote {a.out}: {len(lexd['expansions'])} lay terms, {len(lexd['law_logp'])} laws, "
          f"{Path(a.out).stat().st_size / 1e6:.2f} MB, weights {weights}, adapter {best_cfg} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
