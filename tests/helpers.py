"""Test helpers shared by several test modules (real implementations, not mocks)."""

from __future__ import annotations

import json
import subprocess
import time


class CountingEmbedder:
    """The real embedder, counting the passages it is asked to embed."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.passages: list[str] = []

    def embed_queries(self, texts):
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        self.passages += list(texts)
        return self.inner.embed_passages(texts, **kw)


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Terminate a server started by a test; kill it if it does not exit within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def gradio_call(client, fn_index: int, data: list, session: str, *, timeout: float = 120) -> dict:
    """One Gradio ``queue/join`` call by function number (an httpx client on the app's root URL); the final
    SSE message (``process_completed`` or ``unexpected_error``), or ``{}`` when the stream ends without one."""
    r = client.post("gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": session,
                                                   "event_data": None, "trigger_id": None})
    assert r.status_code == 200, r.text
    with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}, timeout=timeout) as s:
        for line in s.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") in ("process_completed", "unexpected_error"):
                    return msg
    return {}


def open_when_free(home, seconds: float = 30):
    """open_index, waiting while a killed child's Milvus Lite server still holds the file."""
    from rag.errors import IndexError_
    from rag.index import open_index

    deadline = time.monotonic() + seconds
    while True:
        try:
            return open_index(home)
        except IndexError_ as e:
            if "opened by one process" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def converse(ask, questions, config=None) -> list:
    """Each question asked after the ones before it, as the chat does (``rag.dialogue.ask_in_context`` with the
    answers so far as history); the answers in order."""
    from rag.dialogue import DialogueConfig, Turn, ask_in_context

    config, history, out = config or DialogueConfig(), [], []
    for q in questions:
        a = ask_in_context(ask, q, history, config=config)
        out.append(a)
        history.append(Turn(q, a.answer, a.search_question))
    return out

