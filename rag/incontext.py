"""Answering a follow-up in context: the checks, and further readings of the question with the conversation's topic.

:mod:`rag.dialogue` rewrites a follow-up with a cue word (南京呢, 他, 这个基金) into a question that stands alone, and
leaves one without a cue as typed (第一梯队是哪几个城市？ after a question about 杭州's AI industry). Either way the
answer layer used to decide on that one wording, so a follow-up that leans on the context without saying so
(配套的基金有多少钱？, 比前一年多了多少？, 当时提出要打造什么？) was refused: its own words match no sentence well
enough. This module gives every follow-up two readings, answered on the *same* retrieved passages
(:func:`rag.qa.ask`'s ``reconsider`` hook — no second retrieval; the previous question's query vector comes from
:mod:`rag.query_cache`, and is embedded only when it is not there, e.g. for an API client's ``history``):

1. the searched question (the rewrite, or the typed question) — then the :mod:`rag.followup` checks
   (:func:`checked`), exactly as before;
2. only when (1) ends in a refusal: further readings (:func:`readings`, at most ``DialogueConfig.readings``, in
   order, the first that passes wins) — the *contextual wording*, the previous standalone question's content words
   (:func:`rag.context.context_words`) followed by the question as typed (“2021年杭州人工智能企业 比前一年多了多少”);
   the previous standalone question + the question; after a pronoun rewrite, the question as typed.
   An answer is kept only if the refusal model gives it at least even odds (:data:`MIN_CONFIDENCE`), one of the
   context words is named around a quote (the answer is about the conversation's topic), and it passes a gate on
   what the follow-up *itself* asks (:func:`gate`): a 多少/几 question gets a number, every place and person it
   names, and what its pronoun was read as, is named around the quote, and for ``X呢`` the swap check holds; and a
   quote covers one of its own content words (or the quote moves to a neighbouring sentence that does) and a “when”
   question gets a date (``check_focus``) — except that a follow-up asking no typed thing (:func:`asks_open`, round
   19: 这件事说明了什么？, 它主要负责什么？) keeps the move but not the refusal, and such an answer
   (:func:`unfocused`) lets the previous answer's neighbourhood answer first. Otherwise the refusal of (1) stands.

The margin is all in favour of the first reading: the others are never tried when the first answered. A question
left as typed that names its own place, person or document (no context words; a rewritten one, e.g.
他在南京说了什么？, may still get one) gets no further reading: what it asks is already explicit. Unanswerable
follow-ups are still refused: 它的局长是谁？ (局长 is in no quote), 去了多少人参会？ (参会), 无锡有多少家人工智能企业？ (无锡).
When :mod:`rag.dialogue` searches a refused cue-less follow-up again as the contextual wording (a second retrieval,
``DialogueConfig.context_search``), :func:`first_check` holds that answer to :func:`gate` at the answer layer's
own threshold.

Round 10: an answered follow-up whose quote repeats the previous answer's sentence may have its quote moved to a
neighbouring sentence closer to the question as typed (:func:`rag.sentence_choice.closer_sentence`, by the stored
sentence vectors the hook's ``answer_as.cosines`` reads; ``DialogueConfig.sentence_cosine``).

This module neither retrieves nor rewrites; it decides between answers the answer layer built.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .answer import is_refusal
from .context import context_words, shown_search
from .followup import (
    HOW_MUCH,
    NUMBER,
    check_answer_type,
    check_context,
    check_focus,
    check_swap,
    check_value,
    focus_words,
    named_around,
    refuse,
)
from .mentions import pos_tags
from .neighbourhood import ask_kind
from .records import Answer
from .sentence_choice import closer_sentence
from .textnorm import strip_end, to_simplified

if TYPE_CHECKING:  # pragma: no cover
    from .dialogue import DialogueConfig, Rewrite, Turn

__all__ = ["MIN_CONFIDENCE", "Reading", "SecondLook", "asks_open", "checked", "contextual_wording", "first_check",
           "gate", "names_new_thing", "readings", "unfocused"]

#: The margin in favour of the first reading: the second one's answer needs at least even odds from the refusal
#: model (its own threshold is lower). Set before measuring; on the development dialogues it only turned one
#: answered unanswerable law follow-up (每个月能领多少钱？, 0.33) back into a refusal.
MIN_CONFIDENCE = 0.5
#: Passages the second reading reads (the first reading's top ones): the answer layer's cost grows with them.
DEPTH = 2
_COUNT = re.compile(r"[\d一二三四五六七八九十百千万亿两几]+[年月日号个家项座所位次名种条份]?")



def _last_turn(history: Sequence["Turn"], config: "DialogueConfig") -> tuple[str, list[str]]:
    """The previous answer (up to ``4 · answer_chars``) and the earlier searched questions."""
    turns = list(history)[-config.max_turns:]
    last = next((t for t in reversed(turns) if t.question.strip()), None)
    previous_answer = last.answer[:config.answer_chars * 4] if last else ""
    return previous_answer, [t.search_question or t.question for t in turns]


def last_turn(history: Sequence["Turn"], config: "DialogueConfig") -> tuple[str, list[str]]:
    """The previous answer and the earlier searched questions (public for :mod:`rag.dialogue`)."""
    return _last_turn(history, config)


def checked(ans: Answer, rw: "Rewrite", history: Sequence["Turn"], config: "DialogueConfig") -> Answer:
    """The :mod:`rag.followup` checks of a follow-up's answer against what the follow-up asks."""
    previous_answer, earlier = _last_turn(history, config)
    if rw.rule == "ellipsis":
        return check_swap(ans, rw.slot, previous_answer, rw.search_question)
    if rw.context:  # searched with the context: the old sentence again is no answer to a new 多少
        ans = check_value(ans, strip_end(rw.question), rw.previous, previous_answer)
    if rw.rule != "standalone":
        known = " ".join([rw.previous, rw.antecedent, *earlier])
        ans = check_focus(ans, strip_end(rw.question), known, frame=config.focus_frame)
    ans = check_answer_type(ans, strip_end(rw.question), rw.search_question)
    return check_context(ans, rw.search_question, rw.antecedent, previous_answer)


