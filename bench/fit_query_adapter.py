"""Fit the query-side adapter of the e5 embedder (``rag/query_adapter.py``) on STARD's tune fold.

The article vectors stay as indexed; only the question vector moves: ``q' = normalise(q + (q·V)·Uᵀ)``
(rank r) or ``normalise(q + q·Aᵀ)`` (full 384×384), trained with a contrastive loss — gold articles
against each question's nearest articles under the plain query (hard negatives) and a shared random
sample of articles — with an L2 penalty that keeps the map near the identity.

Hyper-parameters (rank, L2, temperature, steps) are chosen by K-fold cross-validation *inside* the tune
fold, folds grouped by gold article (questions that share a gold article, or a law's same text in two
versions, are in one fold — the same grouping as the tune/report split). The report fold is never read.

    RAG_STARD_EMB=/tmp/h5/emb python bench/fit_query_adapter.py --cv            # grid, prints the table
    RAG_STARD_EMB=/tmp/h5/emb python bench/fit_query_adapter.py --pipelines --config '{"rank":0,"l2":0.1}'
    RAG_STARD_EMB=/tmp/h5/emb python bench/fit_query_adapter.py --fit --config … --out /tmp/qa_bench.json
    python bench/fit_query_adapter.py --fit --index FULL_ARCHIVE_HOME --tune-jsonl stard_tune.jsonl --config …

Articles: the bench corpus (``bench/stard_env.py``, the e5 vectors of ``bench/stard_embed.py``), or with
``--index`` a built product index (its passage text is what product indexes embed: the shipped file,
``rag/data/query_adapter.json``, the default ``--out``, is fitted that way; see docs/legal-retrieval.md).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stard_split import components  # noqa: E402

KS = (1, 5, 10)


@dataclass(frozen=True)
class FitConfig:
    rank: int = 16          # 0 = full matrix
    l2: float = 1e-2
    tau: float = 0.05
    steps: int = 200
    lr: float = 2e-3
    hard: int = 100
    shared: int = 2048
    seed: int = 0


def group_folds(recs: list[dict], golds: list[set[int]], k: int = 4, salt: str = "h3-adapter") -> list[int]:
    """Fold id per question; a group's fold is the hash of its first question id."""
    roots = components(golds)
    first: dict[int, str] = {}
    for i, r in enumerate(roots):
        first.setdefault(r, str(recs[i].get("query_id", i)))
    return [int(hashlib.sha256(f"{salt}:{first[r]}".encode()).hexdigest(), 16) % k for r in roots]


def _dense_top(Q: np.ndarray, P: np.ndarray, emb: np.ndarray, k: int) -> np.ndarray:
    out = []
    for s in range(0, len(Q), 256):
        sims = Q[s:s + 256] @ P[emb].T
        part = np.argpartition(-sims, k, axis=1)[:, :k]
        order = np.take_along_axis(sims, part, 1).argsort(axis=1)[:, ::-1]
        out.append(emb[np.take_along_axis(part, order, 1)])
    return np.concatenate(out)


def hits(top: np.ndarray, golds: list[set[int]]) -> dict[str, float]:
    return {f"hit@{k}": float(np.mean([bool(set(t[:k].tolist()) & g) for t, g in zip(top, golds)])) for k in KS}


def apply(Q: np.ndarray, params: dict[str, np.ndarray] | None) -> np.ndarray:
    """The adapted, renormalised question vectors (``params`` None → unchanged)."""
    if not params:
        return Q
    V = Q + ((Q @ params["V"]) @ params["U"].T if "U" in params else Q @ params["A"].T)
    return (V / np.linalg.norm(V, axis=1, keepdims=True)).astype(np.float32)


