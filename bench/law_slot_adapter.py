"""A law-slot query adapter for mixed indexes, fine-tuned on development lay questions (issue 10, round 17, h2).

On a mixed index (``corpus/``) :mod:`rag.law_route` ranks the statute rows with the shipped STARD adapter
(``q' = normalise(q + 0.6·A·q)``). This script fine-tunes that map on citizens' lay questions about the indexed laws:
``A' = 0.6·A + Δ``, Δ trained with the shipped adapter's loss and settings (``bench/fit_query_adapter.FitConfig``:
rank 0, L2 0.1 on Δ, τ 0.05, 200 steps, lr 0.002, 100 hard + 2,048 shared statute rows; fixed in advance) against the
index's statute rows. Questions: the development first law questions of ``bench/law_first_turns.py`` (rounds ≤ 15).

    python bench/law_slot_adapter.py fit --home /tmp/h2/corpus --out DIR        # 4 fold adapters + one on all
    python bench/law_slot_adapter.py measure --home /tmp/h2/corpus --dir DIR    # keep rule r17_h2_rule.md

``measure`` asks (``rag.qa.ask``, as ``rag eval`` asks a first turn) each law question with the adapter of its fold
(folds grouped by gold article), the unanswerable everyday questions and the article sets (sample_eval, first turns
of the development article dialogues) with the adapter fitted on all, each beside main's ranking in the same run.
Reads development sets only. Prints aggregates.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fit_query_adapter import FitConfig, _dense_top, hits  # noqa: E402
from law_first_turns import DEV_ROUNDS, dev_sets, first_turns, items_of  # noqa: E402
from stard_split import components  # noqa: E402

from rag.eval_data import load_dataset  # noqa: E402
from rag.evaluate import score_answer  # noqa: E402
from rag.law_route import statute_mask  # noqa: E402
from rag.qa import Searcher, ask  # noqa: E402
from rag.query_adapter import QueryAdapter, load_adapter, save_adapter  # noqa: E402
from rag.retrieve import RetrieveConfig, clean_question  # noqa: E402
from rag.textnorm import normalize, search_form, to_mainland  # noqa: E402

CONFIG = FitConfig(rank=0, l2=0.1, tau=0.05, steps=200, lr=0.002, hard=100, shared=2048, seed=0)
K = 4


def law_items(index) -> list:
    """The development first law questions (answerable, gold only in statutes), in a fixed order."""
    folded: dict[str, str] = {}
    out = []
    for source, path in dev_sets():
        out += [(source, i) for i in items_of(index, source, path, folded) if i.answerable]
    return out


def gold_rows(index, items) -> list[set[int]]:
    """Per item, the statute rows whose passage holds one of its gold strings."""
    mask = statute_mask(index)
    texts = [search_form(c.text) for c in index.chunks]
    out = []
    for _, it in items:
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        out.append({r for r, t in enumerate(texts) if mask[r] and any(g in t for g in golds)})
    return out


def folds_of(index, items, golds: list[set[int]]) -> list[int]:
    """Fold per item: questions sharing a gold article (document, article label) are in one group; a group's fold
    is the hash of its first question id."""
    arts = {}
    keyed = []
    for g in golds:
        keys = set()
        for r in g:
            c = index.chunks[r]
            keys.add(arts.setdefault((c.doc_id, c.article or c.chunk_id), len(arts)))
        keyed.append(keys)
    roots = components(keyed)
    first: dict[int, str] = {}
    for (source, it), r in zip(items, roots):
        first.setdefault(r, f"{source}:{it.qid}")
    return [int(hashlib.sha256(f"r17h2:{first[r]}".encode()).hexdigest(), 16) % K for r in roots]


def rounds_of(items) -> list[int]:
    """Fold per item by development round (a round's dialogue and everyday sets together; everyday_dev alone):
    leave-one-round-out, a diagnostic beside the article-grouped folds of the keep rule."""
    names = sorted({src.replace("dialogue", "").replace("everyday", "") for src, _ in items})
    return [names.index(src.replace("dialogue", "").replace("everyday", "")) for src, _ in items]


def train_delta(Q: np.ndarray, golds: list[set[int]], P: np.ndarray, rows: np.ndarray, base: np.ndarray,
                cfg: FitConfig) -> np.ndarray:
    """Δ of ``v = normalise(q + q·(base + Δ)ᵀ)`` by the loss of ``bench/fit_query_adapter.train`` (negatives: the
    ``cfg.hard`` nearest of ``rows`` under the base map and ``cfg.shared`` random ``rows``); L2 on Δ only."""
    import torch
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    keep = [i for i, g in enumerate(golds) if g]
    Q, gl = Q[keep], [sorted(golds[i]) for i in keep]
    Qb = Q + Q @ base.T
    Qb /= np.linalg.norm(Qb, axis=1, keepdims=True)
    hard_rows = _dense_top(Qb.astype(np.float32), P, rows, cfg.hard)
    neg = rng.choice(rows, size=min(cfg.shared, len(rows)), replace=False)
    G = max(len(g) for g in gl)
    pos = np.array([g + [g[0]] * (G - len(g)) for g in gl])
    pm = torch.from_numpy(np.array([[j < len(g) for j in range(G)] for g in gl]))
    gs = [set(g) for g in gl]
    hmask = torch.from_numpy(np.array([[r in s for r in row] for row, s in zip(hard_rows, gs)]))
    nmask = torch.from_numpy(np.array([[r in s for r in neg] for s in gs]))
    Pt = torch.from_numpy(np.ascontiguousarray(P))
    Pp, Ph, Pn = Pt[torch.from_numpy(pos)], Pt[torch.from_numpy(hard_rows)], Pt[torch.from_numpy(neg)]
    q = torch.from_numpy(np.ascontiguousarray(Q))
    B = torch.from_numpy(np.ascontiguousarray(base))
    D = torch.zeros_like(B, requires_grad=True)
    opt = torch.optim.Adam([D], lr=cfg.lr)
    for _ in range(cfg.steps):
        v = q + q @ (B + D).T
        v = v / v.norm(dim=1, keepdim=True)
        lp = torch.einsum("nd,ngd->ng", v, Pp).masked_fill(~pm, -1e4) / cfg.tau
        lh = torch.einsum("nd,nhd->nh", v, Ph).masked_fill(hmask, -1e4) / cfg.tau
        ln = (v @ Pn.T).masked_fill(nmask, -1e4) / cfg.tau
        loss = (torch.logsumexp(torch.cat([lp, lh, ln], 1), 1) - torch.logsumexp(lp, 1)).mean()
        loss = loss + cfg.l2 * (D ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return D.detach().numpy().copy()


def fit(a) -> None:
    s = Searcher(a.home)
    index, emb = s.index(), s.embedder
    items = law_items(index)
    golds = gold_rows(index, items)
    folds = folds_of(index, items, golds) if a.by == "article" else rounds_of(items)
    k = max(folds) + 1
    Q = emb.embed_queries([to_mainland(clean_question(it.question)) for _, it in items]).astype(np.float32)
    P = index.dense.vectors().astype(np.float32)
    rows = np.flatnonzero(statute_mask(index))
    shipped = load_adapter()
    base = (shipped.scale * shipped.A).astype(np.float32)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "folds.json").write_text(json.dumps([[src, it.qid, f] for (src, it), f in zip(items, folds)]))
    print(f"{len(items)} questions, {sum(bool(g) for g in golds)} with a gold statute row, folds "
          f"{[folds.count(f) for f in range(k)]}, {len(rows)} statute rows", flush=True)
    tops_b, tops_a = np.zeros((len(Q), 10), np.int64), np.zeros((len(Q), 10), np.int64)
    for f in list(range(k)) + [None]:
        fit_i = [i for i in range(len(Q)) if folds[i] != f]
        delta = train_delta(Q[fit_i], [golds[i] for i in fit_i], P, rows, base, CONFIG)
        A = base + delta
        name = "all" if f is None else f"fold{f}"
        meta = {"built_by": "bench/law_slot_adapter.py", "base": "rag/data/query_adapter.json (scale folded in)",
                "fit": dataclasses.asdict(CONFIG), "fitted_on": f"{len(fit_i)} development first law questions "
                f"(rounds <= 15) {'all' if f is None else f'outside fold {f} of {k} ({a.by})'}", "index": str(a.home)}
        save_adapter(out / f"{name}.json", QueryAdapter(shipped.fingerprint, A=A.astype(np.float32), meta=meta))
        if f is not None:
            held = np.array([i for i in range(len(Q)) if folds[i] == f])
            for tops, M in ((tops_b, base), (tops_a, A)):
                V = Q[held] + Q[held] @ M.T
                tops[held] = _dense_top((V / np.linalg.norm(V, axis=1, keepdims=True)).astype(np.float32), P, rows, 10)
        print(f"{name}: |Δ| {np.linalg.norm(delta):.3f}", flush=True)
    print("law-row dense, out of fold: shipped", hits(tops_b, golds), "fine-tuned", hits(tops_a, golds))


def quote_right(index, emb, items, config) -> tuple[int, int]:
    """(quote-right count, refused count) of answerable items; for unanswerable ones (answered, 0)."""
    right = refused = 0
    for it in items:
        ans = ask(index, it.question, embedder=emb, config=config)
        sc = score_answer(it, ans)
        right += sc["quote_hit"] if it.answerable else (not sc["refused"])
        refused += sc["refused"] and it.answerable
    return right, refused


def measure(a) -> None:
    s = Searcher(a.home)
    index, emb = s.index(), s.embedder
    d = Path(a.dir)
    items = law_items(index)
    rows = json.loads((d / "folds.json").read_text())
    fold, k = {(src, qid): f for src, qid, f in rows}, max(f for *_, f in rows) + 1
    main, cand = RetrieveConfig(), {f: RetrieveConfig(adapter=str(d / f"fold{f}.json")) for f in range(k)}
    every = RetrieveConfig(adapter=str(d / "all.json"))
    for kind in ("dialogue", "everyday"):
        its = [(src, it) for src, it in items if src.startswith(kind)]
        b = quote_right(index, emb, [it for _, it in its], main)
        c = [0, 0]
        for f in range(k):
            r = quote_right(index, emb, [it for src, it in its if fold[(src, it.qid)] == f], cand[f])
            c = [c[0] + r[0], c[1] + r[1]]
        print(f"{kind} first law questions ({len(its)}): quote-right main {b[0]} (refused {b[1]}), "
              f"out of fold {c[0]} (refused {c[1]})", flush=True)
    if a.law_only:
        return
    unans = [it for src, p in dev_sets() if src.startswith("everyday")
             for it in load_dataset(p)[1] if not it.answerable]
    print(f"unanswerable everyday ({len(unans)}): answered main {quote_right(index, emb, unans, main)[0]}, "
          f"all-fit {quote_right(index, emb, unans, every)[0]}", flush=True)
    sample = [it for it in load_dataset(ROOT / "bench" / "data" / "sample_eval.jsonl")[1]]
    data = ROOT / "bench" / "data"
    article = [it for r in DEV_ROUNDS for it in first_turns(str(data / f"dialogues_heldout{r}.jsonl"))]
    for name, its in (("sample_eval", sample), ("article dialogue first turns", article)):
        fair = [it for it in its if it.answerable]
        print(f"{name} ({len(fair)} answerable): main {quote_right(index, emb, fair, main)}, "
              f"all-fit {quote_right(index, emb, fair, every)} (right, refused)", flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("cmd", choices=("fit", "measure"))
    p.add_argument("--home", default="/tmp/h2/corpus")
    p.add_argument("--out", default="/tmp/h2/adapters")
    p.add_argument("--dir", default="/tmp/h2/adapters")
    p.add_argument("--by", choices=("article", "round"), default="article",
                   help="fit: folds grouped by gold article (the rule) or by development round (diagnostic)")
    p.add_argument("--law-only", action="store_true", help="measure: the law questions only")
    a = p.parse_args(argv)
    fit(a) if a.cmd == "fit" else measure(a)


if __name__ == "__main__":
    main()
