"""Round-11 review: defects found in the round's diff, each pinned by a test that failed before its fix."""

from __future__ import annotations

import time

import pytest

from rag.filters import FilterError, Filters


@pytest.mark.parametrize("date", ["2020-5" + " " * 50_000 + "x", "2020年5月1" + " " * 50_000 + "x"])
def test_a_long_filter_date_is_refused_quickly(date):
    # the date pattern had two adjacent \s* runs: a 50k-character date (no length cap on the HTTP field) took ~12 s
    t0 = time.perf_counter()
    with pytest.raises(FilterError):
        Filters(date_from=date).normalised()
    assert time.perf_counter() - t0 < 1.0


@pytest.mark.parametrize("date", ["2020-13", "2020-00", "2020-05-32", "2020-02-00"])
def test_an_iso_date_out_of_range_is_refused_like_its_chinese_form(date):
    # 2020年13月 was refused but 2020-13 passed unchecked (and then matched no document)
    with pytest.raises(FilterError) as e:
        Filters(date_from=date).normalised()
    assert e.value.field == "date"


def _zip_bytes(text: str = "示例市数据局成立于2026年3月。它负责统筹全市公共数据资源。" * 20) -> bytearray:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", text)
    return bytearray(buf.getvalue())


def _encrypted(data: bytearray) -> bytearray:
    data[6] |= 1  # the encrypted flag, in the local header and in the central directory
    data[data.find(b"PK\x01\x02") + 8] |= 1
    return data


def _deflate64(data: bytearray) -> bytearray:
    import struct

    struct.pack_into("<H", data, 8, 9)  # compression method 9, which zipfile cannot read
    struct.pack_into("<H", data, data.find(b"PK\x01\x02") + 10, 9)
    return data


def _corrupt(data: bytearray) -> bytearray:
    start = 30 + len("a.txt")  # the compressed stream after the local header
    data[start:start + 8] = b"\xff" * 8
    return data


@pytest.mark.parametrize("damage", [_encrypted, _deflate64, _corrupt])
def test_an_unreadable_zip_member_is_an_ingest_error_not_a_traceback(tmp_path, damage):
    # `rag index x.zip` printed a RuntimeError / NotImplementedError / zlib.error traceback and left x-….partial
    from rag.archive import expand_archives
    from rag.errors import IngestError

    src = tmp_path / "x.zip"
    src.write_bytes(bytes(damage(_zip_bytes())))
    with pytest.raises(IngestError, match="not a readable archive"):
        expand_archives([str(src)], tmp_path / "home")
    assert not list((tmp_path / "home" / "sources").glob("*"))


def test_the_ui_headline_of_an_inverted_date_range_is_not_a_format_complaint():
    # 2021 → 2020-06 is well written; the UI said 日期格式不对 (the date format is wrong) for it
    from ui.messages import friendly

    with pytest.raises(FilterError) as e:
        Filters(date_from="2021", date_to="2020-06").normalised()
    assert "开始日期" in friendly(e.value) and "结束日期" in friendly(e.value)
    with pytest.raises(FilterError) as e:
        Filters(date_from="2020年13月").normalised()
    assert "2020-05" in friendly(e.value)  # a malformed date still gets the forms that are read


def test_a_current_file_of_nul_bytes_is_reported_as_half_written(tmp_path):
    # a crash can leave the file zero-filled instead of empty (XFS, ext4 data=writeback); it was reported as
    # "points at \x00\x00…, which is missing" instead of naming the newest complete generation
    from rag.errors import IndexCorrupt
    from rag.generation import current_generation

    gen = tmp_path / "gen-20261130T000000-abcdef"
    gen.mkdir()
    (gen / "manifest.json").write_text("{}", encoding="utf-8")
    (tmp_path / "CURRENT").write_bytes(b"\0" * len(gen.name))
    with pytest.raises(IndexCorrupt, match="half-written") as e:
        current_generation(tmp_path)
    assert gen.name in str(e.value) and "\0" not in str(e.value)


def test_an_uploaded_zip_with_a_damaged_member_is_a_row_not_an_exception(tmp_path):
    # the library's upload read a damaged deflate stream with z.read: zlib.error escaped the upload handler
    from ui.library import MAX_FILES, MAX_TOTAL_BYTES, MAX_UPLOAD_BYTES, _expand

    src = tmp_path / "x.zip"
    src.write_bytes(bytes(_corrupt(_zip_bytes())))
    rows = _expand([src], MAX_UPLOAD_BYTES, MAX_FILES, MAX_TOTAL_BYTES)
    assert len(rows) == 1 and rows[0].data is None and "压缩包无法读取" in rows[0].error, rows