def train(Q: np.ndarray, golds: list[set[int]], P: np.ndarray, have: np.ndarray, cfg: FitConfig,
          checkpoints: tuple[int, ...] = (), weights: np.ndarray | None = None) -> dict[int, dict[str, np.ndarray]]:
    """Train; return ``{step: params}`` at each checkpoint (and at ``cfg.steps``). ``weights``: one per question
    (e.g. weak pairs below 1, bench/stard_weak_cv.py); the loss is then their weighted mean."""
    import torch
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    emb = np.flatnonzero(have)
    keep = [i for i, g in enumerate(golds) if g]
    Q, gl = Q[keep], [sorted(golds[i]) for i in keep]
    wt = None if weights is None else torch.from_numpy(np.asarray(weights, np.float32)[keep])
    hard_rows = _dense_top(Q, P, emb, cfg.hard)
    neg = rng.choice(emb, size=min(cfg.shared, len(emb)), replace=False)
    G = max(len(g) for g in gl)
    pos = np.array([g + [g[0]] * (G - len(g)) for g in gl])
    pm = torch.from_numpy(np.array([[j < len(g) for j in range(G)] for g in gl]))
    gs = [set(g) for g in gl]
    hmask = torch.from_numpy(np.array([[r in s for r in row] for row, s in zip(hard_rows, gs)]))
    nmask = torch.from_numpy(np.array([[r in s for r in neg] for s in gs]))
    Pt = torch.from_numpy(np.ascontiguousarray(P))
    Pp, Ph, Pn = Pt[torch.from_numpy(pos)], Pt[torch.from_numpy(hard_rows)], Pt[torch.from_numpy(neg)]
    q = torch.from_numpy(np.ascontiguousarray(Q))
    d = Q.shape[1]
    if cfg.rank:
        U = torch.zeros(d, cfg.rank, requires_grad=True)
        V = (0.01 * torch.randn(d, cfg.rank)).requires_grad_(True)
        ps = [U, V]
    else:
        A = torch.zeros(d, d, requires_grad=True)
        ps = [A]
    opt = torch.optim.Adam(ps, lr=cfg.lr)
    out: dict[int, dict[str, np.ndarray]] = {}
    stops = set(checkpoints) | {cfg.steps}
    for step in range(1, cfg.steps + 1):
        v = q + ((q @ V) @ U.T if cfg.rank else q @ A.T)
        v = v / v.norm(dim=1, keepdim=True)
        lp = torch.einsum("nd,ngd->ng", v, Pp).masked_fill(~pm, -1e4) / cfg.tau
        lh = torch.einsum("nd,nhd->nh", v, Ph).masked_fill(hmask, -1e4) / cfg.tau
        ln = (v @ Pn.T).masked_fill(nmask, -1e4) / cfg.tau
        per = torch.logsumexp(torch.cat([lp, lh, ln], 1), 1) - torch.logsumexp(lp, 1)
        loss = per.mean() if wt is None else (wt * per).sum() / wt.sum()
        loss = loss + cfg.l2 * sum((p ** 2).sum() for p in ps)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in stops:
            out[step] = ({"U": U.detach().numpy().copy(), "V": V.detach().numpy().copy()} if cfg.rank
                         else {"A": A.detach().numpy().copy()})
    return out


def cross_validate(Q, golds, recs, P, have, cfg: FitConfig, checkpoints, k: int = 4) -> dict[int, dict]:
    """Held-out dense hit@k per checkpoint, pooled over the K folds."""
    folds = group_folds(recs, golds, k)
    emb = np.flatnonzero(have)
    tops: dict[int, np.ndarray] = {}
    for f in range(k):
        fit = [i for i in range(len(Q)) if folds[i] != f]
        held = np.array([i for i in range(len(Q)) if folds[i] == f])
        models = train(Q[fit], [golds[i] for i in fit], P, have, cfg, checkpoints)
        for step, params in models.items():
            t = tops.setdefault(step, np.zeros((len(Q), 10), np.int64))
            t[held] = _dense_top(apply(Q[held], params), P, emb, 10)
    return {step: hits(t, golds) for step, t in tops.items()}


def cv_pipelines(env, qt, golds, cfg: FitConfig, names: list[str], k: int = 4) -> dict[str, dict]:
    """Held-out hit@k of bench methods (``stard_methods``) with the plain and the fold's adapted question
    vector: each fold's questions go through the adapter fitted on the other folds."""
    import stard_methods as M
    folds = group_folds(env.tune, golds, k)
    fns = M.all_methods(env, M.lexicon(), env.have)
    ranked = {f"{n} {tag}": [None] * len(qt) for n in names for tag in ("plain", "adapted")}
    for f in range(k):
        fit = [i for i in range(len(qt)) if folds[i] != f]
        held = [i for i in range(len(qt)) if folds[i] == f]
        params = train(qt[fit], [golds[i] for i in fit], env.vecs, env.have, cfg)[cfg.steps]
        qa = apply(qt[held], params)
        for n in names:
            for i, v in zip(held, qa):
                q = env.tune[i]["问题"]
                ranked[f"{n} plain"][i] = fns[n](q, qt[i])
                ranked[f"{n} adapted"][i] = fns[n](q, v)
    return {n: hits(np.array([r + [-1] * (10 - len(r)) for r in rs]), golds) for n, rs in ranked.items()}


