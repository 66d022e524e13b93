"""The Milvus backend on real embedded Milvus Lite (a temp file), against the local store.

Skipped only when pymilvus is not installed (``pip install 'rag-zh[milvus]'``;
the ``test`` extra includes it, so CI runs these).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install 'rag-zh[milvus]'")

from rag.index import open_index  # noqa: E402
from rag.retrieve import retrieve  # noqa: E402

from .helpers import open_when_free, stop_process  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["温州人工智能局做什么", "溫州人工智慧局做什麼?", "合肥的产业基金", "长三角城市如何发展人工智能产业",
             "北京的房价是多少"]


@pytest.fixture(scope="module")
def milvus_home(built_home, tmp_path_factory):
    """A copy of the corpus index moved onto Milvus Lite through the CLI (cached vectors, no re-embedding)."""
    from click.testing import CliRunner

    from rag.cli import main

    home = tmp_path_factory.mktemp("milvus") / "home"
    shutil.copytree(built_home, home)
    db = home.parent / "milvus.db"
    r = CliRunner().invoke(main, ["index", "--quiet", "--json", "--home", str(home), "--store", "milvus",
                                  "--milvus-uri", str(db), str(ROOT / "corpus" / "changsanjiao-ai-2026.md")])
    assert r.exit_code == 0, r.output
    return home


def assert_same_retrieval(local, milvus, embedder) -> None:
    """Every sample question ranks the same chunks with the same scores on both stores, in every mode."""
    for q in QUESTIONS:
        for mode in ("dense", "bm25", "hybrid"):
            a = retrieve(local, q, embedder=embedder, k=5, mode=mode)
            b = retrieve(milvus, q, embedder=embedder, k=5, mode=mode)
            assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b], (q, mode)
            assert np.allclose([h.score for h in a], [h.score for h in b], rtol=1e-3, atol=1e-4), (q, mode)


def test_manifest_records_milvus_and_retrieval_matches_local(milvus_home, sample_index, embedder):
    idx = open_index(milvus_home)
    assert idx.manifest["store"]["kind"] == "milvus" and idx.manifest["store"]["uri"].endswith("milvus.db")
    assert "milvus.json" in idx.manifest["files"] and not (idx.path / "vectors.faiss").exists()
    assert len(idx.dense) == len(idx.keyword) == len(sample_index.chunks) > 0
    assert_same_retrieval(sample_index, idx, embedder)
    doc = next(iter(idx.documents))
    assert retrieve(idx, QUESTIONS[0], embedder=embedder, k=3, doc_ids=[doc])[0].chunk.doc_id == doc


def test_ask_follows_the_manifest(milvus_home):
    from rag.qa import Searcher

    a = Searcher(milvus_home).ask("温州人工智能局做什么")
    assert a.answerable and "人工智能局" in a.citations[0].quote
    assert not Searcher(milvus_home).ask("北京的房价是多少").answerable


def test_metadata_filters_insert_and_delete(milvus_home, embedder):
    idx = open_index(milvus_home)
    dense = idx.dense
    qv = embedder.embed_queries(["温州人工智能局做什么"])[0]
    n = len(dense)
    doc = idx.chunks[0].doc_id
    date = str(idx.documents[doc].meta.get("date", ""))
    s, r = dense.search(qv, 3, filter=f'date == "{date}" and type == "md"')
    assert len(r) == 3
    assert len(dense.search(qv, 3, filter='type == "pdf"')[1]) == 0
    assert len(idx.keyword.search(["温州"], 3, filter='date == "1999-01"')[1]) == 0
    # incremental: add one chunk as a new document, find it, delete it by document id
    from rag.records import Chunk, Document

    extra = Document(doc_id="zz-test", title="测试", text="南京成立量子计算中心。", path="/x/q.txt", meta={"date": "2030-01"})
    chunk = Chunk(chunk_id="zz-test-0000", doc_id="zz-test", text=extra.text, start=0, end=len(extra.text))
    v = embedder.embed_passages([extra.text])
    dense.insert(n, v, [["南京", "量子", "计算", "中心"]], [["南京"]], [chunk], {"zz-test": extra})
    assert len(dense) == n + 1
    assert idx.keyword.search(["量子"], 3)[1].tolist()[0] == n
    assert dense.search(v[0], 1, filter='doc_id == "zz-test"')[1].tolist() == [n]
    dense.delete_documents(["zz-test"])
    assert len(dense) == n and n not in idx.keyword.search(["量子"], 3)[1].tolist()


_KILLED_BUILD = """
import os, signal, sys
from pathlib import Path
from rag.index import build_index, open_index
from rag.milvus_store import build_stores
from rag.store import set_store_config, store_config
from rag.tokenize import char_bigrams

