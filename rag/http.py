"""The JSON HTTP API over a :class:`~rag.qa.Searcher`, for scripts and OpenAI clients.

:func:`create_api` returns a FastAPI app with

    POST /api/ask               {"question", "k"?, "mode"?, "filters"?: {"doc_ids", "types", "date_from",
                                 "date_to", "law", "prefer_current"}} → Answer.to_dict()
    GET  /api/health            status, index generation, counts, embedder
    GET  /api/documents         what ``rag docs --json`` prints
    POST /v1/chat/completions   OpenAI-compatible (also ``stream: true``); citations in extra fields
    GET  /v1/models             the one model id, ``rag-zh-extractive``
    GET  /openapi.json, /docs   the schema, and a plain HTML page made from it (no CDN, no JS)

Every failure is a 4xx/5xx JSON body ``{"error": {"message", "type", "param", "code"}}``:
bad input → 400 (library QueryError, malformed JSON) or 422 (wrong shape/type), not JSON →
415, bodies over :data:`MAX_BODY_BYTES` → 413, no usable index → 503. Endpoints are plain
``def`` so searches run in the threadpool. This module holds no retrieval or
answering logic and reads no environment; :mod:`rag.server` mounts the UI. The request and
response bodies are in :mod:`rag.http_schema`.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .dialogue import DialogueConfig, Turn, ask_in_context, turns_from_messages, warm_up
from .errors import EmbedderError, IndexError_, QueryError, RagError
from .http_schema import AskRequest, AskResponse, ChatMessage, ChatRequest, ErrorOut
from .qa import Searcher
from .repealed import with_note
from .retrieve import MAX_QUESTION_CHARS

__all__ = ["MAX_BODY_BYTES", "MODEL_ID", "create_api"]

MODEL_ID = "rag-zh-extractive"
MAX_BODY_BYTES = 64 * 1024
_LIMITED_PREFIXES = ("/api/", "/v1/")


# ------------------------------------------------------------------ errors

def _error(status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
           param: str | None = None) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": type, "param": param, "code": code}}, status)


def _rag_error(e: RagError, home: str | None = None) -> JSONResponse:
    """QueryError (and other bad input) → 400; a missing/broken index or embedder → 503.

    The server's data directory is never shown: it is replaced by ``$RAG_HOME``.
    """
    msg = _hide_paths(str(e), home)
    if isinstance(e, (IndexError_, EmbedderError)):
        return _error(503, msg, type="index_unavailable", code=type(e).__name__)
    return _error(400, msg, code=type(e).__name__)


def _hide_paths(msg: str, home: str | None) -> str:
    """``msg`` without absolute server paths (the data directory becomes ``$RAG_HOME``).

    >>> _hide_paths("No index at /srv/rag/index/current; run rag index", "/srv/rag/index")
    'No index at $RAG_HOME/current; run rag index'
    >>> _hide_paths("cannot load /opt/models/e5 (missing)", None)
    'cannot load …/e5 (missing)'
    """
    if home:
        msg = msg.replace(str(home), "$RAG_HOME")
    return re.sub(r"(?<![\w$])/(?:[^\s/'\"]+/)+([^\s/'\"]+)", r"…/\1", msg)


class _RateLimit:
    """ASGI middleware: per-client (address) rate limit on the question routes, with the ``limits``
    library (moving window, in memory). Over the limit → 429 with Retry-After, JSON for /api and /v1."""

    PATHS = ("/api/ask", "/v1/chat/completions", "/gradio_api/queue/join", "/gradio_api/call/",
             "/gradio_api/run/", "/gradio_api/upload")

    def __init__(self, app, limit: str):
        from limits import parse_many, storage, strategies

        self.app, self.items = app, parse_many(limit)
        self.limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.PATHS):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("unknown", 0))[0]
        key = "upload" if scope["path"].startswith("/gradio_api/upload") else "ask"
        if all(self.limiter.hit(item, key, client) for item in self.items):
            return await self.app(scope, receive, send)
        resp = _error(429, f"Too many requests from this address; the limit is "
                           f"{'; '.join(str(i) for i in self.items)}. Try again in a minute.",
                      type="rate_limit_error", code="rate_limited")
        resp.headers["Retry-After"] = "60"
        await resp(scope, receive, send)


def _validation_error(request: Request, e: RequestValidationError) -> JSONResponse:
    """Pydantic's error list → one readable message: malformed JSON → 400, not JSON → 415, wrong shape → 422.

    >>> req = Request({"type": "http", "headers": [(b"content-type", b"application/json")]})
    >>> e = RequestValidationError([{"type": "extra_forbidden", "loc": ("body", "filters", "x"), "msg": "..."}])
    >>> json.loads(_validation_error(req, e).body)["error"]
    {'message': 'filters.x: unknown field', 'type': 'invalid_request_error', 'param': 'filters.x',
     'code': 'invalid_field'}
    """
    errs = list(e.errors())
    if any(x.get("type") == "json_invalid" for x in errs):
        return _error(400, "The request body is not valid JSON.", code="invalid_json")
    if "json" not in request.headers.get("content-type", ""):
        return _error(415, "Send a JSON object with the header Content-Type: application/json.",
                      code="unsupported_media_type")
    parts = []
    for x in errs[:5]:
        where = ".".join(str(p) for p in x.get("loc", ()) if p != "body") or "body"
        msg = "unknown field" if x.get("type") == "extra_forbidden" else x.get("msg", "invalid")
        parts.append(f"{where}: {msg}")
    param = parts[0].split(": ", 1)[0] if parts else None
    return _error(422, "; ".join(parts) or "Invalid request.", code="invalid_field", param=param)


class _BodyLimit:
    """ASGI middleware: 413 for request bodies over ``limit`` bytes under /api/ and /v1/.

    Checks Content-Length first, then counts the bytes of chunked bodies while
    buffering them (at most ``limit``), so an oversize upload is never parsed.
    """

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(_LIMITED_PREFIXES):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await self._too_large(scope, receive, send)
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] != "http.request":
                break
            chunks.append(msg.get("body", b""))
            size += len(chunks[-1])
            more = msg.get("more_body", False)
            if size > self.limit:
                return await self._too_large(scope, receive, send)
        body, replayed = b"".join(chunks), False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope, receive, send):
        await _error(413, f"The request body is larger than {self.limit // 1024} KB. "
                          f"Questions are limited to {MAX_QUESTION_CHARS} characters.",
                     code="body_too_large")(scope, receive, send)


# ------------------------------------------------------------------ OpenAI helpers

def _question_from(messages: list[ChatMessage]) -> str:
    """The last user message's text (text parts joined); QueryError when there is none."""
    for m in reversed(messages):
        if m.role == "user":
            if isinstance(m.content, list):
                texts = [p.get("text") for p in m.content if p.get("type") == "text"]
                return "".join(t for t in texts if isinstance(t, str))
            return m.content or ""
    raise QueryError("No user message: send messages=[{\"role\": \"user\", \"content\": \"<question>\"}].")


