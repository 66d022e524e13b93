"""A law the question is asked under, named in its last clause (round 17): 按反家暴法处理吗, 受著作权法保护吗, 违反刑法吗.

Round 16 refused a first question about a law the index lacks only where the law is its subject (刑法规定…, 在刑法里…:
:func:`rag.law_names.law_subject`). A law named after a word that puts the question under it — 按 / 按照 / 根据 / 依照 /
依据 / 适用 (…怎么处理), 受 / 不受 / 受到 (…保护, 约束, 调整, 管辖), 违反 / 违背 / 触犯 (…吗) — in the clause that asks
(the last one) makes the question about that law too: :func:`law_asked_under` finds it. A law in an earlier clause is a
premise (火车站根据《铁路法》…收取退票费的，是否恰当？ is answered by 民法典第八百一十六条) and is not read here.
:func:`abbreviates` tells a shortened name of a held title (反家暴法 of 反家庭暴力法), which is then not a law the index
lacks. Whether the index holds the law is for the caller (:func:`rag.repealed.unheld_subject`); nothing here searches.
"""

from __future__ import annotations

import re

from .law_names import _shaped, _whole_name, law_shape, name_key

__all__ = ["abbreviates", "law_asked_under"]

#: the clause that asks: what follows the last clause mark that does not end the question
_CLAUSE_MARK = re.compile(r"[，,；;。！!？?：:]")
#: a word that puts the question under a law, the law (in 《》 or as words ending as a law's name does), what follows
_FRAME = re.compile(r"(按照?|根据|依照|依据|适用|不受|受到|受|违反了?|违背了?|触犯了?)"
                    r"(《[^《》]{2,60}》|[\u4e00-\u9fa5]{1,20}?(?:法典|法|条例))")
#: what must follow the law after each kind of word: 受…保护; 违反…吗 (the question asks whether it breaks that law)
_AFTER = {"受": re.compile(r"保护|约束|调整|管辖"),
          "违": re.compile(r"(?:的?(?:相关)?规定)?(?:吗|么|没有|没|了吗)?[？?！!。\s]*$")}


def _last_clause(text: str) -> tuple[str, int]:
    """The clause of ``text`` that asks (after its last clause mark that is not at the end) and where it starts."""
    body = text.rstrip(" \t？?！!。")
    marks = [m.end() for m in _CLAUSE_MARK.finditer(body)]
    start = marks[-1] if marks else 0
    return text[start:], start


def law_asked_under(text: str) -> str:
    """The law ``text``'s last clause is asked under (see the module), in a title's shape, held by an index or not;
    '' for none.

    >>> law_asked_under("没结婚住在一起的男女朋友之间动手，也能按反家暴法处理吗?"), law_asked_under("新闻报道受著作权法保护吗？")
    ('反家暴法', '著作权法')
    >>> law_asked_under("老板不发工资违反刑法吗"), law_asked_under("公司违反了《工资支付暂行规定》，我能辞职吗")
    ('刑法', '')
    >>> law_asked_under("火车站根据《铁路法》收取退票费的，是否恰当？"), law_asked_under("违反刑法的人会被开除吗")
    ('', '')
    >>> law_asked_under("按合同约定的办法怎么处理"), law_asked_under("按法律规定怎么处理")
    ('', '')
    """
    clause, start = _last_clause(text)
    for m in _FRAME.finditer(clause):
        word, name = m.group(1), m.group(2)
        after = _AFTER.get(word[0])
        if after is not None and not after.match(clause, m.end()):
            continue
        if name.startswith("《"):
            if law := law_shape(name):
                return law
            continue
        if (law := _shaped(name)) and _whole_name(text, start + m.end(2), start + m.start(2)):
            return law
    return ""


def abbreviates(name: str, titles) -> bool:
    """Whether ``name`` is a shortened name of one of ``titles``: its characters, in order, among a title's key's, with
    the same first and last character (反家暴法 of 反家庭暴力法; not 刑法 of 劳动法).

    >>> abbreviates("反家暴法", ["中华人民共和国反家庭暴力法"]), abbreviates("刑法", ["中华人民共和国劳动法"])
    (True, False)
    """
    key = name_key(name)
    for t in titles:
        tk = name_key(t)
        if len(key) < 2 or len(tk) <= len(key) or tk[0] != key[0] or tk[-1] != key[-1]:
            continue
        it = iter(tk)
        if all(ch in it for ch in key):
            return True
    return False
