"""Archives as sources: ``rag index lawrefbook.tar.gz`` indexes the files inside.

:func:`expand_archives` replaces every .tar/.tar.gz/.tgz/.zip path by a folder
under ``<home>/sources/`` holding its extracted files, keyed by the archive's
name, size and modification time: indexing the same archive again finds the
same folder (so nothing is re-extracted, and unchanged documents keep their
paths); a changed archive gets a new folder. Members with absolute paths,
``..`` or links are refused (no writing outside the folder).
:func:`open_archive` reads an archive's files in memory after the same checks
(the UI's upload does: :mod:`ui.library`). This module does not parse the
files; :mod:`rag.ingest` does.
"""

from __future__ import annotations

import hashlib
import lzma
import shutil
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import ArchiveError, IngestError

__all__ = ["ARCHIVE_SUFFIXES", "ArchiveMember", "ArchiveReader", "expand_archives", "is_archive", "open_archive",
           "open_folder_archives", "tar_member_name", "zip_member_name"]

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip")
MAX_ARCHIVE_BYTES = 2 * 2**30
"""Most bytes an archive may unpack to (its members' declared sizes, checked before writing any):
the whole statute archive is about 60 MB; a small archive that claims more is refused as a bomb."""
#: at most this many entries (headers) in one archive when the caller gives no smaller cap: a tar of a million
#: empty links or a zip of a million names is refused before its listing fills memory
MAX_ARCHIVE_ENTRIES = 100_000


def _check_unpacked(total: int, src: Path, limit: int | None = None) -> None:
    limit = MAX_ARCHIVE_BYTES if limit is None else limit
    if total > limit:
        left = "" if limit == MAX_ARCHIVE_BYTES else f" (what is left of {MAX_ARCHIVE_BYTES / 2**20:,.0f} MB " \
            "for all the archives of one folder)"
        raise ArchiveError(f"unpacks to {total / 2**20:,.0f} MB, over the {limit / 2**20:,.0f} MB limit{left} "
                          "(a zip bomb?); unpack it yourself and index the folder.", path=str(src), reason="too_big")


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


@dataclass(frozen=True, eq=False)  # compared by identity: an archive may hold one name twice
class ArchiveMember:
    """A regular file inside an archive, as :func:`open_archive` lists it: its name as its creator wrote it
    (UTF-8 or GBK, ``/``-separated, never absolute or with ``..``), its declared size, and whether it is encrypted."""

    name: str
    size: int
    encrypted: bool = False


def _refuse(src: Path, reason: str, message: str) -> ArchiveError:
    return ArchiveError(message, path=str(src), reason=reason)


def _zip_entries(z: zipfile.ZipFile, src: Path, limit: int | None, max_entries: int | None,
                 max_ratio: int | None) -> list[zipfile.ZipInfo]:
    """The zip's entries with their names decoded, after the path, count, size and ratio checks."""
    infos = z.infolist()
    cap = MAX_ARCHIVE_ENTRIES if max_entries is None else max_entries
    if len(infos) > cap:
        raise _refuse(src, "too_many", f"holds {len(infos)} files; at most {cap} are accepted.")
    for info in infos:  # names without the UTF-8 flag: UTF-8 or GBK, not cp437
        info.filename = zip_member_name(info)
    bad = [i.filename for i in infos if not _safe(i.filename)]
    if bad:
        raise _refuse(src, "outside", f"archive member {bad[0]!r} points outside the archive; refusing to extract.")
    _check_unpacked(sum(i.file_size for i in infos), src, limit)
    for i in infos if max_ratio else ():
        if i.file_size > 2**20 and i.file_size > max_ratio * max(i.compress_size, 1):
            ratio = i.file_size // max(i.compress_size, 1)
            raise _refuse(src, "too_big", f"contains {i.filename!r}, compressed {ratio}:1 (a zip bomb?); "
                          f"at most {max_ratio}:1 is accepted.")
    return infos


def _tar_entries(t: tarfile.TarFile, src: Path, limit: int | None, max_entries: int | None) -> list[tarfile.TarInfo]:
    """The tar's directories and regular files (links and devices left out) with their names decoded, after the
    path, count and size checks; the size budget is checked header by header, so a bomb's data is never read."""
    members: list[tarfile.TarInfo] = []
    total, seen = 0, 0
    cap = MAX_ARCHIVE_ENTRIES if max_entries is None else max_entries
    for m in t:  # every header counts (links, devices, unknown types too), before its data is skipped or read
        seen += 1
        if seen > cap:
            raise _refuse(src, "too_many", f"holds more than {cap} entries; at most {cap} are accepted.")
        total += m.size  # tarfile inflates an unknown type's data to skip it: it counts against the budget too
        _check_unpacked(total, src, limit)
        if not (m.isdir() or m.isfile()):
            continue
        m.name = tar_member_name(m.name)  # GNU/ustar names in GBK: decoded, not written as undecodable bytes
        if not _safe(m.name):
            raise _refuse(src, "outside",
                          f"archive member {m.name!r} points outside the archive; refusing to extract.")
        members.append(m)
    return members


