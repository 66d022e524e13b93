"""The ``rag serve`` process: one FastAPI app with the HTTP API and the Gradio UI.

``create_app`` wires a :class:`~rag.qa.Searcher` into the JSON API
(:mod:`rag.http`, under ``/api`` and ``/v1``) and mounts the chat UI at ``/``.
The UI is found through the ``rag_zh.ui`` entry point (``ui.app:mount``,
declared in ``pyproject.toml``), so the library never imports the UI package;
without an installed UI (``ui=False`` or no entry point) only the API is served.
``serve`` runs it with uvicorn on 127.0.0.1. Telemetry and analytics are
switched off before the UI (gradio) is loaded, and no share link is ever
created. This module holds no business logic.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import entry_points
from pathlib import Path

__all__ = ["UI_ENTRY_POINT_GROUP", "create_app", "serve"]

UI_ENTRY_POINT_GROUP = "rag_zh.ui"


def _offline_env() -> None:
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ["GRADIO_SHARE"] = "False"


def _ui_mounter():
    """The installed UI's ``mount(api, searcher, *, staff)``, or None when no UI is installed."""
    found = sorted(entry_points(group=UI_ENTRY_POINT_GROUP), key=lambda ep: ep.name)
    return found[0].load() if found else None


def create_app(home: str | Path | None = None, *, read_only: bool = False, rate_limit: str | None = None,
               ui: bool = True):
    """The ASGI app: API routes plus the chat UI mounted at ``/`` (``ui=False``: the API alone).

    Staff logins come from ``<home>/users.json`` (:mod:`rag.auth`); ``read_only`` refuses every write.
    ``rate_limit`` (e.g. ``"120/minute"``) limits questions per client address, API and chat alike.
    """
    _offline_env()
    from .auth import SessionSigner, UserStore, users_file
    from .http import create_api
    from .qa import Searcher

    searcher = Searcher(home, batch_queries=True)  # concurrent requests share one query-embedding batch
    api = create_api(searcher, rate_limit=rate_limit)
    mount = _ui_mounter() if ui else None
    if mount is None:
        if ui:
            print(f"No UI installed (entry point group {UI_ENTRY_POINT_GROUP!r}; run `pip install -e .`): "
                  "serving the API only.", file=sys.stderr, flush=True)
        return api
    staff = None if read_only else SessionSigner(UserStore(users_file(searcher.home)))
    return mount(api, searcher, staff=staff)


def serve(home: str | Path | None = None, *, host: str = "127.0.0.1", port: int = 7860, read_only: bool = False,
          rate_limit: str | None = None) -> None:
    """Run the app until interrupted; prints the URL."""
    import uvicorn

    app = create_app(home, read_only=read_only, rate_limit=rate_limit)
    print(f"Serving on http://{host}:{port}/  (API: http://{host}:{port}/docs)", flush=True)
    # Open browser tabs and gradio_client keep streaming connections; don't wait on them forever at exit.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3)
