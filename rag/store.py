"""Storage backends for vectors and keywords, behind two small interfaces.

Retrieval only talks to :class:`VectorStore` and :class:`KeywordStore`;
rows are integer positions in the index's chunk list. The local backends:

- :class:`FaissStore` — exact inner-product search (``IndexFlatIP``) over
  L2-normalised vectors, i.e. cosine. Saved with ``faiss.write_index``.
- :class:`BM25Store` — Chinese BM25 (bm25s, Lucene variant) over jieba
  terms from :mod:`rag.tokenize`, and a second one over character bigrams
  (robust where word segmentation differs between question and passage);
  each term matrix is saved once as arrays + JSON (no pickle) and loaded,
  never rebuilt per query.

The Milvus backend (:mod:`rag.milvus_store`, an install extra) implements
the same interfaces with MilvusClient's dense and BM25 fields. Which backend
a data directory builds with is its ``store.json`` (:func:`store_config`,
written by ``rag index --store``); each generation's manifest records the
store it was built with, so readers follow it. This module does not embed,
tokenise or fuse.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

__all__ = ["BM25Store", "FaissStore", "KeywordStore", "STORES", "VectorStore", "parse_vector_index", "set_store_config",
           "store_config"]

STORES = ("local", "milvus")
STORE_FILE = "store.json"


class VectorStore(Protocol):
    dim: int

    def __len__(self) -> int: ...

    def search(self, query: np.ndarray, k: int, *, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows by cosine: ``(scores, rows)``; ``allowed`` is a boolean row mask."""

    def vectors(self) -> np.ndarray: ...

    def save(self, directory: Path) -> list[str]: ...


