"""Milvus backend: vectors and BM25 of an index generation in one Milvus collection.

Install with ``pip install 'rag-zh[milvus]'``; ``pymilvus`` is imported only
here and only when a Milvus store is used. One code path through
``pymilvus.MilvusClient(uri)``: ``uri`` is a local file (embedded Milvus
Lite) or ``http://host:19530`` (a server; token from ``$RAG_MILVUS_TOKEN``).

One collection per generation, named ``<prefix>_<8 hex>``, with fields::

    row (INT64, primary key: the chunk's position)   doc_id, date, type (VARCHAR)
    vec (FLOAT_VECTOR, FLAT, inner product)            terms, bigrams (VARCHAR)
    sp_terms, sp_bigrams (SPARSE_FLOAT_VECTOR, Milvus's own BM25 function)

The keyword side is Milvus's BM25 function over our jieba terms and our
character bigrams (the exact tokens :mod:`rag.tokenize` gives, with
traditional → simplified folding, each stored as one ``\\w+`` word, read by
the ``whitespace`` analyzer — or ``standard`` on milvus-lite 3.x, which has
no ``whitespace``), so BM25 agrees with the local store (measured in
``bench/bench_milvus.py``); the built-in ``jieba`` analyzer lacks that folding.
Milvus being unreachable or failing raises :class:`rag.errors.StoreUnavailable`. Scores are divided by
``k1 + 1`` to match bm25s's Lucene scale.

Readers never see a half-built index: a build fills a new collection, and
only then is the generation that names it (``milvus.json``, checksummed in
the manifest) published by the usual ``CURRENT`` rename; collections no
generation names (a killed build's, or replaced ones) are dropped by the next
writer. Milvus Lite has no aliases, so the manifest is the pointer.
``insert``/``delete_documents`` change a collection in place (for tools that
manage Milvus directly); ``rag index`` builds a new generation instead. Chunk
text, documents and BM25 idf for answers stay in the generation directory.
This module does not embed, tokenise or fuse.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .errors import IndexError_, StoreUnavailable
from .records import Chunk, Document

__all__ = ["MilvusKeywordStore", "MilvusVectorStore", "build_stores", "connect", "default_prefix", "drop_unreferenced",
           "open_stores"]

FILE = "milvus.json"
BATCH = 500
K1, B = 1.2, 0.75
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


_WORD = re.compile(r"\w+")
# Older collections (no "tokens" key in milvus.json) joined a term's inner spaces with U+2581.
TOKENS = "w1"


def _token(term: str) -> str:
    """One term as one lower-case ``\\w+`` word, so Milvus's ``whitespace`` analyzer (2.x) and
    milvus-lite 3.x's ``standard`` one (``\\w+``, lower-cased) both see exactly our terms.

    >>> _token("温州"), _token("a.b"), _token("AI")
    ('温州', 'ꙮ612e62', 'ꙮ4149')
    """
    if _WORD.fullmatch(term) and term == term.lower():
        return term
    return "\ua66e" + term.encode("utf-8", "surrogatepass").hex()


def _tokens(terms: Sequence[str], scheme: str = TOKENS) -> str:
    if scheme != TOKENS:
        return " ".join("\u2581".join(t.split()) for t in terms if t.strip())
    return " ".join(_token(t) for t in terms if t.strip())


def _schema(pm, dim: int, analyzer: str = "whitespace"):
    DT = pm.DataType
    s = pm.MilvusClient.create_schema(auto_id=False)
    s.add_field("row", DT.INT64, is_primary=True)
    for f, n in (("doc_id", 256), ("date", 64), ("type", 32)):
        s.add_field(f, DT.VARCHAR, max_length=n)
    for f in ("terms", "bigrams"):
        s.add_field(f, DT.VARCHAR, max_length=65535, enable_analyzer=True,
                    analyzer_params={"tokenizer": analyzer})
        s.add_field(f"sp_{f}", DT.SPARSE_FLOAT_VECTOR)
        s.add_function(pm.Function(name=f"bm25_{f}", function_type=pm.FunctionType.BM25,
                                   input_field_names=[f], output_field_names=[f"sp_{f}"]))
    s.add_field("vec", DT.FLOAT_VECTOR, dim=dim)
    return s


def _rows(start: int, vectors: np.ndarray, terms, bigrams, chunks: Sequence[Chunk],
          docs: dict[str, Document], scheme: str = TOKENS) -> list[dict]:
    out = []
    for i, c in enumerate(chunks):
        d = docs.get(c.doc_id)
        meta = d.meta if d else {}
        typ = str(meta.get("type") or (Path(d.path).suffix.lstrip(".").lower() if d and d.path else ""))
        out.append({"row": start + i, "doc_id": c.doc_id, "date": str(meta.get("date", "") or "")[:64],
                    "type": typ[:32], "terms": _tokens(terms[i], scheme)[:60000],
                    "bigrams": _tokens(bigrams[i], scheme)[:60000],
                    "vec": np.asarray(vectors[i], np.float32).tolist()})
    return out


class MilvusVectorStore:
    """Dense side: exact inner product (FLAT) in one collection; rows are chunk positions."""

    def __init__(self, uri: str, collection: str, dim: int, doc_of_row: Sequence[str], *,
                 tokens: str = TOKENS, analyzer: str = "whitespace"):
        self.uri, self.collection, self.dim = uri, collection, dim
        self.tokens, self.analyzer = tokens, analyzer
        self._client = connect(uri)
        self._doc_of_row = np.asarray(doc_of_row, dtype=object)

    def __len__(self) -> int:
        res = _call(self.uri, "count rows", self._client.query, self.collection, filter="",
                    output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def filter_for(self, allowed: np.ndarray | None, extra: str | None = None) -> str:
        """A Milvus filter for a row mask (by document id when the mask is whole documents)."""
        parts = [extra] if extra else []
        if allowed is not None:
            rows = np.flatnonzero(allowed)
            docs = sorted(set(self._doc_of_row[rows].tolist())) if len(rows) else []
            whole = docs and int(np.isin(self._doc_of_row, docs).sum()) == len(rows)
            parts.append(f"doc_id in {json.dumps(docs)}" if whole else f"row in {rows.tolist()}")
        return " and ".join(f"({p})" for p in parts)

    def _search(self, data, field: str, k: int, expr: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        if k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        res = _call(self.uri, "search", self._client.search, self.collection, data=[data], anns_field=field,
                    limit=min(k, 16384), filter=expr, search_params={"metric_type": metric})[0]
        scores = np.array([h["distance"] for h in res], np.float32)
        if metric == "BM25":  # milvus-lite 3.x reports BM25 as a negated distance
            scores = np.abs(scores)
        return scores, np.array([h["id"] if "id" in h else h["row"] for h in res], np.int64)

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
        for data, field, metric, w in ((np.asarray(query, np.float32).reshape(-1).tolist(), "vec", "IP", weights[0]),
                                       (_tokens(terms, self.tokens), "sp_terms", "BM25", weights[1]),
                                       (_tokens(bigrams, self.tokens), "sp_bigrams", "BM25", weights[2])):
            if len(data) and w > 0:
                reqs.append(pm.AnnSearchRequest(data=[data], anns_field=field, param={"metric_type": metric},
                                                limit=candidates, expr=filter or None))
                ws.append(w)
        res = _call(self.uri, "search", self._client.hybrid_search, self.collection, reqs,
                    ranker=pm.WeightedRanker(*ws, norm_score=norm), limit=k)[0]
        return (np.array([h["distance"] for h in res], np.float32),
                np.array([h["id"] if "id" in h else h["row"] for h in res], np.int64))

    def vectors(self) -> np.ndarray:
        out = np.zeros((len(self._doc_of_row), self.dim), np.float32)
        it = _call(self.uri, "read vectors", self._client.query_iterator, self.collection, batch_size=1000,
                   filter="row >= 0", output_fields=["row", "vec"])
        while batch := it.next():
            for r in batch:
                out[r["row"]] = r["vec"]
        it.close()
        return out

    def insert(self, start: int, vectors, terms, bigrams, chunks: Sequence[Chunk], docs: dict[str, Document]) -> None:
        """Add chunks as rows ``start…``; they are searchable when this returns."""
        for s in range(0, len(chunks), BATCH):
            rows = _rows(start + s, vectors[s:s + BATCH], terms[s:s + BATCH], bigrams[s:s + BATCH],
                         chunks[s:s + BATCH], docs, self.tokens)
            _call(self.uri, "insert", self._client.insert, self.collection, rows)
        self._doc_of_row = np.concatenate([self._doc_of_row[:start], np.asarray([c.doc_id for c in chunks], object)])

    def delete_documents(self, doc_ids: Sequence[str]) -> int:
        """Delete every row of these documents; returns the number of rows deleted."""
        res = _call(self.uri, "delete", self._client.delete, self.collection,
                    filter=f"doc_id in {json.dumps(list(doc_ids))}")
        return int(res.get("delete_count", 0) if isinstance(res, dict) else 0)

    def save(self, directory: Path) -> list[str]:
        (Path(directory) / FILE).write_text(json.dumps({"uri": self.uri, "collection": self.collection,
                                                        "dim": self.dim, "rows": len(self), "tokens": self.tokens,
                                                        "analyzer": self.analyzer}))
        return [FILE]


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


def _create_collection(uri: str, client, pm, name: str, dim: int, index_params) -> str:
    """Create the collection; returns the analyzer used: ``whitespace`` (Milvus, Milvus Lite 2.x) or
    ``standard`` (milvus-lite 3.x, which has no ``whitespace``; our terms are ``\\w+`` words for both)."""
    for analyzer in ("whitespace", "standard"):
        try:
            client.create_collection(name, schema=_schema(pm, dim, analyzer), index_params=index_params,
                                     consistency_level="Strong")
            return analyzer
        except Exception as e:
            if analyzer == "whitespace" and "tokenizer" in str(e).lower():
                continue  # milvus-lite 3.x: "unknown tokenizer type: 'whitespace'"
            raise _failed(uri, "create a collection", e) from e
    return "standard"  # not reached: the loop returns or raises


def build_stores(store: dict, home: Path, vectors: np.ndarray, terms, bigrams, chunks: Sequence[Chunk],
                 docs: dict[str, Document]) -> tuple[MilvusVectorStore, MilvusKeywordStore, MilvusKeywordStore]:
    """Fill a new collection for a generation being built (not yet visible to readers)."""
    pm = _pymilvus()
    uri, prefix = store["uri"], store.get("prefix") or default_prefix(home)
    client = connect(uri)
    drop_unreferenced(uri, prefix, home)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    dim = int(vectors.shape[1])
    ip = client.prepare_index_params()
    ip.add_index("vec", index_type="FLAT", metric_type="IP")
    for f in ("sp_terms", "sp_bigrams"):
        bm25 = {"bm25_k1": K1, "bm25_b": B}  # flat for Milvus; nested too, or milvus-lite 3.x ignores them
        ip.add_index(f, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(bm25, params=bm25))
    analyzer = _create_collection(uri, client, pm, name, dim, ip)
    dense = MilvusVectorStore(uri, name, dim, [], analyzer=analyzer)
    dense.insert(0, vectors, terms, bigrams, chunks, docs)
    return (dense, MilvusKeywordStore(dense, "sp_terms", lambda: terms),
            MilvusKeywordStore(dense, "sp_bigrams", lambda: bigrams))


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
    dense = MilvusVectorStore(uri, info["collection"], int(info["dim"]), [c.doc_id for c in chunks],
                              tokens=info.get("tokens", "v0"), analyzer=info.get("analyzer", "whitespace"))
    return (dense, MilvusKeywordStore(dense, "sp_terms", lambda: terms),
            MilvusKeywordStore(dense, "sp_bigrams", lambda: [char_bigrams(c.text) for c in chunks]))
