"""The refusal models a conversation's follow-ups are answered with — decoupled from the general refusal model.

The conversation layer (:mod:`rag.dialogue`, :mod:`rag.incontext`, :mod:`rag.law_followup`,
:mod:`rag.neighbourhood`) decides by whether a reading was refused: a follow-up's first reading refused is what
takes its second look (further readings, the search with the topic words, the neighbourhood). Its rules and checks
were developed and measured (rounds 4-9) with the general refusal models shipped through round 9. Refitting the
general refusal model (round 10: every everyday development round, threshold 0.183 → 0.153, and new trees) moves
both the confidence and the threshold, so a follow-up's first reading was answered where the conversation used to
look again (``tests/test_dialogue.py::test_cue_less_follow_up_searched_again_with_the_topic_words``).

So follow-ups keep their own refusal models: ``rag/data/followup_refusal.json`` (the round-9 ``dense`` and
``lexical`` refusal models of ``rag/calibration.json``, git f65f1ea). :func:`followups` marks a block of code as
answering a follow-up (a context variable: per thread, per task); inside it :func:`refusal_for` gives the
follow-up model of a kind, and :func:`rag.select.load_models` uses it instead of the calibrated one. Single
questions and first turns use ``rag/calibration.json``. The selector, the statute answer model and the
cross-lingual model are the same for both.

Round 11: :func:`leans_on_conversation` says whether a turn leans on the conversation by the cascade's own reading;
with ``DialogueConfig(standalone_general=True)`` a turn that does not (a topic switch naming its own topic) is
answered with the calibrated models, as alone. Off by default: +4 correct development follow-ups, −2 on the
round-10 validation set (docs/followup_refusal.md). A refit of the follow-up model on follow-up readings
(``bench/followup_refusal_fit.py``) failed leave-one-round-out; this file still holds the round-9 models.

This module neither answers nor decides; it only says which refusal model applies.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

__all__ = ["FOLLOWUP_REFUSAL", "followups", "leans_on_conversation", "refusal_for", "selector_for"]

#: the follow-up refusal models (written once from git f65f1ea's rag/calibration.json; see its note)
FOLLOWUP_REFUSAL = Path(__file__).parent / "data" / "followup_refusal.json"

_in_followup: ContextVar[bool] = ContextVar("rag_followup_refusal", default=False)
_threshold: ContextVar[float | None] = ContextVar("rag_followup_threshold", default=None)


@contextmanager
def followups(on: bool = True, threshold: float | None = None) -> Iterator[None]:
    """Answer with the follow-up refusal models inside this block (``on=False``: no change); ``threshold``: the
    dense follow-up refusal model's threshold inside it instead of the stored one (round 13; the lexical model,
    fitted on other features, keeps its own)."""
    token = _in_followup.set(True) if on else None
    level = _threshold.set(threshold) if on and threshold is not None else None
    try:
        yield
    finally:
        if level is not None:
            _threshold.reset(level)
        if token is not None:
            _in_followup.reset(token)


@functools.lru_cache(maxsize=2)
def _stored(path: str) -> dict:
    p = Path(path)
    return json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {"models": {}}


def refusal_for(kind: str, fingerprint: str, path: Path = FOLLOWUP_REFUSAL) -> dict | None:
    """The stored follow-up refusal model of ``kind`` (``dense``, ``lexical``) when inside :func:`followups` and
    the file has one fitted for ``fingerprint`` (the calibrated models' embedder weights); else None."""
    return _part(kind, fingerprint, path, "refusal")


def selector_for(kind: str, fingerprint: str, path: Path = FOLLOWUP_REFUSAL) -> dict | None:
    """Like :func:`refusal_for`, the stored follow-up *selector* of ``kind``, where the file holds one (round 12: when
    the calibrated selector is refitted, follow-ups keep the selector their refusal models read the features of)."""
    return _part(kind, fingerprint, path, "selector")


def _part(kind: str, fingerprint: str, path: Path, part: str) -> dict | None:
    if not _in_followup.get():
        return None
    data = _stored(str(path))
    if data.get("fitted_for", {}).get("fingerprint") != fingerprint:
        return None
    model = data["models"].get(kind, {}).get(part)
    if model is not None and part == "refusal" and kind == "dense" and (t := _threshold.get()) is not None:
        return {**model, "threshold": t}
    return model


def leans_on_conversation(rule: str, context: str, laws: bool) -> bool:
    """Whether a turn with history leans on the conversation, by the cascade's own reading: the rewriter changed it
    (``rule`` is not ``standalone``), it is searched with the conversation's words (``context``), or the conversation
    is about laws (:mod:`rag.law_followup` reads every such turn with the previous question too). A turn that leans
    on nothing (a topic switch that names its own place, person or document) is answered as when asked alone.

    >>> leans_on_conversation("standalone", "", False), leans_on_conversation("ellipsis", "", False)
    (False, True)
    >>> leans_on_conversation("standalone", "杭州 人工智能", False), leans_on_conversation("standalone", "", True)
    (True, True)
    """
    return rule != "standalone" or bool(context) or laws