def _history_report(turns: list[Turn]) -> dict:
    """How much of the conversation the rewriter read: older turns than ``DialogueConfig.max_turns`` are dropped."""
    used = min(len(turns), DialogueConfig.max_turns)
    return {"turns": len(turns), "used": used, "truncated": used < len(turns)}


def _completion(*, chunk: bool = False, **choice) -> dict:
    """One chat.completion (or .chunk) object; ``choice`` holds id, created and the choice fields."""
    return {"id": choice.pop("id"), "object": "chat.completion.chunk" if chunk else "chat.completion",
            "created": choice.pop("created"), "model": MODEL_ID, "choices": [{"index": 0, **choice}]}


def _pieces(text: str) -> list[str]:
    """The answer cut after sentences and after ``[n]`` markers, so no marker is split.

    >>> _pieces("甲。[1]乙!丙")
    ['甲。[1]', '乙!', '丙']
    """
    return [p for p in re.split(r"(?<=\])|(?<=[。！？!?；;\n])(?!\[)", text) if p]


def _stream(answer: dict, *, id: str, created: int, extra: dict | None = None):
    """SSE lines: role, the answer in pieces, a final chunk with citations + usage, then [DONE]."""
    def event(obj) -> str:
        return f"data: {json.dumps(obj, ensure_ascii=False)}\n\n"

    base = {"id": id, "created": created, "chunk": True, "logprobs": None}
    yield event(_completion(**base, delta={"role": "assistant", "content": ""}, finish_reason=None))
    for piece in _pieces(with_note(answer)):  # a repealed law's note first (rag.repealed)
        yield event(_completion(**base, delta={"content": piece}, finish_reason=None))
    last = _completion(**base, delta={}, finish_reason="stop")
    yield event({**last, "usage": _usage(answer), "citations": answer["citations"], "rag": answer, **(extra or {})})
    yield "data: [DONE]\n\n"


