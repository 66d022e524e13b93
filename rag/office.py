"""Readers for the packaged formats: .docx and .pdf bytes → raw blocks and metadata.

Each has budgets, because hostile files hit them: zip directories are checked before
unpacking (:func:`check_zip`, also used for uploaded archives), tables and text are
counted, a PDF's pages and decoded content streams are bounded (a content stream
shared by many pages is read once). Headings come from Word styles; PDF lines that
were hard-wrapped are joined.

This module does not decode plain text, Markdown or HTML (:mod:`rag.readers`) or
build Documents (:mod:`rag.ingest`).
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from typing import Any

from .errors import DecodeError, EmptyDocument, IngestError
from .readers import TERMINAL, RawBlock, one_line, opens_item

__all__ = ["MAX_DOCX_CELLS", "MAX_PDF_CONTENT_BYTES", "MAX_PDF_PAGES", "MAX_TEXT_CHARS", "MAX_ZIP_BYTES",
           "check_zip", "docx_blocks", "pdf_blocks"]


def docx_blocks(data: bytes, path: str | None) -> tuple[dict[str, Any], list[RawBlock]]:
    try:
        import docx
    except ImportError as e:  # pragma: no cover
        raise IngestError("python-docx is not installed. Install it with `pip install python-docx`.") from e
    check_zip(data, path=path)
    try:
        d = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise DecodeError("is not a valid .docx file (damaged or not a Word document).", path=path) from e
    except Exception as e:  # python-docx raises opc/lxml errors of many kinds for junk zips
        raise DecodeError(f"is not a valid .docx file ({e.__class__.__name__}).", path=path) from e
    meta: dict[str, Any] = {}
    cp = d.core_properties
    if cp.title:
        meta["title"] = cp.title
    if cp.author:
        meta["author"] = cp.author
    if cp.created:
        meta["date"] = cp.created.date().isoformat()
    blocks: list[RawBlock] = []
    names = _docx_style_names(d)
    chars = 0
    for p in d.paragraphs:
        t = p.text.strip()
        if not t:
            continue
        chars += len(t)
        if chars > MAX_TEXT_CHARS:
            raise IngestError(f"holds more than {MAX_TEXT_CHARS:,} characters of text; split it into smaller files.",
                              path=path)
        ppr = p._p.pPr
        style = names.get(ppr.style if ppr is not None and ppr.style else "", "") or names.get(None, "")
        m = re.match(r"(?:Heading|标题)\s*(\d)", style)
        if style == "Title":
            meta.setdefault("title", t)
            blocks.append(RawBlock(t, "heading", 1))
        elif m:
            blocks.append(RawBlock(t, "heading", int(m.group(1))))
        elif style.lower().startswith("caption"):
            blocks.append(RawBlock(t, "caption"))
        else:
            blocks.append(RawBlock(t))
    cells_left = MAX_DOCX_CELLS
    for table in d.tables:
        for row in table.rows:
            cells_left -= len(row._tr.tc_lst)
            if cells_left < 0:
                raise IngestError(f"has more than {MAX_DOCX_CELLS:,} table cells; split it into smaller files.",
                                  path=path)
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(RawBlock(" | ".join(dict.fromkeys(cells))))
    return meta, blocks


MAX_PDF_PAGES = 2000
MAX_PDF_CONTENT_BYTES = 32 * 1024 * 1024
"""Decoded page content (drawing instructions), counted once per page that draws it. A 10 KiB PDF
whose 40 pages share one 1 MiB content stream cost 62 s; a real 300-page report has a few MB."""
MAX_TEXT_CHARS = 8_000_000
"""Most text extracted from one PDF or .docx (a 20 MB text file holds about 7 million characters)."""


MAX_ZIP_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_ZIP_ENTRIES = 5000
MAX_DOCX_CELLS = 50_000


def check_zip(data: bytes, *, path: str | None = None, max_bytes: int = MAX_ZIP_BYTES,
              max_ratio: int = MAX_ZIP_RATIO, max_entries: int = MAX_ZIP_ENTRIES) -> None:
    """Refuse a zip (.docx, an uploaded archive) whose central directory promises a bomb.

    Reads only the directory: entry count, total uncompressed size, and the compression ratio of
    every entry over 1 MB. Damaged archives raise DecodeError.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise DecodeError("is not a valid zip/.docx file (damaged or not a Word document).", path=path) from e
    if len(infos) > max_entries:
        raise IngestError(f"holds {len(infos)} files; at most {max_entries} are accepted.", path=path)
    total = sum(i.file_size for i in infos)
    if total > max_bytes:
        raise IngestError(f"unpacks to {total / 2**20:.0f} MB; the limit is {max_bytes // 2**20} MB.", path=path)
    for i in infos:
        if i.file_size > 2**20 and i.file_size > max_ratio * max(i.compress_size, 1):
            raise IngestError(f"contains {i.filename!r}, compressed {i.file_size // max(i.compress_size, 1)}:1 "
                              f"(a zip bomb?); at most {max_ratio}:1 is accepted.", path=path)


