"""Round 13: a law conversation's laws as a retrieval prior of its follow-ups (rag.law_prior), on a real index.

``law_home`` (conftest) indexes the civil code's 总则, the Labour Contract Law, its implementing regulation and two
versions of a small law. Every test here fails before round 13 (no rag.law_prior, no ``law_prior`` of rag.qa.ask,
no ``DialogueConfig.law_prior``): the first checks that the prior moves a candidate of the conversation's law to
the first place where the question alone ranks the civil code first.
"""

from __future__ import annotations

import functools

import pytest

from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.index import open_index
from rag.law_prior import LawPrior, conversation_laws, law_prior, retrieve_with_laws
from rag.qa import ask
from rag.retrieve import retrieve

LABOUR = "中华人民共和国劳动合同法"
CIVIL = "中华人民共和国民法典"


@pytest.fixture(scope="module")
def law_index(law_home):
    return open_index(law_home)


def _titles(index, hits):
    return [index.documents[h.chunk.doc_id].title for h in hits]


def _top(index, embedder, question, prior, k=5):
    return retrieve_with_laws(functools.partial(retrieve, index), index, question, prior, embedder=embedder, k=k)


def test_the_conversation_law_moves_first_where_the_question_alone_ranks_another_law(law_index, embedder):
    q = "违约了要赔多少？"  # asked alone, the civil code's 第一百八十六条 (违约责任) ranks first
    alone = retrieve(law_index, q, embedder=embedder, k=5)
    assert _titles(law_index, alone)[0] == CIVIL
    hits = _top(law_index, embedder, q, LawPrior((LABOUR,), 0.3, 0.05))
    assert _titles(law_index, hits)[0] == LABOUR
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]
    # the prior of the civil code keeps it first, and a prior of weight 0 is the ranking alone
    assert _titles(law_index, _top(law_index, embedder, q, LawPrior((CIVIL,), 0.3, 0.05)))[0] == CIVIL
    assert [h.chunk.chunk_id for h in _top(law_index, embedder, q, LawPrior((LABOUR,)))] == \
        [h.chunk.chunk_id for h in alone]


def test_the_prior_scores_only_candidates_of_the_quoted_laws_and_the_last_one_more(law_index, embedder):
    hits = retrieve(law_index, "劳动合同解除", embedder=embedder, k=20)
    prior = law_prior(law_index, hits, LawPrior((LABOUR, CIVIL), 0.3, 0.05))
    for h in hits:
        title = law_index.documents[h.chunk.doc_id].title
        assert prior.get(h.chunk.chunk_id, 0.0) == pytest.approx({LABOUR: 0.35, CIVIL: 0.3}.get(title, 0.0))


def test_a_named_article_stays_first_and_an_unknown_law_changes_nothing(law_index, embedder):
    hits = _top(law_index, embedder, "劳动合同法第三十八条规定了什么", LawPrior((CIVIL,), 0.5, 0.5))
    assert _titles(law_index, hits)[0] == LABOUR and hits[0].chunk.article == "第三十八条"
    q = "试用期最长多久"
    assert [h.chunk.chunk_id for h in _top(law_index, embedder, q, LawPrior(("中华人民共和国不存在法",), 0.3, 0.05))] \
        == [h.chunk.chunk_id for h in retrieve(law_index, q, embedder=embedder, k=5)]


def test_conversation_laws_most_recent_first_each_once():
    history = [Turn("q1", "《中华人民共和国民法典》第十七条 十八周岁以上的自然人为成年人。[1]"),
               Turn("q2", "资料中没有找到与该问题直接相关的法律条文。"),
               Turn("q3", "《中华人民共和国劳动合同法》第十九条 …[1]\n《中华人民共和国民法典》第十九条 …[2]")]
    assert conversation_laws(history) == (LABOUR, CIVIL)
    assert conversation_laws(history, max_turns=1) == (LABOUR, CIVIL)
    assert conversation_laws(history[:2]) == (CIVIL,)
    assert conversation_laws([Turn("q", "温州挂牌成立全国首个“人工智能局”。[1]")]) == ()


def test_a_law_followup_is_searched_with_the_conversation_laws_by_default(law_index, embedder):
    seen = []

    def one(question, **kw):
        seen.append(kw.get("law_prior"))
        return ask(law_index, question, embedder=embedder, **kw)

    first = ask_in_context(one, "试用期最长可以约定多久？", [])
    assert first.answerable and first.answer.startswith(f"《{LABOUR}》")
    history = [Turn("试用期最长可以约定多久？", first.answer, first.search_question)]
    seen.clear()
    ask_in_context(one, "试用期工资最低多少？", history)
    assert seen and all(p == LawPrior((LABOUR,), 0.3, 0.05) for p in seen)
    assert DialogueConfig().law_prior == 0.3 and DialogueConfig().law_prior_last == 0.05
    seen.clear()  # off: the round-12 path (no prior passed at all)
    ask_in_context(one, "试用期工资最低多少？", history, config=DialogueConfig(law_prior=0.0, law_prior_last=0.0))
    assert seen and all(p is None for p in seen)
    seen.clear()  # a first turn, or a conversation not about laws, gets no prior
    ask_in_context(one, "试用期工资最低多少？", [Turn("温州成立了什么？", "温州挂牌成立全国首个“人工智能局”。[1]")])
    assert all(p is None for p in seen)


def test_only_cited_laws_count_and_at_most_max_laws():
    """Review of round 13: a law named inside quoted text is not one the conversation cited; a client's history
    cannot make a turn look up an unbounded number of titles."""
    from rag.law_prior import MAX_LAWS

    inner = Turn("q", f"《{LABOUR}》第二十一条 劳动合同可以约定试用期。依照《{CIVIL}》第十条处理。[1]")
    assert conversation_laws([inner]) == (LABOUR,)
    marked = Turn("q", f"[1] 《{LABOUR}》第二十一条 …\n> 《{CIVIL}》第三条 …")
    assert conversation_laws([marked]) == (LABOUR, CIVIL)
    many = Turn("q", "\n".join(f"《测试{i}法》第一条 …" for i in range(3 * MAX_LAWS)))
    assert len(conversation_laws([many])) == MAX_LAWS


def test_unknown_titles_from_a_client_are_not_cached(law_index, embedder):
    """Titles come from a client's history: looking them up must not grow the index's per-generation cache."""
    q = "试用期最长多久"
    hits = retrieve(law_index, q, embedder=embedder, k=20)
    law_prior(law_index, hits, LawPrior((LABOUR,), 0.3, 0.05))
    before = len(law_index._derived)
    for i in range(50):
        law_prior(law_index, hits, LawPrior((f"不存在的第{i}部法", "劳动"), 0.3, 0.05))
    assert len(law_index._derived) == before
    assert law_prior(law_index, hits, LawPrior((), 0.3, 0.05)) == {}
    # a short title still selects the laws whose titles hold it, as Filters(law=…) would
    exact = law_prior(law_index, hits, LawPrior((LABOUR,), 0.3, 0.0))
    assert exact and set(exact) <= set(law_prior(law_index, hits, LawPrior(("劳动合同法",), 0.3, 0.0)))
