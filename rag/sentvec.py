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

This module does not choose sentences or decide about refusals
(:mod:`rag.select` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from .records import Chunk, Document
from .textnorm import to_mainland

__all__ = ["SENTVEC_FILES", "SentenceVectors", "build_sentence_vectors", "known_sentence_vectors",
           "sentence_texts"]

SENTVEC_FILES = ("sentvec.npy", "sentvec.tsv")


@dataclass
class SentenceVectors:
    """Vectors of the sentences of an index, looked up by ``(doc_id, start)``."""

    keys: list[tuple[str, int, int]]
    vectors: np.ndarray  # (n, dim) float16, unit length

    def __post_init__(self) -> None:
        self._row = {(d, s): i for i, (d, s, _) in enumerate(self.keys)}

    def __len__(self) -> int:
        return len(self.keys)

    def rows(self, doc_id: str, spans: Sequence[tuple[int, int]]) -> list[int | None]:
        return [self._row.get((doc_id, s)) for s, _ in spans]

    def cosines(self, query: np.ndarray, rows: Sequence[int]) -> np.ndarray:
        """Cosine of ``query`` (unit vector) with the given rows."""
        if not len(rows):
            return np.zeros(0, np.float32)
        return self.vectors[np.asarray(rows)].astype(np.float32) @ query.astype(np.float32)

    def save(self, folder: Path) -> list[str]:
        np.save(folder / SENTVEC_FILES[0], self.vectors.astype(np.float16), allow_pickle=False)
        with open(folder / SENTVEC_FILES[1], "w", encoding="utf-8") as f:
            for d, s, e in self.keys:
                f.write(f"{d}\t{s}\t{e}\n")
        return list(SENTVEC_FILES)

    @classmethod
    def load(cls, folder: Path) -> "SentenceVectors":
        vecs = np.load(folder / SENTVEC_FILES[0], allow_pickle=False)
        keys = []
        for line in (folder / SENTVEC_FILES[1]).read_text(encoding="utf-8").splitlines():
            d, s, e = line.split("\t")
            keys.append((d, int(s), int(e)))
        if len(keys) != len(vecs):
            raise ValueError(f"sentvec: {len(keys)} keys but {len(vecs)} vectors")
        return cls(keys, vecs)


def sentence_texts(docs: dict[str, Document], chunks: Sequence[Chunk]) -> list[tuple[tuple[str, int, int], str]]:
    """Each distinct sentence of ``chunks`` once (overlapping chunks repeat sentences), with its embed text."""
    seen: set[tuple[str, int]] = set()
    out = []
    for c in chunks:
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
                           embed: Callable[[list[str]], np.ndarray], dim: int) -> SentenceVectors:
    """Embed every sentence with ``embed`` (passage side, cached by the caller)."""
    items = sentence_texts(docs, chunks)
    vecs = embed([t for _, t in items]) if items else np.zeros((0, dim), np.float32)
    return SentenceVectors([k for k, _ in items], np.asarray(vecs, dtype=np.float16))
