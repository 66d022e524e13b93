"""Conversations: follow-up questions rewritten from the history and answered in context.

Rules on their own (no index), then through the real index, the CLI (`rag chat`,
`rag eval` on a dialogue file), a real server (/api/ask history, /v1/chat/completions
messages, bad input) and the UI in Chromium.
"""

from __future__ import annotations

import functools
import json

import httpx
import pytest
from click.testing import CliRunner

from rag.answer import NOT_FOUND
from rag.cli import main
from rag.context import context_prior, fuse_hits, shown_search, split_shown
from rag.dialogue import DialogueConfig, Rewrite, Turn, ask_in_context, resolve, turns_from_messages
from rag.followup import check_context, check_focus, check_swap, check_value
from rag.qa import ask
from rag.records import Answer, Citation, Hit

from .helpers import converse

# ---------------------------------------------------------------- the rules

SUZHOU = Turn("苏州2025年2月举行了什么大会？", "2025年2月,苏州举行“人工智能+”创新发展推进大会[1]")
CHANGZHOU = Turn("常州市委书记是谁？", "常州市委书记王剑锋表示,作为产业强市,常州制造业基础坚实[1]")
FUND = Turn("西湖区设立了多少钱的成果转化基金？", "西湖区打造的“科创走廊”…并配套设立20亿元成果转化基金,促使高校基础研究对接企业应用需求。[1]")
BUREAU = Turn("温州挂牌成立了全国首个什么机构？", "温州还在原有产业管理体系基础上,挂牌成立全国首个“人工智能局”,统筹推进算力建设[1]")


@pytest.mark.parametrize("question,history,want,rule", [
    ("南京呢？", [SUZHOU], "南京2025年2月举行了什么大会", "ellipsis"),
    ("那南京的呢", [SUZHOU], "南京2025年2月举行了什么大会", "ellipsis"),
    ("2024年呢？", [SUZHOU], "苏州2024年举行了什么大会", "ellipsis"),
    ("他说常州要打造什么？", [CHANGZHOU], "王剑锋说常州要打造什么", "person"),
    ("这个基金用来做什么？", [FUND], "西湖区成果转化基金用来做什么", "demonstrative"),
    ("该机构负责什么？", [BUREAU], "温州人工智能局负责什么", "demonstrative"),
    ("它负责什么？", [BUREAU], "人工智能局负责什么", "it"),
    ("其中应用层企业有多少家？", [Turn("2021年杭州市人工智能企业达到多少家？", "741家")],
     "2021年杭州市人工智能企业中应用层企业有多少家", "scope"),
    # a chain: the second follow-up is read after the first one's standalone question
    ("南京呢？", [Turn("苏州市委书记是谁", "苏州市委书记范波指出[1]"), Turn("他指出要抢抓什么？", "抢抓人工智能时代重大机遇[1]")],
     "南京指出要抢抓什么", "ellipsis"),
])
def test_follow_ups_become_standalone(question, history, want, rule):
    r = resolve(question, history)
    assert (r.search_question, r.rule) == (want, rule)


@pytest.mark.parametrize("question,history,want", [
    ("第三十八条呢？", [Turn("劳动合同法第三十七条规定了什么？", "…[1]")], "劳动合同法第三十八条规定了什么"),
    ("八周岁以上的呢？", [Turn("不满八周岁的未成年人是什么民事行为能力人？", "…[1]")], "八周岁以上的未成年人是什么民事行为能力人"),
    ("满一年的呢？", [Turn("用人单位超过一个月不满一年未订立书面劳动合同要承担什么责任？", "…[1]")],
     "用人单位满一年未订立书面劳动合同要承担什么责任"),
    ("法定休假日呢？", [Turn("休息日安排劳动者工作又不能补休的，工资报酬不低于工资的多少？", "…[1]")],
     "法定休假日安排劳动者工作又不能补休的，工资报酬不低于工资的多少"),
    # 它 again keeps the previous 它 (DeepSeek), not the city the last answer named
    ("它的研发团队有多少人？", [Turn("哪个国产大模型在2025年春节前夕投下了一颗重磅炸弹？", "国产大模型DeepSeek在全球…[1]"),
                         Turn("它把哪座城市推上风口？", "将杭州这座素来极具“网红”气质的城市又一次推上风口[1]",
                              "DeepSeek把哪座城市推上风口")], "DeepSeek的研发团队有多少人"),
    ("处理它需要取得什么同意？", [Turn("敏感个人信息包括哪些？", "…包括生物识别、宗教信仰、特定身份…[1]")],
     "处理敏感个人信息需要取得什么同意"),  # 它 after “X包括哪些” is X, not the first item listed
    ("这个期间从什么时候起算？", [Turn("劳动争议申请仲裁的时效期间是多少？", "劳动争议申请仲裁的时效期间为一年。[1]")],
     "时效期间从什么时候起算"),
])
def test_law_and_topic_follow_ups(question, history, want):
    assert resolve(question, history).search_question == want


