"""Law slots of a mixed index ranked as on a statute index (rag/law_route.py), on a real mixed index."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .conftest import LAWS, SAMPLE
from rag.errors import QueryError
from rag.law_route import fill_law_slots, law_adapter, statute_mask
from rag.retrieve import RetrieveConfig, retrieve

OFF = RetrieveConfig(mixed_law="off")
LAW_QUESTIONS = ("我签了一年的合同，试用期最多能定多久？", "公司不跟我签书面合同，能要几倍工资？", "加班费最少怎么算")
NEWS_QUESTIONS = ("温州人工智能局做什么", "杭州2021年有多少人工智能企业", "What does the Wenzhou AI bureau do?")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, embedder):
    """The sample article beside two labour laws: a mixed index (statutes and an untyped news article)."""
    from rag.index import open_index
    from rag.update import update_index

    src = tmp_path_factory.mktemp("law-route-src")
    shutil.copy(SAMPLE, src / SAMPLE.name)
    for rel in ("社会法/劳动合同法(2012-12-28).md", "社会法/劳动法(2018-12-29).md"):
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAWS / rel, src / rel)
    home = tmp_path_factory.mktemp("law-route-index")
    update_index([src], home=home, progress=False, embedder=embedder)
    return open_index(home)


@given(st.lists(st.integers(0, 30), unique=True, max_size=12), st.lists(st.integers(0, 30), unique=True, max_size=12))
def test_fill_keeps_other_rows_in_place_and_places_no_row_twice(order, law_order):
    is_law = lambda r: r % 2 == 0  # noqa: E731
    out = fill_law_slots(order, is_law, law_order)
    assert len(out) == len(order) and len(set(out)) == len(out)
    for a, b in zip(order, out):
        assert is_law(a) == is_law(b)
        if not is_law(a):
            assert a == b
    want = list(dict.fromkeys([r for r in law_order if is_law(r)] + [r for r in order if is_law(r)]))
    assert [r for r in out if is_law(r)] == want[:sum(map(is_law, order))]


def test_applies_to_mixed_indexes_only(mixed, law_home, built_home, embedder):
    from rag.index import open_index

    assert law_adapter(mixed, embedder) is not None and statute_mask(mixed).any() and not statute_mask(mixed).all()
    assert law_adapter(open_index(law_home), embedder) is None  # statute-only: the adapter applies to all of it
    assert law_adapter(open_index(built_home), embedder) is None  # no statute passage
    assert law_adapter(mixed, embedder, "off") is None
    with pytest.raises(QueryError, match="mixed_law"):
        retrieve(mixed, "加班费", embedder=embedder, config=RetrieveConfig(mixed_law="sometimes"))


def test_other_hits_and_every_slot_score_are_unchanged(mixed, embedder):
    mask = statute_mask(mixed)
    changed = 0
    for q in LAW_QUESTIONS + NEWS_QUESTIONS:
        off = retrieve(mixed, q, embedder=embedder, k=8, config=OFF)
        auto = retrieve(mixed, q, embedder=embedder, k=8)
        assert [h.score for h in auto] == [h.score for h in off]
        for a, b in zip(off, auto):
            row_a = mixed.chunks.index(a.chunk)
            assert bool(mask[row_a]) == bool(mask[mixed.chunks.index(b.chunk)])
            if not mask[row_a]:
                assert a.chunk.chunk_id == b.chunk.chunk_id
        assert not any(h.adapted for h in auto)  # the answer layer keeps its mixed-index refusal model
        assert len({h.chunk.chunk_id for h in auto}) == len(auto)
        changed += [h.chunk.chunk_id for h in off] != [h.chunk.chunk_id for h in auto]
        no_adapter = retrieve(mixed, q, embedder=embedder, k=8, config=RetrieveConfig(query_adapter="off"))
        assert [h.chunk.chunk_id for h in no_adapter] == [h.chunk.chunk_id for h in off]  # off turns it off here too
    assert changed >= 1  # the law slots were refilled for some question


@pytest.mark.parametrize("question, article", [
    ("被公司裁掉了，补偿金是怎么算的？", "第四十七条"),  # 经济补偿按…每满一年支付一个月工资 (off: 第八十七条)
    ("我在医疗期内生病请假，公司能直接找理由把我辞退吗？", "第四十二条"),  # 不得解除…医疗期内 (off: 劳动法第二十九条)
])
def test_lay_law_questions_get_the_article_first(mixed, embedder, question, article):
    hits = retrieve(mixed, question, embedder=embedder, k=5)
    assert hits[0].chunk.article == article and "劳动合同法" in hits[0].title


def test_a_named_article_still_comes_first(mixed, embedder):
    hits = retrieve(mixed, "劳动合同法第八十二条是怎么规定的", embedder=embedder, k=5)
    assert hits[0].exact and hits[0].chunk.article == "第八十二条"


def test_filters_and_document_lists_bound_the_law_ranking(mixed, embedder):
    from rag.filters import Filters

    q = "被公司裁掉了，补偿金是怎么算的？"
    one_law = retrieve(mixed, q, embedder=embedder, k=5, filters=Filters(law="劳动法"))
    assert one_law and all(h.title == one_law[0].title and "劳动合同法" not in h.title for h in one_law)
    news = sorted({c.doc_id for c in mixed.chunks if not mixed.documents[c.doc_id].meta.get("doc_type")})
    only_news = retrieve(mixed, q, embedder=embedder, k=5, doc_ids=news)
    assert [h.chunk.chunk_id for h in only_news] == [
        h.chunk.chunk_id for h in retrieve(mixed, q, embedder=embedder, k=5, doc_ids=news, config=OFF)]
    # a list holding one law: its slots are refilled from that law only (news alone has no slot to refill)
    labour = [d for d, doc in mixed.documents.items() if doc.title.endswith("劳动法")]
    some = retrieve(mixed, q, embedder=embedder, k=8, doc_ids=news + labour)
    assert any(h.general is not None for h in some) and {h.chunk.doc_id for h in some} <= set(news + labour)


def test_the_general_ranking_rides_along(mixed, embedder):
    """Each refilled slot remembers what the general ranking had there: together they are the ``off`` ranking."""
    for q in LAW_QUESTIONS + NEWS_QUESTIONS:
        auto = retrieve(mixed, q, embedder=embedder, k=8)
        off = retrieve(mixed, q, embedder=embedder, k=8, config=OFF)
        assert [(h.general or h).chunk.chunk_id for h in auto] == [h.chunk.chunk_id for h in off]
        assert all(h.general is None for h in off)
        assert all(h.general is None or h.general.chunk.chunk_id != h.chunk.chunk_id for h in auto)


def test_an_answer_from_refilled_slots_needs_the_general_ranking_to_answer(mixed, embedder):
    """The refusal models were fitted on general rankings: a refilled ranking answers only when the general
    one answers too (rag.qa._unless_general_refuses), else the general ranking's refusal is returned."""
    from dataclasses import replace

    from rag.answer import build_answer
    from rag.qa import _unless_general_refuses

    q = "被公司裁掉了，补偿金是怎么算的？"
    hits = retrieve(mixed, q, embedder=embedder, k=5)
    ans = build_answer(q, hits, idf=mixed.keyword.idf)
    assert ans.answerable
    answering = retrieve(mixed, q, embedder=embedder, k=5, config=OFF)
    assert build_answer(q, answering, idf=mixed.keyword.idf).answerable
    kept = [replace(h, general=g) for h, g in zip(hits, answering)]
    assert _unless_general_refuses(ans, q, kept, mixed, None, None) is ans
    refusing = retrieve(mixed, "高考加分政策有哪些", embedder=embedder, k=5, config=OFF)  # nothing on it here
    assert not build_answer(q, refusing, idf=mixed.keyword.idf).answerable
    out = _unless_general_refuses(ans, q, [replace(h, general=g) for h, g in zip(hits, refusing)], mixed, None, None)
    assert not out.answerable and out.suggestions
    # a conversation's second look (reconsider) on the same hits is held to the same check
    from rag.qa import _answer_as

    assert _answer_as(kept, mixed, None, None, q).answerable
    assert not _answer_as([replace(h, general=g) for h, g in zip(hits, refusing)], mixed, None, None, q).answerable


