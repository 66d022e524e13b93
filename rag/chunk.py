"""Chunking for Chinese: Document → sentences → overlapping Chunks.

Sentences end at 。！？!?；;… (plus closing quotes) and at line ends; a
sentence longer than ``max_sentence`` is cut at commas/spaces with
langchain-text-splitters' ``RecursiveCharacterTextSplitter``. Sentences are
packed greedily into chunks of about ``size`` characters; the next chunk
starts with trailing sentences of the previous one (up to ``overlap``
characters). Chunks never cross a heading, and captions, bylines and pull
quotes are left out, so they cannot become answers. Each chunk carries its
section path ("集中布局", "第一章 > 第二节") and its ``[start, end)`` in the
document: ``doc.text[chunk.start:chunk.end] == chunk.text``.

Statutes (blocks labelled with an ``article`` by :mod:`rag.statute`): one
article is one chunk when it fits in ``size``; a longer article is split at
its 款/项 paragraphs (at sentences only when one paragraph is too long), and
every part keeps the article label in ``Chunk.article``. Chunks never span
two articles, two documents or a heading; the title heading of a law is not
part of the section path, so ``section`` reads "总则 > 第二章 自然人 > 第四节 …".

This module does not embed or index anything.
"""

from __future__ import annotations

import functools
import re

from .config import ChunkConfig
from .records import Chunk, Document
from .textnorm import to_mainland

__all__ = ["chunk_document", "embed_text", "split_sentences"]

_SENT_END = re.compile(r"[。！？!?；;…]+[”’」』\"')）]*|\n+")


@functools.lru_cache(maxsize=8)
def _long_splitter(size: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        separators=["，", ",", "、", "：", ":", " ", ""], chunk_size=size, chunk_overlap=0,
        keep_separator="end", add_start_index=True, strip_whitespace=False)


