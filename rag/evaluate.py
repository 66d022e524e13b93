"""Evaluation: retrieval and answer metrics on question sets.

Datasets are read by :mod:`rag.eval_data` (SQuAD JSON, question JSONL, BEIR folders); for a
SQuAD file without an index the corpus is the file's own contexts.

Metrics per retrieval mode (:func:`evaluate`): recall@1/5/10, MRR@10 and
nDCG@10 (a hit is a passage containing a gold answer string, or a passage of
a relevant BEIR document; the ideal ranking counts every relevant passage of
the index), answer-hit (a gold answer inside the cited quotes,
and inside the cited passages), the share of answerable questions refused,
refusal precision/recall when unanswerable items exist and — for SQuAD
sets — when each question's own article is removed from the index, and
latency p50/p95 of :func:`rag.qa.ask` (the path users run). Like
sentence-transformers' evaluators it takes plain data and returns a dict;
``primary_metric`` names the headline number. This module builds no UI.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from .answer import RefusalModel
from .config import ChunkConfig, data_dir
from .embed import DEFAULT_EMBEDDER, Embedder, get_embedder
from .errors import RagError
from .eval_data import EvalItem, load_dataset
from .index import Index, open_index
from .qa import ask
from .records import Answer, Document
from .retrieve import RetrieveConfig, retrieve
from .textnorm import normalize, search_form

__all__ = ["EvalItem", "QueryCache", "check_thresholds", "evaluate", "evaluate_dataset", "format_table", "load_dataset",
           "own_documents", "score_answer"]

KS = (1, 5, 10)


class QueryCache:
    """Wraps an embedder so each query is embedded once across modes.

    ``replayed_ms`` accumulates the original embedding time of answers served
    from the memo, so latency figures of later modes still include it.
    """

    def __init__(self, inner: Embedder):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self._memo: dict[str, tuple[np.ndarray, float]] = {}
        self.replayed_ms = 0.0

    def embed_queries(self, texts):
        for t in texts:
            if t in self._memo:
                self.replayed_ms += self._memo[t][1]
            else:
                t0 = time.perf_counter()
                v = self.inner.embed_queries([t])[0]
                self._memo[t] = (v, (time.perf_counter() - t0) * 1000)
        return np.stack([self._memo[t][0] for t in texts])

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)


_QueryCache = QueryCache  # the old private name (older bench scripts)


def _relevant(item: EvalItem, chunk_text: str, doc_id: str) -> bool:
    if item.relevant_docs:
        return doc_id in item.relevant_docs
    t = search_form(chunk_text)
    return any(search_form(normalize(a)[0]) in t for a in item.answers)


def evaluate(index: Index, items: Sequence[EvalItem], *, embedder: Embedder | None, modes: Sequence[str] = ("hybrid",),
             k: int = 10, config: RetrieveConfig = RetrieveConfig(), refusal: RefusalModel | None = None,
             progress: bool = False, per_question: list | None = None, remove_own: bool = True) -> dict:
    """Score ``items`` against ``index`` in each mode; returns ``{mode: metrics}``.

    Questions are answered by :func:`rag.qa.ask` (k=5), the path users run;
    retrieval metrics come from a separate top-10 retrieval. With
    ``remove_own``, every answerable item that knows its own article
    (``source_docs``) is asked again with that article filtered out: the
    answer should then be a refusal (``removed_refusal_recall``;
    ``removed_refusal_precision`` counts the refusals of answerable asks as false).
    """
    from tqdm import tqdm

    emb = QueryCache(embedder) if embedder is not None else None
    n_relevant = _relevant_counter(index)
    all_docs = sorted(index.documents)
    folded_docs: dict[str, str] = {}
    out: dict[str, dict] = {}
    for mode in modes:
        tally = _Tally()
        for item in tqdm(items, desc=f"eval {mode}", disable=not progress, file=sys.stderr, dynamic_ncols=True):
            kw = {"embedder": emb, "mode": mode, "config": config}
            row = _score_item(index, item, tally, n_relevant, k=k, refusal=refusal, **kw)
            own = own_documents(index, item, folded_docs) if remove_own and item.answerable else set()
            if own and (others := [d for d in all_docs if d not in own]):
                neg = ask(index, item.question, k=5, doc_ids=others, refusal=refusal, **kw)
                tally.removed += 1
                tally.removed_refused += not neg.answerable
                row["own_article_removed"] = {"answerable": neg.answerable, "confidence": round(neg.confidence, 4)}
            if per_question is not None:
                per_question.append(row)
        out[mode] = tally.metrics(items)
    return out


def _relevant_counter(index: Index):
    """``item → relevant chunks in the whole index`` (nDCG's ideal ranking), counted once per question."""
    folded = [search_form(c.text) for c in index.chunks]
    chunk_docs = [c.doc_id for c in index.chunks]
    relevant_counts: dict[int, int] = {}

    def n_relevant(item: EvalItem) -> int:
        if id(item) not in relevant_counts:
            if item.relevant_docs:
                n = sum(d in item.relevant_docs for d in chunk_docs)
            else:
                golds = [search_form(normalize(a)[0]) for a in item.answers]
                n = sum(any(g in t for g in golds) for t in folded)
            relevant_counts[id(item)] = n
        return relevant_counts[id(item)]

    return n_relevant


@dataclass
class _Tally:
    """One mode's running counts over the questions; :meth:`metrics` turns them into the reported numbers."""

    ranks: list[int | None] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)
    hit_quote: int = 0
    hit_passage: int = 0
    n_ans: int = 0
    refused_ans: int = 0
    n_unans: int = 0
    refused_unans: int = 0
    refused: int = 0
    removed: int = 0
    removed_refused: int = 0

    def metrics(self, items: Sequence[EvalItem]) -> dict[str, float | int | None]:
        m: dict[str, float | int | None] = {"questions": len(items), "answerable": self.n_ans}
        if self.n_ans:
            for kk in KS:
                m[f"recall@{kk}"] = sum(1 for r in self.ranks if r is not None and r <= kk) / self.n_ans
            m["mrr@10"] = sum(1 / r for r in self.ranks if r is not None) / self.n_ans
            m["ndcg@10"] = float(np.mean(self.ndcg))
            if any(i.answers for i in items):
                m["answer_hit_quote"] = self.hit_quote / self.n_ans
                m["answer_hit_passage"] = self.hit_passage / self.n_ans
            m["refused_answerable"] = self.refused_ans / self.n_ans
        if self.n_unans:
            m["unanswerable"] = self.n_unans
            m["refusal_precision"] = self.refused_unans / self.refused if self.refused else 0.0
            m["refusal_recall"] = self.refused_unans / self.n_unans
        if self.removed:
            # the answerable asks (full index) and the same questions with their own article removed
            m["removed_questions"] = self.removed
            m["removed_refusal_recall"] = self.removed_refused / self.removed
            m["removed_refusal_precision"] = self.removed_refused / max(self.removed_refused + self.refused_ans, 1)
        m["latency_p50_ms"] = float(np.percentile(self.lat, 50)) if self.lat else None
        m["latency_p95_ms"] = float(np.percentile(self.lat, 95)) if self.lat else None
        return m


