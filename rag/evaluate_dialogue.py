"""Evaluation of conversations: each turn of a dialogue scored in context.

A dialogue set is JSONL, one conversation per line::

    {"id": "d01", "turns": [{"question": "苏州2025年2月举行了什么大会?", "answers": ["推进大会"], "answerable": true},
                            {"question": "南京呢?", "answers": [], "answerable": false}]}

Every turn is answered the way the chat answers it — :func:`rag.dialogue.ask_in_context`
over :func:`rag.qa.ask`, with the earlier turns (questions and the answers
*given*, not the gold ones) as history — and scored like a single question
(:mod:`rag.evaluate`): answer-hit (a gold string inside the quoted
sentences, and inside the cited passages), refusal precision/recall, latency.
Results are reported separately for first turns, follow-up turns, and the
follow-up turns asked alone without their history (what the product did before
conversations; the baseline the rewriter must beat).

``rag eval`` routes a file here when its first line has ``"turns"``
(:func:`is_dialogue_file`); the result has the shape of
:func:`rag.evaluate.evaluate_dataset` (rows ``<mode>/first``,
``<mode>/follow-up``, ``<mode>/follow-up-alone``) so ``--json``, ``--out``
and ``--fail-under follow-up.answer_hit_quote=0.85`` work unchanged.
This module builds no index and does no rewriting of its own.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .dialogue import Turn, ask_in_context
from .embed import get_embedder
from .errors import RagError
from .index import Index, open_index
from .qa import ask
from .records import Answer
from .retrieve import RetrieveConfig
from .textnorm import normalize, search_form

__all__ = ["Dialogue", "evaluate_dialogues", "evaluate_dialogues_dataset", "is_dialogue_file", "load_dialogues"]

ROWS = ("first", "follow-up", "follow-up-alone")


@dataclass
class DialogueTurn:
    question: str
    answers: list[str] = field(default_factory=list)
    answerable: bool = True


@dataclass
class Dialogue:
    did: str
    turns: list[DialogueTurn]


def is_dialogue_file(path: str | Path) -> bool:
    """True for a ``.jsonl`` file whose first non-empty line is an object with ``"turns"``."""
    p = Path(path)
    if p.suffix != ".jsonl" or not p.is_file():
        return False
    with p.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.strip():
                try:
                    first = json.loads(line)
                except json.JSONDecodeError:
                    return False
                return isinstance(first, dict) and "turns" in first
    return False


def load_dialogues(path: str | Path) -> list[Dialogue]:
    """Read a dialogue JSONL; a malformed line is a RagError naming the line and the expected shape."""
    out = []
    for i, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
            turns = [DialogueTurn(str(t["question"]), [a for a in t.get("answers", []) if str(a).strip()],
                                  bool(t.get("answerable", True))) for t in r["turns"]]
            if not turns or any(not t.question.strip() for t in turns):
                raise ValueError("empty dialogue or question")
            out.append(Dialogue(str(r.get("id", i)), turns))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            raise RagError(f"{path}:{i}: not a valid dialogue line ({e}). Expected "
                           '{"turns": [{"question": ..., "answers": [...], "answerable": true|false}, ...]}.') from e
    return out


def _score(rows: list[dict]) -> dict:
    """Answer-hit, refusal and latency over scored turns (the single-question metrics of rag.evaluate)."""
    ans = [r for r in rows if r["answerable_gold"]]
    unans = [r for r in rows if not r["answerable_gold"]]
    refused = [r for r in rows if not r["answerable"]]
    m: dict = {"questions": len(rows), "answerable": len(ans)}
    if ans:
        m["answer_hit_quote"] = sum(r["hit_quote"] for r in ans) / len(ans)
        m["answer_hit_passage"] = sum(r["hit_passage"] for r in ans) / len(ans)
    if unans:
        m["unanswerable"] = len(unans)
        m["refusal_precision"] = sum(not r["answerable_gold"] for r in refused) / len(refused) if refused else 0.0
        m["refusal_recall"] = sum(not r["answerable"] for r in unans) / len(unans)
    lat = [r["latency_ms"] for r in rows]
    m["latency_p50_ms"] = float(np.percentile(lat, 50)) if lat else None
    m["latency_p95_ms"] = float(np.percentile(lat, 95)) if lat else None
    m["rewritten"] = sum(r["search_question"] != r["question"] for r in rows) / len(rows) if rows else 0.0
    return m


def _row(d: Dialogue, i: int, turn: DialogueTurn, a: Answer, mode: str, kind: str) -> dict:
    golds = [search_form(normalize(g)[0]) for g in turn.answers]
    ok = a.answerable and bool(golds)
    return {"id": f"{d.did}#{i + 1}", "mode": mode, "kind": kind, "question": turn.question,
            "search_question": a.search_question or a.question, "answerable_gold": turn.answerable,
            "answerable": a.answerable, "answer": a.answer, "confidence": round(a.confidence, 4),
            "hit_quote": ok and any(g in search_form(c.quote) for g in golds for c in a.citations),
            "hit_passage": ok and any(g in search_form(c.text) for g in golds for c in a.citations),
            "latency_ms": round(a.timings_ms.get("total", 0.0), 2)}


def evaluate_dialogues(index: Index, dialogues: Sequence[Dialogue], *, embedder, modes: Sequence[str] = ("hybrid",),
                       config: RetrieveConfig = RetrieveConfig(), per_question: list | None = None) -> dict:
    """Score every turn in context; returns ``{"<mode>/first" | "<mode>/follow-up" | …: metrics}``."""
    out: dict[str, dict] = {}
    for mode in modes:
        one = functools.partial(ask, index, embedder=embedder, k=5, mode=mode, config=config)
        rows: dict[str, list[dict]] = {k: [] for k in ROWS}
        for d in dialogues:
            history: list[Turn] = []
            for i, turn in enumerate(d.turns):
                a = ask_in_context(one, turn.question, history)
                rows["first" if i == 0 else "follow-up"].append(_row(d, i, turn, a, mode, "first" if i == 0
                                                                     else "follow-up"))
                history.append(Turn(turn.question, a.answer, a.search_question))
                if i:
                    rows["follow-up-alone"].append(_row(d, i, turn, one(turn.question), mode, "follow-up-alone"))
        for kind, rs in rows.items():
            out[f"{mode}/{kind}"] = _score(rs)
            if per_question is not None:
                per_question.extend(rs)
    return out


def evaluate_dialogues_dataset(path: str | Path, *, index_home=None, modes: Sequence[str] = ("hybrid",),
                               limit: int | None = None, embedder_name: str | None = None,
                               per_question_path: str | Path | None = None,
                               config: RetrieveConfig = RetrieveConfig(), **_ignored) -> dict:
    """The ``rag eval`` entry point for dialogue files (against an existing index: the first ``index_home``)."""
    dialogues = load_dialogues(path)[:limit] if limit else load_dialogues(path)
    if not dialogues:
        raise RagError(f"{path} holds no dialogues.")
    homes = [index_home] if isinstance(index_home, (str, Path)) else list(index_home or [None])
    index = open_index(homes[0])
    embedder = get_embedder(embedder_name or index.embedder_name)
    rows: list | None = [] if per_question_path else None
    results = evaluate_dialogues(index, dialogues, embedder=embedder, modes=modes, config=config, per_question=rows)
    if per_question_path:
        with open(per_question_path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return {"dataset": str(path), "index": str(index.path), "embedder": embedder.name,
            "documents": len(index.documents), "chunks": len(index.chunks), "dialogues": len(dialogues),
            "primary_metric": "answer_hit_quote", "modes": results}
