"""Where a text names things: persons, places, noun phrases, what an answer says — for :mod:`rag.dialogue`.

Small lookups over jieba's part-of-speech tags and a few patterns, used to find
what a pronoun or an ellipsis in a follow-up question refers to:

    persons("常州市委书记王剑锋表示…")          → ["王剑锋"]
    places(pos_tags("2025年底的杭州市委经济工作会议")) → ["杭州市"]
    answer_span("温州挂牌成立了全国首个什么机构", "…挂牌成立全国首个“人工智能局”,…")  → "人工智能局"

    parallel_span("八周岁以上", pos_tags("不满八周岁的未成年人…"))  → "不满八周岁"

They read text and return strings; they do not rewrite questions (that is :mod:`rag.dialogue`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

__all__ = ["NOUNISH", "QWORDS", "SLOT_QWORD", "answer_entity", "answer_span", "noun_phrase_ending", "parallel_span", "persons",
           "places", "pos_tags", "statement", "subject"]

QWORDS = re.compile(r"什么|多少|哪|谁|几|怎么|为什么|如何|是否|吗|何")
_PERSON_TITLE = re.compile(
    r"(?:书记|省长|市长|区长|县长|所长|院长|主任|局长|部长|研究员|教授|董事长|总经理|负责人|专家|主席|理事长|"
    r"创始人|首席[\u4e00-\u9fff]{1,3}官)([\u4e00-\u9fff]{2,3}?)"
    r"(?=表示|说|指出|认为|分析|强调|介绍|主持|透露|坦言|称|在|也|还|则|曾|看来|[,，。、:：])")
_PERSON_KANLAI = re.compile(r"在([\u4e00-\u9fff]{2,3})看来")
_NOT_PLACES = {"东西", "城市", "全国", "国内", "国外", "地方", "当地", "本地", "各地", "海内外", "中心", "区域", "地区"}
NOUNISH = {"n", "nr", "ns", "nt", "nz", "vn", "eng", "nrt", "nrfg", "j", "an", "l"}
SLOT_QWORD = re.compile(r"哪[一两几]?(?:个|些|家|位|座|项|份|种|所|者)|什么|谁")  # questions asking for a thing or person
_QUANTITY = re.compile(r"[\d一二两三四五六七八九十百千万半]|满|不足|超过|以上|以下")
_DEGREE = {"不满", "满", "未满", "超过", "以上", "以下", "以内", "不足", "不到", "周岁", "岁"}
#: administrative suffixes a name jieba does not know is split from (示例 + 市); not 区 (园区, 试验区 are no places)
_ADMIN_SUFFIX = {"市", "县", "省", "镇", "乡"}
_PLACE_ORG = re.compile(r"^([\u4e00-\u9fff]{2,4}?[市省区县])(?:委|政府|人大|政协)")


@functools.lru_cache(maxsize=1024)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba words with part-of-speech flags (cached: a conversation re-reads the same turns). A tuple: the cached
    value is shared by every caller, so it must not be mutable (a list was; one caller's edit changed the next's)."""
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(60)
    return tuple((w.word, w.flag) for w in pseg.cut(text, HMM=len(text) <= 80))  # HMM (new words) only on short texts


# ------------------------------------------------------------------ entities in a context text

def persons(text: str) -> list[str]:
    """Person names in ``text``, in order: after a title (书记王剑锋表示) first, then jieba ``nr``.

    >>> persons("常州市委书记王剑锋表示,作为产业强市")
    ['王剑锋']
    """
    found = [m.group(1) for m in _PERSON_TITLE.finditer(text)] + [m.group(1) for m in _PERSON_KANLAI.finditer(text)]
    toks = pos_tags(text) if not found else []
    for i, (w, f) in enumerate(toks):
        if f.startswith("nr"):
            name = w
            if len(w) == 1 and i + 1 < len(toks) and len(w + toks[i + 1][0]) <= 3:
                name = w + toks[i + 1][0]
            if len(name) >= 2:
                found.append(name)
    return list(dict.fromkeys(found))


def places(toks: Sequence[tuple[str, str]]) -> list[str]:
    """Place names among jieba words; an organisation such as 杭州市委 contributes its place (杭州市), and a name
    jieba does not know, split from its administrative suffix (示例/n 市/n), is one with it (示例市).

    >>> places(pos_tags("示例市的办事大厅在哪")), places(pos_tags("2025年底的杭州市委经济工作会议"))
    (['示例市'], ['杭州市'])
    """
    out = []
    for i, (w, f) in enumerate(toks):
        if f == "ns" and len(w) >= 2 and w not in _NOT_PLACES:
            out.append(w)
        elif f == "nt" and (m := _PLACE_ORG.match(w)):
            out.append(m.group(1))
        elif w in _ADMIN_SUFFIX and i and len(prev := toks[i - 1][0]) >= 2 and toks[i - 1][1] in ("n", "nz", "nr") \
                and (i < 2 or toks[i - 2][1] != "ns") and prev not in _NOT_PLACES:
            out.append(prev + w)
    return out


