"""Archives as sources: ``rag index lawrefbook.tar.gz`` indexes the files inside.

:func:`expand_archives` replaces every .tar/.tar.gz/.tgz/.zip path by a folder
under ``<home>/sources/`` holding its extracted files, keyed by the archive's
name, size and modification time: indexing the same archive again finds the
same folder (so nothing is re-extracted, and unchanged documents keep their
paths); a changed archive gets a new folder. Members with absolute paths,
``..`` or links are refused (no writing outside the folder). This module
does not parse the files; :mod:`rag.ingest` does.
"""

from __future__ import annotations

import hashlib
import shutil
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from .errors import IngestError

__all__ = ["ARCHIVE_SUFFIXES", "expand_archives", "is_archive", "open_folder_archives", "tar_member_name", "zip_member_name"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
MAX_ARCHIVE_BYTES = 2 * 2**30
"""Most bytes an archive may unpack to (its members' declared sizes, checked before writing any):
the whole statute archive is about 60 MB; a small archive that claims more is refused as a bomb."""


def _check_unpacked(total: int, src: Path, limit: int | None = None) -> None:
    limit = MAX_ARCHIVE_BYTES if limit is None else limit
    if total > limit:
        left = "" if limit == MAX_ARCHIVE_BYTES else f" (what is left of {MAX_ARCHIVE_BYTES / 2**20:,.0f} MB " \
            "for all the archives of one folder)"
        raise IngestError(f"unpacks to {total / 2**20:,.0f} MB, over the {limit / 2**20:,.0f} MB limit{left} "
                          "(a zip bomb?); unpack it yourself and index the folder.", path=str(src))


def is_archive(path: str | Path) -> bool:
    """True for .tar, .tar.gz, .tgz and .zip files (by name)."""
    return str(path).lower().endswith(ARCHIVE_SUFFIXES) and Path(path).is_file()


def zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its creator wrote it.

    A name without the zip's UTF-8 flag is bytes in the creator's code page, which
    :mod:`zipfile` reads as cp437: Info-ZIP on Linux and macOS store UTF-8 that way, and
    Windows in Chinese stores GBK. Such a name is read as UTF-8, else GB18030, else left as is.

    >>> i = zipfile.ZipInfo("政策.txt".encode("gbk").decode("cp437"))
    >>> zip_member_name(i)
    '政策.txt'
    """
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return info.filename


def tar_member_name(name: str) -> str:
    """A tar member's name as its creator wrote it.

    PAX headers hold UTF-8, but GNU and ustar headers hold bytes in the creator's encoding (GBK when made by
    Chinese Windows tools), which :mod:`tarfile` (opened with ``errors="surrogateescape"``) keeps as lone
    surrogates that cannot be written to JSON or shown. Such a name is read as UTF-8, else GB18030, else left as is.

    >>> tar_member_name("政策.txt".encode("gbk").decode("utf-8", "surrogateescape"))
    '政策.txt'
    >>> tar_member_name("政策.txt")
    '政策.txt'
    """
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            pass
    return name


def _safe(name: str) -> bool:
    p = PurePosixPath(name)
    return not p.is_absolute() and ".." not in p.parts


def _extract(src: Path, dest: Path, limit: int | None = None) -> int:
    """Extract ``src`` into ``dest`` (built beside, then renamed) after the checks; returns the bytes declared."""
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if src.name.lower().endswith(".zip"):
            with zipfile.ZipFile(src) as z:
                infos = z.infolist()
                for info in infos:  # names without the UTF-8 flag: UTF-8 or GBK, not cp437
                    info.filename = zip_member_name(info)
                bad = [i.filename for i in infos if not _safe(i.filename)]
                if bad:
                    raise IngestError(f"archive member {bad[0]!r} points outside the archive; refusing to extract.",
                                      path=str(src))
                total = sum(i.file_size for i in infos)
                _check_unpacked(total, src, limit)
                for info in infos:
                    z.extract(info, tmp)
        else:
            with tarfile.open(src, encoding="utf-8", errors="surrogateescape") as t:
                members = [m for m in t.getmembers() if m.isdir() or m.isfile()]
                for m in members:  # GNU/ustar names in GBK: decoded, not written as undecodable bytes
                    m.name = tar_member_name(m.name)
                bad = [m.name for m in members if not _safe(m.name)]
                if bad:
                    raise IngestError(f"archive member {bad[0]!r} points outside the archive; refusing to extract.",
                                      path=str(src))
                total = sum(m.size for m in members)
                _check_unpacked(total, src, limit)
                t.extractall(tmp, members=members)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError,
            RuntimeError, NotImplementedError, zlib.error) as e:  # an encrypted, deflate64 or damaged zip member
        shutil.rmtree(tmp, ignore_errors=True)
        raise IngestError(f"is not a readable archive ({e}).", path=str(src)) from e
    except IngestError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tmp.rename(dest)
    return total


def _destination(src: Path, home: Path) -> Path:
    """The folder ``src`` is extracted to: keyed by its name, size and modification time."""
    st = src.stat()
    key = hashlib.sha256(f"{src.name}\0{st.st_size}\0{int(st.st_mtime)}".encode()).hexdigest()[:10]
    stem = src.name
    for suf in ARCHIVE_SUFFIXES:
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
            break
    return home / "sources" / f"{stem}-{key}"


def expand_archives(paths: list[str], home: Path) -> list[str]:
    """``paths`` with each archive replaced by the folder it was extracted to (under ``home/sources``)."""
    out = []
    for p in paths:
        if not is_archive(p):
            out.append(p)
            continue
        src = Path(p).resolve()
        dest = _destination(src, home)
        if not dest.is_dir():
            _extract(src, dest)
        out.append(str(dest))
    return out


def _folder_archives(folder: Path) -> list[Path]:
    """Archives under ``folder`` as a folder walk sees them: not hidden, no link leading outside the folder."""
    root = folder.resolve()
    return [f for f in sorted(folder.rglob("*"))
            if f.name.lower().endswith(ARCHIVE_SUFFIXES) and f.is_file()
            and not any(part.startswith(".") for part in f.relative_to(folder).parts)
            and f.resolve().is_relative_to(root)]


def open_folder_archives(folders: list[str], home: Path) -> tuple[list[str], set[str], list[IngestError]]:
    """Extract the archives found inside ``folders`` (not inside archives) as :func:`expand_archives` does.

    Returns the folders they were extracted to, every archive handled (resolved path: opened, or refused), and one
    error per refused archive (a bomb, a damaged file, more than :data:`MAX_ARCHIVE_BYTES` for all of them together).
    """
    extracted: list[str] = []
    handled: set[str] = set()
    errors: list[IngestError] = []
    left = MAX_ARCHIVE_BYTES
    for folder in map(Path, folders):
        if not folder.is_dir():
            continue
        for f in _folder_archives(folder):
            src = f.resolve()
            handled.add(str(src))
            dest = _destination(src, home)
            try:
                if not dest.is_dir():
                    left -= _extract(src, dest, left)
            except IngestError as e:
                errors.append(e)
                continue
            extracted.append(str(dest))
    return extracted, handled, errors
