"""Ingest: files and folders → :class:`~rag.records.Document`.

Reads .txt, .md (YAML front matter), .html/.htm, .pdf and .docx: the readers
of :mod:`rag.readers` turn each format into raw blocks (heading, paragraph,
caption) and refuse binary or hostile data; :func:`assemble` then normalises
them (:func:`rag.textnorm.normalize`), repairs newspaper layout defects and
joins them into the stored ``Document.text`` with labelled block spans:

- a sentence broken across a blank line ("…信息研究" / "所副所长…") is joined;
- image captions ("上图:… 新华社发"), bylines ("本报记者 …") and pull quotes
  (a sentence repeated verbatim as a display quote, with its display heading)
  are kept in the text but labelled, so they never become answers.

The document id is a hash of the stored text, so a duplicate file (under any
name) gets the same id. This module does not chunk or embed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import statute
from .archive import ARCHIVE_SUFFIXES
from .errors import EmptyDocument, IngestError, UnsupportedFormat
from .office import check_zip
from .readers import MAX_BYTES, TERMINAL, RawBlock, decode_bytes, one_line, read_blocks
from .records import Document
from .textnorm import normalize

__all__ = ["MAX_BYTES", "SUPPORTED", "IngestReport", "RawBlock", "assemble", "check_zip", "decode_bytes", "load_file",
           "load_paths", "parse_bytes"]

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")

SKIPPED_NAMES = ("_index.md", "README.md", "readme.md")
"""Files skipped when walking a folder (site section pages and the archive's own README, not documents);
name one explicitly to index it anyway."""

_TERMINAL = TERMINAL
_CAPTION = re.compile(
    r"^(上图|下图|左图|右图|中图|图为|题图|图片|图\s*[:：]|图\d|配图)|"
    r"(新华社发|新华社记者\S{0,8}摄|记者\S{0,8}摄|\s摄|供图|资料图片?|图片来源\S*)$")
_BYLINE = re.compile(r"^(本报记者|本报讯|本报通讯员|记者|通讯员|文\s*[/／]|作者\s*[:：])\s*(.*)$")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇\d]+[编章节](\s|$)")


@dataclass
class IngestReport:
    """What :func:`load_paths` did: documents read, files that failed, duplicates skipped."""

    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id)



def parse_bytes(data: bytes, name: str, *, meta: dict[str, Any] | None = None) -> Document:
    """Turn the bytes of a file called ``name`` into a Document (format from the suffix)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedFormat(f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}.",
                                path=name)
    if len(data) > MAX_BYTES:
        raise IngestError(_too_big(len(data)), path=name)
    if not data.strip():
        raise EmptyDocument("is empty.", path=name)
    try:
        return _parse(data, name, suffix, meta)
    except IngestError as e:
        if e.path is None:  # raised deep down without the file name
            raise type(e)(str(e), path=name) from e
        raise
    except RecursionError as e:
        raise IngestError("is nested too deeply to read; refused.", path=name) from e
    except MemoryError as e:
        raise IngestError("needs too much memory to read; refused.", path=name) from e
    except Exception as e:  # a parser's own error on junk input: one file's failure, never the batch's
        raise IngestError(f"could not be read ({type(e).__name__}: {one_line(e)}).", path=name) from e


def _parse(data: bytes, name: str, suffix: str, meta: dict[str, Any] | None) -> Document:
    fm, raw = read_blocks(data, name, suffix)
    fm.update(meta or {})
    raw, fm = statute.prepare(raw, fm, name)  # laws and policy files: title, header, articles
    return statute.annotate(assemble(raw, meta=fm, path=name))


def _too_big(size: int) -> str:
    return (f"is {size / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB per file. "
            "Split it into smaller files (e.g. one per chapter) and index those.")


def load_file(path: str | Path) -> Document:
    """Read one file into a Document; raises an IngestError subclass on bad input."""
    p = Path(path)
    try:
        if p.stat().st_size > MAX_BYTES:  # refuse before reading it into memory
            raise IngestError(_too_big(p.stat().st_size), path=str(p))
        data = p.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot be read ({e.strerror}).", path=str(p)) from e
    return parse_bytes(data, str(p))


# ---------------------------------------------------------------- layout

