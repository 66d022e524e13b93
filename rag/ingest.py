"""Ingest: files and folders → :class:`~rag.records.Document`.

Reads .txt, .md (YAML front matter), .html/.htm, .pdf and .docx; detects the
encoding of text files (BOMs, UTF-8, GB18030/GBK, Big5, then a statistical
guess) and refuses binary data. Every format is first turned into a list of
raw blocks (heading, paragraph, caption); :func:`assemble` then normalises
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
import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import DecodeError, EmptyDocument, IngestError, UnsupportedFormat
from . import statute
from .records import Document
from .textnorm import normalize

__all__ = ["SUPPORTED", "IngestReport", "assemble", "decode_bytes", "load_file", "load_paths", "parse_bytes"]

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
MAX_BYTES = 20 * 1024 * 1024
"""Largest file read (20 MiB; ~7 million Chinese characters, hours of embedding on a CPU). Larger
files are refused with advice to split them: one document that size would also make a poor source."""

SKIPPED_NAMES = ("_index.md", "README.md", "readme.md")
"""Files skipped when walking a folder (site section pages and the archive's own README, not documents);
name one explicitly to index it anyway."""

_TERMINAL = set("。！？!?…；;：:”’」』）)》】]\"'")
_CAPTION = re.compile(
    r"^(上图|下图|左图|右图|中图|图为|题图|图片|图\s*[:：]|图\d|配图)|"
    r"(新华社发|新华社记者\S{0,8}摄|记者\S{0,8}摄|\s摄|供图|资料图片?|图片来源\S*)$")
_BYLINE = re.compile(r"^(本报记者|本报讯|本报通讯员|记者|通讯员|文\s*[/／]|作者\s*[:：])\s*(.*)$")
_CHAPTER = re.compile(r"^第[一二三四五六七八九十百零〇\d]+[编章节](\s|$)")


@dataclass
class RawBlock:
    """A block before normalisation: ``kind`` body/heading/caption, ``level`` for headings."""

    text: str
    kind: str = "body"
    level: int = 0


@dataclass
class IngestReport:
    """What :func:`load_paths` did: documents read, files that failed, duplicates skipped."""

    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id)


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
        raise DecodeError(f"is not a readable PDF ({type(e).__name__}: {_one_line(e)}).", path=path) from e
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
                if cur[-1] in _TERMINAL and len(cur) < 30:
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
        raise IngestError(f"could not be read ({type(e).__name__}: {_one_line(e)}).", path=name) from e


def _parse(data: bytes, name: str, suffix: str, meta: dict[str, Any] | None) -> Document:
    fm: dict[str, Any] = {}
    if suffix == ".pdf":
        fm, raw = _pdf_blocks(data, name)
    elif suffix == ".docx":
        fm, raw = _docx_blocks(data, name)
    else:
        text = decode_bytes(data, path=name)
        if suffix in (".html", ".htm"):
            fm, raw = _html_blocks(text, name)
        else:
            if suffix in (".md", ".markdown"):
                text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
                fm, text = _split_front_matter(text)
            raw = _text_blocks(text)
    fm.update(meta or {})
    raw, fm = statute.prepare(raw, fm, name)  # laws and policy files: title, header, articles
    return statute.annotate(assemble(raw, meta=fm, path=name))


def _one_line(e: BaseException, limit: int = 120) -> str:
    """An exception message on one short line."""
    msg = " ".join(str(e).split())
    return msg[:limit] + ("…" if len(msg) > limit else "")


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

    # label captions, bylines and implicit chapter headings
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
    # broken sentences: join an unterminated body paragraph with the next body paragraph
    merged: list[RawBlock] = []
    for b in blocks:
        prev = merged[-1] if merged else None
        if (prev is not None and prev.kind == "body" and b.kind == "body"
                and len(prev.text) >= 15 and not _ends_sentence(prev.text)):
            sep = " " if prev.text[-1].isascii() and prev.text[-1].isalnum() and b.text[0].isascii() else ""
            prev.text = prev.text + sep + b.text
            continue
        merged.append(b)

    parts: list[str] = []
    spans: list[dict[str, Any]] = []
    pos = 0
    for b in merged:
        if parts:
            parts.append("\n\n")
            pos += 2
        spans.append({"start": pos, "end": pos + len(b.text), "kind": b.kind, "level": b.level})
        parts.append(b.text)
        pos += len(b.text)
    text = "".join(parts)
    if not any(s["kind"] == "body" for s in spans):
        raise EmptyDocument("has no body text (only headings or captions).", path=path or None)
    title = str(meta.get("title") or "").strip()
    if not title:
        first = next((s for s in spans if s["kind"] == "heading"), None)
        title = text[first["start"]:first["end"]] if first and first["start"] == 0 else _file_title(path)
    meta.pop("title", None)
    doc_id = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Document(doc_id=doc_id, title=title or doc_id, text=text, path=path, meta=meta, blocks=spans)


# ---------------------------------------------------------------- folders

def iter_files(paths: Iterable[str | Path], skipped: list[IngestError] | None = None) -> list[Path]:
    """Expand folders (recursively, sorted) into supported files; skip hidden ones.

    A symlink inside a folder that points outside it is not followed (it is added to ``skipped``).
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
        else:
            out.append(p)
    return out


def load_paths(paths: Iterable[str | Path], *, loader=None) -> IngestReport:
    """Load every file under ``paths``; bad files are reported, never fatal.

    ``loader(path) -> Document`` reads one file (default :func:`load_file`; :mod:`rag.sandbox`
    has one that parses in a separate, limited process).

    Duplicates (same stored text under another name) are listed and dropped.
    """
    report = IngestReport()
    loader = loader or load_file
    seen: dict[str, str] = {}
    for f in iter_files(paths, report.errors):
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