def _cit(text: str, quote: str, n: int = 1) -> Citation:
    qs = text.index(quote)
    return Citation(n=n, doc_id="d", title="t", section="", chunk_id="d-0", start=100, end=100 + len(text),
                    quote=quote, text=text, score=1.0, quote_start=100 + qs, quote_end=100 + qs + len(quote))


def _answer(*cits: Citation) -> Answer:
    return Answer(question="q", answer="".join(f"{c.quote}[{c.n}]" for c in cits), answerable=True,
                  citations=list(cits), confidence=0.9)


PASSAGE = ("常州市委书记王剑锋表示,作为产业强市,常州制造业基础坚实。下一步,将从紧扣产业抓赋能等方面重点着力,"
           "打造“国际化智造名城、长三角创新高地”。")


def test_focus_moves_the_quote_to_the_next_sentence_or_refuses():
    said = _answer(_cit(PASSAGE, "常州市委书记王剑锋表示,作为产业强市,常州制造业基础坚实。"))
    moved = check_focus(said, "他说常州要打造什么", "常州市委书记是谁 王剑锋")
    c = moved.citations[0]
    assert moved.answerable and c.quote.startswith("下一步") and "国际化智造名城" in moved.answer
    assert c.text[c.quote_start - c.start:c.quote_end - c.start] == c.quote  # offsets still point at the quote
    managed = check_focus(said, "该基金由谁管理", "西湖区设立了多少钱的成果转化基金")
    assert not managed.answerable and managed.answer == NOT_FOUND and managed.suggestions
    assert check_focus(said, "它的目的是什么", "x") is said  # only answer-type words: nothing to check
    when = _answer(_cit("温州挂牌成立全国首个“人工智能局”,统筹推进算力建设。", "温州挂牌成立全国首个“人工智能局”,统筹推进算力建设。"))
    assert not check_focus(when, "它是哪一天挂牌的", "温州人工智能局").answerable  # no date in the quote


def test_context_needs_the_entity_near_the_quote():
    hz = _answer(_cit("同时,杭州市建立了补贴池。当年杭州市人工智能企业达到741家。", "当年杭州市人工智能企业达到741家。"))
    assert not check_context(hz, "无锡有多少家人工智能企业", "", "").answerable
    assert not check_context(hz, "嘉兴有多少家人工智能企业", "", "").answerable  # jieba tags 嘉兴 as a person
    assert check_context(hz, "杭州有多少家人工智能企业", "", "").answerable
    bureau = _answer(_cit("截至目前,长三角41个地级以上城市均已在政府工作报告中提及人工智能。", "截至目前,长三角41个地级以上城市均已在政府工作报告中提及人工智能。"))
    assert not check_context(bureau, "人工智能局有多少工作人员", "人工智能局", "").answerable
    # the previous answer's passage counts as context for the pronoun
    assert check_context(bureau, "人工智能局有多少工作人员", "人工智能局", "截至目前,长三角41个地级以上城市[1]").answerable


# ---------------------------------------------------------------- follow-ups with no cue word (rag/topic.py)

LEAK = Turn("公司泄露了我的个人信息要通知谁？", "通知履行个人信息保护职责的部门和个人[1]")
FIRST_DOC = Turn("人工智能第一次写进国家最高行政文件是什么时候？", "2017年3月全国两会,人工智能首次作为独立技术门类出现[1]")


@pytest.mark.parametrize("question,history,want,rule", [
    ("要罚多少钱？", [LEAK], "公司泄露了我的个人信息要罚多少钱", "elided"),
    ("是在什么场合？", [FIRST_DOC], "人工智能第一次写进国家最高行政文件是在什么场合", "elided"),
    ("上海那年发了什么文件？", [FIRST_DOC], "上海2017年发了什么文件", "that-year"),
    ("当地市委书记是谁？", [Turn("2026全国智能体开发者大会在哪里亮相？", "1月4日,2026全国智能体开发者大会亮相常州[1]")],
     "常州市委书记是谁", "local"),
    ("周末加班又不能补休呢？", [Turn("平时加班工资至少给多少？", "…[1]")], "周末加班又不能补休工资至少给多少", "ellipsis"),
    # a chain of X呢: the new X takes the place of the last X, whatever kind of word it is
    ("过年放假加班呢？", [Turn("平时加班工资至少给多少？", "…[1]"), Turn("周末加班又不能补休呢？", "…[1]")],
     "过年放假加班工资至少给多少", "ellipsis"),
    ("它是什么时候火起来的？", [Turn("2025年哪个国产大模型火了？", "2025年春节前夕,国产大模型DeepSeek在全球…[1]")],
     "DeepSeek是什么时候火起来的", "it"),
    ("它在哪份文件里提出的？", [Turn("台州实施的是什么行动计划？", "例如,台州在《若干政策》提出,实施“人工智能+”行动计划,加快…[1]")],
     "人工智能+行动计划在哪份文件里提出的", "it"),
    ("这份文件吹响了什么号角？", [Turn("2017年11月上海发布的实施意见叫什么？", "2017年11月,上海发布《关于本市推动新一代人工智能发展的实施意见》,吹响了号角。[1]")],
     "《关于本市推动新一代人工智能发展的实施意见》吹响了什么号角", "demonstrative"),
])
def test_follow_ups_without_a_pronoun(question, history, want, rule):
    r = resolve(question, history)
    assert (r.search_question, r.rule) == (want, rule)


