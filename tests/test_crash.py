"""Crash safety and concurrency of index writes, with real processes.

- a real ``rag index`` killed with SIGKILL mid-build leaves the old index
  loadable, and the next run finishes without cleanup, reusing the
  embeddings the killed run had cached;
- leftovers of a writer killed while writing are removed by the next one;
- a full disk fails the write with a one-line message, old index intact;
- a second writer is refused with the holder's pid; the lock dies with it;
- readers keep answering during an update and then see the new document;
- a damaged index is reported by ``rag ask`` with the fixing command.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import rag.index
from rag.cli import main
from rag.index import current_generation, open_index
from rag.qa import Searcher
from rag.update import update_index

from .conftest import SAMPLE as CORPUS, SHARED  # the sample article only
from .helpers import CountingEmbedder

RAG = str(Path(sys.executable).with_name("rag"))
QUESTION = "温州人工智能局做什么"
FACT_C = "丙县图书馆周末开放到晚上九点，借书证免费办理。"



@pytest.fixture(autouse=True)
def _own_cache(own_cache_only):
    """These tests count what a build embeds and what its own cache keeps: no shared cache (tests/conftest.py)."""


def _cmrc_folder(folder: Path, n: int) -> Path:
    """``n`` short, distinct Chinese paragraphs (CMRC2018 trial contexts, first ~160 characters)."""
    data = json.loads((SHARED / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    contexts = list(dict.fromkeys(p["context"][:160] for a in data["data"] for p in a["paragraphs"]))
    folder.mkdir()
    for i, text in enumerate(contexts[:n]):
        (folder / f"段落 {i:03d}.txt").write_text(text + "\n", encoding="utf-8")
    return folder


def _cached_rows(home: Path) -> int:
    try:
        db = sqlite3.connect(f"file:{home / 'cache' / 'embeddings.sqlite'}?mode=ro", uri=True, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM vec").fetchone()[0]
        finally:
            db.close()
    except sqlite3.OperationalError:
        return 0


def _assert_old_index_answers(home: Path, embedder, gen: Path) -> None:
    assert current_generation(home) == gen
    assert not list(home.glob(".tmp-*")) or open_index(home)  # leftovers never break loading
    idx = open_index(home, embedder=embedder)
    assert idx.manifest["counts"]["documents"] == 1
    ans = Searcher(home, embedder=embedder).ask(QUESTION)
    assert ans.answerable and "人工智能局" in ans.answer


@pytest.mark.slow
@pytest.mark.heavy  # indexes 64 CMRC documents with its own cache: ~130 s on fp32
def test_sigkill_mid_build_keeps_old_index_and_next_run_reuses_its_work(sample_home, embedder, tmp_path):
    docs = _cmrc_folder(tmp_path / "cmrc", 64)
    gen = current_generation(sample_home)
    base = _cached_rows(sample_home)
    proc = subprocess.Popen([RAG, "index", "--home", str(sample_home), str(docs)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while _cached_rows(sample_home) < base + 16:  # the first batch is safely in the cache
            assert proc.poll() is None, proc.stderr.read().decode(errors="replace")
            assert time.monotonic() < deadline, "the build never got going"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL  # killed mid-way, not finished
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    cached = _cached_rows(sample_home) - base
    assert 16 <= cached < 64

    _assert_old_index_answers(sample_home, embedder, gen)

    # the next run needs no cleanup and embeds only what the killed run had not cached
    emb = CountingEmbedder(embedder)
    before = set(open_index(sample_home).documents)
    r = update_index([docs], home=sample_home, embedder=emb, progress=False)
    assert len(r["added"]) == 64 and r["counts"]["documents"] == 65
    # sentence vectors (rag/sentvec.py) go through the same cache
    new_sentences = sum(d not in before for d, _, _ in open_index(sample_home).sentences.keys)
    assert len(emb.passages) == 64 + new_sentences - cached
    assert current_generation(sample_home) != gen and not list(sample_home.glob(".tmp-*"))
    assert Searcher(sample_home, embedder=embedder).ask(QUESTION).answerable


def test_leftovers_of_a_killed_writer_are_cleaned_up(sample_home, embedder, tmp_path):
    gen = current_generation(sample_home)
    # what SIGKILL can leave at each step of a write: a half-written temp dir, a renamed but
    # unpublished generation, a half-written CURRENT replacement, and the dead writer's pid in .lock
    half = sample_home / ".tmp-deadbeef"
    shutil.copytree(gen, half)
    (half / "chunks.jsonl").write_bytes((half / "chunks.jsonl").read_bytes()[:100])
    orphan = sample_home / "gen-29991231T235959-dead00"
    shutil.copytree(gen, orphan)
    (sample_home / ".CURRENT.deadbeef").write_text("gen-29991")
    (sample_home / ".lock").write_text("999999")
    _assert_old_index_answers(sample_home, embedder, gen)

    (tmp_path / "c.txt").write_text(FACT_C, encoding="utf-8")
    r = update_index([tmp_path / "c.txt"], home=sample_home, embedder=embedder, progress=False)
    assert r["added"] == ["c"]
    new = current_generation(sample_home)
    assert sorted(p.name for p in sample_home.iterdir() if not p.name.startswith((".lock", "cache", "CURRENT"))) \
        == sorted([gen.name, new.name])  # the replaced generation is kept for readers; junk is gone


def test_full_disk_fails_cleanly_and_keeps_the_old_index(sample_home, embedder, tmp_path, monkeypatch):
    real = rag.index.write_jsonl

    def filling_up(path, rows):
        if path.name == "chunks.jsonl":
            path.write_text('{"partial": ')
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, rows)

    monkeypatch.setattr(rag.index, "write_jsonl", filling_up)
    gen = current_generation(sample_home)
    (tmp_path / "c.txt").write_text(FACT_C, encoding="utf-8")
    res = CliRunner().invoke(main, ["index", "--quiet", "--home", str(sample_home), str(tmp_path / "c.txt")])
    assert res.exit_code == 1, res.output
    assert "disk is full" in res.output and "previous index" in res.output
    assert "Traceback" not in res.output and isinstance(res.exception, SystemExit)
    assert not list(sample_home.glob(".tmp-*"))
    _assert_old_index_answers(sample_home, embedder, gen)


def test_second_writer_is_refused_and_the_lock_dies_with_its_holder(sample_home, tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from rag.index import index_lock\n"
         "with index_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(120)",
         str(sample_home)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        (tmp_path / "c.txt").write_text(FACT_C, encoding="utf-8")
        runner = CliRunner()
        args = ["index", "--quiet", "--home", str(sample_home), str(tmp_path / "c.txt")]
        res = runner.invoke(main, args)
        assert res.exit_code == 1
        assert f"Another process (pid {holder.pid}) is writing" in res.output and "Traceback" not in res.output
        res = runner.invoke(main, ["rm", "--home", str(sample_home), "whatever"])
        assert res.exit_code == 1 and f"pid {holder.pid}" in res.output
        # readers are not blocked by a writer
        assert runner.invoke(main, ["ask", "--home", str(sample_home), QUESTION]).exit_code == 0
        holder.kill()  # SIGKILL: no cleanup code runs, the kernel drops the flock
        holder.wait(10)
        res = runner.invoke(main, args)
        assert res.exit_code == 0, res.output
        assert "added: 1" in res.output
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_readers_keep_answering_during_an_update(sample_home, embedder, tmp_path):
    searcher = Searcher(sample_home, embedder=embedder)
    stop = threading.Event()
    errors: list[BaseException] = []
    answers: list[bool] = []

    def long_lived_reader():
        while not stop.is_set():
            try:
                answers.append(searcher.ask(QUESTION).answerable)
            except BaseException as e:  # noqa: BLE001 - any failure is the finding
                errors.append(e)

    def fresh_reader():  # opens the index anew each time, racing with the CURRENT swap
        while not stop.is_set():
            try:
                open_index(sample_home)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

    threads = [threading.Thread(target=long_lived_reader), threading.Thread(target=fresh_reader)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        (tmp_path / "c.txt").write_text(FACT_C, encoding="utf-8")
        update_index([tmp_path / "c.txt"], home=sample_home, embedder=embedder, progress=False)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert errors == []
    assert answers and all(answers)
    ans = searcher.ask("丙县图书馆周末开放到几点")
    assert ans.answerable and "九点" in ans.answer


def test_damaged_index_is_reported_by_the_cli(sample_home):
    f = current_generation(sample_home) / "vectors.faiss"
    f.write_bytes(f.read_bytes()[:1000])
    runner = CliRunner()
    for args in (["ask", QUESTION], ["index", "--quiet", str(CORPUS)], ["docs"]):
        res = runner.invoke(main, [args[0], "--home", str(sample_home), *args[1:]])
        assert res.exit_code == 1, res.output
        assert "rag index --rebuild" in res.output and "Traceback" not in res.output
        assert isinstance(res.exception, SystemExit)
    res = runner.invoke(main, ["index", "--quiet", "--rebuild", "--home", str(sample_home), str(CORPUS)])
    assert res.exit_code == 0, res.output
    assert runner.invoke(main, ["ask", "--home", str(sample_home), QUESTION]).exit_code == 0


@pytest.mark.slow
@pytest.mark.heavy  # one full `rag index` run, then one killed run per kill point: ~60 s on fp32
def test_sigkill_at_many_moments_never_breaks_the_index(sample_home, embedder, tmp_path):
    """Kill ``rag index`` at points spread over a whole run (startup, embedding, writing, publishing)."""
    docs = _cmrc_folder(tmp_path / "cmrc", 12)
    cmd = [RAG, "index", "--quiet", "--home", str(sample_home), str(docs)]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)  # one full run: its length sets the kill points
    full = time.monotonic() - t0
    counts = {1 + 12}
    for i, frac in enumerate((0.3, 0.6, 0.8, 0.9, 0.95, 1.0)):
        (docs / f"extra {i}.txt").write_text(f"第{i}号补充材料：丙县图书馆新增{i + 3}个自习座位。", encoding="utf-8")
        counts.add(1 + 12 + i + 1)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * frac)
        proc.kill()
        proc.wait(30)
        idx = open_index(sample_home, embedder=embedder)  # always the old or the new generation, whole
        assert idx.manifest["counts"]["documents"] in counts
        assert Searcher(sample_home, embedder=embedder).ask(QUESTION).answerable
    r = update_index([docs], home=sample_home, embedder=embedder, progress=False)
    assert r["counts"]["documents"] == 1 + 12 + 6
    assert not list(sample_home.glob(".tmp-*")) and len(list(sample_home.glob("gen-*"))) <= 2
