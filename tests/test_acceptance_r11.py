"""Defects found by walking the product as a new user (round 11), each pinned by a test.

- Zip archives whose member names carry no UTF-8 flag — what Info-ZIP on Linux and
  macOS write for UTF-8 names, and what Windows writes in GBK — were read as cp437:
  `rag index x.zip` failed on the whole archive ("File name too long") and the upload
  report listed mojibake names.
- The library catalogue: its status line kept the count of server start after an
  upload or on a new page load; a new search or type kept the old page number; a
  title search did not match ASCII parentheses for full-width ones or several words.
- `rag chat` cited a law article as "title / chapter", without its 《…》第X条 label.
- A malformed date in the UI's filters was reported as "no document matches".
- A plain-text notice's first line (its title) was glued to the first sentence.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from rag.archive import expand_archives
from rag.ingest import parse_bytes

# ---------------------------------------------------------------- zip member names


def _zip_with_raw_names(members: list[tuple[bytes, str]]) -> bytes:
    """A zip whose member names are the given raw bytes with flag bit 11 (UTF-8) clear, as
    Info-ZIP (LANG=C) and Windows' own zip write them. zipfile always sets the flag for non-ASCII
    names, so the names are written as ASCII placeholders of the same length and patched."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for i, (raw, text) in enumerate(members):
            z.writestr(f"#{i}#".ljust(len(raw), "~"), text.encode("utf-8"))
    blob = buf.getvalue()
    for i, (raw, _) in enumerate(members):
        placeholder = f"#{i}#".ljust(len(raw), "~").encode()
        assert blob.count(placeholder) == 2  # local header + central directory
        blob = blob.replace(placeholder, raw)
    return blob


LONG = "最高人民法院关于对为索取法律不予保护的债务非法拘禁他人行为如何定罪问题的解释(2000-07-13).md"
MEMBERS = [("政策文件一.txt".encode("gbk"), "示例市数据局通知\n\n一、支持企业开展数据标注，每家最高补助50万元。"),
           ("法规/通知二.txt".encode("utf-8"), "示例区教育局今年秋季学期于9月1日开学。"),
           (LONG.encode("utf-8"), "# 示例解释\n\n本解释自公布之日起施行。")]


def test_zip_names_without_utf8_flag_are_read_as_their_creator_wrote_them(tmp_path):
    src = tmp_path / "laws.zip"
    src.write_bytes(_zip_with_raw_names(MEMBERS))
    assert all(not i.flag_bits & 0x800 for i in zipfile.ZipFile(src).infolist())
    folder = Path(expand_archives([str(src)], tmp_path / "home")[0])  # raised "File name too long" before
    names = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert names == sorted(["政策文件一.txt", "法规/通知二.txt", LONG])


def test_uploaded_zip_lists_its_members_by_their_real_names(tmp_path):
    from ui.library import _expand

    src = tmp_path / "上传.zip"
    src.write_bytes(_zip_with_raw_names(MEMBERS))
    got = _expand([src], 20 * 2**20, 50, 100 * 2**20)
    assert [x.original for x in got] == [f"上传.zip/{n}" for n in ("政策文件一.txt", "法规/通知二.txt", LONG)]
    assert [x.name for x in got][:2] == ["政策文件一.txt", "通知二.txt"] and not any(x.error for x in got)


# ---------------------------------------------------------------- library catalogue


def test_catalogue_search_ignores_width_of_brackets_and_matches_every_word():
    from ui.catalog import catalog_page

    rows = [["中华人民共和国刑法修正案（十）", "", 1, 1, "", "a"], ["中华人民共和国劳动合同法", "", 1, 1, "", "b"],
            ["劳动合同法实施条例", "", 1, 1, "", "c"]]
    assert [r[-1] for r in catalog_page(rows, {}, query="刑法修正案(十)").rows] == ["a"]
    assert [r[-1] for r in catalog_page(rows, {}, query="劳动  条例").rows] == ["c"]
    assert [r[-1] for r in catalog_page(rows, {}, query="ＡＢＣ").rows] == []


@pytest.fixture
def ui_handlers(sample_home):
    from rag.qa import Searcher
    from ui.app import _Handlers
    from ui.staff import StaffGate

    return _Handlers(Searcher(sample_home), StaffGate(None))


def test_catalogue_status_follows_the_index_after_a_change(ui_handlers, sample_home, embedder, tmp_path):
    from rag.update import update_index

    before = ui_handlers.refresh_docs()
    n0 = len(before[0])
    assert any(f"共 {n0} 篇" in str(x) for x in before), before  # the status line is refreshed too
    doc = tmp_path / "新通知.md"
    doc.write_text("# 示例通知\n\n示例县图书馆周一闭馆。\n", encoding="utf-8")
    update_index([doc], home=sample_home, embedder=embedder, progress=False)
    after = ui_handlers.refresh_docs()
    assert any(f"共 {n0 + 1} 篇" in str(x) for x in after), after


def test_catalogue_new_search_or_type_starts_at_page_one(ui_handlers):
    rows, page, status = ui_handlers.show_catalog("", "全部类型", 7)
    assert page == 1  # one page only: clamped
    # a new query or type is always shown from its first page
    rows, page, status = ui_handlers.new_catalog_query("怎么", "全部类型", 3)
    assert page == 1 and "第 1/" in status


# ---------------------------------------------------------------- UI filter messages