@pytest.mark.parametrize("question", ["应该如何避免重复建设？", "要发展哪些产业？", "胜利广场是什么形状的？", "那须盐原车站的经营方是谁？",
                                      "在上海有哪些龙头企业？"])
def test_questions_with_their_own_subject_are_not_given_one(question):
    assert resolve(question, [LEAK]).rule == "standalone"


def test_swap_of_a_condition_clause_is_checked_by_its_words():
    art = ("无人继承又无人受遗赠的遗产，归国家所有，用于公益事业；死者生前是集体所有制组织成员的，归所在集体所有制组织所有。")
    ans = _answer(_cit(art, art))
    assert check_swap(ans, "死者是集体组织成员的", art + "[1]").answerable  # same article, said in the law's words
    assert not check_swap(ans, "死者是外国人的", art + "[1]").answerable


def test_swap_moves_to_the_next_sentence_about_x():
    text = "2017年11月,上海发布《实施意见》,吹响了号角。同年发布的《杭州市科技创新“十三五”规划》,将人工智能产业作为重点支持对象。"
    ans = _answer(_cit(text, "2017年11月,上海发布《实施意见》,吹响了号角。"))
    moved = check_swap(ans, "杭州", "…", "2017年11月杭州发布了什么文件")
    assert moved.answerable and moved.citations[0].quote.startswith("同年发布的《杭州市")
    # the next sentence names X but not what is asked: refused
    assert not check_swap(ans, "杭州", "…", "2017年11月杭州引导人工智能与什么深度融合").answerable


def test_a_when_question_is_answered_by_a_date():
    text = "2025年底的杭州市委经济工作会议强调,把打造人工智能创新发展第一城作为首要任务。"
    assert check_focus(_answer(_cit(text, text)), "这次会议是什么时候召开的", "杭州市委经济工作会议").answerable
    assert not check_focus(_answer(_cit("会议强调发展人工智能。", "会议强调发展人工智能。")), "这次会议是什么时候召开的",
                           "杭州市委经济工作会议").answerable


@pytest.mark.parametrize("question", [
    "温州人工智能局做什么？", "其他城市有哪些做法？", "应该如何避免重复建设？", "苏州选择了什么路径呢？",
    "哪些城市获批国家新一代人工智能创新发展试验区", "", "   ", "😀", "他", "呢"])
def test_standalone_or_unresolvable_questions_pass_through(question):
    assert resolve(question, [SUZHOU]).search_question == question
    assert resolve(question, []).search_question == question


def test_turns_from_messages_skips_bad_content():
    msgs = [{"role": "system", "content": "x"}, {"role": "user", "content": "苏州市委书记是谁"},
            {"role": "assistant", "content": None}, {"role": "user", "content": [{"type": "text", "text": "你好"}]},
            {"role": "assistant", "content": 3}, {"role": "user", "content": ""}, {"role": "user", "content": "他是谁"}]
    q, turns = turns_from_messages(msgs)
    assert q == "他是谁"
    assert [t.question for t in turns] == ["苏州市委书记是谁", "你好"]


# ---------------------------------------------------------------- through the real index

@pytest.fixture(scope="module")
def one(sample_index, embedder):
    return functools.partial(ask, sample_index, embedder=embedder)


_chat = converse  # tests/helpers.py


def test_issue_examples_in_context(one):
    first, fund = _chat(one, ["西湖区设立了多少钱的成果转化基金？", "这个基金用来做什么？"])
    assert fund.answerable and "成果转化基金" in fund.citations[0].quote
    assert fund.question == "这个基金用来做什么？" and fund.search_question == "西湖区成果转化基金用来做什么"
    assert "rewrite" in fund.timings_ms and "rewrite" not in first.timings_ms
    meeting, nanjing = _chat(one, ["苏州2025年2月举行了什么大会？", "南京呢？"])
    assert meeting.answerable and not nanjing.answerable and nanjing.answer == NOT_FOUND
    rate, national = _chat(one, ["杭州人工智能企业在城市治理场景的专利转化率是多少？", "全国平均水平呢？"])
    assert rate.answerable and "43%" in rate.answer
    assert not national.answerable, national.answer  # the 43 % sentence again is not an answer about 全国
    d = national.to_dict()
    assert d["search_question"] != d["question"] and d["citations"] == []


