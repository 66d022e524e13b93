"""Question-level refusal evidence: does what the question names agree with what would be quoted?

With the answering article gone, retrieval still returns *something*: often a
related article on the same topic (another company, another year, another
person), whose sentences hold the question's predicate and an answer of the
right type — about another entity. :func:`add_agreement` measures, for every
candidate sentence, its passage and the retrieved set as a whole (features named ``ag_*``;
the refusal model reads those of the best candidate):

- ``num_q`` / ``num_sent`` / ``num_passage``: whether the question names numbers or dates
  (2019年, 三次, 741) and the share of them found in the sentence / its passage;
- ``quoted_q`` / ``quoted_passage``: 《…》 / “…” titles in the question and the share found in the passage;
- ``key_sent`` / ``key_passage`` / ``key_title``: weighted share of the question's three heaviest terms
  (names, rare words: the entity asked about) in the sentence, the passage and its title;
- ``key2_missing``: the weight of the *second* heaviest term the passage lacks (the heaviest is in
  ``passage_missing_top`` already; the entity and the predicate both have to be there);
- ``ent_spread``: how many of the top passages name the heaviest term (one article about it, or many);
- ``head_passage`` / ``head_title`` / ``head_best``: the question's *subject* — its opening words up to
  the first function word (软枝黄蝉 in 软枝黄蝉的原生地在哪里, 耶律乞奴 in 耶律乞奴被谁所杀) — matched
  as one piece: the longest part of it found in the passage / its title / the best of the top passages,
  as a share of its length (the segmenter splits rare names into single characters, so term
  features see 黄蝉 in an article about 黄蝉 and call the subject present); ``head_len`` its length,
  ``head_anaphor`` whether it opens with 该/此/这/其 (the subject is not named at all); ``head_sent`` the
  same share for the sentence; ``title_in_q``: the passage title is in the question, whole (1) or as the
  tail of a longer name (0.5: 黄蝉 in 软枝黄蝉, another entity);
- ``score_gap`` / ``dense_gap`` / ``bm25_gap``: how far the first passage stands out from the second;
  ``both``: whether the sentence's passage was found by both retrievers; ``docs``: distinct documents
  among the hits.

Pure string work on folded text plus numbers the retrieval already computed
(well under a millisecond). This module does not fit or apply models (:mod:`rag.select` does).
"""

from __future__ import annotations

import functools
import re
from typing import Callable, Sequence

from .records import Hit

__all__ = ["add_agreement", "subject_head"]

_NUM = re.compile(r"[0-9]+(?:\.[0-9]+)?|[〇零一二三四五六七八九十百千万两]{2,}(?=[年月日次个家位名岁届])")
_QUOTED = re.compile(r"《([^》]{2,40})》|“([^”]{2,40})”|\"([^\"]{2,40})\"|「([^」]{2,40})」")


_HEAD_END = re.compile(r"[的是被在有为于和与曾将把对从自所由叫称位共在哪谁什几多何怎如吗呢，,。？?、 ]")
_ANAPHOR = "该此这其那"
_NOT_WORD = re.compile(r"[\W_]+")


_HEAD_STOP_WORDS = frozenset("""是否 位于 属于 由于 为了 为什么 什么 哪里 哪个 哪些 哪儿 哪年 多少 多久 多大 几个 如何 怎么 怎样
何时 何地 称为 被称为 叫做 曾经 对于 有没有 有多少 有哪些 有什么 共有 一共 所以 将会""".split())


@functools.lru_cache(maxsize=1024)
def subject_head(question: str) -> str:
    """The question's opening words up to the first function word (folded text), at most 12 characters.

    The text is cut between jieba words (round 6): a function-word character inside a word does not end
    the subject (中国有色金属工业协会, 国家自然科学基金 stay whole; round 5 cut them at 有 and 自).

    >>> subject_head("软枝黄蝉的原生地在哪里？"), subject_head("耶律乞奴被谁所杀？"), subject_head("该漫画是由谁创作的？")
    ('软枝黄蝉', '耶律乞奴', '该漫画')
    >>> subject_head("国家自然科学基金由哪个部门管理？")
    '国家自然科学基金'
    """
    from .tokenize import jieba_tokenizer

    head = ""
    for word in jieba_tokenizer().lcut(question, HMM=False):
        if len(_NOT_WORD.sub("", head)) >= 2 and (
                (len(word) == 1 and _HEAD_END.match(word)) or word in _HEAD_STOP_WORDS or word[:1] in "哪谁什几何怎"):
            break
        head += word
    return _NOT_WORD.sub("", head)[:12]


def _longest_in(piece: str, text: str) -> int:
    """Length of the longest substring of ``piece`` that occurs in ``text``."""
    best = 0
    for i in range(len(piece)):
        j = i + best + 1
        while j <= len(piece) and piece[i:j] in text:
            best, j = j - i, j + 1
    return best


