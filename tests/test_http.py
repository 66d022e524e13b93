"""The HTTP API through a real server: the /api/ask contract, OpenAI compatibility, errors.

An index of ``corpus/`` is built once for the module in a temp RAG_HOME. The
app is the real ``rag serve`` app (API + Gradio UI) when :mod:`ui.app` can be
built, else the API alone (with a warning); uvicorn serves it from a
background thread on a free port of 127.0.0.1. Clients are ``httpx`` and the
official ``openai`` package; nothing is patched.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import openai
import pytest
import uvicorn

from rag.http import MAX_BODY_BYTES, MODEL_ID, AskResponse, create_api
from rag.qa import Searcher
from rag.records import Citation
from rag.retrieve import MAX_QUESTION_CHARS
from rag.update import update_index

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "changsanjiao-ai-2026.md"  # the sample article
QUESTION = "温州人工智能局做什么"
UNANSWERABLE = "北京的房价是多少"
ERROR_KEYS = {"message", "type", "param", "code"}


def _app(home: Path):
    """The app `rag serve` runs (API + UI); if it cannot be built, the tests fail rather than skip."""
    from rag.server import create_app

    return create_app(home)


@contextlib.contextmanager
def _serving(app):
    """Run ``app`` with uvicorn on a free port of 127.0.0.1 in a background thread; yield its URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    h = tmp_path_factory.mktemp("rag_home")
    update_index([CORPUS], home=h, progress=False)
    return h


@pytest.fixture(scope="module")
def searcher(home) -> Searcher:
    return Searcher(home)


@pytest.fixture(scope="module")
def served(home):
    with _serving(_app(home)) as url:
        yield url


@pytest.fixture(scope="module")
def base_url(served) -> str:
    return served


@pytest.fixture(scope="module")
def client(base_url):
    with httpx.Client(base_url=base_url, timeout=30) as c:
        yield c


@pytest.fixture(scope="module")
def oai(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="x", max_retries=0, timeout=30)