def split_sentences(text: str, start: int = 0, end: int | None = None, *,
                    max_sentence: int = 300) -> list[tuple[int, int]]:
    """Sentence spans ``[s, e)`` of ``text[start:end]`` (absolute offsets, trimmed).

    >>> t = "温州成立人工智能局。统筹算力!"
    >>> [t[s:e] for s, e in split_sentences(t)]
    ['温州成立人工智能局。', '统筹算力!']
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    pos = start
    for m in _SENT_END.finditer(text, start, end):
        _add_span(text, pos, m.end(), spans, max_sentence)
        pos = m.end()
    _add_span(text, pos, end, spans, max_sentence)
    return spans


def _add_span(text: str, s: int, e: int, spans: list, max_sentence: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e <= s:
        return
    if e - s <= max_sentence:
        spans.append((s, e))
        return
    piece = text[s:e]
    for d in _long_splitter(max_sentence).create_documents([piece]):
        off = s + d.metadata["start_index"]
        _add_span(text, off, off + len(d.page_content), spans, max_sentence) if len(
            d.page_content) < e - s else spans.append((off, off + len(d.page_content)))


def _sections(doc: Document) -> list[tuple[list[tuple[int, int]], str]]:
    """Group consecutive body blocks under their heading path."""
    groups: list[tuple[list[tuple[int, int]], str]] = []
    stack: list[tuple[int, str]] = []
    current: list[tuple[int, int]] = []
    path = ""
    for b in doc.blocks:
        kind = b["kind"]
        if kind == "body":
            current.append((b["start"], b["end"]))
            continue
        if current:
            groups.append((current, path))
            current = []
        if kind == "heading":
            level = b.get("level") or 1
            stack = [(lv, t) for lv, t in stack if lv < level]
            stack.append((level, doc.text[b["start"]:b["end"]]))
            path = " > ".join(t for _, t in stack)
    if current:
        groups.append((current, path))
    return groups


def _article_units(doc: Document) -> list[tuple[list[tuple[int, int]], str, str]]:
    """Consecutive body blocks of one article (or of unlabelled text) under their heading path."""
    units: list[tuple[list[tuple[int, int]], str, str]] = []
    stack: list[tuple[int, str]] = []
    path, prev = "", None
    for b in doc.blocks:
        kind = b["kind"]
        if kind == "heading":
            level = b.get("level") or 1
            stack = [(lv, t) for lv, t in stack if lv < level]
            stack.append((level, doc.text[b["start"]:b["end"]]))
            path, prev = " > ".join(t for _, t in stack), None
        elif kind == "body":
            key = (path, b.get("article", ""))
            if prev == key:
                units[-1][0].append((b["start"], b["end"]))
            else:
                units.append(([(b["start"], b["end"])], path, key[1]))
            prev = key
        elif kind != "header":
            prev = None
    return units


def _chunk_articles(doc: Document, config: ChunkConfig) -> list[Chunk]:
    chunks: list[Chunk] = []

    def emit(sents: list[tuple[int, int]], section: str, article: str) -> None:
        s, e = sents[0][0], sents[-1][1]
        chunks.append(Chunk(chunk_id=f"{doc.doc_id}-{len(chunks):04d}", doc_id=doc.doc_id, start=s, end=e,
                            text=doc.text[s:e], section=section, sentences=list(sents), article=article))

    for blocks, section, article in _article_units(doc):
        paras = [split_sentences(doc.text, s, e, max_sentence=config.max_sentence) for s, e in blocks]
        paras = [p for p in paras if p]
        if not paras:
            continue
        if paras[-1][-1][1] - paras[0][0][0] <= config.size:
            emit([x for p in paras for x in p], section, article)
            continue
        group: list[tuple[int, int]] = []
        for p in paras:  # pack whole 款 into parts of at most `size`; a too-long 款 is cut at sentences
            if group and p[-1][1] - group[0][0] > config.size:
                emit(group, section, article)
                group = []
            for sent in p:
                if group and sent[1] - group[0][0] > config.size:
                    emit(group, section, article)
                    group = []
                group.append(sent)
        if group:
            emit(group, section, article)
    return chunks


def chunk_document(doc: Document, config: ChunkConfig = ChunkConfig()) -> list[Chunk]:
    """Split ``doc`` into overlapping chunks of whole sentences.

    >>> from rag.ingest import assemble, RawBlock
    >>> d = assemble([RawBlock("温州成立人工智能局。它统筹算力建设。")])
    >>> [c.text for c in chunk_document(d, ChunkConfig(size=12, overlap=0))]
    ['温州成立人工智能局。', '它统筹算力建设。']
    """
    if any(b.get("article") for b in doc.blocks):
        return _chunk_articles(doc, config)
    chunks: list[Chunk] = []
    for blocks, section in _sections(doc):
        sents: list[tuple[int, int]] = []
        for s, e in blocks:
            sents += split_sentences(doc.text, s, e, max_sentence=config.max_sentence)
        i = 0
        while i < len(sents):
            j = i
            while j < len(sents) and (j == i or sents[j][1] - sents[i][0] <= config.size):
                j += 1
            group = sents[i:j]
            s, e = group[0][0], group[-1][1]
            chunks.append(Chunk(chunk_id=f"{doc.doc_id}-{len(chunks):04d}", doc_id=doc.doc_id, start=s, end=e,
                                text=doc.text[s:e], section=section, sentences=list(group)))
            if j >= len(sents):
                break
            # overlap: restart at the earliest trailing sentence that fits in `overlap`
            k = j
            while k - 1 > i and sents[j - 1][1] - sents[k - 1][0] <= config.overlap:
                k -= 1
            i = k
    return chunks


def embed_text(chunk: Chunk, title: str = "") -> str:
    """What the embedder and BM25 see for a chunk: title, section, passage, in simplified script."""
    label = chunk.article if chunk.article and not chunk.text.startswith(chunk.article) else ""
    head = " ".join(x for x in (title, chunk.section.replace(" > ", " "), label) if x)
    return to_mainland(f"{head}\n{chunk.text}" if head else chunk.text)
