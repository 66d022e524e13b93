"""Follow-ups answered from the sentences around the previous answer (:mod:`rag.neighbourhood`, round 8).

The dialogues and the passage are written for these tests (not taken from any eval set). Each answerable case was
refused by the round-7 code (the answer layer refuses the follow-up's own words; no reading found the sentence),
and each unanswerable one must stay refused. The last cases are the round-8 answer-type checks: 几个亿 asks for
money, and 多少 + a noun needs a number of that noun, not a date or another count.
"""

from __future__ import annotations

import pytest

from rag.answer import NOT_FOUND
from rag.dialogue import DialogueConfig, Turn, ask_in_context

SEARCH = DialogueConfig(neighbourhood_search=True)
from rag.followup import check_answer_type
from rag.neighbourhood import ask_kind, from_neighbourhood, neighbourhood
from rag.records import Answer, Citation

PASSAGE = ("2019年3月,首届机器人大赛在无锡开幕。大赛由市科技局主办,吸引了两百多支队伍参赛。"
           "下一步,无锡将打造“机器人产业创新高地”。大赛还设立500万元奖金,用于奖励获胜团队。")
OTHER = "宁波的港口物流企业数量逐年增加。"


def _cit(text: str, quote: str, chunk: str = "p-0") -> Citation:
    qs = text.index(quote)
    return Citation(n=1, doc_id="d", title="机器人大赛", section="", chunk_id=chunk, start=0, end=len(text),
                    quote=quote, text=text, score=1.0, quote_start=qs, quote_end=qs + len(quote))


def _refused(*passages: str) -> Answer:
    """A refusal whose suggestions are the passages retrieved (as the answer layer returns one)."""
    cits = [_cit(p, p[:10], f"p-{i}") for i, p in enumerate(passages)]
    return Answer(question="q", answer=NOT_FOUND, answerable=False, citations=[], suggestions=cits,
                  confidence=0.01)


OPENED = Turn("机器人大赛在哪座城市开幕？", "2019年3月,首届机器人大赛在无锡开幕。[1]")
PRIZE = Turn("大赛设了多少奖金？", "大赛还设立500万元奖金,用于奖励获胜团队。[1]")


@pytest.mark.parametrize("question,turn,want", [
    ("那是什么时候的事？", OPENED, "2019年3月"),  # when after where: the previous answer's own sentence
    ("下一步无锡要打造成什么？", OPENED, "机器人产业创新高地"),  # the sentence that covers 打造 (jieba: 打/造成)
    ("谁主办的？", OPENED, "市科技局"),  # who: the next sentence names a body
    ("这笔钱用来干嘛？", PRIZE, "用于奖励获胜团队"),  # purpose; 这笔钱 refers back, it is not asked
])
def test_refused_follow_up_answered_from_the_neighbourhood(question, turn, want):
    got = from_neighbourhood(_refused(OTHER, PASSAGE), question, question, turn.question, turn.answer,
                             turn.question)
    assert got is not None and got.answerable and want in got.citations[0].quote
    assert got.citations[0].text == PASSAGE  # a sentence of the passage the previous answer quoted


@pytest.mark.parametrize("question,turn", [
    ("奖金一共有几个亿？", PRIZE),  # money in 亿: 500万元 is no such amount
    ("大赛的冠军是谁？", OPENED),  # 冠军 is said nowhere around
    ("是哪一天？", Turn("大赛是什么时候开幕的？", "2019年3月,首届机器人大赛在无锡开幕。[1]")),  # when again
    ("来了多少观众？", OPENED),  # 观众 is not counted anywhere (两百多支队伍 counts teams)
    ("宁波呢？有什么变化？", OPENED),  # names 宁波: it must be named around the sentence
    ("那家赞助公司叫什么名字？", OPENED),  # “机器人产业创新高地” is a name, but not a company's
    ("是哪天闭幕的？", OPENED),  # when: the sentence with a date says 开幕, not 闭幕
])
def test_unanswerable_follow_up_stays_refused(question, turn):
    assert from_neighbourhood(_refused(PASSAGE), question, question, turn.question, turn.answer,
                              turn.question) is None


def test_no_neighbourhood_without_the_previous_passage():
    assert neighbourhood([_cit(OTHER, OTHER)], OPENED.answer) == []
    near = neighbourhood([_cit(PASSAGE, "大赛由市科技局主办")], OPENED.answer)
    assert [d for d, _ in near] == [0, 1, 2]  # its own sentence, then the two after it


def test_ask_in_context_uses_the_neighbourhood_last():
    """Through :func:`rag.dialogue.ask_in_context`: every reading refused, the neighbourhood answers, and what was
    searched says so."""
    calls = []

    def ask(question, **kw):
        calls.append(question)
        return _refused(OTHER, PASSAGE)

    ans = ask_in_context(ask, "那是什么时候的事？", [OPENED])
    assert ans.answerable and "2019年3月" in ans.citations[0].quote
    assert "上一个回答" in ans.search_question and calls