class Reuse:  # the index's own embedder identity; every vector comes from the previous generation
    def __init__(self, e):
        self.name, self.dim, self.fingerprint = e["name"], e["dim"], e["fingerprint"]
    def embed_passages(self, texts, **kw):
        raise AssertionError("nothing should be embedded")
    embed_queries = embed_passages

home = Path(sys.argv[1])
local = open_index(home)
set_store_config(home, "milvus", sys.argv[2])
idx = build_index(list(local.documents.values()), embedder=Reuse(local.manifest["embedder"]), home=home,
                  previous=local, progress=False)
build_stores(store_config(home), home, idx.dense.vectors(), idx.terms,
             [char_bigrams(c.text) for c in idx.chunks], idx.chunks, idx.documents)
print(idx.path.name, flush=True)
os.kill(os.getpid(), signal.SIGKILL)   # dies after filling a second collection, before publishing it
"""



def test_killed_indexer_leaves_the_old_index_and_its_collection_is_dropped(built_home, tmp_path, embedder):
    from rag.milvus_store import connect, default_prefix
    from rag.update import update_index

    home = tmp_path / "h"
    shutil.copytree(built_home, home)
    db = tmp_path / "k.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    p = subprocess.run([sys.executable, "-c", _KILLED_BUILD, str(home), str(db)], env=env, capture_output=True,
                       text=True, timeout=180)
    assert p.returncode == -signal.SIGKILL and p.stdout.startswith("gen-"), p.stderr[-2000:]
    idx = open_when_free(home)  # the generation published before the kill, on Milvus
    assert idx.path.name == p.stdout.strip() and idx.manifest["store"]["kind"] == "milvus"
    assert len(idx.dense) == len(idx.chunks)
    assert retrieve(idx, "温州人工智能局做什么", embedder=embedder, k=1)[0].chunk.text
    client, prefix = connect(str(db)), default_prefix(home)
    assert len([c for c in client.list_collections() if c.startswith(prefix)]) == 2  # published + orphan
    update_index([ROOT / "corpus" / "changsanjiao-ai-2026.md"], home=home, rebuild=True, progress=False, embedder=embedder)
    live = json.loads((open_index(home).path / "milvus.json").read_text())["collection"]
    old = json.loads((idx.path / "milvus.json").read_text())["collection"]
    assert sorted(c for c in client.list_collections() if c.startswith(prefix)) == sorted({live, old})


def test_unreachable_server_is_named_and_bounded():
    from rag.errors import StoreUnavailable
    from rag.milvus_store import connect
    from ui.app import friendly

    t0 = time.perf_counter()
    with pytest.raises(StoreUnavailable, match=r"http://127\.0\.0\.1:9/") as err:
        connect("http://127.0.0.1:9/", timeout=2)
    assert time.perf_counter() - t0 < 15
    assert "Milvus" in friendly(err.value)  # the UI's headline: not "rebuild the index"


def _milvus_lite3() -> str | None:
    """A milvus-lite 3.x executable (it has a ``server`` subcommand; the pinned 2.5.1 has not).

    milvus-lite 3.x cannot share a venv with the pinned 2.5.1 (same package name), so CI installs it
    beside: ``python3 -m venv .milvus3 && .milvus3/bin/pip install milvus-lite==3.2.2 pymilvus==2.6.17 jieba``
    (found there, or at ``RAG_TEST_MILVUS_LITE3``).
    """
    beside = Path(__file__).resolve().parents[1] / ".milvus3" / "bin" / "milvus-lite"
    exe = os.environ.get("RAG_TEST_MILVUS_LITE3") or (str(beside) if beside.exists() else None) \
        or shutil.which("milvus-lite")
    if not exe:
        return None
    try:
        ok = subprocess.run([exe, "server", "--help"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return None
    return exe if ok else None


@pytest.fixture()
def milvus_server(tmp_path):
    """``milvus-lite server`` on a free loopback port (stopped at teardown); yields its http:// URI."""
    import socket

    exe = _milvus_lite3()
    if exe is None:
        if os.environ.get("CI"):  # CI installs it (.ci/run): missing there is a failure, not a skip
            pytest.fail("no milvus-lite 3.x server in .milvus3/ (see .ci/run)")
        pytest.skip("no milvus-lite 3.x server: install it in .milvus3/ (see _milvus_lite3)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([exe, "server", "--data-dir", str(tmp_path / "srv"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert proc.poll() is None and time.monotonic() < deadline, "milvus-lite server did not start"
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}", proc
    finally:
        stop_process(proc)


