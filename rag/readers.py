"""Readers: the bytes of one file → raw blocks (heading, paragraph, caption) and front matter.

One reader per format: text (encoding detection: BOMs, UTF-8, GB18030/GBK, Big5, then a
statistical guess; binary data refused), Markdown with YAML front matter (aliases and deep
nesting refused), HTML (nesting depth bounded); .docx and .pdf are read by :mod:`rag.office`
(page, content and cell budgets; zip bombs refused by :func:`rag.office.check_zip`). Every
limit here exists because a hostile file hit it.

This module does not normalise, label captions or bylines, build the Document or read files from
disk: that is :mod:`rag.ingest`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import DecodeError, IngestError
from .statute import opens_article, opens_division, opens_policy_item

__all__ = ["MAX_BYTES", "SENTENCE_END", "TERMINAL", "RawBlock", "decode_bytes", "one_line", "opens_item",
           "read_blocks"]

MAX_BYTES = 20 * 1024 * 1024
"""Largest file read (20 MiB; ~7 million Chinese characters, hours of embedding on a CPU). Larger
files are refused with advice to split them: one document that size would also make a poor source."""

TERMINAL = frozenset("。！？!?…；;：:”’」』）)》】]\"'")
"""Characters that end a sentence or a quoted/bracketed run."""
SENTENCE_END = frozenset("。！？!?…；;：:")
"""Characters that end a sentence (or a clause before a list). A closing 》 ” ） alone ends none: ``《…》`` then
a line break then ``第十二条第二款`` is one sentence wrapped, the way Chinese cites a law."""
_CLOSERS = "”’」』）)》】]\"'"


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


def opens_item(line: str, prev: str, *, first: bool = False) -> bool:
    """Whether ``line`` starts a new block after ``prev``, the line before it in one paragraph of a file written
    one item a line (``first``: ``prev`` is the file's first line, its title).

    - 一、 or （一） starts one after a line that ends a sentence or a quoted run (:data:`TERMINAL`) or is shorter than
      30 characters (a heading: 一、总则 then （一）…);
    - an article or a 编/章/节 heading, in the shapes :mod:`rag.statute` reads (not 第十二条第二款规定的, 第二节课),
      starts one after a sentence end (:data:`SENTENCE_END`, closing quotes after it allowed), or after a line shorter
      than 30 characters that is the title or itself opens an item or a division (第一章 总则 then 第一条…). A short
      line alone is no reason: 公文 lines are 28 characters, and 劳动者可以依照 / 第三十八条… is one sentence wrapped.

    >>> opens_item("（二）养殖用水每吨三元。", "（一）生活用水每吨二元。"), opens_item("一、总则", "")
    (True, False)
    >>> opens_item("第十二条第二款规定的，由区主管部门责令改正。", "《示例市物业管理条例》")
    False
    >>> opens_item("第三十九条 劳动者有下列情形之一的……", "劳动者可以依照"), opens_item("第一条 为了……", "第一章 总则")
    (False, True)
    >>> opens_item("第一条 为了……", "示例市物业管理条例", first=True)
    True
    """
    line, prev = line.strip(), prev.strip()
    if not prev:
        return False
    if opens_policy_item(line):
        return prev[-1] in TERMINAL or len(prev) < 30
    if not (opens_article(line) or opens_division(line)):
        return False
    ended = prev.rstrip(_CLOSERS)
    if ended and ended[-1] in SENTENCE_END:
        return True
    return len(prev) < 30 and (first or opens_policy_item(prev) or opens_division(prev))


def _text_blocks(text: str) -> list[RawBlock]:
    """Plain text / Markdown → blocks split at blank lines and before item lines (:func:`opens_item`: a policy
    file or a statute written one item a line); ``#`` lines are headings."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    blocks: list[RawBlock] = []
    for para in re.split(r"\n[ \t\u3000]*\n", text):
        lines = para.split("\n")
        body: list[str] = []
        filled = 0
        for line in lines:
            m = _HEADING.match(line)
            if m:
                if body:
                    blocks.append(RawBlock("\n".join(body)))
                    body, filled = [], 0
                blocks.append(RawBlock(_heading_text(m.group(2)), "heading", len(m.group(1))))
            else:
                if filled and opens_item(line, body[-1], first=not blocks and filled == 1):
                    blocks.append(RawBlock("\n".join(body)))
                    body, filled = [], 0
                body.append(line)
                filled += bool(line.strip())  # lines with text in body (a join per line was quadratic)
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


def read_blocks(data: bytes, name: str, suffix: str) -> tuple[dict[str, Any], list[RawBlock]]:
    """Front matter and raw blocks of a file's bytes, read by the reader for ``suffix``."""
    if suffix in (".pdf", ".docx"):
        from .office import docx_blocks, pdf_blocks  # the packaged formats

        return (pdf_blocks if suffix == ".pdf" else docx_blocks)(data, name)
    text = decode_bytes(data, path=name)
    if suffix in (".html", ".htm"):
        return _html_blocks(text, name)
    fm: dict[str, Any] = {}
    if suffix in (".md", ".markdown"):
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
        fm, text = _split_front_matter(text)
    return fm, _text_blocks(text)