def _ask(client, **body) -> dict:
    r = client.post("/api/ask", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def _strip_timings(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "timings_ms"}


# ------------------------------------------------------------------ /api

def test_health(client, home):
    r = client.get("/api/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok"
    assert h["generation"] == (home / "CURRENT").read_text().strip()
    assert h["counts"]["documents"] == 1 and h["counts"]["chunks"] > 1
    assert h["embedder"]["name"] and h["embedder"]["dim"] > 0
    assert h["max_question_chars"] == MAX_QUESTION_CHARS


def test_no_index_is_503(tmp_path):
    with _serving(create_api(Searcher(tmp_path / "empty"))) as url, httpx.Client(base_url=url, timeout=30) as c:
        for r in (c.get("/api/health"), c.get("/api/documents"), c.post("/api/ask", json={"question": QUESTION})):
            err = _assert_error(r, 503)
            assert "rag index" in err["message"] and err["code"] == "IndexNotFound"


def test_documents_match_the_index(client, searcher):
    docs = client.get("/api/documents").json()
    assert {d["doc_id"] for d in docs} == set(searcher.index().documents)
    assert {"doc_id", "title", "date", "path", "chunks", "chars"} <= set(docs[0])


def test_ask_contract(client, searcher):
    ans = _ask(client, question=QUESTION)
    assert set(ans) == set(AskResponse.model_fields)
    assert ans["answerable"] is True and "算力" in ans["answer"]
    assert set(ans["timings_ms"]) == {"retrieve", "answer", "total"}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", ans["answer"])}
    assert markers and markers == {c["n"] for c in ans["citations"]}
    docs = searcher.index().documents
    for c in ans["citations"] + ans["suggestions"]:
        assert set(c) == {f.name for f in dataclasses.fields(Citation)}
        text = docs[c["doc_id"]].text
        assert c["text"] == text[c["start"]:c["end"]]
        assert c["quote"] in c["text"] and c["quote"] == text[c["quote_start"]:c["quote_end"]]


def test_ask_equals_the_library(client, searcher):
    body = _ask(client, question=QUESTION, k=3, mode="bm25")
    assert _strip_timings(body) == _strip_timings(searcher.ask(QUESTION, k=3, mode="bm25").to_dict())


def test_refusal(client):
    ans = _ask(client, question=UNANSWERABLE)
    assert ans["answerable"] is False and ans["citations"] == []


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_and_filters(client, searcher, mode):
    doc_id = next(iter(searcher.index().documents))
    ans = _ask(client, question=QUESTION, k=2, mode=mode, filters={"doc_ids": [doc_id]})
    assert all(c["doc_id"] == doc_id for c in ans["citations"] + ans["suggestions"])
    assert _strip_timings(ans) == _strip_timings(searcher.ask(QUESTION, k=2, mode=mode, doc_ids=[doc_id]).to_dict())


def test_concurrent_requests(client):
    with ThreadPoolExecutor(6) as pool:
        bodies = list(pool.map(lambda m: _ask(client, question=QUESTION, mode=m), ["hybrid", "dense", "bm25"] * 2))
    for i in range(3):
        assert _strip_timings(bodies[i]) == _strip_timings(bodies[i + 3])
    assert bodies[0]["answerable"]


# ------------------------------------------------------------------ errors

def _chunked(total: int):
    piece = b" " * 8192
    yield b'{"question": "' + QUESTION.encode() + b'", "k": 5'
    for _ in range(total // len(piece) + 1):
        yield piece
    yield b"}"


BAD_ASKS = {
    "empty": ({"question": ""}, 400),
    "whitespace": ({"question": " \t\n\u3000 "}, 400),
    "2001 chars": ({"question": "问" * (MAX_QUESTION_CHARS + 1)}, 400),
    "100000 chars": ({"question": "问" * 100_000}, 413),
    "question not text": ({"question": 42}, 422),
    "question null": ({"question": None}, 422),
    "no question": ({"k": 3}, 422),
    "k as text": ({"question": QUESTION, "k": "5"}, 422),
    "k as bool": ({"question": QUESTION, "k": True}, 422),
    "k zero": ({"question": QUESTION, "k": 0}, 422),
    "k 51": ({"question": QUESTION, "k": 51}, 422),
    "bad mode": ({"question": QUESTION, "mode": "fuzzy"}, 422),
    "unknown top-level key": ({"question": QUESTION, "top_k": 3}, 422),
    "unknown filter key": ({"question": QUESTION, "filters": {"doc_id": ["x"]}}, 422),
    "doc_ids not a list": ({"question": QUESTION, "filters": {"doc_ids": "x"}}, 422),
    "unknown doc id": ({"question": QUESTION, "filters": {"doc_ids": ["no-such-doc"]}}, 400),
    "body is a list": ([QUESTION], 422),
    "body is a string": (QUESTION, 422),
}


def _assert_error(r: httpx.Response, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert set(err) == ERROR_KEYS and isinstance(err["message"], str) and len(err["message"]) > 5
    return err


@pytest.mark.parametrize("body,status", BAD_ASKS.values(), ids=BAD_ASKS.keys())
def test_bad_ask(client, body, status):
    _assert_error(client.post("/api/ask", json=body), status)


def test_messages_say_what_to_do(client):
    assert "2000" in _assert_error(client.post("/api/ask", json=BAD_ASKS["2001 chars"][0]), 400)["message"]
    assert "no-such-doc" in _assert_error(client.post("/api/ask", json=BAD_ASKS["unknown doc id"][0]), 400)["message"]
    assert "filters.doc_id" in _assert_error(client.post("/api/ask", json=BAD_ASKS["unknown filter key"][0]),
                                             422)["message"]


@pytest.mark.parametrize("content,headers,status", [
    (b'{"question": "', {"content-type": "application/json"}, 400),
    (b"", {"content-type": "application/json"}, 422),
    (b"", {}, 415),
    (json.dumps({"question": QUESTION}).encode(), {"content-type": "text/plain"}, 415),
    (json.dumps({"question": QUESTION, "pad": " " * MAX_BODY_BYTES}).encode(), {"content-type": "application/json"},
     413),
    (_chunked(MAX_BODY_BYTES), {"content-type": "application/json"}, 413),
], ids=["malformed json", "empty body", "no body or type", "not json", "oversize body", "oversize chunked"])
def test_bad_bodies(client, content, headers, status):
    _assert_error(client.post("/api/ask", content=content, headers=headers), status)


def test_chunked_body_under_the_limit_is_accepted(client):
    r = client.post("/api/ask", content=_chunked(20_000), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["answerable"]


def test_wrong_method_and_path(client):
    r = client.get("/api/ask")
    _assert_error(r, 405)
    assert r.headers["allow"] == "POST"
    _assert_error(client.post("/api/health"), 405)
    _assert_error(client.get("/api/nothing-here"), 404)
    _assert_error(client.post("/v1/completions", json={"prompt": QUESTION}), 404)


def test_server_survives_the_errors(client):
    assert _ask(client, question=QUESTION)["answerable"]


# ------------------------------------------------------------------ OpenAI-compatible /v1

def test_models(oai):
    assert [m.id for m in oai.models.list()] == [MODEL_ID]
    assert oai.models.retrieve(MODEL_ID).id == MODEL_ID
    with pytest.raises(openai.NotFoundError):
        oai.models.retrieve("gpt-4o")


def test_chat_completion(oai, client):
    r = oai.chat.completions.create(
        model=MODEL_ID, temperature=0.2, max_tokens=64, top_p=0.9, user="scorer",
        messages=[{"role": "system", "content": "你是助手"}, {"role": "user", "content": "上海呢?"},
                  {"role": "assistant", "content": "..."}, {"role": "user", "content": QUESTION}])
    # the same conversation through /api/ask (a question with history is answered as a follow-up: rag.followup_refusal)
    rag = _ask(client, question=QUESTION, history=[{"role": "user", "content": "上海呢?"},
                                                   {"role": "assistant", "content": "..."}])
    rag.pop("history", None)  # /api/ask says how many turns it read; the chat completion does not
    assert r.object == "chat.completion" and r.model == MODEL_ID
    assert r.choices[0].finish_reason == "stop" and r.choices[0].message.role == "assistant"
    assert r.choices[0].message.content == rag["answer"] and "算力" in r.choices[0].message.content
    extra = r.model_extra
    assert extra["citations"] == rag["citations"] and _strip_timings(extra["rag"]) == _strip_timings(rag)
    assert r.usage.completion_tokens == len(rag["answer"])


def test_chat_completion_extensions_and_content_parts(oai):
    r = oai.chat.completions.create(
        model="anything", messages=[{"role": "user", "content": [{"type": "text", "text": UNANSWERABLE}]}],
        extra_body={"k": 2, "mode": "bm25"})
    assert r.model_extra["rag"]["answerable"] is False and r.model_extra["citations"] == []


def test_chat_completion_stream(oai, client):
    chunks = list(oai.chat.completions.create(model=MODEL_ID, stream=True,
                                              messages=[{"role": "user", "content": QUESTION}]))
    rag = _ask(client, question=QUESTION)
    assert all(c.object == "chat.completion.chunk" and c.id == chunks[0].id for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content or "" for c in chunks]
    assert "".join(pieces) == rag["answer"]
    assert all(p.count("[") == p.count("]") for p in pieces), "a [n] marker was split across chunks"
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra["citations"] == rag["citations"] and last.model_extra["rag"]["answerable"]


def test_stream_wire_format(client):
    with client.stream("POST", "/v1/chat/completions",
                       json={"stream": True, "messages": [{"role": "user", "content": QUESTION}]}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = [line for line in r.iter_lines() if line]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    assert "citations" in json.loads(events[-2][len("data: "):])


@pytest.mark.parametrize("body,status,exc", [
    ({"model": MODEL_ID, "messages": [{"role": "user", "content": ""}]}, 400, openai.BadRequestError),
    ({"model": MODEL_ID, "messages": [{"role": "user", "content": "问" * 2001}]}, 400, openai.BadRequestError),
    ({"model": MODEL_ID, "messages": [{"role": "system", "content": "hi"}]}, 400, openai.BadRequestError),
    ({"model": MODEL_ID, "messages": []}, 422, openai.UnprocessableEntityError),
    ({"model": MODEL_ID, "messages": [{"role": "user", "content": 5}]}, 422, openai.UnprocessableEntityError),
    ({"model": MODEL_ID, "messages": [{"role": "user", "content": QUESTION}], "mode": "x"}, 422,
     openai.UnprocessableEntityError),
    ({"model": MODEL_ID, "messages": [{"role": "user", "content": [{"type": "text", "text": 5}]}]}, 400,
     openai.BadRequestError),
], ids=["empty", "too long", "no user message", "no messages", "content not text", "bad mode", "part not text"])
def test_chat_errors(oai, client, body, status, exc):
    _assert_error(client.post("/v1/chat/completions", json=body), status)
    extra = {k: v for k, v in body.items() if k not in ("model", "messages")}
    with pytest.raises(exc) as e:
        oai.chat.completions.create(model=body["model"], messages=body["messages"], extra_body=extra or None)
    assert e.value.status_code == status and e.value.message


def test_chat_stream_error_is_json_not_a_stream(client):
    r = client.post("/v1/chat/completions", json={"stream": True, "messages": [{"role": "user", "content": " "}]})
    _assert_error(r, 400)


# ------------------------------------------------------------------ schema and docs page

def test_openapi_schema(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/health", "/api/documents", "/v1/chat/completions", "/v1/models"):
        assert path in schema["paths"]
    ask = schema["components"]["schemas"]["AskRequest"]
    assert ask["properties"]["mode"]["enum"] == ["hybrid", "dense", "bm25"]


def test_ui_is_mounted_beside_the_api(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_docs_page_is_local(client):
    r = client.get("/docs")
    assert r.status_code == 200 and "/api/ask" in r.text
    assert "<script" not in r.text and "http://" not in r.text and "https://" not in r.text


def test_control_characters_and_lone_surrogates_are_cleaned(client):
    # json.dumps keeps "\ud800" as an escape, so the server receives a real lone surrogate
    body = json.dumps({"question": "温州\x00\x07人工智能局\ud800做什么"})
    r = client.post("/api/ask", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 200
    d = r.json()
    assert d["question"] == "温州人工智能局做什么" and d["answerable"]