def test_pronoun_follow_ups_answer_from_the_next_sentence_or_refuse(one):
    secretary, plan = _chat(one, ["常州市委书记是谁？", "他说常州要打造什么？"])
    assert plan.search_question == "王剑锋说常州要打造什么"
    assert plan.answerable and "国际化智造名城" in plan.citations[0].quote, plan.answer
    fund, manager = _chat(one, ["西湖区设立了多少钱的成果转化基金？", "该基金由谁管理？"])
    assert not manager.answerable, manager.answer  # the fund sentence says nothing about who manages it
    _, other_city = _chat(one, ["2021年杭州市人工智能企业达到多少家？", "无锡有多少家人工智能企业？"])
    assert not other_city.answerable, other_city.answer


def test_same_sentence_with_a_new_value_is_kept(one):
    count, previous = _chat(one, ["2021年杭州市人工智能企业达到多少家？", "前一年呢？"])
    assert previous.answerable and "490家" in previous.answer


def test_huge_earlier_question_never_breaks_a_follow_up(one):
    a = ask_in_context(one, "全国平均水平呢？", [Turn("苏州" + "长" * 1998, "x")])  # the rewrite would be 2,004 characters
    assert a.search_question == "全国平均水平呢？"


# ---------------------------------------------------------------- CLI

def test_rag_chat_keeps_history_and_resets(sample_home):
    r = CliRunner().invoke(main, ["chat", "--home", str(sample_home), "--json"],
                           input="苏州2025年2月举行了什么大会\n南京呢\n/reset\n\n南京呢\n/quit\n")
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert [x["search_question"] for x in rows] == ["苏州2025年2月举行了什么大会", "南京2025年2月举行了什么大会", "南京呢"]
    assert not rows[1]["answerable"]


def test_rag_eval_scores_dialogues_per_turn_kind(sample_home, tmp_path):
    f = tmp_path / "d.jsonl"
    f.write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in [
        {"id": "a", "turns": [{"question": "西湖区设立了多少钱的成果转化基金？", "answers": ["20亿元"]},
                              {"question": "这个基金用来做什么？", "answers": ["促使高校基础研究对接企业应用需求"]}]},
        {"id": "b", "turns": [{"question": "苏州2025年2月举行了什么大会？", "answers": ["推进大会"]},
                              {"question": "南京呢？", "answers": [], "answerable": False}]}]), encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(f), "--index", str(sample_home), "--json", "--quiet"])
    assert r.exit_code == 0, r.output
    modes = json.loads(r.stdout)["modes"]
    assert set(modes) == {"hybrid/first", "hybrid/follow-up", "hybrid/follow-up-alone"}
    assert modes["hybrid/first"]["answer_hit_quote"] == 1.0
    assert modes["hybrid/follow-up"]["answer_hit_quote"] == 1.0 and modes["hybrid/follow-up"]["refusal_recall"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"turns": [{"answers": []}]}\n', encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(bad), "--index", str(sample_home)])
    assert r.exit_code == 1 and "not a valid dialogue line" in r.output


# ---------------------------------------------------------------- a real server

@pytest.fixture(scope="module")
def api(built_home):
    from tests.test_http import _serving

    from rag.http import create_api
    from rag.qa import Searcher

    with _serving(create_api(Searcher(built_home))) as url:
        yield url


def test_chat_completions_reads_the_whole_conversation(api):
    msgs = [{"role": "user", "content": "常州市委书记是谁？"}, {"role": "assistant", "content": "常州市委书记王剑锋表示…[1]"},
            {"role": "user", "content": "他说常州要打造什么？"}]
    r = httpx.post(f"{api}/v1/chat/completions", json={"model": "x", "messages": msgs}, timeout=30)
    assert r.status_code == 200, r.text
    rag = r.json()["rag"]
    assert rag["question"] == "他说常州要打造什么？" and rag["search_question"] == "王剑锋说常州要打造什么"
    assert r.json()["history"] == {"turns": 1, "used": 1, "truncated": False}
    msgs = [{"role": "user", "content": "苏州2025年2月举行了什么大会？"}, {"role": "assistant", "content": "推进大会[1]"},
            {"role": "user", "content": "南京呢？"}]
    r = httpx.post(f"{api}/v1/chat/completions", json={"messages": msgs, "stream": True}, timeout=30)
    assert r.status_code == 200 and "南京2025年2月举行了什么大会" in r.text and NOT_FOUND[:6] in r.text
    assert '"history": {"turns": 1, "used": 1, "truncated": false}' in r.text


