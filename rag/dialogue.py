"""Conversations: turn a follow-up question into one that stands alone — no LLM.

A follow-up leans on earlier turns. :func:`resolve` rebuilds the question the
user meant from the previous questions and the cited answers, with a few
rules over jieba's part-of-speech tags (every rule runs in well under a
millisecond; the p95 cost is measured by ``bench/bench_dialogue.py``):

==============  =========================================  ==========================================
rule            follow-up (after …)                        searched as
==============  =========================================  ==========================================
``ellipsis``    南京呢？ (苏州2025年2月举行了什么大会？)         南京2025年2月举行了什么大会
                上一年呢？ (2021年杭州有多少家企业？)          上一年杭州有多少家企业
``person``      他说常州要打造什么？ (answer names 王剑锋)      王剑锋说常州要打造什么
``demonstr.``   这个基金用来做什么？ (…成果转化基金？)          西湖区成果转化基金用来做什么
                该机构负责什么？ (answer: “人工智能局”)        人工智能局负责什么
``it``          它做什么？                                   <the previous question's subject>做什么
``scope``       其中应用层企业有多少家？                      2021年杭州人工智能企业中应用层企业有多少家
``ellipsis``    第三十八条呢？ (…第三十七条规定了什么？)          …第三十八条规定了什么
                八周岁以上的呢？ (不满八周岁的未成年人…)         八周岁以上的未成年人…
==============  =========================================  ==========================================

A question with none of these cues passes through unchanged (rule
``standalone``), so single questions and first turns are never touched.
:func:`ask_in_context` then retrieves and answers the rewritten question
through an ``ask`` function that takes the ``reconsider`` keyword
(:meth:`rag.qa.Searcher.ask`, a partial of :func:`rag.qa.ask`; if it never
calls the hook, the checks run on its answer afterwards) — refusal applies to
it like to any question — and
:mod:`rag.incontext` looks at the answer again: it checks it against what the
follow-up itself asks (:mod:`rag.followup`: “南京呢？” must be answered by a
sentence about 南京), and when that reading is refused, answers a second one on
the same passages — the typed question with the previous question's topic
words, its query vector mixed with the previous question's — kept only if it
answers what the follow-up asks. A follow-up left as typed that names no topic of its own and is still refused is
then retrieved and answered once more as the conversation's topic words + the question (:func:`_with_topic`;
``DialogueConfig.context_search``). One still refused is answered from the sentences around the previous answer
when one holds what it asks (:mod:`rag.neighbourhood`; ``DialogueConfig.neighbourhood``). The rules themselves are
:mod:`rag.rewrite_rules`.

Only the last :attr:`DialogueConfig.max_turns` turns are read; older ones
are dropped (callers report that). Finding persons, places, noun phrases and
what an answer named is :mod:`rag.mentions`. This module does not retrieve or answer.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from .answer import is_refusal
from .context import context_words, shown_search, split_shown
from .dialogue_config import DialogueConfig
from .followup import named_around, refuse
from .followup_refusal import followups, leans_on_conversation
from .followup_sentence import Conversation, in_conversation
from .followup_threshold import previous_quotes, threshold_for
from .incontext import (MIN_CONFIDENCE, SecondLook, checked, contextual_wording, first_check, gate, last_turn,
                        unfocused)
from .law_followup import STATUTE_QUOTE, about_laws, ask_law_followup
from .law_prior import LawPrior, conversation_laws
from .law_switch import named_law_turn
from .lookup import article_in_law
from .mentions import persons, places, pos_tags
from .neighbourhood import NEAR_SHOWN, asks_something, from_neighbourhood, neighbourhood
from .records import Answer
from .retrieve import MAX_QUESTION_CHARS, clean_question
from .rewrite_rules import ELLIPSIS as _ELLIPSIS
from .rewrite_rules import IT_PRON as _IT_PRON
from .rewrite_rules import PERSON_PRON as _PERSON_PRON
from .rewrite_rules import TITLE_BOOK as _TITLE_BOOK
from .rewrite_rules import Rewrite, rewrite_one as _rewrite_one, strip_end as _strip
from .sentence_choice import choose_sentence
from .textnorm import normalize
from .turns import Turn, turns_from_messages

_MARKERS = re.compile(r"\[\d{1,3}\]")

__all__ = ["DialogueConfig", "Rewrite", "Turn", "ask_in_context", "resolve", "turns_from_messages", "warm_up"]


def _it_topic(typed: str, standalone: str) -> str:
    """What 它 was read as in an earlier turn (the text that replaced it), '' if it had no 它.

    >>> _it_topic("它把哪座城市推上风口", "DeepSeek把哪座城市推上风口")
    'DeepSeek'
    """
    m = _IT_PRON.search(typed)
    if not m or not standalone.endswith(typed[m.end():]) or not standalone.startswith(typed[:m.start()]):
        return ""
    return standalone[m.start():len(standalone) - len(typed) + m.end()]


def resolve(question: str, history: Sequence[Turn] = (), *, config: DialogueConfig = DialogueConfig()) -> Rewrite:
    """The standalone question for ``question`` after ``history`` (oldest turn first).

    >>> resolve("南京呢？", [Turn("苏州2025年2月举行了什么大会？", "…推进大会…")]).search_question
    '南京2025年2月举行了什么大会'
    >>> resolve("温州人工智能局做什么", [Turn("苏州市委书记是谁", "范波")]).rule
    'standalone'
    """
    if not history:
        return Rewrite(question, question)
    turns = list(history)[-config.max_turns:]
    prev_q, topic, slot, prev_ctx = "", "", "", ""
    for i, t in enumerate(turns):  # rebuild each earlier standalone question in order (cheap)
        tq = normalize(t.question[:config.max_chars])[0].strip()
        if not tq:
            continue
        if t.search_question:
            shown = normalize(t.search_question[:config.max_chars])[0]
            searched = _strip(split_shown(shown))
            ctx = shown[len(split_shown(shown)):].strip("（）").removeprefix("结合上文：")
            ctx = "" if ctx == NEAR_SHOWN else ctx  # read from the previous answer, not with words
            if not ctx and prev_q and searched == _strip(tq) and _own_topic(tq):  # searched as typed: carried as
                ctx = _own_topic_context(tq, prev_q, prev_ctx, t, config)  # a text-only history rebuilds it
            prev_q, prev_ctx = searched, ctx
        else:
            ctx = _contexts(turns[:i], prev_q, config)
            r = _rewrite_one(tq, prev_q, ctx, _last_answer(turns[:i], config), topic, slot)
            prev_ctx = _replayed_context(tq, r.rule, prev_q, prev_ctx, t, config)
            prev_q = _strip(r.search_question)
        topic = _it_topic(_strip(tq), prev_q)
        slot = (m.group("x").strip() if (m := _ELLIPSIS.match(_strip(tq))) else "")
    rw = _rewrite_one(question, prev_q, _contexts(turns, prev_q, config), _last_answer(turns, config), topic, slot)
    if rw.rule == "standalone" and prev_q and not _own_topic(question):
        rw = replace(rw, context=context_words(f"{prev_q} {prev_ctx}", question))
    elif rw.rule == "standalone" and prev_q and config.own_place_topic:
        rw = replace(rw, place_topic=place_topic(question, f"{prev_q} {prev_ctx}"))
    return rw


def _replayed_context(tq: str, rule: str, prev_q: str, prev_ctx: str, turn: Turn, config: DialogueConfig) -> str:
    """The context words an earlier turn carries, rebuilt when its ``search_question`` is not given (the ``/api/ask``
    and ``/v1`` history) as :func:`resolve` reads it from the chat's shown search (:func:`_own_topic_context`)."""
    if rule != "standalone" or not prev_q:
        return ""
    if not _own_topic(tq):
        return context_words(f"{prev_q} {prev_ctx}", tq)
    return _own_topic_context(tq, prev_q, prev_ctx, turn, config)


