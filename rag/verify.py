"""Answer verifier: does THIS sentence answer THIS question? e5-small reading both together (a cross-encoder).

The selector and the refusal model see the question and a sentence only through term overlap and a bi-encoder
cosine, which cannot tell "this sentence answers the question" from "this sentence is about something similar"
(黄蝉 for 软枝黄蝉). The verifier feeds ``query: QUESTION passage: TITLE。SENTENCE`` through e5-small once, with a
low-rank correction (LoRA) of the attention query/value layers of its top layers, mean-pools the last layer and
applies a linear head: ``p(answers) = sigmoid(w·pool + b)``. Only the LoRA and the head are trained
(``bench/fit_verifier.py``, tuning data only); the base weights are the bundled embedder's.

The file (``rag/data/verifier.npz``, ``allow_pickle=False``) records the fingerprint of the embedder weights it was
trained on; :func:`verifier_for` returns ``None`` (logged once) for any other embedder, so its score is then absent.
This module scores pairs; it does not decide anything (the refusal model reads the score as ``ag_verify``).
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import EmbedderError

__all__ = ["DEFAULT_VERIFIER", "Verifier", "VerifierWeights", "add_verify", "load_weights", "pair_text", "save_weights",
           "uses_verifier", "verifier_for"]

DEFAULT_VERIFIER = Path(__file__).resolve().parent / "data" / "verifier.npz"
FORMAT = 1
MAX_LENGTH = 64
log = logging.getLogger(__name__)


def pair_text(question: str, title: str, sentence: str) -> str:
    """The verifier's input: ``pair_text("谁建的", "故宫", "故宫由明成祖建造。")`` →
    ``'query: 谁建的 passage: 故宫。故宫由明成祖建造。'`` (question first: truncation cuts the sentence's tail)."""
    return f"query: {question.strip()} passage: {title.strip()}。{sentence.strip()}" if title.strip() else \
        f"query: {question.strip()} passage: {sentence.strip()}"


@dataclass(frozen=True, eq=False)
class VerifierWeights:
    """``lora``: module name → ``(A, B)`` (``W·x + scale·B·A·x``); ``head``: (dim,) weights, ``bias``;
    ``fingerprint``: the embedder weights it was trained on."""

    fingerprint: str
    lora: dict[str, tuple[np.ndarray, np.ndarray]]
    scale: float
    head: np.ndarray
    bias: float
    max_length: int = MAX_LENGTH
    meta: dict = field(default_factory=dict)


def save_weights(path: str | Path, w: VerifierWeights) -> None:
    """Write ``w`` as an .npz of float32 arrays plus a JSON header (no pickle)."""
    arrays = {"head": np.asarray(w.head, np.float32)}
    names = sorted(w.lora)
    for i, n in enumerate(names):
        arrays[f"A{i}"], arrays[f"B{i}"] = (np.asarray(m, np.float32) for m in w.lora[n])
    header = {"format": FORMAT, "kind": "answer-verifier", "fingerprint": w.fingerprint, "scale": w.scale,
              "bias": w.bias, "max_length": w.max_length, "layers": names, "meta": w.meta}
    with open(path, "wb") as f:
        np.savez_compressed(f, header=np.array(json.dumps(header, ensure_ascii=False)), **arrays)


def load_weights(path: str | Path | None = None) -> VerifierWeights | None:
    """The weights in ``path`` (the shipped file by default); ``None`` when there is no such file."""
    return _load(str(Path(path) if path else DEFAULT_VERIFIER))


@functools.lru_cache(maxsize=4)
def _load(path: str) -> VerifierWeights | None:
    p = Path(path)
    if not p.exists():
        return None
    try:
        with np.load(p, allow_pickle=False) as z:
            h = json.loads(str(z["header"]))
            if h.get("format") != FORMAT or h.get("kind") != "answer-verifier":
                raise ValueError(f"format {h.get('format')!r}/{h.get('kind')!r} is not {FORMAT}/answer-verifier")
            lora = {n: (z[f"A{i}"].astype(np.float32), z[f"B{i}"].astype(np.float32))
                    for i, n in enumerate(h["layers"])}
            return VerifierWeights(h["fingerprint"], lora, float(h["scale"]), z["head"].astype(np.float32),
                                   float(h["bias"]), int(h.get("max_length", MAX_LENGTH)), h.get("meta", {}))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise EmbedderError(f"Cannot read the answer verifier {p} ({e}); refit it with "
                            "`python bench/fit_verifier.py`.") from e


class Verifier:
    """The e5-small folder's transformer with the LoRA hooks on, plus the head. Thread-safe; loaded lazily."""

    def __init__(self, weights: VerifierWeights, folder: str | Path, precision: str = "auto"):
        import torch
        from transformers import AutoModel, AutoTokenizer

        from .embed_e5st import pick_precision
        from .query_lora import LoraHooks

        self.weights = weights
        dtype = torch.bfloat16 if pick_precision(precision) == "bf16" else torch.float32
        try:
            self.model = AutoModel.from_pretrained(str(folder), local_files_only=True, dtype=dtype).eval()
            self.tok = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError) as e:
            raise EmbedderError(f"Could not load e5-small from {folder} for the answer verifier ({e}).") from e
        self.hooks = LoraHooks(self.model, {n: (torch.from_numpy(a).to(dtype), torch.from_numpy(b).to(dtype))
                                            for n, (a, b) in weights.lora.items()}, weights.scale)
        self.head = torch.from_numpy(weights.head).float()
        self._lock = threading.Lock()

    def score(self, question: str, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """P(answers) of each ``(title, sentence)`` for ``question``."""
        import torch

        if not pairs:
            return []
        texts = [pair_text(question, t, s) for t, s in pairs]
        with self._lock, torch.inference_mode():
            b = self.tok(texts, padding=True, truncation=True, max_length=self.weights.max_length,
                         return_tensors="pt")
            with self.hooks.active():
                h = self.model(**b).last_hidden_state.float()
            m = b["attention_mask"].unsqueeze(-1).float()
            pool = (h * m).sum(1) / m.sum(1)
            z = pool @ self.head + self.weights.bias
        return torch.sigmoid(z).tolist()


_warned: set[str] = set()
_cache: dict[tuple[str, str], Verifier] = {}
_cache_lock = threading.Lock()


def verifier_for(fingerprint: str | None, path: str | Path | None = None) -> Verifier | None:
    """The verifier for an index whose embedder weights are ``fingerprint``, or ``None`` (logged once) when there is
    no verifier file, it was trained for other weights, or the e5 folder's weights differ."""
    w = load_weights(path)
    if w is None or not fingerprint:
        return None
    if fingerprint != w.fingerprint:
        if fingerprint not in _warned:
            _warned.add(fingerprint)
            log.warning("The answer verifier was trained for %s, not this index's embedder %s: not used.",
                        w.fingerprint, fingerprint)
        return None
    key = (str(path or DEFAULT_VERIFIER), fingerprint)
    with _cache_lock:
        if key not in _cache:
            from .e5convert import ensure_e5_model
            from .embed_e5st import weights_fingerprint

            folder = ensure_e5_model()
            if f"e5st-{weights_fingerprint(folder)}" != fingerprint:
                log.warning("The e5 folder %s does not hold the weights the verifier was trained on: not used.", folder)
                return None
            _cache[key] = Verifier(w, folder)
        return _cache[key]


def uses_verifier(model) -> bool:
    """Whether a refusal model (LinearModel or TreeModel) reads ``ag_verify``."""
    return "ag_verify" in (getattr(model, "features", None) or getattr(model, "weights", None) or ())


def add_verify(question: str, cands, fingerprint: str | None, top: int = 1, path: str | Path | None = None) -> None:
    """Set ``ag_verify`` (the verifier's P) on the best ``top`` candidates (:class:`rag.select.Candidate`, best first),
    in place; -1 (not verified) on every candidate when no verifier serves ``fingerprint``."""
    v = verifier_for(fingerprint, path)
    ps = v.score(question, [(c.sentence.hit.title or "", c.sentence.text) for c in cands[:top]]) if v else []
    for i, c in enumerate(cands):
        c.features["ag_verify"] = ps[i] if i < len(ps) else -1.0
