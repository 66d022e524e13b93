"""Checking the answer to a follow-up against what the follow-up asks — from :func:`rag.qa.ask`'s public result.

:mod:`rag.dialogue` rewrites “它投入了多少资金？” into a question that stands alone, and the answer layer then
answers it like any other. But the rewrite borrowed words from the earlier turns, so a sentence that matches
the *borrowed* part (the 绍兴 action plan) can win without saying anything about what is *new* in the
follow-up (投入, 资金). These checks run on the returned :class:`~rag.records.Answer` (its citations' quotes,
passages and offsets) and only for turns that had history:

==========  ===========================================================  =========================================
check       what must hold                                               otherwise
==========  ===========================================================  =========================================
swap        ``X呢``: a quote mentions X, and says something new about it   refusal (南京呢？, 全国平均水平呢？)
            if it repeats the previous answer's sentence
focus       a rewritten follow-up: some quote covers one of its own        the quote moves to a neighbouring sentence
            content words (打造 in 他说常州要打造什么？), words the          of the same passage that covers one, else
            earlier turns did not contain; a “when” question's quote       refusal (该基金由谁管理？)
            holds a date or time word
context     the entity a pronoun was resolved to, and every place the     refusal (无锡有多少家人工智能企业？ answered
            searched question names, appear around the quote (or the      with 杭州's 741家)
            quote is in the previous answer's passage)
type        a how-much follow-up: a quantity of the unit asked, not only    refusal (这个池子总共有多少钱？ answered
            a comparison; 谁: a person or body; 叫什么名字: a name          with “…80%的试错成本”)
==========  ===========================================================  =========================================

Coverage is lexical (character bigrams of a word in the quote, or its two characters in order a few characters
apart: 起算 ~ 起计算). Answer-type nouns (期限, 目的, 标准 …) and frame verbs (说, 认为, 需要 …) are not focus
words: the answer names a date or a purpose, not the word. This module neither retrieves, rewrites, nor looks
inside the answer model; it only keeps, moves or withdraws a quote the answer layer chose. The answer-type
checks (type, and the shared :func:`refuse`) live in :mod:`rag.answer_kind` and are re-exported here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from .answer_kind import (  # re-exported: the answer-type checks live in rag.answer_kind
    _TITLES,
    _UNIT,
    HOW_MUCH,
    NUMBER,
    _covers,
    _unit_given,
    check_answer_type,
    refuse,
)
from .chunk import split_sentences
from .mentions import QWORDS, places, pos_tags
from .number_search import run_start
from .records import Answer, Citation
from .textnorm import search_form

__all__ = ["ANSWER_TYPE", "HOW_MUCH", "NUMBER", "RELATIVE_TIME", "check_answer_type", "check_context", "check_focus", "check_swap", "check_value", "focus_words", "FRAME_TAGS", "named_around",
           "refuse"]

RELATIVE_TIME = {"上一年", "前一年", "去年", "上年"}
_MARKERS = re.compile(r"\[\d{1,3}\]")
_CONTENT = ("n", "v", "a", "t", "f", "eng", "j", "l", "i")  # jieba flag prefixes of content words
_FRAME = {  # verbs that frame a question rather than say what it asks
    "是", "有", "说", "表示", "认为", "指出", "强调", "称", "要", "会", "能", "可以", "应当", "应该", "需要", "进行",
    "为", "被", "叫", "做", "包括", "属于", "提到", "提出", "具有", "存在于", "来说", "知道", "告诉", "介绍",
    "用来", "用于", "干什么", "怎样", "怎么样", "如何", "称为", "叫做", "叫作", "称作", "算是",
    "起来", "出来", "下来", "上来", "过来", "进来", "下去", "上去"}  # directional complements (搭起来 ~ 搭建)
_ANSWER_TYPE = {  # nouns naming the kind of answer (a date, a purpose), which the answer need not contain
    "目的", "作用", "内容", "原因", "意义", "特点", "情况", "方面", "问题", "要求", "规定", "期限", "时间", "日期",
    "年份", "名字", "名称", "时候", "地方", "哪里", "方式", "办法", "结果", "影响", "标准", "条件", "程序", "单位",
    "情形", "具体", "主要", "一般", "东西", "事情", "部分", "方向", "领域", "措施", "做法", "关系", "区别",
    "城市", "地区", "省份", "国家"}
_DEICTIC = {  # time words that point into the conversation (现在 = at the time of asking), never said in the quote
    "现在", "目前", "当时", "如今", "今天", "至今", "到今天", "那时", "那时候", "此时", "这时", "当前", "眼下", "现今",
    # and words that point back into the conversation itself, or ask yes or no (刚才那个省长叫什么名字来着？)
    "刚才", "刚刚", "方才", "来着", "是不是", "有没有", "是否"}
_ASPECT = re.compile(r"(?<=.)[了过着][个一]?$")  # 开了个 (jieba runs the verb and its particles together) → 开
_NOT_ASPECT = {  # words that end in 了/过/着 of their own
    "通过", "超过", "经过", "不过", "为了", "除了", "随着", "接着", "意味着", "跟着", "沿着", "朝着", "本着", "罢了", "难过",
    "度过", "错过", "路过", "越过", "胜过", "透过"}
ANSWER_TYPE = _ANSWER_TYPE
_PRONOUNS = re.compile(r"^(?:他们|她们|它们|他|她|它|该|这个|这些|这项|这份|这家|这位|这座|这一|这种|这|此|其中|其)")
_WHICH = re.compile(r"^(?:哪[一两几]?[个些家位座项份种所者部条门]?|什么)$")
_WHEN = re.compile(r"哪[一几些]?(?:年|天|日|月)|什么时候|何时|几月|几号|几点")
_TIME_VALUE = re.compile(r"\d|" + run_start("一二三四五六七八九十〇零两") + r"(?:年|月|日|天|周)|年|月|日|前夕|之前|之后|以来|期间|时")
_BEFORE, _AFTER = 100, 60  # characters around a quote where the entity it is about may be named


def _plain(answer: str) -> str:
    return search_form(_MARKERS.sub("", answer))


# ------------------------------------------------------------------ swap (X呢)

def _mentions(text: str, slot: str) -> list[int]:
    """Where ``slot`` (or, for 上一年, any of its synonyms) ends in ``text``."""
    forms = RELATIVE_TIME if slot in RELATIVE_TIME else {slot}
    if (bare := re.sub(r"^(?:19|20)\d{2}年", "", slot)) != slot and len(bare) >= 2:
        forms = {slot, bare}  # 2025年末 ~ 年末 in a text about 2025
    t = search_form(text)
    return [m.end() for f in forms for m in re.finditer(re.escape(search_form(f)), t)]


def check_swap(ans: Answer, slot: str, previous_answer: str, search_question: str = "") -> Answer:
    """An ``X呢`` answer must mention X and say something new about it; else the quote moves to a following
    sentence of the same passage that names X and covers most words of ``search_question``, else a refusal."""
    if not ans.answerable or not slot:
        return ans
    checked = _check_swap(ans, slot, previous_answer)
    if checked.answerable or not search_question or _clause_words(slot) or slot in RELATIVE_TIME:
        return checked
    words = [w for w in focus_words(search_question, slot) if w not in _ANSWER_TYPE]
    for cit in ans.citations:  # 杭州呢？ after 上海's 2017 document: “同年发布的《杭州市…规划》” follows in the passage
        spans = [(a, b) for a, b in split_sentences(cit.text) if a >= cit.quote_end - cit.start][:2]
        for a, b in spans:
            sent = cit.text[a:b]
            if _mentions(sent, slot) and words and 2 * sum(_covers(sent, w) for w in words) > len(words):
                moved = replace(_sentence(cit, a, b), n=1)
                return replace(ans, answer=f"{moved.quote}[1]", citations=[moved])
    return checked


def _check_swap(ans: Answer, slot: str, previous_answer: str) -> Answer:
    quotes = [c.quote for c in ans.citations]
    clause = _clause_words(slot)
    if clause:  # 周末加班又不能补休呢？: a new condition, said in the law's words (休息日…补休), maybe in the same article
        covered = [any(_covers(q, w) for q in quotes) for w in clause]  # most words, and the last (its head)
        return ans if 2 * sum(covered) >= len(clause) and covered[-1] else refuse(ans)
    mentioned = slot in RELATIVE_TIME or any(_mentions(q, slot) for q in quotes)
    prev = _plain(previous_answer)
    repeated = bool(prev) and all(search_form(q) in prev for q in quotes)
    # the same sentence again only answers if X has something of its own there (安徽在智能语音语义, 前一年的490家),
    # not when X just ends a clause as a point of comparison (…远高于全国平均水平。)
    new_value = any(not re.match(r"\s*(?:[,，。；;!！?？、)）”]|$)", search_form(q)[end:]) or "分别" in search_form(q)[end:]
                    for q in quotes for end in _mentions(q, slot))  # 江苏、浙江…分别出现了7次、18次: each has its own
    return ans if mentioned and not (repeated and not new_value) else refuse(ans)


def _clause_words(slot: str) -> list[str]:
    """The content words of an ``X呢`` slot that is a condition clause (死者是集体组织成员的), [] for a name or a
    short phrase (南京, 全国平均水平), which must be mentioned as it is."""
    if len(slot) < 5:
        return []
    toks = pos_tags(slot)
    if not any(f.startswith("v") for _, f in toks):
        return []
    return [w for w, f in toks if len(w) >= 2 and f.startswith(_CONTENT) and w not in _FRAME]


# ------------------------------------------------------------------ focus

#: jieba tags of words that place a follow-up in the conversation rather than say what it asks: time words (平时,
#: 后来, 年末) and localizers (前面, 下面, 里面); round 13 (``DialogueConfig.focus_frame``)
FRAME_TAGS = ("t", "f")


def focus_words(question: str, known: str, *, frame: bool = False) -> list[str]:
    """The follow-up's own content words: no pronouns, question words, frame verbs, answer types, or words of ``known``
    (``frame``: no time words or localizers either, :data:`FRAME_TAGS`).

    >>> focus_words("该基金由谁管理", "西湖区设立了多少钱的成果转化基金")
    ['管理']
    """
    seen = search_form(known)
    out = []
    toks = pos_tags(question)
    for i, (w, f) in enumerate(toks):
        w = w if w in _NOT_ASPECT else _ASPECT.sub("", w)
        w = re.sub(r"(?<=.)得$", "", w) if f.startswith("v") else re.sub(r"(?<=.)[里内]$", "", w) if f == "s" else w
        if f == "d" and w.startswith("最"):
            continue  # 最多, 最高: a comparison the answer makes with numbers, not with the word
        j = i - 1 - (i >= 2 and len(toks[i - 1][0]) == 1 and toks[i - 1][1] in ("q", "u", "m"))  # 哪/所/大学
        if i and _WHICH.search(toks[j][0]):
            continue  # 哪份文件, 什么机构: the noun after a question word names the kind of answer, like 期限
        if (len(w) < 2 or not f.startswith(_CONTENT) or w in _FRAME or (frame and f in FRAME_TAGS) or w in _ANSWER_TYPE or w in _DEICTIC
                or QWORDS.search(w)
                or _PRONOUNS.match(w) or search_form(w) in seen):
            continue
        out.append(w)
    return list(dict.fromkeys(out))


def _sentence(cit: Citation, s: int, e: int) -> Citation:
    """``cit`` quoting ``cit.text[s:e]`` instead (relative offsets)."""
    return replace(cit, quote=cit.text[s:e], quote_start=cit.start + s, quote_end=cit.start + e)


def _neighbour(cit: Citation, words: Sequence[str]) -> Citation | None:
    """Of the two sentences after the quote in its passage and the one before, the one covering most focus words."""
    spans = split_sentences(cit.text)
    qs, qe = cit.quote_start - cit.start, cit.quote_end - cit.start
    after = [(s, e) for s, e in spans if s >= qe][:2]
    before = [(s, e) for s, e in spans if e <= qs][-1:]
    scored = [(sum(_covers(cit.text[s:e], w) for w in words), -i, s, e) for i, (s, e) in enumerate(after + before)]
    n, _, s, e = max(scored, default=(0, 0, 0, 0))
    return _sentence(cit, s, e) if n else None  # the one covering most focus words, the nearer on ties


def check_focus(ans: Answer, question: str, known: str, *, frame: bool = False) -> Answer:
    """Keep ``ans`` when a quote covers a focus word of ``question``; else move its quote to a neighbouring sentence
    that does, else refuse. ``known``: the earlier turn (its standalone question and answer); ``frame``: time words
    and localizers are no focus words (:func:`focus_words`)."""
    if not ans.answerable or not ans.citations:
        return ans
    if _WHEN.search(question):  # the date is what it asks: 这次会议是什么时候召开的？ needs a date, not 召开
        other = lambda m: "" if m.group() not in known else m.group()  # noqa: E731  a date in another document's
        dated = any(_TIME_VALUE.search(_TITLES.sub(other, c.quote)) for c in ans.citations)  # title (2025年版) is no answer
        return ans if dated else refuse(ans)  # 它是哪一天挂牌的？ answered by a sentence with no date in it
    words = focus_words(question, known, frame=frame)
    quoted = max((sum(_covers(c.quote, w) for w in words) for c in ans.citations), default=0)
    if not words or quoted == len(words) or (quoted and len(words) < 2):
        return ans
    # some focus word uncovered: a neighbouring sentence (of any cited passage) that covers more of them wins
    best = max(((sum(_covers(n.quote, w) for w in words), -i, n) for i, c in enumerate(ans.citations)
                if (n := _neighbour(c, words)) is not None), default=None, key=lambda t: t[:2])
    moved = best[2] if best and best[0] > quoted else None
    if moved is None:
        return ans if quoted else refuse(ans)
    cit = replace(moved, n=1)
    return replace(ans, answer=f"{cit.quote}[1]", citations=[cit])


# ------------------------------------------------------------------ value

def check_value(ans: Answer, question: str, known: str, previous_answer: str) -> Answer:
    """A 多少 follow-up answered with the previous answer's sentence again must give a number in the clause
    that names what it asks (全国平均是多少？ is not answered by “…43%,远高于全国平均水平。”); else refusal."""
    if not ans.answerable or not ans.citations or not HOW_MUCH.search(question):
        return ans
    prev = _plain(previous_answer)
    quotes = [search_form(c.quote) for c in ans.citations]
    if not prev or not all(q.strip() and q in prev for q in quotes):
        return ans
    if (m := _UNIT.search(question)) and not HOW_MUCH.search(known) \
            and _unit_given(m.group(1), "".join(quotes)):
        return ans  # 到今天经历了多少年？ after 哪年提出的？: “…1956年…过去的70年里” gives both
    words = focus_words(question, known)
    clauses = [c for q in quotes for c in re.split(r"[,，;；。!！?？]", q)]
    if not words or any(NUMBER.search(c) and any(_covers(c, w) for w in words) for c in clauses):
        return ans
    return refuse(ans)


# ------------------------------------------------------------------ context

def _around(cit: Citation) -> str:
    qs, qe = cit.quote_start - cit.start, cit.quote_end - cit.start
    return cit.text[max(0, qs - _BEFORE):qe + _AFTER] + cit.title + cit.label


def _named(entity: str, text: str) -> bool:
    """``entity`` (or most of it: 西湖区成果转化基金 ~ 成果转化基金) is named in ``text``."""
    e, t = search_form(entity.strip("《》“”\"")), search_form(text)
    if e in t or (len(e) > 2 and e[-1] in "省市区县" and e[:-1] in t):
        return True
    grams = [e[i:i + 2] for i in range(len(e) - 1)]
    return len(grams) >= 3 and grams[-1] in t and sum(g in t for g in grams) >= 0.6 * len(grams)


def named_around(ans: Answer, words: Sequence[str]) -> bool:
    """Some of ``words`` is named around some quote of ``ans`` (or in its title or label)."""
    around = [_around(c) for c in ans.citations]
    return any(_named(w, a) for w in words if w for a in around)


def check_context(ans: Answer, search_question: str, antecedent: str, previous_answer: str) -> Answer:
    """Refuse when the pronoun's ``antecedent`` or a place of ``search_question`` is named nowhere around any quote
    (a quote inside the previous answer's passage counts as in context for the antecedent)."""
    if not ans.answerable or not ans.citations:
        return ans
    pieces = [p for p in (search_form(x) for x in _MARKERS.split(previous_answer)) if len(p) >= 4]
    around = [_around(c) for c in ans.citations]
    same_passage = any(p in search_form(c.text) for p in pieces for c in ans.citations)
    if antecedent and not same_passage and not any(_named(antecedent, a) for a in around):
        return refuse(ans)
    toks = pos_tags(search_question)
    # jieba tags 嘉兴 nr, but also 许可, 明星, 东西 inside a clause: an nr word counts only as the subject
    names = places(toks) + [w for i, (w, f) in enumerate(toks) if f == "nr" and len(w) >= 2
                            and (i == 0 or toks[i - 1][1] == "x")]
    if any(not any(_named(name, a) for a in around) for name in names):
        return refuse(ans)
    return ans


def covers(text: str, word: str) -> bool:
    """``word`` is covered by ``text`` (the lexical test of the focus check; public for :mod:`rag.neighbourhood`)."""
    return _covers(text, word)


def when_question(question: str) -> bool:
    """The question asks *when* (什么时候, 哪一年, 几月…)."""
    return _WHEN.search(question) is not None
