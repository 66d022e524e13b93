"""What a question asks for, and how one sentence lines up with it.

:func:`parse` splits a (simplified, lower-case) question around its
question word (谁, 哪里, 多少, 什么时候, 为什么 …): the expected answer
type, the few characters just before and after the question word, and the
question's character bigrams. :func:`align` then measures a candidate
sentence against it:

- ``wh_left`` / ``wh_right``: the longest piece (2–4 characters) of the
  words right before / after the question word found in the sentence — the
  answer usually sits where the question word sits (西贡商信银行的**总部在**哪里 →
  该银行的**总部**位于胡志明市);
- ``type_new``: the sentence holds something of the expected type (a year, a
  number, a place, a reason) that the question itself does not hold;
- ``pred_bigram``: the share of the question's bigrams that do *not* name the
  topic (the passage's title or first sentence) found in the sentence — the
  topic is in every sentence of its article; the predicate (总部, 首府,
  原名) says which sentence answers;
- ``lcs``: the longest run of question characters found in the sentence;
  ``pred_lcs`` the same outside the topic's characters.

Pure string work on folded text (no segmentation, no POS tagging), so it
costs well under a millisecond per question. This module does not score or
choose sentences (:mod:`rag.select` does).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["QuestionParts", "align", "parse", "topic_bigrams"]

_WH: list[tuple[str, str]] = [
    # (pattern, type); the first match wins, so longer / more specific patterns come first
    (r"为什么|为何|因何|什么原因|何故|原因是", "reason"),
    (r"哪一?年|何年|哪一?天|几月|几号|何时|什么时候|什么时间|哪个时候|哪个朝代|哪一?朝|年份|日期|哪个年代", "time"),
    (r"在哪里|在哪儿|哪里|哪儿|在哪|何处|何地|什么地方|哪个地方|哪个(?:国家|城市|省|地区|州|县|市)|哪国|哪座|位于哪", "place"),
    (r"谁|哪位|哪个人|什么人|何人|哪些人", "person"),
    (r"多少|几|多大|多高|多长|多久|多远|多重|多深|多宽|比例|百分之", "number"),
    (r"怎么|怎样|如何", "manner"),
    (r"什么|哪个|哪些|哪一|哪|何", "what"),
]
_WH_RE = re.compile("|".join(f"(?P<{t}{i}>{p})" for i, (p, t) in enumerate(_WH)))
_GLUE = "是的在于了呢吗个些位"  # function characters next to a question word, stripped from left/right
_DIGITS = "0-9〇零一二三四五六七八九十百千万亿两"
_TYPE_RE = {
    "time": re.compile(rf"[{_DIGITS}]{{1,4}}年|[{_DIGITS}]{{1,2}}月|[{_DIGITS}]{{1,3}}日|世纪|年代|[朝代]|时期|期间|之后|以前"),
    "number": re.compile(rf"[{_DIGITS}][{_DIGITS}.,，]*"),
    "place": re.compile(r"位于|在|于|[省市县区镇村州国岛山河湖港街路道洲城]"),
    "reason": re.compile(r"因为|由于|因此|所以|故|为了|得名|源于|来自|原因"),
    "person": re.compile(r"[由被]|担任|主演|导演|创|作者|他|她|先生|女士|[王帝后]"),
    "manner": re.compile(r"通过|以|用|采用|经过|方式|方法"),
}


@dataclass(frozen=True)
class QuestionParts:
    """A question split around its question word (all text simplified, lower-case)."""

    text: str
    wh_type: str | None  # reason, time, place, person, number, manner, what; None without a question word
    left: tuple[str, ...]  # up to 4 content characters right before the question word (as is, without glue)
    right: tuple[str, ...]  # up to 4 content characters right after it
    bigrams: frozenset[str]
    content: str = ""  # letters and digits of ``text``


_NOT_CONTENT = re.compile(r"[\W_]+")


def _content(s: str) -> str:
    """Letters and digits only: ``_content("a, b！1") == "ab1"``."""
    return _NOT_CONTENT.sub("", s)


def _bigrams(s: str) -> set[str]:
    t = _content(s)
    return {t[i:i + 2] for i in range(len(t) - 1)}


def parse(question: str) -> QuestionParts:
    """Split ``question`` (already folded: simplified, lower-case) around its question word.

    >>> p = parse("西贡商信银行的总部在哪里？")
    >>> (p.wh_type, p.left, p.right)
    ('place', ('行的总部',), ())
    """
    m = _WH_RE.search(question)
    bi = frozenset(_bigrams(question))
    if m is None:
        return QuestionParts(question, None, (), (), bi, _content(question))
    wh_type = re.sub(r"\d+$", "", m.lastgroup or "")
    before, after = _content(question[:m.start()]), _content(question[m.end():])
    left = tuple(dict.fromkeys(x for x in (before[-4:], before.rstrip(_GLUE)[-4:]) if x))
    right = tuple(dict.fromkeys(x for x in (after[:4], after.lstrip(_GLUE)[:4]) if x))
    wh_bi = _bigrams(question[max(m.start() - 1, 0):m.end() + 1])
    return QuestionParts(question, wh_type, left, right, frozenset(bi - wh_bi), _content(question))


def topic_bigrams(parts: QuestionParts, topic_text: str) -> frozenset[str]:
    """The question's bigrams that occur in ``topic_text`` (a passage's title and first sentence)."""
    return frozenset(b for b in parts.bigrams if b in topic_text)


def _longest_piece(piece: str, sentence: str, from_end: bool) -> int:
    for n in range(min(len(piece), 4), 1, -1):
        if (piece[-n:] if from_end else piece[:n]) in sentence:
            return n
    return 0


def _lcs(q: str, s: str) -> int:
    """Length of the longest substring of ``q`` that occurs in ``s`` (grows while one is found)."""
    best, i = 0, 0
    while i + best < len(q):
        if q[i:i + best + 1] in s:
            best += 1
        else:
            i += 1
    return best


@functools.lru_cache(maxsize=1024)
def _mask(q: str, topic: frozenset[str]) -> str:
    """``q`` with the characters of its topic bigrams replaced by NUL (so no run crosses them); remembered: every
    sentence of a passage has the same question and topic (round 15)."""
    hide = [False] * len(q)
    for i in range(len(q) - 1):
        if q[i:i + 2] in topic:
            hide[i] = hide[i + 1] = True
    return "".join("\0" if h else ch for ch, h in zip(q, hide))


def align(parts: QuestionParts, sentence: str, topic: frozenset[str]) -> dict[str, float]:
    """Features of one (folded) sentence against the parsed question; all in [0, 1].

    >>> p = parse("西贡商信银行的总部在哪里")
    >>> f = align(p, "该银行的总部位于胡志明市", topic_bigrams(p, "西贡商信银行"))
    >>> f["wh_left"], f["pred_bigram"] > 0.5
    (1.0, True)
    """
    q = parts.content
    s = _content(sentence)
    pred = parts.bigrams - topic
    f = {"wh_left": max((_longest_piece(x, s, True) for x in parts.left), default=0) / 4.0,
         "wh_right": max((_longest_piece(x, s, False) for x in parts.right), default=0) / 4.0,
         "pred_bigram": sum(b in s for b in pred) / len(pred) if pred else 0.0,
         "lcs": min(_lcs(q, s), 12) / 12.0,
         "pred_lcs": min(_lcs(_mask(q, topic), s), 8) / 8.0}
    typ = _TYPE_RE.get(parts.wh_type or "")  # no type to look for (什么, 哪个, none): 0
    f["type_new"] = float(typ is not None and any(m.group(0) not in q for m in typ.finditer(s)))
    return f
