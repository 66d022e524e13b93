"""Incremental indexing: add / update / sync / rm, and that only new text is embedded and segmented.

The counting embedder wraps the real default (e5-small) model (same name and weights
fingerprint, so the index accepts it) and records every passage it embeds.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import rag.index
from rag.cli import main
from rag.embed import DEFAULT_EMBEDDER
from rag.errors import RagError
from rag.index import current_generation, open_index
from rag.qa import Searcher
from rag.update import remove_documents, update_index

from .helpers import CountingEmbedder

FACT_A = "示例市数据局成立于2026年3月。它负责统筹全市公共数据资源。"
FACT_B = "乙市交通局今年新开通三条公交线路，覆盖东部新城。"
FACT_B2 = "乙市交通局今年新开通五条公交线路，覆盖东部新城和西部园区。"
FACT_C = "丙县图书馆周末开放到晚上九点，借书证免费办理。"



@pytest.fixture(autouse=True)
def _own_cache(own_cache_only):
    """These tests count what a build embeds and what its own cache keeps: no shared cache (tests/conftest.py)."""


@pytest.fixture
def segmented(monkeypatch):
    """Texts the index builder sends to jieba (the real tokenizer, counted)."""
    seen: list[str] = []
    real = rag.index.tokenize

    def counting(text, **kw):
        seen.append(text)
        return real(text, **kw)

    monkeypatch.setattr(rag.index, "tokenize", counting)
    return seen


def _write(folder, files: dict[str, str]):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_only_new_and_changed_text_is_embedded_and_segmented(sample_home, sample_index, embedder, tmp_path,
                                                             segmented):
    docs = tmp_path / "docs"
    _write(docs, {"a.txt": FACT_A, "b.md": FACT_B})
    emb = CountingEmbedder(embedder)
    r = update_index([docs], home=sample_home, embedder=emb, progress=False)
    assert sorted(r["added"]) == ["a", "b"] and r["counts"]["documents"] == 3
    # the 8 corpus chunks and their sentences were reused; new: 2 chunks + 3 sentences (rag/sentvec.py)
    assert len(emb.passages) == 2 + 3 and len(segmented) == 2
    assert any(FACT_A in t for t in emb.passages) and any(FACT_B in t for t in emb.passages)

    # without the cache, unchanged vectors must come from the previous generation
    (sample_home / "cache" / "embeddings.sqlite").unlink()
    emb.passages.clear(), segmented.clear()
    (docs / "b.md").write_text(FACT_B2, encoding="utf-8")
    (docs / "a.txt").unlink()
    _write(docs, {"c.txt": FACT_C})
    r = update_index([docs], home=sample_home, embedder=emb, sync=True, progress=False)
    assert (r["added"], r["updated"], r["removed"], r["unchanged"]) == (["c"], ["b"], ["a"], [])
    assert len(emb.passages) == 2 + 2 and len(segmented) == 2  # 2 chunks + their 2 sentences
    assert any(FACT_B2 in t for t in emb.passages) and any(FACT_C in t for t in emb.passages)

    # the corpus chunks carry exactly the vectors and terms they had
    idx = open_index(sample_home, embedder=embedder)
    old_rows = {c.chunk_id: i for i, c in enumerate(sample_index.chunks)}
    new_rows = {c.chunk_id: i for i, c in enumerate(idx.chunks)}
    shared = sorted(set(old_rows) & set(new_rows))
    assert len(shared) == len(sample_index.chunks)
    np.testing.assert_allclose(idx.dense.vectors()[[new_rows[c] for c in shared]],
                               sample_index.dense.vectors()[[old_rows[c] for c in shared]], atol=1e-6)
    assert [idx.terms[new_rows[c]] for c in shared] == [sample_index.terms[old_rows[c]] for c in shared]

    # nothing changed: no new generation, nothing embedded
    gen = current_generation(sample_home)
    emb.passages.clear()
    r = update_index([docs], home=sample_home, embedder=emb, sync=True, progress=False)
    assert len(r["unchanged"]) == 2 and not (r["added"] or r["updated"] or r["removed"])
    assert current_generation(sample_home) == gen and emb.passages == []

    s = Searcher(sample_home, embedder=embedder)
    ans = s.ask("丙县图书馆周末开放到几点")
    assert ans.answerable and "九点" in ans.answer
    assert "五条" in s.ask("乙市交通局今年新开通几条公交线路").answer
    gone = s.ask("示例市数据局什么时候成立")
    shown = gone.citations + gone.suggestions  # answered or refused, the passages it shows
    assert shown, "retrieval returned nothing, so the check below would be vacuous"
    assert all("数据局" not in c.text for c in shown)
    assert all("数据局" not in d.text for d in s.index().documents.values())


def test_moved_file_keeps_its_document_with_sync(sample_home, embedder, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, {"a.txt": FACT_A})
    update_index([docs], home=sample_home, embedder=embedder, progress=False)
    (docs / "a.txt").rename(docs / "政策 新名.txt")
    r = update_index([docs], home=sample_home, embedder=embedder, sync=True, progress=False)
    assert r["removed"] == [] and "moved from" in r["updated"][0]
    paths = {d.path for d in open_index(sample_home).documents.values()}
    assert str(docs / "政策 新名.txt") in paths and str(docs / "a.txt") not in paths


def test_rm_by_id_and_by_path_reembeds_nothing(sample_home, embedder, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, {"a.txt": FACT_A, "b.txt": FACT_B})
    update_index([docs], home=sample_home, embedder=embedder, progress=False)
    ids = {d.path: d.doc_id for d in open_index(sample_home).documents.values()}
    runner = CliRunner()
    res = runner.invoke(main, ["rm", "--home", str(sample_home), ids[str(docs / "a.txt")]])
    assert res.exit_code == 0 and "Removed 1 document" in res.output
    emb = CountingEmbedder(embedder)
    assert remove_documents([str(docs / "b.txt")], home=sample_home, embedder=emb) == [ids[str(docs / "b.txt")]]
    assert emb.passages == []
    assert open_index(sample_home).manifest["counts"]["documents"] == 1
    res = runner.invoke(main, ["rm", "--home", str(sample_home), "no-such-doc"])
    assert res.exit_code == 1 and "rag docs" in res.output and "Traceback" not in res.output
    with pytest.raises(RagError, match="rag docs"):
        remove_documents(["nope"], home=sample_home)


def test_cli_reports_every_outcome(rag_home, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, {"a.txt": FACT_A, "copy of a.txt": FACT_A, "b.txt": FACT_B})
    (docs / "broken.txt").write_bytes(b"\x00\x01\x02" * 50)
    runner = CliRunner()
    res = runner.invoke(main, ["index", "--quiet", str(docs)])
    assert res.exit_code == 0, res.output
    for line in ("added: 2 — a, b\n", "updated: 0\n", "removed: 0\n", "unchanged: 0\n", "skipped: 1\n",
                 f"duplicates: 1 — {docs / 'copy of a.txt'} (same as {docs / 'a.txt'})"):
        assert f"  {line}" in res.stdout, res.stdout
    assert "broken.txt" in res.stderr and "binary" in res.stderr
    (docs / "b.txt").unlink()
    res = runner.invoke(main, ["index", "--quiet", "--sync", "--json", str(docs)])
    report = json.loads(res.stdout)
    assert report["removed"] == ["b"] and len(report["unchanged"]) == 1 and report["skipped"] == 1
    res = runner.invoke(main, ["docs"])
    assert res.exit_code == 0 and "a.txt" in res.output


def test_chunker_or_embedder_change_needs_rebuild(rag_home, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, {"a.txt": FACT_A})
    runner = CliRunner()
    assert runner.invoke(main, ["index", "--quiet", str(docs)]).exit_code == 0
    gen = current_generation(rag_home)
    res = runner.invoke(main, ["index", "--quiet", "--chunk-size", "300", str(docs)])
    assert res.exit_code == 1 and "--rebuild" in res.output and "Traceback" not in res.output
    res = runner.invoke(main, ["index", "--quiet", "--embedder", "sentence-transformers:other", str(docs)])
    assert res.exit_code == 1 and f"'{DEFAULT_EMBEDDER}'" in res.output and "--rebuild" in res.output
    assert current_generation(rag_home) == gen
    res = runner.invoke(main, ["index", "--quiet", "--rebuild", "--chunk-size", "300", str(docs)])
    assert res.exit_code == 0, res.output
    assert open_index(rag_home).manifest["chunker"]["size"] == 300


def test_missing_path_and_nothing_readable(rag_home, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["index", str(tmp_path / "nowhere")])
    assert res.exit_code == 1 and "does not exist" in res.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "empty.txt").write_bytes(b"")
    res = runner.invoke(main, ["index", str(tmp_path / "bad")])
    assert res.exit_code == 1 and "nothing was indexed" in res.output and "empty.txt" in res.output


def test_file_that_becomes_a_copy_of_another_drops_its_old_content(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("温州成立人工智能局，统筹算力建设。", encoding="utf-8")
    (docs / "b.txt").write_text("合肥建设人工智能产业先行区。", encoding="utf-8")
    home = tmp_path / "home"
    update_index([docs], home=home, progress=False)
    (docs / "a.txt").write_text("合肥建设人工智能产业先行区。", encoding="utf-8")
    report = update_index([docs], home=home, progress=False, sync=True)
    texts = [d.text for d in open_index(home).documents.values()]
    assert texts == ["合肥建设人工智能产业先行区。"]
    assert len(report["duplicates"]) == 1
