"""Hostile input: a generated corpus of ≥ 25 files that each used to (or could) stall or crash ingestion.

Each file goes through the sandboxed reader (:mod:`rag.sandbox`) and must be rejected or read within
2 s of wall-clock time and 512 MB of memory, with a one-line error that names the file. The same
files through ``load_paths`` in this process never raise; uploads through the library are staged,
bounded and never lose a file to a name collision or leave ``uploads/`` half-written.
"""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from rag.errors import IndexLocked, IngestError
from rag.index import index_lock
from rag.ingest import load_paths
from rag.sandbox import Limits, Sandbox
from ui.library import _expand, add_uploads

from .hostile_corpus import hostile_files

BUDGET_S = 2.0
MEMORY_MB = 512


@pytest.fixture(scope="module")
def corpus():
    return hostile_files()


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(Limits(memory_mb=MEMORY_MB, nice=0)) as sb:
        yield sb


def _peak_mb(sb: Sandbox) -> float:
    if sb._proc is None or sb._proc.poll() is not None:
        return 0.0
    status = Path(f"/proc/{sb._proc.pid}/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def test_corpus_is_large_and_varied(corpus):
    assert len(corpus) >= 25
    kinds = {name.split("_")[0].split(".")[-1] for name in corpus}
    assert {"redos", "yaml", "html", "docx", "pdf", "pullquote"} <= kinds, kinds


def test_each_hostile_file_is_rejected_or_read_within_budget(corpus, sandbox):
    slow, bad_messages, peaks = [], [], []
    for name, data in corpus.items():
        sandbox.parse("热身。".encode(), "warm.txt")  # worker started: its start-up is not the file's time
        t0 = time.monotonic()
        try:
            doc = sandbox.parse(data, name)
            outcome = f"read, {len(doc.text)} chars"
        except IngestError as e:
            outcome = str(e)
            if "\n" in outcome or not outcome.startswith(f"{name}: ") or "Traceback" in outcome:
                bad_messages.append(outcome)
        elapsed = time.monotonic() - t0
        peaks.append(_peak_mb(sandbox))
        if elapsed > BUDGET_S:
            slow.append((name, round(elapsed, 2), outcome))
    assert not slow, slow
    assert not bad_messages, bad_messages
    assert max(peaks) <= MEMORY_MB


def test_known_attacks_are_refused_for_the_right_reason(corpus, sandbox):
    want = {"yaml_alias_bomb.md": "aliases", "docx_zip_bomb.docx": "zip bomb", "html_deep_divs.html": "deep",
            "pdf_shared_content_stream.pdf": "page content", "pdf_many_pages.pdf": "pages",
            "docx_deflate_bomb_document.docx": "zip bomb", "yaml_deep_nesting.md": "nested"}
    for name, word in want.items():
        with pytest.raises(IngestError, match=word):
            sandbox.parse(corpus[name], name)
    # the ReDoS heading is simply read, fast: the regex is linear now
    assert sandbox.parse(corpus["redos_heading.md"], "redos_heading.md").title.startswith("a")


def test_a_parse_over_time_is_killed_and_the_next_file_is_read(sandbox):
    tight = Sandbox(Limits(base_s=0.05, per_mb_s=0.0))
    try:
        with pytest.raises(IngestError, match="took longer"):
            tight.parse(("第一段没有句号" + "\n\n") .encode() * 200_000, "slow.txt")
        tight.limits = Limits()  # the killed worker is replaced; the next file gets a normal budget (load-proof)
        assert tight.parse("之后的文件照常读取。".encode(), "next.txt").text == "之后的文件照常读取。"
    finally:
        tight.close()


def _started_mb() -> int:
    """The address space (VmPeak, MB) of a sandbox worker that has started and read one small file: what a worker
    holds before a large file's first byte is parsed."""
    with Sandbox(Limits(memory_mb=4096, nice=0)) as probe:
        probe.parse("热身。".encode(), "warm.txt")
        status = Path(f"/proc/{probe._proc.pid}/status").read_text()
    return int(status.split("VmPeak:")[1].split()[0]) // 1024


def test_a_parse_over_memory_is_refused():
    # 6 M characters (18 MB) need several hundred MB to normalise (~120 bytes a character); the limit leaves the
    # worker 48 MB above what it holds once started, so it runs out within the first steps (reading the bytes,
    # decoding them, the first ~100k characters). The refusal then costs well under a second of CPU and the clock
    # (120 s) cannot overtake it on a loaded machine. (With a fixed 200 MB it needed ~1-2 s of CPU, which a niced
    # worker starved by other processes stretched past its 137 s budget.)
    small = Sandbox(Limits(memory_mb=_started_mb() + 48, base_s=120, nice=0))
    try:
        with pytest.raises(IngestError, match="memory"):
            small.parse(("啊" * 6_000_000).encode(), "huge.txt")
        # the next file is read as usual (by a fresh worker where the refused one died)
        assert small.parse("之后的文件照常读取。".encode(), "next.txt").text == "之后的文件照常读取。"
    finally:
        small.close()


def test_a_folder_of_hostile_files_never_aborts_the_batch(corpus, tmp_path, sandbox):
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in corpus.items():
        (folder / Path(name).name).write_bytes(data)
    (folder / "good.md").write_text("# 好文件\n\n示例市数据局成立于2026年3月。", encoding="utf-8")
    outside = tmp_path / "secret.txt"
    outside.write_text("服务器上的秘密文件。", encoding="utf-8")
    (folder / "link.txt").symlink_to(outside)
    report = load_paths([folder], loader=sandbox.load_file)
    titles = {d.title for d in report.documents}
    assert "好文件" in titles and "secret" not in titles
    assert any("link.txt" in str(e) and "outside" in str(e) for e in report.errors)
    assert all("\n" not in str(e) for e in report.errors)
    assert len(report.errors) >= 20


@pytest.mark.slow
def test_hostile_uploads_stage_bound_and_keep_both_colliding_names(corpus, sample_home, tmp_path, sandbox):
    src = tmp_path / "src"
    src.mkdir()
    files = []
    for name in ("yaml_alias_bomb.md", "html_deep_divs.html", "docx_zip_bomb.docx", "pdf_shared_content_stream.pdf"):
        (src / name).write_bytes(corpus[name])
        files.append(src / name)
    (src / "a").mkdir()
    (src / "a" / "政策 文件.txt").write_text("示例市甲政策规定每年补贴一百万元。", encoding="utf-8")
    (src / "政策_文件.txt").write_text("示例市乙政策规定每年补贴两百万元。", encoding="utf-8")
    files += [src / "a" / "政策 文件.txt", src / "政策_文件.txt"]
    for name, members in (("包.zip", {"资料/丙.md": "# 丙\n\n示例市丙政策规定每年补贴三百万元。", "run.exe": "MZ"}),
                          ("炸弹.zip", {"丁.md": "# 丁\n\n示例市丁政策。", "bomb.txt": "a" * 50_000_000})):
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for member, text in members.items():
                z.writestr(member, text)
        (src / name).write_bytes(buf.getvalue())
        files.append(src / name)
    result = add_uploads(files, sample_home, sandbox=sandbox)
    status = {name: st for name, st, _ in result.rows}
    assert status["政策 文件.txt"] == status["政策_文件.txt"] == "已加入"
    assert {p.name for p in (sample_home / "uploads").glob("*")} == {"政策_文件.txt", "政策_文件-2.txt", "丙.md"}
    assert all(status[n] == "失败" for n in ("yaml_alias_bomb.md", "html_deep_divs.html", "docx_zip_bomb.docx",
                                              "pdf_shared_content_stream.pdf")), result.rows
    assert status["包.zip/资料/丙.md"] == "已加入" and status["包.zip/run.exe"] == "失败"
    assert status["炸弹.zip"] == "失败" and not any(n.startswith("炸弹.zip/") for n in status)


def test_upload_count_is_bounded_and_a_locked_index_leaves_uploads_as_it_was(sample_home, tmp_path, sandbox):
    src = tmp_path / "many"
    src.mkdir()
    files = []
    for i in range(5):
        (src / f"f{i}.txt").write_text(f"第{i}号文件说明示例事项{i}。", encoding="utf-8")
        files.append(src / f"f{i}.txt")
    uploads = sample_home / "uploads"
    uploads.mkdir(exist_ok=True)
    (uploads / "f0.txt").write_text("旧版本的内容。", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in uploads.iterdir()}
    with index_lock(sample_home), pytest.raises(IndexLocked):
        add_uploads(files, sample_home, sandbox=sandbox)
    assert {p.name: p.read_bytes() for p in uploads.iterdir()} == before
    staged = _expand(files, 20 * 2**20, 3, 100 * 2**20)
    assert [bool(x.error) for x in staged] == [False, False, False, True, True]
    assert "最多上传 3 个" in staged[-1].error
    total = _expand(files, 20 * 2**20, 50, 100)  # 100 bytes in all: the third 39-byte file no longer fits
    assert [bool(x.error) for x in total][:2] == [False, False] and "总量" in total[-1].error
