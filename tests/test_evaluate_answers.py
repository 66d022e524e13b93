"""The answer layer: stored sentence vectors, learned selection, per-embedder models, one answering path."""

from __future__ import annotations

import json
import logging

import numpy as np

from rag.evaluate import EvalItem, evaluate, evaluate_dataset, score_answer
from rag.qa import ask
from rag.records import Answer, Citation
from rag.select import CALIBRATION, load_models
from rag.sentvec import sentence_texts


def test_sentence_vectors_are_stored_and_match_the_embedder(sample_index, embedder):
    sv = sample_index.sentences
    assert sv is not None
    items = sentence_texts(sample_index.documents, sample_index.chunks)
    assert [k for k, _ in items] == sv.keys  # one row per distinct body sentence, in chunk order
    pick = [0, len(items) // 2, len(items) - 1]
    fresh = embedder.embed_passages([items[i][1] for i in pick])
    np.testing.assert_allclose(sv.vectors[pick].astype(np.float32), fresh, atol=2e-2)
    assert sv.vectors.dtype == np.float16
    files = sample_index.manifest["files"]
    assert "sentvec.npy" in files and "sentvec.tsv" in files  # checksummed like every index file


def test_sentence_cosines_rank_the_chinese_answer_first_for_an_english_question(sample_index, embedder):
    # the stored vectors make cross-language matching a dot product; no Chinese term is shared here
    # (the learned models still refuse this question: see docs/answers.md, "Limits")
    q = "What does the Wenzhou AI bureau do?"
    qv = embedder.embed_queries([q])[0]
    sv = sample_index.sentences
    best = int(np.argmax(sv.cosines(qv, list(range(len(sv))))))
    doc_id, s, e = sv.keys[best]
    assert "人工智能局" in sample_index.documents[doc_id].text[s:e]


def test_other_embedder_gets_the_lexical_models_and_a_warning(caplog):
    fitted = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    assert load_models(fingerprint=fitted["fitted_for"]["fingerprint"], dense=True).kind == "dense"
    with caplog.at_level(logging.WARNING, logger="rag.select"):
        m = load_models(fingerprint="some-other-weights", dense=True)
    assert m.kind == "lexical" and "cos" not in m.selector.weights
    assert "lexical-only" in caplog.text and "some-other-weights" in caplog.text
    assert load_models(fingerprint=fitted["fitted_for"]["fingerprint"], dense=False).kind == "lexical"


def test_eval_answers_through_qa_ask_with_the_cleaned_question(sample_index, embedder):
    # raw question with a control character and traditional script: eval must answer what `rag ask` answers
    raw = "溫州人工智慧局\x07做什麼?"
    rows: list = []
    evaluate(sample_index, [EvalItem("1", raw, ["人工智能局"])], embedder=embedder, per_question=rows)
    direct = ask(sample_index, raw, embedder=embedder)
    assert rows[0]["answer"] == direct.answer and rows[0]["answerable"] == direct.answerable


def test_score_answer_counts_quotes_not_passages():
    cit = Citation(1, "d", "t", "", "c", 0, 10, quote="甲句。", text="甲句。乙句741家。", score=1.0)
    item = EvalItem("1", "q", ["741家"])
    s = score_answer(item, Answer("q", "甲句。[1]", True, [cit]))
    assert s == {"quote_hit": False, "passage_hit": True, "refused": False, "correct": False}
    refused = score_answer(EvalItem("2", "q", [], answerable=False), Answer("q", "…", False, []))
    assert refused["correct"] and refused["refused"]


def test_squad_eval_reports_refusals_with_the_own_article_removed(tmp_path):
    data = {"data": [
        {"title": "甲", "paragraphs": [{"context": "示例市数据局成立于2026年3月。它负责统筹全市公共数据资源。", "qas": [
            {"id": "a1", "question": "示例市数据局成立于什么时候", "answers": [{"text": "2026年3月"}]}]}]},
        {"title": "乙", "paragraphs": [{"context": "丙县图书馆周末开放到晚上九点。借书证免费办理。", "qas": [
            {"id": "b1", "question": "丙县图书馆周末开放到几点", "answers": [{"text": "晚上九点"}]}]}]}]}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "per_q.jsonl"
    res = evaluate_dataset(path, progress=False, per_question_path=out)["modes"]["hybrid"]
    assert res["removed_questions"] == 2
    assert 0.0 <= res["removed_refusal_recall"] <= 1.0 and "refused_answerable" in res
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert all("own_article_removed" in r for r in rows)
    # asked against the other article only, neither question can be answered
    assert res["removed_refusal_recall"] == 1.0
    assert res["answer_hit_quote"] == 1.0
