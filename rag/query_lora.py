"""Query-side LoRA for the e5 embedder: low-rank corrections of a few of its linear layers, used for questions only.

Citizens ask in lay words, statutes are written in legal ones. :mod:`rag.query_adapter` moves the finished
question vector by a linear map; this module goes one step further and changes how the *question* is encoded:
each target linear layer ``W`` of e5-small computes ``W·x + s·B·(A·x)`` (``A``: r×in, ``B``: out×r, ``s`` = alpha/r)
while a question is embedded. Passages are embedded by the unchanged model, so an index never needs re-embedding.
It is fitted on STARD's tune fold by ``bench/fit_query_lora.py`` (contrastive loss, gold article against every
other passage of a statute index) and stored as JSON (float32 matrices in base64, never pickle) with the
fingerprint of the embedder weights it was fitted for; other weights get no LoRA.

This module holds the record, its file format, the forward hooks (:class:`LoraHooks`) that add the
correction to a loaded ``transformers`` model while enabled, and :func:`lora_for_index` (where it applies:
``RetrieveConfig.query_lora``, off by default — measured below the linear adapter, docs/legal-retrieval.md;
no LoRA file is shipped). It does not search and does not train (the bench script does, with the same hooks).
Known gap: through ``rag.qa.ask`` the LoRA vector bypasses the embedder wrappers' caches, so the answer step
gets no query vector for its cosine features.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import QueryError

__all__ = ["DEFAULT_LORA", "LoraHooks", "QueryLora", "embed_query_lora", "load_lora", "lora_for_index", "save_lora",
           "target_layers"]

DEFAULT_LORA = Path(__file__).resolve().parent / "data" / "query_lora.json"
FORMAT = 1


@dataclass(frozen=True, eq=False)
class QueryLora:
    """``weights``: module name → ``(A, B)``; ``scale`` = alpha/r (applied as ``W·x + scale·B·A·x``);
    ``fingerprint``: the embedder weights it was fitted for."""

    fingerprint: str
    weights: dict[str, tuple[np.ndarray, np.ndarray]]
    scale: float = 1.0
    meta: dict = field(default_factory=dict)


def target_layers(model, targets: tuple[str, ...]) -> dict:
    """``{name: nn.Linear}`` of ``model``'s linear layers whose name ends with one of ``targets``
    (e.g. ``attention.self.query``)."""
    import torch

    return {n: m for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and n.endswith(targets)}


class LoraHooks:
    """Forward hooks adding ``scale·B·A·x`` to the named layers of ``model`` while :meth:`active` is entered.

    ``params``: name → ``(A, B)`` torch tensors (trainable in the bench script, constants in the product).
    Outside :meth:`active` the model computes exactly what it computed before (the hooks return ``None``).
    """

    def __init__(self, model, params: dict, scale: float):
        self.params, self.scale = params, scale
        self._on = threading.local()
        layers = dict(model.named_modules())
        missing = [n for n in params if n not in layers]
        if missing:
            raise QueryError(f"The query LoRA names layers this model does not have: {missing[:3]}")
        self.handles = [layers[n].register_forward_hook(self._hook(n)) for n in params]

    def _hook(self, name: str):
        def hook(module, inputs, output):
            if not getattr(self._on, "v", False):
                return None
            A, B = self.params[name]
            x = inputs[0]
            return output + self.scale * ((x.to(A.dtype) @ A.T) @ B.T).to(output.dtype)
        return hook

    @contextlib.contextmanager
    def active(self):
        """Apply the correction inside the ``with`` block (this thread only)."""
        self._on.v = True
        try:
            yield
        finally:
            self._on.v = False

    def remove(self) -> None:
        for h in self.handles:
            h.remove()


def save_lora(path: str | Path, lora: QueryLora) -> None:
    """Write ``lora`` as JSON (float32 matrices in base64; readable by :func:`load_lora`)."""
    def enc(m):
        return {"shape": list(m.shape), "dtype": "float32",
                "base64": base64.b64encode(np.asarray(m, "<f4").tobytes()).decode("ascii")}
    doc = {"format": FORMAT, "kind": "query-lora", "fingerprint": lora.fingerprint, "scale": lora.scale,
           "layers": {n: {"A": enc(a), "B": enc(b)} for n, (a, b) in lora.weights.items()}, "meta": lora.meta}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def _matrix(m: dict) -> np.ndarray:
    if m.get("dtype") != "float32":
        raise ValueError(f"matrix dtype {m.get('dtype')!r}")
    return np.frombuffer(base64.b64decode(m["base64"]), dtype="<f4").astype(np.float32).reshape(m["shape"])


def load_lora(path: str | Path | None = None) -> QueryLora | None:
    """The LoRA in ``path`` (the shipped one by default), read once; ``None`` when there is no such file."""
    return _load(str(Path(path) if path else DEFAULT_LORA))


@functools.lru_cache(maxsize=8)
def _load(path: str) -> QueryLora | None:
    p = Path(path)
    if not p.exists():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        if not isinstance(d, dict) or not isinstance(d.get("layers", {}), dict):
            raise TypeError("not a JSON object with a layers object")
        if d.get("format") != FORMAT or d.get("kind") != "query-lora":
            raise ValueError(f"format {d.get('format')!r}/{d.get('kind')!r} is not {FORMAT}/query-lora")
        w = {n: (_matrix(v["A"]), _matrix(v["B"])) for n, v in d["layers"].items()}
        if any(a.shape[0] != b.shape[1] for a, b in w.values()):
            raise ValueError("A and B ranks differ")
        return QueryLora(d["fingerprint"], w, float(d.get("scale", 1.0)), d.get("meta", {}))
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QueryError(f"Cannot read the query LoRA {p} ({e}); refit it with "
                         "`python bench/fit_query_lora.py --fit`.") from e


def lora_for_index(index, embedder, setting: str = "off", path: str | Path | None = None) -> QueryLora | None:
    """The LoRA to embed questions with on ``index``: ``"auto"`` → on indexes made of legal documents alone
    (:func:`rag.expand.is_statute_index`), ``"on"`` → any index, ``"off"`` → none; in every case only when it was
    fitted for ``embedder``'s weights and the embedder can apply it (``embed_queries_lora``, e5-small)."""
    if setting not in ("auto", "on", "off"):
        raise QueryError(f"Unknown query LoRA setting {setting!r}; use auto, on or off.")
    if setting == "off" or embedder is None or _lora_embedder(embedder) is None:
        return None
    if setting == "auto":
        from .expand import is_statute_index
        if not is_statute_index(index):
            return None
    lora = load_lora(path)
    if lora is None or str(getattr(embedder, "fingerprint", "")) != lora.fingerprint:
        return None
    return lora


def _lora_embedder(embedder):
    """The embedder itself or the one it wraps (``.inner``: batching, caching layers) that has
    ``embed_queries_lora``; None if there is none."""
    for _ in range(8):
        if embedder is None or hasattr(embedder, "embed_queries_lora"):
            return embedder
        embedder = getattr(embedder, "inner", None)
    return None


def embed_query_lora(embedder, text: str, lora: QueryLora) -> np.ndarray:
    """``text``'s unit question vector through ``lora`` (one embedding; the wrapped embedder's caches are bypassed)."""
    return _lora_embedder(embedder).embed_queries_lora([text], lora)[0]
