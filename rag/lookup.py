"""Direct article references: “劳动合同法第三十八条规定了什么” means that article, not one like it.

A staff member looking something up names the law and the article (《中华人民共和国民法典》第一千零六十四条,
民法典第1064条, 劳动法第一百条是怎么规定的). Ranking by similarity alone gets these wrong: the implementing
regulation's own 第三十八条 shares every word with 劳动合同法第三十八条. :func:`find_references` reads such a
reference — a law name that is a document title of the index (with or without 中华人民共和国, in 《》 or not) followed
by 第X条 in Chinese or Arabic numerals — and returns the rows of the index holding that article (all of its parts
when a long article was split). :func:`rag.retrieve.retrieve` puts them first and marks them ``exact``; the statute
answerer quotes an exact hit without asking its refusal model.

A reference to an article that a held law does not have (劳动合同法第九百条) is reported by
:func:`missing_references`, and :func:`rag.qa.ask` says so instead of quoting a look-alike. This module does not
rank anything else, and a reference to a law the index does not hold is left to ordinary retrieval (and refusal).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .law_names import law_keys, law_name_in, law_named, resolve_title

if TYPE_CHECKING:
    from .index import Index

__all__ = ["ambiguous_article", "article_in_law", "article_number", "find_references", "missing_references",
           "names_article", "unread_references"]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_REFERENCE = re.compile(r"(?:《((?:[^《》]|《[^《》]{1,60}》){2,100})》|([\u4e00-\u9fa5（）()]{2,40}?))\s*第\s*([0-9０-９]{1,4}|[零〇一二两三四五六七八九十百千]{1,8})\s*条"
                        r"(?:之([一二三四五六七八九十]))?")
_ARTICLE_ALONE = re.compile(r"第\s*(?:[0-9０-９]{1,4}|[零〇一二两三四五六七八九十百千]{1,8})\s*条(?:之[一二三四五六七八九十])?")
#: a question that names its own law before the article (民法典第五条, 《…》第五条, 实施条例第五条)
_NAMES_LAW = re.compile(r"《|(?:法|法典|条例|解释|规定|办法|细则|决定)(?:里|中|的)?\s*第")
_LAW_BEFORE = re.compile(r"(?:》|法|法典|条例|解释|规定|办法|细则|决定)\s*$")
_BARE = re.compile(r"^(?:那么?|还有|再看看)?[，,\s]*(?:它|它的|这部法的?|该法的?|这个法的?)?\s*(第[^，,。？?!！]{1,12}条)(?:之[一二三四五六七八九十])?"
                   r"\s*(?:呢|是什么|说了什么|规定了什么|怎么规定|怎么说)?[？?。!！]*$")


def names_article(question: str) -> bool:
    """Whether ``question`` names an article by number (第二十条, 第1064条之一).

    >>> names_article("刑法第二十条是什么"), names_article("第一次离婚怎么办")
    (True, False)
    """
    return "条" in question and _ARTICLE_ALONE.search(question) is not None


def article_number(numeral: str) -> int | None:
    """``三十八`` → 38, ``一千零六十四`` → 1064, ``38``/``３８`` → 38; None when it is not a number."""
    numeral = numeral.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if numeral.isdigit():
        return int(numeral)
    total, digit = 0, None
    for ch in numeral:
        if ch in _DIGITS:
            digit = _DIGITS[ch]
        elif ch in _UNITS:
            total += (digit if digit is not None else 1) * _UNITS[ch]
            digit = None
        else:
            return None
    return total + (digit or 0) or None


def _article_key(label: str) -> tuple[int, int] | None:
    m = re.fullmatch(r"第([^条]+)条(?:之([一二三四五六七八九十]))?", label)
    if not m or (n := article_number(m.group(1))) is None:
        return None
    return n, article_number(m.group(2)) if m.group(2) else 0


def _article_rows(index: "Index") -> tuple[dict[tuple[str, tuple[int, int]], list[int]], dict[str, str]]:
    """(law title, article) → rows, and every name of a law (:func:`rag.law_names.law_keys`: 劳动合同法,
    婚姻家庭编解释一) → its full title, for every statute article of the index."""
    rows: dict[tuple[str, tuple[int, int]], list[int]] = {}
    titles: dict[str, str] = {}
    for r, c in enumerate(index.chunks):
        doc = index.documents.get(c.doc_id)
        if c.article and doc is not None and (key := _article_key(c.article)) is not None:
            rows.setdefault((doc.title, key), []).append(r)
            for name in law_keys(doc.title):
                titles.setdefault(name, doc.title)
    return rows, titles


def _references(index: "Index", question: str):
    """(law title, (number, 之-number), numeral as written, rows) for each reference to a law the index holds."""
    table, titles = index.derived("article_rows", lambda: _article_rows(index))
    if not titles:  # no statute articles in this index: nothing to look up
        return
    for m in _REFERENCE.finditer(question):
        number = article_number(m.group(3))
        if number is None:
            continue
        key = (number, article_number(m.group(4)) if m.group(4) else 0)
        # the law name is the longest tail of the words before 第 that names a law here (请问劳动合同法 → 劳动合同法;
        # 婚姻家庭编的解释（一） → the interpretation whose title holds it after its inner 《民法典》)
        if law := law_named(m.group(1) or m.group(2), titles):
            written = m.group(0)[m.group(0).rindex("第"):]
            yield titles[law], key, written, table.get((titles[law], key), [])


def find_references(index: "Index", question: str) -> list[int]:
    """Rows of the articles ``question`` names by law and number, in the order named; [] when none is held."""
    out: list[int] = []
    for *_, rows in _references(index, question):
        out += [r for r in rows if r not in out]
    return out


def missing_references(index: "Index", question: str) -> list[str]:
    """``《title》第X条`` for each article the question names in a held law that has no such article."""
    return [f"《{title}》{''.join(written.split())}" for title, _, written, rows in _references(index, question)
            if not rows]


def unread_references(index: "Index", question: str, all_titles, excluded, own_parts=()) -> tuple[str, list[str]]:
    """Whether every law ``question`` names with an article number (刑法第二十条) is one the index lacks (a name in a
    title's shape, :func:`rag.law_names.law_name_in`, resolving to none of ``all_titles``): ("unheld", [names]), or
    one the user's filter leaves out (``excluded``: titles → the excluded ones): ("excluded", [titles]); ("", [])
    otherwise (no such reference, a held law within the filter, or a mix) — such a question is not answered with
    another law's article of that number (round 15 review). ``own_parts``: titles an abbreviation + 通则 / 总则 names
    on its own (laws held laws repealed: 民法通则第一百三十五条 is not 民法典's; :func:`rag.law_names.resolve_title`)."""
    unheld, held = [], []
    for m in _REFERENCE.finditer(question):
        if article_number(m.group(3)) is None:
            continue
        name = m.group(1) or m.group(2)
        if title := resolve_title(all_titles, name, own_parts):
            held.append(title)
        elif law := law_name_in(f"《{name}》" if m.group(1) else f"{name}第"):
            unheld.append(law)
        else:
            return "", []  # a reference whose law is unclear: answered as before
    unheld, held = list(dict.fromkeys(unheld)), list(dict.fromkeys(held))
    if unheld and not held:
        return "unheld", unheld
    if held and not unheld and excluded(held) == held:
        return "excluded", held
    return "", []


def article_in_law(question: str, rewrite: str, law: str) -> str:
    """A follow-up naming an article by number alone (那第十九条呢？ 它的第三条呢？) in a conversation whose last answer
    quoted ``law`` → that law's article (``《law》第十九条规定了什么``; a longer question keeps its words around it);
    '' when the question or the rule's ``rewrite`` names a law itself (…第三十七条规定了什么 → 劳动合同法第三十八条…
    stays), it names no article, or there is no ``law``.

    >>> article_in_law("那第十九条呢？", "第十九条的用人单位不签书面劳动合同怎么办", "中华人民共和国劳动合同法")
    '《中华人民共和国劳动合同法》第十九条规定了什么'
    >>> article_in_law("它的第三条呢", "它的第三条的个人信息保护法第一条是什么", "中华人民共和国个人信息保护法")
    '《中华人民共和国个人信息保护法》第三条规定了什么'
    >>> article_in_law("第三十八条呢？", "劳动合同法第三十八条规定了什么", "中华人民共和国劳动合同法")
    ''
    """
    m = _ARTICLE_ALONE.search(question)
    if not law or not m or _NAMES_LAW.search(question):
        return ""
    article = "".join(m.group(0).split())
    if (i := rewrite.find(article)) >= 0 and _LAW_BEFORE.search(rewrite[:i]):  # the rule put it in a named law
        return ""
    title = law if "《" in law else f"《{law}》"  # a title with a nested 《》 (司法解释) is written as it is
    if _BARE.match(question.strip()):
        return f"{title}{article}规定了什么"
    return question[:m.start()] + title + article + question[m.end():]


def ambiguous_article(index: "Index", question: str) -> str:
    """A question that names an article by number alone (第十九条是什么？ 那第三条呢？), with no law anywhere in it, over
    an index where several laws have that article → a refusal that asks which law is meant (``资料中没有找到…``:
    answering with whichever passage mentions 第十九章 would be a guess); '' otherwise.

    >>> ambiguous_article(type("I", (), {"derived": lambda self, k, f: {19: ("甲法", "乙法")}})(), "第十九条是什么？")
    '资料中没有找到问题所指的法律：2部法律都有第十九条（《甲法》、《乙法》），请写明是哪部法律的第十九条。'
    """
    from .answer import REFUSAL_PREFIX

    m = _BARE.match(question.strip())
    if not m or "之" in m.group(0)[m.end(1) - m.start(0):]:
        return ""
    article = "".join(m.group(1).split())
    number = article_number(article[1:-1])
    titles = _article_titles(index).get(number, ()) if number else ()
    if len(titles) < 2:
        return ""
    shown = "、".join(f"《{t}》" for t in titles[:3]) + ("等" if len(titles) > 3 else "")
    return f"{REFUSAL_PREFIX}问题所指的法律：{len(titles)}部法律都有{article}（{shown}），请写明是哪部法律的{article}。"


def _article_titles(index: "Index") -> dict[int, tuple[str, ...]]:
    """``article number → titles of the laws that have it`` (each title once), once per loaded generation."""
    def build() -> dict[int, tuple[str, ...]]:
        out: dict[int, dict[str, None]] = {}
        docs = index.documents
        for c in index.chunks:
            if c.article and (n := article_number(c.article[1:-1])) and c.doc_id in docs:
                out.setdefault(n, {})[docs[c.doc_id].title] = None
        return {n: tuple(titles) for n, titles in out.items()}
    return index.derived(("lookup", "article_titles"), build)

