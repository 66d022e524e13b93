"""Query-dependent fusion (rag/fusion.py) and its use in hybrid retrieval, on real indexes."""

from __future__ import annotations

import dataclasses

import pytest

from rag.fusion import AdaptiveFusion, Signals, dense_weight, signals, split_weights
from rag.retrieve import RetrieveConfig, retrieve

ID_LAW = """# 中华人民共和国居民身份证法

第五条 十六周岁以上公民的居民身份证的有效期为十年、二十年、长期。十六周岁至二十五周岁的，发给有效期十年的居民身份证；
二十六周岁至四十五周岁的，发给有效期二十年的居民身份证；四十六周岁以上的，发给长期有效的居民身份证。

第六条 居民身份证式样由国务院公安部门制定。居民身份证由公安机关统一制作、发放。
"""
CRASH = """# 加拿大航空621号班机空难

加拿大航空621号班机是一班由蒙特利尔经多伦多飞往洛杉矶的定期航班。1970年7月5日，执飞该航班的DC-8客机在多伦多降落时坠毁。
机长 Peter Hamilton 与副机长 Donald Rowland 在进近时误放扰流板。The aircraft is a long-range DC-8 jetliner,
and it was valid for service; the report for the crash is held in the Toronto archive for someone to read.
"""
PARK = """# 城市公园管理办法

第十条 公园开放时间由管理机构公布。游人进入公园应当遵守公园的游园守则，爱护公园设施。
第十一条 在公园内不得损毁花草树木，不得在非指定区域烧烤、露营。
"""


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory, embedder):
    from rag.index import open_index
    from rag.update import update_index

    src = tmp_path_factory.mktemp("fusion-src")
    for name, text in (("id.md", ID_LAW), ("crash.md", CRASH), ("park.md", PARK)):
        (src / name).write_text(text, encoding="utf-8")
    home = tmp_path_factory.mktemp("fusion-index")
    update_index([src], home=home, progress=False, embedder=embedder)
    return open_index(home)


def test_dense_share_rises_as_the_question_words_leave_the_corpus():
    rule = AdaptiveFusion()
    shares = [dense_weight(Signals(cjk=1.0, cover=c, agree=0.2), rule) for c in (1.0, 0.8, 0.5, 0.2, 0.0)]
    assert shares == sorted(shares) and shares[0] < shares[-1]
    assert rule.lo <= shares[0] and shares[-1] <= rule.hi
    assert dense_weight(Signals(cjk=1.0, cover=1.0, agree=1.0), rule) < rule.lo + 0.05
    assert dense_weight(Signals(cjk=0.0, cover=1.0, agree=1.0), rule) == rule.english_weight
    # a statute-only index keeps the static weights for Chinese questions (None), not for English ones
    assert dense_weight(Signals(cjk=1.0, cover=0.0, agree=0.0), rule, statute_index=True) is None
    assert dense_weight(Signals(cjk=0.0, cover=0.0, agree=0.0), rule, statute_index=True) == rule.english_weight
    d, b = split_weights(0.6)
    assert d == 0.6 and b == pytest.approx(0.2)  # the two BM25s keep the default 0.35:0.35 split


def test_signals_separate_a_copied_question_from_an_everyday_one(sample_index, embedder):
    idx = sample_index
    copied = next(s for c in idx.chunks for s in [c.text[a - c.start:b - c.start] for a, b in c.sentences]
                  if len(s) > 25)

    def sig(q):
        from rag.tokenize import char_bigrams, tokenize

        qv = embedder.embed_queries([q])[0]
        s, r = idx.dense.search(qv, 50)
        dense = dict(zip(r.tolist(), s.tolist()))
        s, r = idx.keyword.search(tokenize(q), 50)
        bm25 = dict(zip(r.tolist(), s.tolist()))
        s, r = idx.bigram.search(char_bigrams(q), 50)
        bigram = dict(zip(r.tolist(), s.tolist()))
        return signals(q, lambda x: idx.chunks[x].text, idx.keyword.idf, dense, bm25, bigram)

    a = sig(copied)
    b = sig("我家孩子放学后想学编程，附近哪有便宜的班?")
    assert a.cover > 0.9 and a.cjk >= 0.3
    assert b.cover < a.cover - 0.2


def test_english_question_goes_to_the_chinese_answer_not_the_latin_passage(mixed_index, embedder):
    q = "How long is the ID card valid for someone aged 50?"
    static = RetrieveConfig(adaptive=False)
    adaptive = dataclasses.replace(static, adaptive=True)
    before = retrieve(mixed_index, q, embedder=embedder, k=3, config=static)
    after = retrieve(mixed_index, q, embedder=embedder, k=3, config=adaptive)
    assert before[0].title == "加拿大航空621号班机空难"  # the failure: BM25 matches the English words
    assert after[0].title == "中华人民共和国居民身份证法"


def test_adaptive_keeps_a_question_written_from_the_text(mixed_index, embedder):
    q = "公园内不得在非指定区域做什么?"
    adaptive = RetrieveConfig(adaptive=True)
    hits = retrieve(mixed_index, q, embedder=embedder, k=3, config=adaptive)
    assert hits[0].title == "城市公园管理办法"
    assert [h.chunk.chunk_id for h in hits] == [
        h.chunk.chunk_id for h in retrieve(mixed_index, q, embedder=embedder, k=3, config=RetrieveConfig(adaptive=False))]


def test_an_english_question_searches_bm25_with_its_gloss_on_a_statute_index_too(law_home, embedder):
    """The query adapter applies on an index of laws alone; an English question still gets the gloss there."""
    from rag.index import open_index
    from rag.query_adapter import adapter_for_index
    from rag.retrieve import RetrieveConfig, retrieve

    idx = open_index(law_home)
    assert adapter_for_index(idx, embedder, "auto") is not None
    q = "How long can the probation period of a labor contract be?"
    glossed = retrieve(idx, q, embedder=embedder, k=5)
    static = retrieve(idx, q, embedder=embedder, k=5, config=RetrieveConfig(adaptive=False))
    assert all(h.bm25 is None for h in static)  # English words match no Chinese article
    assert sum(h.bm25 is not None for h in glossed) >= 3
