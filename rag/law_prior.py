"""A law conversation's laws as a retrieval prior (round 13, issue 11).

In a conversation about laws the next question is usually about *another* article of the law just quoted (on the
development law dialogues the previous answer's article held the answer for 0.24 of follow-ups, its law for 0.87 of
those whose gold article could be placed), so the previous article itself is a poor prior (round 12's
``near_prior``) but its law is a good one. Each reading of a law follow-up (:mod:`rag.law_followup`) is retrieved
to :data:`DEPTH` candidates and re-ranked by ``score / top + weight · [law quoted in the conversation] + last ·
[law of the last answer's article]`` (:func:`rag.context.fuse_hits`, named articles stay first); the top ``k``
are answered as before. Nothing is embedded and nothing searched twice. Where :mod:`rag.law_route` refilled law
slots, the general ranking rides along re-ranked the same way, as in :func:`rag.context.retrieve_in_context`.

Weights: chosen by leave-one-round-out over the development law dialogues (docs/law-dialogues.md, round 13).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from .context import fuse_hits
from .records import Hit
from .textnorm import normalize

__all__ = ["DEPTH", "MAX_LAWS", "LawPrior", "conversation_laws", "law_prior", "retrieve_with_laws", "with_general"]

DEPTH = 20
#: at most this many laws of a conversation count (the most recent first): a client's history cannot make a turn
#: look up an unbounded number of titles
MAX_LAWS = 8
#: a citation: 《title》第X条 at the start of a line (an answer puts each on its own line; a law named inside the
#: quoted text — 依照《…》第十四条 — is not one the conversation quoted). Leading spaces, ``>``, list bullets and
#: ``[n]`` markers of a formatted answer are allowed before it
_CITATION = re.compile(r"^[ \t>*\-•\d.\[\]]*《((?:[^《》\n]|《[^《》\n]{1,60}》){2,100})》第[一二三四五六七八九十百千零〇\d]+条",
                       re.MULTILINE)


@dataclass(frozen=True)
class LawPrior:
    """``laws``: the titles the conversation's answers quoted, the last answer's first; ``weight``: added to a
    candidate of any of them, ``last`` more to one of the first (in units of the top candidate's score)."""

    laws: tuple[str, ...]
    weight: float = 0.0
    last: float = 0.0

    def __bool__(self) -> bool:
        return bool(self.laws) and bool(self.weight or self.last)


def conversation_laws(history: Sequence, max_turns: int = 8) -> tuple[str, ...]:
    """Every law the answers of the last ``max_turns`` turns cite (a line starting 《…》第X条), most recent first,
    each once, at most :data:`MAX_LAWS`.

    >>> from rag.turns import Turn
    >>> conversation_laws([Turn("q1", "《中华人民共和国劳动法》第三十六条 …"),
    ...                    Turn("q2", "《中华人民共和国劳动合同法》第十九条 … 《中华人民共和国劳动法》第四十四条")])
    ('中华人民共和国劳动合同法', '中华人民共和国劳动法')
    """
    out: list[str] = []
    for t in reversed(list(history)[-max_turns:]):
        for m in _CITATION.finditer(normalize(t.answer or "")[0]):
            if m.group(1) not in out:
                out.append(m.group(1))
                if len(out) == MAX_LAWS:
                    return tuple(out)
    return tuple(out)


def _titles(index) -> dict[str, frozenset[str]]:
    """``title → ids of its documents`` (every version), once per loaded generation."""
    def build() -> dict[str, frozenset[str]]:
        out: dict[str, set[str]] = {}
        for i, d in index.documents.items():
            out.setdefault(d.title, set()).add(i)
        return {t: frozenset(ids) for t, ids in out.items()}
    return index.derived(("law_prior", "titles"), build)


def _documents(index, title: str) -> frozenset[str]:
    """The documents of the law called ``title``, else of every law whose title holds it (as
    :func:`rag.law_route.law_documents` selects them); none for a law this index does not hold. Nothing is cached
    per title: titles come from a client's history."""
    titles = _titles(index)
    if title in titles:
        return titles[title]
    return frozenset().union(*(ids for t, ids in titles.items() if title and title in t))


def law_prior(index, hits: Sequence[Hit], prior: LawPrior) -> dict[str, float]:
    """``chunk_id → weight · [its law was cited] + last · [it is of the last answer's law]`` for ``hits`` (the
    last answer's law: the first one cited by the most recent turn that cited any)."""
    if not prior:
        return {}
    every = frozenset().union(*(_documents(index, t) for t in prior.laws))
    last = _documents(index, prior.laws[0])
    out = {}
    for h in hits:
        v = prior.weight * (h.chunk.doc_id in every) + prior.last * (h.chunk.doc_id in last)
        if v:
            out[h.chunk.chunk_id] = v
    return out


def retrieve_with_laws(retrieve: Callable[..., list[Hit]], index, question: str, prior: LawPrior, *, k: int = 5,
                       **kw) -> list[Hit]:
    """``retrieve(question, k=max(k, DEPTH), **kw)`` re-ranked by the conversation's laws; top ``k``."""
    cands = retrieve(question, k=max(k, DEPTH), **kw)
    if not cands or not prior:
        return cands[:k]
    return with_general(cands, lambda hs: fuse_hits(hs, law_prior(index, hs, prior), k=k, weight=1.0))


def with_general(cands: list[Hit], rerank: Callable[[list[Hit]], list[Hit]]) -> list[Hit]:
    """``rerank(cands)``; where :mod:`rag.law_route` refilled law slots, the general ranking the hits carry rides
    along, re-ranked the same way (``general`` of each result: None where it agrees)."""
    out = rerank(cands)
    if not any(h.general is not None for h in cands):
        return out
    general = rerank([h.general or h for h in cands])
    return [replace(h, general=None if (g.chunk.chunk_id, g.score) == (h.chunk.chunk_id, h.score) else g)
            for h, g in zip(out, general)]