def _title_in(title: str, question: str) -> float:
    """Whether the title (its parenthesised qualifier dropped) is in the question: 1 as a whole word,
    0.5 inside a longer name (黄蝉 in 软枝黄蝉的…: another, narrower entity), 0 not at all."""
    stem = _NOT_WORD.sub("", re.sub(r"[(（].*?[)）]", "", title))
    at = question.find(stem) if len(stem) >= 2 else -1
    if at < 0:
        return 0.0
    before = question[at - 1] if at > 0 else ""
    return 0.5 if before and not _HEAD_END.match(before) and before.isalnum() else 1.0


def _share(items: Sequence[str], text: str) -> float:
    return sum(x in text for x in items) / len(items) if items else 0.0


def add_agreement(question: str, hits: Sequence[Hit], cands: Sequence, idf: Callable[[str], float]) -> None:
    """Add the ``ag_*`` features above to every candidate's ``features`` (question-level ones are the same in all)."""
    from .evidence import term_weights
    from .textnorm import folded, search_form
    from .tokenize import tokenize

    if not cands:
        return
    q = search_form(question)
    nums = list(dict.fromkeys(m.group(0) for m in _NUM.finditer(q)))
    quoted = list(dict.fromkeys(next(g for g in m.groups() if g) for m in _QUOTED.finditer(q)))
    w = term_weights(list(dict.fromkeys(tokenize(question))), idf)
    heavy = sorted(w, key=lambda t: -w[t])[:3]
    hw = sum(w[t] for t in heavy) or 1.0
    top = (w[heavy[0]] if heavy else 0.0) or 1.0
    texts = {h.chunk.chunk_id: folded(h.chunk.text) for h in hits}
    titles = {h.chunk.chunk_id: folded(h.title) for h in hits}
    shared = {"ag_num_q": float(bool(nums)), "ag_quoted_q": float(bool(quoted)),
              "ag_ent_spread": sum(heavy[0] in t for t in texts.values()) / max(len(texts), 1) if heavy else 0.0}
    shared.update(_retrieval_gaps(hits))
    head = subject_head(q)
    head_in = {cid: _longest_in(head, t) / max(len(head), 1) for cid, t in texts.items()}
    shared.update({"ag_head_len": len(head) / 10.0, "ag_head_anaphor": float(head[:1] in _ANAPHOR if head else 0.0),
                   "ag_head_best": max(head_in.values(), default=0.0)})
    per_passage: dict[str, dict[str, float]] = {}
    for h in hits:
        text, cid = texts[h.chunk.chunk_id], h.chunk.chunk_id
        missing = sorted((w[t] for t in w if t not in text), reverse=True)
        per_passage[cid] = {"ag_num_passage": _share(nums, text), "ag_quoted_passage": _share(quoted, text),
                            "ag_key_passage": sum(w[t] for t in heavy if t in text) / hw,
                            "ag_key_title": sum(w[t] for t in heavy if t in titles[cid]) / hw,
                            "ag_key2_missing": (missing[1] if len(missing) > 1 else 0.0) / top,
                            "ag_both": float(h.dense is not None and h.bm25 is not None),
                            "ag_head_passage": head_in[cid],
                            "ag_head_title": _longest_in(head, titles[cid]) / max(len(head), 1),
                            "ag_title_in_q": _title_in(titles[cid], q)}
    sents = {id(c): folded(c.sentence.text) for c in cands}
    for c in cands:
        sent = sents[id(c)]
        c.features.update(shared)
        c.features.update(per_passage.get(c.sentence.hit.chunk.chunk_id, {}))
        c.features["ag_num_sent"] = _share(nums, sent)
        c.features["ag_key_sent"] = sum(w[t] for t in heavy if t in sent) / hw
        c.features["ag_head_sent"] = _longest_in(head, sent) / max(len(head), 1)


def _retrieval_gaps(hits: Sequence[Hit]) -> dict[str, float]:
    """How much the first passage stands out from the second (fused, dense, BM25), and distinct documents."""
    def gap(vals: list[float]) -> float:
        vals = sorted(vals, reverse=True)
        return vals[0] - vals[1] if len(vals) > 1 else (vals[0] if vals else 0.0)

    scores = [h.score for h in hits]
    dense = [h.dense for h in hits if h.dense is not None]
    bm25 = [h.bm25 for h in hits if h.bm25 is not None]
    return {"ag_score_gap": gap(scores) / (max(scores, default=0.0) or 1.0), "ag_dense_gap": gap(dense),
            "ag_bm25_gap": gap(bm25) / (max(bm25, default=0.0) or 1.0),
            "ag_docs": len({h.chunk.doc_id for h in hits}) / max(len(hits), 1)}
