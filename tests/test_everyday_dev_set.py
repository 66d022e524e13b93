"""The everyday-worded development set: every gold span is copied verbatim from its document.

Reads the documents straight from ../shared/data (skipped when that is absent); builds no index.
"""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "everyday_dev.py"
SET = ROOT / "bench" / "data" / "everyday_dev.jsonl"


def _module():
    spec = importlib.util.spec_from_file_location("everyday_dev", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows():
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_set_shape():
    rows = _rows()
    assert len({r["id"] for r in rows}) == len(rows), "ids must be unique"
    answerable = [r for r in rows if r["answerable"]]
    assert 100 <= len(answerable) and 30 <= len(rows) - len(answerable)
    assert all(r["answers"] for r in answerable) and not any(r["answers"] for r in rows if not r["answerable"])
    english = [r for r in rows if all(ord(c) < 128 for c in r["question"])]
    assert len(english) >= 10


def test_gold_spans_occur_in_their_documents():
    mod = _module()
    if not (mod.ARCHIVE.exists() and mod.CMRC_TRIAL.exists()):
        pytest.skip(f"needs {mod.ARCHIVE} and {mod.CMRC_TRIAL}")
    docs = mod.documents()
    assert set(docs) == {r["doc"] for r in _rows()}, "every listed document has questions and vice versa"
    assert mod.check() == []
    # the check does fail on a span that is not in its document
    bad = SET.parent / "_bad.jsonl"
    try:
        row = dict(_rows()[0], answers=["这句话不在任何文件里"])
        bad.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
        assert len(mod.check(bad)) == 1
    finally:
        bad.unlink(missing_ok=True)


def test_no_document_is_in_the_shipped_corpus():
    mod = _module()
    names = {p.name for p in (ROOT / "corpus").rglob("*.md")}
    assert not names & {Path(p).name for p in mod.LAWS}