def _score_item(index: Index, item: EvalItem, tally: _Tally, n_relevant, *, embedder: QueryCache | None, mode: str,
                config: RetrieveConfig, k: int, refusal: RefusalModel | None) -> dict:
    """Ask ``item`` (timed, as users ask), rank its passages (top 10), count both into ``tally``; its row."""
    if embedder is not None:
        embedder.replayed_ms = 0.0
    t0 = time.perf_counter()
    ans = ask(index, item.question, embedder=embedder, k=5, mode=mode, config=config, refusal=refusal)
    tally.lat.append((time.perf_counter() - t0) * 1000 + (embedder.replayed_ms if embedder is not None else 0.0))
    hits = retrieve(index, item.question, embedder=embedder, k=max(k, 10), mode=mode, config=config)
    rel = [_relevant(item, h.chunk.text, h.chunk.doc_id) for h in hits[:10]]
    first = next((i + 1 for i, r in enumerate(rel) if r), None)
    score = score_answer(item, ans)
    if item.answerable:
        tally.ranks.append(first)
        ideal = sum(1 / math.log2(i + 2) for i in range(min(10, max(1, n_relevant(item)))))
        tally.ndcg.append(sum(1 / math.log2(i + 2) for i, r in enumerate(rel) if r) / ideal)
        tally.n_ans += 1
        tally.hit_quote += score["quote_hit"]
        tally.hit_passage += score["passage_hit"]
        tally.refused_ans += score["refused"]
    else:
        tally.n_unans += 1
        tally.refused_unans += score["refused"]
    tally.refused += score["refused"]
    return {"id": item.qid, "mode": mode, "question": item.question, "answerable_gold": item.answerable,
            "rank": first, "answerable": ans.answerable, "confidence": round(ans.confidence, 4),
            "answer": ans.answer, "latency_ms": round(tally.lat[-1], 2), "top": [h.chunk.chunk_id for h in hits[:5]]}


