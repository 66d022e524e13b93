"""Defects found by the review of round 12's diff, each pinned by a test that failed before its fix.

- archives: a damaged .tar.xz (``LZMAError``) and a tar header whose mtime overflows escaped as tracebacks and left
  ``*.partial`` folders; link/device/unknown-type headers were not counted against the entry cap or the size
  budget (a tar of empty links filled memory; an unknown type's declared data was inflated to be skipped);
- ``rag feedback`` printed a reader's comment with its terminal escape sequences;
- the UI headline for every ``QueryError`` said the question was empty or too long, and hid the detail that says
  what to fix (an unknown document id, an unreadable query adapter);
- the previous answer's passage was looked up only when no ``Filters`` object was passed — the UI and HTTP always
  pass one.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
from pathlib import Path

import pytest

from rag.archive import expand_archives, open_archive
from rag.errors import ArchiveError, IngestError, QueryError, QuestionError


def _damaged_xz(path: Path) -> Path:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:xz") as t:
        for i in range(3):
            data = os.urandom(50_000)
            info = tarfile.TarInfo(f"f{i}.txt")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    raw = bytearray(buf.getvalue())
    for j in range(len(raw) // 2, len(raw) // 2 + 64):
        raw[j] ^= 0xFF
    path.write_bytes(bytes(raw))
    return path


def _overflowing_mtime(path: Path) -> Path:
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("a.txt")
        info.size = 3
        info.pax_headers = {"mtime": "1e30"}
        t.addfile(info, io.BytesIO(b"abc"))
    return path


def test_a_damaged_xz_tar_is_an_archive_error_when_opened(tmp_path):
    src = _damaged_xz(tmp_path / "bad.tar")
    with pytest.raises(ArchiveError) as e:
        with open_archive(src) as a:
            for m in a.members:
                a.read(m)
    assert e.value.reason == "damaged"


@pytest.mark.parametrize("make", [_damaged_xz, _overflowing_mtime])
def test_a_bad_tar_given_to_rag_index_is_an_ingest_error_and_leaves_no_partial_folder(tmp_path, make):
    src = make(tmp_path / "bad.tar")
    home = tmp_path / "home"
    with pytest.raises(IngestError):
        expand_archives([str(src)], home)
    assert not [p for p in (home / "sources").rglob("*") if p.name.endswith(".partial")]


def test_link_headers_count_against_the_entry_cap(tmp_path):
    src = tmp_path / "links.tgz"
    with tarfile.open(src, "w:gz") as t:
        for i in range(50):
            info = tarfile.TarInfo(f"l{i}")
            info.type, info.linkname = tarfile.SYMTYPE, "x"
            t.addfile(info)
    with pytest.raises(ArchiveError) as e:
        with open_archive(src, max_entries=10):
            pass
    assert e.value.reason == "too_many"


def test_an_unknown_member_type_counts_against_the_size_budget(tmp_path):
    info = tarfile.TarInfo("big.txt")
    info.type, info.size = b"Z", 4 * 2**20
    src = tmp_path / "unk.tgz"
    with gzip.open(src, "wb") as g:
        g.write(info.tobuf(tarfile.GNU_FORMAT) + b"\0" * (info.size + 1024))
    with pytest.raises(ArchiveError) as e:
        with open_archive(src, limit=2**20):
            pass
    assert e.value.reason == "too_big"


def test_extracted_tar_members_get_no_modes_from_the_archive(tmp_path):
    src = tmp_path / "modes.tar"
    with tarfile.open(src, "w") as t:
        info = tarfile.TarInfo("run.txt")
        info.size, info.mode = 3, 0o4777  # setuid, world-writable
        t.addfile(info, io.BytesIO(b"abc"))
    (folder,) = expand_archives([str(src)], tmp_path / "home")
    mode = (Path(folder) / "run.txt").stat().st_mode
    assert not mode & 0o4000 and not mode & 0o002


def test_rag_feedback_drops_terminal_escapes_from_comments():
    from rag.cli_feedback import _short

    assert "\x1b" not in _short("ok\x1b[2J\x1b]0;pwned\x07 x") and "\x07" not in _short("a\x07b")


def test_the_ui_blames_the_question_only_for_question_errors():
    from ui.messages import detail, friendly

    assert "不能为空" in friendly(QuestionError("The question is empty."))
    unknown = QueryError("Unknown document id(s): d-1. List them with `rag docs`.")
    assert "不能为空" not in friendly(unknown) and detail(unknown) == str(unknown)


def test_clean_question_raises_question_errors():
    from rag.retrieve import clean_question

    for bad in ("", "   ", "问" * 100_000):
        with pytest.raises(QuestionError):
            clean_question(bad)



def test_a_left_out_passage_joins_also_with_the_empty_filters_the_ui_and_http_pass(sample_index, embedder):
    import functools

    from rag.chunk import split_sentences
    from rag.context import retrieve_in_context
    from rag.filters import Filters
    from rag.retrieve import retrieve

    question = "杭州人工智能企业有多少家"
    plain = retrieve(sample_index, question, embedder=embedder, k=8)
    left_out = plain[6].chunk  # not in the top 5
    s, e = max(split_sentences(left_out.text), key=lambda se: se[1] - se[0])
    bound = functools.partial(retrieve, sample_index)
    joined = retrieve_in_context(bound, sample_index, question, "", embedder=embedder, k=5,
                                 previous=[left_out.text[s:e]], near_join=True, filters=Filters())
    assert joined[4].chunk.chunk_id == left_out.chunk_id
