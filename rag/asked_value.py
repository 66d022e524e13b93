"""What kind of value a question asks for, and whether a text holds one (age, hours, a time limit, money, a rate, a date).

A citizen's law question often asks for a value: 男的最早多大能领结婚证？ (an age), 献完血要隔多久才能再献？ (a time
limit), 被黑心商家骗了，最少能赔多少钱？ (money). The statute ranking puts the article that *names the situation* first
(第一千零四十九条 结婚登记) and the one that *sets the value* (第一千零四十七条 男不得早于二十二周岁) second or third, and the
statute answerer quoted the first one. :func:`asked_kind` reads the kind from the question's wording; :func:`holds`
says whether a text has a value of that kind (a number followed by 周岁, 小时, 日/个月/年, an amount of money as
:func:`rag.asked_quantity.gives_money` reads it, or a full date); :func:`typed_choice` picks, among the top
articles, the first one that holds the asked value when the first does not (:mod:`rag.statute_answer` then quotes it first and the top article second).

A kind is asked only with a question word (几岁, 年龄多大, 多少税率 — not 退休年龄 or 按比例); questions that ask no value
(能…吗, 怎么办, 谁负责) and English questions get no kind. This module does not retrieve,
score or refuse; it never turns a refusal into an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .asked_quantity import BETWEEN, MONEY_UNITS, asked_units, gives_money, number_then
from .textnorm import to_simplified

__all__ = ["CHECKED_KINDS", "KINDS", "Value", "asked_kind", "holds", "missing_value", "typed_choice"]

_B = BETWEEN  # between a number and its unit: an approximation and a multiplier (30多年, 十余天, 一百多万元)
_NOT_ASKING = r"(?<![那这隔头前每])"  # 那几年, 每隔几天, 头几个月 name a stretch of time, they do not ask one


@dataclass(frozen=True)
class Value:
    """What a text holding a value of some kind contains: a number followed by ``unit`` (a regex; the number is
    :func:`rag.asked_quantity.number_then`'s, read in linear time), or a match of ``plain`` (a value written otherwise)."""

    unit: str = ""
    plain: re.Pattern | None = None
    #: or a reader of its own (money: :func:`rag.asked_quantity.gives_money`, the one reading of an amount)
    reader: Callable[[str], bool] | None = None

    def search(self, text: str) -> bool:
        return bool(self.unit and number_then(self.unit, text)) or bool(self.plain and self.plain.search(text)) \
            or bool(self.reader and self.reader(text))


#: (kind, question wording that asks it, what a text holding such a value contains); the first match wins
KINDS: tuple[tuple[str, re.Pattern, Value], ...] = (
    ("date", re.compile(r"哪一?天|几月几[日号]|什么时候(?:开始|起)?(?:施行|实施|生效)|何时(?:开始|起)?(?:施行|实施|生效)"),
     Value(plain=re.compile(r"[0-9〇零一二三四五六七八九十]{2,4}年[0-9一二三四五六七八九十]{1,3}月[0-9一二三四五六七八九十]{1,3}日"))),
    ("age", re.compile(r"几岁|多少岁|(?:岁数|年龄|(?<!周)年纪)(?:是|要|得|有)?(?:多大|多少)|多大(?:岁数|年龄|年纪)|"
                       r"什么年龄|多大(?:才|能|可以|的孩子|的人|以上|以下|开始|就)|最[早小大低]?多大(?![概约致])"),  # not 最多大概
     Value(_B + r"周?岁")),
    ("hours", re.compile(r"(?:几|多少)个?(?:钟头|小时)"), Value(_B + r"个?(?:小时|钟头)")),
    ("duration", re.compile(r"多久|多长时间|多少天|多少日|多少个月|多少年|期限多长|" + _NOT_ASKING + r"几(?:天|日|个月|年)"),
     Value(_B + r"(?:个工作日|工作日|个月|个星期|星期|日|天|月|年|周|小时|分钟|秒)")),
    ("money", re.compile(r"多少钱|[赔罚补]多少|多少(?:赔偿|补偿|罚款|违约金)|赔偿[^，。？?]{0,4}多少|罚款[^，。？?]{0,4}多少"),
     Value(reader=gives_money)),
    ("rate", re.compile(r"(?:税率|比例|利率)(?:是|为|有)?多少|多少(?:的)?(?:税率|比例|利率)|百分之几|几成"),
     Value(r"\s*成", re.compile(r"百分之|[0-9]\s*[%％]|[0-9]\s*/\s*[0-9]|[一二三四五六七八九十]分之[一二三四五六七八九十]"))),
)
_BY_NAME = {name: want for name, _, want in KINDS}


def asked_kind(question: str) -> str | None:
    """The kind of value ``question`` asks for, or None.

    >>> asked_kind("男的最早多大能领结婚证？"), asked_kind("一天最多能让人干几个钟头？"), asked_kind("表哥和表妹能结婚吗？")
    ('age', 'hours', None)
    """
    q = to_simplified(question)
    return next((name for name, ask, _ in KINDS if ask.search(q)), None)


def holds(kind: str, text: str) -> bool:
    """Whether ``text`` holds a value of ``kind``.

    >>> holds("age", "结婚年龄，男不得早于二十二周岁"), holds("age", "要求结婚的男女双方应当亲自到婚姻登记机关申请")
    (True, False)
    """
    return _BY_NAME[kind].search(to_simplified(text))


def typed_choice(question: str, texts: Sequence[str], *, depth: int = 3) -> int | None:
    """The index (1 … ``depth`` − 1) of the first text holding the value ``question`` asks for, when ``texts[0]``
    holds none; else None (no kind asked, the first text has it, or none of the next ones does).

    >>> typed_choice("献完血要隔多久才能再献？", ["献血者献血后应当休息。", "两次采集间隔期不少于六个月。"])
    1
    >>> typed_choice("献完血要隔多久才能再献？", ["间隔期不少于六个月。", "两次采集间隔期不少于三个月。"]) is None
    True
    """
    kind = asked_kind(question)
    if kind is None or not texts or holds(kind, texts[0]):
        return None
    return next((i for i in range(1, min(depth, len(texts))) if holds(kind, texts[i])), None)


#: the kinds whose absence from the quote refuses the answer (:func:`missing_value`); not ``date``: 哪天 is also
#: answered by a recurring day (每年5月的第三个星期日, 农历九月初九)
CHECKED_KINDS = ("age", "hours", "duration", "money", "rate")
_YES_NO = re.compile(r"吗[？?。！!\s]*$|是否|是不是|有没有|能不能|可不可以|算不算|要不要")


def missing_value(question: str, text: str) -> str | None:
    """The kind of value ``question`` asks for (an age, hours, a time limit, money, a rate) that ``text`` (the quoted
    answer) holds none of, or None. Yes/no questions (…吗？, 有没有…) are not checked: 几年内不许结婚，算数吗？ asks
    whether, not how long.

    >>> missing_value("献完血要隔多久才能再献？", "献血者献血后应当休息。")
    'duration'
    >>> missing_value("献完血要隔多久才能再献？", "两次采集间隔期不少于六个月。") is None
    True
    >>> missing_value("合同里写了几年内不许结婚，算数吗？", "用人单位不得限制女职工结婚。") is None
    True
    """
    kind = asked_kind(question)
    if kind not in CHECKED_KINDS or _YES_NO.search(to_simplified(question)):
        return None
    if kind == "money" and any(u in MONEY_UNITS for u in asked_units(question)):
        return None  # 多少钱: the amount check (rag.asked_quantity.missing_quantity) read the same quotes the same way
    return None if holds(kind, text) else kind
