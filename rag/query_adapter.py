"""Query-side adapter for the e5 embedder: a small learned map of the question vector.

Citizens ask in lay words, statutes are written in legal ones; e5-small puts "老公欠的债" a little
too far from 夫妻共同债务. The adapter moves only the *question* vector —
``q' = normalise(q + (q·V)·Uᵀ)`` (a rank-r correction of the identity) or ``normalise(q + q·Aᵀ)`` —
so the indexed article vectors are used as they are (no re-embedding). It was fitted on STARD's
tune fold by ``bench/fit_query_adapter.py`` (contrastive loss, gold article vs hard negatives,
hyper-parameters by cross-validation inside tune) and is stored as JSON (``rag/data/query_adapter.json``,
float32 matrices in base64, never pickle) with the fingerprint of the embedder weights it was fitted
for. Another embedder (or other weights) gets no adapter; that is logged once.

:func:`rag.retrieve.retrieve` applies it to dense scoring on statute indexes only
(``RetrieveConfig.query_adapter``, decided by :func:`adapter_for_index`; docs/legal-retrieval.md says
where it helps and where it does not). This module does not embed or search.
"""

from __future__ import annotations

import base64
import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import QueryError

__all__ = ["DEFAULT_ADAPTER", "QueryAdapter", "adapter_for", "adapter_for_index", "load_adapter", "save_adapter"]

log = logging.getLogger("rag.query_adapter")
DEFAULT_ADAPTER = Path(__file__).resolve().parent / "data" / "query_adapter.json"
FORMAT = 1
_warned: set[tuple[str, str]] = set()


@dataclass(frozen=True, eq=False)
class QueryAdapter:
    """``U``, ``V`` (d×r) for the rank-r map, or ``A`` (d×d) for the full one; ``fingerprint``: the
    embedder weights it was fitted for; ``scale``: how much of the learned correction is applied
    (``q' = normalise(q + scale·correction)``; 1 = all of it, chosen by CV inside tune and stored in the file)."""

    fingerprint: str
    U: np.ndarray | None = None
    V: np.ndarray | None = None
    A: np.ndarray | None = None
    meta: dict = field(default_factory=dict)
    scale: float = 1.0

    @property
    def dim(self) -> int:
        return int((self.A if self.A is not None else self.U).shape[0])

    def apply(self, qv: np.ndarray) -> np.ndarray:
        """The adapted, unit-length vector(s) of ``qv`` (one vector or a batch of rows).

        >>> ad = QueryAdapter("fp", U=np.zeros((2, 1), np.float32), V=np.ones((2, 1), np.float32))
        >>> [round(float(x), 2) for x in ad.apply(np.array([0.6, 0.8], np.float32))]
        [0.6, 0.8]
        """
        q = np.asarray(qv, np.float32)
        v = q + self.scale * ((q @ self.V) @ self.U.T if self.A is None else q @ self.A.T)
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        return (v / np.where(n > 0, n, 1.0)).astype(np.float32)


def _matrix(m: dict) -> np.ndarray:
    if m.get("dtype") != "float32":
        raise ValueError(f"matrix dtype {m.get('dtype')!r}")
    return np.frombuffer(base64.b64decode(m["base64"]), dtype="<f4").astype(np.float32).reshape(m["shape"])


def save_adapter(path: str | Path, adapter: QueryAdapter) -> None:
    """Write ``adapter`` as JSON (float32 matrices in base64; readable by :func:`load_adapter`)."""
    mats = {k: {"shape": list(m.shape), "dtype": "float32",
                "base64": base64.b64encode(np.asarray(m, "<f4").tobytes()).decode("ascii")}
            for k, m in (("U", adapter.U), ("V", adapter.V), ("A", adapter.A)) if m is not None}
    doc = {"format": FORMAT, "kind": "full" if adapter.A is not None else "lowrank",
           "fingerprint": adapter.fingerprint, "matrices": mats, "meta": adapter.meta, "scale": adapter.scale}
    Path(path).write_text(json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")


def load_adapter(path: str | Path | None = None) -> QueryAdapter | None:
    """The adapter in ``path`` (the shipped one by default), read once; ``None`` when there is no such file."""
    return _load(str(Path(path) if path else DEFAULT_ADAPTER))


@functools.lru_cache(maxsize=8)
def _load(path: str) -> QueryAdapter | None:
    p = Path(path)
    if not p.exists():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        if d.get("format") != FORMAT:
            raise ValueError(f"format {d.get('format')!r} is not {FORMAT}")
        mats = {k: _matrix(v) for k, v in d["matrices"].items()}
        ad = QueryAdapter(d["fingerprint"], mats.get("U"), mats.get("V"), mats.get("A"), d.get("meta", {}),
                          float(d.get("scale", 1.0)))
        if ad.A is None and (ad.U is None or ad.V is None or ad.U.shape != ad.V.shape):
            raise ValueError("needs A, or U and V of the same shape")
        return ad
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise QueryError(f"Cannot read the query adapter {p} ({e}); refit it with "
                         "`python bench/fit_query_adapter.py --fit`.") from e


def adapter_for(embedder, path: str | Path | None = None) -> QueryAdapter | None:
    """The adapter fitted for ``embedder``'s weights (by fingerprint and dimension), else ``None``.

    A mismatch is logged once per (adapter, embedder) pair: the adapter is simply not used.
    """
    ad = load_adapter(path)
    if ad is None:
        return None
    fp = str(getattr(embedder, "fingerprint", ""))
    if fp == ad.fingerprint and getattr(embedder, "dim", ad.dim) == ad.dim:
        return ad
    if (ad.fingerprint, fp) not in _warned:
        _warned.add((ad.fingerprint, fp))
        log.info("The query adapter was fitted for embedder weights %s; %s is loaded, so it is not used. "
                 "Refit with bench/fit_query_adapter.py.", ad.fingerprint, fp)
    return None


def adapter_for_index(index, embedder, setting: str = "auto", path: str | Path | None = None) -> QueryAdapter | None:
    """The adapter to apply to dense scoring on ``index``: ``"auto"`` → on indexes made of legal documents
    alone (:func:`rag.expand.is_statute_index`), ``"on"`` → any index, ``"off"`` → none; and in every case
    only when it was fitted for ``embedder``'s weights."""
    if setting not in ("auto", "on", "off"):
        raise QueryError(f"Unknown query adapter setting {setting!r}; use auto, on or off.")
    if setting == "off" or embedder is None:
        return None
    if setting == "auto":
        from .expand import is_statute_index
        if not is_statute_index(index):
            return None
    return adapter_for(embedder, path)