def test_api_ask_history(api):
    body = {"question": "这个基金用来做什么？", "history": [{"role": "user", "content": FUND.question},
                                                    {"role": "assistant", "content": FUND.answer}]}
    d = httpx.post(f"{api}/api/ask", json=body, timeout=30).json()
    assert d["search_question"] == "西湖区成果转化基金用来做什么" and d["answerable"]
    plain = httpx.post(f"{api}/api/ask", json={"question": "南京呢？"}, timeout=30).json()
    assert plain["search_question"] == "南京呢？" and "history" not in plain


@pytest.mark.parametrize("body,status", [
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}] * 250
      + [{"role": "user", "content": "南京呢？"}]}, 200),                       # 500 turns: read the last 8
    ({"messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": ""},
                   {"role": "user", "content": "温州人工智能局做什么"}]}, 200),    # empty earlier turns
    ({"messages": [{"role": "user", "content": 5}]}, 422),                       # non-string content
    ({"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": ""}]}, 400),
    ({"messages": [{"role": "user", "content": "长" * 3000}] * 30}, 413),       # over the body limit
    ({"messages": [{"role": "robot", "content": "x"}, {"role": "user", "content": "温州人工智能局做什么"}]}, 422),  # round 11
    ({"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": {"a": 1}},
                   {"role": "user", "content": "它呢"}]}, 422),                  # an object as content
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400),
    ({"messages": [{"role": "user", "content": "q"}, {"role": "user", "content": None}]}, 400),
    ({"messages": [{"role": "system", "content": "hi"}]}, 400), ({"messages": []}, 422), ({"messages": "hi"}, 422),
])
def test_chat_bad_conversations_never_crash(api, body, status):
    r = httpx.post(f"{api}/v1/chat/completions", json=body, timeout=60)
    assert r.status_code == status, r.text
    if status == 200 and isinstance(body["messages"], list) and len(body["messages"]) > 100:
        assert r.json()["history"] == {"turns": 250, "used": 8, "truncated": True}
    if status >= 400:
        assert set(r.json()["error"]) == {"message", "type", "param", "code"}


@pytest.mark.parametrize("history,status", [
    ([{"role": "user", "content": "q"}] * 201, 422), ([{"role": "user", "content": "长" * 4001}], 422),
    ([{"role": "robot", "content": "q"}], 422), ([{"role": "user", "content": None}], 422),
    ([{"role": "user", "content": "q", "x": 1}], 422), ("nope", 422), ([], 200)])
def test_api_ask_bad_history(api, history, status):
    r = httpx.post(f"{api}/api/ask", json={"question": "温州人工智能局做什么", "history": history}, timeout=30)
    assert r.status_code == status, r.text


def test_a_statute_refusal_in_the_history_is_not_read_as_an_answer():
    from rag.dialogue import _last_answer, DialogueConfig, Turn

    for refusal in ("资料中没有找到与该问题直接相关的法律条文。", "资料中没有找到《中华人民共和国劳动合同法》第九百条。"):
        assert _last_answer([Turn("劳动合同法第九百条规定了什么", refusal)], DialogueConfig()) == ""
    assert _last_answer([Turn("q", "温州成立了人工智能局。[1]")], DialogueConfig()) == "温州成立了人工智能局。"


# ---------------------------------------------------------------- context as a retrieval signal (rag.context)

RATE = Turn("杭州人工智能企业在城市治理场景的专利转化率是多少？",
            "另有数据显示,2020—2024年间,杭州人工智能企业在城市治理场景的专利转化率高达43%,远高于全国平均水平。[1]")


def test_cue_less_follow_ups_are_searched_with_the_context():
    rw = resolve("第一梯队是哪几个城市？", [Turn("2021年杭州有多少家人工智能企业？", "…")])
    assert rw.rule == "standalone" and rw.search_question == "第一梯队是哪几个城市？"
    assert rw.context == "2021年 杭州 人工智能 企业"
    assert shown_search("第一梯队是哪几个城市", rw.context) == "第一梯队是哪几个城市（结合上文：2021年 杭州 人工智能 企业）"
    assert split_shown(shown_search("第一梯队是哪几个城市", rw.context)) == "第一梯队是哪几个城市"
    # no context: a first turn, a question with a place / person / document of its own, an unresolved 他, a rewrite
    assert resolve("第一梯队是哪几个城市？", []).context == ""
    for q in ("温州人工智能局做什么？", "《嘉兴市推动人工智能高质量发展实施方案》提出了什么？", "他在哪个研究院？", "南京呢？"):
        assert resolve(q, [SUZHOU]).context == "", q
    # a shown search read back from history: the question part is the previous question, its context carries on
    later = resolve("都是哪几家企业？", [Turn("第一梯队是哪几个城市？", "x",
                                          "第一梯队是哪几个城市（结合上文：2021年 杭州 人工智能 企业）")])
    assert later.previous == "第一梯队是哪几个城市" and "杭州" in later.context


