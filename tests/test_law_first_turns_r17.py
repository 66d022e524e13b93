"""Round 17 (issue 10, h2): the first-law-question analysis (bench/law_first_turns.py) and the law-slot adapter
fine-tune (bench/law_slot_adapter.py). Real index (part of the shipped laws), real e5; the adapter is not shipped,
so these check the bench tools: the data tiers they read, the grouping of the keep rule, and that the fine-tune moves
a training question's gold article up."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import law_first_turns as lft  # noqa: E402
import law_slot_adapter as lsa  # noqa: E402

from rag.eval_data import EvalItem  # noqa: E402


def test_the_analysis_reads_development_sets_only():
    names = [Path(p).name for _, p in lft.dev_sets()]
    assert "dialogues_heldout15_laws.jsonl" in names and "everyday_heldout.jsonl" in names
    assert "everyday_dev.jsonl" in names and len(names) == 23
    assert not any(n.startswith(("dialogues_heldout16", "everyday_heldout16", "dialogues_heldout17",
                                 "everyday_heldout17")) for n in names)  # validation and held out in round 17
    assert all((ROOT / "bench" / "data" / n).exists() for n in names)


def test_rounds_put_a_rounds_dialogue_and_everyday_questions_together():
    items = [("dialogue9", EvalItem("a", "q", ["x"])), ("everyday9", EvalItem("b", "q", ["x"])),
             ("everyday_dev", EvalItem("c", "q", ["x"])), ("dialogue10", EvalItem("d", "q", ["x"]))]
    f = lsa.rounds_of(items)
    assert f[0] == f[1] and len({f[0], f[2], f[3]}) == 3


@pytest.fixture(scope="module")
def law_index(law_home):
    from rag.index import open_index

    return open_index(law_home)


def _article_text(index, title_part: str, label: str) -> str:
    docs = index.documents
    return next(c.text for c in index.chunks if docs[c.doc_id].title.endswith(title_part) and c.article == label)


def test_questions_sharing_a_gold_article_share_a_fold(law_index):
    probation = _article_text(law_index, "劳动合同法", "第十九条")[8:30]  # one gold article, two wordings
    items = [("everyday5", EvalItem("p1", "试用期最长多久", [probation])),
             ("dialogue7", EvalItem("p2", "试用期能约定几个月", [probation]))]
    items += [("everyday6", EvalItem(f"o{n}", "其他问题", [_article_text(law_index, "劳动合同法", label)[8:30]]))
              for n, label in enumerate(("第三条", "第十条", "第三十八条", "第四十七条", "第八十二条", "第九十条"))]
    golds = lsa.gold_rows(law_index, items)
    assert all(golds) and golds[0] == golds[1]
    folds = lsa.folds_of(law_index, items, golds)
    assert folds[0] == folds[1] and set(folds) <= set(range(lsa.K))
    assert len(set(folds)) > 1  # the other articles do not all fall with them


def test_the_fine_tune_moves_a_training_questions_gold_up_and_no_steps_change_nothing(law_index, embedder):
    from dataclasses import replace

    from rag.law_route import statute_mask

    gold = _article_text(law_index, "劳动合同法", "第八十二条")[8:30]  # 未订立书面劳动合同 … 二倍的工资
    items = [("everyday5", EvalItem("w", "入职两个月老板不签合同能要什么赔偿", [gold]))]
    golds = lsa.gold_rows(law_index, items)
    Q = embedder.embed_queries([items[0][1].question]).astype(np.float32)
    P = law_index.dense.vectors().astype(np.float32)
    rows = np.flatnonzero(statute_mask(law_index))
    base = np.zeros((Q.shape[1], Q.shape[1]), np.float32)
    cfg = replace(lsa.CONFIG, hard=20, shared=64)
    assert not lsa.train_delta(Q, golds, P, rows, base, replace(cfg, steps=0)).any()

    def gold_rank(M):
        v = Q[0] + Q[0] @ M.T
        order = rows[np.argsort(-(P[rows] @ (v / np.linalg.norm(v))))]
        return min(int(np.flatnonzero(order == g)[0]) for g in golds[0])

    delta = lsa.train_delta(Q, golds, P, rows, base, replace(cfg, steps=30))
    before = gold_rank(base)
    assert before > 0  # the plain vector does not already rank it first (15th when written)
    assert gold_rank(base + delta) < before