def test_bad_filter_value_is_not_reported_as_no_match(sample_index):
    from rag.filters import FilterError, Filters, document_mask
    from ui.app import friendly

    def message(f: Filters) -> str:
        with pytest.raises(FilterError) as e:
            document_mask(sample_index, f)
        return friendly(e.value)

    assert "日期格式" in message(Filters(date_from="garbage"))
    assert "没有这个名称" in message(Filters(law="不存在的法"))
    assert "没有符合" in message(Filters(date_from="2099"))


# ---------------------------------------------------------------- rag chat shows article labels

LAW = """# 中华人民共和国示例法

2020年1月1日第十三届全国人民代表大会常务委员会第一次会议通过

<!-- INFO END -->

## 第一章 总则

第一条 为了规范示例行为，制定本法。

第二条 公民申请示例证件，应当向户籍所在地的示例管理机构提出，示例管理机构应当在十五日内办结。
"""


def test_rag_chat_cites_law_articles_by_label(tmp_path, embedder):
    from click.testing import CliRunner

    from rag.cli import main
    from rag.update import update_index

    law = tmp_path / "laws" / "中华人民共和国示例法(2020-01-01).md"
    law.parent.mkdir()
    law.write_text(LAW, encoding="utf-8")
    home = tmp_path / "home"
    update_index([law.parent], home=home, embedder=embedder, progress=False)
    out = CliRunner().invoke(main, ["chat", "--home", str(home)], input="示例证件向哪里申请？\n")
    assert out.exit_code == 0, out.output
    assert "《中华人民共和国示例法》第二条" in out.output.split("[1]", 2)[-1], out.output


# ---------------------------------------------------------------- plain-text title line


def test_title_line_of_a_plain_text_notice_is_not_glued_to_the_first_sentence():
    text = "示例县人民政府关于做好冬季供暖工作的通知\n\n示例县今年冬季集中供暖时间为11月15日至次年3月15日。\n"
    doc = parse_bytes(text.encode("gbk"), "公告.txt")
    assert doc.title == "示例县人民政府关于做好冬季供暖工作的通知"
    assert "通知示例县" not in doc.text
    # a sentence broken across a blank line later in the text is still joined
    broken = "标题\n\n中国科学技术信息研究所的研究人员说,该所副所长\n\n在会上介绍了研究成果。\n"
    assert "该所副所长在会上" in parse_bytes(broken.encode(), "b.txt").text


# ---------------------------------------------------------------- upload reasons through the sandbox


def test_sandboxed_upload_failures_keep_their_plain_chinese_reason(tmp_path):
    """The sandbox re-raised every reader error as a bare IngestError, so the upload report showed the
    library's English detail instead of the UI's reason for an empty or binary file."""
    from rag.sandbox import Sandbox
    from ui.library import add_uploads

    (tmp_path / "空.md").write_bytes(b" \n")
    (tmp_path / "乱码.txt").write_bytes(bytes(range(256)) * 8)
    sandbox = Sandbox()
    try:
        result = add_uploads([tmp_path / "空.md", tmp_path / "乱码.txt"], tmp_path / "home", sandbox=sandbox)
    finally:
        sandbox.close()
    reasons = {name: why for name, status, why in result.rows}
    assert reasons == {"空.md": "文件里没有可读的文字（空文件或扫描版 PDF？）", "乱码.txt": "无法识别文字编码，或不是文本文件"}


# ---------------------------------------------------------------- archive bombs on the command line


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_rag_index_refuses_an_archive_that_unpacks_past_the_limit(tmp_path, monkeypatch, kind):
    """`rag index bomb.zip` unpacked everything into $RAG_HOME/sources before any check (the upload
    path has zip-bomb checks; the command line had none): a small archive could fill the disk."""
    import tarfile

    import rag.archive
    from rag.errors import IngestError

    monkeypatch.setattr(rag.archive, "MAX_ARCHIVE_BYTES", 2 * 2**20)
    src = tmp_path / f"bomb.{kind}"
    if kind == "zip":
        with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("ok.txt", "示例县图书馆周一闭馆。")
            z.writestr("zeros.txt", b"0" * (3 * 2**20))
    else:
        (tmp_path / "zeros.txt").write_bytes(b"0" * (3 * 2**20))
        with tarfile.open(src, "w:gz") as t:
            t.add(tmp_path / "zeros.txt", arcname="zeros.txt")
    assert src.stat().st_size < 2**20
    with pytest.raises(IngestError, match="unpacks to"):
        expand_archives([str(src)], tmp_path / "home")
    assert not any((tmp_path / "home").rglob("zeros.txt"))


# ---------------------------------------------------------------- rag serve away from the repository


def test_rag_serve_without_index_or_corpus_says_what_to_do(tmp_path, monkeypatch):
    """`rag serve` run outside the repository (no ./index, no ./corpus) said only "corpus does not exist"."""
    from click.testing import CliRunner

    from rag.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RAG_HOME", raising=False)
    out = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert out.exit_code == 1
    assert "--corpus" in out.output and "RAG_HOME" in out.output and "rag index" in out.output, out.output
    assert not (tmp_path / "index").exists()


# ---------------------------------------------------------------- date filters as people write them


def test_date_filters_read_chinese_dates_and_refuse_an_inverted_range():
    from rag.filters import FilterError, Filters

    f = Filters(date_from="2020年5月", date_to="2021/6/30").normalised()
    assert (f.date_from, f.date_to) == ("2020-05", "2021-06-30")
    assert Filters(date_from="2020年5月1日").normalised().date_from == "2020-05-01"
    with pytest.raises(FilterError) as e:
        Filters(date_from="2021", date_to="2020-06").normalised()
    assert e.value.field == "date" and "after" in str(e.value)
    with pytest.raises(FilterError):
        Filters(date_from="五月").normalised()