def _own_topic_context(tq: str, prev_q: str, prev_ctx: str, turn: Turn, config: DialogueConfig) -> str:
    """The context an earlier turn naming its own topic carries to the next: its place topic when it names its own
    place and was answered (whether as typed or by that reading: the chat and a text-only history then agree), else
    none."""
    answered = config.own_place_topic and bool(_last_answer([turn], config))
    return place_topic(tq, f"{prev_q} {prev_ctx}") if answered else ""


def _own_topic(question: str) -> bool:
    """The question names a place, a person or a document of its own, or asks about a person (他) no rule
    resolved: it is not searched with the context (topic words cannot name the person)."""
    return bool(_TITLE_BOOK.search(question) or _PERSON_PRON.search(question) or places(pos_tags(question))
                or persons(question))


def place_topic(question: str, previous: str) -> str:
    """Topic words for a follow-up the rewriter leaves standalone only because it names a place of its own (not a
    《title》 or a person): ``previous`` (the previous standalone question and its context words)'s content words
    less its places, which the follow-up replaced ('' for any other question). Round 20
    (``DialogueConfig.own_place_topic``: the second reading of such a follow-up refused as typed).

    >>> place_topic("那安徽擅长什么？", "按丁波涛的说法，江苏在哪方面有优势")
    '波涛 优势'
    >>> place_topic("换成安徽是几次？", "浙江提了多少回？ 十五 规划 建议 人工智能"), place_topic("王剑锋是谁", "南京呢")
    ('十五 规划 建议 人工智能', '')
    """
    if _TITLE_BOOK.search(question) or _PERSON_PRON.search(question) or persons(question) \
            or not places(pos_tags(question)):
        return ""
    replaced = places(pos_tags(previous))
    for p in replaced:  # out before context_words keeps its first words (a list of places would crowd them out)
        previous = previous.replace(p, "，")
    return " ".join(w for w in context_words(previous, question).split()
                    if not any(p in w or w in p for p in replaced))


