"""Asked-value choice among statute articles (rag.asked_value, used by rag.statute_answer): a question asking an age, a
time limit, hours, money, a rate or a date is answered first by the top article of the same law that holds such a value
when the top article holds none. Questions and articles here were written for this test (not from any eval set)."""

from __future__ import annotations

import pytest

from rag.asked_value import asked_kind, holds, typed_choice


@pytest.mark.parametrize("question, kind", [
    ("孩子满几岁可以自己办银行卡？", "age"),
    ("多大的人才能自己开公司？", "age"),
    ("夜班一次最多连着上几个小时？", "hours"),
    ("物业费拖欠多久会被起诉？", "duration"),
    ("退货申请提交后几天内要处理？", "duration"),
    ("快递丢了最多赔多少钱？", "money"),
    ("违约了要罚多少？", "money"),
    ("公积金缴存比例是多少？", "rate"),
    ("这部条例从哪天起施行？", "date"),
    ("孩子最多大能坐安全座椅？", "age"),
    ("罚款最多大概多少钱？", "money"),            # 最多 + 大概 (about), not 最多大 (how old at most)
    ("最多大约多久能办完？", "duration"),
    ("邻居装修太吵，我能去哪里投诉？", None),     # a place, not a value
    ("房东不退押金合法吗？", None),               # yes/no
    ("What is the minimum age to marry?", None),  # English: no kind (its gloss is not read here)
])
def test_asked_kind(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize("kind, text, expected", [
    ("age", "年满十六周岁的未成年人可以独立办理。", True),
    ("age", "未成年人应当由监护人陪同办理。", False),
    ("hours", "每次连续工作不得超过十二小时。", True),
    ("duration", "应当自收到申请之日起七个工作日内处理。", True),
    ("duration", "应当及时处理并告知申请人。", False),
    ("money", "赔偿额不超过所收取资费的三倍。", True),
    ("money", "处二千元以上一万元以下罚款。", True),
    ("rate", "缴存比例不低于百分之五。", True),
    ("date", "本条例自2031年3月1日起施行。", True),
    ("date", "本条例自公布之日起施行。", False),
])
def test_holds(kind, text, expected):
    assert holds(kind, text) is expected


def test_typed_choice_reads_the_next_articles_only_when_the_first_lacks_the_value():
    q = "快递丢了最多赔多少钱？"
    lacks, has = "邮件丢失的，寄件人可以要求赔偿。", "邮件丢失的，赔偿额不超过所收取资费的三倍。"
    assert typed_choice(q, [lacks, "寄件人应当如实填写寄件单。", has]) == 2
    assert typed_choice(q, [has, lacks]) is None                      # the first holds it
    assert typed_choice(q, [lacks, "寄件人应当如实填写。", "邮件丢失的，寄件人可以查询。", has]) is None  # beyond depth 3
    assert typed_choice("快递丢了找谁？", [lacks, has]) is None       # no value asked
    assert typed_choice(q, []) is None


def _hit(doc_id, title, text, article, rank, score):
    from rag.records import Chunk, Hit

    c = Chunk(f"{doc_id}-{rank:04d}", doc_id, rank * 100, rank * 100 + len(text), text, section="第二章",
              sentences=[(rank * 100, rank * 100 + len(text))], article=article)
    return Hit(chunk=c, score=score, rank=rank, title=title, meta={"doc_type": "法律"})


def _models():
    from rag.select import LinearModel
    from rag.statute_answer import StatuteModels

    return StatuteModels("lexical", LinearModel(-3.0, {"coverage": 6.0}), LinearModel(5.0, {}, 0.5), 0.9999)


def test_statute_answer_quotes_the_article_holding_the_asked_value_first():
    """Fails before round 9: the top article (who may claim) was quoted alone, the second (the cap) left out."""
    from rag.statute_answer import statute_answer

    law = "示范邮递条例"
    claim = _hit("p", law, "第二十条 邮件丢失的，寄件人可以向邮递企业要求赔偿。", "第二十条", 1, 2.0)
    form = _hit("p", law, "第二十一条 寄件人应当如实填写寄件单。", "第二十一条", 2, 1.9)
    cap = _hit("p", law, "第二十二条 邮件丢失的，赔偿额不超过所收取资费的三倍。", "第二十二条", 3, 1.8)
    other = _hit("q", "示范快递办法", "第九条 快件丢失的，按照实际损失赔偿，最高不超过五百元。", "第九条", 2, 1.9)
    ans = statute_answer("快递丢了最多能赔多少钱？", [claim, form, cap], idf=lambda t: 1.0, models=_models())
    assert ans.answerable and [c.quote for c in ans.citations] == [cap.chunk.text, claim.chunk.text]
    assert ans.answer.splitlines()[0].startswith("《示范邮递条例》第二十二条")
    # no value asked: the top article alone, as before
    plain = statute_answer("快递丢了找谁要赔偿？", [claim, form, cap], idf=lambda t: 1.0, models=_models())
    assert [c.quote for c in plain.citations] == [claim.chunk.text]
    # another law's article is not brought in (with the top one's law gone, it would answer a question it does not)
    mixed = statute_answer("快递丢了最多能赔多少钱？", [claim, other, form], idf=lambda t: 1.0, models=_models())
    assert [c.quote for c in mixed.citations] == [claim.chunk.text]
    # an article named by law and number is what was asked for: quoted alone
    from dataclasses import replace

    named = statute_answer("示范邮递条例第二十条规定最多能赔多少钱？", [replace(claim, exact=True), form, cap],
                           idf=lambda t: 1.0, models=_models())
    assert [c.quote for c in named.citations] == [claim.chunk.text]


LAW = """# 示范犬只管理条例

2030年1月1日 示范市人民代表大会常务委员会通过

<!-- INFO END -->

## 第一章 总则

第一条 为了规范犬只饲养行为，保障公民健康和人身安全，制定本条例。

第二条 本条例适用于本市行政区域内犬只的饲养和管理。

## 第二章 走失与收容

第五条 犬只走失的，狗主人应当及时寻找，并可以向所在地公安派出所报告犬只走失情况。

第六条 收容机构收容走失犬只后，应当通知登记的饲养人；饲养人应当自接到通知之日起十日内认领。

第七条 收容机构应当为收容的犬只提供必要的食物和饮水。

## 第三章 登记

第十条 饲养人应当为犬只办理登记，领取犬只登记证。
"""


def test_a_real_law_index_answers_how_long_with_the_article_that_says_it(tmp_path, embedder):
    """End to end on a small law written for this test: the situation article (走失) ranks first, the time limit sits in
    the next one; the answer quotes the time limit first."""
    from rag.qa import ask
    from rag.index import open_index
    from rag.update import update_index

    src = tmp_path / "src"
    src.mkdir()
    (src / "示范犬只管理条例.md").write_text(LAW, encoding="utf-8")
    update_index([src], home=tmp_path / "home", progress=False, embedder=embedder)
    index = open_index(tmp_path / "home")
    q = "狗主人发现狗走失了，最晚多久要去认领？"
    from rag.retrieve import retrieve

    hits = retrieve(index, q, embedder=embedder, k=5)
    assert hits[0].chunk.article != "第六条", "retrieval now ranks the time limit first: pick another question"
    ans = ask(index, q, embedder=embedder)
    assert ans.answerable and ans.citations[0].quote.startswith("第六条") and "十日内" in ans.answer


@pytest.mark.parametrize("question, text, kind", [
    ("养狗不登记要罚多少？", "饲养人应当为犬只办理登记，领取犬只登记证。", "money"),
    ("养狗要交多少钱的登记费？", "饲养人应当为犬只办理登记，领取犬只登记证。", None),  # 多少钱: the amount check's
    ("收容的狗最多养多久？", "收容机构应当为收容的犬只提供必要的食物和饮水。", "duration"),
    ("几岁的孩子可以单独遛狗？", "未成年人遛狗应当由成年人陪同。", "age"),
    ("收容的狗最多养多久？", "收容机构对无人认领的犬只，收容满三十日后可以送交领养。", None),
    ("养狗要登记吗？", "饲养人应当为犬只办理登记。", None),                     # yes/no: not checked
    ("这部条例从哪天起施行？", "本条例自公布之日起施行。", None),               # a date: not checked (每年…的第三个星期日)
])
def test_missing_value(question, text, kind):
    from rag.asked_value import missing_value

    assert missing_value(question, text) == kind


def test_value_checked_refuses_an_answer_without_the_asked_value_and_keeps_suggestions():
    """Fails before round 9 (no such check): the top article is on topic but gives no time limit."""
    from rag.answer import value_checked
    from rag.records import Answer, Citation

    law = "示范犬只管理条例"
    feed = _hit("p", law, "第七条 收容机构应当为收容的犬只提供必要的食物和饮水。", "第七条", 1, 2.0)
    cit = Citation(n=1, doc_id="p", title=law, section="", chunk_id=feed.chunk.chunk_id, start=feed.chunk.start,
                   end=feed.chunk.end, quote=feed.chunk.text, text=feed.chunk.text, score=2.0,
                   quote_start=feed.chunk.start, quote_end=feed.chunk.end)
    answered = Answer(question="q", answer=feed.chunk.text + "[1]", answerable=True, citations=[cit], confidence=0.8)
    refused = value_checked("收容的狗最多养多久？", [feed], answered)
    assert not refused.answerable and not refused.citations and refused.suggestions[0].quote == feed.chunk.text
    assert value_checked("收容的狗吃什么？", [feed], answered) is answered            # no value asked
    assert value_checked("How long is a stray dog kept?", [feed], answered) is answered  # English: not checked
    # an English question quoting the Chinese word (missing_value alone would refuse it): still not checked
    assert value_checked("How long (多久) is a stray dog kept in the shelter?", [feed], answered) is answered


@pytest.mark.parametrize("text", ["1" * 50_000, "一万" * 25_000, "1," * 25_000, "1 多 万 " * 8_000, "1/" * 25_000])
def test_hostile_text_is_read_in_linear_time(text):
    """A long run of numerals with no unit after it: the number-then-unit regexes re-read the run from each of its
    characters (minutes on 50,000 digits) before rag.asked_quantity.number_then read each run once."""
    import time

    from rag.asked_quantity import missing_quantity
    from rag.asked_value import KINDS, missing_value

    t = time.perf_counter()
    assert not any(holds(kind, text + "人") for kind, _, _ in KINDS if kind not in ("rate", "money"))
    holds("money", text + "人")  # 1 多 万 1…: a round amount (1多万) by rag.asked_quantity.gives_money; read in time
    # + 人: a run ending in 万 is a round amount of money (投资5亿), 一万…一万人 a count
    assert missing_value("要隔多久？", text + "人") == "duration"
    assert missing_quantity("要交多少钱？", text + "人") == ("钱" if "多" not in text else None)
    assert time.perf_counter() - t < 5.0
