"""Linear-time search for "a number, then a unit" patterns (no catastrophic backtracking on long runs of numerals).

``re.search(r"\\d[\\d.,]*" + after, text)`` starts the number at every digit of a run and reads the run to its end
each time: quadratic on a long run of digits (a 10,000-digit run took ~1.7 s). :func:`number_span` finds the same
leftmost match by reading each maximal run once from its first digit; :func:`run_start` guards a one-class numeral
run (``[一二三…]+``) with a look-behind so that it starts only where the run does. Both give exactly the matches of
the plain patterns (tests/test_number_search.py compares them on random strings). This module knows no units or
answer types; its callers (:mod:`rag.answer_kind`, :mod:`rag.law_followup`) do.
"""

from __future__ import annotations

import re

__all__ = ["number_span", "run_start"]

_DIGIT_RUN = re.compile(r"\d[\d.,]*")


def run_start(chars: str) -> str:
    """``[chars]+`` that matches only at the start of a maximal run of ``chars`` (a number starting inside a run can
    as well start where the run does, so a search finds the same leftmost match — in linear time).

    >>> re.search(run_start("一二三") + "天", "一二三四一二三天").span()
    (4, 8)
    """
    return rf"(?<![{chars}])[{chars}]+"


def number_span(text: str, after: re.Pattern, rest: re.Pattern | None = None) -> tuple[int, int] | None:
    """The span of ``re.search(r"\\d[\\d.,]*(?:AFTER)|REST", text)`` (``AFTER``, ``REST``: the patterns of ``after``
    and ``rest``; ``rest`` should guard its own numeral runs with :func:`run_start`), or None — in linear time when
    ``after`` reads a bounded amount where it starts before a digit, a point or a comma.

    A number that starts inside a run of ``[\\d.,]`` can as well start at the run's first digit, so only that start
    is tried, with the run's prefixes longest first (as the greedy ``[\\d.,]*`` backtracks); at one position the
    number is tried before ``rest``, as in the alternation.

    >>> number_span("共计1,200多万元", re.compile(r"\\s*(?:多\\s*)?[万亿元]"))
    (2, 9)
    """
    digit = None
    for m in _DIGIT_RUN.finditer(text):
        for e in range(m.end(), m.start(), -1):
            if (a := after.match(text, e)) is not None:
                digit = (m.start(), a.end())
                break
        if digit is not None:
            break
    other = rest.search(text) if rest is not None else None
    if other is not None and (digit is None or other.start() < digit[0]):
        return other.span()
    return digit
