"""Generations on disk: the writer lock, atomic publishing, clean-up, finding the live one.

A data directory holds generations (``gen-*`` folders, each with a ``manifest.json``) and a
``CURRENT`` file naming the live one. :func:`publish` lets a caller fill a fresh ``.tmp-*``
folder, records the sha256 of every file it lists in the manifest, fsyncs the tree, renames it
to ``gen-*`` and only then replaces ``CURRENT`` (write, fsync, rename), so a crash at any moment
leaves the previous generation loadable. :func:`collect_garbage` removes what dead writers left.
:func:`index_lock` is the single-writer flock (freed if its holder dies).

This module knows nothing of chunks, vectors or BM25: :mod:`rag.index` decides what a
generation contains and how to load it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .config import data_dir
from .errors import IndexCorrupt, IndexLocked, IndexNotFound

__all__ = ["collect_garbage", "current_generation", "index_lock", "manifest_at", "publish", "read_jsonl",
           "read_manifest", "sha256_file", "write_jsonl"]


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync_tree(root: Path) -> None:
    for p in sorted(root.rglob("*"), reverse=True):
        with contextlib.suppress(OSError):
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fd = os.open(root, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    with open(path, "wb") as f:
        for r in rows:
            try:
                line = json.dumps(r, ensure_ascii=False).encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates (undecodable file names): escape them
                line = json.dumps(r).encode("ascii")
            f.write(line + b"\n")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@contextlib.contextmanager
def index_lock(home: Path, *, wait: bool = False) -> Iterator[None]:
    """Hold the single-writer lock of ``home`` (an flock: freed if the holder dies)."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError as e:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            raise IndexLocked(f"Another process (pid {holder or '?'}) is writing the index at {home}. "
                              "Wait for it to finish, then run the command again.") from e
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def publish(home: Path, fill: Callable[[Path], tuple[dict, list[str]]]) -> Path:
    """Write a new generation under ``home`` and make it current; return its path.

    ``fill(folder)`` writes the generation's files into ``folder`` and returns the manifest and the
    names of the files to checksum. Call only while holding :func:`index_lock`. On any failure the
    half-written folder is removed and ``CURRENT`` still names the previous generation.
    """
    tmp = home / f".tmp-{uuid.uuid4().hex[:8]}"
    cur = home / "CURRENT"
    previous = cur.read_text().strip() if cur.exists() else ""
    try:
        tmp.mkdir(parents=True)
        manifest, files = fill(tmp)
        manifest = dict(manifest, files={f: sha256_file(tmp / f) for f in sorted(files)})
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_tree(tmp)
        name = f"gen-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:6]}"
        final = home / name
        os.rename(tmp, final)
        _point_current_at(home, name, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    collect_garbage(home, keep=(name, previous))
    return final


def _point_current_at(home: Path, name: str, final: Path) -> None:
    """Replace ``CURRENT`` by a file naming ``name`` (write, fsync, rename); unpublish ``final`` on failure."""
    cur_tmp = home / f".CURRENT.{uuid.uuid4().hex[:8]}"
    try:
        with open(cur_tmp, "w") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(cur_tmp, home / "CURRENT")
    except BaseException:
        shutil.rmtree(final, ignore_errors=True)  # never published
        with contextlib.suppress(OSError):
            cur_tmp.unlink()
        raise
    with contextlib.suppress(OSError):  # published already; only durability of the rename is at stake
        _fsync_dir(home)


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def collect_garbage(home: Path, keep: tuple[str, ...] | None = None) -> None:
    """Remove what dead or finished writers left; call only while holding the lock.

    Always removes ``.tmp-*`` dirs and ``.CURRENT.*`` files. With ``keep``
    (after publishing), generations other than the current one and those in
    ``keep`` are removed too: the writer keeps the one it replaced, for readers
    still opening it, and drops older ones and any that a writer killed
    between renaming and publishing left unpublished.
    """
    for p in home.glob(".tmp-*"):
        shutil.rmtree(p, ignore_errors=True)
    for p in home.glob(".CURRENT.*"):
        with contextlib.suppress(OSError):
            p.unlink()
    if keep is None:
        return
    try:
        current = (home / "CURRENT").read_text().strip()
    except OSError:
        return  # no readable pointer: touch no generation
    for p in home.glob("gen-*"):
        if p.is_dir() and p.name != current and p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)


def current_generation(home: str | Path | None = None) -> Path:
    home = data_dir(home)
    cur = home / "CURRENT"
    if not cur.exists():
        raise IndexNotFound(f"No index at {home}. Build one with `rag index corpus/` "
                            "(or set RAG_HOME to the folder that holds it).")
    name = cur.read_text(encoding="utf-8", errors="replace").strip("\x00 \t\r\n")  # zero-filled after a crash
    if not name:
        raise IndexCorrupt(_empty_current(home))
    path = home / name
    if not (path / "manifest.json").exists():
        raise IndexCorrupt(f"The index at {home} points at {path.name}, which is missing or incomplete. "
                           "Rebuild it with `rag index --rebuild corpus/`.")
    return path


def _empty_current(home: Path) -> str:
    """What to say when ``CURRENT`` (the file naming the live generation) is empty: written by hand, or truncated
    by a full disk or a copy that stopped half-way — publishing itself replaces it whole."""
    gens = sorted(p.name for p in home.glob("gen-*") if (p / "manifest.json").exists())
    fix = "Rebuild it with `rag index --rebuild corpus/`"
    if gens:
        fix += f", or put the name of a complete generation ({gens[-1]} is the newest) in {home / 'CURRENT'}"
    return (f"The index at {home} is half-written: its CURRENT file, which names the live index generation, "
            f"is empty. {fix}.")


def read_manifest(home: str | Path | None = None) -> dict:
    return manifest_at(current_generation(home))


def manifest_at(path: Path) -> dict:
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise IndexCorrupt(f"{path / 'manifest.json'} is unreadable ({e}). "
                           "Rebuild the index with `rag index --rebuild corpus/`.") from e