def _usage(answer: dict) -> dict:
    """Character counts (there is no tokenizer behind an extractive answer)."""
    p, c = len(answer["question"]), len(with_note(answer))
    return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}


# ------------------------------------------------------------------ the app

def _docs_page(schema: dict) -> str:
    """A self-contained HTML summary of the OpenAPI schema: no scripts, no external assets."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{esc(schema['info']['title'])}</title>",
             f"<h1>{esc(schema['info']['title'])}</h1><p>{esc(schema['info'].get('description', ''))}</p>",
             "<p>Machine-readable schema: <a href='openapi.json'>/openapi.json</a>. "
             "Guide with examples: <code>docs/api.md</code>.</p>"]
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            parts.append(f"<h2><code>{method.upper()} {esc(path)}</code> — {esc(op.get('summary', ''))}</h2>"
                         f"<p>{esc(op.get('description', ''))}</p>")
            ref = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body = schema.get("components", {}).get("schemas", {}).get(ref.get("$ref", "").rsplit("/", 1)[-1])
            if body:
                rows = "".join(f"<tr><td><code>{esc(k)}</code></td><td>{esc(json.dumps(v, ensure_ascii=False))}"
                               "</td></tr>" for k, v in body.get("properties", {}).items())
                parts.append(f"<table border=1 cellpadding=4><tr><th>field</th><th>schema</th></tr>{rows}</table>")
    return "".join(parts)


def create_api(searcher: Searcher, *, rate_limit: str | None = None) -> FastAPI:
    """The API app for ``searcher``; :func:`rag.server.create_app` mounts the UI beside it.

    ``rate_limit`` (``limits`` notation, e.g. ``"120/minute;10/second"``): per-client limit on
    questions (``/api/ask``, ``/v1/chat/completions``, and the UI's queue when it is mounted here).
    """
    app = _app_with_handlers(searcher, rate_limit)
    _ask_routes(app, searcher)
    _openai_routes(app, searcher)

    @app.get("/docs", include_in_schema=False)
    def docs_page():
        return HTMLResponse(_docs_page(app.openapi()))

    # Last: JSON 404/405 for the rest of /api and /v1, which would otherwise fall through
    # to the UI mounted at "/" and get its HTML-ish errors.
    @app.api_route("/api/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
    @app.api_route("/v1/{rest:path}", methods=_ALL_METHODS, include_in_schema=False)
    def no_such_route(request: Request, rest: str):
        return _not_routed(app, request)

    return app


def _app_with_handlers(searcher: Searcher, rate_limit: str | None) -> FastAPI:
    """The app with its body and rate limits, the dialogue warm-up, and every error as the JSON error shape."""
    err = {code: {"model": ErrorOut} for code in (400, 413, 415, 422, 503)}
    app = FastAPI(title="rag-zh API", version="1", docs_url=None, redoc_url=None, responses=err,
                  description="Chinese retrieval Q&A with cited answers. Errors: {\"error\": {\"message\", ...}}.")
    app.add_middleware(_BodyLimit, limit=MAX_BODY_BYTES)
    if rate_limit:
        app.add_middleware(_RateLimit, limit=rate_limit)
    threading.Thread(target=warm_up, daemon=True, name="dialogue-warm-up").start()
    app.add_exception_handler(RagError, lambda req, e: _rag_error(e, str(searcher.home)))
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, lambda req, e: _error(
        e.status_code, str(e.detail), code="not_found" if e.status_code == 404 else "http_error"))
    app.add_exception_handler(Exception, lambda req, e: _error(
        500, f"Internal error ({type(e).__name__}); see the server log.", type="server_error", code="internal"))
    return app


def _ask_routes(app: FastAPI, searcher: Searcher) -> None:
    """``POST /api/ask``, ``GET /api/health``, ``GET /api/documents``."""

    @app.post("/api/ask", response_model=AskResponse, summary="Answer a question with citations")
    def api_ask(req: AskRequest):
        """Exactly what `rag ask --json` prints: answer text with [n] markers, citations whose
        `text` is `document.text[start:end]` and whose `quote` is `document.text[quote_start:quote_end]`."""
        doc_ids = req.filters.doc_ids if req.filters else None
        filters = req.filters.meta_filters() if req.filters else None
        if req.history is not None:
            _, turns = turns_from_messages([m.model_dump() for m in req.history] + [{"role": "user"}])
            ans = ask_in_context(searcher.ask, req.question, turns, k=req.k, mode=req.mode, doc_ids=doc_ids,
                                 filters=filters)
            return JSONResponse({**ans.to_dict(), "history": _history_report(turns)})
        ans = searcher.ask(req.question, k=req.k, mode=req.mode, doc_ids=doc_ids, filters=filters)
        return JSONResponse(ans.to_dict())

    @app.get("/api/health", summary="Index status")
    def api_health():
        """Loads the index (and embedder) if needed; 503 when there is no usable index."""
        idx = searcher.index()
        emb = idx.manifest["embedder"]
        return {"status": "ok", "generation": idx.path.name, "counts": idx.manifest.get("counts", {}),
                "embedder": {"name": emb["name"], "dim": emb["dim"]}, "model": MODEL_ID,
                "max_question_chars": MAX_QUESTION_CHARS, "max_body_bytes": MAX_BODY_BYTES}

    @app.get("/api/documents", summary="The indexed documents")
    def api_documents():
        """doc_id, title, date, path (the file name only), chunks, chars, added — from the loaded index."""
        return _documents(searcher.index())


def _openai_routes(app: FastAPI, searcher: Searcher) -> None:
    """The OpenAI-compatible ``GET /v1/models``, ``GET /v1/models/{id}`` and ``POST /v1/chat/completions``."""

    @app.get("/v1/models", summary="OpenAI-compatible model list")
    def v1_models():
        return {"object": "list", "data": [_model()]}

    @app.get("/v1/models/{model_id}", summary="OpenAI-compatible model info")
    def v1_model(model_id: str):
        if model_id != MODEL_ID:
            return _error(404, f"Unknown model {model_id!r}; the only model is {MODEL_ID!r}.", code="model_not_found")
        return _model()

    @app.post("/v1/chat/completions", response_model=None, summary="OpenAI-compatible chat completion")
    def v1_chat(req: ChatRequest):
        """The last user message is the question; earlier user and assistant turns are its context: a
        follow-up (南京呢？) is searched as a standalone question (`rag.search_question`; top-level `history`
        says how many turns were read). The reply's `content` is the cited answer; top-level `citations`
        and `rag` (the full /api/ask answer) are extras, also sent in the final chunk when `stream` is
        true. `model` and sampling parameters are ignored."""
        doc_ids = req.filters.doc_ids if req.filters else None
        question = _question_from(req.messages)
        _, turns = turns_from_messages([m.model_dump() for m in req.messages])
        ans = ask_in_context(searcher.ask, question, turns, k=req.k, mode=req.mode, doc_ids=doc_ids,
                             filters=req.filters.meta_filters() if req.filters else None).to_dict()
        history = {"history": _history_report(turns)}
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if req.stream:
            return StreamingResponse(_stream(ans, id=cid, created=created, extra=history), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        body = _completion(id=cid, created=created, finish_reason="stop", logprobs=None,
                           message={"role": "assistant", "content": with_note(ans)})
        return JSONResponse({**body, "usage": _usage(ans), "citations": ans["citations"], "rag": ans, **history})


_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def _not_routed(app: FastAPI, request: Request) -> JSONResponse:
    """405 (with Allow) when another method of a real route matches the path, else 404."""
    path = request.url.path
    allowed = sorted({m for r in app.routes if getattr(r, "methods", None) and r.methods != set(_ALL_METHODS)
                      and r.path_regex.match(path) for m in r.methods})
    if allowed:
        resp = _error(405, f"{request.method} is not allowed on {path}; use {', '.join(allowed)}.",
                      code="method_not_allowed")
        resp.headers["Allow"] = ", ".join(allowed)
        return resp
    return _error(404, f"No endpoint {path}. See /docs or /openapi.json for the API.", code="not_found")


def _documents(idx) -> list[dict]:
    """The document list of a loaded index, cached per index object; paths are file names only."""
    cached = getattr(idx, "_api_documents", None)
    if cached is None:
        counts: dict[str, int] = {}
        for c in idx.chunks:
            counts[c.doc_id] = counts.get(c.doc_id, 0) + 1
        cached = [{"doc_id": d.doc_id, "title": d.title, "date": str(d.meta.get("date", "") or ""),
                   "path": Path(d.path).name if d.path else "", "chunks": counts.get(d.doc_id, 0),
                   "chars": len(d.text), "added": d.meta.get("added", "")} for d in idx.documents.values()]
        idx._api_documents = cached
    return cached


def _model() -> dict:
    return {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rag-zh"}
