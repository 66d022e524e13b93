"""The statute article chooser (rag/statute_choice.py): the tree model, the shipped file, and answers on questions
written for this test (not taken from any evaluation set)."""

from __future__ import annotations

import pytest

import rag.answer as A
from rag.statute_choice import (
    CHOICE_MODEL,
    ChoiceModel,
    Trees,
    choose,
    load_choice_model,
)
from rag.textnorm import search_form

_STATUTE_ANSWER = A.statute_answer  # the answerer itself (each run below wraps it)

#: (a citizen's question, a string of the article that answers it) — written for this test over the law_home
#: fixture's laws (民法典 总则, 劳动合同法, 劳动合同法实施条例)
QUESTIONS = [
    ("试用期最长可以约定多久？", "试用期不得超过六个月"), ("公司一直不跟我签劳动合同，能要双倍工资吗？", "二倍的工资"),
    ("七岁的小孩自己买了个游戏机，算数吗？", "不满八周岁的未成年人为无民事行为能力人"),
    ("我想辞职，要提前多久跟公司说？", "提前三十日以书面形式通知用人单位"), ("公司裁员，补偿金怎么算？", "每满一年支付一个月工资"),
    ("人失踪多久可以申请宣告死亡？", "下落不明满四年"), ("派遣来的工人和正式工同样的活，工资能一样吗？", "同工同酬"),
    ("竞业限制最长能限制几年？", "不得超过二年"), ("别人欠钱不还，过了几年就告不了了？", "诉讼时效期间为三年"),
    ("入职时公司要扣押我的身份证，合法吗？", "居民身份证"), ("我怀孕了，公司能把我辞退吗？", "孕期、产期、哺乳期"),
    ("多大年纪算成年人？", "十八周岁以上的自然人为成年人"), ("在一家公司连续干了十年，能要求签无固定期限的合同吗？", "连续工作满十年"),
    ("公司发的工资比最低工资还低怎么办？", "最低工资标准"), ("被人骗着签的合同能撤销吗？", "以欺诈手段"),
    ("公司没提前通知就解除合同，要多给一个月工资吗？", "额外支付劳动者一个月工资"), ("小孩的监护人是谁？", "父母是未成年子女的监护人"),
    ("公司不给加班费怎么办？", "加班费"), ("劳动合同到期不续签有补偿吗？", "经济补偿"),
    ("十六岁的孩子自己打工挣钱，算完全民事行为能力人吗？", "以自己的劳动收入为主要生活来源"),
    ("签合同的时候公司收押金合法吗？", "不得要求劳动者提供担保"), ("法人的住所在哪里？", "主要办事机构所在地"),
    ("违约金公司可以随便约定吗？", "不得与劳动者约定由劳动者承担违约金"),
]


def test_trees_route_left_at_or_below_the_threshold():
    t = Trees.from_dict({"names": ["a", "b"], "base": 0.0,
                         "trees": [[[0, 0.5, 1, 2, 0.0], [-1, 0.0, -1, -1, -2.0], [-1, 0.0, -1, -1, 2.0]],
                                   [[1, 0.0, 1, 2, 0.0], [-1, 0.0, -1, -1, 0.5], [-1, 0.0, -1, -1, -0.5]]]})
    assert t.probability({"a": 0.5, "b": 0.0}) == pytest.approx(1 / (1 + 2.718281828459045 ** 1.5))
    assert t.probability({"a": 0.6, "b": 1.0}) == pytest.approx(1 / (1 + 2.718281828459045 ** -1.5))
    assert t.probability({}) == t.probability({"a": 0.0, "b": 0.0})  # a missing feature counts as 0


def test_shipped_model_is_for_the_default_embedder_only(embedder):
    assert load_choice_model(embedder.fingerprint) is not None
    assert load_choice_model("another-embedder") is None and load_choice_model(None) is None
    import json
    data = json.loads(CHOICE_MODEL.read_text(encoding="utf-8"))
    assert "stard_tune" in data["fitted_on"]["sets"] and not any("heldout9" in s or "heldout10" in s
                                                                for s in data["fitted_on"]["sets"])