def test_context_prior_reorders_only_the_questions_own_candidates(sample_index):
    hits = [Hit(chunk=c, score=1.0 - i / 10, rank=i + 1) for i, c in enumerate(sample_index.chunks[:4])]
    last = hits[-1].chunk.chunk_id
    fused = fuse_hits(hits, {last: 1.0}, k=3, weight=0.5)
    assert fused[0].chunk.chunk_id == last and [h.rank for h in fused] == [1, 2, 3]
    assert fuse_hits(hits, {}, k=4, weight=0.5)[0].chunk.chunk_id == hits[0].chunk.chunk_id
    prior = context_prior(sample_index, [h.chunk.chunk_id for h in hits], "人工智能 杭州 专利转化率")
    assert set(prior) <= {h.chunk.chunk_id for h in hits} and all(0 <= v <= 1 for v in prior.values())


def test_a_how_much_answered_with_the_old_sentence_needs_a_number():
    text = RATE.answer.removesuffix("[1]")
    old = _answer(_cit(text, text))
    assert not check_value(old, "全国平均是多少", RATE.question, RATE.answer).answerable
    assert check_value(old, "转化率高达多少", "杭州人工智能企业在城市治理场景", RATE.answer).answerable  # 43% in the clause
    assert check_value(old, "这说明了什么", RATE.question, RATE.answer).answerable  # not a 多少 question
    assert check_value(old, "全国平均是多少", RATE.question, "另一句话。").answerable  # not the old sentence


def test_context_turn_in_a_real_conversation(one, sample_index, embedder):
    _, follow = _chat(one, ["2020年杭州人工智能生态报告显示了什么？", "这说明了行业热度怎样？"])
    assert follow.search_question == "这说明了行业热度怎样？（结合上文：2020年 杭州 人工智能 生态 报告）"
    assert follow.question == "这说明了行业热度怎样？" and follow.answerable and "热度" in follow.answer
    alone = ask(sample_index, "这说明了行业热度怎样？", embedder=embedder, k=20)
    with_context = ask(sample_index, "这说明了行业热度怎样？", embedder=embedder, k=20, context="2020年 杭州 人工智能 生态 报告")
    assert with_context.question == alone.question  # answered and refused on the question as typed
    _, national = _chat(one, [RATE.question, "全国平均是多少？"])
    assert national.search_question.endswith("）") and not national.answerable, national.answer


# ---------------------------------------------------------------- the second reading (rag.incontext, rag.query_cache)

def test_query_cache_remembers_by_text_and_drops_the_oldest(monkeypatch):
    import numpy as np

    from rag import query_cache

    monkeypatch.setattr(query_cache, "SIZE", 2)
    monkeypatch.setattr(query_cache, "_cache", type(query_cache._cache)())
    query_cache.remember("fp", "苏州举行了什么大会？", np.ones(3))
    assert query_cache.lookup("fp", "苏州举行了什么大会").tolist() == [1, 1, 1]  # trailing ？ ignored
    assert query_cache.lookup("other-weights", "苏州举行了什么大会") is None
    query_cache.remember("fp", "b", np.zeros(3))
    query_cache.remember("fp", "c", np.zeros(3))
    assert query_cache.lookup("fp", "苏州举行了什么大会") is None and query_cache.lookup("fp", "c") is not None
    assert abs(float(np.linalg.norm(query_cache.mixed(np.array([3.0, 0]), np.array([0, 4.0])))) - 1) < 1e-6


