"""Incremental sync of a Milvus collection in place (rag/milvus_sync.py), on real Milvus Lite.

Skipped only when pymilvus is not installed (the ``test`` extra includes it, so CI runs these).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pymilvus", reason="pymilvus is not installed: pip install 'rag-zh[milvus]'")

from rag.index import open_index  # noqa: E402
from rag.retrieve import retrieve  # noqa: E402

from .helpers import open_when_free  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpus" / "changsanjiao-ai-2026.md"
DOCS = {"a.md": "# 量子计算中心\n\n南京市成立量子计算中心，专门研究超导量子芯片。\n",
        "b.md": "# 海洋牧场\n\n舟山市建设海洋牧场，养殖大黄鱼和海带。\n"}


def _info(idx) -> dict:
    return json.loads((idx.path / "milvus.json").read_text())


def _count(idx, expr: str) -> int:
    d = idx.dense
    return int(d._client.query(d.collection, filter=expr, output_fields=["count(*)"])[0]["count(*)"])


def _docs_found(idx, embedder, q: str) -> set[str]:
    return {idx.documents[h.chunk.doc_id].title for h in retrieve(idx, q, embedder=embedder, k=3)}


def _milvus_home(built_home: Path, tmp_path: Path, embedder) -> tuple[Path, Path]:
    """A copy of the sample index on a private Milvus Lite file, plus a folder of extra documents."""
    from rag.store import set_store_config
    from rag.update import update_index

    home, src = tmp_path / "home", tmp_path / "src"
    shutil.copytree(built_home, home)
    src.mkdir()
    set_store_config(home, "milvus", str(tmp_path / "s.db"))
    update_index([SAMPLE], home=home, rebuild=True, progress=False, embedder=embedder)
    return home, src


def test_sync_updates_the_collection_in_place_and_deletes_by_document(built_home, tmp_path, embedder):
    from rag.update import remove_documents, update_index

    home, src = _milvus_home(built_home, tmp_path, embedder)
    g0 = open_index(home)
    coll, n0 = _info(g0)["collection"], len(g0.chunks)
    (src / "a.md").write_text(DOCS["a.md"], encoding="utf-8")
    update_index([SAMPLE, src], home=home, progress=False, embedder=embedder)
    g1 = open_index(home)
    assert _info(g1)["collection"] == coll and _info(g1)["gen"] == 1  # same collection, new rows only
    assert len(g1.dense) == len(g1.chunks) == n0 + 1 and _count(g1, "born == 1") == 1
    assert "量子计算中心" in _docs_found(g1, embedder, "南京的量子计算中心研究什么")
    a_id = next(i for i, d in g1.documents.items() if d.title == "量子计算中心")
    (src / "a.md").unlink()
    update_index([SAMPLE, src], home=home, sync=True, progress=False, embedder=embedder)
    g2 = open_index(home)
    assert _info(g2)["hidden"] == [[2, [a_id]]] and len(g2.dense) == len(g2.chunks) == n0
    assert "量子计算中心" not in _docs_found(g2, embedder, "南京的量子计算中心研究什么")
    assert _count(g2, f'doc_id == "{a_id}"') == 1  # hidden, not yet deleted: generation 1 may still be read
    (src / "b.md").write_text(DOCS["b.md"], encoding="utf-8")
    update_index([SAMPLE, src], home=home, progress=False, embedder=embedder)
    b_id = next(i for i, d in open_index(home).documents.items() if d.title == "海洋牧场")
    assert remove_documents([b_id], home=home, embedder=embedder) == [b_id]  # delete by document id
    g4 = open_index(home)
    assert _count(g4, f'doc_id == "{a_id}"') == 0  # hidden two generations ago: deleted now
    assert "海洋牧场" not in _docs_found(g4, embedder, "舟山海洋牧场养殖什么") and len(g4.dense) == n0
    assert [h.chunk.chunk_id for h in retrieve(g4, "温州人工智能局做什么", embedder=embedder, k=5)] == \
        [h.chunk.chunk_id for h in retrieve(g0, "温州人工智能局做什么", embedder=embedder, k=5)]
    update_index([SAMPLE], home=home, rebuild=True, progress=False, embedder=embedder)
    assert _info(open_index(home))["collection"] != coll  # --rebuild writes a new collection


_KILLED_SYNC = """
import os, signal, sys
from pathlib import Path
from rag.milvus_store import MilvusVectorStore
from rag.update import update_index

home, sample, src = (Path(a) for a in sys.argv[1:4])
real = MilvusVectorStore.insert_rows

def insert_then_die(self, *a, **kw):
    real(self, *a, **kw)
    print("inserted", self.collection, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)   # rows are in Milvus; the generation is not published

MilvusVectorStore.insert_rows = insert_then_die
update_index([sample, src], home=home, sync=True, progress=False)
"""



@pytest.mark.slow  # ~40 s: a child process loads the embedder and its own Milvus Lite
def test_killed_sync_leaves_readers_on_the_old_data_and_the_next_sync_completes(built_home, tmp_path, embedder):
    from rag.milvus_store import disconnect
    from rag.update import update_index

    home, src = _milvus_home(built_home, tmp_path, embedder)
    (src / "a.md").write_text(DOCS["a.md"], encoding="utf-8")
    update_index([SAMPLE, src], home=home, progress=False, embedder=embedder)
    before = open_index(home)
    uri = before.manifest["store"]["uri"]
    disconnect(uri)  # Milvus Lite: one process per file; the child opens it now
    (src / "a.md").unlink()
    (src / "b.md").write_text(DOCS["b.md"], encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    p = subprocess.run([sys.executable, "-c", _KILLED_SYNC, str(home), str(SAMPLE), str(src)], env=env,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == -signal.SIGKILL and p.stdout.startswith("inserted"), p.stderr[-2000:]
    idx = open_when_free(home)
    assert idx.path == before.path and len(idx.dense) == len(idx.chunks)  # the old generation, whole
    assert _count(idx, "born > 1") == 1  # the killed sync's row is in Milvus, invisible to readers
    assert "量子计算中心" in _docs_found(idx, embedder, "南京的量子计算中心研究什么")  # not yet removed
    assert "海洋牧场" not in _docs_found(idx, embedder, "舟山海洋牧场养殖什么")  # not yet added
    update_index([SAMPLE, src], home=home, sync=True, progress=False, embedder=embedder)
    done = open_index(home)
    assert _info(done)["gen"] == 3  # the killed attempt's number (2) is not reused
    assert _count(done, "born == 2") == 0 and len(done.dense) == len(done.chunks)
    assert "海洋牧场" in _docs_found(done, embedder, "舟山海洋牧场养殖什么")
    assert "量子计算中心" not in _docs_found(done, embedder, "南京的量子计算中心研究什么")