def own_documents(index: Index, item: EvalItem, folded: dict[str, str] | None = None) -> set[str]:
    """The documents to remove for the item's "own article removed" ask.

    SQuAD items know their article (``source_docs``); for other items these
    are the documents containing a gold answer string (e.g. the law that holds
    a STARD gold article).
    """
    if item.source_docs:
        return set(item.source_docs)
    if not item.answers:
        return set()
    folded = {} if folded is None else folded
    if not folded:
        folded.update({d: search_form(doc.text) for d, doc in index.documents.items()})
    golds = [search_form(normalize(a)[0]) for a in item.answers]
    return {d for d, t in folded.items() if any(g in t for g in golds)}


def score_answer(item: EvalItem, answer: Answer) -> dict[str, bool]:
    """Per-question scoring of one :class:`~rag.records.Answer` (also used for dialogue turns).

    ``quote_hit``: a gold answer string inside a cited quote; ``passage_hit``:
    inside a cited passage (both False when refused or when the item has no
    answer strings); ``refused``; ``correct``: quote hit for an answerable
    item, refusal for an unanswerable one.

    >>> from rag.records import Answer
    >>> score_answer(EvalItem("1", "q", ["741家"]), Answer("q", "…", False, []))["refused"]
    True
    """
    golds = [search_form(normalize(a)[0]) for a in item.answers]
    quote = answer.answerable and any(g in search_form(c.quote) for g in golds for c in answer.citations)
    passage = answer.answerable and any(g in search_form(c.text) for g in golds for c in answer.citations)
    refused = not answer.answerable
    return {"quote_hit": bool(quote), "passage_hit": bool(passage), "refused": refused,
            "correct": bool(quote) if item.answerable else refused}


def dataset_index(docs: list[Document], *, embedder: Embedder, chunk_config: ChunkConfig = ChunkConfig(),
                  progress: bool = True, root: Path | None = None) -> Index:
    """Build (or reuse) an index of a dataset's own documents under ``<data dir>/eval/<hash>``."""
    from .index import build_index

    h = hashlib.sha256()
    for d in sorted(docs, key=lambda d: d.doc_id):
        h.update(d.doc_id.encode())
    h.update(json.dumps([embedder.name, embedder.fingerprint, chunk_config.__dict__], sort_keys=True).encode())
    home = (root or data_dir()) / "eval" / h.hexdigest()[:16]
    try:
        return open_index(home, embedder=embedder)
    except RagError:
        return build_index(docs, embedder=embedder, home=home, chunk_config=chunk_config, progress=progress)


