"""Fit a query-side LoRA of e5-small (``rag/query_lora.py``) on STARD's tune fold; cross-validate it.

Only questions pass through the LoRA; passages keep the vectors they were indexed with. Loss: InfoNCE of each
tune question against *every* passage of a statute index (the gold articles are the positives, the other
3,405 articles of the 31 laws — first of all the other articles of the same law, which the plain query already
ranks high — the negatives), temperature ``tau``. Optional weak pairs from the corpus itself (``--pseudo N``: N
articles, each with its 章/节 heading + first clause as a pseudo-question).

CV: 4 folds inside tune grouped by gold article (``fit_query_adapter.group_folds``, the same grouping as the
tune/report split); every fold's questions are embedded by a LoRA fitted on the other three. The report fold
is never read here.

    python bench/fit_query_lora.py --index /tmp/lead/r5/stard --tune-jsonl /tmp/cal/sets/stard/stard_tune.jsonl --cv
    python bench/fit_query_lora.py … --fit --config '{"epochs":3}'      # → rag/data/query_lora.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_query_adapter import FitConfig as LinearConfig
from fit_query_adapter import _dense_top, group_folds, hits, index_training_set
from fit_query_adapter import apply as linear_apply
from fit_query_adapter import train as linear_train


@dataclass(frozen=True)
class LoraConfig:
    rank: int = 8
    alpha: float = 16.0
    targets: tuple[str, ...] = ("attention.self.query", "attention.self.value")
    lr: float = 5e-4
    epochs: int = 4
    batch: int = 32
    tau: float = 0.05
    weight_decay: float = 0.0
    pseudo: int = 0          # weak pairs (heading + first clause → article) added to the training set
    pseudo_weight: float = 0.3
    first_layer: int = 8     # LoRA in layers first_layer… only (the lower layers' states are computed once)
    seed: int = 0


def mean_upper(hf, states: list, layer: int, *, grad: bool = False, dtype=None):
    """Float32 mean-pooled output of ``hf``'s encoder layers ``layer``… run on cached lower-layer ``states``
    (one ``[tokens, hidden]`` tensor per text, padded here; ``dtype``: of the padded input, default float32).
    Shared by the LoRA and verifier fits, which cache the frozen lower layers once."""
    import torch
    from transformers.masking_utils import create_bidirectional_mask
    n = max(len(h) for h in states)
    h = torch.zeros(len(states), n, states[0].shape[1], dtype=dtype)
    am = torch.zeros(len(states), n, dtype=torch.long)
    for i, x in enumerate(states):
        h[i, :len(x)], am[i, :len(x)] = x, 1
    with torch.set_grad_enabled(grad):
        mask = create_bidirectional_mask(config=hf.config, inputs_embeds=h, attention_mask=am)
        for lay in hf.encoder.layer[layer:]:
            h = lay(h, mask)
            h = h[0] if isinstance(h, tuple) else h
        h = h.float()
        m = am.unsqueeze(-1).float()
        return (h * m).sum(1) / m.sum(1)

class Encoder:
    """e5-small in float32 with LoRA hooks; ``encode`` = mean pooling + unit length (as sentence-transformers)."""

    def __init__(self, folder: str):
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(2)
        self.st = SentenceTransformer(folder, device="cpu", local_files_only=True)
        self.hf, self.tok = self.st[0].auto_model, self.st.tokenizer
        for p in self.hf.parameters():
            p.requires_grad_(False)

    def lower(self, texts: list[str], layer: int, batch: int = 64) -> list:
        """Each text's hidden states after the first ``layer`` layers (no LoRA below them, so they are fixed)."""
        import torch
        out = []
        with torch.no_grad():
            for s in range(0, len(texts), batch):
                b = self.tok(["query: " + t for t in texts[s:s + batch]], padding=True, truncation=True,
                             max_length=128, return_tensors="pt")
                hs = self.hf(**b, output_hidden_states=True).hidden_states[layer]
                out += [h[:int(n)].clone() for h, n in zip(hs, b["attention_mask"].sum(1))]
        return out

    def upper(self, states: list, layer: int, grad: bool = False):
        """Unit question vectors from cached ``lower`` states: layers ``layer``… then mean pooling."""
        import torch
        with torch.set_grad_enabled(grad):
            return torch.nn.functional.normalize(mean_upper(self.hf, states, layer, grad=grad), dim=-1)

    def encode(self, texts: list[str], grad: bool = False, batch: int = 64):
        import torch
        out = []
        for s in range(0, len(texts), batch):
            b = self.tok(["query: " + t for t in texts[s:s + batch]], padding=True, truncation=True,
                         max_length=128, return_tensors="pt")
            with torch.set_grad_enabled(grad):
                h = self.hf(**b).last_hidden_state
                m = b["attention_mask"].unsqueeze(-1).to(h.dtype)
                v = (h * m).sum(1) / m.sum(1)
                out.append(torch.nn.functional.normalize(v, dim=-1))
        return torch.cat(out)


