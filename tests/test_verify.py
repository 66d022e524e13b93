"""The answer verifier (rag/verify.py): its file format, where it applies, and that the product scores a pair exactly
as the fitting script (bench/fit_verifier.py) does — with the real e5-small."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.errors import EmbedderError
from rag.select import LinearModel
from rag.verify import (VerifierWeights, add_verify, load_weights, pair_text, save_weights,
                        uses_verifier, verifier_for)

ROOT = Path(__file__).resolve().parents[1]


def _weights(fingerprint: str, seed: int = 0, layers=(10, 11)) -> VerifierWeights:
    rng = np.random.default_rng(seed)
    lora = {f"encoder.layer.{i}.attention.self.{k}": (rng.normal(0, 0.05, (4, 384)).astype(np.float32),
                                                      rng.normal(0, 0.05, (384, 4)).astype(np.float32))
            for i in layers for k in ("query", "value")}
    return VerifierWeights(fingerprint, lora, 2.0, rng.normal(0, 0.2, 384).astype(np.float32), 0.1, 64,
                           {"note": "test"})


def test_weights_round_trip_without_pickle(tmp_path):
    p = tmp_path / "v.npz"
    w = _weights("e5st-abc")
    save_weights(p, w)
    back = load_weights(p)
    assert back.fingerprint == "e5st-abc" and back.scale == 2.0 and back.bias == pytest.approx(0.1)
    assert set(back.lora) == set(w.lora)
    for n, (a, b) in w.lora.items():
        assert np.array_equal(back.lora[n][0], a) and np.array_equal(back.lora[n][1], b)
    assert np.array_equal(back.head, w.head) and back.meta == {"note": "test"}
    with np.load(p, allow_pickle=False) as z:  # plain arrays only
        assert all(z[k].dtype != object for k in z.files)


def test_a_damaged_file_says_how_to_refit(tmp_path):
    p = tmp_path / "v.npz"
    p.write_bytes(b"not a zip")
    with pytest.raises(EmbedderError, match="fit_verifier"):
        load_weights(p)
    assert load_weights(tmp_path / "missing.npz") is None


def test_another_embedder_gets_no_verifier_and_a_log_line(tmp_path, caplog):
    p = tmp_path / "v.npz"
    save_weights(p, _weights("e5st-trained-for-these"))
    with caplog.at_level(logging.WARNING, logger="rag.verify"):
        assert verifier_for("e5st-some-other-weights", p) is None
    assert "not used" in caplog.text
    assert verifier_for(None, p) is None


def test_add_verify_marks_unverified_candidates_when_no_verifier_applies(tmp_path):
    from rag.evidence import ScoredSentence
    from rag.records import Chunk, Hit
    from rag.select import Candidate

    chunk = Chunk(chunk_id="d-0000", doc_id="d", text="甲。乙。", start=0, end=4, section="")
    hit = Hit(chunk=chunk, score=1.0, rank=1, title="标题")
    cands = [Candidate(ScoredSentence(hit, 0, 2, "甲。", 1.0, 1.0, 1.0), {}, 0.9),
             Candidate(ScoredSentence(hit, 2, 4, "乙。", 0.5, 0.5, 0.5), {}, 0.4)]
    add_verify("问题", cands, "e5st-none", path=tmp_path / "missing.npz")
    assert [c.features["ag_verify"] for c in cands] == [-1.0, -1.0]
    assert uses_verifier(LinearModel(0.0, {"ag_verify": 1.0})) and not uses_verifier(LinearModel(0.0, {"cos": 1.0}))


def test_pair_text_puts_the_question_first():
    assert pair_text(" 谁建的 ", "故宫", "故宫由明成祖建造。") == "query: 谁建的 passage: 故宫。故宫由明成祖建造。"
    assert pair_text("谁建的", "", "x") == "query: 谁建的 passage: x"


def test_the_product_scores_pairs_as_the_fitting_script_does(tmp_path, embedder, e5_model):
    """Verifier.score (one full forward with the LoRA hooks) against fit_verifier's cached-lower-layers path: the same
    probabilities; and the LoRA and head change them (a verifier that ignored its weights would fail)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from fit_verifier import Encoder, FitConfig, predict

    from rag.verify import Verifier

    w = _weights(embedder.fingerprint, seed=1)
    q = "软枝黄蝉是什么科的植物？"
    pairs = [("软枝黄蝉", "软枝黄蝉是夹竹桃科黄蝉属的常绿攀援灌木。"), ("黄蝉", "黄蝉原产于巴西，现广植于热带地区。")]
    product = np.array(Verifier(w, e5_model).score(q, pairs))
    enc = Encoder(str(e5_model))
    cfg = FitConfig(rank=4, alpha=8.0, first_layer=10)
    states = enc.lower([pair_text(q, t, s) for t, s in pairs], cfg.first_layer)
    bench = predict(enc, states, w.lora, w.head, w.bias, cfg)
    assert np.allclose(product, bench, atol=0.02), (product, bench)
    plain = predict(enc, states, {}, w.head, w.bias, cfg)
    assert np.abs(plain - product).max() > 1e-3


def test_calibration_rows_get_the_verifier_score_of_the_selected_sentence_only():
    """bench/verifier_rows.attach_verify: the selector's best candidate carries its out-of-fold score, the others -1,
    and no text field reaches the fitting code."""
    sys.path.insert(0, str(ROOT / "bench"))
    from fit_verifier import pair_key
    from verifier_rows import attach_verify

    sel = LinearModel(0.0, {"coverage": 5.0})
    row = {"set": "cmrc_trial", "qid": "T_1_QUERY_0", "answerable": 1, "q": "问",
           "cands": [({"coverage": 0.1, "_s": "乙。", "_t": "题", "_c": "c0"}, 0),
                     ({"coverage": 0.9, "_s": "甲。", "_t": "题", "_c": "c0"}, 1)]}
    (out,) = attach_verify([row], {pair_key("问", "题", "甲。"): 0.7, pair_key("问", "题", "乙。"): 0.2}, sel, top=1)
    assert [f["ag_verify"] for f, _ in out["cands"]] == [-1.0, 0.7]
    assert not any(k.startswith("_") for f, _ in out["cands"] for k in f)