def test_second_reading_gate_keeps_only_answers_to_what_the_follow_up_asks():
    from dataclasses import replace

    from rag.dialogue import DialogueConfig, Rewrite
    from rag.incontext import contextual_wording, gate

    prev = "西湖区的科创走廊把哪些单位串起来了"
    fund = "例如,西湖区打造的“科创走廊”通过规划物理空间将浙江大学、之江实验室等创新节点串联,并配套设立20亿元成果转化基金。"
    history = [Turn(prev + "？", fund + "[1]")]
    rw = Rewrite("配套的基金有多少钱？", "配套的基金有多少钱？", previous=prev, context="西湖区 科创 走廊 单位")
    assert contextual_wording(rw) == ("西湖区科创走廊单位 配套的基金有多少钱", "西湖区 科创 走廊 单位")
    assert contextual_wording(replace(rw, rule="ellipsis")) == ("", "")  # X呢: the swap check decides alone
    good = replace(_answer(_cit(fund, fund)), confidence=0.9)
    assert gate(good, rw, history, DialogueConfig()).answerable
    assert not gate(replace(good, confidence=0.3), rw, history, DialogueConfig()).answerable  # below even odds
    manager = replace(rw, question="该基金由谁管理？", search_question="西湖区成果转化基金由谁管理", rule="demonstrative",
                      antecedent="西湖区成果转化基金")
    assert not gate(good, manager, history, DialogueConfig()).answerable  # 管理 is in no quote
    managed = "例如,西湖区科创走廊配套的西湖区成果转化基金由区国资公司管理。"
    assert gate(replace(_answer(_cit(managed, managed)), confidence=0.9), manager, history,
                DialogueConfig()).answerable  # the control: the same question, 管理 quoted
    no_number = "例如,西湖区打造的“科创走廊”配套设立成果转化基金。"
    assert not gate(replace(_answer(_cit(no_number, no_number)), confidence=0.9), rw, history,
                    DialogueConfig()).answerable  # 多少 needs a number


class _Counting:
    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint, self.calls = inner, inner.name, inner.dim, \
            inner.fingerprint, 0

    def embed_queries(self, texts):
        self.calls += 1
        return self.inner.embed_queries(texts)

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)


def test_cue_less_follow_up_searched_again_with_the_topic_words(sample_index, embedder):
    counting = _Counting(embedder)
    one = functools.partial(ask, sample_index, embedder=counting)
    questions = ["台州出了哪份文件推人工智能+行动？", "里面列了哪些应用场景？"]
    first, scenes = _chat(one, questions)
    assert first.answerable and scenes.answerable and "人工智能+医疗" in scenes.answer, scenes.answer
    assert scenes.search_question == "里面列了哪些应用场景？（结合上文：台州 份文件 人工智能 行动）"
    assert counting.calls == 2  # searched again with the topic words: its vector mixed from cached ones, no embedding
    history = [Turn(questions[0], first.answer, first.search_question)]
    old = ask_in_context(one, questions[1], history, config=DialogueConfig(context_search=False, near_prior=0.0))
    # the control: the round-5 path (typed question re-ranked, second reading) refuses it or answers off the topic
    # (without round 12's previous-answer prior, which alone now finds the 台州 passage:)
    prior = ask_in_context(one, questions[1], history, config=DialogueConfig(context_search=False))
    assert "人工智能+医疗" in prior.answer, prior.answer
    assert "人工智能+医疗" not in old.answer and "台州" not in old.answer, old.answer
    _, chief = _chat(one, ["温州新挂牌了一个什么机构？", "它的局长是谁？"])
    assert not chief.answerable, chief.answer  # 局长 is said nowhere: still refused


def test_cue_less_follow_up_answered_by_the_second_reading(sample_index, embedder):
    """Typed question re-ranked by the topic words, refused, then answered by the second reading on its passages."""
    counting = _Counting(embedder)
    one = functools.partial(ask, sample_index, embedder=counting)
    # without round 12's previous-answer prior (with it the first reading already answers, from the 科创走廊 passage)
    first, fund = _chat(one, ["西湖区的科创走廊把哪些单位串起来了？", "配套的基金有多少钱？"], DialogueConfig(near_prior=0.0))
    assert first.answerable and fund.answerable and "20亿元" in fund.answer, fund.answer
    assert fund.search_question == "配套的基金有多少钱（结合上文：西湖区 科创 走廊）"
    assert counting.calls == 2  # the previous question's vector came from the cache: no second search
    assert fund.timings_ms["check"] > 0
    assert not ask(sample_index, "配套的基金有多少钱？", embedder=embedder).answerable  # alone: refused
    _, default = _chat(one, ["西湖区的科创走廊把哪些单位串起来了？", "配套的基金有多少钱？"])
    assert "20亿元" in default.answer, default.answer  # with the prior (the default): the same answer


def test_readings_ladder_order_and_who_gets_none():
    from rag.incontext import readings

    person = Rewrite("他说了什么？", "王剑锋说了什么", "person", previous="常州市委书记是谁")
    assert [r.name for r in readings(person)] == ["context", "previous", "typed"]
    assert readings(person)[2].wording == "他说了什么"  # the antecedent may be wrong: the question as typed
    swap = Rewrite("南京呢？", "南京举行了什么大会", "ellipsis", slot="南京", previous="苏州举行了什么大会")
    assert [r.name for r in readings(swap)] == ["context"]  # X呢 as typed asks nothing; its answer must name X
    own = Rewrite("无锡有多少家企业？", "无锡有多少家企业？", previous="杭州有多少家人工智能企业")
    assert readings(own) == []  # names a place of its own, no context words: no further reading
    assert readings(Rewrite("他说了什么？", "他说了什么？")) == []  # no earlier turn