def first_check(ans: Answer, rw: "Rewrite", history: Sequence["Turn"], config: "DialogueConfig", *,
                contextual: bool) -> Answer:
    """The checks of the first reading: :func:`gate` (at the answer layer's own threshold) when it was the
    contextual wording, unless it quotes a statute article (a lay question answered in the law's words: the
    article was chosen by the statute model, and topic and focus words are not said there); else :func:`checked`."""
    if contextual and not any(c.label for c in ans.citations):
        return gate(ans, rw, history, config, floor=0.0)
    return checked(ans, rw, history, config)


def contextual_wording(rw: "Rewrite") -> tuple[str, str]:
    """``(wording, context words)`` of the second reading, ``("", "")`` when the follow-up gets none.

    >>> from rag.dialogue import Rewrite
    >>> contextual_wording(Rewrite("第一梯队是哪几个城市？", "第一梯队是哪几个城市？", previous="2021年杭州有多少家人工智能企业",
    ...                            context="2021年 杭州 人工智能 企业"))
    ('2021年杭州人工智能企业 第一梯队是哪几个城市', '2021年 杭州 人工智能 企业')
    """
    if rw.rule == "ellipsis" or not rw.previous:
        return "", ""
    words = _topic_words(rw)
    if not words:
        return "", ""
    return f"{words.replace(' ', '')} {strip_end(rw.question)}", words


@dataclass(frozen=True)
class Reading:
    """One more wording of a refused follow-up: ``name``, the ``wording`` answered, the context ``words`` it added,
    and what the user is shown as searched."""

    name: str
    wording: str
    words: str
    shown: str