def lora_layers(enc: Encoder, cfg: LoraConfig) -> dict:
    """The target linear layers in e5's layers ``cfg.first_layer``… (the lower ones stay as they are)."""
    from rag.query_lora import target_layers
    return {n: m for n, m in target_layers(enc.hf, cfg.targets).items()
            if int(n.split("encoder.layer.")[1].split(".")[0]) >= cfg.first_layer}


def train(enc: Encoder, states: list, golds: list[set[int]], P: np.ndarray, cfg: LoraConfig,
          checkpoints: tuple[int, ...] = (), weights: list[float] | None = None) -> dict[int, dict]:
    """Train a fresh LoRA on cached lower states; ``{epoch: {name: (A, B) numpy}}`` at each checkpoint."""
    import torch

    from rag.query_lora import LoraHooks
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    params = {n: (torch.nn.Parameter(torch.randn(cfg.rank, m.in_features) / np.sqrt(m.in_features)),
                  torch.nn.Parameter(torch.zeros(m.out_features, cfg.rank)))
              for n, m in lora_layers(enc, cfg).items()}
    hooks = LoraHooks(enc.hf, params, cfg.alpha / cfg.rank)
    opt = torch.optim.AdamW([p for ab in params.values() for p in ab], lr=cfg.lr, weight_decay=cfg.weight_decay)
    Pt = torch.from_numpy(np.ascontiguousarray(P))
    gold_mask = torch.zeros(len(states), len(P), dtype=torch.bool)
    for i, g in enumerate(golds):
        gold_mask[i, sorted(g)] = True
    w = torch.tensor(weights if weights is not None else [1.0] * len(states))
    out, stops = {}, set(checkpoints) | {cfg.epochs}
    enc.hf.train()  # dropout of the base model as regularisation
    try:
        for ep in range(1, cfg.epochs + 1):
            order = rng.permutation(len(states))
            for s in range(0, len(states), cfg.batch):
                idx = order[s:s + cfg.batch]
                with hooks.active():
                    v = enc.upper([states[i] for i in idx], cfg.first_layer, grad=True)
                logits = (v @ Pt.T) / cfg.tau
                loss = torch.logsumexp(logits, 1) - torch.logsumexp(logits.masked_fill(~gold_mask[idx], -1e4), 1)
                loss = (loss * w[idx]).sum() / w[idx].sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
            if ep in stops:
                out[ep] = {n: (a.detach().numpy().copy(), b.detach().numpy().copy()) for n, (a, b) in params.items()}
    finally:
        enc.hf.eval()
        hooks.remove()
    return out


def embed_with(enc: Encoder, states: list, weights: dict | None, cfg: LoraConfig) -> np.ndarray:
    """Question vectors from cached lower states through ``weights`` (None → the plain model)."""
    import torch

    from rag.query_lora import LoraHooks
    hooks = LoraHooks(enc.hf, {n: (torch.from_numpy(a), torch.from_numpy(b)) for n, (a, b) in (weights or {}).items()},
                      cfg.alpha / cfg.rank)
    try:
        with hooks.active():
            return torch.cat([enc.upper(states[s:s + 64], cfg.first_layer) for s in range(0, len(states), 64)]).numpy()
    finally:
        hooks.remove()


