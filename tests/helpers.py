"""Test helpers shared by several test modules (real implementations, not mocks)."""

from __future__ import annotations


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.passages: list[str] = []

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        self.passages += list(texts)
        return self.inner.embed_passages(texts, **kw)