def test_http_server_on_loopback_matches_local_then_fails_cleanly(milvus_server, built_home, sample_index, embedder,
                                                                  tmp_path, monkeypatch):
    from click.testing import CliRunner

    from rag.cli import main
    from rag.errors import StoreUnavailable
    from rag.qa import Searcher
    from ui.app import friendly

    uri, proc = milvus_server
    monkeypatch.setenv("RAG_MILVUS_TOKEN", "root:Milvus")  # sent as the token; milvus-lite ignores it
    home = tmp_path / "home"
    shutil.copytree(built_home, home)
    r = CliRunner().invoke(main, ["index", "--quiet", "--json", "--home", str(home), "--store", "milvus",
                                  "--milvus-uri", uri, str(ROOT / "corpus" / "changsanjiao-ai-2026.md")])
    assert r.exit_code == 0, r.output
    idx = open_index(home)
    assert idx.manifest["store"] == {"kind": "milvus", "uri": uri}
    assert json.loads((idx.path / "milvus.json").read_text())["analyzer"] == "standard"  # 3.x: no whitespace
    assert_same_retrieval(sample_index, idx, embedder)
    searcher = Searcher(home)
    assert searcher.ask("温州人工智能局做什么").answerable
    proc.terminate()
    proc.wait(10)
    t0 = time.perf_counter()
    with pytest.raises(StoreUnavailable, match=uri.replace(".", r"\.")) as err:
        searcher.ask("合肥的产业基金")
    assert time.perf_counter() - t0 < 30
    assert "Milvus" in friendly(err.value)  # the UI's headline
    from fastapi.testclient import TestClient

    from rag.http import create_api

    r = TestClient(create_api(searcher)).post("/api/ask", json={"question": "合肥的产业基金"})
    assert r.status_code == 503 and uri in r.json()["error"]["message"], r.text


def test_unreachable_at_start_is_one_line_in_the_cli(milvus_home, tmp_path):
    from click.testing import CliRunner

    from rag.cli import main

    home = tmp_path / "h"
    shutil.copytree(milvus_home, home)
    manifest = home / (home / "CURRENT").read_text().strip() / "manifest.json"
    m = json.loads(manifest.read_text())
    m["store"]["uri"] = "http://127.0.0.1:9/"
    manifest.write_text(json.dumps(m))
    r = CliRunner().invoke(main, ["ask", "--home", str(home), "温州人工智能局做什么"])
    assert r.exit_code == 1 and "Cannot reach Milvus at http://127.0.0.1:9/" in r.output, r.output
    assert "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def law_milvus(law_home, tmp_path_factory, embedder):
    """The law index (types, versions, dates) moved onto its own Milvus Lite file (vectors reused)."""
    from rag.index import build_index
    from rag.store import set_store_config

    home = tmp_path_factory.mktemp("law-milvus") / "home"
    shutil.copytree(law_home, home)
    local = open_index(home)
    set_store_config(home, "milvus", str(home.parent / "law.db"))
    build_index(list(local.documents.values()), embedder=embedder, home=home, previous=local, progress=False,
                lock=True, in_place=False)
    return home


LAW_FILTERS = [dict(types=("法律",)), dict(types=("regulation",)), dict(date_from="2010"),
               dict(date_to="2008-12"), dict(date_from="2008-09", date_to="2012-12-28"), dict(law="劳动合同法"),
               dict(law="中华人民共和国示范休假法"), dict(types=("law",), date_from="2015", prefer_current=False)]
LAW_QUESTIONS = ["劳动合同应当具备哪些条款", "带薪年休假有多少天", "自然人的民事权利能力"]


