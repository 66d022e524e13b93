"""The rewrite rules of :mod:`rag.dialogue`: one follow-up and the previous standalone question → a :class:`Rewrite`.

Each rule (``ellipsis``, ``scope``, ``person``, ``demonstrative``, ``it``, ``this``, ``that-year``, ``local``,
``elided``; table in :mod:`rag.dialogue`) looks for its cue in the question and, when found, builds the question
that stands alone from the previous standalone question, the last answer and the antecedents found in them
(:mod:`rag.mentions`, :mod:`rag.topic`). :func:`rewrite_one` tries them in order; the first that changes the
question wins, else the question is kept as typed (rule ``standalone``). This module does not read a history
(:func:`rag.dialogue.resolve` does), retrieve or answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .mentions import (
    LEVELS,
    NOUNISH,
    QWORDS,
    SLOT_QWORD,
    answer_entity,
    answer_span,
    noun_phrase_ending,
    parallel_span,
    persons,
    places,
    pos_tags,
    statement,
    subject,
)
from .textnorm import strip_end
from .topic import (
    ENGLISH,
    bare_this,
    clause_swap,
    elided_subject,
    local_place,
    scope,
    that_year,
)

__all__ = ["ELLIPSIS", "IT_PRON", "PERSON_PRON", "TITLE_BOOK", "Rewrite", "plausible_name", "rewrite_one", "strip_end"]


@dataclass(frozen=True)
class Rewrite:
    """The result of :func:`resolve`: ``search_question`` is what gets retrieved and answered."""

    question: str
    search_question: str
    rule: str = "standalone"
    slot: str = ""  # for ``ellipsis``: the new thing asked about (南京, 上一年, 全国平均水平)
    antecedent: str = ""  # for ``person``/``it``/``demonstrative``: what the pronoun was read as (王剑锋)
    previous: str = ""  # the previous turn's standalone question (set by :func:`resolve`)
    context: str = ""  # for ``standalone`` after history: topic words also searched (:mod:`rag.context`)
    #: for ``standalone`` naming a place of its own after history: the conversation's topic words less the places
    #: it replaced, for a second reading when refused as typed (:func:`rag.dialogue.place_topic`, round 20)
    place_topic: str = ""


# ------------------------------------------------------------------ lexical resources

ELLIPSIS = _ELLIPSIS = re.compile(r"^(?:那么?|那|还有|再看看)?[，,\s]*(?P<x>[^，,。？?!！]{1,14}?)(?:的|那边|方面)?呢$")
_TIME = (r"(?:19|20)\d{2}\s*(?:—|–|-|~|至|到)\s*(?:19|20)?\d{2}年间?|(?:19|20)\d{2}年(?:\d{1,2}月)?(?:底|初|末|前夕|上半年|下半年)?"
         r"|\d{1,2}月(?:\d{1,2}日)?|上一年|前一年|去年|今年|明年|次年|同年|当年|上年|前年")
_TIME_RE = re.compile(_TIME)
PERSON_PRON = _PERSON_PRON = re.compile(r"(?<![其吉])(?:他们|她们|他|她)(?![人国乡者])")
IT_PRON = _IT_PRON = re.compile(r"(?<!其)(?:它们|它)")
_DEMONSTR = re.compile(r"(?<!应)(?:该|这个|这些|这项|这份|这家|这位|这座|这一|这种|这次|这类|这笔|那个|那家|那次|那项|那份|那位|那笔|那座|那种|那些|此)(?=[\u4e00-\u9fff])")
TITLE_BOOK = _TITLE_BOOK = re.compile(r"《[^《》]{2,60}》")
_QUOTED = re.compile(r"[“\"「]([^”\"」]{2,20})[”\"」]")
_PLACE_SUFFIX = "省市区县镇州"
_ORG_HEADS = re.compile(r"[\u4e00-\u9fff]{1,12}?(?:局|研究院|研究所|中心|委员会|实验室|公司|集团|大学|协会|学院|联盟)")
_CATEGORY = {  # 该/这个 + category word → which kind of antecedent
    "机构": "org", "单位": "org", "部门": "org", "组织": "org", "平台": "org",
    "城市": "place", "地方": "place", "市": "place", "省": "place", "地区": "place", "县": "place", "区": "place",
    "人": "person", "专家": "person", "学者": "person", "官员": "person", "负责人": "person", "研究员": "person",
    "钱": "money", "资金": "money", "款": "money",
    "比例": "ratio", "比率": "ratio", "比重": "ratio", "占比": "ratio",
}
_RATIO_HEADS = ("率", "比例", "比重", "占比", "比率")
_MONEY_HEADS = ("基金", "资金", "经费", "补贴", "投资", "奖金", "补助")
_MARKERS = re.compile(r"\[\d{1,3}\]")
_LATIN = ENGLISH  # a question asked in English (rag.topic)
#: 它 said to *be* a city (它想变成一座什么样的城市): its antecedent is a place
_IT_IS_PLACE = re.compile(r"(?:它|它们)[^，,。？?]{0,4}(?:变成|成为|是|建成|打造成|定位为)[^，,。？?哪在]{0,10}(?:城市|之城|都市)"
                          r"(?=[吗呢吧啊呀]|[^\u4e00-\u9fff]|$)")  # 城市 the head (not 它是城市更新项目吗)
_ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇\d]+条(?:之[一二三四五六七八九十]+)?")
_LOCATIVE_NOUN = lambda tok: tok[1] == "f" and len(tok[0]) >= 2




# ------------------------------------------------------------------ the rules

def _ellipsis(q: str, prev: str, prev_slot: str = "") -> Rewrite | None:
    m = _ELLIPSIS.match(q)
    if not m or QWORDS.search(m.group("x")) or not prev:
        return None
    x = m.group("x").strip()
    if prev_slot and prev_slot in prev and prev_slot != x:  # a chain of X呢: the new X takes the last X's place
        return Rewrite(q, prev.replace(prev_slot, x, 1), "ellipsis", x)
    if _TIME_RE.fullmatch(x):
        t = _TIME_RE.search(prev)
        new = prev[:t.start()] + x + prev[t.end():] if t else x + prev
        return Rewrite(q, new, "ellipsis", x)
    if _ARTICLE.fullmatch(x):  # 第三十八条呢？ after …第三十七条规定了什么
        a = _ARTICLE.search(prev)
        return Rewrite(q, prev[:a.start()] + x + prev[a.end():] if a else f"{x}的{prev}", "ellipsis", x)
    ptoks = pos_tags(prev)
    xt = pos_tags(x)
    if (own := _own_head(x, xt, prev, ptoks)) is not None:  # 绍兴的方案呢？ 苏州的目标呢？
        return own
    if (span := parallel_span(x, ptoks)):  # 八周岁以上的呢？ after 不满八周岁的未成年人…
        return Rewrite(q, prev.replace(span, x, 1), "ellipsis", x)
    kind = xt[0][1] if len(xt) == 1 else ""
    old = ""
    if kind == "ns" or x[-1] in _PLACE_SUFFIX:
        old = next(iter(places(ptoks)), "")
    elif kind.startswith("nr"):
        old = next(iter(persons(prev)), "")
    if not old and xt and xt[-1][1] in NOUNISH and not kind.startswith(("ns", "nr")):
        phrase = noun_phrase_ending(ptoks, xt[-1][0])  # 人工智能产业规模 for 集成电路产业规模
        if phrase and phrase != x:
            return Rewrite(q, prev.replace(phrase, x, 1), "ellipsis", x)
    if not old:  # a generic slot (全国平均水平): it takes the place of the subject entity
        old = next(iter(places(ptoks) + persons(prev)), "")
    if old:
        if old[-1] in "省市区县" and x[-1] not in "省市区县" and len(old) > 2:  # 杭州市委 → 苏州市委
            old = old[:-1]
        return Rewrite(q, prev.replace(old, x, 1), "ellipsis", x)
    if (swapped := clause_swap(x, ptoks)):  # 周末加班又不能补休呢？ after 平时加班工资至少给多少
        return Rewrite(q, swapped, "ellipsis", x)
    return Rewrite(q, f"{x}的{prev}", "ellipsis", x)


def _own_head(x: str, xt: list[tuple[str, str]], prev: str, ptoks: list[tuple[str, str]]) -> Rewrite | None:
    """``X的N呢`` with a place X: N in a 《title》 of the previous question → the whole title gives way to ``X的N``
    (绍兴的方案 for 《宁波市…行动方案(2025—2030年)》: its years are 宁波's); N named nowhere in it → ``X的N`` is the
    question (苏州的目标呢？ after a question about a meeting). The slot is the place. None otherwise."""
    if "的" not in x or xt[-1][1] not in NOUNISH or len(xt[-1][0]) < 2:
        return None
    place = next(iter(places(xt)), "")
    if not place or not x.startswith(place):
        return None
    head = xt[-1][0]
    for t in _TITLE_BOOK.finditer(prev):
        if head in t.group():
            return Rewrite(x, prev[:t.start()] + x + prev[t.end():], "ellipsis", place)
    if head not in prev and not noun_phrase_ending(ptoks, head):
        return Rewrite(x, x, "ellipsis", place)
    return None


#: Common Chinese surnames (the ~120 most frequent, and compound ones): jieba's dictionary tags thousands of
#: ordinary words ``nr`` (远高于, 一介武夫), so a name antecedent either starts with one or passes
#: :func:`_dictionary_name` (foreign names: 特朗普, 奥尔特曼).
_SURNAMES = set("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
                "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔"
                "向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童"
                "凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦"
                "麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩"
                "明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强"
                "帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓"
                "修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植"
                "衡富尧闭由")
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "司徒", "夏侯", "尉迟", "公孙", "端木")


def plausible_name(name: str, text: str) -> bool:
    """``name`` can be a person's name in ``text``: it starts with a surname or is a name by jieba's dictionary
    (:func:`_dictionary_name`), and is not followed by a number (高达43%, 远高于全国).

    >>> plausible_name("王剑锋", "常州市委书记王剑锋表示"), plausible_name("远高于", "转化率43%,远高于全国平均水平")
    (True, False)
    >>> plausible_name("高达", "专利转化率高达43%"), plausible_name("特朗普", "特朗普是美国总统。"), plausible_name("", "")
    (False, True, False)
    """
    if not 2 <= len(name) <= 4:
        return False
    if not (name[0] in _SURNAMES or name.startswith(_COMPOUND_SURNAMES) or _dictionary_name(name)):
        return False
    return not re.search(re.escape(name) + r"\s*\d", text)


_NAME_TAGS = ("nr", "ns", "nz")  # nr, nrt, nrfg; jieba tags some foreign persons ns (普京, 奥巴马)


def _in_dictionary(word: str) -> bool:
    """``word`` is a word of jieba's dictionary (款式, 钱包), not one its HMM made up (钱图)."""
    import jieba.posseg

    pos_tags(word)  # the dictionary loads on first use
    return bool(jieba.posseg.dt.tokenizer.FREQ.get(word))


def _dictionary_name(word: str) -> bool:
    """A word without a common surname that can still be a name: tagged a name in jieba's dictionary, or absent
    from it with 3+ characters, and holding no 2+-character dictionary word tagged otherwise (远高于 holds 高于 ``v``).

    >>> _dictionary_name("特朗普"), _dictionary_name("奥尔特曼"), _dictionary_name("远高于"), _dictionary_name("高出")
    (True, True, False, False)
    """
    import jieba.posseg

    tags, freq = jieba.posseg.dt.word_tag_tab, jieba.posseg.dt.tokenizer.FREQ
    if freq.get(word):
        if not tags.get(word, "").startswith(_NAME_TAGS):
            return False
    elif len(word) < 3:
        return False
    parts = (word[i:j] for i in range(len(word)) for j in range(i + 2, len(word) + 1) if j - i < len(word))
    return not any(freq.get(p) and not tags.get(p, "").startswith(_NAME_TAGS) for p in parts)


def _person(q: str, context: Sequence[str], prev: str = "") -> Rewrite | None:
    m = _PERSON_PRON.search(q)
    if not m:
        return None
    for text in context:
        names = [n for n in persons(text) if n not in q and plausible_name(n, text)]
        if len(names) > 1 and prev:  # 常州市委书记是谁 → the name after 常州市委书记, not 苏州市委书记范波
            names.sort(key=lambda n: -_overlap(text[max(0, text.find(n) - 8):text.find(n)], prev))
        if names:
            return Rewrite(q, q[:m.start()] + names[0] + q[m.end():], "person", antecedent=names[0])
    return None


def _overlap(a: str, b: str) -> int:
    """Character bigrams of ``a`` that are in ``b``."""
    return sum(a[i:i + 2] in b for i in range(len(a) - 1))


def _antecedent(head: str, context: Sequence[str], prev: str) -> str:
    """What ``该/这个 + head`` refers to, looked up in the last answer, then the previous question(s)."""
    kind = _CATEGORY.get(head)
    for text in context:
        if kind == "person":
            found = [n for n in persons(text) if plausible_name(n, text)]
            if found:
                return found[0]
            continue
        if kind == "place":
            found = places(pos_tags(text))
            if found:  # 这个县: a place of that level first (德清县, not the 上海 listed before it; round 20)
                return next((p for p in found if head in tuple(LEVELS) and p.endswith(head)), found[0])
            continue
        if kind == "money":  # 这笔钱 → the fund, subsidy or investment the context named (成果转化基金)
            toks = pos_tags(text)
            found = [p for h in _MONEY_HEADS for w, _ in toks if w.endswith(h) and (p := noun_phrase_ending(toks, w))]
            if found:
                return _with_place(found[0], prev)
            continue
        if kind == "ratio":  # 这个比例 → the rate the context named (专利转化率), not a bare 比例
            toks = pos_tags(text)
            found = [p for w, _ in toks if len(w) >= 2 and w.endswith(_RATIO_HEADS) and w != head
                     and (p := noun_phrase_ending(toks, w))]
            if found:
                return _with_place(found[0], prev)
            continue
        if kind == "org":
            found = [t for t in _QUOTED.findall(text) if _ORG_HEADS.fullmatch(t)] + _ORG_HEADS.findall(text)
            if found:
                return _with_place(found[0], prev)
            continue
        titles = [t for t in _TITLE_BOOK.findall(text) if head[-1] in t or head in ("政策", "文件", "方案", "规划")]
        if titles:
            return titles[0]
        toks = pos_tags(text)
        phrase = noun_phrase_ending(toks, head)
        if phrase:
            return _with_place(phrase, prev)
    if len(head) == 2 and head[-1] in "子儿":  # 这个池子 → …补贴池
        return _antecedent(head[0], context, prev)
    return ""


_SHORT_HEAD_NEXT = re.compile(r"^(?:什么|哪|几|多少|是|在|由|有|开|办|举行|召开|[？?]|$)")


def _by_first_char(c: str, context: Sequence[str], prev: str) -> str:
    """A noun phrase of the context whose head word starts with ``c``: 这个会 (jieba reads 会 as a verb) → 杭州市委经济工作会议."""
    for text in context:
        toks = pos_tags(text)
        word = next((w for w, f in reversed(toks) if f in NOUNISH and len(w) >= 2 and w[0] == c), "")
        if word and (phrase := noun_phrase_ending(toks, word)):
            return _with_place(phrase, prev)
    return ""


def _with_place(phrase: str, prev: str) -> str:
    """``phrase`` prefixed with the previous question's place when it names none (成果转化基金 → 西湖区成果转化基金)."""
    place = next(iter(places(pos_tags(prev))), "") if prev else ""
    return place + phrase if place and place not in phrase and not places(pos_tags(phrase)) else phrase


def _demonstrative(q: str, context: Sequence[str], prev: str, last_answer: str) -> Rewrite | None:
    m = _DEMONSTR.search(q)
    if not m:
        return None
    rest = q[m.end():]
    toks = pos_tags(rest)
    if toks and len(toks[0][0]) == 1 and toks[0][1] not in NOUNISH and _SHORT_HEAD_NEXT.match(rest[1:]) \
            and (ante := _by_first_char(rest[0], context, prev)):  # 这个会什么时候开的
        return Rewrite(q, q[:m.start()] + ante + rest[1:], "demonstrative", antecedent=ante)
    if not toks or toks[0][1] not in NOUNISH and toks[0][0] not in _CATEGORY and not _LOCATIVE_NOUN(toks[0]):
        return None  # 这个期间: jieba tags 期间 as a locative
    run = 1
    while run < len(toks) and toks[run][1] in NOUNISH and toks[0][0] not in _CATEGORY:
        run += 1
    head = "".join(w for w, _ in toks[:run])  # 算力设施, not just 算力
    ante = _antecedent(head, context, prev)
    for w in (dict.fromkeys((toks[0][0], toks[run - 1][0])) if run > 1 and not ante else ()):
        if (ante := _antecedent(w, context, prev)):  # 这份文件吹响…: jieba ran the verb into the noun (文件吹响)
            head = head[:head.index(w) + len(w)] if w == toks[0][0] else head
            break
    if not ante and len(toks[0][0]) > 1 and _CATEGORY.get(toks[0][0][0]) == "money" \
            and not _in_dictionary(toks[0][0]) \
            and (ante := _antecedent(toks[0][0][0], context, prev)):  # 这笔钱图的…: jieba read 钱图 as a name (款式: a word)
        head = toks[0][0][0]
    if not ante and prev and m.start() == 0 and not _LATIN.search(prev):  # nothing names it: the previous turn's
        # topic (这个结论 → 杭州…的结论); an English question's first word (How, What) is no topic
        ante = statement(prev, last_answer) or subject(pos_tags(prev))
        ante = ante and ante + "的" + head
    if not ante or ante == head:  # nothing found, or only the bare noun: dropping 该 adds nothing
        return None
    keep_head = not (ante.endswith(head) or ante.startswith("《") or head in _CATEGORY
                     or (head[-1] in "子儿" and ante.endswith(head[:-1])))
    new = q[:m.start()] + ante + ("的" + head if keep_head else "") + rest[len(head):]
    return Rewrite(q, new, "demonstrative", antecedent=ante)


def _it(q: str, context: Sequence[str], prev: str, last_answer: str, topic: str = "") -> Rewrite | None:
    m = _IT_PRON.search(q)
    if not m or not prev:
        return None
    ptoks = pos_tags(prev)
    # 它 again: the previous turn's 它 still (它把哪座城市推上风口？→ 它的研发团队…: DeepSeek, not 杭州)
    listed = m.group() == "它" and "哪些" in prev  # 它 after “X包括哪些”: X, not one item of the list
    # else the thing the last answer named (人工智能局; 中芯国际、华虹、格科微)
    ante = topic or (subject(ptoks) if listed else "") or answer_entity(prev, last_answer) \
        or answer_span(prev, last_answer)
    if not ante and SLOT_QWORD.search(prev) and last_answer:
        ante = next(iter(_QUOTED.findall(last_answer) + _TITLE_BOOK.findall(last_answer)), "")
    ante = ante or next(iter(_TITLE_BOOK.findall(prev)), "") or subject(ptoks) or next(iter(places(ptoks)), "")
    if ante and _IT_IS_PLACE.search(q) and ante not in places(pos_tags(ante)):  # it is a city: the place talked about
        ante = next(iter(places(ptoks) + (places(pos_tags(last_answer)) if last_answer else [])), ante)
    if not ante:
        return None
    return Rewrite(q, q[:m.start()] + ante + q[m.end():], "it", antecedent=ante)


def rewrite_one(q: str, prev: str, context: Sequence[str], last_answer: str = "", topic: str = "",
                 prev_slot: str = "") -> Rewrite:
    core = strip_end(q)
    for attempt in (lambda: _ellipsis(core, prev, prev_slot), lambda: Rewrite(q, scope(core, prev) or core, "scope"),
                    lambda: _person(core, context, prev), lambda: _demonstrative(core, context, prev, last_answer),
                    lambda: _it(core, context, prev, last_answer, topic),
                    lambda: Rewrite(q, bare_this(core, prev, last_answer) or core, "this"),
                    lambda: Rewrite(q, that_year(core, prev, last_answer) or core, "that-year"),
                    lambda: Rewrite(q, local_place(core, prev, last_answer) or core, "local"),
                    lambda: Rewrite(q, elided_subject(core, prev) or core, "elided")):
        r = attempt()
        if r is not None and r.search_question != core:
            return replace(r, question=q, previous=prev)
    return Rewrite(q, q, previous=prev)