PIPELINES = ["dense e5-small", "general: rag.retrieve.retrieve()", "+ law prior"] + [
    f"general, dense weight {w} (bigram {b}), no adapter" for w, b in ((0.5, 0.25), (0.6, 0.2), (0.7, 0.15))]
GRID = {"rank": (4, 16, 64, 0), "l2": (1e-3, 1e-2, 1e-1), "tau": (0.05,)}
CHECKPOINTS = (25, 50, 100, 150, 200)


def index_training_set(home: str, tune_jsonl: str, embedder, *, with_ids: bool = False) -> tuple:
    """``(question vectors, gold rows, passage vectors)`` against a built index (the product's passage text:
    ``title section 第X条`` + article). Gold rows: passages containing the question's longest gold answer
    sentence (``rag eval`` format, e.g. the tune fold of bench/stard_answers.py); questions without one are dropped.
    ``with_ids``: a fourth element, the kept questions' ids (``id`` of the JSON lines)."""
    import bisect

    from rag.index import open_index
    from rag.retrieve import clean_question
    from rag.textnorm import normalize, search_form, to_mainland
    index = open_index(home)  # the weights are checked by fingerprint on the adapter, not here
    P = index.dense.vectors().astype(np.float32)
    texts = [search_form(c.text) for c in index.chunks]
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]).tolist()
    big = "\x00".join(texts)
    recs = [json.loads(line) for line in Path(tune_jsonl).read_text(encoding="utf-8").splitlines() if line.strip()]
    qs, golds, ids = [], [], []
    for r in recs:
        a = max((search_form(normalize(x)[0]) for x in r.get("answers", [])), key=len, default="")
        g, i = set(), big.find(a) if a else -1
        while i >= 0:
            g.add(bisect.bisect_right(starts, i) - 1)
            i = big.find(a, i + 1)
        if g:
            qs.append(to_mainland(clean_question(r["question"])))
            golds.append(g)
            ids.append(str(r.get("id", len(ids))))
    out = (embedder.embed_queries(qs), golds, P)
    return (*out, ids) if with_ids else out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true", help="grid by cross-validation inside tune")
    ap.add_argument("--fit", action="store_true", help="fit the chosen config on all of tune and save")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "rag" / "data" / "query_adapter.json"))
    ap.add_argument("--config", default="", help='JSON FitConfig fields for --fit, e.g. {"rank":16,"l2":0.01}')
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--pipelines", action="store_true", help="CV of --config through the bench's methods")
    ap.add_argument("--grid", default="", help="JSON overriding GRID")
    ap.add_argument("--index", default="", help="fit against this built index's passage vectors (with --tune-jsonl)")
    ap.add_argument("--tune-jsonl", default="", help="tune questions with gold answers (rag eval format)")
    ap.add_argument("--set-scale", type=float, default=None,
                    help="rewrite --out with this share of its correction applied (chosen by CV: bench/stard_scale.py)")
    a = ap.parse_args()
    from rag.embed import get_embedder
    if a.set_scale is not None:
        return set_scale(Path(a.out), a.set_scale)
    if a.index:
        return fit_on_index(a)
    from stard_env import load_env, question_vectors
    t0 = time.time()
    env = load_env()
    embedder = get_embedder("e5-small")
    qt, _ = question_vectors(env, embedder)   # report vectors are loaded with them but never used here
    P, have = env.vecs, env.have
    emb = set(np.flatnonzero(have).tolist())
    golds = [g & emb for g in env.gold_tune]
    print(f"{int(have.sum())} articles, tune {len(qt)} questions ({time.time() - t0:.0f} s)", flush=True)
    base = hits(_dense_top(qt, P, np.flatnonzero(have), 10), golds)
    print(f"no adapter: tune dense {base}", flush=True)
    if a.cv:
        grid = {**GRID, **json.loads(a.grid or "{}")}
        rows = []
        for rank, l2, tau in itertools.product(grid["rank"], grid["l2"], grid["tau"]):
            cfg = FitConfig(rank=rank, l2=l2, tau=tau, steps=max(CHECKPOINTS))
            res = cross_validate(qt, golds, env.tune, P, have, cfg, CHECKPOINTS, a.folds)
            for step, h in sorted(res.items()):
                rows.append((rank, l2, tau, step, h))
                print(f"rank {rank:3d} l2 {l2:g} tau {tau:g} steps {step:3d}: "
                      + " ".join(f"{k} {v:.3f}" for k, v in h.items()) + f"  ({time.time() - t0:.0f} s)", flush=True)
        best = max(rows, key=lambda r: r[4]["hit@5"] + r[4]["hit@10"])
        print(f"best by CV hit@5+hit@10: rank {best[0]} l2 {best[1]} tau {best[2]} steps {best[3]} {best[4]}")
    if a.pipelines:
        cfg = FitConfig(**json.loads(a.config or "{}"))
        for name, h in cv_pipelines(env, qt, golds, cfg, PIPELINES, a.folds).items():
            print(f"CV {name}: " + " ".join(f"{k} {v:.3f}" for k, v in h.items()), flush=True)
    if a.fit:
        cfg = FitConfig(**json.loads(a.config or "{}"))
        params = train(qt, golds, P, have, cfg)[cfg.steps]
        fp = embedder.fingerprint
        meta = {"built_by": "bench/fit_query_adapter.py", "fitted_on": f"STARD tune fold ({len(qt)} questions)",
                "articles": int(have.sum()), "tune_dense_no_adapter": base,
                "tune_dense_in_sample": hits(_dense_top(apply(qt, params), P, np.flatnonzero(have), 10), golds)}
        from rag.query_adapter import QueryAdapter, save_adapter
        save_adapter(a.out, QueryAdapter(fp, params.get("U"), params.get("V"), params.get("A"),
                                         {**meta, "embedder": "e5-small", "fit": asdict(cfg)}))
        print(f"wrote {a.out} ({Path(a.out).stat().st_size / 1e3:.0f} kB) for {fp}: {meta}")