def pseudo_pairs(home: str, n: int, seed: int = 0) -> tuple[list[str], list[set[int]]]:
    """``n`` articles of the index, each with a pseudo-question: its innermost heading + its first clause."""
    import re

    from rag.index import open_index
    index = open_index(home)
    rows = [i for i, c in enumerate(index.chunks) if getattr(c, "article", "") or re.match(r"第.+?条", c.text)]
    pick = np.random.default_rng(seed).choice(rows, size=min(n, len(rows)), replace=False)
    texts, golds = [], []
    for r in pick:
        c = index.chunks[int(r)]
        body = re.sub(r"^第[^条]{1,12}条\s*", "", c.text.split("\n")[-1] if "\n" in c.text else c.text)
        clause = re.split(r"[，。；：]", body)[0][:40]
        head = (c.section or "").split(">")[-1].strip()
        texts.append(f"{head} {clause}".strip())
        golds.append({int(r)})
    return texts, golds


def cross_validate(enc, states, golds, ids, P, cfg: LoraConfig, checkpoints, k=4, pseudo=None,
                   Q: np.ndarray | None = None) -> dict:
    """Out-of-fold dense hit@k per checkpoint; with ``Q`` (plain vectors) also the fold's linear adapter (0.6)
    combined with the LoRA: the mean of the two unit vectors, and the adapter applied to the LoRA vector."""
    folds = group_folds([{"query_id": i} for i in ids], golds, k)
    rows = np.arange(len(P))
    tops: dict[str, np.ndarray] = {}
    for f in range(k):
        t0 = time.time()
        fit = [i for i in range(len(states)) if folds[i] != f]
        held = np.array([i for i in range(len(states)) if folds[i] == f])
        tx, gl, wt = [states[i] for i in fit], [golds[i] for i in fit], [1.0] * len(fit)
        if pseudo:
            tx, gl, wt = tx + pseudo[0], gl + pseudo[1], wt + [cfg.pseudo_weight] * len(pseudo[0])
        models = train(enc, tx, gl, P, cfg, checkpoints, wt)
        lin = None
        if Q is not None:
            lc = LinearConfig(rank=0, l2=0.1, tau=0.05, steps=200, lr=2e-3)
            lin = {"A": 0.6 * linear_train(Q[fit], [golds[i] for i in fit], P, np.ones(len(P), bool), lc)[200]["A"]}
        for ep, w in models.items():
            lv = embed_with(enc, [states[i] for i in held], w, cfg)
            cands = {f"lora ep{ep}": lv}
            if lin is not None:
                mean = linear_apply(Q[held], lin) + lv
                cands[f"lora ep{ep} + linear, mean"] = mean / np.linalg.norm(mean, axis=1, keepdims=True)
                cands[f"linear adapter on lora ep{ep}"] = linear_apply(lv, lin)
            for name, v in cands.items():
                t = tops.setdefault(name, np.zeros((len(states), 10), np.int64))
                t[held] = _dense_top(v.astype(np.float32), P, rows, 10)
        print(f"  fold {f}: {len(fit)} train, {len(held)} held, {time.time() - t0:.0f} s", flush=True)
    return {n: hits(t, golds) for n, t in tops.items()}


def linear_cv(Q, golds, ids, P, k=4, scale=0.6) -> dict:
    """The round-5 linear adapter (shipped config, 0.6 of its correction), cross-fitted on the same folds."""
    folds = group_folds([{"query_id": i} for i in ids], golds, k)
    rows, top = np.arange(len(P)), np.zeros((len(Q), 10), np.int64)
    cfg = LinearConfig(rank=0, l2=0.1, tau=0.05, steps=200, lr=2e-3)
    for f in range(k):
        fit = [i for i in range(len(Q)) if folds[i] != f]
        held = np.array([i for i in range(len(Q)) if folds[i] == f])
        p = linear_train(Q[fit], [golds[i] for i in fit], P, np.ones(len(P), bool), cfg)[cfg.steps]
        p = {"A": p["A"] * scale}
        top[held] = _dense_top(linear_apply(Q[held], p), P, rows, 10)
    return hits(top, golds)


