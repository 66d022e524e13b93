"""The staff library: list, upload and delete indexed documents.

:func:`add_uploads` checks each uploaded file on its own — type allowlist
(:data:`rag.ingest.SUPPORTED`), size limit, a readable document, not a
duplicate of an indexed one — saves the good ones under
``<data dir>/uploads/`` with a sanitised name (no directories, no path
traversal) and indexes them with :func:`rag.update.update_index`. A bad file
is reported and skipped; it never stops the others. Uploading a file under a
name already in ``uploads/`` replaces that document (an update).

This module does not render HTML or talk to gradio; it returns plain rows.
Library errors (:mod:`rag.errors`) propagate to the caller (the UI).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Sequence

from rag.errors import DecodeError, EmptyDocument, IndexNotFound, IngestError, UnsupportedFormat
from rag.ingest import SUPPORTED, parse_bytes
from rag.update import list_documents, remove_documents, update_index

__all__ = ["MAX_UPLOAD_BYTES", "UploadResult", "add_uploads", "delete_document", "document_rows", "safe_filename"]

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


def add_uploads(files: Sequence[str | Path], home: Path, *, max_bytes: int = MAX_UPLOAD_BYTES,
                progress=None) -> UploadResult:
    """Check, save and index uploaded files (temporary paths named like the originals).

    ``progress``, if given, is called as ``progress(fraction, desc)``.
    """
    out = UploadResult()
    uploads = home / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    try:
        indexed = {d["doc_id"]: d for d in list_documents(home)}
    except IndexNotFound:
        indexed = {}
    by_path = {d["path"]: d for d in indexed.values()}
    seen: dict[str, str] = {}
    staged: list[tuple[str, Path, bytes]] = []
    for i, f in enumerate(files):
        src = Path(f)
        original = src.name
        if progress:
            progress(0.3 * i / max(len(files), 1), f"检查 {original}")
        name = safe_filename(original)
        if name is None:
            out.rows.append((original, "失败", f"不支持的文件类型；可上传 {' '.join(SUPPORTED)}"))
            continue
        size = src.stat().st_size
        if size > max_bytes:
            out.rows.append((original, "失败", f"文件过大（{size / 1e6:.1f} MB），上限 {max_bytes / 1e6:.0f} MB"))
            continue
        data = src.read_bytes()
        try:
            doc = parse_bytes(data, name)
        except IngestError as e:
            out.rows.append((original, "失败", _ingest_reason(e)))
            continue
        target = uploads / name
        old = by_path.get(str(target.resolve()))
        if doc.doc_id in indexed and (old is None or old["doc_id"] != doc.doc_id):
            out.rows.append((original, "重复", f"内容与已收录的《{indexed[doc.doc_id]['title']}》相同，未重复加入"))
            continue
        if doc.doc_id in seen:
            out.rows.append((original, "重复", f"与本次上传的 {seen[doc.doc_id]} 内容相同"))
            continue
        if old is not None and old["doc_id"] == doc.doc_id:
            out.rows.append((original, "未变化", "资料库中已有完全相同的文件"))
            continue
        seen[doc.doc_id] = original
        staged.append((original, target, data))
    if not staged:
        return out
    for original, target, data in staged:
        _write_atomic(target, data)
    if progress:
        progress(0.4, "建立索引（分句、向量化）…")
    out.report = update_index([str(t) for _, t, _ in staged], home=home, progress=True)
    errors = " ".join(out.report["errors"])
    for original, target, _ in staged:
        if str(target) in errors:
            out.rows.append((original, "失败", "索引时无法读取该文件"))
            target.unlink(missing_ok=True)
        elif str(target.resolve()) in by_path:
            out.rows.append((original, "已更新", f"替换了同名文件 {target.name} 的旧版本"))
        else:
            out.rows.append((original, "已加入", f"保存为 uploads/{target.name}"))
    return out


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


def document_rows(home: Path) -> list[list]:
    """Rows for the library table: title, date, chunks, characters, added, id."""
    try:
        docs = list_documents(home)
    except IndexNotFound:
        return []
    rows = [[d["title"], d.get("date", ""), d["chunks"], d["chars"], _added(d), d["doc_id"]] for d in docs]
    return sorted(rows, key=lambda r: r[4], reverse=True)
