"""Follow-ups in a conversation about laws: two readings, the more confident one, and answer-type checks.

The conversation layer (:mod:`rag.dialogue`, :mod:`rag.incontext`, :mod:`rag.topic`) was built for news
dialogues: it carries a person, a place or a few topic nouns into the follow-up (他 → 王剑锋, 南京呢). A legal
follow-up leans on the earlier question differently: “这段时间公司要给钱吗？” after “签了竞业协议，离职以后最长能限制我
多久？” is about 竞业限制, and the words that carry that are the whole earlier *situation*, not a name. News-style
rewrites (“没干满就跳槽的公司出钱送我去做专业培训，可以跟我另外约定什么”) and topic nouns picked by part of speech
(“段时间 公司”) lost to the question asked alone (round 6: 0.23 in context, 0.36 alone).

When the last answered turn of the conversation quoted a statute article (《…》第X条: :func:`about_laws`),
:func:`ask_law_followup` answers the follow-up in up to two readings:

==============  ===========================================================  ==================================
reading         searched                                                     when
==============  ===========================================================  ==================================
``typed``       the question as typed, alone (exactly as without history)     unless it does not stand alone: a
                                                                             bare ``X呢`` (一周呢？) or one that
                                                                             points back (这个标准, 这笔钱)
``rewrite``     the standalone question a rule built for ``X呢``               when :mod:`rag.dialogue` built one
``previous``    the previous turn's search text + the question (its query     when there is a previous question
                vector the two cached vectors mixed: no second embedding)
==============  ===========================================================  ==================================

Each answer is held to :func:`answer_type` (a how-much/how-long/how-old question needs a quantity of that kind in
the quoted article; “which province” needs a place) and to the places the follow-up names (杭州的标准 is not answered
by a national article); the answerable one with the higher confidence of the statute answer model wins, the
typed reading given a margin of :data:`TYPED_MARGIN`. Both readings are answered — and refused — by the ordinary
answer layer on the wording searched, so the statute refusal applies to the question actually searched. The user is shown what was searched:
``这段时间公司要给钱吗（结合上文：签了竞业协议，离职以后最长能限制我多久）``.

Two more rules follow from the structure of a law conversation: a context reading whose answer only goes back
to the article just shown does not beat a typed reading that found a new article of the same law
(:func:`new_in_same_law`, :func:`shown_again`); and when every reading is refused in a conversation that has only
quoted articles (:func:`only_laws`), the ``previous`` reading is searched once more within the law of the article
last shown (``within_law``: its versions, the current one preferred; never over the user's own filter), kept only
when its article is at most :data:`NEAR` articles from one just shown.

This module does not rewrite with rules, retrieve by itself (every reading goes through ``ask``) or change the
answer models; it chooses between answers.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .answer import is_refusal
from .context import shown_search, split_shown
from .errors import QueryError
from .followup import check_answer_type, check_context, covers, refuse
from .lookup import article_number
from .mentions import places, pos_tags
from .number_search import run_start
from .records import Answer
from .retrieve import MAX_QUESTION_CHARS
from .statute_answer import NOT_FOUND as LAW_NOT_FOUND
from .textnorm import normalize, strip_end
from .tokenize import jieba_tokenizer
from .topic import new_subject

__all__ = ["NEAR", "STATUTE_QUOTE", "TYPED_MARGIN", "LawReading", "about_laws", "answer_type", "ask_law_followup",
           "checked_law", "has_answer_type", "law_readings", "new_in_same_law", "only_laws", "previous_search",
           "shown_again", "shown_articles"]

#: an answer that quotes a statute article: 《…》第X条 at its start (also read by :mod:`rag.dialogue`); a title may
#: hold one nested title (《最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）》第五条)
STATUTE_QUOTE = re.compile(r"^\s*《(?:[^《》]|《[^《》]{1,60}》){2,100}》第[一二三四五六七八九十百千零〇\d]+条")
_ARTICLE = re.compile(r"《((?:[^《》]|《[^《》]{1,60}》){2,100})》第[一二三四五六七八九十百千零〇\d]+条")
_SHOWN = re.compile(r"^(?P<q>.*?)（结合上文：(?P<c>[^（）]*)）$", re.S)
_YEAR = re.compile(r"(?:19|20)\d{2}年")
_BARE_ELLIPSIS = re.compile(r"^(?:那么?|还有|再看看)?[，,\s]*[^，,。？?!！]{1,14}呢$")
_NAMED_ARTICLE = re.compile(r"第[一二三四五六七八九十百千零〇\d]+条")
#: The margin in favour of the typed reading, added to its confidence (a question that stands alone keeps its
#: answer unless a reading with the context is clearly more confident). Chosen on the development law dialogues:
#: 0.1 ≥ 0 on every set once subject-less questions are not read alone (+1 of 37 on dialogues_dev_corpus); 0.2 lost one.
TYPED_MARGIN = 0.1
#: When every reading is refused, the follow-up is searched within the law under discussion and answered only with
#: an article at most this many articles from one just shown (about a chapter's span). On the development law
#: dialogues the answers it gained were 0–4 articles away and the one wrong answer 48 away: any value in 4–47 gives
#: the same results there; 10 is a chapter's order of size, not a fitted value.
NEAR = 10
#: 这个标准, 这笔钱, 这种情况, 这段时间: the question points back at the conversation and does not stand alone
_POINTS_BACK = re.compile(r"(?:这|那)(?:个|种|笔|段|类|些|项|份|次|条)")

# ------------------------------------------------------------------ answer types
#: a number (digits or numerals), starting only where its run does: the same matches as ``[…]+`` without the
#: quadratic search on a long run (rag.number_search)
_NUM = run_start(r"\d零〇一二两三四五六七八九十百千万亿半")
#: bounds on a value; 县级以上 (an administrative level) bounds none
_BOUND = r"不得超过|不超过|不得低于|不低于|不少于|不多于|不得少于|不得高于|最高|最低|(?<!级)以上|(?<!级)以下|以内"
#: question pattern → (what it asks for, the pattern the quoted article must contain)
_TYPES: tuple[tuple[str, re.Pattern, re.Pattern], ...] = (
    # 一个月发多少由谁定？ asks who decides, not an amount: no value is required
    ("decider", re.compile(r"由谁|谁来|谁(?:定|决定|确定|核定)"), re.compile(r"")),
    # 哪个部门 / 去哪里报批: the article must name an office (部门, 机关, 机构, 人民政府, 法院, 委员会, …)
    ("office", re.compile(r"(?:哪个|哪些|哪一个|什么|哪一?级)(?:部门|机关|机构)|(?:去|到|找)哪(?:里|儿|个)?"
                          r"(?:申请|报批|审批|投诉|举报|登记|办理|起诉|备案)"),
     re.compile(r"部门|机关|机构|政府|法院|委员会|仲裁|公安|民政|人力资源|市场监督|税务")),  # 局/厅/署: _names_bureau
    # 多少钱 …; also paying verbs (给/发/领/交/赔 … 多少, not 多少年) and money nouns after 多少 (多少诉讼费, 多少补贴)
    ("money", re.compile(r"多少钱|几块钱|多少元|赔多少|罚多少|多少费用|花多少"
                         r"|(?:给|发|拿|领|交|付|补|退|赔|罚|出)[^，,。？?多]{0,3}多少(?![年月天日周小时岁次人名个倍项条页%])"
                         r"|多少[^，,。？?]{0,4}(?:钱|费|元|工资|薪|补贴|补助|补偿|赔偿|赔偿金|罚款|津贴|金|款)"),
     re.compile(rf"{_NUM}(?:元|倍)|百分之|{_NUM}%|(?:{_BOUND})[^，。；]{{0,20}}(?:费|金|资|款|酬|价|赔偿|补偿|罚款|标准)")),
    ("day", re.compile(r"几天|多少天|几日|几号|哪天|哪一天"), re.compile(rf"{_NUM}(?:个)?(?:日|天|工作日|号)")),
    ("hours", re.compile(r"几个?(?:小时|钟头)|多少(?:个)?(?:小时|钟头)"), re.compile(rf"{_NUM}(?:个)?小时")),
    ("age", re.compile(r"多大|几岁|多少岁|多少周岁"), re.compile(rf"{_NUM}(?:周岁|岁)")),
    ("duration", re.compile(r"多久|多长时间|多长|几年|几个月|多少年|多少个月"),
     re.compile(rf"{_NUM}(?:个)?(?:年|月|日|天|周|星期|小时|工作日)")),
    ("count", re.compile(r"几个|几次|几名|几人|几位|多少人|多少次|多少名"),
     re.compile(rf"{_NUM}(?:个|次|名|人|位|项)")),
    ("place", re.compile(r"哪(?:个|些)?(?:省|市|城市|地区|国家|县)"), re.compile(r"$^")),  # checked with places()
    ("amount", re.compile(r"多少"), re.compile(rf"{_NUM}(?:个)?(?:年|月|日|天|周|小时|元|倍|人|名|次|周岁|岁|项|%)"
                                               rf"|百分之|分之|{_BOUND}")),
)


#: two-character words that are offices although they end like 格局, 布局, 签署, 大厅 (which are not)
_BUREAU_PAIRS = frozenset({"当局", "邮局", "警局", "总局", "分局", "总署", "公署"})


def _names_bureau(text: str) -> bool:
    """``text`` names a bureau, department or agency by its 局/厅/署: a word of three or more characters ending so
    (公安局, 教育厅, 海关总署, 管理局), a bare 局 after a word (卫生 健康 局), or one of :data:`_BUREAU_PAIRS` — not a
    word that merely holds the character (局面, 格局, 布局, 局部, 签署, 部署, 大厅).

    >>> _names_bureau("向当地公安局报告"), _names_bureau("打开新局面"), _names_bureau("整体布局"), _names_bureau("签署协议")
    (True, False, False, False)
    """
    if not re.search(r"[局厅署]", text):
        return False
    words = jieba_tokenizer().lcut(text, HMM=False)
    for i, w in enumerate(words):
        if w[-1:] not in ("局", "厅", "署"):
            continue
        if len(w) >= 3 or w in _BUREAU_PAIRS or (len(w) == 1 and i and _HAN.fullmatch(words[i - 1])):
            return True
    return False


_HAN = re.compile(r"[\u4e00-\u9fff]+")


def answer_type(question: str) -> str:
    """What kind of value ``question`` asks for ('' for none of the checked kinds).

    >>> answer_type("一般要赔多少钱？"), answer_type("年假一年能休几天？"), answer_type("仲裁要交钱吗？")
    ('money', 'day', '')
    """
    q = strip_end(question)
    return next((name for name, asks, _ in _TYPES if asks.search(q)), "")


def has_answer_type(kind: str, quotes: Sequence[str]) -> bool:
    """Some quote holds a value of ``kind`` (a number with its unit, a bound, a place).

    >>> has_answer_type("day", ["消费者有权自收到商品之日起七日内退货"]), has_answer_type("money", ["无过错方有权请求损害赔偿"])
    (True, False)
    """
    if not kind:
        return True
    if kind == "place":
        return any(places(pos_tags(q)) for q in quotes)
    pattern = next(p for name, _, p in _TYPES if name == kind)
    if kind == "office" and any(_names_bureau(q) for q in quotes):
        return True
    return any(pattern.search(_YEAR.sub("", q)) for q in quotes)  # 2025年 is a date, not an amount


# ------------------------------------------------------------------ the conversation

def about_laws(history: Sequence, max_turns: int = 8) -> bool:
    """The last turn that was answered quoted a statute article (its answer starts with 《…》第X条). Refused turns
    are skipped, the statute refusal too: it only says the best passage was an article (a news question on a
    mixed index gets it as well), and a law follow-up refused by a check is still in a law conversation."""
    return bool(STATUTE_QUOTE.match(_last_answer(history, max_turns)))


def _last_answer(history: Sequence, max_turns: int = 8) -> str:
    """The answer of the last answered turn (refusals skipped) among the last ``max_turns``; '' for none."""
    for t in reversed(list(history)[-max_turns:]):
        a = normalize(t.answer or "")[0].strip()
        if t.question.strip() and a and not is_refusal(a):
            return a
    return ""


def previous_search(history: Sequence, fallback: str = "") -> str:
    """What the previous turn searched, as one text: ``Q（结合上文：C）`` → ``C Q``; ``fallback`` when unknown."""
    last = next((t for t in reversed(list(history)) if t.question.strip()), None)
    if last is None:
        return fallback
    shown = normalize(last.search_question or "")[0].strip()
    if not shown:
        return fallback or strip_end(normalize(last.question)[0])
    m = _SHOWN.match(shown)
    return f"{m.group('c')} {strip_end(m.group('q'))}" if m else strip_end(split_shown(shown))


@dataclass(frozen=True)
class LawReading:
    """One wording of a law follow-up: ``name``, the ``wording`` answered, ``read_as`` (the two texts whose
    cached query vectors are mixed, or None to embed the wording) and what the user is shown as searched."""

    name: str
    wording: str
    read_as: tuple[str, str] | None
    shown: str


def law_readings(question: str, previous: str, rewrite: str = "", vector_of: str = "", *,
                 subjectless: bool = False) -> list[LawReading]:
    """The readings of a law follow-up, the typed one first (it wins ties); ``rewrite``: the standalone question
    a rule of :mod:`rag.rewrite_rules` built (第三十八条呢？ → 劳动合同法第三十八条规定了什么), '' for none;
    ``vector_of``: the earlier text whose cached query vector is mixed with the question's (the previous question
    as typed, embedded one turn earlier; default ``previous``); ``subjectless``: a rule found the question has no
    subject of its own (从什么时候开始算？, :func:`rag.topic.elided_subject`), so it is not read alone either.

    >>> [r.name for r in law_readings("一周呢？", "按小时计酬的兼职，一天一般最多干几个钟头")]
    ['previous']
    >>> [r.wording for r in law_readings("离职后公司要给钱吗？", "签了竞业协议，离职以后最长能限制我多久")]
    ['离职后公司要给钱吗？', '签了竞业协议，离职以后最长能限制我多久 离职后公司要给钱吗']
    >>> [r.name for r in law_readings("这段时间公司要给钱吗？", "签了竞业协议，离职以后最长能限制我多久")]
    ['previous']
    """
    q = strip_end(question)
    other = vector_of or previous
    if _NAMED_ARTICLE.search(q):  # 第三十八条呢？: an article named by number is read only as the rule built it
        return [LawReading("rewrite", rewrite, (q, other) if other else None, rewrite) if rewrite
                else LawReading("typed", question, None, question)]
    alone = not (previous and (subjectless or _BARE_ELLIPSIS.match(q) or _POINTS_BACK.search(q)))  # stands alone
    out = [LawReading("typed", question, None, question)] if alone else []
    if rewrite and strip_end(rewrite) != q and len(rewrite) <= MAX_QUESTION_CHARS:
        out.append(LawReading("rewrite", rewrite, (q, other) if other else None, rewrite))
    if previous and q and len(previous) + len(q) + 1 <= MAX_QUESTION_CHARS:
        out.append(LawReading("previous", f"{previous} {q}", (q, other), shown_search(q, previous)))
    return out or [LawReading("typed", question, None, question)]


def _withdrawn(ans: Answer) -> Answer:
    """``ans`` as a refusal (the statute wording when it had quoted an article); what it cited becomes suggestions."""
    out = refuse(ans)
    return replace(out, answer=LAW_NOT_FOUND) if any(c.label for c in ans.citations) else out


def checked_law(ans: Answer, question: str) -> Answer:
    """A law follow-up's answer held to what the question itself asks: its answer type (:func:`answer_type`)
    and every place it names (杭州的这个标准 is not answered by an article that names no 杭州). Its own words are
    not required in the article (measured: lay words — 骗, 多大以下的孩子 — are not the law's: 欺诈, 不满十四周岁)."""
    if not ans.answerable or not ans.citations:
        return ans
    if not has_answer_type(answer_type(question), [c.quote for c in ans.citations]):
        return _withdrawn(ans)
    kept = check_answer_type(check_context(ans, strip_end(question), "", ""), strip_end(question))
    return ans if kept.answerable else _withdrawn(ans)


def _shown(history: Sequence, max_turns: int = 8) -> list[str]:
    return [m.group(0) for m in _ARTICLE.finditer(_last_answer(history, max_turns))]


def shown_articles(history: Sequence, max_turns: int = 8) -> set[str]:
    """The articles (《…》第X条) the last answered turn quoted — what the user has already been shown."""
    return set(_shown(history, max_turns))


def _law_of(label: str) -> str:
    m = _ARTICLE.match(label)
    return m.group(1) if m else ""


def new_in_same_law(ans: Answer, shown: set[str]) -> bool:
    """``ans`` quotes, first, an article not shown yet of a law that was shown: asked alone, the follow-up already
    lands in the law under discussion, on something new."""
    label = ans.citations[0].label if ans.answerable and ans.citations else ""
    return bool(label) and label not in shown and _law_of(label) in {_law_of(x) for x in shown}


def shown_again(ans: Answer, shown: set[str]) -> bool:
    """The article ``ans`` quotes first (its answer) was already shown in the last answer."""
    return bool(ans.citations) and ans.citations[0].label in shown


def _score(ans: Answer) -> float:
    return (ans.confidence or 0.0) - (0.0 if ans.answerable else 1.0)


def only_laws(history: Sequence, max_turns: int = 8) -> bool:
    """Every answered turn quoted a statute article: the whole conversation is about laws (one that began with a
    news answer and drifted onto an article is not searched within that article's law)."""
    answers = [normalize(t.answer or "")[0].strip() for t in list(history)[-max_turns:] if t.question.strip()]
    return all(STATUTE_QUOTE.match(a) for a in answers if a and not is_refusal(a))


def _filtered(kw: dict) -> bool:
    f = kw.get("filters")
    return bool(f is not None and getattr(f, "active", False)) or bool(kw.get("doc_ids"))


def _within_law(ask: Callable[..., Answer], readings: Sequence[LawReading], shown: Sequence[str], question: str,
                kw: dict) -> tuple[Answer, LawReading] | None:
    """Every reading was refused: the ``previous`` reading once more, retrieved only within the law of the article
    last shown (every version of it, the current one preferred as in any search: ``within_law`` of
    :func:`rag.qa.ask`; a follow-up in a law conversation most often stays in that law and near that article), held
    to the same checks (the caller keeps it only when its article is at most :data:`NEAR` articles from a shown
    one); None when there is no such reading or the law is not in the index."""
    r = next((x for x in readings if x.name == "previous"), None)
    if r is None:
        return None
    try:
        ans = ask(r.wording, read_as=r.read_as, **kw, within_law=_law_of(shown[0]))  # the current version preferred
    except QueryError:  # the history names a law this index does not hold
        return None
    return checked_law(ans, question), r


def _near(label: str, shown: Sequence[str]) -> bool:
    """``label`` is an article of a shown law at most :data:`NEAR` articles from a shown one (about a chapter)."""
    m = _ARTICLE.fullmatch(label)
    n = article_number(label[label.rindex("第") + 1:-1]) if m else None
    return n is not None and any(_law_of(x) == m.group(1) and (k := article_number(x[x.rindex("第") + 1:-1]))
                                 is not None and abs(k - n) <= NEAR for x in shown)


def _held(ans: Answer, r: LawReading, question: str, shown, typed_new: bool, subject: str) -> tuple[Answer, bool]:
    """The answer of reading ``r`` held to :func:`checked_law` and withdrawn where the readings' rules say (see
    :func:`ask_law_followup`); with ``typed_new``: the typed reading found a new article of a shown law."""
    ans = checked_law(ans, question)
    if r.name == "typed":
        typed_new = new_in_same_law(ans, shown)
    elif ans.answerable and not any(c.label for c in ans.citations):
        ans = _withdrawn(ans)  # read with the law context, it must quote the law, not a news sentence
    elif typed_new and ans.answerable and shown_again(ans, shown):
        ans = _withdrawn(ans)  # the context only pulled the reading back to the article already shown, while
        # the question alone found a new article of the same law: the standalone answer stands
    if subject and ans.answerable and shown_again(ans, shown) \
            and not any(covers(c.quote, subject) for c in ans.citations[:1]):
        ans = _withdrawn(ans)  # a new subject of the same law: the article just shown does not answer it
    return ans, typed_new


def ask_law_followup(ask: Callable[..., Answer], question: str, history: Sequence, *, fallback: str = "",
                     rewrite: str = "", subjectless: bool = False, slot: str = "", stay: bool = False,
                     **kw) -> Answer:
    """Answer a follow-up in a law conversation (:func:`about_laws`): every reading of :func:`law_readings`
    through ``ask`` (which must take ``read_as``, as :func:`rag.qa.ask` does), each held to :func:`checked_law`;
    the answerable one with the highest confidence wins (the typed one counted :data:`TYPED_MARGIN` higher), else
    the best refusal.
    ``fallback``: the previous standalone question when the history does not say what was searched;
    ``rewrite``: a rule's standalone question (a further reading, :func:`law_readings`); ``subjectless``: that
    rule found no subject of its own in the question (it is then not read alone); ``slot``: the X of an ``X呢``
    follow-up — a reading that quotes an article already shown again is withdrawn unless it holds X when X is a new
    subject (:func:`rag.topic.new_subject`: 试用期呢？ after 第三十八条 is not answered by 第三十八条 again).
    ``search_question`` of the result is what the winning reading searched; timings add up all readings and
    ``timings_ms["law_readings"]`` is the number answered (with the search within the law under discussion, when
    every reading was refused: :func:`_within_law`) — a reading that cannot win is not answered: one whose score,
    its confidence (at most 1) plus its margin, could not exceed the best so far (the typed reading answered at
    0.9 or more, :data:`TYPED_MARGIN` above); ``stay``: ``ask`` searches a law the follow-up named
    (:mod:`rag.law_switch`), so no search within the law under discussion follows."""
    kw = {k: v for k, v in kw.items() if k not in ("reconsider", "context", "read_as", "needed_above", "within_law")}
    previous = previous_search(history, fallback)
    last = next((t for t in reversed(list(history)) if t.question.strip()), None)
    typed_before = normalize(last.question)[0].strip() if last is not None else ""
    best: tuple[float, Answer, LawReading] | None = None
    spent = {"retrieve": 0.0, "answer": 0.0, "total": 0.0}
    readings = law_readings(question, previous, rewrite, typed_before, subjectless=subjectless)
    shown, typed_new = shown_articles(history), False
    subject = new_subject(slot, previous)
    tried = 0
    for r in readings:
        t0 = time.perf_counter()
        margin = TYPED_MARGIN if r.name == "typed" else 0.0
        if best is not None and best[0] >= 1.0 + margin:
            continue  # a confidence is at most 1 (a sigmoid), so this reading cannot score above the best (round 15)
        tried += 1
        # an answer that cannot beat the best one so far needs no check against the general ranking (rag.qa)
        more = {"needed_above": best[0] - margin} if best is not None else {}
        ans = ask(r.wording, read_as=r.read_as, **kw, **more) if r.read_as else ask(r.wording, **kw, **more)
        ans, typed_new = _held(ans, r, question, shown, typed_new, subject)
        for k in spent:
            spent[k] += ans.timings_ms.get(k, 0.0) if k != "total" else (time.perf_counter() - t0) * 1000
        score = _score(ans) + margin
        if best is None or score > best[0]:
            best = (score, ans, r)
    assert best is not None  # law_readings always yields at least one reading
    if not best[1].answerable and not stay and (last_shown := _shown(history)) and not _filtered(kw) \
            and only_laws(history):
        t0 = time.perf_counter()  # nothing answered: the previous reading within the law under discussion
        within = _within_law(ask, readings, last_shown, question, kw)
        if within is not None:
            tried += 1
            spent = {k: spent[k] + (within[0].timings_ms.get(k, 0.0) if k != "total"
                                    else (time.perf_counter() - t0) * 1000) for k in spent}
            if within[0].answerable and within[0].citations and _near(within[0].citations[0].label, last_shown):
                best = (0.0, *within)
    _, ans, r = best
    ans.search_question = r.shown
    ans.timings_ms = {**ans.timings_ms, **spent, "law_readings": float(tried)}
    return ans
