"""The staff library: list, upload and delete indexed documents.

:func:`add_uploads` checks each uploaded file on its own — type allowlist
(:data:`rag.ingest.SUPPORTED`), size limit, a readable document, not a
duplicate of an indexed one — saves the good ones under
``<data dir>/uploads/`` with a sanitised name (no directories, no path
traversal) and indexes them with :func:`rag.update.update_index`. A bad file
is reported and skipped; it never stops the others. Uploading a file under a
name already in ``uploads/`` replaces that document (an update); two files of
one upload that sanitise to the same name get distinct names (``-2``). A
``.zip``, ``.tar``, ``.tar.gz`` or ``.tgz`` is unpacked in memory by :func:`rag.archive.open_archive` (documents
only, after the checks ``rag index`` makes; a damaged or refused archive adds none of its files). Each request is
bounded (:data:`MAX_FILES`, :data:`MAX_TOTAL_BYTES`); files are parsed in a
:class:`rag.sandbox.Sandbox` when one is given, and written and indexed
together, so a failed indexing run leaves ``uploads/`` as it was.

This module does not render HTML or talk to gradio; it returns plain rows.
Library errors (:mod:`rag.errors`) propagate to the caller (the UI).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from rag.archive import ARCHIVE_SUFFIXES, open_archive
from rag.errors import (
    ArchiveError,
    DecodeError,
    EmptyDocument,
    IndexLocked,
    IndexNotFound,
    IngestError,
    RagError,
    UnsupportedFormat,
)
from rag.ingest import SUPPORTED, parse_bytes
from rag.office import MAX_ZIP_RATIO
from rag.update import list_documents, remove_documents, update_index

__all__ = ["MAX_FILES", "MAX_TOTAL_BYTES", "MAX_UPLOAD_BYTES", "UploadResult", "add_uploads", "delete_document", "doc_choices",
           "document_rows", "safe_filename"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
_BAD = re.compile(r"[^\w.\-（）()【】《》 ]+", re.UNICODE)


def safe_filename(name: str) -> str | None:
    """A file name safe to write under ``uploads/``; None when the type is not allowed.

    Directories (``/`` or ``\\``), control characters and leading dots are
    dropped; the suffix is lower-cased and must be in the allowlist.

    >>> safe_filename("../../etc/passwd.md")
    'passwd.md'
    >>> safe_filename("C:\\\\temp\\\\政策 文件<1>.TXT")
    '政策_文件_1.txt'
    >>> safe_filename("..")  is None, safe_filename("run.exe") is None
    (True, True)
    """
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    stem, dot, suffix = name.rpartition(".")
    if not dot or f".{suffix.lower()}" not in SUPPORTED:
        return None
    stem = _BAD.sub("_", stem).replace(" ", "_").strip("._ ")[:100]
    return f"{stem or 'upload'}.{suffix.lower()}"


def _ingest_reason(e: IngestError) -> str:
    if isinstance(e, EmptyDocument):
        return "文件里没有可读的文字（空文件或扫描版 PDF？）"
    if isinstance(e, DecodeError):
        return "无法识别文字编码，或不是文本文件"
    if isinstance(e, UnsupportedFormat):
        return f"不支持的文件格式；可上传 {' '.join(SUPPORTED)}"
    return f"无法读取（{e}）"


@dataclass
class UploadResult:
    """Per-file outcome rows ``(name, status, detail)`` plus the index report."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    report: dict | None = None

    @property
    def changed(self) -> bool:
        return bool(self.report and (self.report["added"] or self.report["updated"]))


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


MAX_FILES = 50
"""Most files per upload request (an archive counts each document inside it)."""
MAX_TOTAL_BYTES = 100 * 1024 * 1024
"""Most bytes per upload request, all files (and unpacked archive members) together."""


@dataclass
class _Incoming:
    original: str
    name: str | None
    data: bytes | None = None
    error: str = ""


