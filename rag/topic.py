"""Follow-ups with no pronoun at all: an elided subject (“要罚多少钱？”), “那年”/“同一天”, “当地”, “其中” — for
:mod:`rag.dialogue`.

Chinese drops what both speakers know. After “公司泄露了我的个人信息要通知谁？” the next question is simply
“要罚多少钱？”; after “人工智能第一次写进国家最高行政文件是什么时候？” it is “是在什么场合？”. Neither names
anything, so searched alone they match nothing. The rules, over jieba's part-of-speech tags:

==============  ====================================  =========================================================
rule            follow-up (after …)                   searched as
==============  ====================================  =========================================================
``elided``      要罚多少钱？ (公司泄露了我的个人信息要通知谁？)  公司泄露了我的个人信息要罚多少钱
                是在什么场合？ (人工智能第一次写进…文件是什么时候？)  人工智能第一次写进…文件是在什么场合
``that-year``   上海那年发了什么文件？ (answer: 2017年3月…)   上海2017年发了什么文件
                同一天常州办了个啥活动？ (answer: 1月4日,…)    1月4日常州办了个啥活动
``local``       当地市委书记是谁？ (…大会在哪里亮相？ → 常州)   常州市委书记是谁
``scope``       其中头一个县级的是哪儿？ (…的有哪几个城市？)    …的城市中头一个县级的是哪儿
==============  ====================================  =========================================================

``elided`` applies only to a short follow-up (≤ 14 characters) that *starts* with one of a closed list of
function words (是, 要, 还, 从, 在, 最后 …), has no noun of its own (other than the one a question word asks
for: 什么场合) and names no place, person, title or number of its own — a question that names its own
subject is never touched. The prefix is the previous standalone question up to its question word, without the
verb phrase that asked it (要通知谁 → 公司泄露了我的个人信息). ``that-year`` leaves a day that the question dates
itself (入职当天, 签合同的同一天) and words that merely contain one (当天气); ``scope`` needs a set the previous
question asked for or a noun subject (none after an English question). This module does not retrieve or answer.
"""

from __future__ import annotations

import itertools
import re

from .mentions import NOUNISH, QWORDS, persons, places, pos_tags, statement, subject
from .textnorm import strip_end

__all__ = ["ENGLISH", "bare_this", "clause_swap", "elided_subject", "local_place", "new_subject", "scope", "that_year", "topic_of"]

_MAX_ELIDED = 14
_OPENERS = {  # words a clause with a dropped subject starts with (要罚多少钱, 是在什么场合, 从什么时候开始算)
    "是", "那么", "还", "又", "也", "再", "都", "就", "才", "最后", "另外", "然后", "具体", "一般", "大概", "主要",
    "一共", "总共", "到底", "究竟", "要", "需要", "得", "能", "可以", "会", "应该", "应当", "有没有", "从", "在", "由",
    "对", "给", "向", "跟", "和", "还有", "后来", "之后", "以后"}
_OWN = re.compile(r"[《“\"「\d]|[一二三四五六七八九十百千]+[年条]")  # a title, a quote, a number or an article of its own
_BARE_THIS = re.compile(r"^(?:这|那)(?:件事|一事|(?=是|一切|发生))")  # 这件事说明… → <the exchange>说明…
_THAT_YEAR = re.compile(r"那一?年|这一年|那时候?|同一年|同年|当年")
_LOCAL = re.compile(r"当地|本地|该地|^(?:那里|那儿|那边)(?!呢)")  # 那里的市委书记是谁？ (not 无锡那边, 这里面)
_WHERE = re.compile(r"哪里|哪儿|哪个(?:城市|地方|省|市)|在哪")
_YEAR = re.compile(r"(?:19|20)\d{2}年")
_WHEN = re.compile(r"哪一?年|什么时候|何时")
_WHEN_ANY = re.compile(r"哪一?[年月天]|什么时[候间]|何时|几月|几号")
_ASKS = re.compile(QWORDS.pattern + r"|多久|多长|多大|多高|多远|多重")
_TRAILING = ("v", "d", "p", "u", "c", "r", "m", "q")  # the verb phrase that asked: 要通知, 是, 有, 从…


