"""The conversation's neighbourhood: a refused follow-up answered from the sentences around the previous answer.

A follow-up asks about what the conversation is about, and a text says the next thing about it next: after
“阿尔法围棋赢了谁？” (→ “2016年3月,AlphaGo战胜围棋世界冠军李世石…”), “那是什么时候的事？” is answered by the same
sentence; after “常州市委书记叫什么名字？” (→ 王剑锋表示…), “他说常州要打造成什么？” by the sentence after it. Asked on
their own words these follow-ups match no sentence well, so the answer layer refuses them. This module is the last
reading of a follow-up that every other reading left refused (:func:`rag.dialogue.ask_in_context`):

1. **Where**: the previous answer's quoted sentences, found in the passages the refused reading retrieved (its
   suggestions: what it cited and its top hits — no retrieval here; with ``DialogueConfig.neighbourhood_search``
   :func:`rag.dialogue._near` adds the passages of the previous question searched again when none holds it), then
   the two sentences after them and the one
   before, in that order (:func:`neighbourhood`).
2. **What it asks** (:func:`ask_kind`): a date (什么时候), a quantity (多少/几), a person or body (谁), a name
   (叫什么), a kind (哪种/哪类 + noun), or nothing typed (怎么样, 吗…).
3. **Which sentence**: the first that holds what is asked — a quantity of the unit asked, a date, a person, a name,
   a phrase ending in the noun of 哪种 N that the conversation has not said — *and* covers every one of the
   follow-up's own content words (:func:`rag.followup.focus_words`, without the words of an anaphor — 这件事,
   这种补法 refer back, they are not asked — or of document deixis: 文章, 报道). A follow-up with no content word of
   its own is answered only when it asks a typed thing, and from the previous answer's own sentence only when it
   asks another kind of thing than the previous question did (asking *when* after *who*). Every place or person it
   names must be named around the sentence (:func:`rag.followup.check_context`).

It never answers what it cannot show: unanswerable follow-ups (它背后的公司融了多少钱？ 比分是几比几？ 这个局的一把手
叫什么？) ask a word no sentence around the previous answer covers, or a quantity none gives. It neither retrieves
nor embeds; it reads :class:`~rag.records.Answer` objects the answer layer built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .answer_kind import titled_or_quoted
from .chunk import split_sentences
from .followup import (
    HOW_MUCH,
    check_answer_type,
    check_context,
    covers,
    focus_words,
    when_question,
)
from .mentions import NOUNISH, QWORDS, persons, pos_tags
from .records import Answer, Citation
from .rewrite_rules import plausible_name
from .textnorm import search_form, strip_end

__all__ = ["NEAR_SHOWN", "NeighbourConfig", "ask_kind", "asks_something", "from_neighbourhood", "holds_kind",
           "neighbourhood", "previous_quotes", "sentence_citation"]

#: what the user is shown as the context of a follow-up answered from the previous answer's neighbourhood
NEAR_SHOWN = "上一个回答的前后文"

_MARKERS = re.compile(r"\[\d{1,3}\]")
_DEMONSTRATIVE = re.compile(r"^(?:这|那|该|此)")
_NUMBER_ONLY = re.compile(r"[\d零一二三四五六七八九十百千万亿两几多半]+")
#: words for the source itself (the article, the report): a question about “文章” asks about what it says
_DOC_DEIXIS = {"文章", "文中", "报道", "原文", "资料", "材料", "稿子", "这篇", "文里", "里面", "这里", "上面", "提到"}
_WHO = re.compile(r"(?<![省市城])谁(?!的)|哪位|哪个人")
_NAME = re.compile(r"叫什么|什么名字|名字是什么|名称是什么|全称|称为什么|叫作什么|叫做什么")
_PURPOSE_Q = re.compile(r"(?:干嘛|干啥|做什么|干什么)用|(?:用来|拿来|用于)(?:[做干]什么|干嘛|干啥)|有什么用|用途|用在[哪什]")
_PURPOSE = re.compile(r"用于|用来|促使|推动|以便|旨在|为了|支持|助力|帮助|服务于|投向|面向")
_PERSON_ASKED = re.compile(r"他|她|人|者|书记|市长|省长|院长|主任|局长|教授|专家|负责人|创始人|老板")
_ROLE = r"(?:书记|市长|省长|区长|县长|院长|所长|主任|局长|部长|教授|研究员|专家|记者|负责人|创始人|董事长|总经理|主席)\s*"
_ASKING = re.compile(r"干嘛|干啥|啥")
_KIND = re.compile(r"(?:哪[一]?[种类样个些家所]|什么样的?|什么)((?!的)[\u4e00-\u9fff]{1,4}?)(?=[？?]|$|的|呢)")


@dataclass(frozen=True)
class NeighbourConfig:
    """``after``: sentences after the previous answer read; ``before``: sentences before it."""

    after: int = 2
    before: int = 1


def ask_kind(question: str) -> str:
    """What a question asks for: ``when``, ``how-much``, ``who``, ``name``, ``purpose``, ``kind`` (哪种 N), else
    ``open``.

    >>> [ask_kind(q) for q in ("那是什么时候的事", "来了多少人", "他是谁", "这种模式叫什么", "补的是哪种芯片", "中间顺利吗")]
    ['when', 'how-much', 'who', 'name', 'kind', 'open']
    """
    q = strip_end(question)
    if q.endswith("吗"):
        return "open"  # a yes/no question (后来几年还提吗？ asks whether, not how many years)
    if _PURPOSE_Q.search(q):
        return "purpose"
    if when_question(q):
        return "when"
    if HOW_MUCH.search(q):
        return "how-much"
    if _NAME.search(q):
        return "name"
    if _WHO.search(q):
        return "who"
    if (m := _KIND.search(q)) and len(m.group(1)) >= 2:
        return "kind"
    return "open"


def previous_quotes(previous_answer: str) -> list[str]:
    """The previous answer's quoted sentences (its ``[n]``-marked pieces), searchable form."""
    parts = [search_form(p) for p in _MARKERS.split(previous_answer)]
    return [p for p in parts if len(p) >= 6]


