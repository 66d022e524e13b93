"""rag/number_search.py: the linear number searches find exactly what the old (quadratic) regexes found.

Old patterns are copied here verbatim from rag/answer_kind.py, rag/followup.py and rag/law_followup.py as they were.
The full check (250,000 random strings per pattern) is ``python tests/test_number_search.py 250000``.
"""

from __future__ import annotations

import random
import re
import sys
import time

import pytest

from rag import answer_kind as ak
from rag import followup
from rag import law_followup as lf
from rag.asked_quantity import gives_money
from rag.number_search import number_span

OLD_NUMERAL = r"(?:\d[\d.,]*|[零一二三四五六七八九十百千万亿两几数多近余半]+)"
OLD_APPROX = r"\s*(?:(?:多|余)\s*)?"
OLD_QUANTITY = re.compile(OLD_NUMERAL + OLD_APPROX + r"[个家年次项座所位名种条份倍人天日周月元成岁%％]|\d|[半多少]数|过半|大半"
                          r"|分之")
#: a number in 万/亿 (the follow-up check's count reading of 多少万吨 / 多少亿次: rag.answer_kind._WAN_*)
OLD_WAN = re.compile(r"\d[\d.,]*" + OLD_APPROX + r"[万亿]|[一二三四五六七八九十百千两数几]+(?:多|余)?[万亿]")
OLD_DATE_NUMBER = re.compile(r"(?:19|20)\d{2}(?:年|—|-|–|至)?|\d{1,2}月|\d{1,2}[日号]|[一二三四五六七八九十]+月")
OLD_TIME_VALUE = re.compile(r"\d|[一二三四五六七八九十〇零两]+(?:年|月|日|天|周)|年|月|日|前夕|之前|之后|以来|期间|时")
OLD_LAW_NUM = r"[\d零〇一二两三四五六七八九十百千万亿半]+"
#: the after-number parts the callers build (unit classes of _unit_given, a counted noun of _counted_given)
AFTERS = [OLD_APPROX + ak._unit_class(u) for u in "天个次年月倍"] + \
    [r"[万亿千百]?" + OLD_APPROX + re.escape(n) for n in ("字", "万", "1", ".", "多", "余")]

# digits (also a non-ASCII one), numerals, separators, units, approximations, spaces, bounds and the odd other char
ALPHABET = list("1920—-–至号0123456789.,٣３零〇一二两三四五六七八九十百千万亿半几数多近余 \u3000元倍%％个日天年月号小时周岁次人名项分之过大少级以上下内不得超高低最x字")

#: a small alphabet, so that numbers, approximations and units meet often
FOCUSED = list("12.,三十多余万元天个月年 之分百")


def _old_law(pattern: re.Pattern) -> re.Pattern:
    return re.compile(pattern.pattern.replace(lf._NUM, OLD_LAW_NUM))


def _span(m):
    return m.span() if m is not None else None


def check(n: int, seed: int = 0) -> int:
    """Compare old and new on ``n`` random strings; returns the number of strings where some pattern matched."""
    rng = random.Random(seed)
    law = [(p, _old_law(p)) for _, _, p in lf._TYPES]
    assert all(new.pattern != old.pattern for new, old in law if lf._NUM in new.pattern)
    afters = [(re.compile(a), re.compile(ak.run_start(ak._CN_NUMERAL) + a), re.compile(OLD_NUMERAL + a)) for a in AFTERS]
    hits = 0
    for _ in range(n):
        alphabet = ALPHABET if rng.random() < 0.5 else FOCUSED
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        old_quantity = _span(OLD_QUANTITY.search(text))
        assert number_span(text, ak._QUANTITY_AFTER, ak._QUANTITY_REST) == old_quantity, text
        assert number_span(text, ak._WAN_AFTER, ak._WAN_REST) == _span(OLD_WAN.search(text)), text
        for after, rest, old in afters:
            assert number_span(text, after, rest) == _span(old.search(text)), (text, old.pattern)
        for new, old in law:
            assert _span(new.search(text)) == _span(old.search(text)), (text, old.pattern)
        assert ak._DATE_NUMBER.sub("", text) == OLD_DATE_NUMBER.sub("", text), text  # every match replaced
        assert _span(followup._TIME_VALUE.search(text)) == _span(OLD_TIME_VALUE.search(text)), text
        hits += old_quantity is not None
    return hits


def test_same_matches_as_the_old_patterns():
    assert check(3000) > 100  # and matches do occur: the comparison is not of two Nones


HOSTILE = ["1" * 50000, "1." * 25000, "三" * 50000, "多" * 50000, "1" + " " * 49999, "三" + "\u3000" * 49999,
           ("1,2." * 12500), "百" * 50000]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_linear_on_long_runs(text):
    t0 = time.perf_counter()
    ak._quantity_given("有多少钱", [text])
    gives_money(text + "罚款")
    gives_money("万" * len(text))
    ak._quantity_given("有多少", [text])
    ak._quantity_given("有多少万吨", [text])  # no money: the count reading in 万/亿 (rag.answer_kind._WAN_*)
    ak._quantity_given("有多少万吨", [text + "万"])
    ak._unit_given("天", text)
    ak._counted_given("写了多少字", [text])
    for kind in ("money", "day", "hours", "age", "duration", "count", "amount"):
        lf.has_answer_type(kind, [text])
    followup._TIME_VALUE.search(text)
    assert time.perf_counter() - t0 < 1.5  # the old patterns took minutes on each of these


if __name__ == "__main__":
    print(check(int(sys.argv[1]) if len(sys.argv) > 1 else 250000), "strings with a quantity match")
