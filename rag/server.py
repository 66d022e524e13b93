"""The ``rag serve`` process: one FastAPI app with the HTTP API and the Gradio UI.

``create_app`` wires a :class:`~rag.qa.Searcher` into the JSON API
(:mod:`rag.http`, under ``/api`` and ``/v1``) and mounts the chat UI
(:mod:`ui.app`) at ``/``. ``serve`` runs it with uvicorn on 127.0.0.1.
Telemetry and analytics are switched off before gradio is imported, and no
share link is ever created. This module holds no business logic.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["create_app", "serve"]


def _offline_env() -> None:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_SHARE"] = "False"


def create_app(home: str | Path | None = None, *, read_only: bool = False, rate_limit: str | None = None):
    """The ASGI app: API routes plus the Gradio UI mounted at ``/``.

    Staff logins come from ``<home>/users.json`` (:mod:`rag.auth`); ``read_only`` refuses every write.
    ``rate_limit`` (e.g. ``"120/minute"``) limits questions per client address, API and chat alike.
    """
    _offline_env()
    import gradio as gr

    from ui.app import build_ui, mount_options

    from .auth import SessionSigner, UserStore, users_file
    from .http import create_api
    from .qa import Searcher

    searcher = Searcher(home, batch_queries=True)  # concurrent requests share one query-embedding batch
    api = create_api(searcher, rate_limit=rate_limit)
    staff = None if read_only else SessionSigner(UserStore(users_file(searcher.home)))
    demo = build_ui(searcher, staff=staff)
    # gradio 6 takes theme, CSS and limits at mount time, not in gr.Blocks().
    return gr.mount_gradio_app(api, demo, path="/", **mount_options())


def serve(home: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 7860, read_only: bool = False,
          rate_limit: str | None = None) -> None:
    """Run the app until interrupted; prints the URL."""
    import uvicorn

    app = create_app(home, read_only=read_only, rate_limit=rate_limit)
    print(f"Serving on http://{host}:{port}/  (API: http://{host}:{port}/docs)", flush=True)
    # Open browser tabs and gradio_client keep streaming connections; don't wait on them forever at exit.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
