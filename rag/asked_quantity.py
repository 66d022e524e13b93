"""Asked-quantity check: a question asking 多少钱 / 多少天 / 多少人 … needs a number with that unit in the answer.

Many questions the documents cannot answer ask for an amount: 补办身份证要交多少钱工本费？, 男职工现在多少岁退休？,
芙蓉洞的门票多少钱一张？ The passage that comes up is on topic (身份证法 第二十一条: 应当缴纳证件工本费 … 标准由国务院价格
主管部门核定), so the refusal models, which read term overlap and cosines, answer; but the quote holds no amount.
Here, when the question asks ``多少`` + a unit (钱/元/块, 天/日, 个月, 岁, 人/名/位, 家, 亩, 倍, 次, 门, 小时, 公里, 米,
分, 万, 亿, 种, 所, 座), the quoted text must hold a number (digits or Chinese numerals) followed by a unit of the
same kind (钱: 元, 块, 万元, $…; 天: 天, 日, 周; 人: 人, 名, 位 or 人口 + a number …; money also by a percentage or
multiple of a wage, 300%, 三倍), approximations allowed between them (200多家, 3万余人). Otherwise :func:`rag.answer.build_answer` refuses.

``几`` (几家骑士团 is answered by a list of names, 哪几座 by names) and ``多少`` without a unit (赔多少) are not
checked, nor are English questions (their Chinese gloss). Chosen on development data (``bench/answer_checks.py --check quantity``;
docs/answers.md, "Round 7"). This module does not retrieve or score; it never turns a refusal into an answer.
"""

from __future__ import annotations

import re

from .textnorm import to_simplified

__all__ = ["BETWEEN", "asked_units", "missing_quantity", "number_then"]

_NUM = r"(?:[0-9][0-9,.]*|[零〇一二两三四五六七八九十百千万亿半几数]+)"
_MONEY = "元|块|万元|亿元|美元|港元|港币|角|欧元|日元|英镑|%|倍"
#: the unit a question asks after 多少 → the units (regex alternatives) that may follow a number in the answer
_UNITS = {"钱": _MONEY, "元": _MONEY, "块": _MONEY, "天": "天|日|周|个工作日|工作日", "日": "天|日",
          "个月": "个月|月", "岁": "岁|周岁", "人": "人|名|位", "名": "名|人|位", "位": "位|名|人", "家": "家",
          "亩": "亩|公顷|平方", "倍": "倍", "次": "次", "门": "门|科", "小时": "小时|个小时|钟头",
          "公里": "公里|千米|km", "米": "米", "分": "分", "万": "万", "亿": "亿", "亿元": "亿", "万元": "万|元",
          "种": "种", "所": "所", "座": "座"}
_ASK = re.compile(r"多少(个月|小时|公里|亿元|万元|钱|元|块|天|日|岁|人|名|位|家|亩|倍|次|门|米|分|万|亿|种|所|座)")
_NORMALISE = str.maketrans("０１２３４５６７８９，．％＄￥", "0123456789,.%$¥")


def asked_units(question: str) -> list[str]:
    """The units the question asks an amount of (``多少`` + unit), in order.

    >>> asked_units("补办一张身份证要交多少钱工本费？"), asked_units("卡洛身兼几家骑士团的大团长职位？")
    (['钱'], [])
    """
    return [m.group(1) for m in _ASK.finditer(to_simplified(question))]


#: between a number and its unit: an approximation and a multiplier (200多家, 3万余人, 十余天, 一百多万元)
#: (each optional part carries its own trailing spaces: adjacent ``\s*`` made this backtrack polynomially on a
#: number followed by a long run of spaces)
_BETWEEN = r"\s*(?:(?:多|余|来)\s*)?(?:(?:万|亿|千|百)\s*)?(?:(?:多|余)\s*)?"
BETWEEN = _BETWEEN  # shared with rag.asked_value


#: a maximal run of numerals, as :data:`_NUM` reads them (digits with their separators, or Chinese numerals)
_NUM_RUN = re.compile(r"[0-9][0-9,.]*|[零〇一二两三四五六七八九十百千万亿半几数]+")


def number_then(after: str, text: str) -> bool:
    """Whether ``text`` holds a number (:data:`_NUM`) directly followed by a match of the regex ``after`` (a unit,
    :data:`_BETWEEN` before it): ``re.search(_NUM + after, text)``, in linear time — that search started the number
    at every numeral of a run and read the run to its end each time (a 50,000-digit run took minutes).

    Each maximal run of numerals is read once and ``after`` is tried right after each of its prefixes: a number that
    starts inside a run can as well start where the run does, so the same matches are found.

    >>> number_then(_BETWEEN + "(?:元)", "罚款三万元"), number_then("(?:万)", "三千万人"), number_then("元", "1" * 50000)
    (True, True, False)
    """
    unit = re.compile(after)
    return any(unit.match(text, e) for m in _NUM_RUN.finditer(text) for e in range(m.start() + 1, m.end() + 1))


def _has(unit: str, text: str) -> bool:
    if number_then(_BETWEEN + "(?:" + _UNITS[unit] + ")", text):
        return True
    if _UNITS[unit] is _MONEY and re.search(r"[$¥]\s*[0-9]|百分之", text):
        return True
    return unit in ("人", "名", "位") and re.search(r"人[口数][^，。,]{0,4}" + _NUM, text) is not None


def missing_quantity(question: str, text: str) -> str | None:
    """The first unit ``question`` asks an amount of that ``text`` (the quoted answer) gives no number of, or None.

    >>> missing_quantity("补办身份证要交多少钱工本费？", "公民申请补领居民身份证，应当缴纳证件工本费。")
    '钱'
    >>> missing_quantity("从蓝田坐城巴A22到机场全程要多少钱?", "全程：＄39（机场员工优惠票价：＄27）") is None
    True
    >>> missing_quantity("加拿大最大城市有多少人？", "多伦多市人口达2,790,060，为加拿大最大城市。") is None
    True
    >>> [missing_quantity("有多少人参加？", t) for t in ("共有3万余人参加。", "约200多人参加。", "数百名学生参加。")]
    [None, None, None]
    """
    units = asked_units(question)
    if not units:
        return None
    t = to_simplified(text).translate(_NORMALISE)
    return next((u for u in units if not _has(u, t)), None)
