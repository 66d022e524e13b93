"""Which sentence a follow-up quotes (round 14, issue 11): sentence features that exist only in a conversation.

The answer layer's selector (:mod:`rag.select`) ranks every sentence of a question's passages by P(it holds the
answer), from the *searched* question's words. For a follow-up that question is rebuilt from earlier turns, and the
sentence ranked first is often the one the previous answer quoted, or another that matches the carried words,
while the answer is the next thing the text says. Inside :func:`in_conversation` (set by :mod:`rag.dialogue` for a
turn that leans on the conversation, outside conversations about laws), :func:`adjust` adds to each candidate
features read from the conversation alone, and re-ranks by ``logit(P) + Σ weight · feature``:

============  ====================================================================================
``repeat``    the sentence is (in) one of the previous answer's quotes
``next1``     it is the sentence right after a previous quote, in the same passage
``next2``     two sentences after one
``before``    the sentence right before one
``same``      in the passage of a previous quote, further away
``own``       share of the follow-up's own content words (:func:`rag.followup.focus_words`: not in the
              previous question or answer) that the sentence covers
``carried``   share of the searched question's words that the user did not type (carried from earlier turns)
              that the sentence covers
============  ====================================================================================

With every weight 0 nothing is computed (:attr:`SentenceWeights.active`). The weights are fitted by
leave-one-round-out over the development dialogues (``bench/followup_sentence.py``; docs/conversations.md, round 14).
This module neither retrieves nor embeds; it reads text only.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, fields

from .textnorm import search_form
from .tokenize import tokenize

__all__ = ["Conversation", "FEATURES", "FITTED", "SentenceWeights", "adjust", "conversation_features", "in_conversation"]

FEATURES = ("repeat", "next1", "next2", "before", "same", "own", "carried")


@dataclass(frozen=True)
class SentenceWeights:
    """The weight of each conversation feature in a follow-up's sentence ranking (logit units); ``update_p``: the
    re-ranked candidates also carry the adjusted P (so the refusal model reads it), else their own."""

    repeat: float = 0.0
    next1: float = 0.0
    next2: float = 0.0
    before: float = 0.0
    same: float = 0.0
    own: float = 0.0
    carried: float = 0.0
    update_p: bool = False

    @property
    def active(self) -> bool:
        return any(getattr(self, f) for f in FEATURES)

    @classmethod
    def parse(cls, text: str) -> "SentenceWeights":
        """``"repeat=-1,next1=0.5"`` → weights (``update_p=1`` for True)."""
        kw = dict(x.split("=") for x in text.split(",") if x.strip())
        names = {f.name for f in fields(cls)}
        return cls(**{k: (bool(float(v)) if k == "update_p" else float(v)) for k, v in kw.items() if k in names})


@dataclass(frozen=True)
class Conversation:
    """What a follow-up's sentences are read against: the question as typed, the previous answer's quotes as
    written, and the previous question + answer (what the follow-up did not say anew)."""

    typed: str
    quotes: tuple[str, ...]
    known: str
    weights: SentenceWeights
    record: bool = False  # store the features on the candidates even with every weight 0 (diagnosis)
    #: per turn: the own words, the quotes in search form, each passage's quoted sentences, each wording's carried
    #: words (a turn builds several answers on the same passages)
    memo: dict = field(default_factory=dict, compare=False, repr=False)


#: chosen by leave-one-round-out over the development dialogues (the setting of most folds and of all rounds
#: together; docs/conversations.md, round 14)
FITTED = SentenceWeights(next1=0.5, own=2.0, carried=-1.0, update_p=True)

_conversation: ContextVar[Conversation | None] = ContextVar("rag_followup_sentence", default=None)


@contextmanager
def in_conversation(conv: Conversation | None) -> Iterator[None]:
    """Rank the sentences of the answers built inside this block with ``conv``'s features (None: no change)."""
    token = _conversation.set(conv) if conv is not None and (conv.weights.active or conv.record) else None
    try:
        yield
    finally:
        if token is not None:
            _conversation.reset(token)


