"""Character-level text normalisation shared by ingest, indexing and queries.

- :func:`normalize` folds full-width letters/digits/symbols to ASCII, turns
  odd spaces into plain ones, drops zero-width and control characters and
  collapses runs of spaces/blank lines. It returns the new text *and* a map
  from each output character to its offset in the input, so any span of the
  stored text can be traced back to the source.
- :func:`to_simplified` maps traditional characters to simplified ones one
  character for one (OpenCC's character table), so the result has the same
  length and every offset stays valid: 溫州 → 温州.
- :func:`to_mainland` also rewrites Taiwan phrasing (人工智慧 → 人工智能,
  軟體 → 软件; OpenCC's TWPhrasesRev) before that; lengths may change, so
  it is only used for matching, never for offsets.
- :func:`search_form` = :func:`to_mainland` + lower-case: what BM25 and the
  embedder see, for documents and queries alike.

It does not segment words (see :mod:`rag.tokenize`) or split sentences.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

__all__ = ["folded", "normalize", "search_form", "strip_end", "to_mainland", "to_simplified"]

# Full-width ASCII we fold. Chinese punctuation (，。！？；：（）) is kept as written.
_KEEP_FULLWIDTH = set("，！？；：（）")
_FOLD = {c: chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if chr(c) not in _KEEP_FULLWIDTH}
_SPACES = {c: " " for c in (0x00A0, 0x1680, 0x202F, 0x205F, 0x3000, *range(0x2000, 0x200B))}
_SPACES[ord("\t")] = " "
_DROP = {0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF, 0x00AD}


def _fold_char(ch: str) -> str:
    """Map one input character to '' or one output character."""
    o = ord(ch)
    if o in _FOLD:
        return _FOLD[o]
    if o in _SPACES:
        return " "
    if o in _DROP or 0xD800 <= o <= 0xDFFF:  # zero-width, BOM, lone surrogates
        return ""
    if ch == "\n":
        return ch
    if o < 32 or 0x7F <= o < 0xA0:  # other control characters
        return ""
    return ch


#: Whatever :func:`normalize` would change: a character it folds, drops or turns into a space (full-width forms
#: other than the kept ，！？；：（）, which the loop copies as they are — round 15: every Chinese answer has a ，, and
#: a law conversation's history used to take the slow path for each of them —, odd spaces, zero-width and control
#: characters, lone surrogates, CR, tab), two spaces in a row, a space or newline next to a newline, three newlines,
#: and a space or newline at either end. A text without any is returned unchanged (the loop below would copy it
#: character by character: :func:`_normalize`; ``tests/test_dialogue_cost.py`` checks both agree).
_CHANGES = re.compile("[\\x00-\\x09\\x0b-\\x1f\\x7f-\\xa0\\xad\\u1680\\u2000-\\u200d\\u202f\\u205f\\u2060\\u3000\\ufeff"
                      "\\uff02-\\uff07\\uff0a\\uff0b\\uff0d-\\uff19\\uff1c-\\uff1e\\uff20-\\uff5e\\ud800-\\udfff]"
                      "|  | \\n|\\n |\\n\\n\\n|^[ \\n]|[ \\n]$")


def normalize(text: str) -> tuple[str, list[int]]:
    """Normalise ``text``; return ``(out, src)`` with ``out[i]`` taken from ``text[src[i]]``.

    >>> normalize("Ａ１　温州\\r\\n\\n\\n\\n人工")[0]
    'A1 温州\\n\\n人工'
    """
    if not _CHANGES.search(text):  # already normal (most answers and questions): every character kept as is
        return text, list(range(len(text)))
    return _normalize(text)


def _normalize(text: str) -> tuple[str, list[int]]:
    """:func:`normalize` character by character (any text)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    out: list[str] = []
    src: list[int] = []
    for i, ch in enumerate(text):
        c = _fold_char(ch)
        if not c:
            continue
        if c == " ":
            # collapse runs; no spaces at line start
            if not out or out[-1] in (" ", "\n"):
                continue
        elif c == "\n":
            while out and out[-1] == " ":  # no spaces at line end
                out.pop(); src.pop()
            if len(out) >= 2 and out[-1] == "\n" and out[-2] == "\n":
                continue  # at most one blank line
        out.append(c)
        src.append(i)
    while out and out[-1] in (" ", "\n"):
        out.pop(); src.pop()
    # leading newlines
    k = 0
    while k < len(out) and out[k] == "\n":
        k += 1
    return "".join(out[k:]), src[k:]


@functools.lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    import opencc

    root = Path(opencc.__file__).parent / "dictionary"
    table: dict[int, str] = {}
    for line in (root / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            src, dst = parts[0], parts[1].split(" ")[0]
            if len(src) == 1 and len(dst) == 1 and src != dst:
                table[ord(src)] = dst
    simplified = set(table.values())
    # Taiwan/Hong Kong variant forms (裡 → 裏 → 里), never re-mapping a simplified character
    for name in ("TWVariantsRev.txt", "HKVariantsRev.txt"):
        for line in (root / name).read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) != 2:
                continue
            src, dst = parts[0], parts[1].split(" ")[0]
            if len(src) == 1 and len(dst) == 1 and src not in simplified and ord(src) not in table:
                table[ord(src)] = table.get(ord(dst), dst)
    return table


def to_simplified(text: str) -> str:
    """Traditional → simplified, one character for one (offsets preserved).

    >>> to_simplified("溫州人工智慧局")
    '温州人工智慧局'
    """
    return text.translate(_t2s_table())


@functools.lru_cache(maxsize=4096)
def folded(text: str) -> str:
    """``to_simplified(text).lower()``, remembered for the last 4,096 texts: the answer layer folds the same passages
    and sentences for every reading of a question and every turn of a conversation that stays on them (a cache of
    the result, so nothing it returns differs from folding again).

    >>> folded("溫州AI局")
    '温州ai局'
    """
    return to_simplified(text).lower()


@functools.lru_cache(maxsize=1)
def _tw_phrases() -> tuple[re.Pattern, dict[str, str]]:
    import opencc

    table: dict[str, str] = {}
    for line in (Path(opencc.__file__).parent / "dictionary" / "TWPhrasesRev.txt").read_text(
            encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and len(parts[0]) > 1:
            table[parts[0]] = parts[1].split(" ")[0]
    pattern = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))
    return pattern, table


def to_mainland(text: str) -> str:
    """Taiwan phrasing and traditional characters → mainland simplified (for matching only).

    >>> to_mainland("溫州人工智慧局的軟體")
    '温州人工智能局的软件'
    """
    pattern, table = _tw_phrases()
    return to_simplified(pattern.sub(lambda m: table[m.group(0)], text))


def search_form(text: str) -> str:
    """The form both documents and queries are matched in: mainland simplified, lower-case.

    >>> search_form("溫州ＡＩ")
    '温州ａｉ'
    """
    return to_mainland(text).lower()


def strip_end(text: str) -> str:
    """``text`` without trailing question marks, full stops and spaces.

    >>> strip_end(" 南京呢？ ")
    '南京呢'
    """
    return re.sub(r"[？?。!！\s]+$", "", text.strip())