def _file_title(path: str) -> str:
    """A title from a file name; names that are not UTF-8 (``\\udcxx`` escapes) are tried as GB18030.

    >>> _file_title("/tmp/" + "政策".encode("gbk").decode("utf-8", "surrogateescape") + ".txt")
    '政策'
    """
    stem = Path(path).stem if path else ""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in stem):
        raw = stem.encode("utf-8", "surrogateescape") if all(
            not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in stem) else b""
        try:
            stem = raw.decode("gb18030") if raw else ""
        except UnicodeDecodeError:
            stem = ""
        stem = stem or "".join(c for c in Path(path).stem if not 0xD800 <= ord(c) <= 0xDFFF)
    return stem


def _ends_sentence(t: str) -> bool:
    return bool(t) and t[-1] in _TERMINAL


PULLQUOTE_SCAN_CHARS = 50_000_000
"""Work budget of the pull-quote search (characters compared). Past it, only paragraphs repeated
exactly are found: 8k unterminated paragraphs used to cost 8k scans of the whole text (a 20 MB
file would have taken hours)."""


def _repeated_bodies(blocks: list[RawBlock]) -> set[int]:
    """Indexes of unterminated body paragraphs (≥ 8 chars) that occur in at least two body paragraphs.

    >>> b = [RawBlock("这一年人工智能不再只是概念"), RawBlock("他说这一年人工智能不再只是概念。"), RawBlock("其他内容其他内容")]
    >>> sorted(_repeated_bodies(b))
    [0]
    """
    bodies = [b.text for b in blocks if b.kind == "body"]
    exact: dict[str, int] = {}
    for t in bodies:
        exact[t] = exact.get(t, 0) + 1
    joined = "\x00".join(bodies)
    budget, found, checked = PULLQUOTE_SCAN_CHARS, set(), {}
    for i, b in enumerate(blocks):
        if b.kind != "body" or len(b.text) < 8 or _ends_sentence(b.text):
            continue
        if b.text not in checked:
            if exact[b.text] >= 2:
                checked[b.text] = True
            elif budget >= len(joined):
                budget -= len(joined)
                first = joined.find(b.text)
                checked[b.text] = first >= 0 and joined.find(b.text, first + 1) >= 0
            else:
                checked[b.text] = False
        if checked[b.text]:
            found.add(i)
    return found


def assemble(raw: Iterable[RawBlock], *, meta: dict[str, Any] | None = None, path: str = "") -> Document:
    """Normalise blocks, repair layout, and join them into a Document.

    The stored text is the blocks joined by blank lines; ``Document.blocks``
    records each block's ``[start, end)``, ``kind`` and heading ``level``.
    """
    meta = dict(meta or {})
    blocks: list[RawBlock] = []
    for b in raw:
        t = normalize(b.text)[0].strip()
        if t:
            blocks.append(RawBlock(t, b.kind, b.level))
    if not blocks:
        raise EmptyDocument("has no text.", path=path or None)
    _label_blocks(blocks, meta)
    if not str(meta.get("title") or "").strip() and len(blocks) > 1 and _title_line(blocks[0]):
        blocks[0].kind, blocks[0].level = "heading", 1  # a notice's first line: its title, not a broken sentence
    text, spans = _join(_merge_broken(blocks))
    if not any(s["kind"] == "body" for s in spans):
        raise EmptyDocument("has no body text (only headings or captions).", path=path or None)
    title = str(meta.get("title") or "").strip()
    if not title:
        first = next((s for s in spans if s["kind"] == "heading"), None)
        title = text[first["start"]:first["end"]] if first and first["start"] == 0 else _file_title(path)
    meta.pop("title", None)
    doc_id = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Document(doc_id=doc_id, title=title or doc_id, text=text, path=path, meta=meta, blocks=spans)


def _label_blocks(blocks: list[RawBlock], meta: dict[str, Any]) -> None:
    """Label captions, bylines (the author goes into ``meta``), implicit chapter headings and pull quotes, in place."""
    for b in blocks:
        if b.kind != "body":
            continue
        if len(b.text) < 300 and _CAPTION.search(b.text):
            b.kind = "caption"
        elif len(b.text) < 40 and (m := _BYLINE.match(b.text)):
            b.kind = "byline"
            meta.setdefault("author", m.group(2).strip() or b.text)
        elif len(b.text) < 40 and _CHAPTER.match(b.text):
            b.kind, b.level = "heading", 2
    # pull quotes: an unterminated paragraph repeated verbatim elsewhere in the body
    repeated = _repeated_bodies(blocks)
    for i, b in enumerate(blocks):
        if i in repeated:
            b.kind = "pullquote"
            if i > 0 and blocks[i - 1].kind == "heading":
                blocks[i - 1].kind = "decoration"  # a display heading over the quote, not a section