def test_a_general_refusal_suggests_labelled_articles(mixed, embedder):
    """When the general ranking refuses, its own hits are suggested: they are labelled 《…》第X条 like any statute
    citation although the refilled ranking may not hold them (they were left without a label)."""
    from rag.qa import ask

    outside = 0
    for q in LAW_QUESTIONS + ("我在医疗期内生病请假，公司能直接找理由把我辞退吗？", "租约到期了我接着住，房东也没说啥，这算什么？",
                              "高考加分政策有哪些", "试用期要交多少社保费？", "辞职要提前几天说？"):
        ids = {h.chunk.chunk_id for h in retrieve(mixed, q, embedder=embedder, k=5)}
        ans = ask(mixed, q, embedder=embedder)
        for c in ans.citations + ans.suggestions:
            statute = bool(mixed.documents[c.doc_id].meta.get("doc_type"))
            assert (c.label.startswith("《") and c.doc_type) if statute else not c.label
            outside += statute and c.chunk_id not in ids
    assert outside >= 1  # some suggestion came from the general ranking alone


def test_the_general_ranking_rides_along_in_context(mixed, embedder):
    """A follow-up re-ranked with its context (rag.context): the general ranking is re-ranked the same way, so the
    answer layer's check (rag.qa._unless_general_refuses) reads the ranking ``off`` gives in context (it read the
    refilled slots' general hits with their scores and ranks before the re-ranking)."""
    import functools

    from rag.context import retrieve_in_context

    refilled = 0
    for q, context in [("最多能定多久", "试用期 劳动合同"), ("能要几倍工资", "书面合同"), ("杭州呢", "人工智能企业")]:
        run = functools.partial(retrieve_in_context, functools.partial(retrieve, mixed), mixed, q, context,
                                embedder=embedder, k=5)
        auto, off = run(), run(config=OFF)
        assert [((h.general or h).chunk.chunk_id, (h.general or h).score, (h.general or h).rank) for h in auto] == \
            [(h.chunk.chunk_id, h.score, h.rank) for h in off]
        refilled += any(h.general is not None for h in auto)
    assert refilled >= 1  # some law slot was refilled in context
