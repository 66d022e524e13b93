"""Incremental index maintenance: add, update, sync and remove documents.

:func:`update_index` compares what is on disk with the current index:
new files are added, files whose content changed are re-indexed, unchanged
ones are kept, and with ``sync=True`` documents whose files are gone are
removed. A file moved or renamed (same content) keeps its document and gets
its new path. Only new chunk text is embedded and segmented: vectors and
BM25 terms of unchanged chunks come from the previous generation (or the
embedding cache), BM25 and FAISS are rebuilt from them. If nothing changed,
no generation is written. Changing the embedder or the chunker is refused
unless ``rebuild=True``. A file that cannot be read is reported and skipped;
the document it used to be stays indexed. The whole read-modify-write runs
under the index's single-writer lock. This module does not parse files or
rank anything.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from pathlib import Path

from .archive import expand_archives, open_folder_archives
from .config import ChunkConfig, data_dir
from .embed import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import IndexError_, IndexMismatch, IndexNotFound, RagError
from .index import Index, build_index, index_lock, open_index
from .ingest import load_paths
from .records import Document

__all__ = ["ensure_index", "list_documents", "remove_documents", "update_index"]


def _abs(p: str) -> str:
    return str(Path(p).resolve()) if p else ""


def _existing(home: Path, rebuild: bool) -> Index | None:
    try:
        return open_index(home)
    except IndexNotFound:
        return None
    except IndexError_:
        if rebuild:
            return None
        raise


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def update_index(paths: Iterable[str | Path], *, home: str | Path | None = None, embedder_name: str | None = None,
                 rebuild: bool = False, sync: bool = False, chunk_config: ChunkConfig | None = None,
                 progress: bool = True, embedder: Embedder | None = None, loader=None) -> dict:
    """Bring the index under ``home`` up to date with the files under ``paths``.

    ``embedder`` (optional) is used instead of loading ``embedder_name``; it
    must be the index's embedder unless ``rebuild``. ``loader(path) -> Document`` reads one file
    (default :func:`rag.ingest.load_file`; e.g. :meth:`rag.sandbox.Sandbox.load_file` for untrusted files).

    Returns a report: ``added``/``updated``/``removed`` document titles,
    ``unchanged`` ids, ``duplicates``, ``errors`` (files that could not be
    read, with the reason; ``skipped`` counts them), the final ``counts`` and
    the ``generation`` in use (unchanged if nothing changed).
    """
    home = data_dir(home)
    paths = [str(p) for p in paths]
    for p in paths:
        if not Path(p).exists():
            raise RagError(f"{p} does not exist. Give files or folders to index.")
    folders = [p for p in paths if Path(p).is_dir()]
    paths = expand_archives(paths, home)  # .tar.gz/.zip → the folder they were extracted to
    if embedder is not None and embedder_name is None:
        embedder_name = embedder.name
    with index_lock(home):
        old = _existing(home, rebuild)
        if old is not None and not rebuild:
            embedder_name, chunk_config = _built_settings(old, embedder_name, chunk_config)
        embedder = embedder or get_embedder(embedder_name or DEFAULT_EMBEDDER)
        chunk_config = chunk_config or ChunkConfig()

        inner, opened, refused = open_folder_archives(folders, home)  # archives inside the folders, one level
        report = load_paths(paths + inner, loader=loader, opened=opened)
        report.errors[:0] = refused
        for d in report.documents:
            d.path = _abs(d.path)
        fresh = old is None or rebuild
        kept: dict[str, Document] = {} if fresh else dict(old.documents)
        ch = _merge(kept, report, now=time.strftime("%Y-%m-%d %H:%M"))
        if sync and not fresh:
            _sync_removed(kept, [_abs(p) for p in paths], ch)
        if not kept and old is None:
            skipped = "; ".join(str(e) for e in report.errors[:5])
            raise RagError(f"No readable documents in {', '.join(paths)}; nothing was indexed."
                           + (f" Skipped: {skipped}" if skipped else ""))
        if ch.added or ch.updated or ch.removed or fresh:
            idx = build_index(list(kept.values()), embedder=embedder, home=home, chunk_config=chunk_config,
                              progress=progress, lock=False, previous=old, in_place=not rebuild)
        else:
            idx = old
    return {
        "home": str(home),
        "embedder": embedder.name,
        "added": ch.added, "updated": ch.updated, "removed": ch.removed, "unchanged": ch.unchanged,
        "duplicates": ch.duplicates,
        "errors": [str(e) for e in report.errors],
        "skipped": len(report.errors),
        "counts": dict(idx.manifest["counts"]),
        "generation": idx.path.name,
    }


def _built_settings(old: Index, embedder_name: str | None,
                    chunk_config: ChunkConfig | None) -> tuple[str, ChunkConfig]:
    """The embedder name and chunker settings ``old`` was built with; IndexMismatch when others are asked for."""
    built = old.manifest
    if embedder_name and embedder_name != built["embedder"]["name"]:
        raise IndexMismatch(f"The index was built with {built['embedder']['name']!r}; re-index everything "
                            f"with {embedder_name!r} using `rag index --rebuild --embedder {embedder_name} ...`.")
    if chunk_config and dataclasses.asdict(chunk_config) != built["chunker"]:
        raise IndexMismatch(f"The index was built with chunker settings {built['chunker']}; "
                            "to change them re-index everything with `rag index --rebuild ...`.")
    return built["embedder"]["name"], ChunkConfig(**built["chunker"])


@dataclasses.dataclass
class _Changes:
    """What an update did, in the report's words: titles added/updated/removed, unchanged ids, duplicate files."""

    added: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    removed: list[str] = dataclasses.field(default_factory=list)
    duplicates: list[str] = dataclasses.field(default_factory=list)
    seen_paths: set[str] = dataclasses.field(default_factory=set)