def readings(rw: "Rewrite") -> list[Reading]:
    """The further readings of a refused follow-up, in the order they are tried (the first that passes wins).

    ``context``: the previous standalone question's content words + the question as typed (also for ``X呢``,
    whose answer must then pass the swap check); ``previous``: the whole previous standalone question + the
    question as typed; ``typed``: the question as typed, for a pronoun or demonstrative rewrite (its antecedent may
    be wrong). A follow-up that names a place, person or document of its own (a ``standalone`` one with no
    context words) gets none: what it asks is explicit.

    >>> from rag.dialogue import Rewrite
    >>> [r.name for r in readings(Rewrite("他说了什么？", "王剑锋说了什么", "person", previous="常州市委书记是谁"))]
    ['context', 'previous', 'typed']
    """
    if not rw.previous or (rw.rule == "standalone" and not rw.context):
        return []
    q = strip_end(rw.question)
    words = _topic_words(rw)
    shown = shown_search(strip_end(rw.search_question), words or rw.previous)
    out = [Reading("context", f"{words.replace(' ', '')} {q}", words, shown)] if words else []
    if rw.rule != "ellipsis":
        out.append(Reading("previous", f"{rw.previous} {q}", words, shown))
    if rw.rule not in ("standalone", "ellipsis", "scope") and strip_end(rw.search_question) != q:
        out.append(Reading("typed", q, "", shown_search(q, words or rw.previous)))
    return out


def _topic_words(rw: "Rewrite") -> str:
    """The conversation's topic words for a follow-up's further readings (space-joined, '' for none)."""
    if not rw.previous:
        return ""
    return rw.context if rw.rule == "standalone" else context_words(rw.previous, rw.question)


def gate(ans: Answer, rw: "Rewrite", history: Sequence["Turn"], config: "DialogueConfig", *,
         floor: float = MIN_CONFIDENCE) -> Answer:
    """Keep a further reading's answer only if it answers what the follow-up itself asks (else a refusal);
    ``floor``: the confidence it needs (0: the answer layer's own threshold decided). A follow-up that asks no typed
    thing (:func:`asks_open`) is not held to its own words (``check_focus``) with ``config.open_unfocused``."""
    if not ans.answerable or not ans.citations:
        return ans
    if ans.confidence < floor:
        return refuse(ans)
    words = [w for w in _topic_words(rw).split() if not _COUNT.fullmatch(w)]  # 2021年, 一个: no topic
    if words and not named_around(ans, words):
        return refuse(ans)  # read with the context, the answer must be about it (not a law on 网络用户 for DeepSeek)
    previous_answer, earlier = _last_turn(history, config)
    if rw.rule == "ellipsis":  # X呢: the quote must name X and say something new about it
        ans = check_swap(ans, rw.slot, previous_answer)
    q = strip_end(rw.question)
    known = _known(rw, earlier)
    if not _waived(q, known, config):
        ans = check_focus(ans, q, known, frame=config.focus_frame)
    elif config.open_focus_last:  # its refusal waived, not its move to a sentence that says the follow-up's words
        focused = check_focus(ans, q, known, frame=config.focus_frame)
        ans = focused if focused.answerable else ans
    if ans.answerable and HOW_MUCH.search(q) and not any(NUMBER.search(c.quote) for c in ans.citations):
        return refuse(ans)  # 一共花了多少钱？ answered by a sentence with no number in it
    ans = check_value(ans, q, rw.previous, previous_answer)
    ans = check_answer_type(ans, q, rw.search_question)
    return check_context(ans, q, rw.antecedent, previous_answer)


def unfocused(ans: Answer, rw: "Rewrite", history: Sequence["Turn"], config: "DialogueConfig") -> bool:
    """``ans`` to an open follow-up stands only because :func:`gate` waived the focus check (``open_unfocused``):
    no quote says the follow-up's own words. With ``config.open_focus_last`` such an answer is the last resort:
    :func:`rag.dialogue._ask_in_context` lets the previous answer's neighbourhood answer first (round 19, h6); the caller
    asks only of an answer that came from a further reading (its ``gated``)."""
    if not (config.open_unfocused and config.open_focus_last and ans.answerable and ans.citations):
        return False
    q = strip_end(rw.question)
    known = _known(rw, _last_turn(history, config)[1])
    return _waived(q, known, config) and not check_focus(ans, q, known, frame=config.focus_frame).answerable


