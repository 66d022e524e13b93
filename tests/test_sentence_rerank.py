"""The sentence re-ranker (rag/sentence_rerank.py, issue 9 round 15) on the real sample index: it moves only the quote,
never whether to answer, never inside a follow-up; its replay (bench/sentence_rerank_fit.py) matches the product."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import rag.sentence_rerank as SR
from rag.answer import build_answer
from rag.followup_refusal import followups
from rag.retrieve import retrieve
from rag.select import CALIBRATION, candidates, load_models

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

QUESTION = "长三角人工智能产业规模是多少？"
OFF_TOPIC = "火星上一共有多少座城市？"


def _ask(index, embedder, question, **kw):
    hits = retrieve(index, question, embedder=embedder, k=5)
    qv = embedder.embed_queries([question])[0]
    return build_answer(question, hits, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences,
                        fingerprint=index.manifest["embedder"].get("fingerprint"), **kw), hits, qv


def _third_first(tmp_path, monkeypatch, fingerprint):
    """A model that puts the selector's third and fourth sentences before its first two (weights on the rank
    indicators)."""
    path = tmp_path / "rr.json"
    path.write_text(json.dumps({"fitted_for": {"embedder": "e5-small", "fingerprint": fingerprint},
                                "model": {"k": 4, "features": ["rr_rank1", "rr_rank2"], "weights": [-10.0, -10.0],
                                          "scale": [1.0, 1.0]}}),
                    encoding="utf-8")
    monkeypatch.setattr(SR, "MODEL", path)


def _selector_order(index, embedder, question):
    hits = retrieve(index, question, embedder=embedder, k=5)
    qv = embedder.embed_queries([question])[0]
    fp = index.manifest["embedder"].get("fingerprint")
    return candidates(question, hits, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences,
                      models=load_models(fingerprint=fp, dense=True))


def test_the_quote_comes_from_the_reranked_order_and_the_switch_turns_it_off(sample_index, embedder, tmp_path,
                                                                              monkeypatch):
    fp = sample_index.manifest["embedder"]["fingerprint"]
    _third_first(tmp_path, monkeypatch, fp)
    cands = _selector_order(sample_index, embedder, QUESTION)
    texts = list(dict.fromkeys(c.sentence.text for c in cands))
    off, _, _ = _ask(sample_index, embedder, QUESTION, rerank=False)
    on, _, _ = _ask(sample_index, embedder, QUESTION, rerank=True)
    assert off.answerable and on.answerable
    assert texts[0] in off.citations[0].quote
    assert texts[2] in on.citations[0].quote or texts[2] in "".join(c.quote for c in on.citations)
    assert all(texts[0] not in c.quote and texts[1] not in c.quote for c in on.citations)
    assert len(on.citations) <= len(off.citations)  # as many sentences as the selector's choice (merges aside)
    assert on.confidence == off.confidence  # the refusal model read the same candidates


def test_a_refusal_stays_a_refusal(sample_index, embedder, tmp_path, monkeypatch):
    _third_first(tmp_path, monkeypatch, sample_index.manifest["embedder"]["fingerprint"])
    off, _, _ = _ask(sample_index, embedder, OFF_TOPIC, rerank=False)
    on, _, _ = _ask(sample_index, embedder, OFF_TOPIC, rerank=True)
    assert not off.answerable and not on.answerable and on.confidence == off.confidence


def test_follow_ups_and_other_embedders_are_not_reranked(sample_index, embedder, tmp_path, monkeypatch):
    _third_first(tmp_path, monkeypatch, sample_index.manifest["embedder"]["fingerprint"])
    off, _, _ = _ask(sample_index, embedder, QUESTION, rerank=False)
    with followups():
        inside, _, _ = _ask(sample_index, embedder, QUESTION, rerank=True)
    assert [c.quote for c in inside.citations] == [c.quote for c in off.citations]
    assert SR.load("some-other-weights") is None


def test_extras_place_each_sentence_relative_to_the_best_lexical_match():
    def row(cov, p, chunk, k, cos):
        return {"f": {"coverage": cov, "bigram": 0.0, "cos": cos}, "p": p, "chunk": chunk, "k": k}

    rows = [row(0.2, 0.9, "a", 3, 0.70), row(0.8, 0.5, "a", 2, 0.80), row(0.1, 0.4, "b", 0, 0.60),
            row(0.3, 0.3, "a", 5, 0.75), row(0.9, 0.1, "c", 1, 0.50)]
    x = SR.extras(rows, k=4)
    assert len(x) == 4
    # best lexical match: row 4 (coverage 0.9), in passage c — none of the top 4 is there
    assert [v["rr_is_lex"] for v in x] == [0, 0, 0, 0] and all(v["rr_same_passage_lex"] == 0 for v in x)
    rows[4]["f"]["coverage"] = 0.0  # now row 1 (0.8) is: row 0 is the sentence after it, row 3 three after
    x = SR.extras(rows, k=4)
    assert [v["rr_is_lex"] for v in x] == [0, 1, 0, 0]
    assert x[0]["rr_after_lex"] == 1 and x[3]["rr_near_lex"] == 1 and x[2]["rr_same_passage_lex"] == 0
    assert x[1]["rr_cos_top"] == 1 and x[1]["rr_cos_rank"] == 1.0 and x[0]["rr_cos_rank"] == pytest.approx(1 / 3)
    assert x[0]["rr_rank1"] == 1 and x[0]["rr_logit_gap"] == 0 and x[1]["rr_logit_gap"] < 0
    model = SR.RerankModel(["rr_is_lex"], [1.0], [1.0])
    assert SR.order(rows, model) == [1, 0, 2, 3, 4]  # only the top 4 move; ties keep the selector's order


def test_the_replay_quotes_what_build_answer_quotes(sample_index, embedder, tmp_path, monkeypatch):
    """bench/sentence_rerank_fit.py replays the quote from recorded rows; it must match the product, on and off."""
    import sentence_rerank_fit as fit
    from sentence_rerank_rows import cand_rows

    fp = sample_index.manifest["embedder"]["fingerprint"]
    _third_first(tmp_path, monkeypatch, fp)
    model = SR.load(fp)
    for question in (QUESTION, "长三角有哪些城市发布了人工智能政策？"):
        hits = retrieve(sample_index, question, embedder=embedder, k=5)
        qv = embedder.embed_queries([question])[0]
        row = {"q": question, "cands": cand_rows(question, hits, sample_index, qv, [])}
        for m, flag in ((None, False), (model, True)):
            ans, _, _ = _ask(sample_index, embedder, question, rerank=flag)
            picked = fit.quote(row, m)
            if not ans.answerable:
                assert picked is None
                continue
            got = "".join(row["cands"][i]["text"] for i in sorted(picked, key=lambda i: row["cands"][i]["start"]))
            assert "".join(got.split()) == "".join("".join(c.quote for c in ans.citations).split())
