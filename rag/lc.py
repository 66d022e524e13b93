"""LangChain adapter: our retrieval as a ``langchain_core`` retriever.

``RagRetriever(searcher=Searcher("index"))`` plugs the hybrid retriever into
LangChain chains; each result is a LangChain ``Document`` whose
``page_content`` is the passage and whose ``metadata`` carries everything a
citation needs (doc id, title, section, offsets, scores). This module adds no
retrieval logic of its own.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from .retrieve import retrieve

__all__ = ["RagRetriever"]


class RagRetriever(BaseRetriever):
    """LangChain retriever over a :class:`rag.qa.Searcher`.

    >>> from rag.qa import Searcher                      # doctest: +SKIP
    >>> r = RagRetriever(searcher=Searcher("index"), k=3)  # doctest: +SKIP
    >>> r.invoke("温州人工智能局做什么")[0].metadata["section"]  # doctest: +SKIP
    '集中布局'
    """

    searcher: Any
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun
                                ) -> list[LCDocument]:
        index = self.searcher.index()
        hits = retrieve(index, query, embedder=self.searcher.embedder, k=self.k, mode=self.mode)
        return [LCDocument(page_content=h.chunk.text, metadata={
            "doc_id": h.chunk.doc_id, "chunk_id": h.chunk.chunk_id, "title": h.title, "section": h.chunk.section,
            "start": h.chunk.start, "end": h.chunk.end, "score": h.score, "dense": h.dense, "bm25": h.bm25,
            "rank": h.rank}) for h in hits]