def test_a_name_antecedent_must_look_like_a_name():
    from rag.rewrite_rules import plausible_name

    answer = "另有数据显示,杭州人工智能企业在城市治理场景的专利转化率高达43%,远高于全国平均水平。"
    assert resolve("他叫什么？", [Turn("长三角AI产业在全国是什么份量？", answer)]).rule != "person"
    assert plausible_name("王剑锋", "常州市委书记王剑锋表示") and plausible_name("欧阳明", "欧阳明认为")
    assert not plausible_name("远高于", answer) and not plausible_name("高达", answer)
    assert not plausible_name("", "") and not plausible_name("一介武夫", "他是一介武夫。")


@pytest.mark.parametrize("first,name", [("特朗普是美国总统。", "特朗普"), ("奥尔特曼是OpenAI的首席执行官。", "奥尔特曼")])
def test_a_foreign_name_without_a_chinese_surname_is_an_antecedent(first, name):
    rw = resolve("他哪年出生？", [Turn(first, "x")])
    assert rw.rule == "person" and rw.search_question == f"{name}哪年出生", rw


def test_a_rewrite_answered_by_the_second_reading_is_passed_on(one):
    _, when, users = _chat(one, ["2025年哪个国产大模型火了？", "它是什么时候火起来的？", "它的用户有多少？"])
    # answered by the rewrite itself since round 6's refit (the second reading is covered by the fund test above)
    assert when.answerable and "春节" in when.answer and when.search_question.startswith("DeepSeek是什么时候火起来的"), \
        when.search_question
    assert users.search_question == "DeepSeek的用户有多少" and not users.answerable  # 它 still read as DeepSeek


def test_words_that_end_in_a_particle_of_their_own_stay_focus_words():
    from rag.followup import focus_words

    assert "超过" in focus_words("超过多少天算违法？", "")  # was cut to 超 (too short: dropped)
    assert "意味着" in focus_words("这意味着什么？", "")
    assert "开" not in focus_words("开了个什么会？", "")  # 开了个 (jieba's verb + particles) is cut to 开: too short


def test_a_count_is_no_topic_for_the_second_reading():
    from rag.incontext import _COUNT

    assert _COUNT.fullmatch("一个") and _COUNT.fullmatch("2021年") and _COUNT.fullmatch("20")
    assert not _COUNT.fullmatch("温州") and not _COUNT.fullmatch("一体化")


def test_a_long_cue_less_follow_up_never_errors_on_the_topic_words(one):
    """A follow-up that fits the limit but not with the topic words: no second search, no error about text never typed."""
    long_q = "里面列了哪些应用场景" + "，" * 1985 + "？"  # 1,996 characters; with the topic words it would exceed 2,000
    history = [Turn("台州出了哪份文件推人工智能+行动？", "x")]
    rw = resolve(long_q, history)
    assert rw.context and len(rw.search_question) <= 2000  # the case: a cue-less follow-up given topic words
    a = ask_in_context(one, long_q, history)
    assert a.question.startswith("里面列了哪些应用场景") and a.search_question.startswith("里面列了哪些应用场景")


def test_a_question_that_stands_alone_keeps_its_confident_answer_after_a_place(sample_index, embedder):
    """After a question about places, a question with no place of its own is answered as it is alone: its confident
    answer names none of those places, but it is not "off the topic" (the topic reading quoted 上海's firms)."""
    one = functools.partial(ask, sample_index, embedder=embedder)
    prev, q = "绍兴、宁波有哪些上海龙头企业的项目？", "“人工智能”这个叫法最早是哪年出现的？"
    alone = one(q)
    assert alone.answerable and "1956" in alone.answer
    first = one(prev)
    again = ask_in_context(one, q, [Turn(prev, first.answer)])
    assert again.answer == alone.answer


def test_previous_search_is_opt_in_and_held_to_the_gate(sample_index, embedder):
    """DialogueConfig(previous_search=True): a follow-up still refused is asked once more as the previous question +
    the question (an unanswerable one stays refused: the gate); off by default (no such call)."""
    calls = []

    def one(q, **kw):
        calls.append(q)
        return ask(sample_index, q, embedder=embedder, **kw)

    first = one("常州1月份办了个什么全国性的大会？")
    history = [Turn("常州1月份办了个什么全国性的大会？", first.answer)]
    calls.clear()
    off = ask_in_context(one, "门票要多少钱？", history)
    assert not off.answerable and not any(c.startswith("常州1月份") for c in calls)
    calls.clear()
    on = ask_in_context(one, "门票要多少钱？", history, config=DialogueConfig(previous_search=True))
    assert not on.answerable, on.answer
    assert any(c.startswith("常州1月份办了个什么全国性的大会") and c.endswith("门票要多少钱") for c in calls), calls
