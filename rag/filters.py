"""Metadata filters and law versions: which documents a question may search.

:class:`Filters` narrows retrieval to document types (法律, 行政法规, 司法解释,
部门规章, 地方法规, 案例, 政策文件), a date range (on the version date of a
law, else the document's ``date``) and one law (by title, part of a title
such as “劳动合同法”, or document id). Documents without the field a filter
asks about are left out.

Versions: two indexed documents with the same title and different version
dates are versions of one law; the latest is current and the others are
``已被修改`` (superseded by it). By default retrieval *prefers* the current
version (scores of superseded versions are multiplied by
``SUPERSEDED_FACTOR``), so an old text is quoted only when it matches clearly
better — and its citation then says ``validity="已被修改"``. Asking for a
law by name or id searches exactly what was asked for, old versions included.

This module ranks nothing itself; :mod:`rag.retrieve` calls it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import QueryError
from .index import Index
from .statute import DOC_TYPES

__all__ = ["SUPERSEDED_FACTOR", "TYPE_ALIASES", "FilterError", "Filters", "document_mask", "not_in_force",
           "prefer_current", "validity"]

SUPERSEDED_FACTOR = 0.8
TYPE_ALIASES = {"law": "法律", "regulation": "行政法规", "interpretation": "司法解释", "rule": "部门规章",
                "local": "地方法规", "case": "案例", "policy": "政策文件"}


class FilterError(QueryError):
    """A filter that is malformed or matches no indexed document (a :class:`QueryError`)."""


@dataclass(frozen=True)
class Filters:
    """What to search. ``types``: document types (Chinese names or the English aliases in
    ``TYPE_ALIASES``); ``date_from``/``date_to``: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``,
    inclusive; ``law``: a title, part of one, or a document id; ``prefer_current``: demote
    superseded versions of a law.

    >>> Filters(types=("law",)).normalised().types
    ('法律',)
    """

    types: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    law: str = ""
    prefer_current: bool = True
    _checked: bool = field(default=False, repr=False, compare=False)

    def normalised(self) -> "Filters":
        types = tuple(dict.fromkeys(TYPE_ALIASES.get(t.strip().lower(), t.strip()) for t in self.types if t.strip()))
        bad = [t for t in types if t not in DOC_TYPES]
        if bad:
            raise FilterError(f"Unknown document type(s) {', '.join(bad)}; use {', '.join(DOC_TYPES)} "
                             f"(or {', '.join(TYPE_ALIASES)}).")
        for d in (self.date_from, self.date_to):
            if d and not _is_date(d):
                raise FilterError(f"Dates look like 2020, 2020-05 or 2020-05-28, not {d!r}.")
        return Filters(types, self.date_from.strip(), self.date_to.strip(), self.law.strip(), self.prefer_current,
                       True)

    @property
    def active(self) -> bool:
        return bool(self.types or self.date_from or self.date_to or self.law)


def _is_date(s: str) -> bool:
    parts = s.strip().split("-")
    return 1 <= len(parts) <= 3 and all(p.isdigit() for p in parts) and len(parts[0]) == 4


def _doc_date(meta: dict) -> str:
    return str(meta.get("version") or meta.get("date") or "")


def _matches_law(index: Index, law: str) -> set[str]:
    if law in index.documents:
        return {law}
    exact = {i for i, d in index.documents.items() if d.title == law}
    if exact:
        return exact
    part = {i for i, d in index.documents.items() if law in d.title}
    if not part:
        raise FilterError(f"No indexed law or document is called {law!r}. List them with `rag docs`.")
    return part


def document_mask(index: Index, filters: Filters | None) -> np.ndarray | None:
    """Boolean row mask of the chunks the filters allow; ``None`` when no filter is set."""
    if filters is None or not filters.active:
        return None
    f = filters if filters._checked else filters.normalised()
    wanted = _matches_law(index, f.law) if f.law else set(index.documents)
    keep = set()
    for doc_id in wanted:
        meta = index.documents[doc_id].meta
        if f.types and meta.get("doc_type") not in f.types:
            continue
        date = _doc_date(meta)
        if (f.date_from or f.date_to) and not date:
            continue
        if f.date_from and date[:len(f.date_from)] < f.date_from:
            continue
        if f.date_to and date[:len(f.date_to)] > f.date_to:
            continue
        keep.add(doc_id)
    if not keep:
        raise FilterError("No indexed document matches these filters; widen the type, date or law filter.")
    return np.fromiter((c.doc_id in keep for c in index.chunks), dtype=bool, count=len(index.chunks))


def validity(index: Index) -> dict[str, str]:
    """``doc_id → "已废止" | "已被修改"`` for documents that are not in force (others absent)."""
    out: dict[str, str] = {}
    latest: dict[str, tuple[str, str]] = {}
    for doc_id, d in index.documents.items():
        if d.meta.get("validity"):
            out[doc_id] = str(d.meta["validity"])
        v = str(d.meta.get("version") or "")
        if d.meta.get("doc_type") and v and (d.title not in latest or v > latest[d.title][0]):
            latest[d.title] = (v, doc_id)
    for doc_id, d in index.documents.items():
        v = str(d.meta.get("version") or "")
        if d.meta.get("doc_type") and v and d.title in latest and v < latest[d.title][0]:
            out.setdefault(doc_id, "已被修改")
    return out


def not_in_force(index: Index) -> dict[str, str]:
    """:func:`validity` of a loaded index, computed once per generation rather than per question."""
    return index.derived("validity", lambda: validity(index))


def prefer_current(index: Index, scores: dict[int, float], filters: Filters | None) -> dict[int, float]:
    """Multiply the scores of rows from superseded versions by ``SUPERSEDED_FACTOR``."""
    if not scores or (filters is not None and (filters.law or not filters.prefer_current)):
        return scores
    old = not_in_force(index)
    if not old:
        return scores
    return {r: s * SUPERSEDED_FACTOR if old.get(index.chunks[r].doc_id) == "已被修改" and s > 0 else s
            for r, s in scores.items()}
