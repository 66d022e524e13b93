"""Off-topic check for statute answers: a question about a place that the quoted law never names.

When the question's own document is missing, a question about the news (苏州搞AI走的是啥路线？) can land on a
law article that shares a word with it (民法典第八百一十二条 … 运输路线) and the statute answerer, whose refusal is
tuned for lay wording far from the statute text, quotes it. Such questions name a city or province; the laws
citizens ask about are national and their questions rarely name one. So a statute answer is dropped (the reply is
the refusal) when the question names a province or city (:func:`rag.constraints.places_in`, counted only when it
is a word of its own in the question: 新民 inside 新民间借贷 is not a place) that neither the quoted articles nor
their law titles name, unless the question also uses a legal word (离婚, 工资, 赔偿, 合同 …: "在上海离婚，孩子归谁"
stays a law question).

Chosen on development data (``bench/answer_checks.py --check place``): no real law question of STARD's tune fold, everyday_dev,
round 5's or round 6's everyday sets names a place, so the check vetoes none of their answers, while it refuses
most news questions that land on a law once their article is gone. This module does not retrieve or score; it
never turns a refusal into an answer, and an article named by law and number (:mod:`rag.lookup`) is never dropped.
"""

from __future__ import annotations

import functools

from .constraints import Violation, places_in
from .records import Answer
from .textnorm import to_simplified

__all__ = ["LEGAL_CUES", "off_topic_place"]

#: words that make a question a law question whatever place it names (chosen by judgment, not fitted)
LEGAL_CUES = ("法", "律", "权", "违", "罚", "赔", "诉", "判", "犯", "罪", "侵", "合同", "婚", "继承", "遗嘱", "遗产",
              "工资", "劳动", "仲裁", "保险", "社保", "公积金", "责任", "义务", "租", "押金", "欠", "借款", "债",
              "辞退", "解除", "补偿", "抚养", "赡养", "监护", "登记", "许可", "拘留", "条例", "规定", "法院", "起诉",
              "退货", "消费者", "个人信息", "隐私", "物业", "业主", "户口", "身份证", "驾照", "交通事故", "加班",
              "休假", "年假", "产假", "工伤", "失业", "退休", "养老")


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> frozenset[str]:
    from .tokenize import jieba_tokenizer

    return frozenset(jieba_tokenizer().lcut(text))


def _own_word(place: str, words: frozenset[str]) -> bool:
    """``place`` is a jieba word of the question, alone or with an administrative suffix (杭州, 杭州市)."""
    return any(w == place or (w.startswith(place) and w[len(place):] in ("市", "省", "县", "区", "人"))
               for w in words)


def off_topic_place(question: str, answer: Answer) -> Violation | None:
    """The place that makes ``answer`` (a statute answer) off topic, or None (keep it).

    >>> from rag.records import Citation
    >>> c = Citation(n=1, doc_id="d", title="中华人民共和国民法典", section="", chunk_id="c", start=0, end=9,
    ...              quote="承运人应当按照约定的运输路线运输。", text="承运人应当按照约定的运输路线运输。", score=1.0)
    >>> a = Answer("q", "…[1]", True, [c])
    >>> off_topic_place("苏州搞AI走的是啥路线？", a)
    Violation(kind='place', value='苏州')
    >>> off_topic_place("在上海离婚，孩子归谁？", a) is None, off_topic_place("金融借款合同纠纷是否适用新民间借贷司法解释？", a) is None
    (True, True)
    """
    if not answer.answerable or not answer.citations:
        return None
    q = to_simplified(question)
    if any(cue in q for cue in LEGAL_CUES):
        return None
    context = to_simplified("\n".join(f"{c.title}\n{c.text}" for c in answer.citations))
    words = _words(q)
    for place in sorted(places_in(q, context)):
        if _own_word(place, words) and place not in context:
            return Violation("place", place)
    return None