def evaluate_dataset(path: str | Path, *, index_home: str | Path | Sequence[str | Path] | None = None,
                     modes: Sequence[str] = ("hybrid",), k: int = 10, limit: int | None = None,
                     embedder_name: str | None = None, per_question_path: str | Path | None = None,
                     progress: bool = True, config: RetrieveConfig = RetrieveConfig()) -> dict:
    """Load a dataset, get its index(es), run :func:`evaluate`; the ``rag eval`` entry point.

    Several ``index_home`` values compare indexes in one run: the result's
    ``modes`` keys then read ``"<index dir name>/<mode>"``.
    """
    from .evaluate_dialogue import evaluate_dialogues_dataset, is_dialogue_file

    if is_dialogue_file(path):  # {"turns": [...]} per line: scored turn by turn in context
        return evaluate_dialogues_dataset(path, index_home=index_home, modes=modes, limit=limit,
                                          embedder_name=embedder_name, per_question_path=per_question_path,
                                          config=config)
    docs, items = load_dataset(path)
    if limit:
        items = items[:limit]
    if not items:
        raise RagError(f"{path} holds no questions.")
    homes = [index_home] if isinstance(index_home, (str, Path)) else list(index_home or [])
    runs: list[tuple[str, Index, Embedder]] = []
    if homes or docs is None:
        for h in homes or [None]:
            index = open_index(h)
            runs.append((Path(index.path).parent.name, index, get_embedder(embedder_name or index.embedder_name)))
    else:
        embedder = get_embedder(embedder_name or DEFAULT_EMBEDDER)
        runs.append(("", dataset_index(docs, embedder=embedder, progress=progress), embedder))
    rows: list | None = [] if per_question_path else None
    results: dict[str, dict] = {}
    for label, index, embedder in runs:
        res = evaluate(index, items, embedder=embedder, modes=modes, k=k, config=config, progress=progress,
                       per_question=rows)
        for mode, m in res.items():
            results[f"{label}/{mode}" if len(runs) > 1 else mode] = m
    if per_question_path:
        with open(per_question_path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    first = runs[0][1]
    return {"dataset": str(path), "index": [str(r[1].path) for r in runs] if len(runs) > 1 else str(first.path),
            "embedder": runs[0][2].name, "documents": len(first.documents), "chunks": len(first.chunks),
            "primary_metric": "recall@1", "modes": results}


_BASELINE_ROW = "follow-up-alone"
"""The last part of a dialogue set's no-history row: gated by ``--fail-under`` only when named."""


def _gated(mode: str, mode_filter: str) -> bool:
    """Whether a ``--fail-under`` rule for ``mode_filter`` ("" for every row) gates the row ``mode``.

    >>> _gated("hybrid/first", "hybrid"), _gated("hybrid/follow-up-alone", "hybrid")
    (True, False)
    >>> _gated("hybrid/follow-up-alone", ""), _gated("hybrid/follow-up-alone", "follow-up-alone")
    (False, True)
    >>> _gated("a/hybrid/follow-up-alone", "hybrid/follow-up-alone")
    True
    """
    parts = mode.split("/")
    if parts[-1] == _BASELINE_ROW and not mode_filter.endswith(_BASELINE_ROW):
        return False
    return not mode_filter or mode == mode_filter or mode_filter in parts or mode.endswith("/" + mode_filter)


def check_thresholds(result: dict, rules: Sequence[str]) -> list[str]:
    """``METRIC=VALUE`` or ``MODE.METRIC=VALUE`` gates; returns the failures as messages.

    ``MODE`` matches a whole row name or any ``/``-separated part of it: ``hybrid`` gates
    ``hybrid``, ``other-index/hybrid`` and a dialogue set's ``hybrid/first`` and ``hybrid/follow-up``;
    ``follow-up`` and ``hybrid/follow-up`` gate ``hybrid/follow-up``. A dialogue set's
    ``MODE/follow-up-alone`` row (the follow-ups asked without history: a baseline, low on purpose)
    is gated only when named: ``follow-up-alone.METRIC`` or ``hybrid/follow-up-alone.METRIC``.

    >>> check_thresholds({"modes": {"hybrid": {"recall@1": 0.9}}}, ["recall@1=0.95"])
    ['hybrid recall@1 = 0.9000 < 0.95']
    >>> check_thresholds({"modes": {"hybrid/first": {"answer_hit_quote": 0.5}}}, ["hybrid.answer_hit_quote=0.6"])
    ['hybrid/first answer_hit_quote = 0.5000 < 0.6']
    """
    failures = []
    for rule in rules:
        key, sep, value = rule.partition("=")
        try:
            limit = float(value)
        except ValueError:
            raise RagError(f"--fail-under {rule!r}: expected METRIC=NUMBER, e.g. recall@1=0.9.") from None
        mode_filter, _, metric = key.rpartition(".") if "." in key else ("", "", key)
        modes = {mode: m for mode, m in result["modes"].items() if _gated(mode, mode_filter)}
        if not modes:
            raise RagError(f"--fail-under {rule!r}: no mode {mode_filter!r} in the results "
                           f"(have: {', '.join(result['modes'])})." if mode_filter
                           else f"--fail-under {rule!r}: no rows to gate in the results.")
        found = False
        for mode, m in modes.items():
            if metric in m and m[metric] is not None:
                found = True
                if m[metric] < limit:
                    failures.append(f"{mode} {metric} = {m[metric]:.4f} < {limit:g}")
        if not found:
            raise RagError(f"--fail-under {rule!r}: no such metric in the results "
                           f"(have: {', '.join(sorted({k for m in result['modes'].values() for k in m}))}).")
    return failures


def format_table(result: dict) -> str:
    """A plain-text table of :func:`evaluate_dataset` output (one row per mode)."""
    cols = ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "answer_hit_quote", "answer_hit_passage",
            "refused_answerable", "refusal_precision", "refusal_recall", "removed_refusal_precision",
            "removed_refusal_recall", "latency_p50_ms", "latency_p95_ms"]
    modes = result["modes"]
    present = [c for c in cols if any(c in m for m in modes.values())]
    head = f"{result['dataset']}  ({result['documents']} docs, {result['chunks']} chunks, {result['embedder']})"
    width = max([8] + [len(m) for m in modes])
    lines = [head, f"{'mode':<{width}} " + " ".join(f"{c:>18}" for c in present)]
    for mode, m in modes.items():
        vals = []
        for c in present:
            v = m.get(c)
            vals.append(f"{v:>18.1f}" if c.startswith("latency") and v is not None
                        else f"{v:>18.4f}" if isinstance(v, float) else f"{'-':>18}")
        lines.append(f"{mode:<{width}} " + " ".join(vals))
    return "\n".join(lines)