def _expand(files: Sequence[str | Path], max_bytes: int, max_files: int, max_total: int) -> list[_Incoming]:
    """The uploaded files in name order, with archives (.zip, .tar, .tar.gz, .tgz) unpacked in memory by
    :func:`rag.archive.open_archive` (documents only, after the checks ``rag index`` makes), as ``_Incoming`` rows;
    the count, per-file and total limits are applied here, before any parsing (a folder of 55 files: the 50 first
    by name are taken, the last 5 are listed as not processed). An archive that is refused or damaged is one failed
    row and none of its files is taken."""
    out: list[_Incoming] = []
    for src in sorted(map(_path_of, files), key=lambda p: p.name):  # by name, so a cut past MAX_FILES takes the last
        if not src.name.lower().endswith(ARCHIVE_SUFFIXES):
            out.append(_take(out, src.name, src.stat().st_size, src.read_bytes, max_bytes, max_files, max_total))
        elif src.stat().st_size > max_total:
            out.append(_Incoming(src.name, None, error=f"压缩包过大，上限 {max_total / 1e6:.0f} MB"))
        else:
            out.extend(_unpack(src, out, max_bytes, max_files, max_total))
    return out


def _path_of(f) -> Path:
    return Path(f if isinstance(f, (str, Path)) else getattr(f, "name", f))


def _take(taken: list[_Incoming], original: str, size: int, read, max_bytes: int, max_files: int,
          max_total: int) -> _Incoming:
    """One file as an ``_Incoming`` row: read when it fits the limits given what is ``taken`` already."""
    name = safe_filename(original)
    total = sum(len(x.data) for x in taken if x.data is not None)
    if sum(x.data is not None for x in taken) >= max_files:
        return _Incoming(original, name, error=f"一次最多上传 {max_files} 个文件，本文件未处理，请再上传一次")
    if name is None:
        return _Incoming(original, None, error=f"不支持的文件类型；可上传 {' '.join(SUPPORTED)} 或压缩包 "
                                               f"{' '.join(ARCHIVE_SUFFIXES)}")
    if size > max_bytes:
        return _Incoming(original, name, error=f"文件过大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB")
    if total + size > max_total:
        return _Incoming(original, name, error=f"本次上传总量超过 {max_total / 1e6:.0f} MB，本文件未处理")
    return _Incoming(original, name, read()[:max_bytes + 1])


_ARCHIVE_REASONS = {
    "too_big": "压缩包未被接受：解压后过大（压缩炸弹？）",
    "outside": "压缩包未被接受：其中有文件的路径指向压缩包之外（绝对路径或 ..）",
    "too_many": "压缩包未被接受：其中的文件太多",
    "damaged": "压缩包无法读取：已损坏或不是有效的压缩文件",
}


def _unpack(src: Path, taken: list[_Incoming], max_bytes: int, max_files: int, max_total: int) -> list[_Incoming]:
    """The documents inside one archive (hidden files, folders and ``__MACOSX`` left out); one failed row, and
    nothing of the archive, when it is refused or any of its members cannot be read."""
    batch: list[_Incoming] = []
    try:
        with open_archive(src, limit=max_total, max_entries=max_files * 20, max_ratio=MAX_ZIP_RATIO) as archive:
            for m in archive.members:
                if PurePosixPath(m.name).name.startswith(".") or m.name.startswith("__MACOSX"):
                    continue
                original = f"{src.name}/{m.name}"
                if m.encrypted:
                    batch.append(_Incoming(original, None, error="加密的文件，无法读取"))
                    continue
                batch.append(_take([*taken, *batch], original, m.size, lambda m=m: archive.read(m), max_bytes,
                                   max_files, max_total))
    except ArchiveError as e:
        why = _ARCHIVE_REASONS.get(e.reason, _ARCHIVE_REASONS["damaged"])
        return [_Incoming(src.name, None, error=f"{why}，其中的文件都未加入。")]
    return batch


def _unique(name: str, taken: set[str]) -> str:
    """``name`` or ``name-2``, ``name-3``… so two uploads in one request never share a file.

    >>> _unique("政策_文件.txt", {"政策_文件.txt"})
    '政策_文件-2.txt'
    """
    stem, dot, suffix = name.rpartition(".")
    cand, n = name, 1
    while cand in taken:
        n += 1
        cand = f"{stem}-{n}{dot}{suffix}"
    return cand