def test_filters_run_inside_milvus_and_match_the_local_store(law_home, law_milvus, embedder):
    from rag.filters import Filters, document_mask

    local, milvus = open_index(law_home), open_index(law_milvus)
    assert json.loads((milvus.path / "milvus.json").read_text())["schema"] == 2
    found = 0
    for kw in LAW_FILTERS:
        f = Filters(**kw)
        expr = milvus.dense.filter_for(document_mask(milvus, f))
        assert "doc_id" not in expr and ("doc_type" in expr or "day" in expr or "title" in expr), (kw, expr)
        for q in LAW_QUESTIONS:
            for mode in ("hybrid", "dense", "bm25"):
                a = retrieve(local, q, embedder=embedder, k=5, mode=mode, filters=f)
                b = retrieve(milvus, q, embedder=embedder, k=5, mode=mode, filters=f)
                assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b], (kw, q, mode)
                assert np.allclose([h.score for h in a], [h.score for h in b], rtol=1e-3, atol=1e-4), (kw, q, mode)
                assert all(document_mask(local, f)[local.chunks.index(h.chunk)] for h in a)
                found += bool(b) and mode != "bm25"
    assert found == len(LAW_FILTERS) * len(LAW_QUESTIONS) * 2  # dense and hybrid always find something
    # a filter combined with --doc falls back to the document list, with the same result
    doc = next(i for i, d in local.documents.items() if d.meta.get("doc_type") == "法律")
    f = Filters(types=("法律",))
    a = retrieve(local, LAW_QUESTIONS[0], embedder=embedder, k=3, doc_ids=[doc], filters=f)
    b = retrieve(milvus, LAW_QUESTIONS[0], embedder=embedder, k=3, doc_ids=[doc], filters=f)
    assert [h.chunk.chunk_id for h in a] == [h.chunk.chunk_id for h in b] and {h.chunk.doc_id for h in b} == {doc}


def test_filter_values_cannot_inject_expressions(tmp_path, embedder):
    """Titles and types reach Milvus only as escaped string literals."""
    from rag.filters import DocPredicate
    from rag.milvus_filters import predicate_expr
    from rag.milvus_store import build_stores
    from rag.records import Chunk, Document

    nasty = ['a"] or row >= 0 or title in ["', 'back\\slash" or "1" == "1', "新\n行"]
    docs = {f"d{i}": Document(doc_id=f"d{i}", title=t, text="x", path="", meta={"doc_type": t[:5], "date": "2020"})
            for i, t in enumerate(nasty + ["普通"])}
    chunks = [Chunk(chunk_id=f"{d}-0", doc_id=d, text="x", start=0, end=1) for d in docs]
    v = embedder.embed_passages(["合同"] * len(chunks))
    dense = build_stores({"kind": "milvus", "uri": str(tmp_path / "n.db")}, tmp_path, v, [["合同"]] * len(chunks),
                         [["合同"]] * len(chunks), chunks, docs)[0]
    for i, t in enumerate(nasty):
        for p in (DocPredicate(titles=(t,)), DocPredicate(types=(t[:5],))):
            if "\n" in t:  # Milvus reads no escapes but \\ and \": refused, the caller filters by id
                with pytest.raises(ValueError):
                    predicate_expr(p)
                continue
            assert dense.search(v[0], 10, filter=predicate_expr(p))[1].tolist() == [i], (t, p)


def test_ivf_index_is_an_option_of_rag_index(milvus_home, tmp_path, embedder):
    from click.testing import CliRunner

    from rag.cli import main

    home = tmp_path / "h"
    shutil.copytree(milvus_home, home)
    r = CliRunner().invoke(main, ["index", "--quiet", "--home", str(home), "--milvus-index", "ivf_flat:1:x",
                                  str(ROOT / "corpus" / "changsanjiao-ai-2026.md")])
    assert r.exit_code == 1 and "ivf_flat:NLIST:NPROBE" in r.output and "Traceback" not in r.output, r.output
    r = CliRunner().invoke(main, ["index", "--quiet", "--json", "--home", str(home), "--milvus-index", "ivf_flat:4:4",
                                  str(ROOT / "corpus" / "changsanjiao-ai-2026.md")])
    assert r.exit_code == 0, r.output
    idx = open_index(home)
    assert idx.manifest["store"]["index"] == {"type": "IVF_FLAT", "nlist": 4, "nprobe": 4}
    d = idx.dense
    assert d._client.describe_index(d.collection, "vec")["index_type"] == "IVF_FLAT"
    assert d.search_params == {"params": {"nprobe": 4}}
    local = open_index(milvus_home)  # FLAT; nprobe = nlist (and Lite searches this few rows exactly): same ranks
    q = embedder.embed_queries(["温州人工智能局做什么"])[0]
    assert d.search(q, 5)[1].tolist() == local.dense.search(q, 5)[1].tolist()
