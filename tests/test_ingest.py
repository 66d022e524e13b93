"""Ingest of every format, encodings, bad input, and the sample article's layout repair."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from rag.errors import DecodeError, EmptyDocument, UnsupportedFormat
from rag.ingest import decode_bytes, load_file, load_paths, parse_bytes

from .conftest import CORPUS

FACT = "示例市数据局成立于2026年3月。它负责统筹全市公共数据资源。"
CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _pdf(text: str | None) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text is None:  # a "scan": drawing only, no text layer
        pdf.rect(20, 20, 100, 60, style="F")
    else:
        pdf.add_font("cjk", fname=str(CJK_FONT))
        pdf.set_font("cjk", size=12)
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def _docx(paragraphs: list[tuple[str, str | None]]) -> bytes:
    import docx

    d = docx.Document()
    for text, style in paragraphs:
        d.add_paragraph(text, style=style)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "big5"])
def test_text_encodings(encoding):
    text = "溫州人工智能局。" if encoding == "big5" else FACT
    doc = parse_bytes(text.encode(encoding), "a.txt")
    assert doc.text == text


def test_gbk_file_without_declaration(tmp_path):
    p = tmp_path / "政策 文件.txt"
    p.write_bytes(("标题\n\n" + FACT * 3).encode("gbk"))
    doc = load_file(p)
    assert FACT in doc.text and doc.path == str(p)


def test_markdown_front_matter_and_headings():
    md = f"---\ntitle: 示例政策\ndate: 2026-03-01\nauthor: 办公室\n---\n# 总则\n\n{FACT}\n\n## 附则\n\n本办法自发布之日起施行。\n"
    doc = parse_bytes(md.encode(), "p.md")
    assert doc.title == "示例政策"
    assert doc.meta["date"] == "2026-03-01" and doc.meta["author"] == "办公室"
    kinds = [(b["kind"], doc.text[b["start"]:b["end"]]) for b in doc.blocks]
    assert ("heading", "总则") in kinds and ("heading", "附则") in kinds
    assert "---" not in doc.text


def test_html_strips_scripts_and_keeps_text():
    html = (f"<html><head><title>数据局</title><script>alert(1)</script></head><body>"
            f"<h1>数据局</h1><p>{FACT}</p><figure><img src=x><figcaption>上图:数据局大楼</figcaption></figure>"
            "<p>&lt;b&gt;不是标签&lt;/b&gt;</p></body></html>")
    doc = parse_bytes(html.encode(), "x.html")
    assert doc.title == "数据局"
    assert FACT in doc.text and "alert" not in doc.text
    assert "<b>不是标签</b>" in doc.text  # entities decoded to text, still plain data
    assert any(b["kind"] == "caption" for b in doc.blocks)


@pytest.mark.skipif(not CJK_FONT.exists(), reason="Debian package fonts-wqy-microhei not installed")
def test_pdf_with_text_layer():
    doc = parse_bytes(_pdf(FACT), "a.pdf")
    assert FACT in doc.text


def test_pdf_without_text_layer_is_reported():
    with pytest.raises(EmptyDocument, match="OCR"):
        parse_bytes(_pdf(None), "scan.pdf")


def test_docx_headings_and_text():
    data = _docx([("示例政策", "Title"), ("第一章", "Heading 1"), (FACT, None)])
    doc = parse_bytes(data, "a.docx")
    assert doc.title == "示例政策" and FACT in doc.text
    assert ("heading", "第一章") in [(b["kind"], doc.text[b["start"]:b["end"]]) for b in doc.blocks]


def test_docx_that_is_a_zip_of_junk():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("junk.bin", b"\x00\x01garbage")
    with pytest.raises(DecodeError, match="docx"):
        parse_bytes(buf.getvalue(), "fake.docx")


@pytest.mark.parametrize("data", [b"", b"   \n\n  ", "\u3000\n".encode()])
def test_empty_files(data):
    with pytest.raises(EmptyDocument):
        parse_bytes(data, "empty.txt")


def test_binary_disguised_as_text():
    with pytest.raises(DecodeError, match="binary"):
        parse_bytes(bytes(range(256)) * 10, "photo.txt")


def test_unsupported_type():
    with pytest.raises(UnsupportedFormat, match="supported"):
        parse_bytes(b"x", "a.exe")


def test_full_width_and_whitespace_normalised():
    doc = parse_bytes("２０２６年，ＡＩ　产业\t\t发展。".encode(), "a.txt")
    assert doc.text == "2026年，AI 产业 发展。"


def test_decode_bytes_doctest_gbk():
    assert decode_bytes("温州".encode("gbk")) == "温州"


def test_folder_with_bad_file_and_duplicates(tmp_path):
    (tmp_path / "good.md").write_text(FACT, encoding="utf-8")
    (tmp_path / "copy of good.txt").write_text(FACT, encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01\x02" * 100)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "gbk.txt").write_bytes("另一份文件。内容不同。".encode("gbk"))
    (tmp_path / "ignored.exe").write_bytes(b"MZ")
    report = load_paths([tmp_path])
    assert len(report.documents) == 2
    assert len(report.duplicates) == 1
    assert sorted(Path(e.path).name for e in report.errors) == ["bad.txt", "empty.txt"]


def test_sample_article_layout_is_repaired():
    doc = load_file(CORPUS / "changsanjiao-ai-2026.md")
    assert doc.title.startswith("怎么发展人工智能产业")
    assert doc.meta["author"] == "朱凌君"
    # the sentence broken across a blank line comes out whole
    assert "上海社会科学院信息研究所副所长丁波涛分析" in doc.text
    kinds = {b["kind"]: doc.text[b["start"]:b["end"]] for b in doc.blocks}
    assert kinds["caption"].startswith("上图")
    assert kinds["byline"] == "本报记者 朱凌君"
    assert kinds["pullquote"].startswith("这一年,人工智能不再只是")
    assert kinds["decoration"] == "爆发"
    headings = [doc.text[b["start"]:b["end"]] for b in doc.blocks if b["kind"] == "heading"]
    assert headings == ["集中布局", "选择路径", "错位发展"]


def test_document_id_is_stable_and_content_based(tmp_path):
    a = parse_bytes(FACT.encode(), "a.txt")
    b = parse_bytes(FACT.encode("gbk"), "b.txt")
    assert a.doc_id == b.doc_id
    assert parse_bytes((FACT + "另").encode(), "a.txt").doc_id != a.doc_id


def test_front_matter_with_crlf_and_nested_dates():
    md = "---\r\ntitle: 示例\r\ntags: [2024-01-01]\r\nrevised:\r\n  - 2025-02-03\r\n---\r\n正文第一句。\r\n"
    doc = parse_bytes(md.encode(), "a.md")
    assert doc.title == "示例" and doc.text == "正文第一句。"
    assert doc.meta["tags"] == ["2024-01-01"] and doc.meta["revised"] == ["2025-02-03"]
