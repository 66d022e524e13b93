"""Incremental update of a Milvus collection in place: a new generation without a new collection.

``rag index --sync`` / ``rag rm`` on a Milvus store insert the rows of new and changed documents and
hide those of removed and changed ones, instead of copying every row into a new collection. Readers
never see a half-applied change: each generation's ``milvus.json`` records ``gen`` and ``hidden``, and
every search carries :func:`rag.milvus_filters.visible_expr` (``born <= gen`` minus hidden documents).
The writer, holding the index lock:

1. claims a generation number above any earlier attempt (``milvus-sync.json`` in the data dir, so a
   killed writer's number is never reused) and deletes rows a killed writer left (``born > gen`` of the
   current generation: invisible to every reader);
2. deletes the rows hidden before the previous generation (no kept generation sees them any more);
3. keeps the rows of documents whose id and filterable fields are unchanged, hides the others'
   (``[new gen, doc_ids]``), and inserts rows for new chunks with ``born = new gen`` and primary keys
   ``gen << 32 | i``;
4. returns the store; :mod:`rag.index` writes the generation (with ``rows.npy``: primary key of each
   chunk) and publishes it by the ``CURRENT`` rename. A SIGKILL anywhere before that leaves the current
   generation exactly as it was.

Milvus BM25 statistics (document count, average length) include hidden rows until they are deleted, so
BM25 scores drift slightly from a full build until then. This module does not embed or tokenise.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .filters import doc_fields
from .milvus_store import SCHEMA, TOKENS, MilvusVectorStore, _call
from .records import Chunk, Document

__all__ = ["ATTEMPTS_FILE", "can_update", "update_in_place"]

ATTEMPTS_FILE = "milvus-sync.json"
GEN_SHIFT = 32


def can_update(previous, store: dict, dim: int) -> bool:
    """Whether ``previous`` (a loaded index) lives in a collection this build may change in place."""
    dense = getattr(previous, "dense", None)
    return (isinstance(dense, MilvusVectorStore) and dense.schema >= SCHEMA and dense.tokens == TOKENS
            and dense.dim == dim and dense.uri == store.get("uri")
            and (previous.manifest.get("store") or {}).get("index") == store.get("index"))


def _claim_generation(home: Path, current: int) -> int:
    """A generation number above ``current`` and above every earlier (perhaps killed) attempt."""
    f = Path(home) / ATTEMPTS_FILE
    try:
        tried = int(json.loads(f.read_text())["gen"])
    except (OSError, ValueError, KeyError, TypeError):
        tried = 0
    gen = max(current, tried) + 1
    tmp = f.with_name(f.name + ".tmp")
    with open(tmp, "w") as fh:
        fh.write(json.dumps({"gen": gen}))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, f)
    return gen


def _unchanged(prev_chunks: Sequence[Chunk], prev_docs: dict[str, Document], prev_pks: np.ndarray,
               chunks: Sequence[Chunk], docs: dict[str, Document]) -> dict[str, int]:
    """chunk_id → primary key of previous rows that stay (document id and filterable fields unchanged)."""
    def ids(cs) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for c in cs:
            out.setdefault(c.doc_id, set()).add(c.chunk_id)
        return out

    before, now = ids(prev_chunks), ids(chunks)
    same = {i for i, d in docs.items() if i in prev_docs and doc_fields(d) == doc_fields(prev_docs[i])
            and before.get(i) == now.get(i)}
    return {c.chunk_id: int(k) for c, k in zip(prev_chunks, prev_pks) if c.doc_id in same}


def update_in_place(prev: MilvusVectorStore, home: Path, vectors: np.ndarray, terms, bigrams,
                    chunks: Sequence[Chunk], docs: dict[str, Document], prev_chunks: Sequence[Chunk],
                    prev_docs: dict[str, Document]) -> MilvusVectorStore:
    """The store of the next generation of ``prev``'s collection (steps 1–3 of the module docstring)."""
    uri, coll, client = prev.uri, prev.collection, prev._client
    gen = _claim_generation(home, prev.gen)
    _call(uri, "delete a killed update's rows", client.delete, coll, filter=f"born > {int(prev.gen)}")
    hidden = []
    for cut, ids in prev.hidden:
        if cut <= prev.prev_gen:  # hidden in the previous generation too: nobody sees these rows
            prev.delete_documents(ids, before=cut)
        else:
            hidden.append([cut, ids])
    prev_pks = prev.pks if prev.pks is not None else np.arange(len(prev_chunks), dtype=np.int64)
    keep = _unchanged(prev_chunks, prev_docs, prev_pks, chunks, docs)
    gone = sorted({c.doc_id for c in prev_chunks if c.chunk_id not in keep})
    if gone:
        hidden.append([gen, gone])
    fresh = [i for i, c in enumerate(chunks) if c.chunk_id not in keep]
    pks = np.array([keep.get(c.chunk_id, -1) for c in chunks], np.int64)
    pks[fresh] = (gen << GEN_SHIFT) + np.arange(len(fresh), dtype=np.int64)
    store = MilvusVectorStore(uri, coll, prev.dim, [c.doc_id for c in chunks], tokens=prev.tokens,
                              analyzer=prev.analyzer, schema=prev.schema, gen=gen, hidden=hidden, pks=pks,
                              prev_gen=prev.gen)
    if fresh:
        pick = np.asarray(fresh)
        store.insert_rows(pks[pick].tolist(), np.asarray(vectors)[pick], [terms[i] for i in fresh],
                          [bigrams[i] for i in fresh], [chunks[i] for i in fresh], docs, gen)
    with contextlib.suppress(Exception):  # make the new rows searchable now; Lite loads on demand anyway
        client.load_collection(coll)
    return store