def topic_of(prev: str) -> str:
    """The previous standalone question up to its question word, without the verb phrase that asked it.

    >>> topic_of("公司泄露了我的个人信息要通知谁")
    '公司泄露了我的个人信息'
    """
    m = _ASKS.search(prev)
    if m and m.start() < 2:  # the question word is the subject (谁可以成为个体工商户): the predicate is the topic
        return _predicate_topic(re.sub(r"^[一两几]?[个些家位座项份种所类条]", "", prev[m.end():]))
    if not m:
        return ""
    toks = pos_tags(prev[:m.start()])
    while toks and (toks[-1][1].startswith(_TRAILING) or toks[-1][0] in ("是", "有", "在", "的")):
        toks = toks[:-1]
    head = "".join(w for w, _ in toks).rstrip("，,、；; ")
    return head if len(head) >= 2 else ""


_MODALS = {"可以", "能", "能够", "会", "要", "需要", "应该", "应当", "是", "有", "才能", "才", "都", "还", "得"}


def _predicate_topic(rest: str) -> str:
    """What a question that asks for its subject is about: its predicate without the noun the question word asks
    for (什么人可以… → 人) and the modal before the verb, when it holds a noun ('' otherwise).

    >>> _predicate_topic("可以成为个体工商户"), _predicate_topic("人必须办理登记"), _predicate_topic("需要登记")
    ('成为个体工商户', '必须办理登记', '')
    """
    toks = list(pos_tags(strip_end(rest)))
    if toks and toks[0][1] in NOUNISH and len(toks) > 1 and toks[1][1].startswith(("v", "d", "c")):
        toks = toks[1:]  # 什么人 / 哪些单位 + verb: the noun asked for
    while toks and (toks[0][0] in _MODALS or toks[0][1] in ("uj", "ul", "p")):
        toks = toks[1:]
    head = "".join(w for w, _ in toks)
    return head if len(head) >= 2 and any(f in NOUNISH for _, f in toks) and not _ASKS.search(head) else ""


_BARE_ASK = re.compile(r"^(?:那|那么|是)?(?:哪一?年|哪一?天|哪个月|什么时候|何时|在哪里?|在哪儿|为什么|为何|多少|多久|怎么回事)$")


def elided_subject(q: str, prev: str) -> str:
    """``q`` with the previous turn's topic in front when it has no subject of its own, else ''."""
    if prev and _BARE_ASK.match(q) and (topic := topic_of(prev)) and topic not in q:  # 哪一年？ alone
        return topic + q
    if not prev or len(q) > _MAX_ELIDED or not _ASKS.search(q) or _OWN.search(q):
        return ""
    toks = pos_tags(q)
    if not toks:
        return ""
    own = [w for i, (w, f) in enumerate(toks) if f in NOUNISH and len(w) >= 2 and not QWORDS.search(w)
           and not (i and _ASKS.fullmatch(toks[i - 1][0]))]  # 场合 in 是在什么场合 is what it asks for; 哪年哪月 asks
    if toks[0][0] not in _OPENERS or own or places(toks) or persons(q) or any(f2 in ("nz", "nt", "eng") for _, f2 in toks):
        return ""
    topic = topic_of(prev)
    if not topic or topic in q:
        return ""
    return topic + q


_THAT_DAY = re.compile(r"同一天|同一日|同日|当天|那一?天")
_DAY = re.compile(r"(?:(?:19|20)\d{2}年)?\d{1,2}月\d{1,2}日")


