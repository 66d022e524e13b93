"""Sentence vectors: one embedding per answerable sentence, stored with the index.

The answer step compares the question's embedding (already computed for
dense retrieval) with the vectors of the sentences in the retrieved
passages, so an English or paraphrased question can still find the Chinese
sentence that answers it. Storing the vectors at index time makes that a
dot product at query time (embedding ~40 sentences per question would cost
more than the whole retrieval; see ``bench/bench_answers.py``).

Saved in the index generation as ``sentvec.npy`` (float16, row-normalised)
and ``sentvec.tsv`` (``doc_id<TAB>start<TAB>end`` per row), both listed in
the manifest with their checksums. Sentences are embedded as passages
(e5's ``passage:`` prefix), in mainland simplified script like chunks.
Identical sentence texts share the index's embedding cache.

Statute articles (chunks with ``Chunk.article``) get no sentence vectors: their
answer is the whole article (:mod:`rag.statute_answer`), which compares the
question with the article passage's own vector instead. Those passage vectors
are already computed for dense retrieval; a copy is stored here as
``artvec.npy``/``artvec.tsv`` (``doc_id<TAB>start<TAB>end`` of the chunk) so a
cosine is a lookup at query time for any hit, whether or not dense retrieval
returned it. On the whole lawrefbook archive this removes ~117k of ~183k
embeddings from a build. The general answerer (:mod:`rag.select`) sees no
vector for an article's sentences and treats them as it treats any sentence
without one.

This module does not choose sentences or decide about refusals
(:mod:`rag.select` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .records import Chunk, Document
from .textnorm import to_mainland

__all__ = ["ARTVEC_FILES", "SENTVEC_FILES", "SentenceVectors", "build_sentence_vectors", "known_sentence_vectors",
           "sentence_texts"]

SENTVEC_FILES = ("sentvec.npy", "sentvec.tsv")
ARTVEC_FILES = ("artvec.npy", "artvec.tsv")


@dataclass
class SentenceVectors:
    """Vectors of the sentences of an index, looked up by ``(doc_id, start)``; and of its statute-article
    passages (``passage_keys``/``passage_vectors``), looked up by the chunk's ``(doc_id, start, end)``."""

    keys: list[tuple[str, int, int]]
    vectors: np.ndarray  # (n, dim) float16, unit length
    passage_keys: list[tuple[str, int, int]] = field(default_factory=list)
    passage_vectors: np.ndarray | None = None  # (m, dim) float16, unit length

    def __post_init__(self) -> None:
        self._row = {(d, s): i for i, (d, s, _) in enumerate(self.keys)}
        self._passage = {k: i for i, k in enumerate(self.passage_keys)}
        if self.passage_vectors is None:
            self.passage_vectors = np.zeros((0, self.vectors.shape[1] if self.vectors.ndim == 2 else 0), np.float16)

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, doc_id: str, spans: Sequence[tuple[int, int]]) -> list[int | None]:
        return [self._row.get((doc_id, s)) for s, _ in spans]

    def cosines(self, query: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Cosine of ``query`` (unit vector) with the given rows."""
        if not len(rows):
            return np.zeros(0, np.float32)
        return self.vectors[np.asarray(rows)].astype(np.float32) @ query.astype(np.float32)

    def passage_cosine(self, query: np.ndarray, chunk: Chunk) -> float | None:
        """Cosine of ``query`` with a statute-article passage's own vector; ``None`` when not stored."""
        i = self._passage.get((chunk.doc_id, chunk.start, chunk.end))
        if i is None:
            return None
        return float(self.passage_vectors[i].astype(np.float32) @ query.astype(np.float32))

    def best_cosine(self, query: np.ndarray, chunk: Chunk) -> float:
        """The passage cosine of an article, else the best cosine of the chunk's sentences (0 without any)."""
        c = self.passage_cosine(query, chunk)
        if c is not None:
            return c
        rows = [r for r in self.rows(chunk.doc_id, chunk.sentences) if r is not None]
        return float(self.cosines(query, rows).max()) if rows else 0.0

    def save(self, folder: Path) -> list[str]:
        _save(folder, SENTVEC_FILES, self.keys, self.vectors)
        _save(folder, ARTVEC_FILES, self.passage_keys, self.passage_vectors)
        return list(SENTVEC_FILES) + list(ARTVEC_FILES)

    @classmethod
    def load(cls, folder: Path) -> "SentenceVectors":
        keys, vecs = _load(folder, SENTVEC_FILES)
        pkeys, pvecs = _load(folder, ARTVEC_FILES) if (folder / ARTVEC_FILES[0]).exists() else ([], None)
        return cls(keys, vecs, pkeys, pvecs)


def _save(folder: Path, names: tuple[str, str], keys: list[tuple[str, int, int]], vectors: np.ndarray) -> None:
    np.save(folder / names[0], vectors.astype(np.float16), allow_pickle=False)
    with open(folder / names[1], "w", encoding="utf-8") as f:
        for d, s, e in keys:
            f.write(f"{d}\t{s}\t{e}\n")


def _load(folder: Path, names: tuple[str, str]) -> tuple[list[tuple[str, int, int]], np.ndarray]:
    vecs = np.load(folder / names[0], allow_pickle=False)
    keys = []
    for line in (folder / names[1]).read_text(encoding="utf-8").splitlines():
        d, s, e = line.split("\t")
        keys.append((d, int(s), int(e)))
    if len(keys) != len(vecs):
        raise ValueError(f"{names[0]}: {len(keys)} keys but {len(vecs)} vectors")
    return keys, vecs


def sentence_texts(docs: dict[str, Document], chunks: Sequence[Chunk]) -> list[tuple[tuple[str, int, int], str]]:
    """Each distinct sentence of ``chunks`` once (overlapping chunks repeat sentences), with its embed text;
    statute-article chunks are left out (their passage vector stands in, see the module docstring)."""
    seen: set[tuple[str, int]] = set()
    out = []
    for c in chunks:
        if c.article:
            continue
        text = docs[c.doc_id].text
        for s, e in c.sentences:
            if (c.doc_id, s) in seen:
                continue
            seen.add((c.doc_id, s))
            out.append(((c.doc_id, s, e), to_mainland(text[s:e])))
    return out


def known_sentence_vectors(previous, fingerprint: str, dim: int) -> dict[str, np.ndarray]:
    """Embed text → vector of the sentences of ``previous`` (an Index), if built with the same weights."""
    sv = getattr(previous, "sentences", None)
    built = previous.manifest.get("embedder", {}) if previous is not None else {}
    if sv is None or built.get("fingerprint") != fingerprint or built.get("dim") != dim:
        return {}
    docs = previous.documents
    return {to_mainland(docs[d].text[s:e]): sv.vectors[i].astype(np.float32)
            for i, (d, s, e) in enumerate(sv.keys) if d in docs}


def build_sentence_vectors(docs: dict[str, Document], chunks: Sequence[Chunk],
                           embed: Callable[[list[str]], np.ndarray], dim: int,
                           passage_vectors: np.ndarray | None = None) -> SentenceVectors:
    """Embed every sentence of non-article chunks with ``embed`` (passage side, cached by the caller); keep
    a copy of ``passage_vectors`` (row i = ``chunks[i]``, the dense index's vectors) for article chunks."""
    items = sentence_texts(docs, chunks)
    vecs = embed([t for _, t in items]) if items else np.zeros((0, dim), np.float32)
    arts = [i for i, c in enumerate(chunks) if c.article] if passage_vectors is not None else []
    pkeys = [(chunks[i].doc_id, chunks[i].start, chunks[i].end) for i in arts]
    pvecs = np.asarray(passage_vectors[arts], dtype=np.float16) if arts else np.zeros((0, dim), np.float16)
    return SentenceVectors([k for k, _ in items], np.asarray(vecs, dtype=np.float16), pkeys, pvecs)
