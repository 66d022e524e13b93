"""Defects found by round 18's acceptance walk (the product run as its users run it), one test each.

Each test failed before its fix. The walk itself and what held are in
``bench/results/r18_h4_walk.md``.
"""

from __future__ import annotations

import pytest

from rag.errors import RagError
from rag.evaluate import check_thresholds

DIALOGUE_RESULT = {"modes": {"hybrid/first": {"answer_hit_quote": 1.0},
                             "hybrid/follow-up": {"answer_hit_quote": 0.5},
                             "hybrid/follow-up-alone": {"answer_hit_quote": 0.0}}}


def test_fail_under_with_a_mode_gates_a_dialogue_sets_rows():
    """`rag eval DIALOGUES --fail-under hybrid.answer_hit_quote=…` (README: `[MODE.]METRIC=VALUE`) said
    "no such metric" although every row has it: the mode was compared with the row name's last part only."""
    assert check_thresholds(DIALOGUE_RESULT, ["hybrid.answer_hit_quote=0.4"]) == [
        "hybrid/follow-up-alone answer_hit_quote = 0.0000 < 0.4"]
    assert check_thresholds(DIALOGUE_RESULT, ["follow-up.answer_hit_quote=0.6"]) == [
        "hybrid/follow-up answer_hit_quote = 0.5000 < 0.6"]
    assert check_thresholds(DIALOGUE_RESULT, ["hybrid/first.answer_hit_quote=1"]) == []


def test_fail_under_names_an_unknown_mode_as_a_mode():
    with pytest.raises(RagError, match="no mode 'dense'"):
        check_thresholds(DIALOGUE_RESULT, ["dense.answer_hit_quote=0.5"])
    with pytest.raises(RagError, match="no such metric"):
        check_thresholds(DIALOGUE_RESULT, ["hybrid.recall@1=0.5"])
