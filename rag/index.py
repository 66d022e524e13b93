"""The on-disk index: build, save atomically, load and verify.

Layout of the data directory (``RAG_HOME``, default ``./index``)::

    index/
      CURRENT                 name of the live generation (replaced atomically)
      gen-20261129T080102-1a2b/
        manifest.json         format version, embedder (name, dim, weights), chunker,
                              tokenizer, counts, sha256 of every file below
        documents.jsonl       stored document text + metadata + block labels
        chunks.jsonl          chunks with [start, end), section, sentence spans
        terms.jsonl           BM25 terms per chunk (so BM25 can be rebuilt without jieba)
        vectors.faiss         FAISS IndexFlatIP, row i = chunk i
        bm25/                 bm25s arrays + JSON (jieba terms)
        bm25_bigram/          bm25s arrays + JSON (character bigrams)
        sentvec.npy, .tsv     one vector per body sentence for the answer step (rag/sentvec.py)
        artvec.npy, .tsv      statute articles: their passage vector instead of sentence vectors
      cache/embeddings.sqlite embedding cache keyed by (weights, text hash)
      .lock                   one writer at a time (flock; released if the holder dies)

A build writes a new generation into ``.tmp-*`` beside the old one, fsyncs
it, renames it to ``gen-*`` and only then points ``CURRENT`` at it
(:mod:`rag.generation`), so a crash (even SIGKILL) at any moment leaves the
previous index loadable. What
a dead writer leaves behind (``.tmp-*``, unpublished ``gen-*``,
``.CURRENT.*``) is removed by the next writer; embeddings it computed are
already in the cache (written one batch at a time) and are not recomputed.
A write that fails (disk full, permissions) raises ``IndexError_`` and
leaves the old generation current.

A rebuild reuses what it can from the previous generation: vectors and BM25
terms of chunks whose text is unchanged are copied, not recomputed (jieba
and the embedder only see new text); BM25 and FAISS are rebuilt, which is
cheap. Loading checks the format version, the checksums and (when asked)
the embedder, and raises :mod:`rag.errors` types with the command that fixes
things. This module does not decide what to retrieve or which files changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import sqlite3
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from .buildstats import StageClock
from .chunk import chunk_document, embed_text
from .config import ChunkConfig, data_dir
from .embed import Embedder
from .embed_cache import embed_with_cache, open_cache
from .errors import IndexCorrupt, IndexError_, IndexMismatch
from .generation import (
    collect_garbage,
    current_generation,
    index_lock,
    manifest_at,
    publish,
    read_jsonl,
    read_manifest,
    sha256_file,
    write_jsonl,
)
from .records import Chunk, Document
from .sentvec import (
    SENTVEC_FILES,
    SentenceVectors,
    build_sentence_vectors,
    known_sentence_vectors,
)
from .store import BM25Store, FaissStore, KeywordStore, VectorStore, store_config
from .tokenize import char_bigrams, tokenize

__all__ = ["FORMAT_VERSION", "Index", "build_index", "current_generation", "index_lock", "open_index", "read_manifest"]

FORMAT_VERSION = 2
T = TypeVar("T")
BIGRAM_DIR = "bm25_bigram"
TOKENIZER = "jieba-search-nohmm+t2s-v1"


@dataclass
class Index:
    """A loaded index generation. Plain data: retrieval functions take it as an argument."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    dense: VectorStore
    keyword: KeywordStore
    terms: list[list[str]] = field(default_factory=list)
    bigram: KeywordStore | None = None  # BM25 over character bigrams (hybrid mode)
    sentences: "SentenceVectors | None" = None  # per-sentence vectors (rag/sentvec.py), None in older indexes
    _derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]["name"]

    def derived(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per loaded generation (a generation never changes once published), e.g.
        which documents are superseded, or whether this is a statute index — not once per query."""
        if key not in self._derived:
            self._derived[key] = compute()
        return self._derived[key]

    def doc_rows(self) -> dict[str, np.ndarray]:
        """Rows of each document's chunks (for filters)."""
        out: dict[str, list[int]] = {}
        for i, c in enumerate(self.chunks):
            out.setdefault(c.doc_id, []).append(i)
        return {k: np.array(v) for k, v in out.items()}


# ------------------------------------------------------------------ build

def _reusable(previous: Index | None, embedder: Embedder) -> tuple[dict[str, np.ndarray], dict[str, list[str]]]:
    """Text → vector and text → BM25 terms of ``previous``'s chunks, where still valid."""
    if previous is None:
        return {}, {}
    texts = [embed_text(c, previous.documents[c.doc_id].title if c.doc_id in previous.documents else "")
             for c in previous.chunks]
    terms: dict[str, list[str]] = {}
    if previous.manifest.get("tokenizer") == TOKENIZER and len(previous.terms) == len(texts):
        terms = dict(zip(texts, previous.terms))
    vectors: dict[str, np.ndarray] = {}
    built = previous.manifest.get("embedder", {})
    if built.get("fingerprint") == embedder.fingerprint and built.get("dim") == embedder.dim:
        vectors = dict(zip(texts, previous.dense.vectors()))
    return vectors, terms


class _Interner:
    """Maps a list of terms to the same list made of one shared ``str`` per distinct term.

    >>> s = _Interner(); a, b = s(["法律"]), s(["法" + "律"]); a[0] is b[0]
    True
    """

    def __init__(self):
        self._pool: dict[str, str] = {}

    def __call__(self, words: list[str]) -> list[str]:
        pool = self._pool
        return [pool.setdefault(w, w) for w in words]


def build_index(documents: list[Document], *, embedder: Embedder, home: str | Path | None = None,
                chunk_config: ChunkConfig = ChunkConfig(), progress: bool = True,
                use_cache: bool = True, lock: bool = True, previous: Index | None = None,
                in_place: bool = True) -> Index:
    """Chunk, embed and index ``documents`` into a new generation under ``home``.

    Duplicate documents (same ``doc_id``) are indexed once. The new generation
    becomes current only when completely written. Chunks whose text also
    occurs in ``previous`` (normally the current generation) take their
    vector and BM25 terms from it. ``lock=False`` means the caller already
    holds :func:`index_lock`. ``in_place=False`` makes a Milvus store write a new collection rather than
    update ``previous``'s in place (``rag index --rebuild``).
    """
    home = data_dir(home)
    ctx = index_lock(home) if lock else contextlib.nullcontext()
    with ctx:
        collect_garbage(home)  # we are the only writer: anything half-written is a dead writer's
        docs: dict[str, Document] = {}
        for d in documents:
            docs.setdefault(d.doc_id, d)
        clock = StageClock()
        chunks: list[Chunk] = []
        for d in docs.values():
            chunks += chunk_document(d, chunk_config)
        texts = [embed_text(c, docs[c.doc_id].title) for c in chunks]
        known_vectors, known_terms = _reusable(previous, embedder)
        clock.lap("chunk")
        vectors, sentences = _embed(home, docs, chunks, texts, embedder, known_vectors, previous, clock,
                                    use_cache=use_cache, progress=progress)
        shared = _Interner()  # one str object per distinct term: ~0.9 GB less for the 66k-passage law archive
        terms = [known_terms[t] if t in known_terms else shared(tokenize(t)) for t in texts]
        bigrams = [shared(char_bigrams(t)) for t in texts]
        clock.lap("tokenize")
        store = store_config(home)
        dense, keyword, bigram = _build_stores(
            store, home, vectors if len(vectors) else np.zeros((0, embedder.dim), np.float32), terms,
            bigrams, chunks, docs, previous if in_place and _same_rows(previous, embedder) else None)
        clock.lap("stores")
        manifest = {
            "format_version": FORMAT_VERSION,
            "embedder": {"name": embedder.name, "dim": embedder.dim, "fingerprint": embedder.fingerprint},
            "chunker": dataclasses.asdict(chunk_config),
            "tokenizer": TOKENIZER,
            "counts": {"documents": len(docs), "chunks": len(chunks)},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "build": clock.report(),  # seconds per stage and embeddings computed / reused (before writing)
        }
        if store["kind"] != "local":
            manifest["store"] = store
        path = _write_or_explain(home, manifest, docs, chunks, terms, dense, keyword, bigram, sentences)
        return Index(path, manifest, docs, chunks, dense, keyword, terms, bigram, sentences)


def _embed(home: Path, docs: dict[str, Document], chunks: list[Chunk], texts: list[str], embedder: Embedder,
           known_vectors, previous: Index | None, clock: StageClock, *, use_cache: bool, progress: bool):
    """Passage vectors and the answer step's sentence vectors, through the embedding cache and reusing what
    ``previous`` holds; returns ``(vectors, sentences)``."""
    try:
        cache = (open_cache(home / "cache" / "embeddings.sqlite", salt=str(getattr(embedder, "precision", "")))
                 if use_cache else None)
    except sqlite3.Error as e:
        raise IndexError_(f"Cannot open the embedding cache in {home / 'cache'} ({e}). "
                          "Check the disk and its permissions, then run the command again.") from e
    try:
        vectors = embed_with_cache(texts, embedder, cache, known=known_vectors, progress=progress,
                                   stats=clock.counts("passages"))
        clock.lap("embed_passages")
        known_sentences = known_sentence_vectors(previous, embedder.fingerprint, embedder.dim)
        sentences = build_sentence_vectors(  # answer-step vectors, same cache and reuse as chunks
            docs, chunks, lambda ts: embed_with_cache(ts, embedder, cache, known=known_sentences,
                                                   progress=progress, stats=clock.counts("sentences")),
            embedder.dim, passage_vectors=vectors)  # statute articles: their passage vector
        clock.lap("embed_sentences")
    finally:
        if cache:
            cache.close()
    return vectors, sentences


def _write_or_explain(home: Path, *parts) -> Path:
    """:func:`_write_generation`; a full disk or a failed write becomes an IndexError_ that says what to do."""
    try:
        return _write_generation(home, *parts)
    except (OSError, RuntimeError) as e:  # FAISS reports write errors as RuntimeError
        full = getattr(e, "errno", None) in (errno.ENOSPC, errno.EDQUOT) or "No space left" in str(e)
        if not full and not isinstance(e, OSError) and "write" not in str(e).lower():
            raise
        what = "The disk is full" if full else f"Writing failed ({e})"
        raise IndexError_(f"{what} while writing the index at {home}; nothing was changed and the previous "
                          "index is still in use. Free some space (or fix the permissions) and run the "
                          "command again.") from e


def _same_rows(previous: Index | None, embedder: Embedder) -> bool:
    """Whether ``previous``'s stored rows (vectors, terms) are valid for a build with ``embedder``."""
    return previous is not None and previous.manifest.get("tokenizer") == TOKENIZER and \
        previous.manifest.get("embedder", {}).get("fingerprint") == embedder.fingerprint


def _build_stores(store: dict, home: Path, vectors: np.ndarray, terms: list[list[str]], bigrams: list[list[str]],
                  chunks: list[Chunk], docs: dict[str, Document], previous: Index | None = None
                  ) -> tuple[VectorStore, KeywordStore, KeywordStore]:
    """Dense, word-BM25 and bigram-BM25 stores of a new generation, in the backend ``store`` names
    (a Milvus store may update ``previous``'s collection in place)."""
    if store["kind"] == "milvus":
        from .milvus_store import build_stores

        return build_stores(store, home, vectors, terms, bigrams, chunks, docs, previous)
    return FaissStore(vectors), BM25Store(terms), BM25Store(bigrams, directory=BIGRAM_DIR)


def _load_stores(path: Path, manifest: dict, chunks: list[Chunk], terms: list[list[str]]
                 ) -> tuple[VectorStore, KeywordStore, KeywordStore]:
    """The stores of a published generation, from the backend its manifest records."""
    store = manifest.get("store") or {"kind": "local"}
    if store["kind"] == "milvus":
        from .milvus_store import open_stores

        return open_stores(path, store, chunks, terms)
    return FaissStore.load(path), BM25Store.load(path), BM25Store.load(path, BIGRAM_DIR)


def _write_generation(home: Path, manifest: dict, docs: dict[str, Document], chunks: list[Chunk],
                      terms: list[list[str]], dense: VectorStore, keyword: KeywordStore,
                      bigram: KeywordStore, sentences: SentenceVectors | None = None) -> Path:
    def fill(tmp: Path) -> tuple[dict, list[str]]:
        write_jsonl(tmp / "documents.jsonl", (d.to_dict() for d in docs.values()))
        write_jsonl(tmp / "chunks.jsonl", (c.to_dict() for c in chunks))
        write_jsonl(tmp / "terms.jsonl", ({"t": t} for t in terms))
        return manifest, (["documents.jsonl", "chunks.jsonl", "terms.jsonl"]
                          + dense.save(tmp) + keyword.save(tmp) + bigram.save(tmp)
                          + (sentences.save(tmp) if sentences is not None else []))

    return publish(home, fill)


# ------------------------------------------------------------------ load

def open_index(home: str | Path | None = None, *, embedder: Embedder | None = None,
               verify: bool = True) -> Index:
    """Load the current generation of the index under ``home``.

    Raises IndexNotFound, IndexCorrupt (checksum or parse failure) or
    IndexMismatch (other format version, or built with another embedder).
    """
    path = current_generation(home)
    manifest = manifest_at(path)  # not read_manifest(home): a writer may publish in between
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexMismatch(f"The index at {path.parent} has format version {manifest.get('format_version')}, "
                            f"this program reads version {FORMAT_VERSION}. "
                            "Rebuild it with `rag index --rebuild corpus/`.")
    if embedder is not None:
        check_embedder(manifest, embedder)
    if verify:
        for name, digest in manifest.get("files", {}).items():
            f = path / name
            if not f.exists() or sha256_file(f) != digest:
                raise IndexCorrupt(f"Index file {f} is missing or damaged (checksum mismatch). "
                                   "Rebuild it with `rag index --rebuild corpus/`.")
    try:
        docs = {d["doc_id"]: Document.from_dict(d) for d in read_jsonl(path / "documents.jsonl")}
        chunks = [Chunk.from_dict(c) for c in read_jsonl(path / "chunks.jsonl")]
        shared = _Interner()
        terms = [shared(r["t"]) for r in read_jsonl(path / "terms.jsonl")]
        dense, keyword, bigram = _load_stores(path, manifest, chunks, terms)
        sentences = SentenceVectors.load(path) if SENTVEC_FILES[0] in manifest.get("files", {}) else None
    except (OSError, ValueError, KeyError, RuntimeError) as e:
        raise IndexCorrupt(f"The index at {path} cannot be loaded ({e.__class__.__name__}: {e}). "
                           "Rebuild it with `rag index --rebuild corpus/`.") from e
    if len(dense) != len(chunks) or len(keyword) != len(chunks) or len(bigram) != len(chunks):
        raise IndexCorrupt(f"The index at {path} is inconsistent ({len(chunks)} chunks, {len(dense)} vectors). "
                           "Rebuild it with `rag index --rebuild corpus/`.")
    return Index(path, manifest, docs, chunks, dense, keyword, terms, bigram, sentences)


def check_embedder(manifest: dict, embedder: Embedder) -> None:
    """Raise IndexMismatch unless ``embedder`` is the one the index was built with."""
    built = manifest["embedder"]
    if built["name"] == embedder.name and built["dim"] == embedder.dim and \
            built.get("fingerprint") != embedder.fingerprint:
        raise IndexMismatch(
            f"The index was built with other weights of {built['name']!r} ({built.get('fingerprint')}; loaded: "
            f"{embedder.fingerprint}) — e.g. by an earlier version of this program. Rebuild it: "
            f"`rag index --rebuild corpus/` (with your own folders instead of corpus/).")
    if built["name"] != embedder.name or built["dim"] != embedder.dim:
        raise IndexMismatch(
            f"The index was built with embedder {built['name']!r} (dim {built['dim']}, weights "
            f"{built.get('fingerprint')}), but {embedder.name!r} (dim {embedder.dim}, weights "
            f"{embedder.fingerprint}) is loaded. Use `--embedder {built['name']}` or rebuild with "
            f"`rag index --rebuild --embedder {embedder.name} corpus/`.")
