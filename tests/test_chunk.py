"""Chunk offsets round-trip, sentence splitting, sections, and what is left out."""

from __future__ import annotations

import json

import pytest

from rag.chunk import chunk_document, split_sentences
from rag.config import ChunkConfig
from rag.ingest import RawBlock, assemble, load_file

from .conftest import CORPUS, SHARED


def _cmrc_docs(n=40):
    data = json.loads((SHARED / "cmrc2018" / "cmrc2018_trial.json").read_text(encoding="utf-8"))
    ctx = [p["context"] for a in data["data"] for p in a["paragraphs"]][:n]
    return [assemble([RawBlock(c)]) for c in ctx]


@pytest.mark.parametrize("cfg", [ChunkConfig(), ChunkConfig(size=120, overlap=40), ChunkConfig(size=50, overlap=0,
                                                                                             max_sentence=40)])
def test_chunk_text_equals_source_slice(cfg):
    docs = [load_file(CORPUS / "changsanjiao-ai-2026.md")]
    if (SHARED / "cmrc2018").exists():
        docs += _cmrc_docs()
    for doc in docs:
        chunks = chunk_document(doc, cfg)
        assert chunks
        for c in chunks:
            assert doc.text[c.start:c.end] == c.text
            for s, e in c.sentences:
                assert c.start <= s < e <= c.end
            assert len(c.text) <= max(cfg.size, cfg.max_sentence) + 5 or len(c.sentences) == 1


def test_overlap_repeats_trailing_sentences():
    doc = assemble([RawBlock("甲句子一。乙句子二。丙句子三。丁句子四。戊句子五。")])
    chunks = chunk_document(doc, ChunkConfig(size=12, overlap=6))
    assert [c.text for c in chunks] == ["甲句子一。乙句子二。", "乙句子二。丙句子三。", "丙句子三。丁句子四。", "丁句子四。戊句子五。"]


def test_every_body_sentence_is_covered_and_nothing_else():
    doc = load_file(CORPUS / "changsanjiao-ai-2026.md")
    chunks = chunk_document(doc)
    covered = [False] * len(doc.text)
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        for s, e in c.sentences:
            covered[s:e] = [True] * (e - s)
    for b in doc.blocks:
        if b["kind"] == "body":  # every visible character of every body block is in a chunk's sentence
            missed = [i for i in range(b["start"], b["end"]) if not covered[i] and not doc.text[i].isspace()]
            assert not missed, doc.text[missed[0]:missed[0] + 30]
        elif b["kind"] in ("caption", "byline", "pullquote", "decoration"):
            # no chunk covers the block (a pull quote's text also appears in the body, legitimately)
            assert all(c.end <= b["start"] or c.start >= b["end"] for c in chunks), b["kind"]
    assert {c.section for c in chunks} == {"", "集中布局", "选择路径", "错位发展"}


def test_split_sentences_handles_quotes_and_line_ends():
    t = "他说:“好。”然后离开!\n第二行没有标点\n第三行?"
    assert [t[s:e] for s, e in split_sentences(t)] == ["他说:“好。”", "然后离开!", "第二行没有标点", "第三行?"]


def test_long_sentence_is_cut_at_commas_with_exact_offsets():
    t = "，".join(f"第{i}个分句内容" for i in range(60)) + "。"
    spans = split_sentences(t, max_sentence=50)
    assert len(spans) > 1
    assert all(e - s <= 50 for s, e in spans)
    assert "".join(t[s:e] for s, e in spans) == t


@pytest.mark.parametrize("text", ["", "。", "😀", "a", "😀温州。"])
def test_edge_inputs(text):
    spans = split_sentences(text)
    assert all(text[s:e].strip() for s, e in spans)
