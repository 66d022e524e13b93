"""Near-miss check: the question's hard constraints must hold in the quoted text.

The refusal models score how well a sentence matches the question's terms. A
*near miss* — "杭州2023年有多少家人工智能企业？" answered with the 2021 figure —
matches every term but one, and that one is the point of the question. This
module extracts the question's hard constraints and checks them against the
quote, its passage and the document title; when one is contradicted the
answerer refuses instead (:func:`rag.answer.build_answer`, after the refusal
decision, keeping the suggestions). Text is compared in simplified script;
English questions are checked through their Chinese gloss.

Hard constraints (which kinds veto was decided by measurement on development
data, ``bench/near_miss.py``; see ``docs/near-miss.md``):

- ``year``: a year written in digits (``2023年``) occurs neither in the passage nor in the title;
- ``place``: a province or city (``rag/data/places.json``, from jieba's dictionary) occurs neither in
  the passage nor in the title, or the quote and the sentence before it name other places but not it
  (上海 asked, 江苏、浙江、安徽 quoted);
- ``role``: an office holder (市长, 书记, 总统 …) occurs neither in the passage nor in the title;
- ``gender``: 男X asked where the passage has 女X and no 男X (or the reverse).

Relative dates (今年, 去年), numbers other than years, organisations and person names are not checked.
This module does not retrieve or score sentences, and it never turns a refusal into an answer.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .textnorm import to_simplified

__all__ = ["Violation", "places_in", "violation"]


@dataclass(frozen=True)
class Violation:
    """One contradicted constraint: its ``kind`` (``year``, ``place``, …) and the question's ``value``."""

    kind: str
    value: str


_YEAR = re.compile(r"(?<![0-9])((?:19|20)[0-9]{2})(?![0-9])")
_ROLES = ("市长", "省长", "州长", "县长", "区长", "镇长", "村长", "书记", "主席", "局长", "部长", "总理", "总统",
          "首相", "厅长", "院长", "校长", "董事长", "总经理", "行长")
#: a role word followed by one of these is part of another word (城市长期, 学校长远)
_ROLE = re.compile("(" + "|".join(_ROLES) + ")(?!期|远|久|度|大|足|短|处|城|沙|江|三角|寿|达|效|廊|河|安|春)")
_GENDER = re.compile(r"([男女])(职工|性|方|子|生|员工|工|人|童|孩)")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


@functools.lru_cache(maxsize=1)
def _places() -> tuple[re.Pattern, frozenset[str]]:
    names = json.loads((Path(__file__).parent / "data" / "places.json").read_text(encoding="utf-8"))
    names = sorted(names, key=len, reverse=True)  # longest first: 内蒙古 before 内蒙
    return re.compile("|".join(map(re.escape, names))), frozenset(names)


def places_in(text: str) -> set[str]:
    """Province and city names in ``text`` (simplified script), longest match first."""
    return set(_places()[0].findall(text))


def _before(passage: str, quote: str) -> str:
    """The sentence before ``quote`` in ``passage`` ("" when the quote opens it or is not found)."""
    i = passage.find(quote)
    if i <= 0:
        return ""
    head = passage[:i].rstrip()
    cuts = [m.end() for m in _SENTENCE_END.finditer(head[:-1])]
    return head[cuts[-1] if cuts else 0:]


def _same_place(a: str, b: str) -> bool:
    return a in b or b in a


def _place(asked: set[str], quote: str, passage: str, context: str) -> Violation | None:
    for p in sorted(asked):
        if p not in context:
            return Violation("place", p)
    local = places_in(_before(passage, quote) + quote)
    if local and asked and not any(_same_place(p, q) for p in asked for q in local):
        return Violation("place", "、".join(sorted(asked)))
    return None


def violation(question: str, quote: str, passage: str, title: str = "") -> Violation | None:
    """The first hard constraint of ``question`` that the quote contradicts, or None (no veto).

    ``passage`` is the passage the quote sits in and ``title`` its document's title.
    """
    q, quote, passage, title = (to_simplified(t) for t in (question, quote, passage, title))
    context = f"{title}\n{passage}"
    for y in sorted(set(_YEAR.findall(q))):
        if y not in context:
            return Violation("year", y)
    if v := _place(places_in(q), quote, passage, context):
        return v
    for r in sorted(set(_ROLE.findall(q))):
        if r not in context:
            return Violation("role", r)
    for sex, what in sorted(set(_GENDER.findall(q))):
        other = "女" if sex == "男" else "男"
        if other + what in passage and sex + what not in context:
            return Violation("gender", sex + what)
    return None
