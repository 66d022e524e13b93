"""Round 11 (issue 9): the padded-index rows (bench/padded_rows.py) and the threshold bounds read off them
(bench/everyday_loro.py ``rule_threshold(base_sets=…)``). Small synthetic inputs: no index, no model."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import everyday_loro as loro  # noqa: E402
import padded_rows as pr  # noqa: E402

from rag.eval_data import read_squad  # noqa: E402


def test_the_drcd_padding_is_simplified_and_its_answers_still_lie_in_their_paragraphs(tmp_path):
    src = tmp_path / "t.json"
    context = "臺灣的軟體產業集中於新竹科學園區，園區成立於1980年。"
    src.write_text(json.dumps({"data": [{"title": "新竹科學園區", "paragraphs": [{"context": context, "qas": [
        {"id": "1-1-1", "question": "園區成立於哪一年？", "answers": [{"text": "1980年", "answer_start": 21}]},
        {"id": "1-1-2", "question": "哪裡集中了軟體產業？", "answers": [{"text": "新竹科學園區", "answer_start": 7}]}]}]}]},
                              ensure_ascii=False), encoding="utf-8")
    docs, items = read_squad(pr.simplified_squad(src, tmp_path / "s.json"))
    assert docs[0].title == "新竹科学园区" and "台湾的软件产业" in docs[0].text  # script and Taiwan phrasing
    assert items[0].question == "园区成立于哪一年？"
    assert all(a in docs[0].text for it in items for a in it.answers)
    assert items[0].source_docs == {docs[0].doc_id}


def test_padded_rows_share_the_article_key_of_the_unpadded_rows():
    import calibrate_answers as ca

    assert pr.group_of("cmrc_trial", "TRIAL_800_QUERY_3") == ca._article({"set": "cmrc_trial", "qid": "TRIAL_800_QUERY_3"})
    assert pr.group_of("drcd_tune", "1147-5-1") == ca._article({"set": "drcd_tune", "qid": "1147-5-1"})


def test_the_threshold_floor_is_read_off_the_named_row_sets():
    rng = np.random.default_rng(0)
    n = 400
    sets = np.array(["cmrc_trial"] * n + ["cmrc_trial_pad"] * n + ["everyday_r6"] * 40)
    y = np.array(([1] * (n // 2) + [0] * (n // 2)) * 2 + [1] * 30 + [0] * 10)
    p = np.where(y == 1, rng.uniform(0.3, 1.0, len(y)), rng.uniform(0.0, 0.4, len(y)))
    p[(sets == "cmrc_trial_pad") & (y == 0)] += 0.2  # harder negatives on the larger index
    hit = np.ones(len(y), dtype=int)
    thr_base = loro.rule_threshold("utility", p, y, sets, hit)
    thr_pad = loro.rule_threshold("utility", p, y, sets, hit, ("cmrc_trial_pad",))
    pad_neg = (sets == "cmrc_trial_pad") & (y == 0)
    assert (p[pad_neg] < thr_pad).mean() >= loro.FLOOR_RECALL  # the floor holds where it is read
    assert thr_pad > thr_base and (p[pad_neg] < thr_base).mean() < loro.FLOOR_RECALL
