"""The answer layer's exact speed-ups of round 16 (issue 11): same numbers, less repeated work.

A further reading of a follow-up answers another wording on the same passages; what depends only on the question
and a passage's topic (the predicate bigrams, the masked question) is now prepared once per passage
(:func:`rag.whq.aligner`), a sentence's number in its passage is found once per call (:func:`rag.select._positions`)
and the stored models are built once per stored dict. Each must give exactly what the code before gave: the
reference implementations below are the round-15 code, compared on random and real texts.
"""

from __future__ import annotations

import random

from rag.evidence import sentence_bigrams
from rag.whq import _content, _lcs, _mask, _TYPE_RE, aligner, parse, topic_bigrams


def _lcs_reference(q: str, s: str) -> int:
    best, i = 0, 0
    while i + best < len(q):
        if q[i:i + best + 1] in s:
            best += 1
        else:
            i += 1
    return best


def _align_reference(parts, sentence: str, topic: frozenset[str]) -> dict[str, float]:
    """rag.whq.align as of round 15."""
    from rag.whq import _longest_piece

    q = parts.content
    s = _content(sentence)
    pred = parts.bigrams - topic
    f = {"wh_left": max((_longest_piece(x, s, True) for x in parts.left), default=0) / 4.0,
         "wh_right": max((_longest_piece(x, s, False) for x in parts.right), default=0) / 4.0,
         "pred_bigram": sum(b in s for b in pred) / len(pred) if pred else 0.0,
         "lcs": min(_lcs_reference(q, s), 12) / 12.0,
         "pred_lcs": min(_lcs_reference(_mask(q, topic), s), 8) / 8.0}
    typ = _TYPE_RE.get(parts.wh_type or "")
    f["type_new"] = float(typ is not None and any(m.group(0) not in q for m in typ.finditer(s)))
    return f


_ALPHABET = list("西贡商信银行的总部在哪里谁多少年月日一二三2019，。、 ab")
_QUESTIONS = ["西贡商信银行的总部在哪里？", "温州人工智能局做什么？", "杭州有多少家企业？", "他是哪一年出生的？",
              "为什么叫西贡商信银行", "", "ab", "谁", "2019年一共有多少家银行的总部在西贡？"]


def test_lcs_with_a_cap_is_the_capped_longest_common_piece():
    rng = random.Random(16)
    for _ in range(5000):
        q = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 14)))
        s = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30)))
        full = _lcs_reference(q, s)
        assert _lcs(q, s) == full
        for cap in (0, 1, 3, 8, 12):
            assert _lcs(q, s, cap) == min(full, cap), (q, s, cap)


def test_aligner_gives_what_align_gave_for_every_sentence():
    """Fails before round 16 (no aligner); the features must equal the round-15 formula's, float for float."""
    rng = random.Random(160)
    sentences = ["该银行的总部位于胡志明市。", "温州人工智能局负责统筹推进算力建设", "杭州有741家企业", ""]
    sentences += ["".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 40))) for _ in range(600)]
    for question in _QUESTIONS + ["".join(rng.choice(_ALPHABET) for _ in range(12)) for _ in range(30)]:
        parts = parse(question.lower())
        for topic_text in ("西贡商信银行", "", "温州人工智能局 杭州"):
            topic = topic_bigrams(parts, topic_text)
            one = aligner(parts, topic)
            for s in sentences:
                assert one(s) == _align_reference(parts, s, topic), (question, topic_text, s)


def test_a_predicate_bigram_is_in_a_sentence_exactly_when_it_is_one_of_its_bigrams():
    rng = random.Random(161)
    for _ in range(5000):
        q = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 14)))
        s = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 30)))
        bi = parse(q).bigrams
        assert sum(b in _content(s) for b in bi) == len(bi & sentence_bigrams(s))


def test_sentence_numbers_by_offset_are_what_a_scan_finds():
    from types import SimpleNamespace

    from rag.select import _positions

    chunk = SimpleNamespace(sentences=[(0, 5), (5, 9), (5, 12), (12, 20)])  # a repeated start: the first wins
    other = SimpleNamespace(sentences=[(100, 110)])
    scored = [SimpleNamespace(hit=SimpleNamespace(chunk=c), start=s)
              for c, s in [(chunk, 5), (chunk, 0), (other, 100), (chunk, 12), (chunk, 7), (other, 5)]]

    def scan(s):
        return next((j for j, (a, _) in enumerate(s.hit.chunk.sentences) if a == s.start), None)
    assert _positions(scored) == [scan(s) for s in scored] == [1, 0, 0, 3, None, None]


def test_the_stored_models_are_built_once_and_answer_as_a_fresh_build():
    """Fails before round 16 (every question built its models anew from the stored dicts)."""
    import json

    from rag.select import CALIBRATION, LinearModel, _model, load_models

    cal = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    fp = cal["fitted_for"]["fingerprint"]
    a, b = load_models(fingerprint=fp, dense=True), load_models(fingerprint=fp, dense=True)
    assert a.selector is b.selector and a.refusal is b.refusal
    fresh_sel = LinearModel.from_dict(cal["models"]["dense"]["selector"])
    fresh_ref = _model(cal["models"]["dense"]["refusal"])
    rng = random.Random(162)
    names = sorted(set(fresh_sel.weights) | set(getattr(fresh_ref, "features", None) or fresh_ref.weights))
    for _ in range(2000):
        f = {n: rng.uniform(-2, 2) for n in names if rng.random() < 0.9}
        assert a.selector.probability(f) == fresh_sel.probability(f)
        assert a.refusal.probability(f) == fresh_ref.probability(f)
