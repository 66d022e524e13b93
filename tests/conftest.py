"""Shared fixtures: a temp data dir for every test, and one real index of the
shipped corpus (built once per session with the real bundled embedder)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def e5_model(tmp_path_factory):
    """Convert the bundled e5 weights once per session and share the folder with every
    RAG_HOME (and subprocess) through RAG_E5_MODEL, instead of once per temp data dir."""
    import os

    from rag.e5convert import ensure_e5_model

    folder = ensure_e5_model(home=tmp_path_factory.mktemp("e5home"), use_hub_cache=False)
    os.environ["RAG_E5_MODEL"] = str(folder)
    return folder


@pytest.fixture(autouse=True)
def rag_home(tmp_path, monkeypatch):
    """Every test gets its own empty RAG_HOME."""
    home = tmp_path / "home"
    monkeypatch.setenv("RAG_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def embedder(e5_model):
    """The default embedder (e5-small through sentence-transformers)."""
    from rag.embed import DEFAULT_EMBEDDER, get_embedder

    return get_embedder(DEFAULT_EMBEDDER)


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
