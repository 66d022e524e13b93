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

import re
from dataclasses import dataclass, field

import numpy as np

from .errors import QueryError
from .index import Index
from .law_names import resolve_title
from .statute import DOC_TYPES

__all__ = ["SUPERSEDED_FACTOR", "TYPE_ALIASES", "DocPredicate", "FilterError", "Filters", "RowMask", "day_of",
           "doc_fields", "document_mask", "excluded_titles", "not_in_force", "predicate_of", "prefer_current", "validity"]

SUPERSEDED_FACTOR = 0.8
TYPE_ALIASES = {"law": "法律", "regulation": "行政法规", "interpretation": "司法解释", "rule": "部门规章",
                "local": "地方法规", "case": "案例", "policy": "政策文件"}


class FilterError(QueryError):
    """A filter that is malformed or matches no indexed document (a :class:`QueryError`).

    ``field`` says which: ``"type"``, ``"date"``, ``"law"`` (no such law) or ``""`` (valid filters that
    together match no document), so a UI can word its message.
    """

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Filters:
    """What to search. ``types``: document types (Chinese names or the English aliases in
    ``TYPE_ALIASES``); ``date_from``/``date_to``: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``,
    inclusive; ``law``: a title, part of one, a document id, or a name the title is called by
    (婚姻家庭编解释一, :func:`rag.law_names.resolve_title`); ``prefer_current``: demote superseded versions of a law.

    >>> Filters(types=("law",)).normalised().types
    ('法律',)
    """

    types: tuple[str, ...] = ()
    date_from: str = ""
    date_to: str = ""
    law: str = ""
    prefer_current: bool = True
    _checked: bool = field(default=False, repr=False, compare=False)

    def normalised(self) -> Filters:
        types = tuple(dict.fromkeys(TYPE_ALIASES.get(t.strip().lower(), t.strip()) for t in self.types if t.strip()))
        bad = [t for t in types if t not in DOC_TYPES]
        if bad:
            raise FilterError(f"Unknown document type(s) {', '.join(bad)}; use {', '.join(DOC_TYPES)} "
                             f"(or {', '.join(TYPE_ALIASES)}).", field="type")
        date_from, date_to = _filter_date(self.date_from), _filter_date(self.date_to)
        if date_from and date_to and _day_bound(date_from, False) > _day_bound(date_to, True):
            raise FilterError(f"The start date {date_from} is after the end date {date_to}.", field="date")
        return Filters(types, date_from, date_to, self.law.strip(), self.prefer_current, True)

    @property
    def active(self) -> bool:
        return bool(self.types or self.date_from or self.date_to or self.law)


def _filter_date(d: str) -> str:
    """A filter date as ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; also read as people write them
    (2020年5月, 2020年5月1日, 2020/5/1, 2020.5); FilterError otherwise.

    >>> _filter_date(" 2020年5月 "), _filter_date("2020-5-1"), _filter_date("")
    ('2020-05', '2020-05-01', '')
    """
    d = (d or "").strip()
    if not d:
        return d
    # a run of spaces becomes one first: the pattern's adjacent \s* runs are quadratic on a long run (50k: 12 s)
    m = re.fullmatch(r"(\d{4})(?:\s*[-/.年]\s*(\d{1,2})(?:\s*[-/.月]\s*(\d{1,2})\s*日?|\s*月?)?)?\s*年?",
                     re.sub(r"\s+", " ", d))
    if not m or any(g and not 1 <= int(g) <= 31 for g in m.groups()[1:]) or m.group(2) and int(m.group(2)) > 12:
        raise FilterError(f"Dates look like 2020, 2020-05 or 2020-05-28, not {d!r}.", field="date")
    return "-".join([m.group(1)] + [f"{int(g):02d}" for g in m.groups()[1:] if g])


def _doc_date(meta: dict) -> str:
    return str(meta.get("version") or meta.get("date") or "")


_DAY = re.compile(r"\s*(\d{4})(?:[-/.年](\d{1,2}))?(?:[-/.月](\d{1,2}))?")
DAY_MAX = 99_999_999
TITLE_MAX = 1000  # longer titles are matched by document id (a store keeps titles up to this length)


def day_of(meta: dict) -> int:
    """A document's date (law version, else ``date``) as a sortable ``YYYYMMDD`` int, missing parts 0;
    0 when it has none.

    >>> day_of({"version": "2012-12-28"}), day_of({"date": "2020年5月"}), day_of({"date": "2020"}), day_of({})
    (20121228, 20200500, 20200000, 0)
    """
    m = _DAY.match(_doc_date(meta))
    if not m:
        return 0
    y, mo, d = (int(g) if g else 0 for g in m.groups())
    return y * 10000 + min(mo, 99) * 100 + min(d, 99)


def _day_bound(date: str, upper: bool) -> int:
    """Inclusive bound of a filter date: prefix semantics (``2020-05`` as ``to`` keeps all of May)."""
    parts = [int(p) for p in date.split("-")]
    y, mo, d = (parts + [0, 0])[:3]
    if not upper:
        return y * 10000 + mo * 100 + d
    return y * 10000 + (mo * 100 + (d if len(parts) == 3 else 99) if len(parts) > 1 else 9999)