def answer_span(prev: str, answer: str) -> str:
    """What ``answer`` says in place of the question word of ``prev`` ('' when it cannot tell).

    The words just after the question word (or just before it) are found in the answer; the span is the
    answer's text between them and the nearest punctuation.

    >>> answer_span("哪些上海龙头企业在周边城市建设重大项目", "中芯国际、华虹、格科微等上海龙头企业已在周边的绍兴进行建设")
    '中芯国际、华虹、格科微'
    >>> answer_span("温州挂牌成立了全国首个什么机构", "温州还在原有基础上,挂牌成立全国首个“人工智能局”,统筹推进算力建设")
    '人工智能局'
    """
    m = SLOT_QWORD.search(prev)
    if not m or not answer:
        return ""
    right, left = prev[m.end():], prev[:m.start()]
    for n in (4, 3, 2):
        r = right[:n]
        if len(r) == n and not QWORDS.search(r) and (i := answer.find(r)) > 0:
            if (name := _name_after(right, answer, i)):  # 哪个国产大模型 → 国产大模型DeepSeek
                return name
            span = re.split(r"[,，。；;:：]", answer[:i])[-1]
            quoted = re.search(r"[“\"「]([^“”\"「」]{1,20})[”\"」]$", span)
            if quoted and all(f in NOUNISH for _, f in pos_tags(r)):  # 实施“人工智能+”行动计划 → 人工智能+行动计划
                return _clean_span(quoted.group(1) + r)
            return _clean_span(span[-30:])
    left = re.sub(r"[了的是为]+$", "", left)
    for n in (4, 3, 2):
        lw = left[-n:]
        if len(lw) == n and (i := answer.find(lw)) >= 0:
            after = re.split(r"[,，。；;:：]", answer[i + n:])[0][:30]
            if m.group() == "谁":
                return next(iter(persons(after)), "")
            toks = pos_tags(after)
            k = next((j for j, (_, f) in enumerate(toks) if j and f.startswith(("v", "p", "u", "c"))), len(toks))
            return _clean_span("".join(w for w, _ in toks[:k]))  # the noun phrase, not the rest of the clause
    return ""


_ASKS_PLACE = re.compile(r"哪[一]?[个座]?(?:城市|地方|省份?|市|地区|县|区|座城)|哪里|哪儿|在哪(?![一两几年天月个些位家项])")
_ASKS_THING = re.compile(r"哪[一]?[个座家所款位部项]")
#: a place asked at the level of a county, district or town (哪个县, 县级…在哪儿): the answer's place of that level
LEVELS = "县区镇"
_LEVEL_WORD = re.compile(r"([县区镇])(?:级|域)")
_NAME_FLAGS = ("eng", "nz", "nt", "nr", "nrt", "nrfg")
_ORG = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,20}?(?:有限公司|公司|集团|研究院|研究所|实验室|大学|学院|协会|联盟|委员会|中心)")


def answer_entity(prev: str, answer: str) -> str:
    """What the last answer named in reply to a question asking *which* one (哪座城市, 哪个程序, 哪家企业): the
    first place (for a place question) or name (Latin word, proper noun) in ``answer`` that ``prev`` does not
    name; '' when ``prev`` asks no such thing or the answer names nothing new.

    >>> answer_entity("哪座城市提出要打造智慧产业新高地", "同年,人工智能首次出现在合肥市政府工作报告中,并提出打造…")
    '合肥市'
    >>> answer_entity("李世石是输给了哪个程序", "2016年3月,AlphaGo战胜围棋世界冠军李世石成为一个象征性的转折点。")
    'AlphaGo'
    >>> answer_entity("哪家公司发布了这款芯片", "这款芯片由杭州微纳核芯电子科技有限公司发布。")
    '杭州微纳核芯电子科技有限公司'
    >>> answer_entity("杭州有多少家企业", "杭州有741家")
    ''
    >>> answer_entity("哪个县成了试验区", "2019年,上海、杭州等获批试验区。湖州市德清县成为首个县域试验区")
    '德清县'
    """
    if not answer:
        return ""
    if m := _ASKS_PLACE.search(prev):
        new = [p for p in places(pos_tags(answer)) if p not in prev and p.rstrip("市省区县") not in prev]
        level = m.group()[-1] if m.group()[-1] in LEVELS else next(iter(_LEVEL_WORD.findall(prev)), "")
        return next((p for p in new if level and p.endswith(level)), next(iter(new), ""))  # 哪个县 → 德清县 (round 20)
    if not _ASKS_THING.search(prev):
        return ""
    orgs = [o for o in (re.split(r"[由在和与及、的是被了把将为从对向]", m)[-1] for m in _ORG.findall(answer))
            if len(o) >= 4 and o not in prev]  # 哪家公司 → …科技有限公司, not the city before it
    if orgs:
        return orgs[0]
    return next((w for w, f in pos_tags(answer) if f in _NAME_FLAGS and f != "ns" and len(w) >= 2 and w not in prev
                 and not QWORDS.search(w)), "")


