"""Answers under a restriction the user chose must be about the question, not just the best of what is left.

A law, type or date filter (:class:`rag.filters.Filters`), or a follow-up that names a law (:mod:`rag.law_switch`),
leaves the search a part of the index. When that part provides nothing on the matter (“试用期最长多久” under a filter
to 消费者权益保护法), its best passage still ranks first there, and the answer models — which read a passage's evidence
relative to the ranking it came from — quoted it (round 13's acceptance run). So an answer under a restriction stands
only when the passage it quotes first is also among the top :data:`DEPTH` of the same question searched over the
whole index (the same query vector; the matter of a follow-up that names a law — its text without the law's name,
:func:`rag.qa.ask`'s ``restricted`` — is embedded once more, unless remembered): what the filter left must be something the question
finds anyway, not only what remains. An article named by law and number (exact) is never held to this, nor an
answer that quotes no statute article (a news passage under a date filter: not measured, unchanged).

``DEPTH`` was chosen by leave-one-group-out on development law questions: the everyday document sets of rounds 7–12
over their documents indexes and the first turns of the law dialogue sets of rounds ≤ 12 over ``corpus/``
(``bench/filter_refusal.py``; docs/law-dialogues.md, round 14). This module does not retrieve by itself (the
caller's ``search`` does) and does not change an answer that is not under a restriction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from .answer import REFUSAL_PREFIX
from .records import Answer, Hit, Superseded

__all__ = ["DEPTH", "RESTRICTED_REFUSAL", "filter_refusal", "law_refusal", "repealed_law_refusal", "restricted_gate",
           "unheld_law_refusal", "unrestricted_rank"]

#: leave-one-group-out over 16 development groups (6 everyday document rounds, 9 law dialogue sets' first turns on
#: ``corpus/``): the smallest depth losing no right-law right answer on the other groups was 30 in 15 folds, 20 in one
DEPTH = 30
RESTRICTED_REFUSAL = f"{REFUSAL_PREFIX}筛选范围内与该问题直接相关的内容。"


def law_refusal(title: str) -> str:
    """The refusal of a follow-up searched in the law titled ``title`` (:mod:`rag.law_switch`).

    >>> law_refusal("中华人民共和国消费者权益保护法")
    '资料中没有找到《中华人民共和国消费者权益保护法》中与该问题直接相关的规定。'
    """
    return f"{REFUSAL_PREFIX}《{title}》中与该问题直接相关的规定。"


def unheld_law_refusal(name: str) -> str:
    """The refusal of a follow-up naming a law the index does not hold (``name`` as written, without 《》; round 15).

    >>> unheld_law_refusal("刑法")
    '资料中没有找到《刑法》：资料库没有收录这部法律，无法回答。'
    """
    return f"{REFUSAL_PREFIX}《{name}》：资料库没有收录这部法律，无法回答。"


def repealed_law_refusal(sup: Superseded) -> str:
    """The refusal of a question naming an article of a law that the held law ``sup.by`` repealed (round 16): the
    successor's articles are numbered anew, so no article of it is quoted for that number.

    >>> repealed_law_refusal(Superseded("婚姻法", "中华人民共和国婚姻法", "中华人民共和国民法典", "2021-01-01"))
    '资料中没有找到《婚姻法》：这部法律已于2021年1月1日废止，由《中华人民共和国民法典》取代，条文编号不同。请按内容提问，或写明《中华人民共和国民法典》的条号。'
    """
    when = "已废止"
    if sup.since:
        y, m, d = (int(x) for x in sup.since.split("-"))
        when = f"已于{y}年{m}月{d}日废止"
    return (f"{REFUSAL_PREFIX}《{sup.named}》：这部法律{when}，由《{sup.by}》取代，条文编号不同。"
            f"请按内容提问，或写明《{sup.by}》的条号。")


def filter_refusal(titles: Sequence[str]) -> str:
    """The refusal of a question whose law(s) ``titles`` the user's own filter leaves out (round 15).

    >>> filter_refusal(["中华人民共和国消费者权益保护法"])
    '资料中没有找到筛选范围内与该问题直接相关的内容：所选筛选条件不包含《中华人民共和国消费者权益保护法》。'
    """
    return f"{RESTRICTED_REFUSAL[:-1]}：所选筛选条件不包含{'、'.join(f'《{t}》' for t in titles)}。"


def unrestricted_rank(ans: Answer, search: Callable[[int], Sequence[Hit]], depth: int) -> int | None:
    """The 0-based rank of the passage ``ans`` quotes first among ``search(depth)`` (the question over the whole
    index); None when it is not there."""
    if not ans.citations:
        return None
    cid = ans.citations[0].chunk_id
    return next((i for i, h in enumerate(search(depth)) if h.chunk.chunk_id == cid), None)


def restricted_gate(ans: Answer, hits: Sequence[Hit], search: Callable[[int], Sequence[Hit]], *,
                    depth: int = DEPTH, law: str = "") -> Answer:
    """``ans`` (answered under a restriction from ``hits``), or a refusal — its citations kept as suggestions — when
    the passage it quotes first is not in the top ``depth`` of the unrestricted ``search``; ``depth`` 0: no gate.
    ``law``: the title of the law a follow-up named (the refusal says it was searched), else the filter's refusal."""
    if not depth or not ans.answerable or not ans.citations or any(h.exact for h in hits[:1]):
        return ans
    cited = next((h for h in hits if h.chunk.chunk_id == ans.citations[0].chunk_id), None)
    if cited is None or not cited.chunk.article:  # measured on statute answers only: other passages keep theirs
        return ans
    if unrestricted_rank(ans, search, depth) is not None:
        return ans
    return replace(ans, answer=law_refusal(law) if law else RESTRICTED_REFUSAL, answerable=False, citations=[],
                   refusal_reason="not_in_named_law" if law else "",
                   suggestions=list(ans.citations) + [s for s in ans.suggestions if s not in ans.citations])
