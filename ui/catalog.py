"""The library catalogue: search, type filter and paging over many documents.

With a whole statute archive indexed (1,585 laws, regulations and judicial
interpretations) one table of every document is unusable, so the 资料库 tab
shows one page at a time of the rows :func:`ui.library.document_rows`
returns, narrowed by a title search and a document type. The rows keep the
library table's columns; the type, version date and validity come from the
index's document metadata (:mod:`rag.statute`). This module only selects
rows; it does not render HTML or change the index.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

__all__ = ["ALL_TYPES", "PAGE_SIZE", "CatalogPage", "catalog_page"]

PAGE_SIZE = 50
ALL_TYPES = "全部类型"


@dataclass
class CatalogPage:
    """One page of library rows, the page number shown (1-based), page count and a status line."""

    rows: list[list]
    page: int
    pages: int
    status: str


def _fold(text: str) -> str:
    """Text compared case- and width-blind: full-width （十） and ASCII (十) match (NFKC, lower case)."""
    return unicodedata.normalize("NFKC", text).lower()


def catalog_page(rows: list[list], types: dict[str, str], *, query: str = "", doc_type: str = ALL_TYPES,
                 page: int = 1, page_size: int = PAGE_SIZE) -> CatalogPage:
    """Rows whose title contains every word of ``query`` (or whose id is ``query``) and whose type is
    ``doc_type``, page ``page``. Brackets and letters match in either width.

    ``rows`` are library rows (title first, document id last); ``types`` maps a
    document id to its type ("" for non-statutes). Out-of-range pages are clamped.

    >>> rows = [["民法典", "", 1, 1, "", "a"], ["劳动合同法", "", 1, 1, "", "b"], ["通知", "", 1, 1, "", "c"]]
    >>> p = catalog_page(rows, {"a": "法律", "b": "法律", "c": ""}, doc_type="法律", page_size=1, page=9)
    >>> p.rows[0][0], p.page, p.pages, p.status
    ('劳动合同法', 2, 2, '法律 2 篇（共 3 篇），第 2/2 页')
    """
    q = _fold(query or "").strip()
    words = q.split()
    picked = [r for r in rows if (not q or all(w in _fold(str(r[0])) for w in words) or q == str(r[-1]).lower())
              and (doc_type in ("", None, ALL_TYPES) or types.get(str(r[-1]), "") == doc_type)]
    pages = max(1, -(-len(picked) // page_size))
    page = min(max(1, int(page or 1)), pages)
    label = "" if doc_type in ("", None, ALL_TYPES) else f"{doc_type} "
    found = f"“{query.strip()}” " if q else ""
    status = f"{found}{label}{len(picked)} 篇（共 {len(rows)} 篇），第 {page}/{pages} 页"
    return CatalogPage(picked[(page - 1) * page_size: page * page_size], page, pages, status)