def _index_in(spans: Sequence[tuple[int, int]], start: int) -> int | None:
    return next((j for j, (a, _) in enumerate(spans) if a == start), None)


def _positions(cands: Sequence, conv: Conversation) -> dict[str, set[int]]:
    """chunk_id → indices of its sentences that are (in) a previous quote."""
    memo = conv.memo.setdefault("where", {})
    qs = conv.memo.get("quotes")
    if qs is None:
        qs = conv.memo["quotes"] = [search_form(q) for q in conv.quotes]
    for c in cands:
        chunk = c.sentence.hit.chunk
        if chunk.chunk_id in memo:
            continue
        hold = set()
        if any(q in chunk.text for q in conv.quotes) or any(q in search_form(chunk.text) for q in qs):
            for j, (a, b) in enumerate(chunk.sentences):
                t = search_form(chunk.text[a - chunk.start:b - chunk.start])
                if len(t) >= 4 and any(t in q or (len(q) >= 6 and q in t) for q in qs):
                    hold.add(j)
        memo[chunk.chunk_id] = hold
    return memo


def _share(formed: str, words: Sequence[str]) -> float:
    """Share of ``words`` (in search form) that the sentence ``formed`` (in search form) covers
    (:func:`rag.followup.covers`)."""
    from .answer_kind import covers_formed  # not at import: it imports the answer layer, which imports this

    return sum(covers_formed(formed, w) for w in words) / len(words) if words else 0.0


def conversation_features(question: str, cands: Sequence, conv: Conversation) -> list[dict[str, float]]:
    """The conversation features (:data:`FEATURES`) of each candidate (:class:`rag.select.Candidate`) of the
    searched wording ``question``."""
    from .followup import focus_words

    where = _positions(cands, conv) if conv.quotes else {}
    own = conv.memo.get("own")
    if own is None:
        own = conv.memo["own"] = [search_form(w) for w in focus_words(conv.typed, conv.known)]
    carried = conv.memo.get(("carried", question))
    if carried is None:
        typed = search_form(conv.typed)
        carried = conv.memo[("carried", question)] = [f for w in dict.fromkeys(tokenize(question))
                                                      if len(w) >= 2 and (f := search_form(w)) not in typed]
    forms = conv.memo.setdefault("forms", {})
    out = []
    for c in cands:
        s = c.sentence
        hold = where.get(s.hit.chunk.chunk_id, set())
        k = _index_in(s.hit.chunk.sentences, s.start)
        d = min((k - j for j in hold), key=abs) if hold and k is not None else None
        key = (s.hit.chunk.chunk_id, s.start)
        formed = forms.get(key)
        if formed is None:
            formed = forms[key] = search_form(s.text)
        out.append({"repeat": float(d == 0), "next1": float(d == 1), "next2": float(d == 2), "before": float(d == -1),
                    "same": float(d is not None and d not in (-1, 0, 1, 2)),
                    "own": _share(formed, own), "carried": _share(formed, carried)})
    return out


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def adjust(question: str, cands: list) -> None:
    """Inside :func:`in_conversation`: add the conversation features to ``cands`` (``conv_*``) and, with weights,
    re-rank them (best first) by ``logit(P) + Σ weight · feature``; outside it, nothing."""
    conv = _conversation.get()
    if conv is None or not cands:
        return
    w = conv.weights
    for c, f in zip(cands, conversation_features(question, cands, conv)):
        c.features.update({"conv_" + k: v for k, v in f.items()})
        if w.active:
            z = _logit(c.p) + sum(getattr(w, k) * v for k, v in f.items())
            c.features["conv_z"] = z
            if w.update_p:
                c.p = 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))
    if w.active:
        cands.sort(key=lambda x: (-x.features["conv_z"], x.sentence.hit.rank, x.sentence.start))
