"""Incremental index maintenance: add, update, sync and remove documents.

:func:`update_index` compares what is on disk with the current index:
new files are added, files whose content changed are re-indexed, unchanged
ones are kept (their embeddings come from the cache, so nothing is
re-embedded), and with ``sync=True`` documents whose files are gone are
removed. Changing the embedder or the chunker is refused unless
``rebuild=True``. The whole read-modify-write runs under the index's
single-writer lock. This module does not parse files or rank anything.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Iterable

from .config import ChunkConfig, data_dir
from .embed import DEFAULT_EMBEDDER, get_embedder
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


def update_index(paths: Iterable[str | Path], *, home: str | Path | None = None, embedder_name: str | None = None,
                 rebuild: bool = False, sync: bool = False, chunk_config: ChunkConfig | None = None,
                 progress: bool = True) -> dict:
    """Bring the index under ``home`` up to date with the files under ``paths``.

    Returns a report: ``added``/``updated``/``removed``/``unchanged`` document
    titles or ids, ``duplicates``, ``errors`` (files that could not be read,
    with the reason) and the final ``counts``.
    """
    home = data_dir(home)
    paths = [str(p) for p in paths]
    for p in paths:
        if not Path(p).exists():
            raise RagError(f"{p} does not exist.")
    with index_lock(home):
        old = _existing(home, rebuild)
        if old is not None and not rebuild:
            built = old.manifest
            if embedder_name and embedder_name != built["embedder"]["name"]:
                raise IndexMismatch(f"The index was built with {built['embedder']['name']!r}; re-index everything "
                                    f"with {embedder_name!r} using `rag index --rebuild --embedder {embedder_name} ...`.")
            if chunk_config and dataclasses.asdict(chunk_config) != built["chunker"]:
                raise IndexMismatch(f"The index was built with chunker settings {built['chunker']}; "
                                    "to change them re-index everything with `rag index --rebuild ...`.")
            embedder_name = built["embedder"]["name"]
            chunk_config = ChunkConfig(**built["chunker"])
        embedder = get_embedder(embedder_name or DEFAULT_EMBEDDER)
        chunk_config = chunk_config or ChunkConfig()

        report = load_paths(paths)
        for d in report.documents:
            d.path = _abs(d.path)
        kept: dict[str, Document] = {} if (old is None or rebuild) else dict(old.documents)
        by_path = {d.path: d.doc_id for d in kept.values()}
        added, updated, unchanged, removed = [], [], [], []
        seen_paths = set()
        for d in report.documents:
            seen_paths.add(d.path)
            if d.doc_id in kept:
                unchanged.append(d.doc_id)
                continue
            old_id = by_path.get(d.path)
            if old_id is not None and old_id in kept:
                del kept[old_id]
                updated.append(d.title)
            else:
                added.append(d.title)
            kept[d.doc_id] = d
        if sync and old is not None and not rebuild:
            roots = [_abs(p) for p in paths]
            for doc_id, d in list(kept.items()):
                inside = any(d.path == r or d.path.startswith(r.rstrip("/") + "/") for r in roots)
                if inside and d.path not in seen_paths and not Path(d.path).exists():
                    removed.append(d.title)
                    del kept[doc_id]
        changed = bool(added or updated or removed) or old is None or rebuild
        if changed:
            idx = build_index(list(kept.values()), embedder=embedder, home=home, chunk_config=chunk_config,
                              progress=progress, lock=False)
        else:
            idx = old
    return {
        "home": str(home),
        "embedder": embedder.name,
        "added": added, "updated": updated, "removed": removed, "unchanged": unchanged,
        "duplicates": [f"{p} (same as {i})" for p, i in report.duplicates],
        "errors": [str(e) for e in report.errors],
        "counts": dict(idx.manifest["counts"]),
        "generation": idx.path.name,
    }


def remove_documents(targets: list[str], *, home: str | Path | None = None) -> list[str]:
    """Remove documents by id or file path; returns the removed ids."""
    home = data_dir(home)
    with index_lock(home):
        old = open_index(home)
        wanted = set(targets) | {_abs(t) for t in targets}
        removed = [i for i, d in old.documents.items() if i in wanted or d.path in wanted]
        if not removed:
            raise RagError(f"No indexed document matches {', '.join(targets)}. List them with `rag docs`.")
        keep = [d for i, d in old.documents.items() if i not in removed]
        build_index(keep, embedder=get_embedder(old.embedder_name), home=home,
                    chunk_config=ChunkConfig(**old.manifest["chunker"]), progress=False, lock=False)
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
