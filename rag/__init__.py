"""rag — Chinese retrieval Q&A with answers that cite the exact sentences they rest on.

Pipeline stages, one module each::

    ingest → chunk → embed → index → retrieve → answer → evaluate

Quick start::

    from rag import update_index, Searcher
    update_index(["corpus/"], home="index")
    print(Searcher("index").ask("温州人工智能局做什么").answer)
"""

from __future__ import annotations

from .answer import NOT_FOUND, RefusalModel, build_answer, citation_from_hit
from .chunk import chunk_document, split_sentences
from .config import ChunkConfig, data_dir
from .embed import Embedder, get_embedder
from .errors import (DecodeError, EmbedderError, EmptyDocument, IndexCorrupt, IndexError_, IndexLocked,
                     IndexMismatch, IndexNotFound, IngestError, QueryError, RagError, UnsupportedFormat)
from .index import Index, build_index, open_index
from .ingest import load_file, load_paths, parse_bytes
from .qa import Searcher, ask
from .records import Answer, Chunk, Citation, Document, Hit
from .retrieve import RetrieveConfig, retrieve
from .update import remove_documents, update_index

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Chunk",
    "ChunkConfig",
    "Citation",
    "DecodeError",
    "Document",
    "Embedder",
    "EmbedderError",
    "EmptyDocument",
    "Hit",
    "Index",
    "IndexCorrupt",
    "IndexError_",
    "IndexLocked",
    "IndexMismatch",
    "IndexNotFound",
    "IngestError",
    "NOT_FOUND",
    "QueryError",
    "RagError",
    "RefusalModel",
    "RetrieveConfig",
    "Searcher",
    "UnsupportedFormat",
    "ask",
    "build_answer",
    "build_index",
    "chunk_document",
    "citation_from_hit",
    "data_dir",
    "get_embedder",
    "load_file",
    "load_paths",
    "open_index",
    "parse_bytes",
    "remove_documents",
    "retrieve",
    "split_sentences",
    "update_index",
]
