"""Fit the answer verifier (rag/verify.py) on tuning rows with texts; score every row's top sentences out of fold.

Input: the rows of ``bench/verifier_rows.py`` in ``$RAG_HOME`` (CMRC2018 trial, the DRCD dev tune half, their
everyday-worded paraphrases, everyday_dev and round 5's everyday held-out set: tuning/development data only).
Pairs (question, passage title + sentence), per question:

- positives: the sentences containing a gold answer (at most 2, the selector's best first), full index;
- negatives: up to 2 non-answer sentences of a passage that holds a positive (the selector's best first), and the
  selector's top 2 sentences with the question's own article removed (what the product would quote instead).

e5-small reads each pair; a LoRA (rank ``--rank``) on the attention query/value layers of layers ``--first-layer``…
and a linear head on the mean-pooled last layer are trained (binary cross-entropy, AdamW); the lower layers are run
once (bf16 autocast) and cached. Out of fold: 3 folds grouped by article (a question, its paraphrase and its
removed-article run on one side); every row's top ``--top`` sentences (by the shipped dense selector) are scored by
the fold model that did not see its article → ``$RAG_HOME/verifier_oof.json`` (``{key: p}``, key = :func:`pair_key`),
read by ``bench/calibrate_answers.py --verifier-oof``. Then one model on all pairs → ``--out``.

    RAG_HOME=/tmp/r8h4/home python bench/fit_verifier.py [--limit N] [--out rag/data/verifier.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fit_query_lora import mean_upper  # noqa: E402
from verifier_rows import read_rows  # noqa: E402

from rag.config import data_dir  # noqa: E402
from rag.select import LinearModel  # noqa: E402
from rag.verify import MAX_LENGTH, VerifierWeights, pair_text, save_weights  # noqa: E402


@dataclass(frozen=True)
class FitConfig:
    rank: int = 8
    alpha: float = 16.0
    first_layer: int = 11
    targets: tuple[str, ...] = ("attention.self.query", "attention.self.value")
    lr: float = 1e-3
    head_lr: float = 1e-3
    epochs: int = 3
    batch: int = 32
    folds: int = 2
    head_c: float = 0.1
    seed: int = 0


def pair_key(question: str, title: str, sentence: str) -> str:
    return hashlib.sha1(f"{question}\x00{title}\x00{sentence}".encode("utf-8")).hexdigest()[:20]


def article(row: dict) -> str:
    """Same grouping as calibrate_answers._article (a paraphrase carries its original article as group)."""
    if "group" in row:
        return row["group"]
    return row["set"] + ":" + re.sub(r"(_QUERY_\d+|(-\d+)+)$", "", str(row["qid"]))


def fold_of(group: str, k: int) -> int:
    return int(hashlib.md5(group.encode("utf-8")).hexdigest(), 16) % k


def question_of(row: dict) -> str:
    return row.get("q") or row.get("question") or ""


def ranked(row: dict, selector: LinearModel) -> list[tuple[dict, int]]:
    return sorted(row["cands"], key=lambda c: -selector.probability(c[0]))


def build_pairs(rows: list[dict], selector: LinearModel, top: int, rng: random.Random):
    """Training pairs ``(q, t, s, label, group)`` and scoring pairs ``(q, t, s, group)`` (every row's top ``top``).

    Per answerable question on the full index: its best gold sentence (positive) and one non-answer — the
    selector's choice when it is wrong, else the best non-answer of the gold sentence's passage; with its own article
    removed: the selector's choice (what the product would quote). Most of these are scored anyway (one forward each).
    """
    train, score = [], []
    for r in rows:
        q, g = question_of(r), article(r)
        cs = ranked(r, selector)
        for f, _ in cs[:top]:
            score.append((q, f["_t"], f["_s"], g))
        if not cs:
            continue
        if r["answerable"]:
            pos = [f for f, lab in cs if lab][:1]
            if not pos:
                continue
            wrong = [f for f, lab in cs[:1] if not lab]
            neg = wrong or [f for f, lab in cs if not lab and f["_c"] == pos[0]["_c"]][:1]
            train += [(q, f["_t"], f["_s"], 1, g) for f in pos] + [(q, f["_t"], f["_s"], 0, g) for f in neg]
        else:
            train.append((q, cs[0][0]["_t"], cs[0][0]["_s"], 0, g))
    return train, score


class Encoder:
    """e5-small with frozen base weights, in the precision the product runs it in (bf16 where the CPU has it)."""

    def __init__(self, folder: str, precision: str = "auto"):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from rag.embed_e5st import pick_precision
        torch.set_num_threads(2)
        self.dtype = torch.bfloat16 if pick_precision(precision) == "bf16" else torch.float32
        self.hf = AutoModel.from_pretrained(folder, local_files_only=True, dtype=self.dtype).eval()
        self.tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        for p in self.hf.parameters():
            p.requires_grad_(False)

    def lower(self, texts: list[str], layer: int, batch: int = 64) -> list:
        import torch
        out = []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        res: dict[int, object] = {}
        with torch.no_grad():
            for s in range(0, len(order), batch):
                idx = order[s:s + batch]
                b = self.tok([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH,
                             return_tensors="pt")
                hs = self.hf(**b, output_hidden_states=True).hidden_states[layer]
                for i, h, n in zip(idx, hs, b["attention_mask"].sum(1)):
                    res[i] = h[:int(n)].clone()
                if s % (batch * 50) == 0:
                    print(f"  lower layers: {s}/{len(texts)}", file=sys.stderr, flush=True)
        out = [res[i] for i in range(len(texts))]
        return out

    def upper(self, states: list, layer: int, grad: bool = False):
        """Mean-pooled last layer from cached lower states through layers ``layer``…"""
        return mean_upper(self.hf, states, layer, grad=grad, dtype=self.dtype)


def train(enc: Encoder, states: list, labels: np.ndarray, cfg: FitConfig) -> tuple[dict, np.ndarray, float]:
    """A fresh LoRA + head on cached lower states; returns numpy ``(lora, head, bias)``."""
    import torch

    from rag.query_lora import LoraHooks, target_layers
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    layers = {n: m for n, m in target_layers(enc.hf, cfg.targets).items()
              if int(n.split("layer.")[1].split(".")[0]) >= cfg.first_layer}
    params = {n: (torch.nn.Parameter(torch.randn(cfg.rank, m.in_features) / np.sqrt(m.in_features)),
                  torch.nn.Parameter(torch.zeros(m.out_features, cfg.rank))) for n, m in layers.items()}
    head = torch.nn.Linear(enc.hf.config.hidden_size, 1)
    hooks = LoraHooks(enc.hf, params, cfg.alpha / cfg.rank)
    _init_head(enc, states, labels, head, cfg)
    opt = torch.optim.AdamW([{"params": [p for ab in params.values() for p in ab], "lr": cfg.lr},
                             {"params": head.parameters(), "lr": cfg.head_lr}], weight_decay=0.01)
    y = torch.tensor(labels, dtype=torch.float32)
    pos_w = float((labels == 0).sum() / max((labels == 1).sum(), 1))
    steps = cfg.epochs * ((len(states) + cfg.batch - 1) // cfg.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[cfg.lr, cfg.head_lr], total_steps=max(steps, 1),
                                                pct_start=0.1)
    enc.hf.train()
    try:
        for _ in range(cfg.epochs):
            order = rng.permutation(len(states))
            for s in range(0, len(states), cfg.batch):
                idx = order[s:s + cfg.batch]
                with hooks.active():
                    z = head(enc.upper([states[i] for i in idx], cfg.first_layer, grad=True)).squeeze(-1)
                loss = torch.nn.functional.binary_cross_entropy_with_logits(
                    z, y[idx], pos_weight=torch.tensor(pos_w))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
    finally:
        enc.hf.eval()
        hooks.remove()
    lora = {n: (a.detach().numpy().copy(), b.detach().numpy().copy()) for n, (a, b) in params.items()}
    return lora, head.weight.detach().numpy()[0].copy(), float(head.bias.detach()[0])


def _init_head(enc: Encoder, states: list, labels: np.ndarray, head, cfg: FitConfig) -> None:
    """Start the head at a (standardised, L2-regularised) logistic regression on the frozen pooled vectors: the
    pooled e5 vectors vary little around a common direction, so a head trained from zero barely moves."""
    import torch
    from sklearn.linear_model import LogisticRegression
    with torch.no_grad():
        X = torch.cat([enc.upper(states[s:s + 64], cfg.first_layer) for s in range(0, len(states), 64)]).numpy()
    mu, sd = X.mean(0), X.std(0) + 1e-6
    lr = LogisticRegression(C=cfg.head_c, max_iter=2000, class_weight="balanced").fit((X - mu) / sd, labels)
    w = lr.coef_[0] / sd
    with torch.no_grad():
        head.weight.copy_(torch.from_numpy(w.astype(np.float32))[None])
        head.bias.fill_(float(lr.intercept_[0] - (w * mu).sum()))


def predict(enc: Encoder, states: list, lora: dict, head: np.ndarray, bias: float, cfg: FitConfig) -> np.ndarray:
    import torch

    from rag.query_lora import LoraHooks
    hooks = LoraHooks(enc.hf, {n: (torch.from_numpy(a), torch.from_numpy(b)) for n, (a, b) in lora.items()},
                      cfg.alpha / cfg.rank)
    out = []
    try:
        with hooks.active(), torch.no_grad():
            for s in range(0, len(states), 64):
                out.append(enc.upper(states[s:s + 64], cfg.first_layer).numpy() @ head + bias)
    finally:
        hooks.remove()
    return 1 / (1 + np.exp(-np.concatenate(out))) if out else np.zeros(0)


def cached_lower(enc: Encoder, keys: list[str], text: dict, layer: int, path: Path) -> dict:
    """``{key: lower states}``, read from / added to ``path`` (float16 npz, no pickle): one forward per new text."""
    import torch
    have: dict = {}
    if path.exists():
        with np.load(path, allow_pickle=False) as z:
            if int(z["layer"]) == layer:
                flat, off = z["flat"], z["offsets"]
                have = {k: torch.from_numpy(flat[off[i]:off[i + 1]].astype(np.float32)).to(enc.dtype)
                        for i, k in enumerate(z["keys"].tolist())}
    todo = [k for k in keys if k not in have]
    if todo:
        have.update(zip(todo, enc.lower([text[k] for k in todo], layer)))
        ks = sorted(have)
        lens = np.array([0] + [len(have[k]) for k in ks])
        np.savez(path, layer=np.array(layer), keys=np.array(ks), offsets=np.cumsum(lens),
                 flat=torch.cat([have[k].float() for k in ks]).numpy().astype(np.float16))
    return {k: have[k] for k in keys}


def _auc(p: np.ndarray, y: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score
    return float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="At most N training pairs (random, for a quick run).")
    ap.add_argument("--top", type=int, default=1, help="Score each row's top N sentences out of fold.")
    ap.add_argument("--config", default="{}", help="JSON overrides of FitConfig.")
    ap.add_argument("--out", default=str(ROOT / "rag" / "data" / "verifier.npz"))
    ap.add_argument("--sets", default="cmrc_trial,drcd_tune,everyday,everyday_h5",
                    help="Row sets of bench/verifier_rows.py to train on and score (the paraphrases: add "
                         "cmrc_trial_para,drcd_tune_para; they cost one forward per row).")
    ap.add_argument("--no-final", action="store_true", help="Out-of-fold scores only (no final model).")
    args = ap.parse_args(argv)
    cfg = FitConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(args.config).items()})
    home = data_dir()
    from rag.e5convert import ensure_e5_model
    from rag.embed_e5st import weights_fingerprint
    folder = ensure_e5_model()
    cal = json.loads(Path(os.environ.get("RAG_VERIFY_SELECTOR", ROOT / "rag" / "calibration.json")).read_text(
        encoding="utf-8"))  # the shipped selector picks the sentence to verify (RAG_VERIFY_SELECTOR: another file)
    selector = LinearModel.from_dict(cal["models"]["dense"]["selector"])
    rows = read_rows(home, args.sets.split(","))
    rng = random.Random(cfg.seed)
    tr, sc = build_pairs(rows, selector, args.top, rng)
    tr = list({pair_key(*p[:3]) + str(p[3]): p for p in tr}.values())
    if args.limit and len(tr) > args.limit:
        tr = rng.sample(tr, args.limit)
    keys = sorted({pair_key(*p[:3]) for p in tr} | {pair_key(*p[:3]) for p in sc})
    text = {pair_key(*p[:3]): pair_text(*p[:3]) for p in tr + sc}
    group = {pair_key(*p[:3]): p[-1] for p in sc + tr}
    print(f"{len(rows)} rows, {len(tr)} training pairs ({sum(p[3] for p in tr)} positive), {len(keys)} texts",
          file=sys.stderr, flush=True)
    t0 = time.time()
    enc = Encoder(str(folder))
    states = cached_lower(enc, keys, text, cfg.first_layer, home / f"verifier_lower_{cfg.first_layer}.npz")
    print(f"lower layers: {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    oof: dict[str, float] = {}
    ys, ps = [], []
    for f in range(cfg.folds):
        t1 = time.time()
        fit = [p for p in tr if fold_of(p[-1], cfg.folds) != f]
        held_tr = [p for p in tr if fold_of(p[-1], cfg.folds) == f]
        lora, head, bias = train(enc, [states[pair_key(*p[:3])] for p in fit], np.array([p[3] for p in fit]), cfg)
        held = [k for k in keys if fold_of(group[k], cfg.folds) == f]
        for k, p in zip(held, predict(enc, [states[k] for k in held], lora, head, bias, cfg)):
            oof[k] = float(p)
        ys += [p[3] for p in held_tr]
        ps += [oof[pair_key(*p[:3])] for p in held_tr]
        print(f"fold {f}: {len(fit)} pairs, {time.time() - t1:.0f} s, held-out pair AUC "
              f"{_auc(np.array(ps[-len(held_tr):]), np.array(ys[-len(held_tr):])):.3f}", file=sys.stderr, flush=True)
    stats = {"oof_pair_auc": _auc(np.array(ps), np.array(ys)), "pairs": len(tr), "config": asdict(cfg)}
    print(json.dumps(stats), file=sys.stderr, flush=True)
    (home / "verifier_oof.json").write_text(json.dumps(oof), encoding="utf-8")
    if not args.no_final:
        lora, head, bias = train(enc, [states[pair_key(*p[:3])] for p in tr], np.array([p[3] for p in tr]), cfg)
        meta = {"note": "Written by bench/fit_verifier.py. Trained on CMRC2018 trial, the DRCD dev tune half, their "
                        "everyday-worded paraphrases, everyday_dev and round 5's everyday_heldout (tuning/development "
                        "data only).", "stats": stats}
        save_weights(args.out, VerifierWeights(f"e5st-{weights_fingerprint(folder)}", lora, cfg.alpha / cfg.rank,
                                               head, bias, MAX_LENGTH, meta))
        print(f"wrote {args.out} ({Path(args.out).stat().st_size} bytes, {time.time() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", "/tmp/h1/home")
    sys.exit(main())
