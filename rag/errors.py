"""Errors raised by the library.

The library raises these and nothing else on bad input; only the CLI, the UI
and the HTTP API turn them into exit codes, ``gr.Error`` or 4xx responses.
Every message says what went wrong *and* what to do about it.

    RagError
    ├── IngestError            a file could not be read into a Document
    │   ├── UnsupportedFormat  extension not in the allowlist
    │   ├── EmptyDocument      no text after extraction (empty file, scanned PDF)
    │   ├── DecodeError        binary data, or an encoding we cannot detect
    │   └── ArchiveError       an archive that is damaged, a bomb or points outside itself (rag.archive)
    ├── QueryError             a question we refuse to search for
    │   ├── QuestionError      the question itself: not text, empty or too long
    │   ├── LawNotFound        no indexed law is called by the name asked for (rag.law_route)
    │   └── FilterError        a filter (type, date, law) that is malformed or matches nothing (rag.filters)
    ├── AuthError              a staff login or session that is refused (rag.auth)
    ├── EmbedderError          a model cannot be found or loaded
    └── IndexError_            base for index problems (avoids shadowing the builtin)
        ├── IndexNotFound      no index built at that path yet
        ├── IndexMismatch      built with another embedder / format / chunker
        ├── IndexCorrupt       missing or damaged files (checksum mismatch)
        ├── IndexLocked        another process is writing this index
        └── StoreUnavailable   the index's Milvus cannot be reached or fails (rag.milvus_store)
"""

from __future__ import annotations

__all__ = [
    "ArchiveError",
    "DecodeError",
    "EmbedderError",
    "EmptyDocument",
    "IndexCorrupt",
    "IndexError_",
    "IndexLocked",
    "IndexMismatch",
    "IndexNotFound",
    "IngestError",
    "LawNotFound",
    "QueryError",
    "QuestionError",
    "RagError",
    "StoreUnavailable",
    "UnsupportedFormat",
]


class RagError(Exception):
    """Base class of every error this library raises on purpose."""


class IngestError(RagError):
    """A file could not be turned into a Document."""

    def __init__(self, message: str, *, path: str | None = None):
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


class UnsupportedFormat(IngestError):
    pass


class EmptyDocument(IngestError):
    pass


class DecodeError(IngestError):
    pass


class ArchiveError(IngestError):
    """An archive (.tar/.tar.gz/.tgz/.zip) refused or unreadable. ``reason`` says why, so a UI can word it:
    ``"damaged"``, ``"too_big"`` (unpacks past its budget, or a zip bomb's ratio), ``"outside"`` (a member's path
    leaves the archive) or ``"too_many"`` (more entries than accepted)."""

    def __init__(self, message: str, *, path: str | None = None, reason: str = "damaged"):
        super().__init__(message, path=path)
        self.reason = reason


class QueryError(RagError):
    pass


class LawNotFound(QueryError):
    """No indexed law is called by the name asked for (:func:`rag.law_route.law_documents`)."""


class QuestionError(QueryError):
    """The question itself cannot be searched: not text, empty, or over the length limit."""


class EmbedderError(RagError):
    pass


class IndexError_(RagError):
    pass


class IndexNotFound(IndexError_):
    pass


class IndexMismatch(IndexError_):
    pass


class IndexCorrupt(IndexError_):
    pass


class IndexLocked(IndexError_):
    pass


class StoreUnavailable(IndexError_):
    pass
