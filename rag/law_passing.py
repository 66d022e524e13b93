"""A law the question is asked under, as the predicate that ends it (round 17): 按反家暴法处理吗, 受著作权法保护吗, 违反刑法吗.

Round 16 refused a first question about a law the index lacks only where the law is its subject (刑法规定…, 在刑法里…:
:func:`rag.law_names.law_subject`). A question that *ends* by asking how a law treats the matter makes the question
about that law too: :func:`law_asked_under` finds it, in the last clause only and only in these frames, each up to
the question's end (its marks, 吗/么/呢 aside):

- 违反 / 违背 / 触犯 + law (+的规定) (+吗): 老板不发工资违反刑法吗;
- 受 / 受到 / 不受 + law + 保护 / 约束 / 调整 / 管辖 (+吗): 新闻报道受著作权法保护吗;
- 按 / 按照 / 根据 / 依照 / 依据 / 适用 + law (+的规定) + a verdict: 处理 / 处罚 / 认定 / 算 …, 怎么 / 如何 + a verb
  (怎么处理, 怎么办, 怎么分), 算不算 …, 是否 …, 合法 / 有效 … (+吗).

Round 17's review (of 2d161d0) showed the looser first version refusing questions that only *mention* a law:
a law that introduces a clause asking something else (欧盟根据数字市场法对苹果罚款多少？, 上海根据人工智能条例设立了
什么机构？, 触犯刑法的员工公司能辞退吗, 不受著作权法限制的作品有哪些) is not read here, nor a law in an earlier clause
(a premise: 火车站根据《铁路法》…收取退票费的，是否恰当？). When in doubt this reads no law: the question then goes to
retrieval as before. :func:`held_name` tells a name the user gives a held title (交通安全法 of 道路交通安全法, 反家暴法,
新劳动法 of 劳动合同法); whether the index holds the law otherwise, and whether a held law repealed it, is for the caller
(:func:`rag.repealed.unheld_subject`). Nothing here searches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .law_names import law_keys, law_shape, name_key, shaped_name, whole_name

__all__ = ["held_name", "law_asked_under"]

#: the clause that asks: what follows the last clause mark
_CLAUSE_MARK = re.compile(r"[，,；;。！!？?：:]")
#: the marks and spaces a question may end with (违反刑法吗？！, 违反刑法吗，)
_END_MARKS = " \t\r\n？?！!。，,；;：:~～…"
_LAW = r"(《[^《》]{2,60}》|[\u4e00-\u9fa5]{1,20}?(?:法典|法|条例|通则|总则))"
_RULES = r"(?:的?(?:相关|有关)?规定)?"
_ASKS = r"(?:吗|么|呢|没有|没|了吗|与否)?"
#: each frame: the words before the law, and what follows it up to the end of the question
_FRAMES = [
    re.compile(rf"(?:违反|违背|触犯)了?{_LAW}{_RULES}{_ASKS}$"),
    re.compile(rf"(?:受到|不受|受){_LAW}的?(?:保护|约束|调整|管辖){_ASKS}$"),
    re.compile(rf"(?:按照|按|根据|依照|依据|适用){_LAW}{_RULES}(?:应该|应当|该|要|能|可以|能否|可否|会)?(?:来|去)?"
               r"(?:(?:怎么|如何|怎样)[\u4e00-\u9fa5]{1,3}|处理|处罚|认定|定性|判决?|判刑|算|赔偿?|追究|追责"
               rf"|算不算[\u4e00-\u9fa5]{{0,8}}|是否[\u4e00-\u9fa5]{{1,10}}|是?(?:合法|违法|有效|无效|合理|犯罪|侵权)){_ASKS}$"),
]
#: what the clause asks when it is not how the law treats the matter: an amount, a thing, a place, a person
_ASKS_OTHER = re.compile(r"多少|什么|哪|几|谁")
#: words before a law's name that say which version, not which law (新劳动法 is the 劳动法 in force)
_VERSION = re.compile(r"^(?:新|现行|我国|国家)")


def _last_clause(text: str) -> tuple[str, int]:
    """The clause of ``text`` that asks (after its last clause mark, marks at its end dropped) and where it starts."""
    body = text.rstrip(_END_MARKS)
    marks = [m.end() for m in _CLAUSE_MARK.finditer(body)]
    start = marks[-1] if marks else 0
    return body[start:], start


def law_asked_under(text: str) -> str:
    """The law ``text``'s last clause is asked under, as the predicate that ends it (see the module), in a title's
    shape, held by an index or not; '' for none.

    >>> law_asked_under("没结婚住在一起的男女朋友之间动手，也能按反家暴法处理吗?"), law_asked_under("新闻报道受著作权法保护吗？")
    ('反家暴法', '著作权法')
    >>> law_asked_under("老板不发工资违反刑法吗，"), law_asked_under("公司违反了《工资支付暂行规定》，我能辞职吗")
    ('刑法', '')
    >>> law_asked_under("欧盟根据数字市场法对苹果罚款多少？"), law_asked_under("触犯刑法的员工公司能辞退吗")
    ('', '')
    >>> law_asked_under("这种情况按民法总则处理吗"), law_asked_under("按合同约定的办法怎么处理")
    ('民法总则', '')
    """
    clause, start = _last_clause(text)
    for frame in _FRAMES:
        if not (m := frame.search(clause)) or _ASKS_OTHER.search(clause, m.end(1)):
            continue
        name = m.group(1)
        if name.startswith("《"):
            return law_shape(name)
        body = text[:start + len(clause)]
        if (law := shaped_name(name)) and whole_name(body, start + m.end(1), start + m.start(1)):
            return law
    return ""


def held_name(name: str, titles: Iterable[str]) -> bool:
    """Whether ``name`` (as the user wrote it, without 新 / 现行 / 我国 before it) is a name of one of ``titles``: one of
    its keys (:func:`rag.law_names.law_keys`), or, for three or more characters, that key's characters in order
    ending as it does (反家暴法 of 反家庭暴力法, 新劳动法 of 劳动合同法, 交通安全法 and 交通法 of 道路交通安全法). A
    two-character name must be a key itself (刑法 is not 刑事诉讼法's).

    >>> t = ["中华人民共和国道路交通安全法", "中华人民共和国反家庭暴力法", "中华人民共和国刑事诉讼法"]
    >>> held_name("交通安全法", t), held_name("反家暴法", t), held_name("新交通法", t), held_name("刑法", t)
    (True, True, True, False)
    """
    key = _VERSION.sub("", name_key(name))
    if len(key) < 2:
        return False
    for t in titles:
        for tk in law_keys(t):
            if tk == key:
                return True
            if len(key) < 3 or len(tk) <= len(key) or tk[-1] != key[-1]:
                continue
            it = iter(tk)
            if all(ch in it for ch in key):
                return True
    return False
