"""The sentence re-ranker's replay (bench/sentence_rerank*.py, issue 9 round 15; not shipped): the recorded rows
reproduce the product's quote on the real sample index, the re-ranked replay quotes as many sentences and never turns
an answer into a refusal or back, and the rank features are what the module says."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rag.answer import build_answer
from rag.retrieve import retrieve

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import sentence_rerank as SR
import sentence_rerank_fit as fit
from sentence_rerank_rows import cand_rows


def _row(cov, p, chunk, k, cos, lab=0, text=None, nm=False):
    return {"f": {"coverage": cov, "bigram": 0.0, "cos": cos}, "p": p, "chunk": chunk, "k": k, "lab": lab,
            "text": text or f"{chunk}{k}。", "nm": nm, "start": k * 10}


def test_extras_place_each_sentence_relative_to_the_best_lexical_match():
    rows = [_row(0.2, 0.9, "a", 3, 0.70), _row(0.8, 0.5, "a", 2, 0.80), _row(0.1, 0.4, "b", 0, 0.60),
            _row(0.3, 0.3, "a", 5, 0.75), _row(0.9, 0.1, "c", 1, 0.50)]
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


def test_the_replay_keeps_the_number_of_sentences_and_every_refusal():
    third_first = SR.RerankModel(["rr_rank1", "rr_rank2"], [-10.0, -10.0], [1.0, 1.0])
    one = {"q": "问题是什么？", "cands": [_row(0.5, 0.9, "a", 0, 0.7), _row(0.5, 0.3, "a", 1, 0.7),
                                          _row(0.5, 0.2, "a", 2, 0.7, lab=1), _row(0.5, 0.1, "a", 3, 0.7)]}
    assert fit.quote(one, None) == [0] and fit.quote(one, third_first) == [2]
    two = {"q": "问题是什么？", "cands": [_row(0.5, 0.9, "a", 0, 0.7), _row(0.5, 0.8, "a", 1, 0.7),
                                          _row(0.5, 0.2, "a", 2, 0.7), _row(0.5, 0.1, "a", 3, 0.7)]}
    assert fit.quote(two, None) == [0, 1] and fit.quote(two, third_first) == [2, 3]
    # the new quote is a near miss: the selector's own is kept (the check would refuse the new one)
    one["cands"][2]["nm"] = True
    assert fit.quote(one, third_first) == [0]
    # the selector's quote is refused by a check: the re-ranker cannot answer it
    one["cands"][0]["nm"] = True
    assert fit.quote(one, None) is None and fit.quote(one, third_first) is None


@pytest.mark.parametrize("question", ["长三角人工智能产业规模是多少？", "长三角有哪些城市发布了人工智能政策？"])
def test_the_recorded_rows_replay_the_quote_build_answer_gives(sample_index, embedder, question):
    hits = retrieve(sample_index, question, embedder=embedder, k=5)
    qv = embedder.embed_queries([question])[0]
    ans = build_answer(question, hits, idf=sample_index.keyword.idf, query_vector=qv, vectors=sample_index.sentences,
                       fingerprint=sample_index.manifest["embedder"].get("fingerprint"))
    row = {"q": question, "cands": cand_rows(question, hits, sample_index, qv, [])}
    picked = fit.quote(row, None)
    assert ans.answerable and picked
    got = "".join(row["cands"][i]["text"] for i in sorted(picked, key=lambda i: row["cands"][i]["start"]))
    assert "".join(got.split()) == "".join("".join(c.quote for c in ans.citations).split())