def doc_fields(doc) -> dict:
    """The filterable fields of a document, as a store keeps them per row: ``doc_type``, ``title``, ``day``."""
    return {"doc_type": str(doc.meta.get("doc_type") or "")[:32], "title": doc.title[:TITLE_MAX],
            "day": day_of(doc.meta)}


@dataclass(frozen=True)
class DocPredicate:
    """What a filter keeps, as tests on :func:`doc_fields` (one definition for the local row mask and a
    store's own filter expression, :mod:`rag.milvus_filters`): ``doc_type`` in ``types``; ``day_lo <= day
    <= day_hi`` (no date condition when both are 0); ``title`` in ``titles`` / ``doc_id`` in ``doc_ids``
    (``None``: any)."""

    types: tuple[str, ...] = ()
    day_lo: int = 0
    day_hi: int = 0
    titles: tuple[str, ...] | None = None
    doc_ids: tuple[str, ...] | None = None

    def keeps(self, doc_id: str, f: dict) -> bool:
        return ((not self.types or f["doc_type"] in self.types)
                and (not (self.day_lo or self.day_hi) or self.day_lo <= f["day"] <= self.day_hi)
                and (self.titles is None or f["title"] in self.titles)
                and (self.doc_ids is None or doc_id in self.doc_ids))


def _matches_law(index: Index, law: str) -> set[str]:
    if law in index.documents:
        return {law}
    exact = {i for i, d in index.documents.items() if d.title == law}
    if exact:
        return exact
    part = {i for i, d in index.documents.items() if law in d.title}
    if not part and (named := resolve_title({d.title for d in index.documents.values()}, law.strip("《》"))):
        part = {i for i, d in index.documents.items() if d.title == named}  # 婚姻家庭编解释一 (rag.law_names)
    if not part:
        raise FilterError(f"No indexed law or document is called {law!r}. List them with `rag docs`.",
                          field="law")
    return part


def _predicate(index: Index, f: Filters) -> DocPredicate:
    titles = ids = None
    if f.law:
        matched = _matches_law(index, f.law)
        names = {index.documents[i].title for i in matched}
        if f.law in index.documents or any(len(t) > TITLE_MAX for t in names):
            ids = tuple(sorted(matched))
        else:
            titles = tuple(sorted(names))
    lo = _day_bound(f.date_from, False) if f.date_from else (1 if f.date_to else 0)
    hi = _day_bound(f.date_to, True) if f.date_to else (DAY_MAX if f.date_from else 0)
    return DocPredicate(tuple(f.types), lo, hi, titles, ids)


class RowMask(np.ndarray):
    """A boolean row mask that remembers the :class:`DocPredicate` :func:`document_mask` made it from, so a
    store can evaluate the filter itself instead of a list of rows. Arrays computed from it (``a & mask``,
    views) are masks too but carry no predicate: only the mask as made stands for the filter."""

    predicate: DocPredicate | None = None


def predicate_of(mask: np.ndarray | None) -> DocPredicate | None:
    """The predicate :func:`document_mask` made ``mask`` from (``None`` for any other array, e.g. a mask
    combined with another)."""
    return getattr(mask, "predicate", None)


def document_mask(index: Index, filters: Filters | None) -> np.ndarray | None:
    """Boolean row mask of the chunks the filters allow; ``None`` when no filter is set."""
    if filters is None or not filters.active:
        return None
    f = filters if filters._checked else filters.normalised()
    pred = _predicate(index, f)
    fields = index.derived("doc_fields", lambda: {i: doc_fields(d) for i, d in index.documents.items()})
    keep = {doc_id for doc_id, fd in fields.items() if pred.keeps(doc_id, fd)}
    if not keep:
        raise FilterError("No indexed document matches these filters; widen the type, date or law filter.")
    mask = np.fromiter((c.doc_id in keep for c in index.chunks), dtype=bool, count=len(index.chunks)).view(RowMask)
    mask.predicate = pred
    return mask


def excluded_titles(index: Index, filters: Filters | None, titles: list[str]) -> list[str]:
    """Those of ``titles`` (of indexed documents) none of whose documents ``filters`` keeps: the laws a question names
    that the user's own filter leaves out; [] without an active filter. A malformed filter raises, as searching does."""
    if filters is None or not filters.active or not titles:
        return []
    pred = _predicate(index, filters if filters._checked else filters.normalised())
    fields = index.derived("doc_fields", lambda: {i: doc_fields(d) for i, d in index.documents.items()})
    kept = {index.documents[i].title for i, fd in fields.items() if pred.keeps(i, fd)}
    if not kept:  # as document_mask: a filter matching nothing is the user's error, not a refusal
        raise FilterError("No indexed document matches these filters; widen the type, date or law filter.")
    return [t for t in titles if t not in kept]


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