def _title_line(b: RawBlock) -> bool:
    """A first paragraph that reads as a title: short, unterminated, one line, with some Chinese words.

    >>> _title_line(RawBlock("示例县人民政府关于做好冬季供暖工作的通知", "body", 0))
    True
    >>> _title_line(RawBlock("2024年3月1日", "body", 0)), _title_line(RawBlock("今年冬季供暖时间为11月15日。", "body", 0))
    (False, False)
    """
    return (b.kind == "body" and len(b.text) <= 50 and "\n" not in b.text and not _ends_sentence(b.text)
            and sum(1 for ch in b.text if "\u4e00" <= ch <= "\u9fff") >= 4)


def _merge_broken(blocks: list[RawBlock]) -> list[RawBlock]:
    """Broken sentences: an unterminated body paragraph joined with the next body paragraph."""
    merged: list[RawBlock] = []
    for b in blocks:
        prev = merged[-1] if merged else None
        if (prev is not None and prev.kind == "body" and b.kind == "body"
                and len(prev.text) >= 15 and not _ends_sentence(prev.text)):
            sep = " " if prev.text[-1].isascii() and prev.text[-1].isalnum() and b.text[0].isascii() else ""
            prev.text = prev.text + sep + b.text
            continue
        merged.append(b)
    return merged


def _join(blocks: list[RawBlock]) -> tuple[str, list[dict[str, Any]]]:
    """The blocks joined by blank lines, and each block's ``[start, end)``, ``kind`` and ``level`` in that text."""
    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    for b in blocks:
        if parts:
            parts.append("\n\n")
            pos += 2
        spans.append({"start": pos, "end": pos + len(b.text), "kind": b.kind, "level": b.level})
        parts.append(b.text)
        pos += len(b.text)
    return "".join(parts), spans


# ---------------------------------------------------------------- folders

def iter_files(paths: Iterable[str | Path], skipped: list[IngestError] | None = None, *,
               opened: Collection[str] | None = None) -> list[Path]:
    """Expand folders (recursively, sorted) into supported files; skip hidden ones.

    A symlink inside a folder that points outside it is not followed: it is added to ``skipped``. An archive inside
    a folder is not read here: ``opened`` lists (resolved) the archives :func:`rag.archive.open_folder_archives`
    already extracted or refused for this run (``rag index`` does that); any other archive — one inside an archive,
    or every archive when ``opened`` is None — is added to ``skipped`` with what to do.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            root = p.resolve()
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    if f.suffix.lower() in SUPPORTED and f.name not in SKIPPED_NAMES:
                        if f.is_symlink() and not f.resolve().is_relative_to(root):
                            if skipped is not None:
                                skipped.append(IngestError("is a link to a file outside the folder; "
                                                           "not followed. Copy the file in instead.", path=str(f)))
                            continue
                        out.append(f)
                    elif f.name.lower().endswith(ARCHIVE_SUFFIXES) and skipped is not None:
                        if opened is None:
                            skipped.append(IngestError("is an archive inside a folder; its files were not indexed. "
                                                       f"Index it by name: rag index '{f}'", path=str(f)))
                        elif str(f.resolve()) not in opened:
                            skipped.append(IngestError("is an archive inside an archive; archives are opened one "
                                                       "level deep, so its files were not indexed. Unpack it and "
                                                       "index the folder.", path=str(f)))
        else:
            out.append(p)
    return out


def load_paths(paths: Iterable[str | Path], *, loader=None, opened: Collection[str] | None = None) -> IngestReport:
    """Load every file under ``paths``; bad files are reported, never fatal.

    ``loader(path) -> Document`` reads one file (default :func:`load_file`; :mod:`rag.sandbox`
    has one that parses in a separate, limited process); ``opened``: see :func:`iter_files`.

    Duplicates (same stored text under another name) are listed and dropped.
    """
    report = IngestReport()
    loader = loader or load_file
    seen: dict[str, str] = {}
    for f in iter_files(paths, report.errors, opened=opened):
        try:
            if not f.exists():
                raise IngestError("does not exist.", path=str(f))
            doc = loader(f)
        except IngestError as e:
            report.errors.append(e)
            continue
        if doc.doc_id in seen:
            report.duplicates.append((str(f), doc.doc_id))
            continue
        seen[doc.doc_id] = str(f)
        report.documents.append(doc)
    return report