def _says_place(ans: Answer, question: str) -> bool:
    """Some quote of ``ans`` names a place ``question`` names (杭州 for 杭州市): the answer to 那安徽擅长什么？ read with
    the topic words says 安徽 itself, not 杭州's 741家 in a passage that mentions 无锡 elsewhere."""
    own = places(pos_tags(question))
    return any(p in c.quote or (len(p) > 2 and p[:-1] in c.quote and p[-1] in _PLACE_LEVEL)
               for p in own for c in ans.citations)


def _last_answer(turns: Sequence[Turn], config: DialogueConfig) -> str:
    """The previous turn's answer without ``[n]`` markers ('' when it was a refusal or missing)."""
    if not turns:
        return ""
    a = _MARKERS.sub("", normalize(turns[-1].answer[:config.answer_chars])[0])
    return "" if is_refusal(a) else a


def _contexts(turns: Sequence[Turn], prev_q: str, config: DialogueConfig) -> list[str]:
    """Where antecedents are looked for, nearest first: the last answer, the previous question, older answers."""
    answers = [_MARKERS.sub("", normalize(t.answer[:config.answer_chars])[0]) for t in reversed(turns)]
    answers = [a for a in answers if a and not is_refusal(a)]
    return answers[:1] + ([prev_q] if prev_q else []) + answers[1:3]


# ------------------------------------------------------------------ answering