def set_scale(path: Path, scale: float) -> None:
    """Store ``scale`` in an adapter file (the matrices are kept): ``q' = normalise(q + scale·correction)``."""
    import dataclasses

    from rag.query_adapter import _load, load_adapter, save_adapter
    ad = load_adapter(path)
    meta = {**ad.meta, "scale": {"value": scale, "chosen_by": "4-fold CV inside STARD tune, grouped by gold article, "
                                 "cross-fitted adapters, general hybrid on the 31-law index (bench/stard_scale.py)"}}
    save_adapter(path, dataclasses.replace(ad, scale=scale, meta=meta))
    _load.cache_clear()
    print(f"{path}: scale {scale}")


def fit_on_index(a) -> None:
    """``--fit --index HOME --tune-jsonl F``: the chosen config, fitted against a product index's vectors."""
    from rag.embed import get_embedder
    from rag.query_adapter import QueryAdapter, save_adapter
    embedder = get_embedder("e5-small")
    Q, golds, P = index_training_set(a.index, a.tune_jsonl, embedder)
    cfg = FitConfig(**json.loads(a.config or "{}"))
    rows = np.arange(len(P))
    base = hits(_dense_top(Q, P, rows, 10), golds)
    params = train(Q, golds, P, np.ones(len(P), bool), cfg)[cfg.steps]
    meta = {"built_by": "bench/fit_query_adapter.py --index", "embedder": "e5-small", "fit": asdict(cfg),
            "fitted_on": f"STARD tune fold ({len(Q)} questions with a gold passage, {a.tune_jsonl})",
            "passages": f"{len(P)} passages of the index {a.index}", "tune_dense_no_adapter": base,
            "tune_dense_in_sample": hits(_dense_top(apply(Q, params), P, rows, 10), golds)}
    save_adapter(a.out, QueryAdapter(embedder.fingerprint, params.get("U"), params.get("V"), params.get("A"), meta))
    print(f"wrote {a.out} for {embedder.fingerprint}: {meta}")


if __name__ == "__main__":
    main()
