"""Laws a held law repealed, read from the held law's own text (round 16).

A law's final article often repeals the laws it replaces: 民法典第一千二百六十条 “本法自2021年1月1日起施行。《中华人民共和国
婚姻法》、《中华人民共和国继承法》……同时废止。” Citizens still name those laws (婚姻法规定离婚冷静期多久？). :func:`repeal_clauses`
reads such clauses from a text — a sentence ending in 废止 (同时废止, 予以废止) that names laws in 《》, or (round 17) one
that opens with the title it ends with 不再执行, in a paragraph that also says when the repealing text itself takes
effect (本法自…起施行, 本条例自公布之日起施行, 本解释公布施行后, 本办法自…起实施), or right after a paragraph that is only
that — and :func:`repealed_laws` collects them over an index's statutes, once per loaded generation (old indexes need
nothing new). A repeal of some articles of a law (《乙办法》第五条、第六条同时废止) is not a repeal of that law and is not
read. :func:`superseded_by` says which held law replaced a law a user named (any of its names:
:func:`rag.law_names.law_keys`); :func:`unheld_subject` tells a question about a law the index lacks.

Nothing here is a list of laws: every repealed title and date comes from the index's own documents. A law the index
holds itself is never read as repealed here (its own text answers; its citations say 已废止). A repeal without a
successor (a decision that only abolishes, with no entry into force of its own beside it) is not read. This module
does not search, answer or word a refusal (:mod:`rag.qa` and :mod:`rag.restricted` do).

Parsing is linear in the text: one pass over the paragraphs holding 废止, bounded patterns in each.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .law_names import law_name_in, law_subject, name_key, resolve_title, titles_named
from .law_passing import held_name, law_asked_under
from .lookup import names_article
from .records import Superseded
from .textnorm import to_simplified

if TYPE_CHECKING:
    from .index import Index

__all__ = ["note_for", "repeal_clauses", "repealed_laws", "superseded_by", "superseded_note", "unheld_subject", "with_note"]

#: the repealing text's own entry into force, in the same paragraph: 本法自2021年1月1日起施行, 本条例自公布之日起施行,
#: 本解释公布施行后, 自本规定施行之日起; round 17 also 本实施条例 / 本规范 / 本安排, 本法（原称《…》）, 实施 / 实行 / 生效
#: (本办法自2004年1月1日起实施, 本解释发布实施后, 本安排生效之日) and 自本规定公布之日起
_IN_FORCE = re.compile(r"本(?:法典|法|实施条例|实施细则|条例|规定|办法|解释|决定|细则|规则|准则|规范|安排)(?:（[^（）]{1,40}）)?"
                       r"[^。；]{0,30}?(?:施行|实施|实行|生效)|自本[^。；]{1,8}(?:施行|公布)之日")
_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:起)?(?:施行|生效|实施|实行)")
#: a sentence that repeals: it ends in 废止 (同时废止, 予以废止, 即行废止), or (round 17) opens with the title it ends
#: (《…》（法发〔1995〕9号）自本解释公布之日起不再执行。)
_REPEALS = re.compile(r"废止[。；]?\s*$|^\s*《.*不再执行[。；]?\s*$")
#: a paragraph that is only its article's entry into force (第五十三条 本条例自2011年11月1日起施行。): a repeal in the
#: paragraph right after it, which starts no article, item or heading of its own, is read with it (round 17)
_ONLY_IN_FORCE = re.compile(r"(?:第[一二三四五六七八九十百千零〇\d]+条\s*)?本[^。；]{1,40}(?:施行|实施|实行|生效)。?")
_OWN_START = re.compile(r"\s*(?:第[一二三四五六七八九十百千零〇\d]+条|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|#)")
#: a title in 《》, one nested 《》 or <> level allowed (最高人民法院关于适用《…》…的解释), not followed by an article
#: number (《乙办法》第五条、第六条同时废止 repeals articles, not the law: round 17 review)
_TITLE = re.compile(r"《((?:[^《》]|《[^《》]{1,60}》){2,100})》(?!\s*第[一二三四五六七八九十百千零〇\d]+条)")


def repeal_clauses(text: str) -> list[tuple[str, str]]:
    """(repealed title as written, ISO date the repeal took effect or "") for each law ``text`` repeals together with
    its own entry into force, in order.

    >>> repeal_clauses("第一千二百六十条 本法自2021年1月1日起施行。《中华人民共和国婚姻法》、《中华人民共和国继承法》同时废止。")
    [('中华人民共和国婚姻法', '2021-01-01'), ('中华人民共和国继承法', '2021-01-01')]
    >>> repeal_clauses("第十五条 对不适当的行政强制及时予以修改或者废止。"), repeal_clauses("第九条 《甲条例》同时废止。")
    ([], [])
    >>> repeal_clauses("第三十条 本办法自2020年1月1日起施行。《乙办法》第五条、第六条同时废止。")
    []
    """
    out: list[tuple[str, str]] = []
    start = 0
    while (i := _next_repeal(text, start)) >= 0:
        a, b = text.rfind("\n", 0, i) + 1, text.find("\n", i)
        b = len(text) if b < 0 else b
        out += _paragraph_clauses(text[a:b], _previous_paragraph(text, a))
        start = b + 1
    return list(dict.fromkeys(out))


def _next_repeal(text: str, start: int) -> int:
    """Where the next 废止 or 不再执行 of ``text`` from ``start`` is, or -1."""
    found = [i for i in (text.find("废止", start), text.find("不再执行", start)) if i >= 0]
    return min(found) if found else -1


def _previous_paragraph(text: str, a: int) -> str:
    """The last non-blank line of ``text`` before offset ``a`` (a paragraph's start), or ''."""
    end = a
    while end > 0:  # over blank lines only: linear in the text over all paragraphs
        start = text.rfind("\n", 0, end - 1) + 1
        if line := text[start:end].strip():
            return line
        end = start
    return ""


def _paragraph_clauses(par: str, previous: str = "") -> list[tuple[str, str]]:
    """:func:`repeal_clauses` of one paragraph (an article's line); ``previous``: the paragraph before it, read as
    its entry into force when it is only that and ``par`` starts nothing of its own (round 17)."""
    if not _IN_FORCE.search(par):
        if not (_ONLY_IN_FORCE.fullmatch(previous) and _IN_FORCE.search(previous) and not _OWN_START.match(par)):
            return []
        par = f"{previous}{par}"  # the date is the previous paragraph's
    date = _DATE.search(par)
    since = f"{int(date.group(1)):04d}-{int(date.group(2)):02d}-{int(date.group(3)):02d}" if date else ""
    out = []
    for sentence in re.split(r"(?<=[。；])", par):
        if _REPEALS.search(sentence):
            out += [(m.group(1).strip(), since) for m in _TITLE.finditer(sentence)]
    return out


def repealed_laws(index: "Index") -> dict[str, tuple[str, str]]:
    """Repealed title → (the held title that repealed it, ISO date or "") over ``index``'s statutes in force, for
    titles the index does not hold (remembered per loaded generation); the latest repeal wins when two do."""
    def build() -> dict[str, tuple[str, str]]:
        docs = index.documents.values()
        held = {name_key(d.title) for d in docs}
        out: dict[str, tuple[str, str]] = {}
        for d in sorted(docs, key=lambda d: (str(d.meta.get("date") or ""), d.doc_id)):
            if not d.meta.get("doc_type") or d.meta.get("validity") == "已废止" or "废止" not in d.text:
                continue
            for title, since in repeal_clauses(d.text):
                if name_key(title) not in held and name_key(title) != name_key(d.title):
                    out[title] = (d.title, since)
        return out
    return index.derived(("repealed", "laws"), build)


def superseded_by(index: "Index", name: str) -> Superseded | None:
    """The held law that repealed the law ``name`` calls (as the user wrote it: 婚姻法, 《中华人民共和国合同法》,
    请问继承法), or None."""
    table = repealed_laws(index)
    if not table:
        return None
    # read among the held titles too: the longest name wins (劳动合同法 is held, not 合同法)
    names = index.derived(("repealed", "names"), lambda: sorted(set(table) | {d.title for d in index.documents.values()}))
    if (title := resolve_title(names, name)) not in table:
        return None
    by, since = table[title]  # the name as typed, without what follows it (婚姻法里怎么规定 → 婚姻法)
    return Superseded(named=law_name_in(name) or name.strip().strip("《》"), title=title, by=by, since=since)


def unheld_subject(index: "Index", question: str, titles: Sequence[str]) -> tuple[str, Superseded | None]:
    """The law ``question`` asks about — its subject (:func:`rag.law_names.law_subject`), or since round 17 the law
    the predicate that ends it is asked under (:func:`rag.law_passing.law_asked_under`: 按反家暴法处理吗, 违反刑法吗) —
    when the index (its sorted ``titles``) does not hold it, and the held law that repealed it if one did: (name as
    written, :class:`Superseded` or None); ("", None) when it asks about no law, a held one
    (by any of its names, :func:`rag.law_passing.held_name`: 交通安全法, 反家暴法) or a part of one (民法典总则,
    刑诉法总则), names a held law anywhere, or names an article (刑法第二十条: :func:`rag.lookup.unread_references`
    reads those after the search). Traditional script is read as simplified (勞動合同法 is 劳动合同法).

    >>> unheld_subject(None, "试用期最长多久", ["中华人民共和国劳动法"])
    ('', None)
    """
    simple = to_simplified(question)  # one character for one: offsets hold (著 stays 著 as typed, not 着)
    for q in dict.fromkeys((question, simple)):
        if names_article(q):
            return "", None
        if law := law_subject(q) or law_asked_under(q):
            break
    else:
        return "", None
    if (i := q.find(law)) >= 0:
        law = question[i:i + len(law)]  # as written
    names = list(dict.fromkeys((law, to_simplified(law))))
    repealed = list(repealed_laws(index))  # 民法通则 is a title of its own, not 民法 (民法典)'s part
    if any(resolve_title(titles, n, repealed) or any(name_key(n).startswith(name_key(t)) for t in titles)
           for n in names) or any(titles_named(titles, t, repealed) for t in dict.fromkeys((question, simple))):
        return "", None
    if (sup := next((s for n in names if (s := superseded_by(index, n)) is not None), None)) is not None:
        return law, sup  # 合同法: before 劳动合同法's other names (held_name)
    return ("", None) if any(held_name(n, titles) for n in names) else (law, None)


def note_for(answer: dict) -> str:
    """The line shown before an answer (``Answer.to_dict()``) to a question about a repealed law: the form that says
    the answer follows the successor when its first citation is the successor's (:func:`superseded_note`); ''
    when the question named no repealed law.

    >>> note_for({"answer": "资料中没有找到…", "citations": [], "superseded": {"named": "合同法", "by": "中华人民共和国民法典"}})
    '《合同法》已废止，由《中华人民共和国民法典》取代。'
    """
    if not (sup := answer.get("superseded")):
        return ""
    cites = answer.get("citations") or []
    return superseded_note(sup, bool(cites) and cites[0].get("title") == sup["by"])


def with_note(answer: dict) -> str:
    """The answer text a reader sees (``Answer.to_dict()``): :func:`note_for` on its own line before it when the
    question named a repealed law, else the answer as it is (CLI, ``/v1`` content, the UI's copy text).

    >>> with_note({"answer": "甲。[1]", "answerable": True, "superseded": None})
    '甲。[1]'
    """
    note = note_for(answer)
    return f"{note}\n{answer.get('answer', '')}" if note else answer.get("answer", "")


def superseded_note(sup: Superseded | dict, answered: bool = True) -> str:
    """The line shown before an answer quoting the successor (``answered``), or before any other answer or refusal,
    to a question about a repealed law.

    >>> s = Superseded("婚姻法", "中华人民共和国婚姻法", "中华人民共和国民法典", "2021-01-01")
    >>> superseded_note(s)
    '《婚姻法》已于2021年1月1日废止，以下依据取代它的《中华人民共和国民法典》。'
    >>> superseded_note(s.to_dict(), answered=False)
    '《婚姻法》已于2021年1月1日废止，由《中华人民共和国民法典》取代。'
    """
    d = sup.to_dict() if isinstance(sup, Superseded) else sup
    y, m, day = (d.get("since") or "--").split("-")[:3] if d.get("since") else ("", "", "")
    when = f"已于{int(y)}年{int(m)}月{int(day)}日废止" if y else "已废止"
    tail = f"以下依据取代它的《{d['by']}》" if answered else f"由《{d['by']}》取代"
    return f"《{d['named']}》{when}，{tail}。"
