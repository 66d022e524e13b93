"""One earlier exchange of a conversation (:class:`Turn`), and the turns of an OpenAI-style ``messages`` list.

Shared by :mod:`rag.dialogue` (which re-exports both), the HTTP API and the chat front ends. This module neither
rewrites nor answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Turn", "turns_from_messages"]


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: what the user asked and what was answered (``[n]`` markers allowed)."""

    question: str
    answer: str = ""
    search_question: str = ""  # what was searched for it, when known (else recomputed)


def turns_from_messages(messages: Sequence[dict]) -> tuple[str, list[Turn]]:
    """OpenAI-style ``messages`` → ``(last user message, the turns before it)``.

    User messages start turns, the next assistant message is their answer;
    other roles (system, tool) and empty or non-text contents are skipped.

    >>> turns_from_messages([{"role": "user", "content": "苏州市委书记是谁"},
    ...                      {"role": "assistant", "content": "范波[1]"}, {"role": "user", "content": "他说了什么"}])
    ('他说了什么', [Turn(question='苏州市委书记是谁', answer='范波[1]', search_question='')])
    """
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
    turns: list[Turn] = []
    question = ""
    for m in messages[:last_user + 1]:
        role, content = m.get("role"), m.get("content")
        if isinstance(content, list):  # OpenAI content parts
            content = "".join(p.get("text", "") for p in content
                              if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str))
        if not isinstance(content, str):
            content = ""
        if role == "user":
            if question.strip():
                turns.append(Turn(question))
            question = content
        elif role == "assistant" and question.strip():
            turns.append(Turn(question, content))
            question = ""
    return question, turns