class _Capture:
    """Stands in for an embedder in ``index_training_set``: keeps the question texts."""
    dim = 384

    def embed_queries(self, qs):
        self.qs = list(qs)
        return np.zeros((len(qs), self.dim), np.float32)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--tune-jsonl", required=True)
    ap.add_argument("--config", default="{}")
    ap.add_argument("--checkpoints", default="1,2,3,4")
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--baselines", action="store_true")
    ap.add_argument("--combine", action="store_true", help="CV also the LoRA combined with the linear adapter")
    ap.add_argument("--fit", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "rag" / "data" / "query_lora.json"))
    a = ap.parse_args()
    from rag.e5convert import ensure_e5_model
    from rag.embed_e5st import weights_fingerprint
    cfg = LoraConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in json.loads(a.config).items()})
    folder = str(ensure_e5_model(None))
    cap = _Capture()
    _, golds, P, ids = index_training_set(a.index, a.tune_jsonl, cap, with_ids=True)
    texts = cap.qs
    enc = Encoder(folder)
    t0 = time.time()
    states = enc.lower(texts, cfg.first_layer)
    Q = embed_with(enc, states, None, cfg)
    assert np.allclose(Q[:8], enc.encode(texts[:8]).numpy(), atol=1e-4), "cached lower layers differ from encode()"
    rows = np.arange(len(P))
    print(f"{len(texts)} questions, {len(P)} passages; plain dense (fp32) {hits(_dense_top(Q, P, rows, 10), golds)}"
          f" ({time.time() - t0:.0f} s)", flush=True)
    pseudo = pseudo_pairs(a.index, cfg.pseudo, cfg.seed) if cfg.pseudo else None
    if pseudo:
        pseudo = (enc.lower(pseudo[0], cfg.first_layer), pseudo[1])
    if a.baselines:
        print(f"linear adapter CV (scale 0.6): {linear_cv(Q, golds, ids, P)}", flush=True)
    if a.cv:
        cps = tuple(int(x) for x in a.checkpoints.split(","))
        res = cross_validate(enc, states, golds, ids, P, cfg, cps, pseudo=pseudo, Q=Q if a.combine else None)
        for n, h in res.items():
            print(f"CV {json.dumps(asdict(cfg))} {n}: " + " ".join(f"{k} {v:.3f}" for k, v in h.items()), flush=True)
        print(f"cv time {time.time() - t0:.0f} s", flush=True)
    if a.fit:
        from rag.query_lora import QueryLora, save_lora
        t1 = time.time()
        tx, gl, wt = states, golds, [1.0] * len(states)
        if pseudo:
            tx, gl, wt = tx + pseudo[0], gl + pseudo[1], wt + [cfg.pseudo_weight] * len(pseudo[0])
        w = train(enc, tx, gl, P, cfg, (), wt)[cfg.epochs]
        secs = time.time() - t1
        meta = {"built_by": "bench/fit_query_lora.py", "embedder": "e5-small", "fit": asdict(cfg),
                "fitted_on": f"STARD tune fold ({len(texts)} questions with a gold passage, {a.tune_jsonl})",
                "passages": f"{len(P)} passages of the index {a.index}", "train_seconds": round(secs, 1)}
        save_lora(a.out, QueryLora(f"e5st-{weights_fingerprint(folder)}", w, cfg.alpha / cfg.rank, meta))
        print(f"wrote {a.out} ({Path(a.out).stat().st_size / 1e3:.0f} kB) in {secs:.0f} s", flush=True)


if __name__ == "__main__":
    main()