def ask_in_context(ask: Callable[..., Answer], question: str, history: Sequence[Turn] = (), *,
                   config: DialogueConfig = DialogueConfig(), **kw) -> Answer:
    """:func:`_ask_in_context`; a follow-up that leans on the conversation is answered with the follow-up refusal
    models (:mod:`rag.followup_refusal`), one the rewriter leaves standalone with no context words (a topic switch,
    outside a conversation about laws) with the calibrated ones, as when asked alone (``config.standalone_general``)."""
    q = clean_question(question)  # same errors as a standalone question
    t0 = time.perf_counter()
    rw = resolve(q, history, config=config)
    if len(rw.search_question) > MAX_QUESTION_CHARS:  # a huge earlier question: search the follow-up as typed
        rw = Rewrite(q, q)
    laws = bool(history) and config.law_readings and about_laws(history, config.max_turns)
    leans = bool(history) and (not config.standalone_general or leans_on_conversation(rw.rule, rw.context, laws))
    with followups(leans, threshold_for(rw, laws, config)), \
            in_conversation(_sentences(q, rw, history, config) if history and not laws else None):
        return _ask_in_context(ask, q, history, rw, laws, t0, config=config, **kw)


def _sentences(q: str, rw: Rewrite, history: Sequence[Turn], config: DialogueConfig) -> Conversation | None:
    """What a follow-up's sentences are ranked with (:mod:`rag.followup_sentence`; not after a statute article)."""
    if not (config.sentence_weights.active or config.sentence_record) or _about_statutes(history, config):
        return None
    previous_answer = last_turn(history, config)[0]
    return Conversation(q, tuple(previous_quotes(previous_answer, _MARKERS)), f"{rw.previous} {previous_answer}",
                        config.sentence_weights, config.sentence_record)


