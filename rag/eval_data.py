"""Question sets for evaluation: SQuAD JSON, question JSONL and BEIR folders, read into plain records.

- SQuAD-format JSON (CMRC2018, DRCD): each context becomes a document; the questions of one
  article share its documents (``source_docs``: removed for the "own article removed" check).
- JSONL, one ``{"question", "answers": [...], "answerable": true|false}`` per line, asked of an
  existing index (``relevant_docs`` optional).
- BEIR folders (``corpus.jsonl``, ``queries.jsonl``, ``qrels/test.tsv``): relevance by document id.

This module only reads files; :mod:`rag.evaluate` asks the questions and scores the answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RagError
from .ingest import RawBlock, assemble
from .records import Document

__all__ = ["EvalItem", "load_dataset", "read_beir", "read_jsonl_items", "read_squad"]


@dataclass
class EvalItem:
    """One question: gold answer strings and/or relevant document ids."""

    qid: str
    question: str
    answers: list[str] = field(default_factory=list)
    answerable: bool = True
    relevant_docs: set[str] = field(default_factory=set)
    #: the documents of the question's own article (SQuAD sets): removed from the index for the
    #: "own article removed" refusal check
    source_docs: set[str] = field(default_factory=set)


def read_squad(path: Path) -> tuple[list[Document], list[EvalItem]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    docs: dict[str, Document] = {}
    items: list[EvalItem] = []
    for art in data["data"]:
        article: set[str] = set()  # shared by the article's items, filled as its paragraphs are read
        for p in art["paragraphs"]:
            doc = assemble([RawBlock(p["context"])], meta={"title": art.get("title", "")}, path=str(path))
            docs.setdefault(doc.doc_id, doc)
            article.add(doc.doc_id)
            for qa in p["qas"]:
                if not str(qa.get("question", "")).strip():
                    continue  # a few dataset rows have no question text
                answers = list(dict.fromkeys(a["text"] for a in qa.get("answers", []) if a["text"].strip()))
                unans = bool(qa.get("is_impossible")) or not answers
                items.append(EvalItem(str(qa["id"]), qa["question"], answers, not unans, source_docs=article))
    return list(docs.values()), items


def read_jsonl_items(path: Path) -> list[EvalItem]:
    items = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            if not str(r["question"]).strip():
                continue
            items.append(EvalItem(str(r.get("id", i)), r["question"], [a for a in r.get("answers", []) if a.strip()],
                                  bool(r.get("answerable", True)), set(r.get("relevant_docs", []))))
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            raise RagError(f"{path}:{i}: not a valid question line ({e}). "
                           'Expected {"question": ..., "answers": [...], "answerable": true|false}.') from e
    return items


def read_beir(path: Path) -> tuple[list[Document], list[EvalItem]]:
    docs, id_map = [], {}
    for line in (path / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            d = assemble([RawBlock(r.get("text", ""))], meta={"title": r.get("title", ""), "beir_id": r["_id"]},
                         path=str(path))
            docs.append(d)
            id_map.setdefault(str(r["_id"]), d.doc_id)
    qrels: dict[str, set[str]] = {}
    qfile = next((path / "qrels").glob("test.tsv"), None) or next((path / "qrels").glob("*.tsv"), None)
    if qfile is None:
        raise RagError(f"{path}/qrels has no .tsv file; a BEIR folder needs qrels/test.tsv.")
    for i, line in enumerate(qfile.read_text(encoding="utf-8").splitlines()):
        parts = line.split("\t")
        if i == 0 and not parts[-1].strip().lstrip("-").isdigit():
            continue  # header
        if len(parts) >= 3 and int(parts[-1]) > 0 and parts[1] in id_map:
            qrels.setdefault(parts[0], set()).add(id_map[parts[1]])
    items = []
    for line in (path / "queries.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            r = json.loads(line)
            if str(r["_id"]) in qrels:
                items.append(EvalItem(str(r["_id"]), r["text"], [], True, qrels[str(r["_id"])]))
    return docs, items


def load_dataset(path: str | Path) -> tuple[list[Document] | None, list[EvalItem]]:
    """Read a dataset; returns ``(documents or None, items)``. JSONL sets bring no documents."""
    p = Path(path)
    if p.is_dir():
        return read_beir(p)
    if p.suffix == ".jsonl":
        return None, read_jsonl_items(p)
    return read_squad(p)