def test_choose_quotes_the_top_hit_and_at_most_one_other():
    from rag.records import Chunk, Hit
    hits = [Hit(Chunk(f"c{i}", "d", 0, 4, "第一条 文字", article=f"第{i + 1}条"), 1.0 - i / 10, i + 1, title="某法")
            for i in range(3)]
    arts = [{"inv_rank": 1 / (i + 1), "cos": 0.8, "coverage": 0.5} for i in range(3)]
    always = ChoiceModel(Trees(("rank1",), 5.0, ()), 0.5)  # every other article at P ≈ 1
    never = ChoiceModel(Trees(("rank1",), -5.0, ()), 0.5)
    assert choose(always, "问题", hits, arts) == [0, 1]
    assert choose(never, "问题", hits, arts) == [0]
    assert choose(always, "问题", hits[:1], arts[:1]) == [0] and choose(always, "问题", [], []) == []


def _answers(home, monkeypatch, choice: bool):
    from rag.qa import Searcher
    inner = _STATUTE_ANSWER

    def with_choice(*a, **kw):
        if not choice:
            kw["choice"] = False
        return inner(*a, **kw)

    monkeypatch.setattr(A, "statute_answer", with_choice)
    s = Searcher(home)
    return [s.ask(q) for q, _ in QUESTIONS]


def _quotes(ans, gold: str) -> bool:
    return ans.answerable and any(search_form(gold) in search_form(c.quote) for c in ans.citations)


def test_chooser_quotes_the_answering_article_from_ranks_2_to_5(law_home, monkeypatch):
    off = _answers(law_home, monkeypatch, choice=False)
    on = _answers(law_home, monkeypatch, choice=True)
    assert [a.answerable for a in on] == [a.answerable for a in off]  # it never changes a refusal
    assert all(len(a.citations) <= 2 for a in on)
    i = [q for q, _ in QUESTIONS].index("被人骗着签的合同能撤销吗？")
    assert not _quotes(off[i], QUESTIONS[i][1]) and _quotes(on[i], QUESTIONS[i][1])  # 第一百四十八条 at rank 2-5
    assert on[i].citations[0].chunk_id == off[i].citations[0].chunk_id  # the top article is still quoted first
    hit_on = sum(_quotes(a, g) for a, (_, g) in zip(on, QUESTIONS))
    hit_off = sum(_quotes(a, g) for a, (_, g) in zip(off, QUESTIONS))
    assert hit_on >= hit_off


def test_the_chooser_is_asked_only_for_the_embedder_it_was_fitted_for():
    """Another embedder's index (or the lexical models) never gets the e5-fitted trees: ``_picks`` gives [] and the
    answerer keeps the article model's choice; the fitted embedder's index does get them."""
    import json

    from rag.records import Chunk, Hit
    from rag.select import LinearModel
    from rag.statute_answer import StatuteModels, _picks
    fitted = json.loads(CHOICE_MODEL.read_text(encoding="utf-8"))["fitted_for"]["fingerprint"]
    hits = [Hit(Chunk(f"c{i}", "d", 0, 4, "用人单位应当支付工资。", article=f"第{i + 1}条"), 1.0 - i / 10, i + 1,
                title="某法") for i in range(3)]
    arts = [{"inv_rank": 1 / (i + 1), "cos": 0.8, "coverage": 0.5} for i in range(3)]
    flat = LinearModel(0.0, {})
    dense, lexical = StatuteModels("dense", flat, flat), StatuteModels("lexical", flat, flat)
    q = "工资什么时候发？"
    assert _picks(None, fitted, dense, q, q, hits, arts)[:1] == [0]  # the shipped chooser answers
    assert _picks(None, "another-embedder", dense, q, q, hits, arts) == []
    assert _picks(None, None, dense, q, q, hits, arts) == []
    assert _picks(None, fitted, lexical, q, q, hits, arts) == []
    assert _picks(False, fitted, dense, q, q, hits, arts) == []


def test_short_title_is_linear_and_agrees_with_the_plain_regex():
    """A hostile title of brackets must not stall an answer; the linear reading agrees with the regex it replaces."""
    import random
    import re
    import time

    from rag.statute_choice import _drop_final_bracket

    rng = random.Random(0)
    for _ in range(20000):
        s = "".join(rng.choice("()（）a\n") for _ in range(rng.randint(0, 10)))
        assert _drop_final_bracket(s) == re.sub(r"[（(].*?[）)]$", "", s), repr(s)
    assert _drop_final_bracket("中华人民共和国民法典（2020年）") == "中华人民共和国民法典"
    t0 = time.perf_counter()
    _drop_final_bracket("(" * 50000 + ")")
    _drop_final_bracket("（" * 50000)
    assert time.perf_counter() - t0 < 0.5
