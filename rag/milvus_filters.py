"""Milvus boolean expressions: metadata filters and which rows a generation sees.

:func:`predicate_expr` turns a :class:`rag.filters.DocPredicate` (what a type / date / law filter keeps,
defined once in :mod:`rag.filters`) into an expression over the scalar fields every row carries
(``doc_type``, ``title``, ``day`` as a ``YYYYMMDD`` int, ``doc_id``), so Milvus filters by itself instead
of receiving a list of thousands of document ids. :func:`visible_expr` is the generation filter of an
in-place updated collection (:mod:`rag.milvus_sync`): a row is seen by generation ``g`` when it was
written at or before ``g`` and its document was not hidden since. User text reaches an expression only
as a string literal written by :func:`literal` (quotes, backslashes and control characters escaped), so
it cannot change the expression. This module sends nothing to Milvus.
"""

from __future__ import annotations

import re
from typing import Iterable, Sequence

from .filters import DocPredicate

__all__ = ["doc_ids_expr", "literal", "predicate_expr", "visible_expr"]


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def literal(value: str) -> str:
    """A Milvus string literal for ``value``: ``\\`` and ``"`` escaped (Milvus reads no other escapes).
    A value with a control character cannot be written: ValueError (callers then filter by document id).

    >>> print(literal('a"] or doc_id != "x'), literal("法律"))
    "a\\"] or doc_id != \\"x" "法律"
    """
    value = str(value)
    if _CONTROL.search(value):
        raise ValueError(f"a control character in {value!r} cannot be written in a Milvus expression")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


NOTHING = "row < 0"  # primary keys are >= 0; Milvus Lite fails on an empty `in []`


def _in(field: str, values: Iterable[str]) -> str:
    vals = list(values)
    if not vals:
        return NOTHING
    if len(vals) == 1:
        return f"{field} == {literal(vals[0])}"
    return f"{field} in [{', '.join(literal(v) for v in vals)}]"


def doc_ids_expr(doc_ids: Sequence[str]) -> str:
    return _in("doc_id", doc_ids)


def predicate_expr(p: DocPredicate) -> str:
    """The Milvus expression keeping the rows whose document ``p`` keeps.

    >>> predicate_expr(DocPredicate(types=("法律",), day_lo=20200000, day_hi=99999999))
    'doc_type == "法律" and day >= 20200000 and day <= 99999999'
    """
    parts = []
    if p.types:
        parts.append(_in("doc_type", p.types))
    if p.day_lo or p.day_hi:
        parts.append(f"day >= {int(p.day_lo)} and day <= {int(p.day_hi)}")
    if p.titles is not None:
        parts.append(_in("title", p.titles))
    if p.doc_ids is not None:
        parts.append(doc_ids_expr(p.doc_ids))
    return " and ".join(parts)


def _not_in(field: str, values: Sequence[str]) -> str:
    if len(values) == 1:
        return f"{field} != {literal(values[0])}"
    return f"{field} not in [{', '.join(literal(v) for v in values)}]"


def visible_expr(gen: int, hidden: Sequence[Sequence]) -> str:
    """Rows generation ``gen`` sees: ``born <= gen``, minus each ``[cutoff, doc_ids]`` entry of ``hidden``
    (those documents' rows written before ``cutoff``). Written without ``not``, which Milvus Lite 2.5
    cannot run.

    >>> visible_expr(3, [[3, ["a"]], [2, ["b", "c"]]])
    'born <= 3 and (doc_id != "a" or born >= 3) and (doc_id not in ["b", "c"] or born >= 2)'
    """
    parts = [f"born <= {int(gen)}"]
    parts += [f"({_not_in('doc_id', list(ids))} or born >= {int(cut)})" for cut, ids in hidden if ids]
    return " and ".join(parts)
