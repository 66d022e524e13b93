"""Readers: the bytes of one file → raw blocks (heading, paragraph, caption) and front matter.

One reader per format: text (encoding detection: BOMs, UTF-8, GB18030/GBK, Big5, then a
statistical guess; binary data refused), Markdown with YAML front matter (aliases and deep
nesting refused), HTML (nesting depth bounded), .docx and .pdf (page, content and cell budgets;
zip bombs refused by :func:`check_zip`). Every limit here exists because a hostile file hit it.

This module does not normalise, label captions or bylines, build the Document or read files from
disk: that is :mod:`rag.ingest`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from .errors import DecodeError, EmptyDocument, IngestError

__all__ = ["MAX_BYTES", "TERMINAL", "RawBlock", "check_zip", "decode_bytes", "one_line", "read_blocks"]

MAX_BYTES = 20 * 1024 * 1024
"""Largest file read (20 MiB; ~7 million Chinese characters, hours of embedding on a CPU). Larger
files are refused with advice to split them: one document that size would also make a poor source."""

TERMINAL = frozenset("。！？!?…；;：:”’」』）)》】]\"'")
"""Characters that end a sentence or a quoted/bracketed run."""


def one_line(e: BaseException, limit: int = 120) -> str:
    """An exception message on one short line."""
    msg = " ".join(str(e).split())
    return msg[:limit] + ("…" if len(msg) > limit else "")


@dataclass
class RawBlock:
    """A block before normalisation: ``kind`` body/heading/caption, ``level`` for headings."""

    text: str
    kind: str = "body"
    level: int = 0


# ---------------------------------------------------------------- decoding

def decode_bytes(data: bytes, *, path: str | None = None) -> str:
    """Decode text bytes, detecting the encoding; raise DecodeError for binary data.

    >>> decode_bytes("温州".encode("gbk"))
    '温州'
    """
    boms = [(b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
            (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")]
    for bom, enc in boms:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as e:
                raise DecodeError(f"has a {enc} byte-order mark but is not valid {enc} ({e.reason}).",
                                  path=path) from e
    if b"\x00" in data[:8192]:
        raise DecodeError("looks like a binary file (NUL bytes), not text. Convert it to .txt, .pdf or .docx.",
                          path=path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # GB18030 accepts almost any byte string, so compare it with Big5 on how odd the result looks
        decoded = []
        for enc in ("gb18030", "big5"):
            try:
                decoded.append((_oddness(t := data.decode(enc)), enc, t))
            except UnicodeDecodeError:
                continue
        if decoded:
            text = min(decoded, key=lambda x: x[0])[2]
        else:
            from charset_normalizer import from_bytes

            best = from_bytes(data).best()
            if best is None:
                raise DecodeError("cannot detect the text encoding; save it as UTF-8.", path=path)
            text = str(best)
    bad = sum(1 for ch in text[:20000] if (ord(ch) < 32 and ch not in "\n\r\t\f") or 0xE000 <= ord(ch) <= 0xF8FF)
    if bad > max(3, len(text[:20000]) // 100):
        raise DecodeError("looks like a binary file (control characters), not text.", path=path)
    return text


def _oddness(text: str) -> int:
    """Characters unlikely in real Chinese text: private use, rare extensions, C1 controls."""
    return sum(1 for ch in text[:20000] if 0xE000 <= ord(ch) <= 0xF8FF or 0x3400 <= ord(ch) <= 0x4DBF
               or ord(ch) > 0xFFFF or 0x80 <= ord(ch) < 0xA0)


# ---------------------------------------------------------------- formats

MAX_FRONT_MATTER = 64 * 1024
"""Largest YAML front matter (characters); aliases and more than :data:`MAX_YAML_DEPTH` levels are refused."""
MAX_YAML_DEPTH = 20


def _check_yaml_events(source: str) -> None:
    """Refuse YAML aliases (``*ref``: an alias bomb expands 337 bytes to 219 MiB) and deep nesting."""
    import yaml

    depth = 0
    for ev in yaml.parse(source, Loader=yaml.SafeLoader):
        if isinstance(ev, yaml.AliasEvent):
            raise IngestError("front matter uses YAML aliases (*name), which are not accepted; write the values out.")
        if isinstance(ev, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise IngestError(f"front matter is nested more than {MAX_YAML_DEPTH} levels deep.")
        elif isinstance(ev, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    m = re.match(r"---[ \t]*\n", text)
    if not m:
        return {}, text
    end = re.compile(r"\n---[ \t]*\n").search(text, m.end() - 1, m.end() + MAX_FRONT_MATTER + 8)
    if not end:
        if re.compile(r"\n---[ \t]*\n").search(text, m.end() - 1):
            raise IngestError(f"front matter is longer than {MAX_FRONT_MATTER // 1024} KB; keep it to a few fields.")
        return {}, text
    import yaml

    source = text[m.end():end.start()]
    try:
        _check_yaml_events(source)
        meta = yaml.safe_load(source) or {}
    except yaml.YAMLError as e:
        raise IngestError(f"front matter is not valid YAML ({e.__class__.__name__}).") from e
    except RecursionError as e:
        raise IngestError("front matter is nested too deeply.") from e
    if not isinstance(meta, dict):
        meta = {}
    # dates (at any depth) and other YAML scalars become JSON-safe values
    meta = json.loads(json.dumps(meta, default=lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v)))
    return {str(k): v for k, v in meta.items()}, text[end.end():]


_HEADING = re.compile(r"\s{0,3}(#{1,6})\s+(.*)")
"""A Markdown ATX heading. Linear: the closing ``#``s are stripped by :func:`_heading_text`, not by
backtracking (``(.*?)\\s*#*\\s*$`` took 28 s on ``"# a" + " " * 2000 + "x"``)."""


def _heading_text(raw: str) -> str:
    """The heading text without trailing spaces and closing ``#``s.

    >>> _heading_text("标题 ##  "), _heading_text("C#"), _heading_text("a" + " " * 5000 + "x")[-1]
    ('标题', 'C', 'x')
    """
    return raw.rstrip().rstrip("#").rstrip()


def _text_blocks(text: str) -> list[RawBlock]:
    """Plain text / Markdown → blocks split at blank lines; ``#`` lines are headings."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[RawBlock] = []
    for para in re.split(r"\n[ \t\u3000]*\n", text):
        lines = para.split("\n")
        body: list[str] = []
        for line in lines:
            m = _HEADING.match(line)
            if m:
                if body:
                    blocks.append(RawBlock("\n".join(body)))
                    body = []
                blocks.append(RawBlock(_heading_text(m.group(2)), "heading", len(m.group(1))))
            else:
                body.append(line)
        if body and "".join(body).strip():
            blocks.append(RawBlock("\n".join(body)))
    return blocks


_BLOCK_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "figcaption",
               "caption", "td", "th", "dt", "dd", "div", "section", "article", "main", "body")


MAX_HTML_DEPTH = 256
"""Deepest element nesting accepted (10k nested ``<div>`` took 10 s to walk; real pages stay under 60)."""


def _html_depth_ok(soup, path: str | None) -> None:
    """Raise IngestError when the parsed tree is nested deeper than :data:`MAX_HTML_DEPTH` (iterative)."""
    stack = [(soup, 0)]
    while stack:
        el, depth = stack.pop()
        if depth > MAX_HTML_DEPTH:
            raise IngestError(f"nests HTML elements more than {MAX_HTML_DEPTH} levels deep; refused.", path=path)
        stack.extend((c, depth + 1) for c in getattr(el, "contents", ()) if getattr(c, "contents", None))


def _block_parents(root, elements) -> set[int]:
    """ids of the block elements that contain another block element, in one pass.

    Each block marks its nearest block ancestor; that one marks its own, so every block
    ancestor is marked (``el.find`` per element was quadratic).
    """
    wanted = {id(e) for e in elements}
    marked: set[int] = set()
    for el in elements:
        up = el.parent
        while up is not None and up is not root.parent:
            if id(up) in wanted:
                marked.add(id(up))
                break
            up = up.parent
    return marked


def _html_blocks(text: str, path: str | None = None) -> tuple[dict[str, Any], list[RawBlock]]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "lxml")
    _html_depth_ok(soup, path)
    meta: dict[str, Any] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    for m in soup.find_all("meta"):
        key = (m.get("name") or m.get("property") or "").lower()
        if key in ("date", "pubdate", "publishdate", "article:published_time") and m.get("content"):
            meta.setdefault("date", m["content"].strip())
        if key in ("author", "article:author") and m.get("content"):
            meta.setdefault("author", m["content"].strip())
    for tag in soup(["script", "style", "noscript", "template", "nav", "iframe", "svg", "head"]):
        tag.decompose()
    blocks: list[RawBlock] = []
    root = soup.body or soup
    elements = root.find_all(_BLOCK_TAGS)
    parents = _block_parents(root, elements)
    for el in elements:
        if id(el) in parents:  # only leaf blocks; parents' loose text is rare in articles
            own = "".join(s for s in el.find_all(string=True, recursive=False)).strip()
            if own:
                blocks.append(RawBlock(own))
            continue
        t = el.get_text(" ", strip=True)
        if not t:
            continue
        if el.name[0] == "h" and el.name[1:].isdigit():
            blocks.append(RawBlock(t, "heading", int(el.name[1])))
        elif el.name in ("figcaption", "caption"):
            blocks.append(RawBlock(t, "caption"))
        else:
            blocks.append(RawBlock(t))
    if not blocks:  # fragment without block tags
        t = root.get_text("\n", strip=True)
        blocks = _text_blocks(t)
    return meta, blocks


def _docx_blocks(data: bytes, path: str | None) -> tuple[dict[str, Any], list[RawBlock]]:
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


def _pdf_blocks(data: bytes, path: str | None) -> tuple[dict[str, Any], list[RawBlock]]:
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
            # PDF lines are hard-wrapped: join a line to the next unless it ends a sentence
            cur = lines[0]
            for ln in lines[1:]:
                if cur[-1] in TERMINAL and len(cur) < 30:
                    blocks.append(RawBlock(cur))
                    cur = ln
                else:
                    sep = " " if cur[-1].isascii() and ln[0].isascii() else ""
                    cur = cur + sep + ln
            blocks.append(RawBlock(cur))
    if not any(b.text.strip() for b in blocks):
        raise EmptyDocument("PDF has no text layer (a scan?). Run OCR on it first, then add it again.",
                            path=path)
    return meta, blocks


def read_blocks(data: bytes, name: str, suffix: str) -> tuple[dict[str, Any], list[RawBlock]]:
    """Front matter and raw blocks of a file's bytes, read by the reader for ``suffix``."""
    if suffix == ".pdf":
        return _pdf_blocks(data, name)
    if suffix == ".docx":
        return _docx_blocks(data, name)
    text = decode_bytes(data, path=name)
    if suffix in (".html", ".htm"):
        return _html_blocks(text, name)
    fm: dict[str, Any] = {}
    if suffix in (".md", ".markdown"):
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        fm, text = _split_front_matter(text)
    return fm, _text_blocks(text)
