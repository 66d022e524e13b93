"""Retrieval modes, script variants, refusal and the `rag ask --json` contract."""

from __future__ import annotations

import re

import pytest

from rag.answer import NOT_FOUND
from rag.errors import QueryError
from rag.qa import ask
from rag.retrieve import fuse, retrieve

WENZHOU = "人工智能局"


@pytest.mark.parametrize("question", ["温州人工智能局做什么", "溫州人工智慧局做什麼", "温州 人工智能局 职能"])
@pytest.mark.parametrize("mode", ["hybrid", "bm25", "dense"])
def test_simplified_and_traditional_find_the_bureau(sample_index, embedder, question, mode):
    hits = retrieve(sample_index, question, embedder=embedder, k=3, mode=mode)
    assert any(WENZHOU in h.chunk.text for h in hits)


def test_traditional_query_answers_from_simplified_text(sample_index, embedder):
    ans = ask(sample_index, "溫州人工智慧局做什麼?", embedder=embedder)
    assert ans.answerable and "算力" in ans.answer


def test_english_question_reaches_chinese_passage_through_dense(sample_index, embedder):
    hits = retrieve(sample_index, "integrated circuit industry share of the Yangtze River Delta",
                    embedder=embedder, k=3, mode="dense")
    assert hits and all(h.dense is not None for h in hits)
    assert any("集成电路" in h.chunk.text for h in hits)


def test_filter_by_document(sample_index, embedder):
    doc_id = next(iter(sample_index.documents))
    hits = retrieve(sample_index, "温州", embedder=embedder, doc_ids=[doc_id])
    assert hits and {h.chunk.doc_id for h in hits} == {doc_id}
    with pytest.raises(QueryError, match="Unknown document"):
        retrieve(sample_index, "温州", embedder=embedder, doc_ids=["nope"])


@pytest.mark.parametrize("bad", ["", "   ", "\n\t", "x" * 2001, 42, None])
def test_bad_questions_raise_query_error(sample_index, embedder, bad):
    with pytest.raises(QueryError):
        ask(sample_index, bad, embedder=embedder)


def test_unknown_mode(sample_index, embedder):
    with pytest.raises(QueryError, match="mode"):
        retrieve(sample_index, "温州", embedder=embedder, mode="magic")


def test_json_contract(sample_index, embedder):
    d = ask(sample_index, "温州人工智能局做什么", embedder=embedder).to_dict()
    assert set(d) >= {"question", "answer", "answerable", "citations", "timings_ms"}
    assert d["answerable"] is True and "算力" in d["answer"]
    assert set(d["timings_ms"]) == {"retrieve", "answer", "total"}
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", d["answer"])}
    assert markers == {c["n"] for c in d["citations"]} and markers
    for c in d["citations"]:
        assert set(c) >= {"n", "doc_id", "title", "section", "chunk_id", "start", "end", "quote", "text", "score"}
        doc = sample_index.documents[c["doc_id"]]
        assert doc.text[c["start"]:c["end"]] == c["text"]
        assert c["quote"] in c["text"]
        assert doc.text[c["quote_start"]:c["quote_end"]] == c["quote"]
        assert c["title"] == doc.title and isinstance(c["score"], float)


@pytest.mark.parametrize("question", ["北京的房价是多少", "今天天气怎么样", "如何办理护照"])
def test_refusal_is_plain_and_offers_suggestions(sample_index, embedder, question):
    ans = ask(sample_index, question, embedder=embedder)
    assert not ans.answerable
    assert ans.answer == NOT_FOUND and ans.citations == []
    assert ans.suggestions and all(s.quote in s.text for s in ans.suggestions)


def test_answers_never_quote_captions_or_pull_quotes(sample_index, embedder):
    doc = next(iter(sample_index.documents.values()))
    banned = [(b["start"], b["end"]) for b in doc.blocks if b["kind"] != "body"]
    for q in ["参观者在世界人工智能大会看什么", "本报记者是谁", "人工智能不再只是技术圈的热词"]:
        ans = ask(sample_index, q, embedder=embedder)
        for c in ans.citations:
            assert all(c.quote_end <= s or c.quote_start >= e for s, e in banned)


def test_broken_sentence_is_quoted_whole(sample_index, embedder):
    # the source breaks this sentence across a blank line ("…信息研究" / "所副所长丁波涛…")
    ans = ask(sample_index, "上海社会科学院信息研究所副所长丁波涛怎么分析区域竞争", embedder=embedder)
    assert ans.answerable
    assert any("上海社会科学院信息研究所副所长丁波涛分析" in c.quote for c in ans.citations)


def test_convex_fusion_prefers_agreement():
    fused = fuse({1: 0.9, 2: 0.8, 3: 0.7}, {2: 5.0, 3: 1.0}, weight=0.5)
    assert max(fused, key=fused.get) == 2
    rrf = fuse({1: 0.9, 2: 0.8}, {2: 5.0}, method="rrf", weight=0.5)
    assert max(rrf, key=rrf.get) == 2


def test_langchain_retriever_adapter(sample_home):
    from rag.lc import RagRetriever
    from rag.qa import Searcher

    docs = RagRetriever(searcher=Searcher(sample_home), k=2).invoke("温州人工智能局做什么")
    assert len(docs) == 2 and "人工智能局" in docs[0].page_content
    m = docs[0].metadata
    idx = Searcher(sample_home).index()
    assert idx.documents[m["doc_id"]].text[m["start"]:m["end"]] == docs[0].page_content
