"""Milvus backend: vectors and BM25 of an index generation in one Milvus collection.

Install with ``pip install 'rag-zh[milvus]'``; ``pymilvus`` is imported only
here and only when a Milvus store is used. One code path through
``pymilvus.MilvusClient(uri)``: ``uri`` is a local file (embedded Milvus
Lite) or ``http://host:19530`` (a server; token from ``$RAG_MILVUS_TOKEN``).

One collection per full build, named ``<prefix>_<8 hex>``, with fields::

    row (INT64, primary key)                           doc_id, date, type (VARCHAR)
    doc_type, title (VARCHAR), day (INT64 YYYYMMDD)    the fields metadata filters test (rag/milvus_filters.py)
    born (INT64: the generation that wrote the row)    terms, bigrams (VARCHAR)
    vec (FLOAT_VECTOR, FLAT or IVF_FLAT, inner product)
    sp_terms, sp_bigrams (SPARSE_FLOAT_VECTOR, Milvus's own BM25 function)

A full build writes rows ``0…n-1`` (the chunk positions) with ``born = 0``; ``rag index`` / ``rag rm``
afterwards change that collection in place (:mod:`rag.milvus_sync`): rows of new documents are added
with a new ``born``, rows of removed or changed ones are hidden by the generation's ``milvus.json`` and
deleted a generation later, and ``rows.npy`` maps chunk positions to primary keys.

The keyword side is Milvus's BM25 function over our jieba terms and our
character bigrams (the exact tokens :mod:`rag.tokenize` gives, with
traditional → simplified folding, each stored as one ``\\w+`` word, read by
the ``whitespace`` analyzer — or ``standard`` on milvus-lite 3.x, which has
no ``whitespace``), so BM25 agrees with the local store (measured in
``bench/bench_milvus.py``); the built-in ``jieba`` analyzer lacks that folding.
Milvus being unreachable or failing raises :class:`rag.errors.StoreUnavailable`. Scores are divided by
``k1 + 1`` to match bm25s's Lucene scale.

Readers never see a half-built index: every search carries the generation's
visibility filter (``born <= gen`` minus hidden documents), and a generation
(``milvus.json``, checksummed in the manifest) is published by the usual
``CURRENT`` rename only after its rows are in; collections no generation names
(a killed full build's, or replaced ones) are dropped by the next writer.
Milvus Lite has no aliases, so the manifest is the pointer. Metadata filters
reach Milvus as expressions on the scalar fields when the collection has them
(older collections: a ``doc_id`` list). Chunk text, documents and BM25 idf for
answers stay in the generation directory. This module does not embed,
tokenise or fuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import IndexError_, StoreUnavailable
from .filters import predicate_of
from .milvus_filters import doc_ids_expr, predicate_expr, visible_expr
from .milvus_schema import K1, SCHEMA, TOKENS, _rows, _tokens, create_collection, index_params, search_params
from .records import Chunk, Document

__all__ = ["MilvusKeywordStore", "MilvusVectorStore", "build_stores", "connect", "default_prefix", "disconnect",
           "drop_unreferenced", "open_stores"]

FILE = "milvus.json"
ROWS_FILE = "rows.npy"
BATCH = 500
_CLIENTS: dict[str, object] = {}


def _pymilvus():
    try:
        import pymilvus
    except ImportError as e:
        raise IndexError_("This index uses Milvus, but pymilvus is not installed. "
                          "Install it with `pip install 'rag-zh[milvus]'`.") from e
    return pymilvus


def connect(uri: str, *, timeout: float = 10.0):
    """A (process-wide, cached) ``MilvusClient`` for ``uri``; raises IndexError_ naming it when unreachable."""
    if uri in _CLIENTS:
        return _CLIENTS[uri]
    pm = _pymilvus()
    token = os.environ.get("RAG_MILVUS_TOKEN", "")
    try:
        client = pm.MilvusClient(uri=uri, token=token, timeout=timeout)
        client.list_collections()
    except Exception as e:  # pymilvus raises MilvusException, grpc and OS errors alike
        lite = "" if "://" in uri else (" A Milvus Lite file is opened by one process at a time: stop the other "
                                        "`rag` process using it, or use a Milvus server (http://host:19530).")
        raise StoreUnavailable(f"Cannot reach Milvus at {uri} ({e.__class__.__name__}: {str(e)[:200]}). "
                          "Start it (or fix --milvus-uri / RAG_MILVUS_TOKEN) and try again." + lite) from e
    _CLIENTS[uri] = client
    return client


def disconnect(uri: str) -> None:
    """Close the cached client of ``uri``; for a Milvus Lite file also stop its server, so that another
    process may open the file."""
    client = _CLIENTS.pop(uri, None)
    if client is None:
        return
    with contextlib.suppress(Exception):
        client.close()
    if "://" not in uri:
        with contextlib.suppress(Exception):
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(uri)


def _call(uri: str, what: str, fn: Callable, *a, **kw):
    """Run one Milvus call; any failure becomes IndexError_ naming the URI."""
    try:
        return fn(*a, **kw)
    except IndexError_:
        raise
    except Exception as e:
        raise _failed(uri, what, e) from e


def _failed(uri: str, what: str, e: Exception) -> StoreUnavailable:
    return StoreUnavailable(f"Milvus at {uri} failed to {what} ({e.__class__.__name__}: {str(e)[:200]}). "
                       "Check that it is running; the previous index is unchanged.")


class MilvusVectorStore:
    """Dense side: inner product in one collection, seen through one generation's visibility filter.

    ``pks[i]`` is the primary key of chunk ``i`` (``None``: the key is the position, a full build's rows);
    ``gen``/``hidden`` say which rows the generation sees (:func:`rag.milvus_filters.visible_expr`)."""

    def __init__(self, uri: str, collection: str, dim: int, doc_of_row: Sequence[str], *,
                 tokens: str = TOKENS, analyzer: str = "whitespace", schema: int = SCHEMA, gen: int = 0,
                 hidden: Sequence = (), pks: np.ndarray | None = None, prev_gen: int = 0):
        self.uri, self.collection, self.dim = uri, collection, dim
        self.tokens, self.analyzer, self.schema = tokens, analyzer, schema
        self.gen, self.hidden, self.prev_gen = gen, [list(h) for h in hidden], prev_gen
        self._client = connect(uri)
        self._doc_of_row = np.asarray(doc_of_row, dtype=object)
        self.pks = None if pks is None else np.asarray(pks, np.int64)
        self._order = None if self.pks is None else np.argsort(self.pks, kind="stable")
        self.search_params: dict = {}  # e.g. {"params": {"nprobe": 32}} for an IVF_FLAT vector index

    def visible(self) -> str:
        """The filter every search of this generation carries ("" for a collection without ``born``)."""
        return visible_expr(self.gen, self.hidden) if self.schema >= 2 else ""

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """Chunk positions of primary keys (-1 for a key this generation does not have)."""
        if self.pks is None:
            return ids
        if not len(self.pks):
            return np.full(len(ids), -1, np.int64)
        sorted_pks = self.pks[self._order]
        at = np.clip(np.searchsorted(sorted_pks, ids), 0, len(sorted_pks) - 1)
        return np.where(sorted_pks[at] == ids, self._order[at], -1)

    def __len__(self) -> int:
        res = _call(self.uri, "count rows", self._client.query, self.collection, filter=self.visible(),
                    output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def filter_for(self, allowed: np.ndarray | None, extra: str | None = None) -> str:
        """The Milvus filter of a search: visibility, ``extra``, and a row mask — as the metadata filter
        that made it when :func:`rag.filters.predicate_of` knows it, else by document id (whole documents)
        or row."""
        parts = [p for p in (self.visible(), extra) if p]
        if allowed is not None:
            pred = predicate_of(allowed) if self.schema >= 2 else None
            try:
                expr = predicate_expr(pred) if pred is not None else ""
            except ValueError:  # a title Milvus cannot quote (control character): by document id instead
                expr = ""
            if expr:
                parts.append(expr)
            else:
                rows = np.flatnonzero(allowed)
                docs = sorted(set(self._doc_of_row[rows].tolist())) if len(rows) else []
                whole = docs and int(np.isin(self._doc_of_row, docs).sum()) == len(rows)
                parts.append(doc_ids_expr(docs) if whole else f"row in {self._pk_list(rows)}")
        return " and ".join(f"({p})" for p in parts if p)

    def _pk_list(self, rows: np.ndarray) -> list[int]:
        return (rows if self.pks is None else self.pks[rows]).tolist()

    def _search(self, data, field: str, k: int, expr: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        res = _call(self.uri, "search", self._client.search, self.collection, data=[data], anns_field=field,
                    limit=min(k, 16384), filter=expr, search_params={"metric_type": metric, **self.search_params})[0]
        scores = np.array([h["distance"] for h in res], np.float32)
        if metric == "BM25":  # milvus-lite 3.x reports BM25 as a negated distance
            scores = np.abs(scores)
        rows = self._positions(np.array([h["id"] if "id" in h else h["row"] for h in res], np.int64))
        keep = rows >= 0
        return scores[keep], rows[keep]

    def search(self, query, k, *, allowed=None, filter: str | None = None):
        if allowed is not None and not allowed.any():
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.asarray(query, np.float32).reshape(-1).tolist()
        return self._search(q, "vec", k, self.filter_for(allowed, filter), "IP")

    def hybrid_search(self, query, terms: Sequence[str], bigrams: Sequence[str], k: int, *,
                      weights: tuple[float, float, float] = (0.3, 0.35, 0.35), candidates: int = 50,
                      filter: str | None = None, norm: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Dense + word BM25 + bigram BM25 fused inside Milvus (``hybrid_search``, ``WeightedRanker``
        with its own score normalisation). Not what ``rag.retrieve`` runs: Milvus normalises by arctan,
        not min-max / max, and has no evidence re-ranking (compared in ``bench/bench_milvus.py``; Milvus Lite
        2.5.1 normalises BM25 as a distance, reversing its order, so ``norm=False`` sums raw scores)."""
        pm = _pymilvus()
        reqs, ws = [], []
        expr = self.filter_for(None, filter)
        for data, field, metric, w in ((np.asarray(query, np.float32).reshape(-1).tolist(), "vec", "IP", weights[0]),
                                       (_tokens(terms, self.tokens), "sp_terms", "BM25", weights[1]),
                                       (_tokens(bigrams, self.tokens), "sp_bigrams", "BM25", weights[2])):
            if len(data) and w > 0:
                reqs.append(pm.AnnSearchRequest(data=[data], anns_field=field, param={"metric_type": metric},
                                                limit=candidates, expr=expr or None))
                ws.append(w)
        res = _call(self.uri, "search", self._client.hybrid_search, self.collection, reqs,
                    ranker=pm.WeightedRanker(*ws, norm_score=norm), limit=k)[0]
        rows = self._positions(np.array([h["id"] if "id" in h else h["row"] for h in res], np.int64))
        return np.array([h["distance"] for h in res], np.float32)[rows >= 0], rows[rows >= 0]

    def vectors(self) -> np.ndarray:
        out = np.zeros((len(self._doc_of_row), self.dim), np.float32)
        it = _call(self.uri, "read vectors", self._client.query_iterator, self.collection, batch_size=1000,
                   filter=self.visible() or "row >= 0", output_fields=["row", "vec"])
        while batch := it.next():
            at = self._positions(np.array([r["row"] for r in batch], np.int64))
            for i, r in zip(at.tolist(), batch):
                if i >= 0:
                    out[i] = r["vec"]
        it.close()
        return out

    def insert(self, start: int, vectors, terms, bigrams, chunks: Sequence[Chunk], docs: dict[str, Document]) -> None:
        """Add chunks as rows ``start…`` of this generation (for tools and benchmarks; ``rag index`` updates
        through :mod:`rag.milvus_sync`); they are searchable when this returns."""
        self.insert_rows(range(start, start + len(chunks)), vectors, terms, bigrams, chunks, docs, self.gen)
        self._doc_of_row = np.concatenate([self._doc_of_row[:start], np.asarray([c.doc_id for c in chunks], object)])
        if self.pks is not None:
            self.pks = np.concatenate([self.pks[:start], np.arange(start, start + len(chunks))])
            self._order = np.argsort(self.pks, kind="stable")

    def insert_rows(self, pks: Sequence[int], vectors, terms, bigrams, chunks: Sequence[Chunk],
                    docs: dict[str, Document], born: int) -> None:
        """Write rows with these primary keys and ``born``, ``BATCH`` at a time."""
        for s in range(0, len(chunks), BATCH):
            rows = _rows(pks[s:s + BATCH], vectors[s:s + BATCH], terms[s:s + BATCH], bigrams[s:s + BATCH],
                         chunks[s:s + BATCH], docs, self.tokens, born)
            _call(self.uri, "insert", self._client.insert, self.collection, rows)

    def delete_documents(self, doc_ids: Sequence[str], *, before: int | None = None) -> int:
        """Delete every row of these documents (written before generation ``before``, if given); returns the
        number of rows deleted."""
        expr = doc_ids_expr(list(doc_ids)) + (f" and born < {int(before)}" if before is not None else "")
        res = _call(self.uri, "delete", self._client.delete, self.collection, filter=expr)
        return int(res.get("delete_count", 0) if isinstance(res, dict) else 0)

    def save(self, directory: Path) -> list[str]:
        info = {"uri": self.uri, "collection": self.collection, "dim": self.dim, "rows": len(self),
                "tokens": self.tokens, "analyzer": self.analyzer, "schema": self.schema}
        files = [FILE]
        if self.gen or self.hidden or self.pks is not None:
            info.update(gen=self.gen, prev_gen=self.prev_gen, hidden=self.hidden)
        if self.pks is not None:
            np.save(Path(directory) / ROWS_FILE, self.pks)
            info["row_keys"] = ROWS_FILE
            files.append(ROWS_FILE)
        (Path(directory) / FILE).write_text(json.dumps(info, ensure_ascii=False))
        return files


class MilvusKeywordStore:
    """Keyword side: Milvus BM25 over one tokenised field; ``idf`` from the terms kept on disk."""

    def __init__(self, dense: MilvusVectorStore, field: str, corpus_terms: Callable[[], Sequence[Sequence[str]]]):
        self._dense, self.field, self._corpus = dense, field, corpus_terms
        self._df: Counter | None = None

    def __len__(self) -> int:
        return len(self._dense)

    def idf(self, term: str) -> float:
        if self._df is None:
            self._df = Counter(t for terms in self._corpus() for t in set(terms))
        n, df = len(self._dense._doc_of_row), self._df.get(term, 0)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def search(self, terms, k, *, allowed=None, filter: str | None = None):
        text = _tokens(terms, self._dense.tokens)
        if not text or (allowed is not None and not allowed.any()):
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        s, r = self._dense._search(text, self.field, k, self._dense.filter_for(allowed, filter), "BM25")
        keep = s > 0
        return s[keep] / (K1 + 1), r[keep]

    def save(self, directory: Path) -> list[str]:
        return []


def default_prefix(home: Path) -> str:
    """Collection prefix unique to a data directory, so several can share one Milvus."""
    return "rag_" + hashlib.sha1(str(Path(home).resolve()).encode()).hexdigest()[:8]


def drop_unreferenced(uri: str, prefix: str, home: Path) -> list[str]:
    """Drop ``prefix_*`` collections that no generation under ``home`` names; call holding the lock."""
    client = connect(uri)
    named = set()
    for p in Path(home).glob("gen-*/" + FILE):
        try:
            named.add(json.loads(p.read_text())["collection"])
        except (OSError, ValueError, KeyError):
            continue
    dropped = [c for c in _call(uri, "list collections", client.list_collections)
               if c.startswith(prefix + "_") and c not in named]
    for c in dropped:
        _call(uri, "drop a collection", client.drop_collection, c)
    return dropped


def build_stores(store: dict, home: Path, vectors: np.ndarray, terms, bigrams, chunks: Sequence[Chunk],
                 docs: dict[str, Document], previous=None
                 ) -> tuple[MilvusVectorStore, MilvusKeywordStore, MilvusKeywordStore]:
    """The stores of a generation being built (not yet visible to readers): the ``previous`` generation's
    collection updated in place when it can be (:func:`rag.milvus_sync.can_update`), else a new one."""
    from . import milvus_sync

    prefix = store.get("prefix") or default_prefix(home)
    if previous is not None and milvus_sync.can_update(previous, store, int(vectors.shape[1])):
        drop_unreferenced(store["uri"], prefix, home)  # e.g. the collection a --rebuild replaced
        dense = milvus_sync.update_in_place(previous.dense, home, vectors, terms, bigrams, chunks, docs,
                                            previous.chunks, previous.documents)
    else:
        dense = _fresh_collection(store, home, prefix, vectors, terms, bigrams, chunks, docs)
    dense.search_params = search_params(store)
    return (dense, MilvusKeywordStore(dense, "sp_terms", lambda: terms),
            MilvusKeywordStore(dense, "sp_bigrams", lambda: bigrams))


def _fresh_collection(store: dict, home: Path, prefix: str, vectors: np.ndarray, terms, bigrams,
                      chunks: Sequence[Chunk], docs: dict[str, Document]) -> MilvusVectorStore:
    pm = _pymilvus()
    uri = store["uri"]
    client = connect(uri)
    drop_unreferenced(uri, prefix, home)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    dim = int(vectors.shape[1])
    analyzer = create_collection(uri, client, pm, name, dim, index_params(client, store), _failed)
    dense = MilvusVectorStore(uri, name, dim, [], analyzer=analyzer)
    dense.insert(0, vectors, terms, bigrams, chunks, docs)
    return dense


def open_stores(path: Path, store: dict, chunks: Sequence[Chunk], terms: Sequence[Sequence[str]]
                ) -> tuple[MilvusVectorStore, MilvusKeywordStore, MilvusKeywordStore]:
    """The stores of a published generation at ``path`` (its ``milvus.json`` names the collection)."""
    from .tokenize import char_bigrams

    info = json.loads((Path(path) / FILE).read_text())
    uri = store.get("uri") or info["uri"]
    client = connect(uri)
    if not _call(uri, "look up a collection", client.has_collection, info["collection"]):
        raise IndexError_(f"Milvus at {uri} has no collection {info['collection']} for the index at {path}. "
                          "Rebuild it with `rag index --rebuild corpus/`.")
    _call(uri, "load a collection", client.load_collection, info["collection"])
    pks = np.load(Path(path) / info["row_keys"]) if info.get("row_keys") else None
    dense = MilvusVectorStore(uri, info["collection"], int(info["dim"]), [c.doc_id for c in chunks],
                              tokens=info.get("tokens", "v0"), analyzer=info.get("analyzer", "whitespace"),
                              schema=int(info.get("schema", 1)), gen=int(info.get("gen", 0)),
                              hidden=info.get("hidden", ()), pks=pks, prev_gen=int(info.get("prev_gen", 0)))
    dense.search_params = search_params(store)
    return (dense, MilvusKeywordStore(dense, "sp_terms", lambda: terms),
            MilvusKeywordStore(dense, "sp_bigrams", lambda: [char_bigrams(c.text) for c in chunks]))