def add_uploads(files: Sequence[str | Path], home: Path, *, max_bytes: int = MAX_UPLOAD_BYTES,
                max_files: int = MAX_FILES, max_total: int = MAX_TOTAL_BYTES, progress=None,
                sandbox=None, isolate: bool = False) -> UploadResult:
    """Check, save and index uploaded files (temporary paths named like the originals; archives unpacked).

    Each file is parsed by ``sandbox`` (a :class:`rag.sandbox.Sandbox`: separate process, time and
    memory limits) when given, else in this process. Files are written to ``uploads/`` and indexed
    together (``isolate``: by ``rag index`` in a low-priority child process, as the server does); if indexing fails (another writer holds the lock, …) ``uploads/`` is put back as it
    was and the error propagates. ``progress``, if given, is called as ``progress(fraction, desc)``.
    """
    out = UploadResult()
    uploads = home / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    try:
        indexed = {d["doc_id"]: d for d in list_documents(home)}
    except IndexNotFound:
        indexed = {}
    by_path = {d["path"]: d for d in indexed.values()}
    staged = _stage(_expand(files, max_bytes, max_files, max_total), uploads, indexed, by_path, out,
                    progress=progress, sandbox=sandbox)
    if not staged:
        return out
    if progress:
        progress(0.4, "建立索引（分句、向量化）…")
    out.report = _commit(staged, home, isolate=isolate)
    errors = " ".join(out.report["errors"])
    for original, target, _, _ in staged:
        if str(target) in errors:
            out.rows.append((original, "失败", "索引时无法读取该文件"))
            target.unlink(missing_ok=True)
        elif str(target.resolve()) in by_path:
            out.rows.append((original, "已更新", f"替换了同名文件 {target.name} 的旧版本"))
        else:
            out.rows.append((original, "已加入", f"保存为 uploads/{target.name}"))
    return out


def _stage(incoming: list[_Incoming], uploads: Path, indexed: dict[str, dict], by_path: dict[str, dict], out: UploadResult, *,
           progress=None, sandbox=None) -> list[tuple[str, Path, bytes, object]]:
    """Parse each incoming file and keep those to index as ``(original name, target path, bytes, document)``;
    a failure, a duplicate (of the library or of this upload) or an unchanged file gets its row in ``out``."""
    seen: dict[str, str] = {}
    staged: list[tuple[str, Path, bytes, object]] = []
    taken: set[str] = set()
    for i, item in enumerate(incoming):
        if progress:
            progress(0.3 * i / max(len(incoming), 1), f"检查 {item.original}")
        if item.error:
            out.rows.append((item.original, "失败", item.error))
            continue
        name, data, item.data = _unique(item.name, taken), item.data, None
        try:
            doc = sandbox.parse(data, name) if sandbox is not None else parse_bytes(data, name)
        except IngestError as e:
            out.rows.append((item.original, "失败", _ingest_reason(e)))
            continue
        target = uploads / name
        old = by_path.get(str(target.resolve()))
        if doc.doc_id in indexed and (old is None or old["doc_id"] != doc.doc_id):
            out.rows.append((item.original, "重复", f"内容与已收录的《{indexed[doc.doc_id]['title']}》相同，未重复加入"))
            continue
        if doc.doc_id in seen:
            out.rows.append((item.original, "重复", f"与本次上传的 {seen[doc.doc_id]} 内容相同"))
            continue
        if old is not None and old["doc_id"] == doc.doc_id:
            out.rows.append((item.original, "未变化", "资料库中已有完全相同的文件"))
            continue
        seen[doc.doc_id] = item.original
        taken.add(name)
        staged.append((item.original, target, data, doc))
    return staged


def _idle_priority() -> None:
    """In the child: the lowest priority that still makes progress on a busy machine (nice 19)."""
    os.nice(19)


def _index_in_child(targets: list[str], home: Path) -> dict:
    """``rag index --json`` in a child process at nice 19 on one thread: embedding a large
    upload then neither holds this server's GIL nor takes the CPU from questions. The files were
    already read once in the sandbox, so the child reads them within known bounds."""
    env = dict(os.environ, RAG_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                           os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "index", "--json", "--quiet", "--home", str(home),
                           *targets], check=False, capture_output=True, text=True, env=env,
                          preexec_fn=_idle_priority)
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["indexing failed"])[-1].removeprefix("Error: ")
        raise (IndexLocked if "is writing the index" in msg else RagError)(msg)
    return json.loads(proc.stdout)


