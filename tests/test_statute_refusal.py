"""The statute refusal for retrieval without the query adapter (bench/statute_refusal.py, models["dense_plain"])."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import statute_refusal as sr  # noqa: E402

from rag.select import LinearModel  # noqa: E402
from rag.statute_answer import STATUTE_MODELS, load_statute_models  # noqa: E402


def _file() -> dict:
    return json.loads(STATUTE_MODELS.read_text(encoding="utf-8"))


def test_retrieval_says_whether_the_adapter_scored_it(law_home, built_home, embedder):
    from rag.index import open_index
    from rag.retrieve import RetrieveConfig, retrieve
    law = open_index(law_home)
    q = "我想辞职，要提前多久跟单位说？"
    assert all(h.adapted for h in retrieve(law, q, embedder=embedder, k=3))  # statute-only index: adapter on
    assert not any(h.adapted for h in retrieve(law, q, embedder=embedder, k=3,
                                               config=RetrieveConfig(query_adapter="off")))
    assert not any(h.adapted for h in retrieve(open_index(built_home), "温州人工智能局做什么", embedder=embedder, k=3))
    assert not any(h.adapted for h in retrieve(law, q, k=3, mode="bm25"))


def test_plain_retrieval_gets_its_own_refusal_and_nothing_else_changes():
    d = _file()
    fp = d["fitted_for"]["fingerprint"]
    on = load_statute_models(fingerprint=fp, dense=True, adapted=True)
    off = load_statute_models(fingerprint=fp, dense=True, adapted=False)
    assert on.refusal.threshold == d["models"]["dense"]["refusal"]["threshold"]
    assert off.refusal.threshold == d["models"]["dense_plain"]["refusal"]["threshold"] != on.refusal.threshold
    assert off.article.weights == on.article.weights and off.second == on.second
    lex = [load_statute_models(fingerprint="other", dense=True, adapted=a) for a in (True, False)]
    assert lex[0].kind == lex[1].kind == "lexical" and lex[0].refusal.weights == lex[1].refusal.weights


@pytest.mark.parametrize("question", ["被公司辞退有补偿吗？", "合同到期公司不续签要给钱吗？"])
def test_an_answer_from_plain_retrieval_is_refused_by_the_plain_threshold(law_home, embedder, monkeypatch, question):
    """End to end (rag.qa.ask): without the query adapter (as on an index mixing laws with other documents) the
    refusal is dense_plain's; these everyday law questions' P lies between the two thresholds, so it decides."""
    import rag.statute_answer as sa
    from rag.index import open_index
    from rag.qa import ask
    from rag.retrieve import RetrieveConfig

    loaded, real = [], sa.load_statute_models
    monkeypatch.setattr(sa, "load_statute_models", lambda **kw: loaded.append(real(**kw)) or loaded[-1])
    models = _file()["models"]
    on_t, off_t = models["dense"]["refusal"]["threshold"], models["dense_plain"]["refusal"]["threshold"]
    law = open_index(law_home)
    plain = ask(law, question, embedder=embedder, config=RetrieveConfig(query_adapter="off"))
    assert loaded[-1].refusal.threshold == off_t
    assert off_t <= plain.confidence < on_t and plain.answerable, plain.confidence
    ask(law, question, embedder=embedder)  # a statute-only index: the adapter's refusal
    assert loaded[-1].refusal.threshold == on_t and load_statute_models(fingerprint=None, dense=False).kind == "lexical"


def test_shipped_plain_refusal_keeps_the_rule_for_each_kind_and_refuses_fewer_fair_everyday_questions():
    st = _file()["tune_stats"]["dense_plain"]
    ins, before, oof = st["in_sample"], st["before (the adapter model's refusal)"], st["out_of_fold"]
    for members in sr.GROUPS.values():
        n = sum(ins[k]["answerable"] for k in members)
        refused = sum(ins[k]["refused_answerable"] * ins[k]["answerable"] for k in members)
        assert refused / n <= sr.BUDGET + 1e-9  # the stated rule, on the rows it was fitted on
    for kind in ("everyday_dev", "everyday_heldout"):  # out of fold, fair everyday law questions refused less
        assert oof[kind]["refused_answerable"] < before[kind]["refused_answerable"]
        assert oof[kind]["refusal_precision"] > 0.6  # its refusals are still mostly right


def test_threshold_rule_is_the_lower_of_the_kinds_quantiles():
    model = LinearModel(0.0, {"x": 1.0})  # P rises with x
    feats = [{"x": v} for v in (*range(-10, 10), *range(-30, -10))]
    labels = [1] * 40
    kinds = ["stard_corpus"] * 20 + ["everyday_dev"] * 20
    t = sr.threshold(model, feats, labels, kinds, budget=0.1)
    assert t == pytest.approx(model.probability({"x": -28}))  # everyday's 10 % quantile is the lower one
    refused = [model.probability(f) < t for f in feats]
    assert sum(refused[20:]) == 2 and sum(refused[:20]) == 0


def test_the_model_file_note_names_what_each_model_is_fitted_on():
    import stard_answers

    d = _file()
    assert d["note"] == stard_answers.statute_note("dense_plain" in d["models"])
    assert "everyday_dev" in d["note"] and "sample_eval" in d["note"] and "report" not in d["note"]


def test_the_row_collector_restores_the_patched_article_features():
    import statute_kinds

    import rag.statute_answer as sa

    real = sa.article_features
    with pytest.raises(RuntimeError), statute_kinds._capture():
        assert sa.article_features is not real
        raise RuntimeError("a failing collection")
    assert sa.article_features is real


def test_the_statute_fit_names_the_commands_that_make_its_missing_inputs(tmp_path):
    import argparse

    import stard_answers

    a = argparse.Namespace(cmd="fit", set=tmp_path / "stard", fold="report", cross_fit_adapter=True,
                           adapter_index=str(tmp_path / "full"))
    with pytest.raises(SystemExit, match="bench/statute_corpus.py"):
        stard_answers.check_inputs(a)
    (a.set / "home").mkdir(parents=True)
    (a.set / "stard_tune.jsonl").write_text("", encoding="utf-8")
    with pytest.raises(SystemExit, match="lawrefbook.tar.gz"):
        stard_answers.check_inputs(a)


def test_no_answerable_rows_is_a_clear_error_not_a_traceback():
    with pytest.raises(SystemExit, match="no answerable rows"):
        sr.threshold(LinearModel(0.0, {"x": 1.0}), [{"x": 1.0}], [0], ["stard_corpus"])


def test_a_law_missing_from_the_archive_is_named(tmp_path, monkeypatch):
    import io
    import tarfile

    import doc_sets

    archive = tmp_path / "laws.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        data = "# 示范法\n".encode()
        info = tarfile.TarInfo("lawrefbook/示范法.md")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(doc_sets, "ARCHIVE", archive)
    docs = doc_sets.DocSet(("lawrefbook/示范法.md",), tmp_path / "cmrc.json", ())
    assert docs.law_texts() == {"law:lawrefbook/示范法.md": "# 示范法\n"}
    with pytest.raises(SystemExit, match="lawrefbook/缺失法.md is missing"):
        doc_sets.DocSet(("lawrefbook/缺失法.md",), tmp_path / "cmrc.json", ()).law_texts()
