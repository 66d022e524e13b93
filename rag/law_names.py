"""The names a law is called by in a question, from the index's own titles (round 14).

A user names a law by its title or by its usual short form: 中华人民共和国劳动合同法 → 劳动合同法; a judicial
interpretation whose title holds the law it applies (最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）)
→ 婚姻家庭编的解释（一）, 民法典婚姻家庭编解释一. :func:`name_key` writes any of these in one form (no 中华人民共和国,
《》, spaces, brackets or 的), :func:`law_keys` lists the keys of one title, and :func:`law_named` finds the
longest tail of a text that is such a key (请问劳动合同法 → 劳动合同法). Nothing here is a list of laws: every name comes
from a title of the index (or the caller's list of titles).

This module does not search or rank; :mod:`rag.lookup` (articles named by law and number), :mod:`rag.law_route`
(a search within one law) and :mod:`rag.dialogue` (a follow-up that names another law) use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["LAW_SUFFIX", "law_keys", "law_named", "name_key", "named_law_candidate", "resolve_title"]

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


def name_key(name: str) -> str:
    """``name`` written as :func:`law_keys` are: without 中华人民共和国, 《》, spaces, brackets or 的.

    >>> name_key("《中华人民共和国劳动合同法》"), name_key("婚姻家庭编的解释（一）")
    ('劳动合同法', '婚姻家庭编解释一')
    """
    return _DROP.sub("", name).replace(_PREFIX, "")


def law_keys(title: str) -> list[str]:
    """The keys (:func:`name_key`) a law titled ``title`` is named by: its title, and for a title that holds
    another (a judicial interpretation) also what follows the inner title, alone and after the inner title.

    >>> law_keys("最高人民法院关于适用《中华人民共和国民法典》婚姻家庭编的解释（一）")
    ['最高人民法院关于适用民法典婚姻家庭编解释一', '婚姻家庭编解释一', '民法典婚姻家庭编解释一']
    >>> law_keys("中华人民共和国劳动法")
    ['劳动法']
    """
    out = [name_key(title)]
    if (m := _NESTED.search(title)) and len(name_key(m.group(2))) >= 4:
        out += [name_key(m.group(2)), name_key(m.group(1)) + name_key(m.group(2))]
    return [k for i, k in enumerate(out) if k and k not in out[:i]]


def law_named(name: str, keys: Iterable[str]) -> str:
    """The longest tail of ``name`` (as :func:`name_key` writes it) that is one of ``keys``; '' for none.

    >>> law_named("请问劳动合同法", {"劳动合同法", "劳动法"}), law_named("那个办法", {"劳动法"})
    ('劳动合同法', '')
    """
    key, keys = name_key(name), set(keys)
    return next((key[i:] for i in range(max(len(key) - 1, 0)) if key[i:] in keys), "")


def named_law_candidate(text: str) -> list[str]:
    """The spans of ``text`` that could name a law (a 《title》, or a run of words up to the last word that ends as
    a law's name does), in order; whether one does is for :func:`resolve_title` against an index's titles.

    >>> named_law_candidate("那消费者权益保护法呢？"), named_law_candidate("有什么办法"), named_law_candidate("婚姻家庭编解释一里呢")
    (['那消费者权益保护法'], ['有什么办法'], ['婚姻家庭编解释一'])
    """
    return [m.group(0) for m in _CANDIDATE.finditer(text)]


def resolve_title(titles: Iterable[str], name: str) -> str:
    """The title among ``titles`` that ``name`` (a span of :func:`named_law_candidate`) names: the longest tail of
    ``name`` — cut after its last law-name ending, else an earlier one followed by a word that ends a name (里, 的,
    呢, 第…: not 劳动合同法|实施条例, a longer name) — that is a key of a title; '' for none.

    >>> ts = ["中华人民共和国劳动合同法", "中华人民共和国劳动合同法实施条例", "中华人民共和国消费者权益保护法"]
    >>> resolve_title(ts, "那劳动合同法实施条例"), resolve_title(ts, "消费者权益保护法里有没有规定办法")
    ('中华人民共和国劳动合同法实施条例', '中华人民共和国消费者权益保护法')
    >>> resolve_title(ts, "有什么办法"), resolve_title(ts[:1], "劳动合同法实施条例")
    ('', '')
    """
    keys: dict[str, str] = {}
    for t in titles:
        for k in law_keys(t):
            keys.setdefault(k, t)
    if (key := law_named(name, keys)):
        return keys[key]
    for m in reversed(list(_SUFFIX_END.finditer(name))):
        if _AFTER_NAME.match(name, m.end()) and (key := law_named(name[:m.end()], keys)):
            return keys[key]
    return ""
