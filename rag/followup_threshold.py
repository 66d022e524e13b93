"""The refusal threshold a follow-up that leans on the conversation is answered with (round 13, issue 11).

On the development dialogues most follow-ups that missed were refusals with the gold passage at hand
(docs/conversations.md, "Round 13"): the first reading — the standalone question, its candidates ranked by the
conversation (:mod:`rag.context`) — is turned down by the follow-up refusal model (:mod:`rag.followup_refusal`), a
model fitted on single questions, whose evidence means less for a rewritten question: the words a rewrite carries in
(the previous question's subject) are already in every candidate of the conversation's passage. So a follow-up that
leans on the conversation (:func:`rag.followup_refusal.leans_on_conversation`: rewritten, or searched with the
conversation's words) is answered with the dense follow-up model at ``DialogueConfig.followup_threshold``; the checks
of :mod:`rag.followup` still hold its answer to what it asks. Not in conversations about laws (their own path and
statute models), not for a turn that names its own topic, and never for first turns or single questions.

This module neither answers nor decides; it only says which threshold applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .answer import is_refusal
from .followup_refusal import leans_on_conversation

if TYPE_CHECKING:  # pragma: no cover
    from .dialogue import DialogueConfig, Rewrite

__all__ = ["previous_quotes", "threshold_for"]


def threshold_for(rw: "Rewrite", laws: bool, config: "DialogueConfig") -> float | None:
    """The dense follow-up refusal threshold for a follow-up read as ``rw`` (None: the stored one).

    >>> from rag.dialogue import DialogueConfig, Rewrite
    >>> cfg = DialogueConfig(followup_threshold=0.1)
    >>> threshold_for(Rewrite("他说了什么", "王剑锋说了什么", "person"), False, cfg)
    0.1
    >>> threshold_for(Rewrite("温州人工智能局做什么", "温州人工智能局做什么"), False, cfg) is None  # its own topic
    True
    """
    if config.followup_threshold is None or laws or not leans_on_conversation(rw.rule, rw.context, False):
        return None
    return config.followup_threshold


def previous_quotes(previous_answer: str, markers) -> list[str]:
    """The previous answer's quotes as written (its ``[n]``-marked pieces of 6+ characters; [] after a refusal):
    the passage that holds one is the conversation's passage (:func:`rag.context.near_prior`)."""
    if not previous_answer or is_refusal(previous_answer):
        return []
    return [p for p in (x.strip() for x in markers.split(previous_answer)) if len(p) >= 6]
