"""rag.mentions.pos_tags is cached: what it returns is shared by every caller, so it must be immutable."""

from __future__ import annotations

import pytest

from rag.mentions import noun_phrase_ending, places, pos_tags


def test_pos_tags_result_cannot_be_changed_for_the_next_caller():
    text = "2025年底的杭州市委经济工作会议"
    first = pos_tags(text)
    expected = [tuple(t) for t in first]
    with pytest.raises((AttributeError, TypeError)):
        first.append(("假", "n"))  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        first[0] = ("假", "n")  # type: ignore[index]
    mine = list(first)  # a caller that needs a list makes its own
    mine.clear()
    again = pos_tags(text)
    assert again is first and list(again) == expected and expected
    assert places(again) == ["杭州市"]
    assert noun_phrase_ending(again, "会议").endswith("会议")