def _that_day(q: str) -> re.Match | None:
    """同一天/当天/那天 as a word of its own (not 当天气, 那天然气) that does not name the day of an event the question
    itself states (入职当天, 离职那天, 签合同的同一天: a verb other than 是/在, or 的, right before it); None otherwise.

    >>> bool(_that_day("浙江省长那天开了什么会")), bool(_that_day("劳动者在入职当天受伤算工伤吗"))
    (True, False)
    """
    d = _THAT_DAY.search(q)
    if not d:
        return None
    toks = pos_tags(q)
    ends = list(itertools.accumulate(len(w) for w, _ in toks))
    if d.start() not in (0, *ends) or d.end() not in ends:
        return None  # inside a word: 当天气 (当 + 天气), 那天然气 (那 + 天然气)
    w, f = toks[ends.index(d.start())] if d.start() else ("", "")
    return None if w == "的" or (f.startswith(("v", "l")) and w not in ("是", "在")) else d


def that_year(q: str, prev: str, last_answer: str) -> str:
    """``q`` with 那年/这一年 replaced by the year the previous turn was about (同一天/当天 by its day), else ''.

    >>> that_year("同一天常州办了个啥活动", "哪天开的", "1月4日,江苏省省长刘小涛主持召开政企座谈会")
    '1月4日常州办了个啥活动'
    """
    if (d := _that_day(q)) and prev and (day := _DAY.findall(last_answer) or _DAY.findall(prev)):
        return q[:d.start()] + day[0] + q[d.end():]
    m = _THAT_YEAR.search(q)
    if not m or not prev:
        return ""
    in_prev, in_answer = _YEAR.findall(prev), _YEAR.findall(last_answer)
    year = (in_answer or in_prev) if _WHEN.search(prev) else (in_prev or in_answer)
    if not year:
        return ""
    rest = q[m.end():]
    return q[:m.start()] + year[0] + (rest[1:] if rest.startswith("年") else rest)  # 那一年年末 → 2025年末


def local_place(q: str, prev: str, last_answer: str) -> str:
    """``q`` with 当地/本地 replaced by the place the previous turn was about (its answer's, if it asked where)."""
    m = _LOCAL.search(q)
    if not m or not prev:
        return ""
    in_prev, in_answer = places(pos_tags(prev)), places(pos_tags(last_answer)) if last_answer else []
    found = (in_answer or in_prev) if _WHERE.search(prev) else (in_prev or in_answer)
    rest = q[m.end():]
    rest = rest[1:] if rest.startswith("的") and re.match(r"的(?:市|省|区|县)", rest) else rest  # 当地的市委书记 → 常州市委书记
    return q[:m.start()] + found[0] + rest if found else ""


def clause_swap(x: str, ptoks: list[tuple[str, str]]) -> str:
    """The previous question with the condition ``x`` (a clause: 周末加班又不能补休) in place of the words around the
    word they share (平时加班), '' when they share none.

    >>> clause_swap("周末加班又不能补休", pos_tags("平时加班工资至少给多少"))
    '周末加班又不能补休工资至少给多少'
    """
    xt = pos_tags(x)
    if len(x) < 4 or not any(f.startswith("v") for _, f in xt):
        return ""
    shared = {w for w, f in xt if len(w) >= 2 and f[:1] in "nvt"}
    idx = next((i for i, (w, _) in enumerate(ptoks) if w in shared), -1)
    if idx < 0:
        return ""
    lo = idx
    while lo > 0 and ptoks[lo - 1][1][:1] in "ntaf" and ptoks[lo - 1][0] not in x:
        lo -= 1
    before = "".join(w for w, _ in ptoks[:lo])
    return before + x + "".join(w for w, _ in ptoks[idx + 1:])


def bare_this(q: str, prev: str, last_answer: str) -> str:
    """A bare 这 (这是哪一年的事？) stands for the whole previous exchange: AlphaGo战胜了李世石是哪一年的事."""
    m = _BARE_THIS.match(q)
    if not m or not prev:
        return ""
    # after a when-question (是哪年哪月的事) the exchange is its event without the time asked: 李世石
    stated = statement(prev, last_answer) or (_WHEN_ANY.search(prev) and topic_of(prev)) or strip_end(prev)
    return stated + q[m.end():]