def _docx_style_names(d) -> dict[str | None, str]:
    """styleId → style name, read once (``Paragraph.style`` searches every style on each call:
    40 s for 20k paragraphs). ``None`` maps to the default paragraph style."""
    from docx.oxml.ns import qn
    from docx.styles import BabelFish

    names: dict[str | None, str] = {}
    for el in d.styles.element.iterchildren(qn("w:style")):
        sid = el.get(qn("w:styleId"))
        name_el = el.find(qn("w:name"))
        name = name_el.get(qn("w:val")) if name_el is not None else ""
        builtin = BabelFish.internal2ui(name or "")
        if sid is not None:
            names[sid] = builtin
        if el.get(qn("w:type")) == "paragraph" and el.get(qn("w:default")) in ("1", "true", "on"):
            names[None] = builtin
    return names


def _pdf_pages(reader, path: str | None) -> list[str]:
    """Each page's text; a content stream shared by several pages is read once."""
    keys = []
    for page in reader.pages:
        c = page.get("/Contents")
        refs = c if isinstance(c, list) else [c]
        keys.append(tuple((getattr(r, "idnum", id(r)), getattr(r, "generation", 0)) for r in refs))
    sizes: dict[tuple, int] = {}
    total = 0
    for page, key in zip(reader.pages, keys):
        if key not in sizes:
            data = page.get_contents()
            sizes[key] = len(data.get_data()) if data is not None else 0
        total += sizes[key]
        if total > MAX_PDF_CONTENT_BYTES:
            raise IngestError(f"draws more than {MAX_PDF_CONTENT_BYTES // 2**20} MB of page content "
                              "(pages repeat one huge stream?); refused.", path=path)
    texts: dict[tuple, str] = {}
    pages, chars = [], 0
    for page, key in zip(reader.pages, keys):
        if key not in texts:
            texts[key] = page.extract_text() or ""
        pages.append(texts[key])
        chars += len(texts[key])
        if chars > MAX_TEXT_CHARS:
            raise IngestError(f"holds more than {MAX_TEXT_CHARS:,} characters of text; split it into smaller files.",
                              path=path)
    return pages


_SHORT_END = TERMINAL - {"》"}
"""A short PDF line ending in one of these is a line of its own; 》 is left out, since 《…》 at a line's end is a law
cited mid-sentence (……违反《示例市物业管理条例》 / 第十二条第二款规定的……)."""

def pdf_blocks(data: bytes, path: str | None) -> tuple[dict[str, Any], list[RawBlock]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if len(reader.pages) > MAX_PDF_PAGES:
            raise IngestError(f"has {len(reader.pages)} pages; the limit is {MAX_PDF_PAGES}. Split it.", path=path)
        pages = _pdf_pages(reader, path)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, zlib.error) as e:
        raise DecodeError(f"is not a readable PDF ({type(e).__name__}: {one_line(e)}).", path=path) from e
    except RecursionError as e:
        raise DecodeError("is not a readable PDF (nested too deeply).", path=path) from e
    meta: dict[str, Any] = {}
    info = reader.metadata
    if info and info.title:
        meta["title"] = str(info.title)
    if info and info.author:
        meta["author"] = str(info.author)
    blocks: list[RawBlock] = []
    for page in pages:
        for para in re.split(r"\n\s*\n", page):
            lines = [ln.strip() for ln in para.split("\n") if ln.strip()]
            if not lines:
                continue
            # PDF lines are hard-wrapped: join a line to the next unless it ends a short sentence,
            # or the next one opens an item, an article or a division (readers.opens_item)
            cur = prev = lines[0]
            first = not blocks
            for ln in lines[1:]:
                if (cur[-1] in _SHORT_END and len(cur) < 30) or opens_item(ln, prev, first=first):
                    blocks.append(RawBlock(cur))
                    cur = ln
                else:
                    sep = " " if cur[-1].isascii() and ln[0].isascii() else ""
                    cur = cur + sep + ln
                prev, first = ln, False
            blocks.append(RawBlock(cur))
    if not any(b.text.strip() for b in blocks):
        raise EmptyDocument("PDF has no text layer (a scan?). Run OCR on it first, then add it again.",
                            path=path)
    return meta, blocks