def sentence_citation(cit: Citation, s: int, e: int) -> Citation:
    """``cit`` quoting only its passage's characters ``[s, e)`` (offsets in ``cit.text``), as citation [1]."""
    return replace(cit, n=1, quote=cit.text[s:e], quote_start=cit.start + s, quote_end=cit.start + e)


def neighbourhood(passages: Sequence[Citation], previous_answer: str,
                  config: NeighbourConfig = NeighbourConfig()) -> list[tuple[int, Citation]]:
    """``(distance, sentence)`` around the previous answer's quotes in ``passages``: its own sentences (0), the
    next ``after`` ones (1, 2), the ``before`` ones (-1), in that order; [] when no passage holds them."""
    quotes = previous_quotes(previous_answer)
    if not quotes:
        return []
    near: list[tuple[int, Citation]] = []
    seen: set[tuple[str, int]] = set()
    for cit in passages:
        spans = split_sentences(cit.text)
        anchors = [i for i, (s, e) in enumerate(spans)
                   if len(form := search_form(cit.text[s:e])) >= 6 and any(form in q or q in form for q in quotes)]
        if not anchors:
            continue
        order = [(0, i) for i in anchors]
        order += [(d, anchors[-1] + d) for d in range(1, config.after + 1) if anchors[-1] + d < len(spans)]
        order += [(-d, anchors[0] - d) for d in range(1, config.before + 1) if anchors[0] - d >= 0]
        for d, i in order:
            if (cit.chunk_id, i) not in seen:
                seen.add((cit.chunk_id, i))
                near.append((d, sentence_citation(cit, *spans[i])))
    return sorted(near, key=lambda t: (abs(t[0]) if t[0] >= 0 else 10 - t[0]))


def _referred(question: str) -> list[str]:
    """The nouns of an anaphor (这种补法 → 补法, 那家创业公司 → 创业 公司): they refer back, they are not asked."""
    toks = pos_tags(question)
    out: list[str] = []
    for i, (w, _) in enumerate(toks):
        if not _DEMONSTRATIVE.match(w):
            continue
        if len(w) > 2:
            out.append(w[1:].lstrip("个件种项份类笔家位座次些一"))
        for t, f in toks[i + 1:i + 4]:
            if f in NOUNISH:
                out.append(t)
            elif f not in ("q", "m") or out:
                break
    return [w for w in out if w]


def _own_words(question: str, known: str) -> list[tuple[str, str]]:
    """The follow-up's own content words, each with the question's bigrams at its edges (jieba may cut 打造成 as
    打/造成: 打造 then counts), without the words of an anaphor (:func:`_referred`), document deixis (文章) or
    question words (干嘛); idioms jieba tags as numerals (一把手) count."""
    q = strip_end(question)
    toks = pos_tags(q)
    referred = _referred(q)
    idioms = [w for w, f in toks if f == "m" and len(w) >= 3 and not _NUMBER_ONLY.fullmatch(w) and not QWORDS.search(w)]
    words = [w for w in focus_words(q, f"{known} {' '.join(referred)}") if w not in _DOC_DEIXIS and w not in _SHOWS
             and not QWORDS.search(w) and not _ASKING.search(w)]
    words += [w for w in idioms if w not in known and w not in words]
    out = []
    for w in words:
        p = q.find(w)
        edges = [q[p - 1:p + 1] if p > 0 else "", q[p + len(w) - 1:p + len(w) + 1] if p >= 0 else ""]
        pos = [e for e in edges if len(e) == 2 and _dictionary_word(e)]
        out.append((w, pos[0] if pos else ""))
    return out


def _dictionary_word(word: str) -> bool:
    import jieba

    return bool(jieba.dt.FREQ.get(word))


#: one-character verbs that frame a question rather than name an event (是哪年的事, 在哪里, 说了什么)
_LIGHT_VERBS = set("是有在说要会能做搞干弄让叫给来去到")
#: verbs that frame what an event shows (这件事说明了什么): the answer says what, not the verb
_SHOWS = {"说明", "表明", "意味着", "显示", "反映", "体现", "证明"}
#: relative-time words that say the same thing in other words (后来几年还提吗？ ~ 此后的每一年)
_LATER = re.compile(r"后来|后面|之后|以后|此后|随后|后续")
_EARLIER = re.compile(r"以前|之前|此前|先前|早期|早先|最早|起初|当初")