def _ask_in_context(ask: Callable[..., Answer], q: str, history: Sequence[Turn], rw: Rewrite, laws: bool,
                    t0: float, *, config: DialogueConfig = DialogueConfig(), **kw) -> Answer:
    """Answer the rewrite ``rw`` of the (cleaned) question ``q`` with ``ask(search_question, **kw)``.

    With history, ``ask`` also gets ``reconsider=`` (:class:`rag.incontext.SecondLook`): the :mod:`rag.followup`
    checks, and a second reading with the conversation's topic words when the first is refused.
    The returned answer's ``question`` is the user's (cleaned) question and
    ``search_question`` what was searched; ``timings_ms["rewrite"]`` is the rewriting cost and
    ``timings_ms["check"]`` that of the checks and the second reading (inside ``"answer"``).
    """
    t1 = time.perf_counter()
    if laws:  # rag.law_followup (with the conversation's laws as a retrieval prior: rag.law_prior)
        quoted = conversation_laws(history, config.max_turns)
        if (switched := named_law_turn(ask, q, history, rw.previous, quoted, kw)) is not None:
            switched.question = q
            return _timed(switched, (t1 - t0) * 1000)
        if prior := LawPrior(quoted, config.law_prior, config.law_prior_last):
            ask = functools.partial(ask, law_prior=prior)
        rewrite = rw.search_question if rw.rule in ("ellipsis", "elided") else ""
        rewrite = _article_followup(q, rewrite, quoted, kw) or rewrite
        ans = ask_law_followup(ask, q, history, fallback=rw.previous, rewrite=rewrite,
                               subjectless=rw.rule == "elided", slot=rw.slot if rw.rule == "ellipsis" else "", **kw)
        ans.question = q
        return _timed(ans, (t1 - t0) * 1000)
    # a cue-less follow-up (searched with the topic words), or one whose subject was filled in from the previous
    # question (``elided``: 李世石是哪年哪月的事 may retrieve a law on 年、月): searched again as topic words + typed
    two_step = (bool(rw.context) or rw.rule == "elided") and config.context_search \
        and not _about_statutes(history, config)
    look = first_look = SecondLook(rw, history, config) if history else None
    if look is not None:
        kw["reconsider"] = look
        if (config.near_prior or config.near_join) and leans_on_conversation(rw.rule, rw.context, False) \
                and not _about_statutes(history, config) and (quotes := _previous_quotes(history, config)):
            # not a turn that names its own topic, nor one after a statute article (the next is usually another)
            kw.update(previous=quotes, near_weight=config.near_prior, near_join=config.near_join)
    ans = ask(rw.search_question, context=rw.context, **kw) if rw.context else ask(rw.search_question, **kw)
    if look is not None and not look.called:  # the ask function ignored the hook: the checks still apply
        ans = checked(ans, rw, history, config)
    if two_step and (not ans.answerable or _off_topic(ans, rw)) \
            and len(contextual_wording(rw)[0]) <= MAX_QUESTION_CHARS:  # searched again with the topic words
        ans, look = _with_topic(ask, rw, history, config, ans, look, kw)
    elif history and config.own_place_topic and config.context_search and not ans.answerable \
            and not _about_statutes(history, config) and (words := rw.place_topic) \
            and len(contextual_wording(topical := replace(rw, context=words, place_topic=""))[0]) <= MAX_QUESTION_CHARS:
        # 那安徽擅长什么？ (round 20): the list that answered about 江苏 may be the answer again, so its quote is
        # not moved off the previous answer's sentence (``sentence_cosine``); the gate still wants 安徽 around it
        alt, again = _with_topic(ask, topical, history, replace(config, sentence_cosine=False), ans, look, kw)
        if again is not look and _says_place(alt, q):  # a quote names 安徽 (not only the passage around it)
            ans, rw, look = alt, topical, again
        else:
            ans.timings_ms = alt.timings_ms
    searched = look.shown if look is not None and look.reading else \
        shown_search(clean_question(rw.search_question), rw.context)
    gated = look is not None and (look is not first_look or bool(look.reading))  # a further reading's (gate)
    if history and config.previous_search and not ans.answerable \
            and (alt := _with_previous(ask, rw, history, config, kw)) is not None:
        alt.timings_ms = {**alt.timings_ms, **{k: alt.timings_ms.get(k, 0.0) + ans.timings_ms.get(k, 0.0)
                                               for k in ("retrieve", "answer", "total")}}
        ans, searched, gated = alt, shown_search(_strip(rw.search_question), rw.previous), True
    if history and config.neighbourhood and (not ans.answerable or _inside_elsewhere(q, ans, history, config)
                                             or gated and unfocused(ans, rw, history, config)) \
            and (near := _near(ask, refuse(ans) if ans.answerable else ans, rw, history, config,
                               look.passages if look is not None else [], kw)):
        ans, searched = near, shown_search(_strip(rw.search_question), NEAR_SHOWN)
    elif history and config.sentence_choice and ans.answerable:
        ans = choose_sentence(ans, q, rw.search_question, " ".join([rw.previous, rw.antecedent,
                                                                     *last_turn(history, config)[1]]), rw.antecedent)
    ans.question, ans.search_question = q, searched
    return _timed(ans, (t1 - t0) * 1000, check=look.ms if look else 0.0) if history else ans


def _timed(ans: Answer, ms: float, **more: float) -> Answer:
    """``ans`` with the rewriting cost ``ms`` (and ``more`` timings) in its ``timings_ms``, ``ms`` added to the total."""
    ans.timings_ms = {**ans.timings_ms, "rewrite": ms, **more, "total": ans.timings_ms.get("total", 0.0) + ms}
    return ans


def _article_followup(q: str, rewrite: str, quoted: Sequence[str], kw: dict) -> str:
    """那第十九条呢？ with no law named: that article of the law the last answer quoted (:func:`rag.lookup.article_in_law`)
    — of the user's law filter when there is one (named by title, not by document id), of no law under another filter
    (the type, date or document filter chooses); '' to keep the rule's rewrite."""
    f = kw.get("filters")
    law = (getattr(f, "law", "") or "").strip()
    if law and not _DOC_ID.fullmatch(law):
        return article_in_law(q, "", law)
    if getattr(f, "active", False) or kw.get("doc_ids"):
        return ""
    return article_in_law(q, rewrite, quoted[0] if quoted else "")


