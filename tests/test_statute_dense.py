"""Second-look dense evidence (rag/statute_dense.py): the feedback vector, neighbour smoothing, and the retrieve()
hook — inactive by default, applied only where the query adapter applies (statute-only indexes)."""

from __future__ import annotations

import numpy as np
import pytest

from rag.index import open_index
from rag.retrieve import RetrieveConfig, retrieve
from rag.statute_dense import (
    DenseFeedback,
    feedback_vector,
    neighbour_rows,
    smooth_neighbours,
)


def _top(home, embedder, question, **cfg):
    hits = retrieve(open_index(home), question, embedder=embedder, k=10, config=RetrieveConfig(**cfg))
    return [(h.chunk.chunk_id, round(h.score, 6)) for h in hits]


def test_default_is_inactive():
    assert not RetrieveConfig().dense_feedback.active
    assert DenseFeedback(alpha=0.2).active and DenseFeedback(beta=0.1).active


@pytest.mark.parametrize("bad", [{"where": "Final"}, {"source": "bm25"}, {"k": 0}])
def test_unknown_settings_are_an_error_not_a_silent_no_op(bad):
    """where="Final" used to turn smoothing off without a word (neither branch of rag.retrieve._dense_feedback ran)."""
    from rag.errors import QueryError

    with pytest.raises(QueryError):
        DenseFeedback(beta=0.1, **bad)


def test_feedback_vector_moves_towards_the_feedback_rows_and_stays_unit(law_home):
    index = open_index(law_home)
    P = index.dense.vectors()
    q = P[0] * 0.2 + P[5] * 0.8
    q = q / np.linalg.norm(q)
    moved = feedback_vector(index, q, [0, 1], 0.5)
    assert np.isclose(np.linalg.norm(moved), 1.0, atol=1e-5)
    target = P[[0, 1]].mean(axis=0)
    assert moved @ target > q @ target
    assert feedback_vector(index, q, [], 0.5) is q and feedback_vector(index, q, [0], 0.0) is q


def test_neighbours_are_adjacent_passages_of_the_same_section(law_home):
    index = open_index(law_home)
    nb = neighbour_rows(index)
    assert len(nb) == len(index.chunks)
    for r, rows in enumerate(nb):
        for j in rows:
            assert abs(j - r) == 1
            assert index.chunks[j].doc_id == index.chunks[r].doc_id
            assert index.chunks[j].section == index.chunks[r].section
    assert any(len(x) == 2 for x in nb)


def test_smoothing_adds_the_best_candidate_neighbour_only(law_home):
    index = open_index(law_home)
    nb = neighbour_rows(index)
    r = next(i for i, x in enumerate(nb) if len(x) == 2)
    left, right = nb[r]
    scores = {r: 1.0, left: 0.5, right: 0.8}
    out = smooth_neighbours(index, scores, 0.1)
    assert out[r] == pytest.approx(1.08)
    assert out[right] == pytest.approx(0.8 + 0.1 * 1.0)
    assert smooth_neighbours(index, scores, 0.0) is scores
    # a neighbour that is not a candidate contributes nothing
    assert smooth_neighbours(index, {r: 1.0}, 0.5) == {r: 1.0}


def test_hook_changes_statute_rankings_and_leaves_other_indexes_identical(law_home, built_home, embedder):
    q = "公司不给我交社保，我能辞职并要补偿吗"
    strong = DenseFeedback(alpha=1.0, k=5, beta=0.5, where="fused")
    assert _top(law_home, embedder, q) == _top(law_home, embedder, q, dense_feedback=DenseFeedback())
    assert _top(law_home, embedder, q, dense_feedback=strong) != _top(law_home, embedder, q)
    # without the adapter (query_adapter="off") the second look does not apply either
    assert _top(law_home, embedder, q, query_adapter="off", dense_feedback=strong) == \
        _top(law_home, embedder, q, query_adapter="off")
    # the sample article's index (news): identical hits and scores
    for question in ("温州人工智能局做什么", "北京的房价是多少"):
        assert _top(built_home, embedder, question, dense_feedback=strong) == _top(built_home, embedder, question)


@pytest.fixture(scope="module")
def mixed_home(tmp_path_factory, embedder):
    """The sample article beside the Labour Contract Law: a mixed index (law slots apply, the adapter does not)."""
    import shutil

    from rag.update import update_index

    from .conftest import LAWS, SAMPLE

    src = tmp_path_factory.mktemp("statute-dense-src")
    shutil.copy(SAMPLE, src / SAMPLE.name)
    rel = "社会法/劳动合同法(2012-12-28).md"
    (src / rel).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(LAWS / rel, src / rel)
    home = tmp_path_factory.mktemp("statute-dense-index")
    update_index([src], home=home, progress=False, embedder=embedder)
    return home


def test_mixed_index_gets_identical_hits(mixed_home, embedder):
    strong = DenseFeedback(alpha=1.0, k=5, beta=0.5, where="fused")
    for question in ("试用期最长可以约定多久", "公司不给我交社保，我能辞职并要补偿吗", "温州人工智能局做什么"):
        assert _top(mixed_home, embedder, question, dense_feedback=strong) == _top(mixed_home, embedder, question)


def test_feedback_leaves_hit_dense_the_questions_own_cosine(law_home, embedder):
    """Hit.dense is the question's dense cosine (scores, refusal features and the UI read it); the feedback search's
    cosines used to replace it when alpha > 0."""
    index = open_index(law_home)
    q = "公司不给我交社保，我能辞职并要补偿吗"
    plain = {h.chunk.chunk_id: h.dense for h in retrieve(index, q, embedder=embedder, k=50)}
    for look in (DenseFeedback(alpha=1.0, k=5),
                 DenseFeedback(alpha=1.0, k=5, source="fused", beta=0.5, where="fused")):
        hits = retrieve(index, q, embedder=embedder, k=10, config=RetrieveConfig(dense_feedback=look))
        shared = [h for h in hits if h.chunk.chunk_id in plain and h.dense is not None]
        assert len(shared) >= 5
        for h in shared:
            assert h.dense == pytest.approx(plain[h.chunk.chunk_id], abs=1e-6)


def test_old_names_still_work_with_a_deprecation_warning():
    """Round 9 called it ``SecondLook`` / ``RetrieveConfig(second_look=…)``; rag.incontext.SecondLook is another thing."""
    import rag.incontext
    import rag.statute_dense
    from rag.errors import QueryError

    look = DenseFeedback(alpha=0.3)
    with pytest.warns(DeprecationWarning) as caught:
        old = RetrieveConfig(second_look=look)
    assert old == RetrieveConfig(dense_feedback=look) and old.dense_feedback is look and old.second_look is None
    with pytest.warns(DeprecationWarning) as caught_name:
        assert rag.statute_dense.SecondLook is DenseFeedback
    # both warnings name the line that used the old name (stacklevel), not rag/retrieve.py or rag/statute_dense.py
    assert [w.filename for w in (*caught, *caught_name)] == [__file__, __file__]
    assert rag.incontext.SecondLook is not DenseFeedback
    with pytest.raises(QueryError), pytest.warns(DeprecationWarning):
        RetrieveConfig(second_look=look, dense_feedback=DenseFeedback(beta=0.1))
