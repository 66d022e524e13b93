"""Milvus collection layout: the schema, how a chunk becomes a row, and the index parameters.

Fields of a collection (schema 2; schema 1 lacked ``doc_type``, ``title``, ``day`` and ``born``)::

    row (INT64, primary key)                           doc_id, date, type (VARCHAR)
    doc_type, title (VARCHAR), day (INT64 YYYYMMDD)    the fields metadata filters test (rag/milvus_filters.py)
    born (INT64: the generation that wrote the row)    terms, bigrams (VARCHAR, analyzed)
    vec (FLOAT_VECTOR, FLAT or IVF_FLAT, inner product)
    sp_terms, sp_bigrams (SPARSE_FLOAT_VECTOR, Milvus's own BM25 function)

Terms are written as one ``\\w+`` word each (:func:`_token`) so the ``whitespace`` analyzer (Milvus, Lite 2.x)
and ``standard`` (milvus-lite 3.x) both read exactly our tokens. This module sends nothing to Milvus
except in :func:`create_collection`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Sequence

import numpy as np

from .filters import doc_fields
from .records import Chunk, Document

K1, B = 1.2, 0.75
SCHEMA = 2  # 1: no doc_type/title/day/born fields


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
    for f, n in (("doc_id", 256), ("date", 64), ("type", 32), ("doc_type", 128), ("title", 4096)):
        s.add_field(f, DT.VARCHAR, max_length=n)
    s.add_field("day", DT.INT64)
    s.add_field("born", DT.INT64)
    for f in ("terms", "bigrams"):
        s.add_field(f, DT.VARCHAR, max_length=65535, enable_analyzer=True,
                    analyzer_params={"tokenizer": analyzer})
        s.add_field(f"sp_{f}", DT.SPARSE_FLOAT_VECTOR)
        s.add_function(pm.Function(name=f"bm25_{f}", function_type=pm.FunctionType.BM25,
                                   input_field_names=[f], output_field_names=[f"sp_{f}"]))
    s.add_field("vec", DT.FLOAT_VECTOR, dim=dim)
    return s


def _rows(pks: Sequence[int], vectors: np.ndarray, terms, bigrams, chunks: Sequence[Chunk],
          docs: dict[str, Document], scheme: str = TOKENS, born: int = 0) -> list[dict]:
    out = []
    for i, c in enumerate(chunks):
        d = docs.get(c.doc_id)
        meta = d.meta if d else {}
        typ = str(meta.get("type") or (Path(d.path).suffix.lstrip(".").lower() if d and d.path else ""))
        fields = doc_fields(d) if d else {"doc_type": "", "title": "", "day": 0}
        out.append({"row": int(pks[i]), "doc_id": c.doc_id, "date": str(meta.get("date", "") or "")[:64],
                    "type": typ[:32], **fields, "born": born, "terms": _tokens(terms[i], scheme)[:60000],
                    "bigrams": _tokens(bigrams[i], scheme)[:60000],
                    "vec": np.asarray(vectors[i], np.float32).tolist()})
    return out


def create_collection(uri: str, client, pm, name: str, dim: int, index_params, failed) -> str:
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
            raise failed(uri, "create a collection", e) from e
    return "standard"  # not reached: the loop returns or raises


def index_params(client, store: dict):
    """FLAT (exact) by default; ``store["index"] = {"type": "IVF_FLAT", "nlist": N}`` for an IVF index."""
    ip = client.prepare_index_params()
    vi = store.get("index") or {}
    if vi.get("type", "FLAT") == "FLAT":
        ip.add_index("vec", index_type="FLAT", metric_type="IP")
    else:
        ip.add_index("vec", index_type=vi["type"], metric_type="IP", params={"nlist": int(vi.get("nlist", 1024))})
    for f in ("sp_terms", "sp_bigrams"):
        bm25 = {"bm25_k1": K1, "bm25_b": B}  # flat for Milvus; nested too, or milvus-lite 3.x ignores them
        ip.add_index(f, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=dict(bm25, params=bm25))
    return ip


def search_params(store: dict) -> dict:
    vi = store.get("index") or {}
    return {"params": {"nprobe": int(vi.get("nprobe", 32))}} if vi.get("type", "FLAT") != "FLAT" else {}
