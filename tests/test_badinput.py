"""Bad input through the CLI, as a user would type it: a clear message or a safe answer, never a traceback.

Questions: empty, whitespace, 100,000 characters, control characters and
lone surrogates, English, traditional Chinese, mixed, emoji. Files: empty,
binary disguised as .txt, GBK without a declaration, a PDF without a text
layer, 50 MB of text, a .docx that is a zip of junk, duplicates, names with
spaces, Chinese and undecodable bytes.
"""

from __future__ import annotations

import io
import json
import os
import zipfile

import pytest
from click.testing import CliRunner

from rag.errors import IngestError
from rag.index import open_index
from rag.ingest import MAX_BYTES, load_file

GBK_FACT = "示例市数据局成立于2026年3月。它负责统筹全市公共数据资源。"
OTHER_FACT = "乙市交通局今年新开通三条公交线路，覆盖东部新城。"
NAME_FACT = "丙县图书馆周末开放到晚上九点，借书证免费办理。"


def _ask(home, question, *extra):
    return CliRunner().invoke(main_cli(), ["ask", "--home", str(home), *extra, question])


def main_cli():
    from rag.cli import main

    return main


def _clean_exit(res) -> None:
    """Exited on purpose (0, or 1 with a message), not with an exception."""
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output


@pytest.mark.parametrize("question, advice", [
    ("", "empty"),
    ("  \t\n\u3000 ", "empty"),
    ("问" * 100_000, "limit is"),
])
def test_unusable_questions_get_advice(built_home, question, advice):
    res = _ask(built_home, question)
    _clean_exit(res)
    assert res.exit_code == 1 and advice in res.output


@pytest.mark.parametrize("question, answerable", [
    ("温州\x00\x07人工智能局\ud800做什么", True),
    ("溫州人工智慧局做什麼", True),
    ("🤖温州人工智能局做什么？🔥", True),
    ("温州 AI 局（人工智能局）是做什么的?", True),
    ("What does the Wenzhou AI bureau do?", None),
    ("😀😀😀", None),
])
def test_odd_questions_are_answered_safely(built_home, question, answerable):
    res = _ask(built_home, question, "--json")
    _clean_exit(res)
    assert res.exit_code == 0, res.output
    ans = json.loads(res.stdout)
    if answerable:
        assert ans["answerable"] and "人工智能局" in ans["answer"]
    assert "\ud800" not in ans["question"]
    plain = _ask(built_home, question)  # the human-readable output must print too
    _clean_exit(plain)
    assert plain.exit_code == 0


def _junk_docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("junk.bin", b"\x00\x01garbage")
    return buf.getvalue()


def _scan_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    return bytes(pdf.output())


def test_folder_of_bad_files_indexes_the_good_ones(rag_home, tmp_path):
    docs = tmp_path / "资料 文件夹"
    docs.mkdir()
    (docs / "empty.txt").write_bytes(b"")
    (docs / "photo.txt").write_bytes(bytes(range(256)) * 40)
    (docs / "扫描件.pdf").write_bytes(_scan_pdf())
    (docs / "fake.docx").write_bytes(_junk_docx())
    with open(docs / "huge log.txt", "wb") as f:  # 50 MB of real text
        block = ("温州人工智能局统筹推进算力建设。\n" * 20_000).encode()
        while f.tell() < 50 * 2**20:
            f.write(block)
    (docs / "政策 原件.txt").write_bytes(("数据局\n\n" + GBK_FACT).encode("gbk"))  # GBK, no declaration
    (docs / "政策 副本.txt").write_bytes(("数据局\n\n" + GBK_FACT).encode("gbk"))  # duplicate
    (docs / "交通 news.md").write_text(OTHER_FACT, encoding="utf-8")
    undecodable = os.fsencode(docs) + b"/" + "图书馆".encode("gbk") + b".txt"  # not UTF-8
    with open(undecodable, "wb") as f:
        f.write(NAME_FACT.encode())

    runner = CliRunner()
    res = runner.invoke(main_cli(), ["index", "--quiet", str(docs)])
    _clean_exit(res)
    assert res.exit_code == 0, res.output
    for line in ("added: 3", "updated: 0", "removed: 0", "unchanged: 0", "skipped: 5", "duplicates: 1"):
        assert f"  {line}" in res.stdout, res.stdout
    for name, reason in [("empty.txt", "empty"), ("photo.txt", "binary"), ("扫描件.pdf", "OCR"),
                         ("fake.docx", "not a valid .docx"), ("huge log.txt", "Split it")]:
        line = next(ln for ln in res.stderr.splitlines() if name in ln)
        assert reason in line, line
    idx = open_index(rag_home)
    assert sorted(d.title for d in idx.documents.values()) == ["交通 news", "图书馆", "政策 副本"]  # the first of the two copies

    res = runner.invoke(main_cli(), ["docs"])
    _clean_exit(res)
    assert res.exit_code == 0 and "政策 副本.txt" in res.output and "?" in res.output
    json.loads(runner.invoke(main_cli(), ["docs", "--json"]).stdout)

    for q, fact in [("示例市数据局什么时候成立", "2026年3月"), ("丙县图书馆周末开放到几点", "九点")]:
        ans = json.loads(_ask(rag_home, q, "--json").stdout)
        assert ans["answerable"] and fact in ans["answer"]

    # a file that turns bad later is reported; its indexed version is kept, even with --sync
    (docs / "交通 news.md").write_bytes(b"\x00" * 100)
    res = runner.invoke(main_cli(), ["index", "--quiet", "--sync", str(docs)])
    assert res.exit_code == 0 and "removed: 0" in res.stdout and "交通 news.md" in res.stderr
    assert "交通 news" in {d.title for d in open_index(rag_home).documents.values()}


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    import builtins
    import io
    import pathlib

    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: costs no disk and no time
    reads = []

    def guard(real):
        def wrapper(self_or_file, *a, **k):
            target = self_or_file if isinstance(self_or_file, (str, bytes, pathlib.PurePath)) else None
            if target is not None and pathlib.Path(target) == big:
                reads.append(real.__name__)
                raise AssertionError("the oversized file was opened before its size was checked")
            return real(self_or_file, *a, **k)
        wrapper.__name__ = real.__name__
        return wrapper

    monkeypatch.setattr(pathlib.Path, "read_bytes", guard(pathlib.Path.read_bytes))
    monkeypatch.setattr(pathlib.Path, "open", guard(pathlib.Path.open))
    monkeypatch.setattr(builtins, "open", guard(builtins.open))
    monkeypatch.setattr(io, "open", guard(io.open))
    with pytest.raises(IngestError, match="limit is 20 MB.*Split"):
        load_file(big)
    assert reads == []
