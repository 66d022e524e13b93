"""The library (rag/) never imports the UI package (ui/); `rag serve` finds the UI through an entry point."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi.testclient import TestClient

from rag.server import UI_ENTRY_POINT_GROUP, create_app
from rag.update import update_index

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_library_never_imports_the_ui():
    offenders = {str(p.relative_to(ROOT)): sorted(m for m in _imported_modules(p) if m == "ui" or m.startswith("ui."))
                 for p in (ROOT / "rag").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_ui_is_registered_as_an_entry_point():
    from importlib.metadata import entry_points

    found = {ep.name: ep.value for ep in entry_points(group=UI_ENTRY_POINT_GROUP)}
    assert found.get("gradio") == "ui.app:mount"


def test_api_alone_without_the_ui(tmp_path):
    update_index([ROOT / "corpus" / "changsanjiao-ai-2026.md"], home=tmp_path, progress=False)
    client = TestClient(create_app(tmp_path, ui=False))
    assert client.get("/api/health").status_code == 200
    assert client.get("/").status_code == 404  # nothing mounted at / without the UI
