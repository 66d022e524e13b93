"""Which sentence of the cited passage answers a follow-up (round 10): two ways to move a follow-up's quote.

* :func:`closer_sentence` (**on by default**, ``DialogueConfig.sentence_cosine``): a quote that repeats the previous
  answer's sentence moves to a neighbouring sentence whose stored vector is closer to the follow-up *as typed* by
  more than :data:`COSINE_MARGIN` (no embedding: only a remembered query vector is used).
* :func:`choose_sentence` (off, ``DialogueConfig.sentence_choice``): the quote moves to a neighbour that dominates
  it on three lexical counts (below). Leave-one-round-out over the development dialogues chose off in every fold.

The answer layer chooses a follow-up's sentence for the *searched* question, which carries the earlier turns' words
(吴润清在哪个单位工作, 常州市委书记想把城市打造成什么). A sentence that matches those borrowed words can win
(“…杭州市委经济工作会议…” for 工作) while the sentence that answers what the follow-up asks is the next one in the
same passage (“浙江省机关效能促进中心研究员吴润清…”): a text says the next thing about its subject next.

For an answered follow-up, the quoted sentence and the sentences right around it in the same passage
(:class:`ChoiceConfig`) are described by three counts, read from the text only:

==========  ==============================================================================================
``named``   the places, persons, 《titles》 of the searched question (or only of the question as typed,
            ``ChoiceConfig.names``) and what its pronoun was read as, named in the sentence *itself*
``own``     the follow-up's own content words (:func:`rag.followup.focus_words`: not in an earlier question, not a
            question word or frame verb) the sentence covers
``kind``    1 when the sentence holds the kind of thing asked (:func:`rag.neighbourhood.holds_kind`: a date for
            “when”, a quantity of the unit asked, a person or body for 谁, a name, a purpose clause), else 0
==========  ==============================================================================================

A neighbour replaces the quote only when it **dominates** it — at least as good on all three, better on one. There is
no weight or threshold to fit: the rule cannot trade one kind of evidence for another, so it moves a quote only
when the quote is worse on every count. It never answers a refused follow-up and never refuses an answered one,
so refusal is untouched; statute answers (labelled articles) are left to the statute layer. First turns and single
questions never reach it (no history). It neither retrieves nor embeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from .chunk import split_sentences
from .followup import covers, focus_words
from .mentions import persons, places, pos_tags
from .neighbourhood import ask_kind, holds_kind, previous_quotes, sentence_citation
from .records import Answer, Citation
from .rewrite_rules import TITLE_BOOK
from .textnorm import search_form, strip_end

__all__ = ["COSINE_MARGIN", "ChoiceConfig", "choose_sentence", "closer_sentence", "evidence", "repeats"]

#: How much closer (cosine with the typed follow-up) a neighbouring sentence must be than the quote to take its
#: place (:func:`closer_sentence`). Chosen by leave-one-round-out over the development dialogues (every fold chose
#: 0.02 of 0.02–0.15 and never moving; ``bench/diag_sentence_cosine.py``).
COSINE_MARGIN = 0.02


@dataclass(frozen=True)
class ChoiceConfig:
    """``after``: sentences after the quote considered; ``before``: sentences before it; ``rule``: when a
    neighbour wins — ``dominance`` (at least as good on every count, better on one), ``named`` (at least as good on
    ``named`` and ``kind``, more in all: own words may be traded for the question's names), ``sum`` (more in all).
    The rule is chosen by leave-one-round-out over the development dialogues (``bench/choose_sentence_rule.py``)."""

    after: int = 2
    before: int = 1
    rule: str = "dominance"
    #: whose names count for ``named``: the ``searched`` question's (with the words borrowed from earlier turns)
    #: or only those the user ``typed`` (plus what a pronoun was read as): borrowed names are shared by every
    #: sentence on the conversation's topic
    names: str = "searched"


def _entities(search_question: str, antecedent: str) -> list[str]:
    """What the searched question is about: its 《titles》, places, persons, and the pronoun's antecedent."""
    q = strip_end(search_question)
    out = TITLE_BOOK.findall(q) + places(pos_tags(q)) + persons(q) + ([antecedent] if antecedent else [])
    return [e for e in dict.fromkeys(search_form(x.strip("《》")) for x in out) if len(e) >= 2]


def evidence(sentence: str, question: str, entities: Sequence[str], own: Sequence[str], kind: str,
             known: str, cand: Answer) -> tuple[int, int, int]:
    """``(named, own, kind)`` of one sentence (see the module); ``cand``: an answer quoting it (for the kind test)."""
    form = search_form(sentence)
    named = sum(e in form for e in entities)
    covered = sum(covers(sentence, w) for w in own)
    held = int(kind != "open" and holds_kind(kind, question, cand, known))
    return named, covered, held


def _quoting(ans: Answer, cit: Citation, s: int, e: int) -> Answer:
    moved = sentence_citation(cit, s, e)
    return replace(ans, answer=f"{moved.quote}[1]", citations=[moved])


def _around(cit: Citation, config: ChoiceConfig) -> tuple[list[tuple[int, int]], int, list[int]] | None:
    """The sentence spans of ``cit``'s passage, the index of the quoted one and its neighbours in the order they
    are tried (the ``after`` ones, then the ``before`` ones); None when the quote is not inside a sentence."""
    spans = split_sentences(cit.text)
    qs = cit.quote_start - cit.start
    at = next((i for i, (s, e) in enumerate(spans) if s <= qs < e), None)
    if at is None:
        return None
    order = [at + d for d in range(1, config.after + 1)] + [at - d for d in range(1, config.before + 1)]
    return spans, at, [i for i in order if 0 <= i < len(spans)]


def _wins(a: tuple[int, int, int], b: tuple[int, int, int], rule: str) -> bool:
    """Neighbour evidence ``a`` beats the quote's ``b`` under ``rule`` (:class:`ChoiceConfig`)."""
    if rule == "dominance":
        return all(x >= y for x, y in zip(a, b)) and a != b
    if rule == "named":
        return a[0] >= b[0] and a[2] >= b[2] and sum(a) > sum(b)
    if rule == "sum":
        return sum(a) > sum(b)
    raise ValueError(f"unknown sentence-choice rule {rule!r}")


def choose_sentence(ans: Answer, question: str, search_question: str, known: str, antecedent: str = "",
                    config: ChoiceConfig = ChoiceConfig()) -> Answer:
    """``ans`` with its quote moved to a neighbouring sentence of the first cited passage that dominates it, else
    ``ans`` unchanged. ``question``: as typed; ``known``: the earlier turns' questions (their words are not the
    follow-up's own); ``antecedent``: what a pronoun was read as."""
    if not ans.answerable or not ans.citations or any(c.label for c in ans.citations):
        return ans
    q = strip_end(question)
    kind, own = ask_kind(q), focus_words(q, known)
    entities = _entities(search_question if config.names == "searched" else question, antecedent)
    cit = ans.citations[0]
    if (found := _around(cit, config)) is None:
        return ans
    spans, _, order = found
    here = evidence(cit.quote, q, entities, own, kind, known, ans)
    best: tuple[tuple[int, int, int], Answer] | None = None
    for i in order:
        cand = _quoting(ans, cit, *spans[i])
        ev = evidence(cand.citations[0].quote, q, entities, own, kind, known, cand)
        if _wins(ev, here, config.rule) and (best is None or sum(ev) > sum(best[0])):
            best = (ev, cand)
    return best[1] if best is not None else ans


def repeats(quote: str, previous_answer: str) -> bool:
    """``quote`` is (or holds) one of the sentences the previous answer quoted."""
    q = search_form(quote)
    return bool(q) and any(q in p or p in q for p in previous_quotes(previous_answer or ""))


def closer_sentence(ans: Answer, question: str, cosines, margin: float = COSINE_MARGIN,
                    config: ChoiceConfig = ChoiceConfig(), previous_answer: str | None = None) -> Answer:
    """``ans`` with its quote moved to the neighbouring sentence of the first cited passage (the ``after`` ones, then
    the ``before`` ones) whose stored vector is closest to the follow-up *as typed*, when that is more than
    ``margin`` closer than the quote's; else ``ans``. ``cosines(text, doc_id, spans)`` gives those cosines or None
    (the typed question was never embedded, or a sentence has no vector: nothing moves, nothing is embedded).

    The answer layer chose the sentence for the searched question, whose words came partly from earlier turns (the
    topic, an antecedent): the sentence that matches those can win over the next one, which says what the follow-up
    asks in other words (有什么隐患？ ~ 重复建设的风险). Refusals and the statute answerer's answers (labelled
    citations) are left alone; a general answer quoting a sentence of an article passage is not labelled yet when the
    hook runs (:func:`rag.qa.ask` labels afterwards) and may move. A moved answer quotes that one sentence: further
    citations of ``ans`` are dropped (as in :func:`choose_sentence`)."""
    if not ans.answerable or not ans.citations or any(c.label for c in ans.citations):
        return ans
    if previous_answer is not None and not repeats(ans.citations[0].quote, previous_answer):
        return ans  # only a quote that repeats the previous answer moves (the text goes on from there)
    cit = ans.citations[0]
    if (found := _around(cit, config)) is None or not found[2]:
        return ans
    spans, at, neighbours = found
    order = [at, *neighbours]
    cs = cosines(question, cit.doc_id, [(cit.start + spans[i][0], cit.start + spans[i][1]) for i in order])
    if cs is None:
        return ans
    best = max(range(1, len(order)), key=lambda k: cs[k])
    return _quoting(ans, cit, *spans[order[best]]) if cs[best] - cs[0] > margin else ans