class KeywordStore(Protocol):
    def __len__(self) -> int: ...

    def search(self, terms: Sequence[str], k: int, *, allowed: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` rows by BM25 score (only rows with score > 0)."""

    def idf(self, term: str) -> float: ...

    def save(self, directory: Path) -> list[str]: ...


def _top_k(scores: np.ndarray, k: int, allowed: np.ndarray | None, positive: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    scores = np.asarray(scores, dtype=np.float32)
    if allowed is not None:
        scores = np.where(allowed, scores, -np.inf)
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, np.float32), np.zeros(0, np.int64)
    rows = np.argpartition(-scores, k - 1)[:k]
    rows = rows[np.argsort(-scores[rows], kind="stable")]
    keep = np.isfinite(scores[rows]) & ((scores[rows] > 0) if positive else True)
    rows = rows[keep]
    return scores[rows], rows.astype(np.int64)


class FaissStore:
    """Exact cosine search with FAISS over normalised float32 vectors."""

    FILE = "vectors.faiss"

    def __init__(self, vectors: np.ndarray):
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dim = int(vectors.shape[1])
        self._index = faiss.IndexFlatIP(self.dim)
        if len(vectors):
            self._index.add(vectors)

    @classmethod
    def _from_faiss(cls, index) -> "FaissStore":
        self = cls.__new__(cls)
        self._index, self.dim = index, int(index.d)
        return self

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vectors(self) -> np.ndarray:
        return self._index.reconstruct_n(0, len(self)) if len(self) else np.zeros((0, self.dim), np.float32)

    def search(self, query, k, *, allowed=None):
        n = len(self)
        if n == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if allowed is not None:
            import faiss

            ids = np.flatnonzero(allowed).astype(np.int64)
            if len(ids) == 0:
                return np.zeros(0, np.float32), np.zeros(0, np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(ids))
            scores, rows = self._index.search(q, min(k, len(ids)), params=params)
        else:
            scores, rows = self._index.search(q, min(k, n))
        keep = rows[0] >= 0
        return scores[0][keep], rows[0][keep].astype(np.int64)

    def save(self, directory: Path) -> list[str]:
        import faiss

        faiss.write_index(self._index, str(Path(directory) / self.FILE))
        return [self.FILE]

    @classmethod
    def load(cls, directory: Path) -> "FaissStore":
        import faiss

        return cls._from_faiss(faiss.read_index(str(Path(directory) / cls.FILE)))


class BM25Store:
    """BM25 over pre-tokenised chunks (bm25s), persisted as arrays + JSON."""

    DIR = "bm25"

    def __init__(self, corpus_terms: Sequence[Sequence[str]], *, k1: float = 1.2, b: float = 0.75,
                 directory: str = DIR):
        import bm25s

        self.directory = directory
        self._n = len(corpus_terms)
        self._bm25 = bm25s.BM25(k1=k1, b=b)
        # bm25s needs at least one token per document; an empty doc gets a never-queried token
        corpus = [list(t) if t else ["\x00"] for t in corpus_terms] or [["\x00"]]
        self._bm25.index(corpus, show_progress=False)
        self._df = self._doc_freq()

    def _doc_freq(self) -> np.ndarray:
        m = self._bm25.scores  # CSC: one column per term
        return np.diff(np.asarray(m["indptr"]))

    def __len__(self) -> int:
        return self._n

    def idf(self, term: str) -> float:
        col = self._bm25.vocab_dict.get(term)
        df = int(self._df[col]) if col is not None else 0
        return float(np.log(1 + (self._n - df + 0.5) / (df + 0.5)))

    def search(self, terms, k, *, allowed=None):
        known = [t for t in terms if t in self._bm25.vocab_dict]
        if not known or self._n == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self._bm25.get_scores(known)[: self._n]
        return _top_k(scores, k, allowed, positive=True)

    def save(self, directory: Path) -> list[str]:
        d = Path(directory) / self.directory
        self._bm25.save(str(d), show_progress=False)
        (d / "count.json").write_text(json.dumps({"n": self._n}))
        return sorted(f"{self.directory}/{p.name}" for p in d.iterdir())

    @classmethod
    def load(cls, directory: Path, name: str = DIR) -> "BM25Store":
        import bm25s

        d = Path(directory) / name
        self = cls.__new__(cls)
        self.directory = name
        self._bm25 = bm25s.BM25.load(str(d), mmap=False, show_progress=False)
        self._n = json.loads((d / "count.json").read_text())["n"]
        self._df = self._doc_freq()
        return self


def store_config(home: Path) -> dict:
    """The backend new generations under ``home`` are built with: ``{"kind": "local"}`` unless
    ``store.json`` says ``{"kind": "milvus", "uri": ..., "prefix": ...}``."""
    try:
        cfg = json.loads((Path(home) / STORE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"kind": "local"}
    except (OSError, ValueError) as e:
        from .errors import IndexCorrupt

        raise IndexCorrupt(f"{Path(home) / STORE_FILE} is unreadable ({e}). Recreate it with "
                           "`rag index --store local|milvus ...`.") from e
    return cfg if isinstance(cfg, dict) and cfg.get("kind") in STORES else {"kind": "local"}


def parse_vector_index(spec: str | None) -> dict | None:
    """``flat`` → None (exact search, the default); ``ivf_flat:NLIST:NPROBE`` → an IVF_FLAT index.

    >>> parse_vector_index("ivf_flat:1024:16")
    {'type': 'IVF_FLAT', 'nlist': 1024, 'nprobe': 16}
    """
    from .errors import RagError

    if not spec or spec.strip().lower() == "flat":
        return None
    parts = spec.strip().lower().split(":")
    if parts[0] != "ivf_flat" or len(parts) != 3 or not all(x.isdigit() and int(x) > 0 for x in parts[1:]) \
            or int(parts[2]) > int(parts[1]):
        raise RagError(f"--milvus-index takes flat or ivf_flat:NLIST:NPROBE (NPROBE <= NLIST), not {spec!r}.")
    return {"type": "IVF_FLAT", "nlist": int(parts[1]), "nprobe": int(parts[2])}


def set_store_config(home: Path, kind: str, uri: str | None = None, index: dict | None = None) -> dict:
    """Record the backend for ``home``; a Milvus Lite file path is made absolute. ``index``: the Milvus
    vector index (:func:`parse_vector_index`; None = FLAT)."""
    from .errors import RagError

    if kind not in STORES:
        raise RagError(f"Unknown store {kind!r}; use one of {', '.join(STORES)}.")
    cfg: dict = {"kind": kind}
    if kind == "milvus":
        if not uri:
            raise RagError("--store milvus needs --milvus-uri: a file for Milvus Lite (e.g. index/milvus.db) "
                           "or http://host:19530 for a server.")
        cfg["uri"] = uri if "://" in uri else str(Path(uri).resolve())
        if index:
            cfg["index"] = index
    Path(home).mkdir(parents=True, exist_ok=True)
    (Path(home) / STORE_FILE).write_text(json.dumps(cfg), encoding="utf-8")
    return cfg
