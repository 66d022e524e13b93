"""Small typed records passed between the pipeline stages.

    ingest → Document → chunk → Chunk → index/retrieve → Hit → answer → Answer(Citation…)

They are plain dataclasses: no behaviour beyond (de)serialisation, so every
stage can be used and tested on its own. Offsets are always character offsets
(Python ``str`` indices) into ``Document.text``, the *stored* (normalised)
text of a document, half-open ``[start, end)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["REFUSAL_REASONS", "Answer", "Chunk", "Citation", "Document", "Hit", "Span", "Superseded"]


@dataclass(frozen=True)
class Span:
    """A labelled range of ``Document.text``: a sentence, heading or caption.

    ``kind`` is one of ``"body"``, ``"heading"``, ``"caption"``, ``"byline"``,
    ``"pullquote"``. Only ``body`` spans may be quoted in answers.
    """

    start: int
    end: int
    kind: str = "body"


@dataclass
class Document:
    """One source document after ingest.

    ``text`` is the stored text every citation points into; ``meta`` holds
    front-matter fields (title, author, date, source, …); ``blocks`` labels
    the paragraphs (body, heading with its level, caption, …).
    """

    doc_id: str
    title: str
    text: str
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    blocks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Document":
        return cls(**d)


@dataclass
class Chunk:
    """A retrievable passage: ``doc.text[start:end] == text`` always holds."""

    chunk_id: str
    doc_id: str
    start: int
    end: int
    text: str
    section: str = ""
    #: Answerable sentences inside the chunk, as absolute ``[start, end)``.
    sentences: list[tuple[int, int]] = field(default_factory=list)
    #: Statutes: the article this passage is (part of), e.g. "第五十四条"; "" otherwise.
    article: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sentences"] = [list(s) for s in self.sentences]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        d = dict(d)
        d["sentences"] = [tuple(s) for s in d.get("sentences", [])]
        return cls(**d)


@dataclass
class Hit:
    """A chunk returned by retrieval, with the scores that ranked it.

    ``score`` is the fused score used for ranking; ``dense`` and ``bm25`` are
    the per-retriever scores (``None`` when that retriever did not return it).
    ``title`` and ``meta`` are copied from the document so a Citation can be
    built from a Hit alone.
    """

    chunk: Chunk
    score: float
    rank: int
    dense: float | None = None
    bm25: float | None = None
    title: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    #: The question named this article by law and number (:mod:`rag.lookup`); it was put first.
    exact: bool = False
    #: Dense scoring used the query adapter (:mod:`rag.query_adapter`: statute-only indexes); the statute
    #: answerer picks the refusal threshold fitted for that retrieval (:mod:`rag.statute_answer`).
    adapted: bool = False
    #: On a mixed index, a statute slot refilled by :mod:`rag.law_route`: the hit the general ranking had in
    #: this slot (``None`` where the slot kept it). The answer layer refuses when the general ranking refuses.
    general: "Hit | None" = None


@dataclass
class Citation:
    """One ``[n]`` marker of an answer and the evidence behind it.

    ``quote`` is a substring of ``text``; ``text`` is exactly
    ``Document.text[start:end]`` (the cited passage).
    """

    n: int
    doc_id: str
    title: str
    section: str
    chunk_id: str
    start: int
    end: int
    quote: str
    text: str
    score: float
    quote_start: int = 0
    quote_end: int = 0
    date: str = ""
    #: Statutes: where the quote is, e.g. "《中华人民共和国民法典》第五十四条" (section holds the 编/章 path).
    label: str = ""
    #: Statutes: 法律, 行政法规, 司法解释, 部门规章, 地方法规, 案例 or 政策文件; "" for other documents.
    doc_type: str = ""
    #: "" (in force as far as the corpus says), "已废止", or "已被修改" (a later version is indexed).
    validity: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Superseded:
    """A law the question named that a held law repealed (round 16, :mod:`rag.repealed`): ``named`` as the user wrote
    it (婚姻法), ``title`` as the repealing text writes it (中华人民共和国婚姻法), ``by`` the held law's title
    (中华人民共和国民法典), ``since`` the ISO date the repeal took effect ("" when the text gives none)."""

    named: str
    title: str
    by: str
    since: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass
class Answer:
    """What ``rag ask`` returns: the reply, its citations and timings."""

    question: str
    answer: str
    answerable: bool
    citations: list[Citation]
    suggestions: list[Citation] = field(default_factory=list)
    confidence: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: The standalone question that was retrieved and answered (:mod:`rag.dialogue`); "" = ``question``.
    search_question: str = ""
    #: Why a refusal refused, when it is one of :data:`REFUSAL_REASONS`: the question names a law the index does
    #: not hold, the law it named holds nothing on it, or the user's filter leaves that law out. "" for every other
    #: answer and refusal.
    refusal_reason: str = ""
    #: The law the question named was repealed by a held law, which was searched instead (round 16); None otherwise.
    superseded: Superseded | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "answerable": self.answerable,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "suggestions": [c.to_dict() for c in self.suggestions],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
            "search_question": self.search_question or self.question,
            "refusal_reason": self.refusal_reason,
            "superseded": self.superseded.to_dict() if self.superseded is not None else None,
        }


#: ``Answer.refusal_reason`` values: see :mod:`rag.restricted` for the refusal texts that go with them
REFUSAL_REASONS = ("law_not_in_index", "not_in_named_law", "filter_excludes_law")