_DOC_ID = re.compile(r"[0-9a-f]{8,}")
_PLACE_LEVEL = "省市区县镇"


def _off_topic(ans: Answer, rw: Rewrite) -> bool:
    """An answer to a cue-less follow-up, below even odds, that names none of the previous question's places,
    persons or 《documents》 around its quotes: as typed, the follow-up was answered about something else (a
    confident answer stands: a question that stands alone keeps its answer in a conversation)."""
    prev = rw.previous or ""
    names = _TITLE_BOOK.findall(prev) + places(pos_tags(prev)) + persons(prev)
    return (ans.confidence or 0.0) < MIN_CONFIDENCE and bool(names) and not named_around(ans, names)


def _with_topic(ask: Callable[..., Answer], rw: Rewrite, history: Sequence[Turn], config: DialogueConfig,
                refused: Answer, look: SecondLook, kw: dict) -> tuple[Answer, SecondLook]:
    """A cue-less follow-up refused (or answered off the topic, :func:`_off_topic`) as typed, retrieved and answered again as the topic words + the question
    (:func:`rag.incontext.contextual_wording`; ``ask`` must take ``read_as``, as :func:`rag.qa.ask` does), held to :func:`rag.incontext.gate` at the answer layer's own
    threshold, then the further readings; ``refused`` (and its look) stands when that is refused too, or when
    it quotes a statute article (on the law dialogues the statute model answered unanswerable follow-ups so)."""
    again = SecondLook(rw, history, config, contextual=True)
    # its query vector: the typed question's mixed with the previous question's, both cached (no embedding)
    alt = ask(contextual_wording(rw)[0], **{**kw, "reconsider": again, "read_as": (rw.search_question, rw.previous)})
    if not again.called:
        alt = first_check(alt, rw, history, config, contextual=True)
    again.ms += look.ms
    spent = {k: refused.timings_ms.get(k, 0.0) + alt.timings_ms.get(k, 0.0) for k in ("retrieve", "answer", "total")}
    if not alt.answerable or any(c.label for c in alt.citations) \
            or (refused.answerable and (alt.confidence or 0.0) <= (refused.confidence or 0.0)):  # a statute article: unreliable here;
        # answered as typed (off the topic): the topic reading must be the more confident one (a question that
        # stands alone keeps its answer)
        refused.timings_ms, look.ms = {**refused.timings_ms, **spent}, again.ms
        return refused, look
    alt.timings_ms = {**alt.timings_ms, **spent}
    return alt, again


def _with_previous(ask: Callable[..., Answer], rw: Rewrite, history: Sequence[Turn], config: DialogueConfig,
                   kw: dict) -> Answer | None:
    """A follow-up still refused after every reading on its own passages, retrieved and answered once more as the
    whole previous standalone question + the question (its query vector mixed from cached ones: no embedding),
    held to :func:`rag.incontext.gate` (even odds, the topic named around the quote, what the follow-up asks);
    ``None`` when it gets no such search (``X呢``, no previous question, a law conversation, too long) or its
    answer does not pass (or quotes a statute article)."""
    if rw.rule == "ellipsis" or not rw.previous or _about_statutes(history, config):
        return None
    wording = f"{rw.previous} {_strip(rw.question)}"
    if len(wording) > MAX_QUESTION_CHARS:
        return None
    alt = gate(ask(wording, **{**kw, "reconsider": None, "read_as": (rw.search_question, rw.previous)}),
               rw, history, config)
    return alt if alt.answerable and not any(c.label for c in alt.citations) else None


_INSIDE = re.compile(r"^(?:这|那)?(?:里面|里头|里边|当中)")


def _inside_elsewhere(question: str, ans: Answer, history: Sequence[Turn], config: DialogueConfig) -> bool:
    """“里面提了哪些…？” asks inside what the last answer was about; answered from a passage that does not hold the
    last answer, it is answered about something else (the neighbourhood then decides, if it holds what is asked)."""
    previous_answer, _ = last_turn(history, config)
    return bool(_INSIDE.match(question)) and not is_refusal(previous_answer) \
        and not neighbourhood(ans.citations, previous_answer)