#: a question asked in English (three words; matched only from a word's start: linear on a long run of letters)
ENGLISH = re.compile(r"(?<![A-Za-z])[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}")
_ASKED_SET = re.compile(r"(?:哪几|哪些|多少|几)[个家座所位项种]?(?P<noun>[\u4e00-\u9fffA-Za-z]{1,8}?)(?:[？?]|$)")


def scope(q: str, prev: str) -> str:
    """其中…: the set the previous question asked for (哪几个城市 → its clause + 城市), else its subject when that
    ends in a noun (2021年杭州市人工智能企业中应用层企业有多少家); '' when neither (比上一年多了多少家: no set named).

    >>> scope("其中头一个县级的是哪儿", "2019年被批成国家AI创新发展试验区的有哪几个城市")
    '2019年被批成国家AI创新发展试验区的城市中头一个县级的是哪儿'
    >>> scope("其中最多的是哪一层的企业", "比上一年多了多少家")
    ''
    """
    if not q.startswith("其中") or not prev or ENGLISH.search(prev):
        return ""  # an English question's first word (What, Which) names no set
    rest = q[2:].lstrip("，, ")
    if (m := _ASKED_SET.search(prev)) and m.start() >= 4 and (noun := m.group("noun")) \
            and _noun_phrase(noun):  # the set asked for: the clause before the question word + the noun
        clause = re.sub(r"(?:的)?(?:一共|总共|共)?(?:有|是|包括)?$", "", prev[:m.start()])
        return f"{clause}的{noun}中{rest}" if len(clause) >= 2 else ""
    toks = pos_tags(prev)
    subj = subject(toks)
    if not subj or subject_head(toks) not in NOUNISH:
        return ""  # 上一年多 (比上一年多了多少家): no noun, no set
    return f"{subj}中{rest}"


def _noun_phrase(words: str) -> bool:
    """``words`` end in nouns after their last 的 (搞AI的企业, 博士人才), not in a verb phrase (企业获得了补贴)."""
    toks = pos_tags(words)
    last_de = max((i for i, (w, _) in enumerate(toks) if w == "的"), default=-1)
    return len(toks) > last_de + 1 and all(f in NOUNISH for _, f in toks[last_de + 1:])


def subject_head(toks: list[tuple[str, str]]) -> str:
    """The part-of-speech flag of the last word of :func:`rag.mentions.subject` ('' when none); the subject may
    start after leading prepositions or conjunctions (对于常州的… → 常州: ns, not 对于's p)."""
    subj, at = subject(toks), 0
    start = "".join(w for w, _ in toks).find(subj) if subj else -1
    if start < 0:
        return ""
    for w, f in toks:
        at += len(w)
        if at >= start + len(subj):
            return f
    return ""


_ARTICLE_NO = re.compile(r"第[一二三四五六七八九十百千零〇\d]+条")


def new_subject(slot: str, previous: str) -> str:
    """The subject an ``X呢`` follow-up names in place of the previous one: X when it is a noun phrase the previous
    search does not hold (试用期呢？ after …第三十八条规定了什么); '' for an article number, a time, a quantity or a
    condition clause (第三十八条, 一周, 八周岁以上的: they take the place of a part, :mod:`rag.rewrite_rules`);
    :mod:`rag.law_followup` holds an article shown again to it.

    >>> new_subject("试用期", "劳动合同法第三十八条规定了什么"), new_subject("第三十八条", "劳动合同法第三十七条规定了什么")
    ('试用期', '')
    """
    toks = pos_tags(slot) if slot else ()
    nounish = bool(toks) and all(f in NOUNISH or f == "uj" for _, f in toks)  # 绍兴的方案: 的 between nouns
    return slot if nounish and not _ARTICLE_NO.search(slot) and slot not in previous else ""