def test_ask_kind():
    assert [ask_kind(q) for q in ("这笔钱用来干嘛", "几个亿", "叫什么名字", "哪种芯片", "顺利吗")] == \
        ["purpose", "how-much", "name", "kind", "open"]


def _answer(*quotes: str) -> Answer:
    cits = [_cit(q, q, f"c{i}") for i, q in enumerate(quotes)]
    return Answer(question="q", answer="".join(f"{q}[{i + 1}]" for i, q in enumerate(quotes)), answerable=True,
                  citations=cits, confidence=0.9)


@pytest.mark.parametrize("question,quotes,kept", [
    ("华虹在无锡投了几个亿", ["华虹等龙头企业已在无锡进行多个重大项目建设。"], False),  # 多个 is no money
    ("华虹在无锡投了几个亿", ["华虹在无锡投资50亿元建设新产线。"], True),
    ("来了多少开发者", ["其中应用层企业增加至632家。", "1月4日,2026全国开发者大会亮相常州。"], False),  # a date
    ("来了多少开发者", ["大会吸引了3000多名开发者参加。"], True),
    ("多少年来一共来了多少开发者", ["其中应用层企业增加至632家。"], False),  # the 多少 that counts, not 多少年来
    ("补了多少试错成本", ["补贴池承担了企业80%的试错成本。"], True),
    ("写了多少字", ["2017年3月全国两会,人工智能首次出现在文件中。"], False),  # 多少字: a count of 字
    ("写了多少字", ["报告全文共计2万多字。"], True),
])
def test_counted_answer_types(question, quotes, kept):
    assert check_answer_type(_answer(*quotes), question).answerable is kept


def test_what_was_searched_is_read_back_without_the_marker():
    """A turn answered from the neighbourhood comes back as history with 上一个回答的前后文 in its search_question:
    those are no topic words for the next turn."""
    from rag.dialogue import resolve

    turn = Turn("这笔钱用来干嘛？", "大赛还设立500万元奖金,用于奖励获胜团队。[1]", "这笔钱用来干嘛（结合上文：上一个回答的前后文）")
    rw = resolve("冠军能拿多少？", [PRIZE, turn])
    assert "前后文" not in rw.context and "一个" not in rw.context


def test_inside_what_the_last_answer_was_about():
    """“里面…” answered from a passage that does not hold the last answer: the neighbourhood answers instead (the
    previous question is asked again to find its passage)."""
    elsewhere = Answer(question="q", answer=OTHER + "[1]", answerable=True, citations=[_cit(OTHER, OTHER)],
                       confidence=0.6)
    opened = Answer(question="q", answer=OPENED.answer, answerable=True,
                    citations=[_cit(PASSAGE, "2019年3月,首届机器人大赛在无锡开幕。")], confidence=0.9)

    def ask(question, **kw):
        return opened if question.startswith(OPENED.question.rstrip("？")) else elsewhere

    # default: the previous passage is not searched again, so nothing at hand holds it and the answer stands
    assert ask_in_context(ask, "里面说是谁主办的？", [OPENED]).answer == elsewhere.answer
    ans = ask_in_context(ask, "里面说是谁主办的？", [OPENED], config=SEARCH)
    assert ans.answerable and "市科技局主办" in ans.citations[0].quote
    assert ask_in_context(ask, "宁波的港口物流企业怎么样？", [OPENED]).answer == elsewhere.answer  # no 里面: kept
    # without 里面 an answer stands even where the neighbourhood would answer (it did, were 里面 not required)
    assert ask_in_context(ask, "谁主办的？", [OPENED]).answer == elsewhere.answer


def test_previous_passage_looked_up_after_a_question_near_the_length_limit():
    """The previous question asked again with its topic words must stay a valid question: after a question just
    under :data:`rag.retrieve.MAX_QUESTION_CHARS`, a short follow-up is answered, not a too-long error."""
    from rag.retrieve import MAX_QUESTION_CHARS, clean_question

    long_q = "机器人大赛" * ((MAX_QUESTION_CHARS - 10) // 5) + "在哪开幕？"
    turn = Turn(long_q, OPENED.answer, long_q.rstrip("？") + "（结合上文：机器人 无锡 城市 开幕 大赛 首届）")

    def ask(question, **kw):
        clean_question(question)  # what rag.qa.Searcher.ask does first
        return _refused(PASSAGE if "在哪开幕" in question else OTHER)

    ans = ask_in_context(ask, "谁主办的？", [turn], config=SEARCH)
    assert ans.answerable and "市科技局主办" in ans.citations[0].quote
