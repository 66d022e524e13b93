"""Embedding with a crash-safe cache: passage vectors from a previous generation, a sqlite cache, else the embedder.

The cache is keyed by the embedder's weights fingerprint and the text's hash, and grows one batch at a time, so
a build killed at any point keeps every vector but those of its last batch and the next run starts where it
stopped (the progress bar says how many were cached). This module does not build or publish an index
(:mod:`rag.index`) and does not choose what to embed.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import numpy as np

from .embed import Embedder
from .errors import IndexError_

__all__ = ["ENCODE_BATCH", "SHARED_CACHE_ENV", "EmbeddingCache", "LayeredCache", "embed_with_cache", "open_cache"]

ENCODE_BATCH = 8  # texts per model call inside one cache batch
#: a second sqlite cache that several data dirs share (e.g. every index a test session builds): see :func:`open_cache`
SHARED_CACHE_ENV = "RAG_SHARED_EMBED_CACHE"


class EmbeddingCache:
    """sqlite cache of passage vectors keyed by embedder fingerprint + text hash."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=30)
        self._db.execute("CREATE TABLE IF NOT EXISTS vec (key TEXT PRIMARY KEY, v BLOB NOT NULL)")

    @staticmethod
    def key(fingerprint: str, text: str) -> str:
        return hashlib.sha256(f"{fingerprint}\x00{text}".encode("utf-8", "surrogatepass")).hexdigest()

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for s in range(0, len(keys), 500):
            part = keys[s:s + 500]
            q = f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(part))})"
            for k, v in self._db.execute(q, part):
                out[k] = np.frombuffer(v, dtype=np.float32)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        try:
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vec VALUES (?, ?)",
                                     [(k, np.asarray(v, np.float32).tobytes()) for k, v in items.items()])
        except sqlite3.OperationalError as e:  # "database or disk is full", read-only file system
            raise IndexError_(f"Cannot write the embedding cache ({e}). The previous index is unchanged; "
                              "free some disk space and run the command again.") from e

    def close(self) -> None:
        self._db.close()


class LayeredCache:
    """A data dir's own cache backed by a shared one: look-ups try the own cache first, then the shared one (its
    hits are copied into the own cache, so the data dir ends up holding what it would have embedded); new vectors go
    to both. The shared cache only saves work: when it cannot be read or written it is skipped. ``salt`` (e.g. the
    embedder's precision: int8, bf16 and fp32 e5 share one weights fingerprint) is part of the shared cache's keys,
    so data dirs built at another precision never receive each other's vectors."""

    def __init__(self, own: EmbeddingCache, shared: EmbeddingCache, salt: str = ""):
        self.own, self.shared, self.salt = own, shared, salt

    def _shared_key(self, key: str) -> str:
        return EmbeddingCache.key(self.salt, key) if self.salt else key

    def get_many(self, keys: list[str]) -> dict[str, np.ndarray]:
        out = self.own.get_many(keys)
        missing = {self._shared_key(k): k for k in keys if k not in out}
        try:
            got = self.shared.get_many(list(missing)) if missing else {}
        except sqlite3.Error:
            got = {}
        more = {missing[k]: v for k, v in got.items()}
        if more:
            self.own.put_many(more)
            out.update(more)
        return out

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self.own.put_many(items)
        try:
            self.shared.put_many({self._shared_key(k): v for k, v in items.items()})
        except (IndexError_, sqlite3.Error):  # full disk, read-only, locked or damaged: the own cache has them
            pass

    def close(self) -> None:
        self.own.close()
        self.shared.close()


def open_cache(path: Path, *, salt: str = "") -> EmbeddingCache | LayeredCache:
    """The cache at ``path`` (a data dir's ``cache/embeddings.sqlite``), backed by the shared cache named by
    ``$RAG_SHARED_EMBED_CACHE`` when that is set and can be opened (identical texts are then embedded once across data
    dirs: the key is the embedder's weights fingerprint and the text, plus ``salt`` in the shared cache)."""
    own = EmbeddingCache(path)
    shared_path = os.environ.get(SHARED_CACHE_ENV)
    if not shared_path or Path(shared_path).resolve() == path.resolve():
        return own
    try:
        return LayeredCache(own, EmbeddingCache(Path(shared_path)), salt)
    except (sqlite3.Error, OSError):
        return own


def embed_with_cache(texts: list[str], embedder: Embedder, cache: EmbeddingCache | LayeredCache | None, *,
                  known: dict[str, np.ndarray] | None = None, progress: bool, batch_size: int = 16,
                  stats: dict[str, int] | None = None, encode_batch: int = ENCODE_BATCH) -> np.ndarray:
    """Vectors for ``texts``: from ``known`` (text → vector), the cache, else the embedder.

    New vectors go to the cache one batch at a time, so a killed build keeps
    all but its last batch (of ``batch_size``), embedded in model batches of
    ``encode_batch`` (8: 3–5 % less CPU than 16 for e5 here,
    ``bench/results/fullbuild_slice.md``; a remote embedder keeps its own
    request size). ``stats`` (optional) receives how many came from ``known``
    (``reused``), the cache (``cached``) and the embedder (``embedded``), and
    how many were copies of a text embedded in this call (``duplicates``: a
    text is embedded once per call).
    """
    vecs = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    known = known or {}
    todo = []
    for i, t in enumerate(texts):
        v = known.get(t)
        if v is not None and v.shape[0] == embedder.dim:
            vecs[i] = v
        else:
            todo.append(i)
    keys = {i: EmbeddingCache.key(embedder.fingerprint, texts[i]) for i in todo}
    found = cache.get_many(list(keys.values())) if (cache and todo) else {}
    missing = []
    copies: dict[str, list[int]] = {}  # a text that occurs more than once is embedded once
    for i in todo:
        v = found.get(keys[i])
        if v is not None and v.shape[0] == embedder.dim:
            vecs[i] = v
        else:
            if texts[i] not in copies:
                missing.append(i)
            copies.setdefault(texts[i], []).append(i)
    if stats is not None:
        stats.update(reused=len(texts) - len(todo), cached=len(todo) - sum(map(len, copies.values())),
                     embedded=len(missing), duplicates=sum(map(len, copies.values())) - len(missing))
    if missing:
        from tqdm import tqdm

        bar = tqdm(total=len(missing), unit="chunk", desc=f"embedding ({len(texts) - len(missing)} cached)",
                   disable=not progress, file=sys.stderr, dynamic_ncols=True)
        # longest first keeps batches of similar length; one batch per call so the cache grows as we go
        missing.sort(key=lambda i: -len(texts[i]))
        for s in range(0, len(missing), batch_size):
            idx = missing[s:s + batch_size]
            out = embedder.embed_passages([texts[i] for i in idx], batch_size=encode_batch)
            vecs[idx] = out
            if cache:
                cache.put_many({keys[i]: out[j] for j, i in enumerate(idx)})
            bar.update(len(idx))
        bar.close()
        for rows in copies.values():
            if len(rows) > 1:
                vecs[rows[1:]] = vecs[rows[0]]
    return vecs
