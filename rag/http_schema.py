"""The request and response bodies of the HTTP API (pydantic models), with their limits.

:mod:`rag.http` validates requests with them and publishes them in ``/openapi.json``; the
field descriptions are the API's documentation. This module holds no behaviour beyond turning
a request's filters into :class:`rag.filters.Filters`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from .dialogue import DialogueConfig
from .records import Citation
from .retrieve import MAX_QUESTION_CHARS

__all__ = ["MAX_HISTORY_CHARS", "MAX_HISTORY_MESSAGES", "AskRequest", "AskResponse", "ChatMessage", "ChatRequest",
           "ErrorOut", "Filters", "HistoryMessage"]

_Q = f"The question; at most {MAX_QUESTION_CHARS} characters after trimming."
MAX_HISTORY_MESSAGES = 200
MAX_HISTORY_CHARS = 4000


class Filters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc_ids: list[StrictStr] | None = Field(None, description="Only search these document ids (see /api/documents).")
    types: list[StrictStr] | None = Field(None, description="Document types: 法律 行政法规 司法解释 部门规章 地方法规 "
                                          "案例 政策文件 (or law regulation interpretation rule local case policy).")
    date_from: StrictStr | None = Field(None, description="Only documents dated on/after 2020, 2020-05 or 2020-05-28.")
    date_to: StrictStr | None = Field(None, description="Only documents dated on/before this date.")
    law: StrictStr | None = Field(None, description="Only this law: title, part of it (劳动合同法) or document id.")
    prefer_current: StrictBool = Field(True, description="Demote superseded versions of amended laws.")

    def meta_filters(self):
        """The metadata part as :class:`rag.filters.Filters`."""
        from .filters import Filters as MetaFilters

        return MetaFilters(types=tuple(self.types or ()), date_from=self.date_from or "", date_to=self.date_to or "",
                           law=self.law or "", prefer_current=self.prefer_current)


class HistoryMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["user", "assistant"]
    content: StrictStr = Field(max_length=MAX_HISTORY_CHARS)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: StrictStr = Field(description=_Q)
    k: StrictInt = Field(5, ge=1, le=50, description="Passages to retrieve.")
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    filters: Filters | None = None
    history: list[HistoryMessage] | None = Field(
        None, max_length=MAX_HISTORY_MESSAGES,
        description="Earlier turns, oldest first, as {role: user|assistant, content}. A follow-up (南京呢？, "
                    "他说了什么？) is rewritten into a standalone question from them; the answer's `search_question` "
                    f"says what was searched. At most {MAX_HISTORY_MESSAGES} messages of {MAX_HISTORY_CHARS} "
                    f"characters; only the last {DialogueConfig.max_turns} turns are read, and the response's "
                    "`history` field (present when history was sent) says how many were used.")


class AskResponse(BaseModel):
    """Documentation only: exactly :meth:`rag.records.Answer.to_dict` (= ``rag ask --json``)."""
    question: str
    answer: str
    answerable: bool
    confidence: float
    citations: list[Citation]  # the dataclass itself: one definition of the fields
    suggestions: list[Citation]
    timings_ms: dict[str, float]
    search_question: str = Field(description="The standalone question that was searched (= question unless a "
                                             "follow-up was rewritten from the history; a follow-up searched as "
                                             "typed with the conversation's topic words ends in （结合上文：…）).")
    refusal_reason: str = Field("", description="\"\" except on some refusals: law_not_in_index (the question names "
                                                         "a law the library does not hold), not_in_named_law (the law "
                                                         "it named holds nothing on it), filter_excludes_law (the "
                                                         "filter leaves out the law it names).")
    superseded: dict[str, str] | None = Field(None, description="Round 16: null, or when the question named a law "
                                                 "that a held law repealed, {named, title, by, since}: the law as "
                                                 "typed, its title, the held law that replaced it (searched "
                                                 "instead) and the ISO date of the repeal (\"\" if unknown).")


#: OpenAI's message roles (``function`` is its deprecated form of ``tool``); only user and assistant are read.
CHAT_ROLES = ("system", "developer", "user", "assistant", "tool", "function")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal[CHAT_ROLES] = Field(description="system, developer, user, assistant, tool or function: the user and "
                                                  "assistant messages are the conversation, the others are ignored.")
    content: StrictStr | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """OpenAI chat request. ``model`` and sampling parameters are accepted and ignored;
    ``k``, ``mode`` and ``filters`` (as in /api/ask) may be sent as extra fields."""
    model_config = ConfigDict(extra="allow")
    model: StrictStr | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: StrictBool = False
    k: StrictInt = Field(5, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    filters: Filters | None = None


class ErrorOut(BaseModel):
    error: dict[str, Any] = Field(description='{"message": str, "type": str, "param": str|null, "code": str}')
