"""Asked-quantity check: a question asking 多少钱 / 多少天 / 多少人 … needs a number with that unit in the answer.

Many questions the documents cannot answer ask for an amount: 补办身份证要交多少钱工本费？, 男职工现在多少岁退休？,
芙蓉洞的门票多少钱一张？ The passage that comes up is on topic (身份证法 第二十一条: 应当缴纳证件工本费 … 标准由国务院价格
主管部门核定), so the refusal models, which read term overlap and cosines, answer; but the quote holds no amount.
Here, when the question asks ``多少`` + a unit (钱/元/块, 天/日, 个月, 岁, 人/名/位, 家, 亩, 倍, 次, 门, 小时, 公里, 米,
分, 万, 亿, 种, 所, 座), the quoted text must hold a number (digits or Chinese numerals) followed by a unit of the
same kind (天: 天, 日, 周; 人: 人, 名, 位 or 人口 + a number …), approximations allowed between them (200多家, 3万余人);
money (钱, 元, 块, 万元, 亿元) is an amount as :func:`gives_money` reads it — the one reading of money that
:mod:`rag.asked_value` and :mod:`rag.answer_kind` use too. Otherwise :func:`rag.answer.build_answer` refuses.

``几`` (几家骑士团 is answered by a list of names, 哪几座 by names) and ``多少`` without a unit (赔多少) are not
checked, nor are English questions (their Chinese gloss). Chosen on development data (``bench/answer_checks.py --check quantity``;
docs/answers.md, "Round 7"). This module does not retrieve or score; it never turns a refusal into an answer.
"""

from __future__ import annotations

import re

from .textnorm import to_simplified

__all__ = ["BETWEEN", "MONEY_UNITS", "asked_units", "gives_money", "missing_quantity", "number_then"]

_NUM = r"(?:[0-9][0-9,.]*|[零〇一二两三四五六七八九十百千万亿半几数]+)"
#: the unit a question asks after 多少 → the units (regex alternatives) that may follow a number in the answer
#: (money, :data:`MONEY_UNITS`, is read by :func:`gives_money`)
_UNITS = {"天": "天|日|周|个工作日|工作日", "日": "天|日",
          "个月": "个月|月", "岁": "岁|周岁", "人": "人|名|位", "名": "名|人|位", "位": "位|名|人", "家": "家",
          "亩": "亩|公顷|平方", "倍": "倍", "次": "次", "门": "门|科", "小时": "小时|个小时|钟头",
          "公里": "公里|千米|km", "米": "米", "分": "分", "万": "万", "亿": "亿",
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
    if unit in MONEY_UNITS:
        return gives_money(text)
    if number_then(_BETWEEN + "(?:" + _UNITS[unit] + ")", text):
        return True
    return unit in ("人", "名", "位") and re.search(r"人[口数][^，。,]{0,4}" + _NUM, text) is not None


# ------------------------------------------------------------------ the one reading of "the text gives money"

#: 多少 + these units asks an amount of money: :func:`gives_money` decides (not the table above)
MONEY_UNITS = ("钱", "元", "块", "万元", "亿元")
_CURRENCY = r"(?:元|块钱|美元|港元|港币|欧元|日元|英镑)"  # not 角 (长三角), not 块 alone (一块土地)
#: what a number + 万/亿 counts when it is not money (5万人, 3亿吨, 2万平方米, 10万余家): then it is a count
_COUNTED = (r"(?:人|个|家|名|位|户|吨|台|辆|座|所|项|件|次|亩|平方|立方|公里|千米|米|条|只|头|套|间|张|本|册|部|份|种|字|"
            r"千瓦|瓦|度|年|天|小时|岁|株|棵|升|斤|公斤|千克|克|桶|片|例|篇|首|支|艘|架|粒|盒|箱|册|倍|分)")
#: 万/亿 ending the number (五万三千人 is a count of 53,000), then no measure word; bounded, so linear in all
_ROUND = re.compile(r"\s*(?:(?:多|余)\s*)?[万亿]{1,2}(?![0-9零〇一二两三四五六七八九十百千万亿半几数])(?!(?:多|余)?\s*"
                    + _COUNTED + ")")
#: a numeral that makes 万/亿 a number (not 千万不要, 亿万富翁's 亿万 alone)
_REAL_NUMERAL = re.compile(r"[0-9一二两三四五六七八九十几数]")
#: a multiple or a share (三倍, 百分之十, 300%) is an amount of money only as a multiple or share of one
_SHARE = re.compile(r"百分之|分之|[0-9]\s*%")
#: (words, not characters: 首款 is a first model, 金融 finance, 评价 an opinion, 试错成本 no sum anyone pays)
_MONEY_WORD = re.compile(r"罚款|款项|贷款|存款|价款|欠款|赔款|货款|资金|[赔偿违约滞纳奖保证定押租基薪现罚]金|费|工资|薪|"
                         r"(?<![评代])价(?!值)|[金总数限]额|额度|税|收入|所得|报酬|利息|元|钱|赔|罚|投资")
_CLAUSE = re.compile(r"[，。；;,!?！？\n]")


def gives_money(text: str) -> bool:
    """Whether ``text`` gives an amount of money: what a citizen asking 多少钱 / 罚多少 / 赔多少 needs. The one reading of
    the amount check (:func:`missing_quantity`), the value check (:mod:`rag.asked_value`) and the follow-up check
    (:mod:`rag.answer_kind`); they read it three ways before.

    Money is a number with a currency (一万元以下, 2000元至5000元, 3万余元, 500块钱, ＄39, ¥20); a round amount written
    without one (投资5亿, 总额超过3000万) unless a measure word follows (5万人, 3亿吨: counts); or a multiple or share of
    an amount (违法所得三倍以下的罚款, 百分之十的滞纳金, 工资的300%) — a clause naming money (款, 金, 费, 工资, 价, 额 …)
    around it, since 增长三倍 or 占43% alone gives none. Input is normalised here (traditional, full-width digits).

    >>> [gives_money(t) for t in ("处一万元以下罚款", "2000元至5000元", "总投资5亿", "违法所得三倍以下的罚款",
    ...                           "按日加收百分之十的滞纳金", "支付工资的300%", "全程：＄39")]
    [True, True, True, True, True, True, True]
    >>> [gives_money(t) for t in ("常住人口5万人", "五万三千人", "5万亿吨", "产值增长三倍", "占全省的43%", "千万不要相信",
    ...                           "应当缴纳证件工本费", "长三角的产业规模", "一块土地")]
    [False, False, False, False, False, False, False, False, False]
    """
    t = to_simplified(text).translate(_NORMALISE)
    if number_then(_BETWEEN + _CURRENCY, t) or re.search(r"[$¥]\s*[0-9]", t):
        return True
    for m in _NUM_RUN.finditer(t):
        if (real := _REAL_NUMERAL.search(t, m.start(), m.end())) is not None \
                and any(_ROUND.match(t, e) for e in range(real.end(), m.end() + 1)):
            return True
    return any(_MONEY_WORD.search(c) and (_SHARE.search(c) or number_then(_BETWEEN + "倍", c))
               for c in _CLAUSE.split(t) if c)


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