def _name_after(right: str, answer: str, i: int) -> str:
    """A name (Latin word, quoted or proper noun) right after the question's noun where it occurs in ``answer``."""
    n = 0
    while n < len(right) and i + n < len(answer) and right[n] == answer[i + n]:
        n += 1
    after = answer[i + n:i + n + 24]
    if after.startswith(("“", "\"", "「")):
        return _clean_span(re.split(r"[”\"」]", after[1:])[0])
    toks = pos_tags(after)
    return toks[0][0] if toks and toks[0][1] in ("eng", "nz", "nr", "nrt") and len(toks[0][0]) >= 2 else ""


def _clean_span(span: str) -> str:
    span = re.sub(r"(?:等|等等|这些|这个|的)$", "", span.strip())
    span = span.strip("“”\"「」 ")
    return span if 2 <= len(span) <= 30 and not QWORDS.search(span) else ""


def statement(prev: str, answer: str) -> str:
    """``prev`` with its question word replaced by the answer: 哪些上海龙头企业… → 中芯国际、华虹、格科微上海龙头企业…"""
    span = answer_span(prev, answer)
    m = SLOT_QWORD.search(prev)
    return re.sub(r"了$", "", prev[:m.start()]) + span + prev[m.end():] if span and m else ""


def noun_phrase_ending(toks: Sequence[tuple[str, str]], head: str) -> str:
    """The longest run of noun-like tokens ending in a token that ends with ``head`` ('' if none)."""
    for i in range(len(toks) - 1, -1, -1):
        if toks[i][0].endswith(head) or (head.endswith(toks[i][0]) and i > 0 and
                                          (toks[i - 1][0] + toks[i][0]).endswith(head)):
            j = i
            while j > 0 and toks[j - 1][1] in NOUNISH | {"v"} and toks[j - 1][0] not in ("是", "有", "为"):
                if toks[j - 1][1] == "v" and not (j >= 2 and toks[j - 2][1] in NOUNISH):
                    break
                j -= 1
            while j < i and toks[j][1] == "v":
                j += 1
            return "".join(w for w, _ in toks[j:i + 1])
    return ""


def subject(toks: Sequence[tuple[str, str]]) -> str:
    """The question's leading noun phrase (time and place included): 2021年杭州人工智能企业…"""
    out = []
    for w, f in toks:
        if f in NOUNISH or f in ("m", "t") or w in ("年", "月") or (f == "x" and w in "《》“”") or (f == "a" and not out):
            out.append(w)
        elif out or f not in ("p", "c", "d"):
            break
    return "".join(out)


def parallel_span(x: str, ptoks: Sequence[tuple[str, str]]) -> str:
    """The words of the previous question that ``x`` stands in for: a quantity or condition sharing a part with it
    (不满八周岁 for 八周岁以上, 超过一个月不满一年 for 满一年), or a word with the same last character
    (休息日 for 法定休假日). '' when there is none.

    >>> parallel_span("八周岁以上", pos_tags("不满八周岁的未成年人是什么民事行为能力人"))
    '不满八周岁'
    """
    prev = "".join(w for w, _ in ptoks)
    if _QUANTITY.search(x):
        common = _longest_common(x, prev)
        if len(common) >= 2:
            i = prev.find(common)
            bounds, pos = [], 0
            for w, f in ptoks:
                bounds.append((pos, pos + len(w), w, f))
                pos += len(w)
            idx = [k for k, (s, e, _, _) in enumerate(bounds) if s < i + len(common) and e > i]
            lo, hi = idx[0], idx[-1]

            def degree(k: int) -> bool:
                return bounds[k][3] in ("m", "q") or bounds[k][2] in _DEGREE
            while lo > 0 and degree(lo - 1):
                lo -= 1
            while hi + 1 < len(bounds) and degree(hi + 1):
                hi += 1
            return prev[bounds[lo][0]:bounds[hi][1]]
    last = pos_tags(x)[-1][0] if x else ""
    same = [w for w, f in ptoks if len(w) >= 2 and w != x and w[-1] == x[-1] and len(last) >= 2
            and (f in NOUNISH or f == "t") and w not in x]
    return same[0] if len(same) == 1 else ""


def _longest_common(a: str, b: str) -> str:
    """The longest substring of ``a`` that is in ``b`` (short strings: quadratic is fine)."""
    best = ""
    for i in range(len(a)):
        for j in range(i + len(best) + 1, len(a) + 1):
            if a[i:j] in b:
                best = a[i:j]
            else:
                break
    return best
