"""A generated corpus of hostile files: each kind found in review, plus others of the same families.

:func:`hostile_files` returns ``{file name: bytes}``; nothing is stored in the repository.
Each file is small to send (≤ 21 MB, most a few KB) and was, or could be, expensive to read:
catastrophic regex backtracking, YAML alias bombs, quadratic scans, zip and stream bombs,
deep nesting, shared content streams, junk that makes parsers raise odd exceptions.
Used by ``tests/test_hostile.py`` and ``bench/bench_hostile.py``.
"""

from __future__ import annotations

import functools
import io
import os
import random
import zlib
import zipfile

__all__ = ["hostile_files"]

_CT = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
       'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
       'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName='
       '"/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
       'document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.'
       'openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
         '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
         '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
_DOC_RELS = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
             'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
             'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>')
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx(body: str, styles: str = "", *, prolog: str = "", extra: dict[str, bytes] | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("word/_rels/document.xml.rels", _DOC_RELS)
        z.writestr("word/styles.xml", f'<?xml version="1.0" encoding="UTF-8"?><w:styles {_W}>{styles}</w:styles>')
        z.writestr("word/document.xml", f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document {_W}>'
                                        f"<w:body>{body}</w:body></w:document>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def _para(text: str, style: str | None = None) -> str:
    ppr = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{ppr}<w:r><w:t>{text}</w:t></w:r></w:p>"


def _pdf(pages: list[int], streams: list[bytes], *, filters: dict[int, str] | None = None,
         page_extra: str = "") -> bytes:
    """A hand-written PDF: page i draws content stream ``pages[i]``; one Helvetica font."""
    objs: list[bytes] = []
    n_pages, first_stream = len(pages), 4 + len(pages)
    kids = " ".join(f"{4 + i} 0 R" for i in range(n_pages))
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objs.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for s in pages:
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
                    f"/Contents {first_stream + s} 0 R {page_extra}>>".encode())
    for i, data in enumerate(streams):
        f = (filters or {}).get(i)
        head = f"<< /Length {len(data)}" + (f" /Filter /{f}" if f else "") + " >>"
        objs.append(head.encode() + b"\nstream\n" + data + b"\nendstream")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + o + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def _text_ops(n: int) -> bytes:
    return b"BT /F1 12 Tf 72 700 Td " + b"(Hello world, a line of text.) Tj 0 -14 Td " * n + b"ET"


@functools.lru_cache(maxsize=1)
def hostile_files() -> dict[str, bytes]:
    """Every hostile file, by name (deterministic)."""
    rnd = random.Random(12)
    f: dict[str, bytes] = {}
    body = "正文第一段。\n\n"
    # --- regex and text-scan blowups (review findings)
    f["redos_heading.md"] = ("# a" + " " * 20000 + "x\n\n" + body).encode()
    f["redos_heading_many.md"] = (("# 标题" + " " * 3000 + "#x\n") * 80 + body).encode()
    f["pullquote_quadratic.txt"] = "\n\n".join(f"第{i}段没有句号的文字内容{i * 7919}" for i in range(8000)).encode()
    f["pullquote_repeated.txt"] = "\n\n".join(["重复的一段没有句号的文字"] * 20000).encode()
    f["blank_lines.txt"] = ("甲。" + "\n \n" * 200_000 + "乙。").encode()
    f["no_punctuation_line.txt"] = ("啊" * 300_000).encode()
    f["combining_marks.txt"] = ("a" + "\u0301" * 200_000 + "。").encode()
    # --- YAML front matter
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [" + ",".join([f"*{prev}"] * 9) + "]")
    f["yaml_alias_bomb.md"] = ("---\n" + "\n".join(lines) + "\n---\n" + body).encode()
    f["yaml_deep_nesting.md"] = ("---\na: " + "[" * 20000 + "]" * 20000 + "\n---\n" + body).encode()
    f["yaml_deep_mapping.md"] = ("---\n" + "".join(" " * i + f"k{i}:\n" for i in range(400)) + "---\n"
                                 + body).encode()
    f["yaml_huge_front_matter.md"] = ("---\n" + "k: " + "x" * 2_000_000 + "\n---\n" + body).encode()
    f["yaml_python_tag.md"] = ("---\nx: !!python/object/apply:os.system ['echo pwned']\n---\n" + body).encode()
    # --- HTML
    f["html_deep_divs.html"] = ("<html><body>" + "<div>" * 10000 + "深处的文字。" + "</div>" * 10000
                                + "</body></html>").encode()
    f["html_deep_spans.html"] = ("<p>" + "<span>" * 50000 + "文字。" + "</span>" * 50000 + "</p>").encode()
    f["html_unclosed_blocks.html"] = ("<body>" + "<section><p>段落。" * 5000 + "</body>").encode()
    f["html_many_attributes.html"] = ("<p " + " ".join(f"a{i}='{i}'" for i in range(100_000)) + ">文字。</p>").encode()
    # --- DOCX
    styles = "".join(f'<w:style w:type="paragraph" w:styleId="S{i}"><w:name w:val="Style {i}"/></w:style>'
                     for i in range(2000))
    f["docx_many_paragraphs.docx"] = _docx("".join(_para(f"段落{i}。", f"S{i % 2000}") for i in range(20000)), styles)
    f["docx_zip_bomb.docx"] = _docx(_para("正文。"), extra={"word/media/bomb.bin": b"\0" * 30_000_000})
    f["docx_deflate_bomb_document.docx"] = _docx(_para("正文。") + "<w:p/>" * 3_000_000)
    f["docx_entity_bomb.docx"] = _docx(
        _para("&e9;"), prolog='<!DOCTYPE d [<!ENTITY e0 "lol">' + "".join(
            f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, 10)) + "]>")
    f["docx_many_entries.docx"] = _docx(_para("正文。"), extra={f"junk/{i}.xml": b"<a/>" for i in range(6000)})
    f["docx_not_a_zip.docx"] = os.urandom(0) + bytes(rnd.getrandbits(8) for _ in range(4096))
    f["docx_truncated.docx"] = _docx(_para("正文。"))[:300]
    # --- PDF
    f["pdf_shared_content_stream.pdf"] = _pdf([0] * 40, [zlib.compress(_text_ops(30000), 9)], filters={0: "FlateDecode"})
    f["pdf_many_pages.pdf"] = _pdf([0] * 5000, [_text_ops(1)])
    f["pdf_flate_bomb.pdf"] = _pdf([0], [zlib.compress(b" " * 100_000_000, 6)], filters={0: "FlateDecode"})
    f["pdf_garbage.pdf"] = b"%PDF-1.7\n" + bytes(rnd.getrandbits(8) for _ in range(8192))
    f["pdf_deep_arrays.pdf"] = _pdf([0], [_text_ops(1)], page_extra="/X " + "[" * 50000 + "]" * 50000 + " ")
    f["pdf_truncated.pdf"] = _pdf([0], [_text_ops(10)])[:200]
    # --- encodings, binary, size
    f["binary_as_text.txt"] = bytes(rnd.getrandbits(8) for _ in range(65536))
    f["nul_bytes.md"] = b"# title\n\0\0\0" * 1000
    f["bad_utf16_bom.txt"] = b"\xff\xfe" + b"\x00\xd8" * 1001
    f["oversize_21mb.txt"] = b"a" * (21 * 1024 * 1024)
    f["empty.txt"] = b""
    f["../../../etc/passwd.md"] = ("# 路径穿越\n\n" + body).encode()
    f["unsupported.exe"] = b"MZ" + b"\0" * 100
    return f
