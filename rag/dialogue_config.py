"""How a conversation is read and answered: :class:`DialogueConfig`, the switches and weights of :mod:`rag.dialogue`.

Each field says what it does, its default, and the measurement that chose it (docs/conversations.md,
docs/law-dialogues.md). This module holds configuration only; the reading is in :mod:`rag.dialogue`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .followup_sentence import SentenceWeights

__all__ = ["DialogueConfig"]


@dataclass(frozen=True)
class DialogueConfig:
    """``max_turns``: earlier turns read (older ones dropped); ``max_chars``: characters read per question;
    ``answer_chars``: characters read per answer (its first sentences name what a pronoun refers to)."""

    max_turns: int = 8
    max_chars: int = 2000
    answer_chars: int = 300
    #: a follow-up left as typed that names no topic of its own is searched (retrieved and answered) as the
    #: conversation's topic words + the question, its answer then held to :func:`rag.incontext.gate`'s checks;
    #: False: the question as typed, its candidates re-ranked by the topic words (:mod:`rag.context`, round 4)
    context_search: bool = True
    #: further readings tried when a follow-up is refused (:func:`rag.incontext.readings`; each costs one pass
    #: of the answer layer over 2 passages, no embedding)
    readings: int = 1
    #: a follow-up still refused is retrieved and answered once more as the previous question + the question
    #: (:func:`rag.dialogue._with_previous`). Off by default: on the development dialogues it gained 2 of 58 follow-ups per
    #: index but doubled the added p95 of a turn (+4 → +10 ms against the ≤ 5 ms target)
    previous_search: bool = False
    #: a follow-up in a conversation about statutes is answered by :mod:`rag.law_followup` (the typed question
    #: and the previous search + the question, the more confident wins); False: as any other follow-up
    law_readings: bool = True
    #: a follow-up every reading left refused (or a 里面… one answered from a passage without the last answer,
    #: :func:`rag.dialogue._inside_elsewhere`) is answered from the sentences around the previous answer when one holds what
    #: it asks (:mod:`rag.neighbourhood`; no retrieval, no embedding: only passages this turn's readings saw)
    neighbourhood: bool = True
    #: when no passage at hand holds the previous answer (a large index), search the previous question again on
    #: its cached query vector to find it (:func:`rag.dialogue._near`). Off by default: on the development dialogues it gained
    #: 1-2 of 53 follow-ups on one set (0 on two others) but raised the added p95 of a turn from +3.6 to +8.9 ms
    #: on the shipped corpus (target ≤ 5 ms; ``bench/bench_dialogue.py``)
    neighbourhood_search: bool = False
    #: an answered follow-up's quote moves to a neighbouring sentence of its passage that dominates it on the
    #: searched question's names, the follow-up's own words and the kind of thing it asks (:mod:`rag.sentence_choice`).
    #: Off: chosen by leave-one-round-out over the development dialogues (``bench/choose_sentence_rule.py``), every
    #: fold chose off — no rule gained a follow-up on any round (it moved 0–4 quotes per round, none onto the answer)
    sentence_choice: bool = False
    #: an answered follow-up's quote moves to a neighbouring sentence of its passage whose stored vector is closer
    #: to the question as typed by more than :data:`rag.sentence_choice.COSINE_MARGIN` (only when the typed
    #: question's vector is already remembered: nothing is embedded; :func:`rag.sentence_choice.closer_sentence`)
    sentence_cosine: bool = True
    #: with ``sentence_cosine``: only a quote that repeats the previous answer's sentence moves (moving any quote
    #: carried a wrong one into the next turn's neighbourhood: an unanswerable follow-up answered on development)
    cosine_repeats_only: bool = True
    #: a turn the rewriter leaves standalone with no context words (it names its own topic), outside a conversation
    #: about laws, is answered with the calibrated refusal models, as alone. Off (the follow-up models for every turn
    #: with history, as in round 10): +4 correct development follow-ups but −2 on the round-10 validation set (corpus
    #: index), so the round-11 keep rule left it off (docs/followup_refusal.md, round 11)
    standalone_general: bool = False
    #: a follow-up's candidates that hold a quote of the previous answer score this much more (in units of the top
    #: candidate's score; :func:`rag.context.near_prior`): the conversation is still about that passage, so 1.5
    #: puts it first. When the follow-up's own search left it out, it is looked up by its quote and joins the
    #: candidates (nothing embedded, no second search). Only for a turn that leans on the conversation (not a topic
    #: switch naming its own topic), outside conversations about laws; the answer and refusal run as before.
    #: 1.5: chosen by leave-one-round-out over the development dialogues (gold passage first: 0.78 → 0.90 of
    #: follow-ups; every fold chose 1.5); 0: off (round 11). README, Conversations, round 12
    near_prior: float = 1.5
    #: (with ``near_prior=0``) the previous answer's passage only takes the last of a follow-up's top 5 places when
    #: its search left it out, the order otherwise kept. Off: it changed no development answer (round 12)
    near_join: bool = False
    #: a law follow-up's readings rank the candidates of the laws the conversation quoted this much higher, and
    #: those of the last answer's law ``law_prior_last`` more (:mod:`rag.law_prior`); 0, 0: off (round 12).
    #: 0.3, 0.05: chosen by leave-one-round-out over the development law dialogues (7 of 8 folds; docs/law-dialogues.md)
    law_prior: float = 0.3
    law_prior_last: float = 0.05
    #: the dense follow-up refusal threshold for a turn that leans on the conversation, outside law conversations
    #: (:mod:`rag.followup_threshold`); None: the stored one (0.183). Round 13, docs/conversations.md
    followup_threshold: float | None = None
    #: time words and localizers (平时, 后来, 前面) are not what a follow-up asks (:data:`rag.followup.FRAME_TAGS`)
    focus_frame: bool = False
    #: a further reading (:func:`rag.incontext.gate`) of a follow-up that asks no typed thing
    #: (:func:`rag.incontext.asks_open`: read simplified and unwrapped, ``ask_kind`` open, Chinese, no measure, place,
    #: count or bare …吗) is not refused for missing its own words (``check_focus``'s refusal is waived; with
    #: ``open_focus_last`` its move to a sentence that says them is kept; not when it names a new noun,
    #: :func:`rag.incontext.names_new_thing`). Round 19; opt-in: off by default after its final look (README)
    open_unfocused: bool = False
    #: with ``open_unfocused``, an answer that says none of the follow-up's own words is the last resort, not a
    #: pass: a neighbouring sentence of the quote that says them still wins (``check_focus``'s move), and so does
    #: the previous answer's neighbourhood (:mod:`rag.neighbourhood`) when it holds what is asked. Round 19, h6
    open_focus_last: bool = True
    #: a follow-up left standalone only because it names a place of its own (那安徽擅长什么？ after 江苏在哪方面有
    #: 优势？), refused as typed, is searched once more as the previous question's topic words (less its places) + the
    #: question (:func:`rag.dialogue.place_topic`, ``_with_topic``), held to :func:`rag.incontext.gate`. Round 20
    own_place_topic: bool = True
    #: a follow-up's sentences re-ranked by features read from the conversation (the previous answer's quote, the
    #: sentences after it, the follow-up's own words; :mod:`rag.followup_sentence`); all 0: off. Round 14
    sentence_weights: SentenceWeights = field(default_factory=SentenceWeights)
    #: store those features on the candidates even with every weight 0 (``bench/followup_sentence.py``)
    sentence_record: bool = False
