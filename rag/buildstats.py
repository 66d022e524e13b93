"""Where an index build's time went: wall seconds per stage and embedding counts per kind.

:func:`rag.index.build_index` records one :class:`StageClock` in the manifest's ``build`` entry
(``{"seconds": {"chunk": …, "embed_passages": …, "embed_sentences": …, "tokenize": …, "stores": …},
"embeddings": {"passages": {"reused", "cached", "embedded", "duplicates"}, "sentences": {…}}}``),
so ``rag index`` and ``bench/bench_fullbuild.py`` can say where a build spent its time. Writing the
generation is not in it (the manifest is written then). This module times nothing by itself.

    >>> c = StageClock(); c.lap("chunk"); c.counts("passages").update(embedded=3); sorted(c.report())
    ['embeddings', 'seconds']
"""

from __future__ import annotations

import time

__all__ = ["StageClock"]


class StageClock:
    """Wall seconds per build stage (since the previous lap) and per-kind embedding counts."""

    def __init__(self) -> None:
        self._t = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.embedded: dict[str, dict[str, int]] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self._t, 2)
        self._t = now

    def counts(self, kind: str) -> dict[str, int]:
        """The dict that ``rag.embed_cache.embed_with_cache(stats=…)`` fills for ``kind``."""
        return self.embedded.setdefault(kind, {})

    def report(self) -> dict:
        return {"seconds": dict(self.seconds), "embeddings": {k: dict(v) for k, v in self.embedded.items()}}
