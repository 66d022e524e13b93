"""Round-9 bench pieces: weak (situation → article) pairs from judicial interpretations (bench/stard_weak_pairs.py)
and the per-question weights of the query adapter's training (bench/fit_query_adapter.py train(weights=…))."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from fit_query_adapter import FitConfig, train
from stard_weak_pairs import pairs_of

TEXT = """# 最高人民法院关于审理医疗损害责任纠纷案件适用法律若干问题的解释

## 第一章 一般规定

第四条 患者依据民法典第一千二百一十八条规定主张医疗机构承担赔偿责任的，应当提交到该医疗机构就诊、受到损害的证据。

第十九条 两个以上医疗机构的诊疗行为造成患者同一损害，依照民法典第一千一百六十八条、第一千一百七十一条的规定，确定赔偿责任。

第二十条 本解释自公布之日起施行。
"""


def test_pairs_drop_the_citation_and_keep_every_cited_article():
    pairs = list(pairs_of(TEXT))
    assert [(law, arts) for _, law, arts in pairs] == [
        ("民法典", ["第一千二百一十八条"]), ("民法典", ["第一千一百六十八条", "第一千一百七十一条"])]
    situation = pairs[0][0]
    assert "民法典" not in situation and "第一千" not in situation and situation.startswith("患者主张医疗机构")


def _toy(seed: int = 0):
    g = np.random.default_rng(seed)
    P = g.standard_normal((60, 8)).astype(np.float32)
    P /= np.linalg.norm(P, axis=1, keepdims=True)
    golds = [{int(i)} for i in g.integers(0, 60, 20)]
    Q = P[[next(iter(s)) for s in golds]] + 0.8 * g.standard_normal((20, 8)).astype(np.float32)
    Q /= np.linalg.norm(Q, axis=1, keepdims=True)
    return Q.astype(np.float32), golds, P


def test_unit_weights_train_as_no_weights_and_zero_weight_rows_do_not_count():
    Q, golds, P = _toy()
    cfg = FitConfig(rank=0, l2=0.01, steps=20, hard=5, shared=20)
    have = np.ones(len(P), bool)
    plain = train(Q, golds, P, have, cfg)[20]["A"]
    ones = train(Q, golds, P, have, cfg, weights=np.ones(20, np.float32))[20]["A"]
    assert np.allclose(plain, ones, atol=1e-6)
    # ten extra rows at weight 0 leave the fit as it was (same negatives: the shared sample is drawn from P)
    Q2 = np.vstack([Q, Q[:10][::-1]])
    w = np.concatenate([np.ones(20), np.zeros(10)]).astype(np.float32)
    zero = train(Q2, golds + golds[:10], P, have, cfg, weights=w)[20]["A"]
    assert np.allclose(plain, zero, atol=1e-5)
    assert not np.allclose(plain, train(Q2, golds + golds[:10], P, have, cfg)[20]["A"], atol=1e-5)