#: a Latin abbreviation and the Chinese term it stands for are the same word (the article says both)
_ALIASES = {"ai": "人工智能"}


def _covered(sentence: str, word: tuple[str, str]) -> bool:
    """A content word (or its edge bigram) is in ``sentence``; a relative-time word by any word of its class."""
    for same in (_LATER, _EARLIER):
        if same.fullmatch(word[0]):
            return same.search(sentence) is not None
    if (alias := _ALIASES.get(word[0].lower())) and alias in sentence:
        return True
    return covers(sentence, word[0]) or bool(word[1]) and covers(sentence, word[1])


def _kind_given(question: str, sentence: str, known: str) -> bool:
    """哪种 N: the sentence names an N the conversation has not (首款存算一体芯片 for 哪种芯片)."""
    m = _KIND.search(strip_end(question))
    if not m:
        return False
    noun, text, seen = m.group(1), search_form(sentence), search_form(known)
    for hit in re.finditer(re.escape(search_form(noun)), text):
        before = text[max(0, hit.start() - 4):hit.start()]
        if len(before) >= 2 and before not in seen and not re.search(r"[,，。;；、:：]", before[-2:]):
            return True
    return False


def _holds(kind: str, question: str, cand: Answer, known: str) -> bool:
    """The sentence gives the kind of thing asked (the typed checks of :func:`rag.followup.check_answer_type`)."""
    if kind == "kind":
        return _kind_given(question, cand.citations[0].quote, known)
    quote = cand.citations[0].quote
    if kind == "purpose":
        return _PURPOSE.search(quote) is not None
    if kind == "name":  # a titled or quoted name, or a person's, that the conversation has not said
        seen = search_form(f"{question} {known}")
        names = titled_or_quoted(quote)
        if _PERSON_ASKED.search(question):  # 他叫什么, 记者叫什么: a person's name, after the role that introduces it
            names += [n for n in persons(quote) if plausible_name(n, quote) and re.search(_ROLE + re.escape(n), quote)]
        return any(search_form(n) not in seen for n in names)
    if kind == "when":
        return bool(re.search(r"(?:19|20)\d{2}年|\d{1,2}月|\d{1,2}日|[一二三四五六七八九十]+月", cand.citations[0].quote))
    return check_answer_type(cand, question, f"{question} {known}").answerable


def holds_kind(kind: str, question: str, cand: Answer, known: str) -> bool:
    """``cand``'s first quote gives the kind of thing asked (:func:`ask_kind`; public for :mod:`rag.sentence_choice`)."""
    return _holds(kind, question, cand, known)


def asks_something(question: str, known: str) -> bool:
    """The follow-up asks a typed thing or has a content word of its own: a sentence can be checked against it
    (中间一直都很顺吗？ cannot). Cheap: :mod:`rag.dialogue` asks it before looking for the previous answer's passage."""
    return ask_kind(question) != "open" or bool(_own_words(question, known))


def from_neighbourhood(refused: Answer, question: str, search_question: str, previous_question: str,
                       previous_answer: str, known: str, antecedent: str = "",
                       config: NeighbourConfig = NeighbourConfig()) -> Answer | None:
    """An answer to a refused follow-up from the sentences around the previous answer, or None (see the module).

    ``known``: the earlier turns' questions (and what a pronoun was read as): their words are not the follow-up's own.
    ``search_question`` and ``antecedent`` are not read (places and persons are checked on what the user typed).
    """
    if refused.answerable or not asks_something(question, known):
        return None
    kind, prev_kind = ask_kind(question), ask_kind(previous_question)
    words = _own_words(question, known)
    referred = [w for w in _referred(strip_end(question)) if len(w) >= 2]
    event = [w for w, f in pos_tags(strip_end(question)) if f == "v" and len(w) == 1 and w not in _LIGHT_VERBS
             and w not in known]
    if not words and kind == "open":
        return None  # nothing it asks can be shown in a sentence
    passages = list({c.chunk_id: c for c in refused.citations + refused.suggestions}.values())
    for dist, sent in neighbourhood(passages, previous_answer, config):
        if dist == 0 and kind == prev_kind and not words:
            continue  # the same kind of thing again about the same sentence: that was the previous answer
        if words and not all(_covered(sent.quote, w) for w in words):
            continue
        if kind in ("name", "who") and referred and not covers(sent.quote, referred[-1]):
            continue  # 那家创业公司叫什么名字？ names a company: the sentence must be about one (the head, 公司)
        if kind in ("when", "who") and not all(v in sent.quote for v in event):
            continue  # 哪天挂的牌？ asks when *that* happened: the sentence must say 挂
        cand = replace(refused, answer=f"{sent.quote}[1]", answerable=True, citations=[sent], suggestions=[])
        if kind != "open" and not _holds(kind, question, cand, known):
            continue
        cand = check_context(cand, question, "", previous_answer)  # what the user named (the rewrite's may be wrong)
        if cand.answerable:
            return cand
    return None
