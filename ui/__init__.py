"""The web UI of the retrieval Q&A assistant (Gradio, mounted by :mod:`rag.server`).

- :mod:`ui.app` — ``build_ui(searcher)``: chat, library and retrieval-test tabs.
- :mod:`ui.render` — escaped HTML for answers, sources and tables (no gradio).
- :mod:`ui.library` — upload checks, saving and deleting documents.
- :mod:`ui.feedback` — 👍/👎 records appended to ``feedback.jsonl``.
- :mod:`ui.theme` — theme with local fonts, CSS and the chat-log script.

Importing this package does not import gradio; ``build_ui`` is loaded lazily.
"""

from __future__ import annotations

__all__ = ["build_ui"]


def __getattr__(name: str):
    if name == "build_ui":
        from .app import build_ui

        return build_ui
    raise AttributeError(name)