_DAMAGED = (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError, OverflowError, lzma.LZMAError,
            RuntimeError, NotImplementedError, zlib.error)  # an encrypted, deflate64 or damaged zip member; a
#                                                           damaged .tar.xz; a tar header whose mtime overflows


def _damaged(src: Path, e: Exception) -> ArchiveError:
    return _refuse(src, "damaged", f"is not a readable archive ({e}).")


class ArchiveReader:
    """An open archive whose entries passed the checks: :attr:`members` (regular files, in archive order) and
    :meth:`read`. Made by :func:`open_archive`."""

    def __init__(self, src: Path, handle, entries: list):
        self.src, self._handle, self._entries = src, handle, {}
        self.members: list[ArchiveMember] = []
        for e in entries:
            if isinstance(e, zipfile.ZipInfo) and not e.is_dir():
                self.members.append(ArchiveMember(e.filename, e.file_size, bool(e.flag_bits & 0x1)))
            elif isinstance(e, tarfile.TarInfo) and e.isfile():
                self.members.append(ArchiveMember(e.name, e.size))
            else:
                continue
            self._entries[self.members[-1]] = e

    def read(self, member: ArchiveMember) -> bytes:
        """The member's bytes (at most its declared size); :class:`ArchiveError` when they cannot be read."""
        entry = self._entries[member]
        try:
            if isinstance(entry, zipfile.ZipInfo):
                return self._handle.read(entry)
            f = self._handle.extractfile(entry)
            return f.read(entry.size) if f is not None else b""
        except _DAMAGED as e:
            raise _damaged(self.src, e) from e


def _open(src: Path, limit: int | None, max_entries: int | None, max_ratio: int | None):
    """``(handle, checked entries)`` for a zip or tar archive; the handle is closed again on a refusal."""
    is_zip = src.name.lower().endswith(".zip")
    handle = zipfile.ZipFile(src) if is_zip else tarfile.open(src, encoding="utf-8", errors="surrogateescape")
    try:
        entries = (_zip_entries(handle, src, limit, max_entries, max_ratio) if is_zip
                   else _tar_entries(handle, src, limit, max_entries))
    except BaseException:
        handle.close()
        raise
    return handle, entries


@contextmanager
def open_archive(src: str | Path, *, limit: int | None = None, max_entries: int | None = None,
                 max_ratio: int | None = None) -> Iterator[ArchiveReader]:
    """Open a .tar/.tar.gz/.tgz/.zip for reading its files in memory, after the checks :func:`expand_archives`
    makes (member names decoded; a member with an absolute path or ``..`` refuses the archive; links are left
    out; declared sizes over ``limit`` bytes, :data:`MAX_ARCHIVE_BYTES` by default, refuse it as a bomb) and, when
    given, at most ``max_entries`` entries and a zip compression ratio of at most ``max_ratio``:1 for members over
    1 MB. Every refusal, and every damaged archive or member, is an :class:`ArchiveError` (its ``reason`` says which).

    >>> import io, tarfile, tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> with tarfile.open(d / "a.tar", "w") as t:
    ...     info = tarfile.TarInfo("政策/通知.txt"); info.size = 3; t.addfile(info, io.BytesIO(b"abc"))
    >>> with open_archive(d / "a.tar") as a:
    ...     [(m.name, a.read(m)) for m in a.members]
    [('政策/通知.txt', b'abc')]
    """
    src = Path(src)
    try:
        handle, entries = _open(src, limit, max_entries, max_ratio)
    except _DAMAGED as e:
        raise _damaged(src, e) from e
    with handle:
        yield ArchiveReader(src, handle, entries)


def _extract(src: Path, dest: Path, limit: int | None = None) -> int:
    """Extract ``src`` into ``dest`` (built beside, then renamed) after the checks; returns the bytes declared."""
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        handle, entries = _open(src, limit, None, None)
        with handle:
            if isinstance(handle, zipfile.ZipFile):
                for info in entries:
                    handle.extract(info, tmp)
            else:  # "data": no modes, owners or links outside from the archive (its members are checked above)
                handle.extractall(tmp, members=entries, filter="data")
    except _DAMAGED as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise _damaged(src, e) from e
    except BaseException:  # a refusal, or anything else: nothing half-extracted stays behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    tmp.rename(dest)
    return sum(e.file_size if isinstance(e, zipfile.ZipInfo) else e.size for e in entries)


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