def _near(ask: Callable[..., Answer], ans: Answer, rw: Rewrite, history: Sequence[Turn], config: DialogueConfig,
          seen: Sequence = (), kw: dict | None = None) -> Answer | None:
    """:func:`rag.neighbourhood.from_neighbourhood` for a refused follow-up (not in a conversation about statutes);
    ``seen``: the passages the readings of this turn cited or suggested, besides the final answer's. When none of
    them holds the previous answer (a large index: the follow-up's words retrieved other documents) and
    ``config.neighbourhood_search`` is on (off by default, for latency), the previous standalone question is asked
    again — its query vector is cached, so no embedding — to find its passages."""
    if _about_statutes(history, config) or not rw.previous or rw.rule == "ellipsis":
        return None  # X呢 asks the previous question again about X: the swap check decides (measured: as many
        # unanswerable 珠三角呢？ answered from a neighbouring sentence as answerable ones gained)
    previous_answer, earlier = last_turn(history, config)
    last = True
    if is_refusal(previous_answer):  # a refusal says nowhere: the conversation is where the last answer was
        before, last = list(history)[-2:-1], False  # the turn before it, not further: the conversation may have moved
        previous_answer = before[0].answer[:config.answer_chars * 4] if before and not is_refusal(before[0].answer) \
            else ""
    if not previous_answer:
        return None
    known = " ".join([rw.previous, rw.antecedent, *earlier])
    if not asks_something(rw.question, known):
        return None  # nothing a sentence could be checked against: no search for the previous passage either
    passages = list(ans.suggestions) + list(seen)
    if config.neighbourhood_search and last and not neighbourhood(passages, previous_answer) \
            and len(rw.previous) <= MAX_QUESTION_CHARS:
        plain = {k: v for k, v in (kw or {}).items() if k not in ("reconsider", "read_as", "context")}
        shown = normalize(list(history)[-1].search_question)[0]  # with the context words it was searched with
        ctx = shown[len(split_shown(shown)):].strip("（）").removeprefix("结合上文：")
        wording = f"{ctx.replace(' ', '')} {rw.previous}" if ctx and ctx != NEAR_SHOWN else rw.previous
        wording = wording if len(wording) <= MAX_QUESTION_CHARS else rw.previous  # a long one: without its words
        # the previous turn's question again, with its topic words, on its cached query vector (no embedding)
        again = ask(wording, **plain, read_as=(rw.previous, rw.previous)) if wording != rw.previous \
            else ask(wording, **plain)
        passages += again.citations + again.suggestions
    return from_neighbourhood(replace(ans, suggestions=passages), rw.question, rw.search_question, rw.previous,
                              previous_answer, known, rw.antecedent)


def _previous_quotes(history: Sequence[Turn], config: DialogueConfig) -> list[str]:
    """:func:`rag.followup_threshold.previous_quotes` of the previous answer."""
    return previous_quotes(last_turn(history, config)[0], _MARKERS)


def _about_statutes(history: Sequence[Turn], config: DialogueConfig) -> bool:
    """The last answer quoted a statute article (《…》第X条): the conversation is about laws, whose follow-ups
    are searched as typed (the statute answer model decides on the lay question; measured: topic words made it
    answer unanswerable law follow-ups)."""
    last = next((t for t in reversed(list(history)[-config.max_turns:]) if t.question.strip()), None)
    return bool(last and STATUTE_QUOTE.match(last.answer[:config.answer_chars]))


def warm_up() -> None:
    """Load jieba's part-of-speech tables now (~1 s once) so the first follow-up is as fast as the rest."""
    resolve("南京呢", [Turn("苏州举行了什么大会", "苏州市委书记范波指出。")])