def _commit(staged: list[tuple[str, Path, bytes, object]], home: Path, *, isolate: bool = False) -> dict:
    """Write the staged files and index them (from the documents already parsed, or in a low-priority
    child process when ``isolate``); on any failure restore every file of ``uploads/`` touched here
    and re-raise."""
    docs = {str(t.resolve()): doc for _, t, _, doc in staged}
    previous: dict[Path, bytes | None] = {}
    try:
        for _, target, data, _ in staged:
            previous[target] = target.read_bytes() if target.is_file() else None
            _write_atomic(target, data)

        def loader(path):
            doc = docs[str(Path(path).resolve())]
            doc.path = str(path)
            return doc

        targets = [str(t) for _, t, _, _ in staged]
        if isolate:
            return _index_in_child(targets, home)
        return update_index(targets, home=home, progress=True, loader=loader)
    except BaseException:
        for target, old in previous.items():
            if old is None:
                target.unlink(missing_ok=True)
            else:
                _write_atomic(target, old)
        raise


def delete_document(doc_id: str, home: Path) -> list[str]:
    """Remove a document from the index (and its file, if it was uploaded here)."""
    docs = {d["doc_id"]: d for d in list_documents(home)}
    removed = remove_documents([doc_id], home=home)
    uploads = (home / "uploads").resolve()
    for i in removed:
        p = Path(docs.get(i, {}).get("path") or "")
        if p.is_file() and p.resolve().parent == uploads:
            p.unlink()
    return removed


def _added(d: dict) -> str:
    if d.get("added"):
        return str(d["added"])
    try:
        return datetime.fromtimestamp(Path(d["path"]).stat().st_mtime).strftime("%Y-%m-%d %H:%M")
    except (OSError, KeyError, TypeError):
        return ""


def document_rows(home: Path, *, index=None) -> list[list]:
    """Rows for the library table: title, type, validity, date, chunks, characters, added, id.

    Type is the statute type (法律, 行政法规, … :mod:`rag.statute`; "" for other documents); validity is
    已废止 or 已被修改 (a later version is indexed: :func:`rag.filters.not_in_force`), else 现行 for a statute and ""
    for other documents. ``index``: an already loaded :class:`rag.index.Index` (no re-reading of the index files).
    """
    from rag.filters import not_in_force
    from rag.index import open_index

    if index is None:
        try:
            index = open_index(home, verify=False)
        except IndexNotFound:
            return []
    counts: dict[str, int] = {}
    for c in index.chunks:
        counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
    old = not_in_force(index)
    rows = []
    for d in index.documents.values():
        kind = str(d.meta.get("doc_type") or "")
        rows.append([d.title, kind, old.get(d.doc_id, "现行" if kind else ""), str(d.meta.get("date", "") or ""),
                     counts.get(d.doc_id, 0), len(d.text), _added({"added": d.meta.get("added", ""), "path": d.path}), d.doc_id])
    return sorted(rows, key=lambda r: r[6], reverse=True)


def doc_choices(rows: list[list]) -> list[tuple[str, str]]:
    """(label, doc_id) for the delete and filter dropdowns; a label that several documents share (a code split
    into part files, two uploads with one title) ends with the document id the library table shows.

    >>> law = ["民法典", "法律", "", "2020-05-28", 9, 9, ""]
    >>> doc_choices([[*law, "aa11"], [*law, "bb22"], ["示例", "", "", "", 1, 1, "", "cc33"]])
    [('民法典（2020-05-28） · aa11', 'aa11'), ('民法典（2020-05-28） · bb22', 'bb22'), ('示例', 'cc33')]
    >>> doc_choices([["示例", "", "", "", 1, 1, "", "cc33"], ["示例", "", "", "", 1, 1, "", "dd44"]])[0][0]
    '示例 · cc33'
    """
    labels = [f"{r[0]}（{r[3]}）" if r[3] else str(r[0]) for r in rows]
    shared = {label for label, n in Counter(labels).items() if n > 1}
    return [(f"{label} · {r[-1]}" if label in shared else label, r[-1]) for label, r in zip(labels, rows)]
