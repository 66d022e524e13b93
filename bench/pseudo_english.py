"""Word-by-word English renderings of Chinese tuning questions (CC-CEDICT), to fit the cross-lingual models.

No English training questions exist in ../shared/data. This makes crude ones: each jieba word of a
Chinese tuning question is replaced by the first English sense CC-CEDICT gives it (names by their
pinyin, question words by who / where / how many …), in Chinese word order. They are rough, not
fluent — what matters for fitting is that they share no characters with the passages and that their
embedding is an English one, like a real English question. The cross-lingual models are fitted on them
and measured on hand-written English questions (``bench/english_eval.py``), never on these.
"""

from __future__ import annotations

import functools
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.gloss import cedict_entries, data_file  # noqa: E402

_WH = {"谁": "who", "哪位": "who", "哪里": "where", "在哪里": "where", "哪儿": "where", "在哪": "where",
       "多少": "how many", "几": "how many", "什么时候": "when", "何时": "when", "哪一年": "which year",
       "哪年": "which year", "为什么": "why", "为何": "why", "什么": "what", "哪个": "which", "哪些": "which",
       "哪": "which", "如何": "how", "怎么": "how", "怎样": "how", "是": "is", "的": "of", "在": "in"}
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_SKIP = ("variant of", "surname", "old variant", "see ", "abbr. for", "classifier", "used in")


@functools.lru_cache(maxsize=1)
def _zh_en() -> dict[str, str]:
    """Simplified headword → first usable English sense; proper nouns → their toneless pinyin, capitalised."""
    common: dict[str, str] = {}
    names: dict[str, str] = {}
    for simp, pinyin, defs in cedict_entries(data_file()):
        if pinyin[:1].isupper():
            if "surname" not in defs.lower()[:12]:
                names.setdefault(simp, re.sub(r"[^a-z]", "", pinyin.lower()).capitalize())
            continue
        if simp in common:
            continue
        for sense in defs.rstrip("/\n").split("/"):
            s = _PAREN.sub("", sense.split(";")[0]).strip()
            s = re.sub(r"^to ", "", s)
            if s and not s.lower().startswith(_SKIP) and re.fullmatch(r"[A-Za-z][A-Za-z' \-]*", s):
                common[simp] = s
                break
    out = dict(names)
    out.update(common)  # a word that is also a common noun is translated, not spelled
    for w, n in names.items():
        if len(w) >= 2:
            out[w] = n  # a multi-character name (温州, 杭州市) keeps its romanisation
    return out


def to_english(question: str) -> str:
    """A word-by-word English rendering of a Chinese question (Chinese characters left out)."""
    from rag.textnorm import to_simplified
    from rag.tokenize import jieba_tokenizer

    zh_en = _zh_en()
    words = []
    for w in jieba_tokenizer().cut(to_simplified(question), HMM=False):
        w = w.strip()
        if not w:
            continue
        if w in _WH:
            words.append(_WH[w])
        elif w in zh_en:
            words.append(zh_en[w])
        elif re.fullmatch(r"[A-Za-z0-9.%]+", w):
            words.append(w)
        else:  # an unknown word: character by character
            words += [zh_en[ch] for ch in w if ch in zh_en]
    return " ".join(words).strip() + "?"


if __name__ == "__main__":
    for q in sys.argv[1:]:
        print(q, "→", to_english(q))