def _merge(kept: dict[str, Document], report, *, now: str) -> _Changes:
    """Merge the documents read (``report``) into ``kept`` (doc id → document, changed in place): new content is
    added, a changed file replaces its old document, a moved file keeps its document with the new path, a file
    that became a copy of another drops what it held."""
    by_path = {d.path: d.doc_id for d in kept.values()}
    first = {d.doc_id: d.path for d in report.documents}
    ch = _Changes(duplicates=[f"{p} (same as {first.get(i, i)})" for p, i in report.duplicates])
    for d in report.documents:
        ch.seen_paths.add(d.path)
        if d.doc_id in kept:
            _known_content(kept, d, by_path, ch, now)
            continue
        old_id = by_path.get(d.path)
        if old_id is not None and old_id in kept:
            d.meta.setdefault("added", kept[old_id].meta.get("added") or now)
            del kept[old_id]
            ch.updated.append(d.title)
        else:
            d.meta.setdefault("added", now)
            ch.added.append(d.title)
        kept[d.doc_id] = d
    return ch


def _known_content(kept: dict[str, Document], d: Document, by_path: dict[str, str], ch: _Changes, now: str) -> None:
    """``d``'s content is indexed already: unchanged, a copy of a file still there, or moved/renamed."""
    had = kept[d.doc_id]
    if had.path == d.path:
        ch.unchanged.append(d.doc_id)
    elif had.path and Path(had.path).exists():
        if not any(d.path in x and had.path in x for x in ch.duplicates):
            ch.duplicates.append(f"{d.path} (same as {had.path})")
        stale = by_path.get(d.path)  # what this file held before it became a copy
        if stale is not None and stale != d.doc_id and stale in kept:
            ch.removed.append(f"{kept[stale].title} (its file is now a copy of {had.path})")
            del kept[stale]
    else:  # moved or renamed: same content, new path (and title, if it came from the name)
        d.meta.setdefault("added", had.meta.get("added") or now)
        kept[d.doc_id] = d
        ch.updated.append(f"{d.title} (moved from {had.path})")


def _sync_removed(kept: dict[str, Document], roots: list[str], ch: _Changes) -> None:
    """``sync``: documents under ``roots`` whose files are gone (and were not read now) leave ``kept``."""
    for doc_id, d in list(kept.items()):
        if _inside(d.path, roots) and d.path not in ch.seen_paths and not Path(d.path).exists():
            ch.removed.append(d.title)
            del kept[doc_id]


def remove_documents(targets: list[str], *, home: str | Path | None = None,
                     embedder: Embedder | None = None) -> list[str]:
    """Remove documents by id or file path (a folder removes everything under it); returns the removed ids.

    Nothing is embedded or segmented: the remaining chunks keep their vectors and terms.
    """
    home = data_dir(home)
    with index_lock(home):
        old = open_index(home)
        wanted = set(targets) | {_abs(t) for t in targets}
        roots = [_abs(t) for t in targets if Path(t).is_dir()]
        removed = [i for i, d in old.documents.items()
                   if i in wanted or d.path in wanted or (roots and _inside(d.path, roots))]
        if not removed:
            raise RagError(f"No indexed document matches {', '.join(targets)}. List them with `rag docs`.")
        keep = [d for i, d in old.documents.items() if i not in removed]
        build_index(keep, embedder=embedder or get_embedder(old.embedder_name), home=home,
                    chunk_config=ChunkConfig(**old.manifest["chunker"]), progress=False, lock=False,
                    previous=old)
    return removed


def list_documents(home: str | Path | None = None) -> list[dict]:
    """One dict per indexed document: id, title, date, path, chunk count, characters."""
    idx = open_index(home, verify=False)
    counts: dict[str, int] = {}
    for c in idx.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    return [{"doc_id": d.doc_id, "title": d.title, "date": str(d.meta.get("date", "") or ""), "path": d.path,
             "chunks": counts.get(d.doc_id, 0), "chars": len(d.text), "added": d.meta.get("added", "")}
            for d in idx.documents.values()]


def ensure_index(home: str | Path | None, corpus: str | Path) -> bool:
    """Build the index from ``corpus`` if ``home`` has none yet; True if it built one."""
    try:
        open_index(home, verify=False)
        return False
    except IndexNotFound:
        update_index([corpus], home=home, progress=True)
        return True
