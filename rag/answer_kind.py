"""Answer-type checks of a follow-up's answer: does the quote hold the *kind* of thing the question asks?

Split from :mod:`rag.followup` (which re-exports :func:`check_answer_type` and :func:`refuse`). A how-much
question needs a quantity of the unit asked, not only a comparison (全国的平均是多少？ is not answered by
“…43%,远高于全国平均水平”); 多少 + a noun a number of that noun, not a date; 谁 a person or body the question does
not name (谁 as the beneficiary, 给谁用的, also what it serves); 叫什么名字 a name. Also the lexical coverage test (:func:`_covers`) the focus checks share. These checks
read only the returned :class:`~rag.records.Answer`'s quotes; they never retrieve, rewrite or re-score — they keep
an answer or turn it into a refusal.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from .answer import NOT_FOUND
from .asked_quantity import gives_money
from .mentions import QWORDS, places, pos_tags
from .number_search import number_span, run_start
from .records import Answer
from .textnorm import search_form

__all__ = ["HOW_MUCH", "NUMBER", "check_answer_type", "refuse"]


def refuse(ans: Answer) -> Answer:
    """``ans`` as a refusal; what it cited becomes suggestions."""
    return replace(ans, answer=NOT_FOUND, answerable=False, citations=[], suggestions=ans.citations + ans.suggestions)



def _covers(text: str, word: str) -> bool:
    """``word`` is in ``text``: its last character bigram or more than half of them, or (two characters) both
    in order ≤ 3 apart (起算 ~ 起计算)."""
    return covers_formed(search_form(text), search_form(word))


def covers_formed(t: str, w: str) -> bool:
    """:func:`_covers` of a text and a word already in :func:`rag.textnorm.search_form` (a caller that tests many
    pairs converts each once)."""
    if (stem := _COMPLEMENT.sub("", w)) != w and len(stem) == 1:
        return stem in t  # 搭起来 ~ 搭建: the verb, without its directional complement
    grams = [w[i:i + 2] for i in range(len(w) - 1)]
    if grams and (grams[-1] in t or 2 * sum(g in t for g in grams) >= len(grams) + (len(grams) > 2)):
        return True  # the head (资金 of 投入资金) or most of the word; 工作人员 is not covered by 政府工作报告
    return len(w) == 2 and (re.search(re.escape(w[0]) + r".{1,2}" + re.escape(w[1]), t) is not None
                            or w[::-1] in t)  # 经历 ~ 历经


_COMPLEMENT = re.compile(r"(?<=.)(?:起来|出来|下来|上来|进来|过来|下去|上去|出去|起|出)$")



#: a how-many question (哪几家 asks which, not how many) and a number in the answer
HOW_MUCH = re.compile(r"多少|(?<!哪)几[个家年月天项座所位成倍次]")
NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿两半]")


# ------------------------------------------------------------------ answer type

_TITLES = re.compile(r"《[^《》]{1,80}》")
_QUOTED = re.compile(r"[“\"「]([^”\"」]{2,30})[”\"」]")
_UNIT = re.compile(r"(?:多少|(?<!哪)几)\s*([个家年次项座所位名种条份倍人天月])")
_MONEY_Q = re.compile(r"多少钱|多少资金|多少经费|多少投资|金额|多大规模的资金|(?:多少|几)个?[亿万](?!人)")
#: a number as the searches below read it (their definition: tests/test_number_search.py compares them with it)
_NUMERAL = r"(?:\d[\d.,]*|[零一二三四五六七八九十百千万亿两几数多近余半]+)"
_APPROX = r"\s*(?:(?:多|余)\s*)?"  # 200多家, 3 余 人 (not \s*(?:多|余)?\s*: that backtracks on long runs of spaces)
#: _NUMERAL's Chinese numerals
_CN_NUMERAL = "零一二三四五六七八九十百千万亿两几数多近余半"
# _QUANTITY was ``re.search(_NUMERAL + …)``: quadratic on long runs of digits or numerals (2 s on 10k
# characters). The same matches in linear time (rag.number_search): a number after the digit part, the rest guarded.
_QUANTITY_UNIT = _APPROX + r"[个家年次项座所位名种条份倍人天日周月元成岁%％]"
_QUANTITY_AFTER = re.compile(_QUANTITY_UNIT)
_QUANTITY_REST = re.compile(run_start(_CN_NUMERAL) + _QUANTITY_UNIT + r"|\d|[半多少]数|过半|大半|分之")
#: _MONEY_Q's wordings that ask money itself (多少钱, 多少资金, 多少万元 …): only :func:`gives_money` answers them
_MONEY_ITSELF_Q = re.compile(r"多少钱|多少资金|多少经费|多少投资|金额|多大规模的资金|(?:多少|几)个?[亿万]元")
#: a number in 万/亿, money or a count (5亿, 500万吨, 1200万人, 3万余户, 五百亿): what 多少万吨 / 多少亿次 / 有多少万 asks
#: (gives_money reads 500万吨 as a count, not money); linear like _QUANTITY (rag.number_search)
_WAN_AFTER = re.compile(_APPROX + r"[万亿]")
_WAN_REST = re.compile(run_start("一二三四五六七八九十百千两数几") + r"(?:多|余)?[万亿]")


def _number_then(after: str, text: str) -> bool:
    """``re.search(_NUMERAL + after, text)`` found something (in linear time)."""
    return number_span(text, re.compile(after), re.compile(run_start(_CN_NUMERAL) + after)) is not None
_COMPARE = re.compile(r"高于|低于|超过|超出|远超|相比|相较|不及|领先|落后|多于|少于|优于|(?<![占对])比(?![例重率])")
_WHO = re.compile(r"(?<![省市城])谁(?!的)")
_WHO_NOUNS = re.compile(r"政府|部门|团队|机构|企业|公司|学者|专家|记者|研究人员|教授|院长|书记|省长|市长|负责人|创始人|"
                        r"研究院|研究所|实验室|委员会|大学|学院|协会|联盟|集团|中心|局|[\u4e00-\u9fff]者|单位|当事人|双方|"
                        r"一方|本人|个人|法院|机关|组织")


def _quantity_given(question: str, quotes: Sequence[str]) -> bool:
    """A how-much question's quotes give a quantity of the kind asked (多少家 → N家, 多少钱 → an amount of money,
    多少万吨/多少亿次 → a number in 万/亿), titles aside."""
    text = " ".join(_TITLES.sub("", search_form(q)) for q in quotes)
    if _MONEY_Q.search(question):
        if gives_money(text):  # the one reading of an amount of money (rag.asked_quantity)
            return True
        # 多少万吨, 多少亿次, 有多少万: a count in 万/亿 answers them too
        return not _MONEY_ITSELF_Q.search(question) and number_span(text, _WAN_AFTER, _WAN_REST) is not None
    if (m := _UNIT.search(question)):
        return _unit_given(m.group(1), text)
    return number_span(text, _QUANTITY_AFTER, _QUANTITY_REST) is not None


_SAME_UNIT = ["天日", "个家座所项种条份名位人", "次回", "年", "月", "倍"]


def _unit_given(unit: str, text: str) -> bool:
    """``text`` holds a number with a measure word answering 多少/几 + ``unit`` (:func:`_unit_class`)."""
    return _number_then(_APPROX + _unit_class(unit), text)


def _unit_class(unit: str) -> str:
    """The measure words that answer a 多少/几 + ``unit`` question: 多少天 ~ 三十日, 几个城市 ~ 15座城市."""
    return "[" + next((c for c in _SAME_UNIT if unit in c), unit) + "]"


_COUNTED = re.compile(r"(?:多少|几)(?![个家年次项座所位名种条份倍人天日周月元钱万亿成岁比])")
_DATE_NUMBER = re.compile(r"(?:19|20)\d{2}(?:年|—|-|–|至)?|\d{1,2}月|\d{1,2}[日号]|"
                          + run_start("一二三四五六七八九十") + "月")  # run_start: linear on long runs of 三


def _counted_given(question: str, quotes: Sequence[str]) -> bool:
    """多少 + a noun (多少开发者, 多少试错成本): some clause of the quotes gives a number (not a date) and names that
    noun; True when the question counts with a measure word (多少家: :func:`_quantity_given` decides) or no noun.

    >>> _counted_given("来了多少开发者", ["其中,应用层企业数量增加至632家。", "1月4日,2026全国智能体开发者大会亮相常州。"])
    False
    >>> _counted_given("补了多少试错成本", ["承担了企业首款存算一体芯片80%的试错成本。"])
    True
    >>> _counted_given("写了多少字", ["2017年3月全国两会,人工智能首次出现在文件中。"])
    False
    >>> _counted_given("它们的利用率是多少", ["当多座城市同时上马算力项目,算力利用率难以保证。"])
    False
    """
    question = re.sub(r"[？?！!。.\s]+$", "", question)
    toks = pos_tags(question)
    noun, at = "", 0
    for i, (w, _) in enumerate(toks[:-1]):
        if w in ("多少", "几") and _COUNTED.match(question, at) is not None:  # at: this word's own offset
            nxt, flag = toks[i + 1]
            noun = nxt if flag.startswith(("n", "vn", "q")) and not QWORDS.search(nxt) else ""
            break
        at += len(w)
    if not noun and (m := re.search(r"([\u4e00-\u9fff]{2,6}?)(?:大概|大约|一共|总共)?(?:是|有|为|达到|占)?(?:多少|几)$",
                                      question)):
        toks_before = pos_tags(m.group(1))  # 利用率是多少: what is counted comes before (the whole sentence counts)
        noun = next((w for w, f in reversed(toks_before) if len(w) >= 2 and f.startswith(("n", "vn"))), "")
        if noun:
            return any(NUMBER.search(_DATE_NUMBER.sub("", search_form(q))) and _covers(q, noun) for q in quotes)
    if not noun:
        return True
    clauses = [c for q in quotes for c in re.split(r"[,，;；。!！?？]", search_form(q)) if c]
    if len(noun) == 1:  # a measure word of its own (多少字): a number counted in it
        return any(_number_then(r"[万亿千百]?" + _APPROX + re.escape(noun), _DATE_NUMBER.sub("", c)) for c in clauses)
    return any(NUMBER.search(_DATE_NUMBER.sub("", c)) and _covers(c, noun) for c in clauses)


def _compared_only(question: str, quotes: Sequence[str]) -> bool:
    """A word of the question is in the quotes only in clauses that compare with it and give no number of their own
    (全国的平均转化率是多少？ against “…高达43%,远高于全国平均水平”: 全国's own rate is not given)."""
    words = [w for w, f in pos_tags(question) if len(w) >= 2 and f.startswith(("n", "a", "j")) and not QWORDS.search(w)]
    clauses = [c for q in quotes for c in re.split(r"[,，;；。!！?？]", search_form(q)) if c]
    for w in words:
        holding = [c for c in clauses if search_form(w) in c]
        if holding and all(_COMPARE.search(c) and not NUMBER.search(c.replace("于", "")) for c in holding) \
                and any(NUMBER.search(c) for c in clauses):
            return True
    return False


def _who_given(quotes: Sequence[str], question: str = "") -> bool:
    """Some quote names a person (after a title, or a 2–3-character name) or an organisation that ``question`` does
    not (这个联盟是谁建的？ is not answered by the 联盟 itself)."""
    text = " ".join(quotes)
    if any(m.group() not in question for m in _WHO_NOUNS.finditer(text)) or _PERSON_NAMED.search(text):
        return True
    return any(f in ("nr", "nrfg", "nrt", "nt") and 2 <= len(w) <= 3 for w, f in pos_tags(text))


#: 谁 as the beneficiary (给谁用, 为谁服务, 面向谁), not the agent: a quote saying what it serves answers it
#: (为 of 因为, 认为, 作为, 成为 … is no beneficiary: 是因为谁？ asks who caused it)
_BENEFICIARY = re.compile(r"(?:给|(?<![因认作成以称视])为|供|面向|服务于?)谁")
_SERVES = re.compile(r"服务|面向|用于|供|定位为|提供给")
_PLACE_SET = re.compile(r"[省市县区国]|城市|地区|地方")
_PERSON_NAMED = re.compile(r"(?:表示|指出|认为|强调|介绍|坦言|称)")


_NAME_Q = re.compile(r"叫什么|什么名字|名字是什么|名称是什么|全称")
_NAME_FLAGS = ("nr", "nrt", "nrfg", "ns", "nt", "nz", "eng")


def titled_or_quoted(text: str) -> list[str]:
    """The 《titles》 (with their marks) and the “quoted” terms (without) of ``text``, in that order."""
    return _TITLES.findall(text) + _QUOTED.findall(text)


def _name_given(quotes: Sequence[str], searched: str) -> bool:
    """Some quote holds a name ``searched`` does not: a 《title》, a “quoted” term, a Latin word or a proper noun."""
    text = " ".join(quotes)
    found = titled_or_quoted(text)
    found += [w for w, f in pos_tags(text) if f in _NAME_FLAGS and len(w) >= 2]
    return any(search_form(w) not in search_form(searched) for w in found)


def check_answer_type(ans: Answer, question: str, searched: str = "") -> Answer:
    """A follow-up's quotes must hold the kind of thing it asks for, else refusal: a how-much question a quantity of
    the kind asked, and not only a comparison with what it names — for 多少 + a noun (多少开发者), a number (not a
    date) in a clause that names the noun; a who-question (谁) a person or an organisation, or — 谁 as the
    beneficiary (给谁用, 为谁服务) — a quote saying what it serves or is for;
    a what-is-it-called question (叫什么名字) a name the question as typed does not hold (``searched``: unused, kept
    for callers that pass the searched question)."""
    if not ans.answerable or not ans.citations:
        return ans
    quotes = [c.quote for c in ans.citations]
    if _NAME_Q.search(question) and not any(c.label for c in ans.citations) \
            and not _name_given(quotes, question):  # the typed question: a rewrite may already hold the name
        return refuse(ans)
    if HOW_MUCH.search(question) and (not _quantity_given(question, quotes) or _compared_only(question, quotes)):
        return refuse(ans)
    if HOW_MUCH.search(question) and not any(c.label for c in ans.citations) and not _counted_given(question, quotes):
        return refuse(ans)  # 来了多少开发者？ answered with “…632家企业”: the number is not of what is counted
    if _BENEFICIARY.search(question) and _SERVES.search(" ".join(quotes)):
        return ans  # 给谁用的？ asks whom it serves: “有的服务科研…有的面向工业场景” names them without a person
    if _WHO.search(question) and not any(c.label for c in ans.citations) and not _who_given(quotes, question) \
            and not (_PLACE_SET.search(question) and places(pos_tags(" ".join(quotes)))):  # 三个省里谁…: a place
        return refuse(ans)
    return ans
