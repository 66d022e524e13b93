"""Round 18 (issue 10, h2): the neighbour-headroom tools (bench/law_neighbour_*.py). Nothing ships in ``rag/``, so
these check the bench helpers on real ``Chunk`` records: article numbers, which rows count as neighbours of a top hit,
gold rows, and the re-scorer's feature rows (one per candidate, structure read right)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import law_neighbour_cv as cv  # noqa: E402
import law_neighbour_headroom as hr  # noqa: E402
import law_neighbour_rows as nr  # noqa: E402

from rag.records import Chunk  # noqa: E402


def _chunks() -> list[Chunk]:
    spec = [("a", "第一章 > 第一节", "第一条"), ("a", "第一章 > 第一节", "第二条"), ("a", "第一章 > 第二节", "第三条"),
            ("a", "第二章", "第九条"), ("b", "第一章 > 第一节", "第二条"), ("a", "第一章 > 第一节", "第二条之一")]
    return [Chunk(f"c{i}", d, 0, 1, "x", section=s, article=a) for i, (d, s, a) in enumerate(spec)]


def test_article_numbers():
    assert hr.article_no("第一千零六十四条") == 1064.0
    assert hr.article_no("第二条之一") == 2.1
    assert hr.article_no("") is None and hr.article_no("第二款") is None


def test_neighbours_stay_in_the_document_and_skip_the_article_itself():
    ch = _chunks()
    nos = [hr.article_no(c.article) for c in ch]
    assert hr.neighbours([1], ch, nos, k=1, same_section=False) == {0, 2, 5}  # not doc b's 第二条
    assert hr.neighbours([1], ch, nos, k=None, same_section=True) == {0, 5}  # same 节 only
    assert hr.neighbours([1], ch, nos, k=10, same_section=False) == {0, 2, 3, 5}


def test_gold_rows_are_searched_over_the_whole_index():
    assert nr.gold_rows(["甲乙丙", "丁戊", "乙丙丁"], ["乙丙"]) == [0, 2]


def test_feature_rows_read_structure():
    ch = _chunks()
    nos = [hr.article_no(c.article) for c in ch]
    V = np.eye(6, 4, dtype=np.float32)
    S = np.eye(3, 4, dtype=np.float32)
    sec_id = [0, 0, 1, 2, 0, 0]
    hits = [[1, 1.0, 0.8, 5.0], [4, 0.9, 0.7, None], [3, 0.5, None, 2.0]]
    X = cv.features(hits, np.array([1, 0, 0, 0], np.float32), V, sec_id, S, ch, nos, depth=50)
    assert X.shape == (3, len(cv.SCORE_FEATURES) + len(cv.STRUCT_FEATURES))
    f = {n: X[:, i] for i, n in enumerate(cv.SCORE_FEATURES + cv.STRUCT_FEATURES)}
    assert list(f["same_law_1"]) == [1, 0, 1]
    assert list(f["dist_1"]) == [0, cv.CAP, 7]  # 第九条 − 第二条 in doc a; doc b is another law
    assert list(f["same_sec_1"]) == [1, 0, 0]
    assert f["dense"][2] == -1.0 and f["bm25_share"][1] == 0.0
