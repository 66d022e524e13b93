"""A follow-up that names another law: that turn is searched in the law it names (round 14).

In a conversation about laws, “那消费者权益保护法呢？” after a labour question asks the same thing of another law. The
law follow-up layer (:mod:`rag.law_followup`) read it with the conversation's laws as a prior (:mod:`rag.law_prior`),
which pulled it back to the labour article. Here the law the follow-up names replaces the conversation's laws for
that turn: every reading is searched within it (``within_law`` of :func:`rag.qa.ask`: its versions, the current one
preferred), no law prior applies, and a bare follow-up (the law and 呢 / 里呢 / 怎么规定) is read as the previous
question with its law swapped for the named one (劳动合同法第十九条是什么 → 消费者权益保护法第十九条是什么; 试用期最长多久 →
消费者权益保护法里试用期最长多久). What that law does not provide for is refused by the ordinary answer layer.

A law is named when a span of the follow-up (:func:`rag.law_names.named_law_candidate`) names a title of the index
(:func:`rag.law_names.resolve_title`, checked by :func:`rag.law_route.law_documents` when the turn is asked: a name the
index does not hold is refused as below when it is written the way titles are, else left to the ordinary law
follow-up); a span naming a law the conversation already quoted is not a switch. :func:`named_law_turn` answers such a
turn through the law follow-up layer.

Round 15: a follow-up naming a law the index does not hold, written the way titles are (那刑法呢？, 那公司法里怎么规定？;
:func:`rag.law_names.law_shape`), is refused with “资料中没有找到《刑法》：资料库没有收录这部法律，无法回答。”
(``refusal_reason`` ``law_not_in_index``) instead of being answered from the conversation's law; a switched turn
refused by the answer models or the follow-up checks says it searched that law (``not_in_named_law``); a switch
under the user's filter searches the named law within the filter, and a filter that leaves it out is a refusal
that says so (``filter_excludes_law``, :func:`rag.qa.ask`). Round 16: a law the index lacks that a held law
repealed (那合同法呢？ → 民法典, :mod:`rag.repealed`) is searched in its successor, and the answer says so
(``Answer.superseded``). This module does not rank.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace

from .answer import NOT_FOUND
from .errors import LawNotFound
from .filters import FilterError
from .law_followup import ask_law_followup, previous_search
from .law_names import LAW_SUFFIX, law_name_in, name_key, named_law_candidate, resolve_title, without_lead
from .records import Answer
from .restricted import law_refusal, unheld_law_refusal
from .rewrite_rules import strip_end
from .statute_answer import NOT_FOUND as LAW_NOT_FOUND

__all__ = ["law_switch", "named_law_turn", "swapped_question", "without_laws"]

#: what a bare follow-up holds besides the law it names: 那…呢？ …里呢 …怎么规定 …是怎么说的
_BARE_REST = re.compile(r"^[\s，,。？?！!]*(?:里|中|上|的)?(?:面)?(?:呢|吗|怎么规定的?|是怎么规定的?|怎么说的?|是怎么说的?"
                        r"|有规定吗|有没有规定)?[\s，,。？?！!]*$")

#: the words between two laws named together (劳动法和消费者权益保护法); 共和国 is part of a title, not one
_AND = re.compile(r"(?<!共)[和与及跟、或]")
_ENDS_AS_LAW = re.compile(rf"{LAW_SUFFIX}$")


def _names(span: str) -> list[str]:
    """``span`` cut at 和/与/及/跟/、/或 into the names it holds: a piece that does not end as a law's name does
    (工伤和 … 规定) stays with the next one."""
    out, part, last = [], "", 0
    for m in _AND.finditer(span):
        piece = span[last:m.start()]
        if _ENDS_AS_LAW.search(piece):
            out.append(part + piece)
            part = ""
        else:
            part += piece + m.group(0)
        last = m.end()
    return out + [part + span[last:]]


def law_switch(question: str, quoted: Sequence[str]) -> str:
    """The law ``question`` names (as the user wrote it, without 那/请问 before it) when it is not one of the
    conversation's ``quoted`` laws; '' when it names none, or two or more different laws (劳动法和消费者权益保护法有什么区别:
    not a switch to one of them); whether the index holds it is checked when asked.

    >>> law_switch("那消费者权益保护法呢？", ["中华人民共和国劳动合同法"])
    '消费者权益保护法'
    >>> law_switch("劳动合同法里呢", ["中华人民共和国劳动合同法"]), law_switch("有什么办法", ["中华人民共和国劳动法"])
    ('', '有什么办法')
    """
    names = [n for span in named_law_candidate(question)
             for n in (_names(span) if not span.startswith("《") else [span.strip("《》")])]
    if len({name_key(without_lead(n)) for n in names}) > 1:
        return ""
    for span in names:
        name = without_lead(span)
        if len(name) >= 2 and not resolve_title(quoted, span, None):  # 民法通则 is no part of 民法典 here
            return name
    return ""


def swapped_question(question: str, name: str, previous: str, quoted: Sequence[str]) -> str:
    """A bare follow-up naming another law (那消费者权益保护法呢？) read as ``previous`` (what the last turn searched)
    with the law it named — a span naming one of ``quoted`` — replaced by ``name``, else with ``name`` before it;
    '' when the follow-up says more than the law (消费者权益保护法里退货期限是多久 stands alone).

    >>> swapped_question("那消费者权益保护法呢？", "消费者权益保护法", "劳动合同法第十九条是什么", ["中华人民共和国劳动合同法"])
    '消费者权益保护法第十九条是什么'
    >>> swapped_question("个人信息保护法里呢", "个人信息保护法", "试用期最长多久", ["中华人民共和国劳动法"])
    '个人信息保护法里试用期最长多久'
    >>> swapped_question("消费者权益保护法里退货期限是多久", "消费者权益保护法", "试用期最长多久", ["中华人民共和国劳动法"])
    ''
    """
    i = question.find(name)
    if i < 0 or not previous or not _BARE_REST.match(question[i + len(name):]) or without_lead(question[:i]).strip():
        return ""
    out, swapped = previous, False
    for span in named_law_candidate(previous):
        if resolve_title(quoted, span):
            out, swapped = out.replace(span, name, 1), True
    return out if swapped else f"{name}里{previous}"


def without_laws(text: str, quoted: Sequence[str]) -> str:
    """``text`` without the spans that name one of ``quoted`` (what the gate of a follow-up naming another law
    searches over the whole index: the matter asked, not the old law, which would pull that law up).

    >>> without_laws("劳动合同法第十九条是什么", ["中华人民共和国劳动合同法"]), without_laws("劳动法里试用期最长多久", ["中华人民共和国劳动法"])
    ('第十九条是什么', '试用期最长多久')
    """
    for span in named_law_candidate(text):
        if resolve_title(quoted, span):
            text = re.sub(rf"{re.escape(span)}(?:里面?|中|上)?", "", text, count=1)
    return text


def named_law_turn(ask: Callable[..., Answer], q: str, history: Sequence, previous_question: str,
                   quoted: Sequence[str], kw: dict) -> Answer | None:
    """A law follow-up that names a law the conversation did not quote (那消费者权益保护法呢？): every reading within
    that law, no law prior (:mod:`rag.law_switch`), under the user's filters (a filter leaving that law out is a
    refusal that says so: :func:`rag.qa.ask`). A law the index does not hold, named as titles are (那刑法呢？,
    :func:`rag.law_names.law_name_in`), is a refusal that says the library lacks it. None when it names no law (or
    a word the shape of a title does not fit: 有什么办法) or the user's document restriction chooses."""
    if not (name := law_switch(q, quoted)) or kw.get("doc_ids"):
        return None
    previous = previous_search(history, previous_question)
    rewrite = swapped_question(q, name, previous, quoted)
    # what is asked, without the law named now or the conversation's (rag.restricted: the gate's text)
    matter = (strip_end(without_laws(previous, quoted)) if rewrite else strip_end(q.replace(name, ""))) or previous
    seen: list[Answer] = []  # what each search within that law returned (its titles name the law: _said_named)

    def within(*a, **k) -> Answer:
        seen.append(ans := ask(*a, **{"within_law": name, "restricted": matter, **k}))
        return ans

    try:  # within_law is resolved before anything is searched: a name the index does not hold costs nothing
        ans = ask_law_followup(within, q, history, fallback=previous_question, rewrite=rewrite, stay=True, **kw)
    except FilterError:
        return None  # the user's filter itself is wrong: the ordinary path raises it
    except LawNotFound:  # no indexed law is called so (any other QueryError, a bad mode or k, is raised)
        return _unheld(q, law) if (law := law_name_in(q)) else None
    ans = _said_named(ans, name, seen)
    # a law a held law repealed (那合同法呢？) was searched in its successor (rag.qa._within): say so
    sup = ans.superseded or next((a.superseded for a in seen if a.superseded is not None), None)
    return replace(ans, superseded=sup) if sup is not None else ans


def _unheld(q: str, law: str) -> Answer:
    """The refusal of a follow-up naming ``law``, which the index does not hold."""
    return Answer(question=q, answer=unheld_law_refusal(law), answerable=False, citations=[], search_question=q,
                  refusal_reason="law_not_in_index")


def _said_named(ans: Answer, name: str, seen: Sequence[Answer] = ()) -> Answer:
    """A refusal of a turn searched within the law named ``name`` that says so: the answer layer's refusals do
    (:func:`rag.qa.ask`), a follow-up check's plain one (:func:`rag.answer_kind.refuse`) gets the law's title from
    what it suggests, else from what any search within that law (``seen``) cited or suggested (all within that law),
    else the name as typed."""
    if ans.answerable or ans.answer not in (NOT_FOUND, LAW_NOT_FOUND):
        return ans
    titles = {c.title for c in ans.suggestions}
    if not titles:
        titles = {c.title for a in seen for c in a.citations + a.suggestions if c.title}
    title = titles.pop() if len(titles) == 1 else name
    return replace(ans, answer=law_refusal(title), refusal_reason="not_in_named_law")
