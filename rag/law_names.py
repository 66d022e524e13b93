"""The names a law is called by in a question, from the index's own titles (round 14).

A user names a law by its title or by its usual short form: 中华人民共和国劳动合同法 → 劳动合同法; a judicial
interpretation whose title holds the law it applies (最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）)
→ 婚姻家庭编的解释（一）, 民法典婚姻家庭编解释一. :func:`name_key` writes any of these in one form (no 中华人民共和国,
《》, spaces, brackets or 的), :func:`law_keys` lists the keys of one title, and :func:`law_named` finds the
longest tail of a text that is such a key (请问劳动合同法 → 劳动合同法). Nothing here is a list of laws: every name comes
from a title of the index (or the caller's list of titles), and :data:`ALIASES` adds the standard abbreviations of
titles (消法, 个保法) — used only for a title the index holds, and only as a whole word (取消法… is no 消法).
:func:`law_shape` tells a name written the way law titles are (刑法, 《公司法》, …条例) from ordinary words ending
the same way (办法, 方法, 违法): a follow-up naming a law the index does not hold is refused with it (round 15).

This module does not search or rank; :mod:`rag.lookup` (articles named by law and number), :mod:`rag.law_route`
(a search within one law) and :mod:`rag.dialogue` (a follow-up that names another law) use it.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable

__all__ = ["ALIASES", "LAW_SUFFIX", "LEAD", "law_keys", "law_name_in", "law_named", "law_shape", "law_subject",
           "name_key", "named_law_candidate", "resolve_title", "shaped_name", "titles_named", "whole_name",
           "without_lead"]

_PREFIX = "中华人民共和国"
_DROP = re.compile(r"\s|《|》|（|）|\(|\)|的")
#: 最高人民法院关于适用《X》Y: the inner title X and what follows it, Y (a judicial interpretation of X)
_NESTED = re.compile(r"《([^《》]{2,60})》(.{2,60})$")
#: the words a law's name ends with, longer first (民法典, not 民法; 劳动合同法, 实施条例, 解释（一）, 暂行规定, 办法, 细则, 决定)
LAW_SUFFIX = (r"(?:法典|法|条例|解释|规定|办法|细则|决定)"
              r"(?:[（(][一二三四五六七八九十]{1,3}[）)]|[一二三四五六七八九十]{1,2}(?=[里中的呢吗上，,。？?！!\s]|$))?")
_CANDIDATE = re.compile(rf"《(?:[^《》]|《[^《》]{{1,60}}》){{2,100}}》|[\u4e00-\u9fa5（）()《》]{{1,60}}{LAW_SUFFIX}")
_SUFFIX_END = re.compile(LAW_SUFFIX)
#: what may follow a law's name cut at an earlier ending (消费者权益保护法里…): not a longer name (…实施条例)
_AFTER_NAME = re.compile(r"[里中的呢吗上，,。？?！!\s第和与及跟、或]|$")
#: the words before a law's name that are not part of it: 那, 请问, 我想问问, 换成, 根据…
LEAD = re.compile(r"^(?:那么?|这|还有|再看看|看看|请问|如果是|要是|换成|换到|按照?|如果按照?|依照|根据|依据|在"
                  r"|我?(?:想|要)?(?:问问|问一下|知道|了解一下|了解|查一下|看一下|说说|讲讲))+")

#: The standard abbreviations of law titles (written as :func:`name_key` writes titles: no 中华人民共和国) — how
#: lawyers, courts and the press shorten them, not taken from any question. An abbreviation names a law only when
#: the index holds a title with that key, and only as a whole word (nothing but :data:`LEAD` words before it).
#: 劳动法 is a title of its own (中华人民共和国劳动法), never 劳动合同法; 合同法 and 婚姻法 are repealed laws, not 民法典.
ALIASES = {
    "消法": "消费者权益保护法", "消保法": "消费者权益保护法", "个保法": "个人信息保护法", "社保法": "社会保险法",
    "劳动仲裁法": "劳动争议调解仲裁法", "调解仲裁法": "劳动争议调解仲裁法",
    "民诉法": "民事诉讼法", "刑诉法": "刑事诉讼法", "行诉法": "行政诉讼法", "网安法": "网络安全法",
    "数安法": "数据安全法", "未保法": "未成年人保护法", "食安法": "食品安全法", "环保法": "环境保护法",
    "道交法": "道路交通安全法", "个税法": "个人所得税法", "税收征管法": "税收征收管理法",
    "民法": "民法典",  # 民法上…, 民法里…: the civil code (民法通则 and 民法总则 are titles of their own)
}
#: a measure word after 那/这 (那个消法, 那部刑法), not part of the name: dropped only where jieba reads it as a word
#: of its own and no nickname starts with it (个人信息保护法 is one word to jieba; 个保法 is a nickname)
_MEASURE = "个部本"


def without_lead(span: str) -> str:
    """``span`` without the :data:`LEAD` words before a law's name, and a measure word after 那/这 (那个消法 → 消法).

    >>> without_lead("那个消法"), without_lead("那个人信息保护法"), without_lead("那个保法"), without_lead("这在刑法")
    ('消法', '个人信息保护法', '个保法', '刑法')
    """
    rest = LEAD.sub("", span)
    lead = span[:len(span) - len(rest)]
    if not (lead.endswith(("那", "这")) and rest[:1] and rest[0] in _MEASURE):
        return rest
    if any(rest.startswith(a) for a in ALIASES):  # 那个保法: 个保法
        return rest
    if any(rest.startswith(a, 1) for a in ALIASES):  # 那个个保法, 那部消法
        return rest[1:]
    import jieba  # loaded by rag.mentions for any conversation already

    return rest[1:] if jieba.lcut(rest)[0] == rest[0] else rest


def name_key(name: str) -> str:
    """``name`` written as :func:`law_keys` are: without 中华人民共和国, 《》, spaces, brackets or 的.

    >>> name_key("《中华人民共和国劳动合同法》"), name_key("婚姻家庭编的解释（一）")
    ('劳动合同法', '婚姻家庭编解释一')
    """
    return _DROP.sub("", name).replace(_PREFIX, "")


def law_keys(title: str) -> list[str]:
    """The keys (:func:`name_key`) a law titled ``title`` is named by: its title, and for a title that holds
    another (a judicial interpretation) also what follows the inner title, alone and after the inner title, and
    its standard abbreviations (:data:`ALIASES`).

    >>> law_keys("最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）")
    ['最高人民法院关于适用民法典婚姻家庭编解释一', '婚姻家庭编解释一', '民法典婚姻家庭编解释一']
    >>> law_keys("中华人民共和国劳动法"), law_keys("中华人民共和国消费者权益保护法")
    (['劳动法'], ['消费者权益保护法', '消法', '消保法'])
    """
    out = [name_key(title)]
    if (m := _NESTED.search(title)) and len(name_key(m.group(2))) >= 4:
        out += [name_key(m.group(2)), name_key(m.group(1)) + name_key(m.group(2))]
    out += [alias for alias, full in ALIASES.items() if full == out[0]]  # 消法 → 消费者权益保护法
    return [k for i, k in enumerate(out) if k and k not in out[:i]]


def law_named(name: str, keys: Iterable[str]) -> str:
    """The longest tail of ``name`` (as :func:`name_key` writes it) that is one of ``keys``; '' for none.

    An abbreviation (:data:`ALIASES`) counts only as a whole word: nothing but :data:`LEAD` words before it.

    >>> law_named("请问劳动合同法", {"劳动合同法", "劳动法"}), law_named("那个办法", {"劳动法"})
    ('劳动合同法', '')
    >>> law_named("根据消法", {"消法"}), law_named("可以取消法", {"消法"}), law_named("那个消法", {"消法"})
    ('消法', '', '消法')
    """
    key, keys = name_key(name), set(keys)
    return next((key[i:] for i in range(max(len(key) - 1, 0)) if key[i:] in keys
                 and (not i or key[i:] not in ALIASES or not without_lead(key[:i]))), "")


def named_law_candidate(text: str) -> list[str]:
    """The spans of ``text`` that could name a law (a 《title》, or a run of words up to the last word that ends as
    a law's name does), in order; whether one does is for :func:`resolve_title` against an index's titles.

    A span that ends in an abbreviation (:data:`ALIASES`) followed by 通则 / 总则 and what may follow a name takes
    them (round 17): 民法通则, 民法总则 are titles of their own (laws the 民法典 repealed), not 民法 (民法典). Whether
    such a span is a title is for :func:`resolve_title`, which reads it as a part of the abbreviated law (刑诉法总则 →
    刑事诉讼法) unless its titles make it one; a full name before them (民法典|总则) and 民法总则编 (the code's part)
    are left as they were.

    >>> named_law_candidate("那消费者权益保护法呢？"), named_law_candidate("有什么办法"), named_law_candidate("婚姻家庭编解释一里呢")
    (['那消费者权益保护法'], ['有什么办法'], ['婚姻家庭编解释一'])
    >>> named_law_candidate("那民法通则呢？"), named_law_candidate("民法典总则里呢"), named_law_candidate("那民法总则编呢")
    (['那民法通则'], ['民法典'], ['那民法'])
    """
    return [m.group(0) + _part_word(text, m.group(0), m.end()) for m in _CANDIDATE.finditer(text)]


_PART_WORD = re.compile(r"通则|总则")


def _part_ends(span: str) -> list[int]:
    """The ends of 通则 / 总则 in ``span`` right after an abbreviation (民法|通则: a title of its own, round 17).

    >>> _part_ends("民法总则里怎么规定"), _part_ends("民法典总则里怎么规定")
    ([4], [])
    """
    return [m.end() for m in _PART_WORD.finditer(span) if law_named(span[:m.start()], ALIASES)]


def _part_word(text: str, span: str, end: int) -> str:
    """通则 / 总则 when they follow ``span`` (ending at ``end`` of ``text``), ``span`` ends in an abbreviation
    (:data:`ALIASES`, as a whole word: :func:`law_named`) and what may follow a name comes after them (not 总则编),
    else ''."""
    m = _PART_WORD.match(text, end)
    return m.group(0) if m and law_named(span, ALIASES) and _AFTER_NAME.match(text, m.end()) else ""


def _part_of(name: str, end: int, keys, own: dict[str, str] | None) -> bool:
    """Whether ``name`` cut at ``end`` is followed by 通则 / 总则 naming a part of that law (round 17 review): after a
    full name (民法典|总则) always; after an abbreviation only when abbreviation + part is not a title of its own —
    no key of ``keys`` nor of ``own`` (None: every such name is one)."""
    if not (m := _PART_WORD.match(name, end)):
        return False
    if not (alias := law_named(name[:end], ALIASES)):
        return True
    return own is not None and alias + m.group(0) not in keys and alias + m.group(0) not in own


@functools.lru_cache(maxsize=16)
def _keys_of(titles: tuple[str, ...]) -> dict[str, str]:
    """Every key (:func:`law_keys`) of ``titles`` → the first title it names (remembered: an archive holds 1,562)."""
    keys: dict[str, str] = {}
    for t in titles:
        for k in law_keys(t):
            keys.setdefault(k, t)
    return keys


def resolve_title(titles: Iterable[str], name: str, own_parts: Iterable[str] | None = ()) -> str:
    """The title among ``titles`` that ``name`` (a span of :func:`named_law_candidate`) names: the longest tail of
    ``name`` — cut after its last law-name ending, else an earlier one followed by a word that ends a name (里, 的,
    呢, 第…: not 劳动合同法|实施条例, a longer name) or by 通则 / 总则 naming a part of it — that is a key of a title;
    '' for none. An abbreviation + 通则 / 总则 (刑诉法总则) names the abbreviated law's part unless it is a key of
    ``titles`` or of ``own_parts`` (titles of laws a held law repealed: 民法通则); ``own_parts`` None: it never does.

    >>> ts = ["中华人民共和国劳动合同法", "中华人民共和国劳动合同法实施条例", "中华人民共和国消费者权益保护法"]
    >>> resolve_title(ts, "那劳动合同法实施条例"), resolve_title(ts, "消费者权益保护法里有没有规定办法")
    ('中华人民共和国劳动合同法实施条例', '中华人民共和国消费者权益保护法')
    >>> resolve_title(ts, "有什么办法"), resolve_title(ts[:1], "劳动合同法实施条例")
    ('', '')
    >>> cc = ["中华人民共和国刑事诉讼法"]
    >>> resolve_title(cc, "按刑诉法总则"), resolve_title(cc, "刑诉法总则", None), resolve_title(["民法典"], "民法通则", ["民法通则"])
    ('中华人民共和国刑事诉讼法', '', '')
    """
    keys = _keys_of(tuple(titles))
    if (key := law_named(name, keys)):
        return keys[key]
    own = None if own_parts is None else _keys_of(tuple(own_parts))  # cached: the same keys, once per title set
    for end in sorted({m.end() for m in _SUFFIX_END.finditer(name)} | set(_part_ends(name)), reverse=True):
        if (_AFTER_NAME.match(name, end) or _part_of(name, end, keys, own)) and (key := law_named(name[:end], keys)):
            return keys[key]
    return ""


#: words ending in 法 that name no law (a method, an opinion, legality): a name whose last word (jieba's) is one of
#: them is not a title (那违法呢？, 这种做法; 公司法 is one word to jieba, not 公/司法)
_ORDINARY_FA = frozenset(
    "方法 办法 想法 看法 做法 说法 合法 违法 依法 非法 用法 算法 语法 手法 疗法 书法 立法 执法 司法 守法 犯法 无法 设法 没法"
    " 写法 叫法 玩法 打法 解法 加法 减法 乘法 除法 戏法 笔法 技法 章法 兵法 佛法 魔法 大法 国法 家法 王法 枪法 刀法 拳法"
    " 心法 功法 句法 文法 正法 变法 效法 取法 作法 画法 读法 吃法 走法 新法 旧法 此法 该法 本法 这法 良法 普法 懂法 知法"
    " 伏法 前法 后法".split())
#: names of kinds of law, not of a law (那上位法呢？, 那实施细则呢): checked against the whole name, not only its last word
_LAW_KINDS = frozenset("上位法 下位法 特别法 一般法 程序法 实体法 根本大法 国际法 两法 三法 实施细则".split())
#: what a law's title never holds: question words, particles, persons (的 only in 关于…的规定), or a pointer to a
#: law already named (这个法, 该法律)
_NOT_TITLE = re.compile(r"什么|怎么|怎样|如何|哪|为何|为什么|是否|有没有|能不能|可不可以|多少|几|谁|吗|呢|吧|了|我|你|她"
                        r"|按照|根据|依照|依据|(.)不\1|^(?:这|那|该|本|此|上述|前述)(?:个|部|项|种|条)?法|^[个部项种条本]法$")
#: how a title without 《》 ends: …法, …法典, …条例, 关于…的规定/决定/解释/办法, …实施/管理/暂行/试行 办法/规定/细则
_TITLE_END = re.compile(r"(?:法典|法|条例)$|^.*关于.+的(?:规定|决定|解释|办法)$|(?:实施|管理|暂行|试行)(?:办法|规定|细则)$")


def law_shape(name: str) -> str:
    """``name`` (without :data:`LEAD` words) as a law's title when it is written the way titles are — in 《》 and
    ending as a law's name does, or without 《》 ending in 法 / 法典 / 条例 (not an ordinary word: 办法, 违法) or a
    title's 规定 / 办法 / 细则 (关于…的规定, 暂行办法) — and holds no question word; '' otherwise. Whether an index
    holds that law is not asked here.

    >>> law_shape("刑法"), law_shape("《公司法》"), law_shape("《公司法"), law_shape("中华人民共和国公司法")
    ('刑法', '公司法', '公司法', '中华人民共和国公司法')
    >>> law_shape("有什么办法"), law_shape("用人单位违法"), law_shape("规定"), law_shape("公司的考勤管理办法"), law_shape("该法")
    ('', '', '', '', '')
    """
    bracketed = name.strip().startswith("《")  # 那《公司法》呢 is cut before its 》 by named_law_candidate
    inner = name.strip().strip("《》")
    if (not 2 <= len(inner) <= 60 or _NOT_TITLE.search(inner) or ("的" in inner and "关于" not in inner)
            or name_key(inner) in _LAW_KINDS):
        return ""
    if bracketed:
        return inner if _SUFFIX_END.search(inner[-6:]) else ""
    if not _TITLE_END.search(inner):
        return ""
    if inner.endswith("法") and not inner.endswith("法典"):
        import jieba  # loaded by rag.mentions for any conversation already

        last = jieba.lcut(inner)[-1]
        if last in _ORDINARY_FA or last.endswith(("方法", "办法")):
            return ""
    return inner


def law_name_in(text: str) -> str:
    """The first law ``text`` names in the shape of a title (:func:`law_shape`), held by an index or not: a 《title》,
    or the words after :data:`LEAD` words up to a law-name ending followed by what may follow a name (里, 呢, 第…;
    not 法院, 法律), the longest such; '' for none.

    >>> law_name_in("那刑法呢？"), law_name_in("那公司法里怎么规定？"), law_name_in("刑法第二十条规定了什么")
    ('刑法', '公司法', '刑法')
    >>> law_name_in("那违法呢？"), law_name_in("有什么办法吗"), law_name_in("《中华人民共和国公司法》呢")
    ('', '', '中华人民共和国公司法')
    >>> law_name_in("能去法院起诉吗"), law_name_in("这种事法律管吗"), law_name_in("阿尔法围棋赢了谁")
    ('', '', '')
    >>> law_name_in("那民法通则呢"), law_name_in("民法总则第九条"), law_name_in("那民法总则里怎么规定？")
    ('民法通则', '民法总则', '民法总则')
    """
    for m in _CANDIDATE.finditer(text):
        span = m.group(0)
        if span.startswith("《"):
            if name := law_shape(span):
                return name
            continue
        lead = len(span) - len(span := without_lead(span))
        rest = text[m.start() + lead:]  # the span without its lead words, followed by the rest of the text
        if (part := _part_word(text, m.group(0), m.end())) and _AFTER_NAME.match(text, m.end() + len(part)):
            return span + part  # 民法通则 (round 17), not 民法
        ends = [e.end() for e in _SUFFIX_END.finditer(span)
                if _AFTER_NAME.match(rest, e.end()) or rest.startswith("》", e.end())]
        parts = [p for p in _part_ends(span) if _AFTER_NAME.match(rest, p)]  # 民法总则里…
        for end in sorted(ends + parts, reverse=True):  # the longest name first
            if end in parts:
                return span[:end]
            if name := law_shape(span[:end]):
                return name
    return ""


def titles_named(titles: Iterable[str], text: str, own_parts: Iterable[str] | None = ()) -> list[str]:
    """The titles among ``titles`` that ``text`` names (:func:`resolve_title` of each span of
    :func:`named_law_candidate`, cut at every law-name ending a name may end at; ``own_parts`` as there), in order,
    each once.

    >>> titles_named(["中华人民共和国劳动法", "中华人民共和国消费者权益保护法"], "消法第二十四条和劳动法有什么不同")
    ['中华人民共和国消费者权益保护法', '中华人民共和国劳动法']
    """
    titles, out = list(titles), []
    for span in named_law_candidate(text):
        ends = [m.end() for m in _SUFFIX_END.finditer(span) if _AFTER_NAME.match(span, m.end())] or [len(span)]
        out += [t for end in ends if (t := resolve_title(titles, span[:end], own_parts))]
    return list(dict.fromkeys(out))


#: a law's name ending, and 通则 / 总则, which end titles too (民法通则, 企业财务通则) but also name a part of a law
#: (民法典总则): read as a law only here, by :func:`law_subject`, when two or more characters come before them
_ENDING = rf"(?:{LAW_SUFFIX}|(?<=[\u4e00-\u9fa5]{{2}})(?:通则|总则))"
_OPENING = re.compile(_ENDING)
_BRACKET_START = re.compile(r"《(?:[^《》]|《[^《》]{1,60}》){2,100}》")
#: what follows a law that is the question's subject: 刑法规定…, 婚姻法里…, 合同法对…, 公司法第…, 继承法怎么说, the end
_AFTER_SUBJECT = re.compile(r"规定|里|中|上|对|关于|有关|的|第|怎|如何|是否|有没有|是|说|讲|明确|要求|呢|[，,。？?！!\s：:；;]|$")
#: a law the question places itself in, after a word that starts a name (在刑法里, 根据《公司法》规定, 按婚姻法的规定)
_PLACED = re.compile(rf"(?:在|按照?|根据|依据|依照)(《(?:[^《》]|《[^《》]{{1,60}}》){{2,100}}》|[\u4e00-\u9fa5（）()]{{1,20}}?{_ENDING})"
                     r"(?=里|中|上|规定|的规定)")
#: jieba's tags of words that no title holds: preposition, pronoun, conjunction, particle, numeral, time, interjection,
#: modal (正当防卫|在|刑法, 2018年|劳动法 are not names)
_NOT_IN_NAME = ("p", "r", "c", "u", "m", "t", "e", "y")
#: words that relate something to a law, never part of a law's title (none of the 1,485 titles of the lawrefbook
#: archive holds one as a word): 用人单位违反劳动法, 新闻报道受著作权法… name the law in passing
_RELATES = frozenset("违反 违背 触犯 受 受到 不受 属于 符合 依照 按照 根据 依据 对于".split())
#: how many 在/根据… spans :func:`law_subject` reads at most (bounded work on a hostile question)
_TRIES = 8


def law_subject(text: str) -> str:
    """The law ``text`` asks about, in a title's shape (:func:`law_shape`, or …通则/…总则), held by an index or not
    (round 16): the law the question opens with (after :data:`LEAD` words), in 《》 or as whole words with nothing
    that relates something else to it (刑法|规定, not 合同法|律, 正当防卫|在|刑法 or 用人单位|违反|劳动法), followed by
    what follows a subject (规定, 里, 对, 第, the end…: not 阿尔法|围棋); or one the question places itself in (在刑法里,
    根据《公司法》规定); '' for none — a law named in passing (违反刑法吗, 违反了《…办法》，…) is not the subject.

    >>> law_subject("刑法规定正当防卫是什么？"), law_subject("根据《公司法》，股东有哪些权利"), law_subject("正当防卫在刑法里怎么规定")
    ('刑法', '公司法', '刑法')
    >>> law_subject("老板不发工资违反刑法吗"), law_subject("合同法律关系是什么"), law_subject("阿尔法围棋赢了谁？")
    ('', '', '')
    >>> law_subject("民法通则规定的诉讼时效是多久"), law_subject("总则里怎么说"), law_subject("新闻报道受著作权法保护吗？")
    ('民法通则', '', '')
    """
    rest = without_lead(text.lstrip(" \t，,。？?！!"))
    if m := _BRACKET_START.match(rest):
        return law_shape(m.group(0)) if _AFTER_SUBJECT.match(rest, m.end()) else ""
    for end in itertools.islice(reversed([m.end() for m in _OPENING.finditer(rest[:32])]), _TRIES):
        if (name := shaped_name(rest[:end])) and _AFTER_SUBJECT.match(rest, end) and whole_name(rest, end):
            return name
    for m in itertools.islice(_PLACED.finditer(text), _TRIES):
        if m.group(1).startswith("《"):
            if name := law_shape(m.group(1)):
                return name
        elif (name := shaped_name(m.group(1))) and whole_name(text, m.end(1), m.start(1)):
            return name
    return ""


def shaped_name(name: str) -> str:
    """:func:`law_shape` of a name written without 《》 (Chinese characters only), or a name of two or more
    characters before 通则 / 总则 with no question word."""
    if not re.fullmatch(r"[\u4e00-\u9fa5]+", name):
        return ""
    if name.endswith(("通则", "总则")):
        return name if 4 <= len(name) <= 30 and not _NOT_TITLE.search(name) and "的" not in name else ""
    return law_shape(name) if _governs_words(name) else ""


def _governs_words(name: str) -> bool:
    """Whether what comes before 法 in the last word (jieba's) of ``name`` is made of dictionary words — the matter a
    law governs (刑, 婚姻, 土地|管理) — and not of single characters strung together (阿|尔法: a transliteration).

    >>> _governs_words("土地管理法"), _governs_words("刑法"), _governs_words("阿尔法")
    (True, True, False)
    """
    import jieba  # loaded by rag.mentions for any conversation already

    last = jieba.lcut(name)[-1]
    if not last.endswith("法") or last.endswith("法典") or len(last) <= 2:
        return True
    pieces = jieba.lcut(last[:-1], HMM=False)
    return len(pieces) == 1 or any(len(p) > 1 for p in pieces)


def whole_name(text: str, end: int, start: int = 0) -> bool:
    """Whether jieba reads ``text[start:end]`` as whole words (it ends a word at ``end``; read up to 16 characters
    past it) none of which is a word no title holds (:data:`_NOT_IN_NAME`, :data:`_RELATES`)."""
    from .mentions import pos_tags

    at = start
    for word, flag in pos_tags(text[start:end + 16]):
        if at >= end:
            return at == end
        if flag.startswith(_NOT_IN_NAME) or word in _RELATES:
            return False
        at += len(word)
    return at == end