def _known(rw: "Rewrite", earlier: Sequence[str]) -> str:
    """What the conversation has said before a follow-up (its own words are the rest: ``check_focus``'s ``known``)."""
    return " ".join([rw.previous, rw.antecedent, *earlier])


def _waived(q: str, known: str, config: "DialogueConfig") -> bool:
    """``check_focus``'s refusal is waived for ``q`` (``config.open_unfocused``): it asks no typed thing and names
    nothing new (:func:`asks_open`, :func:`names_new_thing`)."""
    return config.open_unfocused and asks_open(q) and not names_new_thing(q, known)


#: jieba's noun tags (not ``vn``, a verb used as a noun: 管, 合作)
_NOUN_TAGS = ("n", "nr", "ns", "nt", "nz", "ng", "nrt", "nrfg")
#: a demonstrative that points back (这个, 那份, 该, 这些, 此): the noun after it is the conversation's thing
_POINTING = re.compile(r"^[这那该此]")


def names_new_thing(question: str, known: str) -> bool:
    """Whether a focus word of ``question`` (:func:`rag.followup.focus_words`: own content words not in ``known``) is
    a noun: the follow-up names a thing the conversation has not, so it is not only a predicate said in other words
    (火星上的天气怎么样 after a question on 温州's 人工智能局 asks about something new and stays held to its own words;
    round 19, found by CI's browser test after the change).

    >>> names_new_thing("火星上的天气怎么样", "温州人工智能局做什么"), names_new_thing("这件事说明了什么", "")
    (True, False)
    >>> names_new_thing("这个新机构平时负责些什么", "全国第一个人工智能局在哪")
    False
    """
    words, toks = set(focus_words(question, known)), pos_tags(question)
    for i, (w, f) in enumerate(toks):
        pointed = any(_POINTING.match(t) for t, _ in toks[max(0, i - 3):i])  # 那 份 报告, 这个 新 机构
        if w in words and f in _NOUN_TAGS and not pointed:
            return True
    return False


_MEASURE = re.compile(r"多[大长高宽重远久深厚快]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
#: A place asked (哪里, 在哪, 什么地方, 哪个区): the follow-up names which place it wants (总部, 办公地点); not
#: 在哪几块 / 在哪些方面 (which ones).
_WHERE = re.compile(r"哪里|哪儿|在哪(?![几些])|什么地方|何处|哪[个一]?[省市区县国州镇乡村街路]")
#: A count or rank (几层, 几岁, 几大, 第几) — not 哪几 (which ones: 哪几个城市), not 几乎.
_COUNTED = re.compile(r"(?<!哪)几(?!乎)[\u4e00-\u9fff]|第几")
#: A polite wrapper around the question (请问…, 你知道…吗, 能告诉我…吗, …，你知道吗): what is inside is asked.
_WRAP_HEAD = re.compile(r"^(?:请问|请你?告诉我|你知道|您知道|你知不知道|能告诉我|能不能告诉我|可以告诉我|能否告诉我|告诉我)"
                        r"(?:一下)?[，,]?")
_WRAP_TAIL = re.compile(r"[，,]?(?:你|您)(?:知道|清楚)吗$")


def _asked(question: str) -> str:
    """The question as asked: simplified script, no end punctuation, no polite wrapper (its 吗 goes with it).

    >>> _asked("你知道它是哪一天掛牌的嗎？"), _asked("请问这些企业盈利了吗"), _asked("它是什么时候挂牌的，你知道吗")
    ('它是哪一天挂牌的', '这些企业盈利了吗', '它是什么时候挂牌的')
    """
    q = strip_end(to_simplified(question))
    inner = _WRAP_TAIL.sub("", q)
    if inner == q and (m := _WRAP_HEAD.match(q)):
        inner = q[m.end():]
        if not q.startswith("请问"):  # 你知道…吗 / 能告诉我…吗: the 吗 is the wrapper's
            inner = inner.removesuffix("吗")
    return strip_end(inner) or q


def asks_open(question: str) -> bool:
    """The follow-up asks no typed thing, read in simplified script and without a polite wrapper (:func:`_asked`):
    :func:`rag.neighbourhood.ask_kind` is ``open`` (no date, quantity, person, name, purpose or kind), the question
    is Chinese (``ask_kind`` reads no other language), and it asks no measure (多大, 多长: a quantity), no place
    (哪里, 在哪, 哪个区), no count or rank (几层, 几岁, 第几; 哪几 is open) and is no bare yes/no question (…吗: 盈利了吗
    is answered only by a sentence that says so; an A不A one, 算不算, stays open). Its own words are then the
    predicate, which a text says in its own words (管 ~ 统筹), not which value is asked (用户, 创始人), so
    :func:`gate` does not hold a further reading's quote to them (round 19).

    >>> asks_open("这件事说明了什么"), asks_open("这算不算一家独大"), asks_open("这些项目都落在了哪几个城市")
    (True, True, True)
    >>> asks_open("它的用户有多少"), asks_open("这条走廊有多长"), asks_open("Who did it"), asks_open("他是誰")
    (False, False, False, False)
    >>> asks_open("你知道它是哪一天挂牌的吗"), asks_open("它的办公地点在哪里"), asks_open("排第几"), asks_open("盈利了吗")
    (False, False, False, False)
    """
    q = _asked(question)
    if not _CJK.search(q) or q.endswith("吗"):
        return False
    return ask_kind(q) == "open" and not (_MEASURE.search(q) or _WHERE.search(q) or _COUNTED.search(q))


class SecondLook:
    """The ``reconsider`` hook of :func:`rag.qa.ask` for one follow-up; ``used`` holds the context words shown
    to the user when the second reading won ('' otherwise); ``ms`` the time it took."""

    def __init__(self, rw: "Rewrite", history: Sequence["Turn"], config: "DialogueConfig", *,
                 contextual: bool = False):
        self.rw, self.history, self.config = rw, history, config
        self.contextual = contextual  # the first reading was already the contextual wording (gated, not checked)
        self.used = ""
        self.shown = ""  # what the user is told was searched when a later reading won
        self.reading = ""  # which reading won (``context``, ``previous``, ``typed``), '' for the first
        self.ms = 0.0  # time spent here: the checks and, when tried, the second reading
        self.called = False  # False after ``ask``: it did not call the hook (e.g. a missing-article refusal)
        self.passages: list = []  # every passage an answer built here cited or suggested (rag.neighbourhood reads them)

    def __call__(self, ans: Answer, answer_as: Callable[..., Answer]) -> Answer:
        self.called = True
        t0 = time.perf_counter()
        try:
            return self._look(ans, answer_as)
        finally:
            self.ms += (time.perf_counter() - t0) * 1000

    def _look(self, ans: Answer, answer_as: Callable[..., Answer]) -> Answer:
        out = self._read(ans, answer_as)
        if self.config.sentence_cosine and out.answerable and (cosines := getattr(answer_as, "cosines", None)):
            previous = _last_turn(self.history, self.config)[0] if self.config.cosine_repeats_only else None
            out = closer_sentence(out, self.rw.question, cosines, previous_answer=previous)  # rag.sentence_choice
        return out

    def _read(self, ans: Answer, answer_as: Callable[..., Answer]) -> Answer:
        self.passages += ans.citations + ans.suggestions
        first = first_check(ans, self.rw, self.history, self.config, contextual=self.contextual)
        if first.answerable:
            return first
        tried = [r for r in readings(self.rw) if not is_refusal(r.wording)
                 and not (self.contextual and r.name == "context")][:self.config.readings]
        for r in tried:  # in order; the first whose answer passes the gate wins
            built = answer_as(r.wording, self.rw.previous, DEPTH)
            self.passages += built.citations + built.suggestions
            second = gate(built, self.rw, self.history, self.config)
            if second.answerable:
                self.used, self.shown, self.reading = r.words, r.shown, r.name
                return second
        return first
