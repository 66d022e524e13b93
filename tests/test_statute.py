"""Statutes: structure (title, header, 编/章/节, articles), one article per passage, labels,
metadata filters, law versions and archives. Unit tests on the shipped laws and small
policy files; retrieval tests on the ``law_home`` index (real embedder)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from rag.archive import expand_archives
from rag.chunk import chunk_document
from rag.errors import IngestError, QueryError
from rag.filters import Filters
from rag.retrieve import retrieve
from rag.ingest import iter_files, load_file, parse_bytes
from rag.statute import ARTICLE, citation_label, parse_header

from .conftest import LAWS


def _chunks(path):
    doc = load_file(path)
    return doc, chunk_document(doc)


def test_civil_code_article_is_one_passage_with_its_path():
    doc, chunks = _chunks(LAWS / "民法典" / "总则.md")
    assert doc.title == "中华人民共和国民法典"
    assert doc.meta["doc_type"] == "法律" and doc.meta["issuer"] == "全国人民代表大会"
    assert doc.meta["adopted"] == "2020-05-28" and doc.meta["effective"] == "2021-01-01"
    assert "INFO END" not in doc.text
    art = [c for c in chunks if c.article == "第五十四条"]
    assert len(art) == 1
    c = art[0]
    assert c.text == "第五十四条 自然人从事工商业经营，经依法登记，为个体工商户。个体工商户可以起字号。"
    assert c.section == "总则 > 第二章 自然人 > 第四节 个体工商户和农村承包经营户"
    assert citation_label(doc.title, c.article) == "《中华人民共和国民法典》第五十四条"
    for c in chunks:  # offsets round-trip; never two articles in one passage; header never chunked
        assert doc.text[c.start:c.end] == c.text
        assert c.text.startswith(c.article)
        starts = [m for m in ARTICLE.finditer(c.text) if m.start() == 0 or c.text[m.start() - 1] == "\n"]
        assert len(starts) <= 1, c.text[:80]
        assert "会议通过" not in c.text[:40]
    assert len(chunks) == doc.meta["articles"] == 204


def test_multi_paragraph_article_keeps_its_items_and_long_articles_split_at_paragraphs():
    doc, chunks = _chunks(LAWS / "社会法" / "劳动合同法(2012-12-28).md")
    c39 = [c for c in chunks if c.article == "第三十九条"]
    assert len(c39) == 1 and "（六）被依法追究刑事责任的" in c39[0].text
    kuan = "".join(f"本条第{i}款的内容" + "甲" * 280 + "。\n\n" for i in range(1, 6))
    md = f"# 中华人民共和国测试法\n\n<!-- INFO END -->\n\n第一条 {kuan}第二条 短条文。\n".encode()
    d = parse_bytes(md, "测试法.md")
    parts = chunk_document(d)
    first = [c for c in parts if c.article == "第一条"]
    assert len(first) >= 2 and all(len(c.text) <= 800 for c in first)
    assert all(c.text.startswith(("第一条", "本条第")) for c in first)  # cut between 款, not inside
    assert [c.article for c in parts][-1] == "第二条" and parts[-1].text == "第二条 短条文。"


def test_policy_txt_header_articles_in_one_paragraph_and_numbered_headings():
    txt = ("某市居民住房补贴管理办法\n\n（2021年3月1日市人民政府第12次常务会议通过　2021年3月5日市人民政府令第8号公布）\n\n"
           "第一章 总则\n\n第一条 为了规范住房补贴，制定本办法。第二条 本办法适用于本市户籍居民。\n\n"
           "第二章 申请\n\n第三条 申请人应当提交下列材料：\n（一）身份证明；\n（二）收入证明。\n")
    d = parse_bytes(txt.encode("gbk"), "办法.txt")
    assert d.title == "某市居民住房补贴管理办法"
    assert d.meta["doc_number"] == "市人民政府令第8号" and d.meta["published"] == "2021-03-05"
    cs = chunk_document(d)
    assert [c.article for c in cs] == ["第一条", "第二条", "第三条"]  # 第二条 split out of the paragraph
    assert cs[1].text == "第二条 本办法适用于本市户籍居民。" and cs[2].section == "第二章 申请"
    policy = "关于做好就业工作的通知\n\n一、总体要求\n\n坚持就业优先。\n\n二、重点任务\n\n（一）稳定岗位\n\n支持企业稳岗。\n"
    p = parse_bytes(policy.encode(), "通知.txt")
    assert p.meta["doc_type"] == "政策文件"
    assert [c.section for c in chunk_document(p)] == ["一、总体要求", "二、重点任务 > （一）稳定岗位"]


def test_docx_statute(tmp_path):
    docx = pytest.importorskip("docx")
    d = docx.Document()
    for t in ("示范条例", "2019年1月2日国务院令第700号公布", "第一章 总则", "第一条 为了示范，制定本条例。",
              "第二条 本条例自公布之日起施行。"):
        d.add_paragraph(t)
    buf = io.BytesIO()
    d.save(buf)
    doc = parse_bytes(buf.getvalue(), "示范条例.docx")
    assert doc.title == "示范条例" and doc.meta["doc_type"] == "行政法规" and doc.meta["issuer"] == "国务院"
    assert [c.article for c in chunk_document(doc)] == ["第一条", "第二条"]


def test_newspaper_text_is_not_treated_as_a_statute():
    doc = load_file(LAWS.parent / "changsanjiao-ai-2026.md")
    assert "doc_type" not in doc.meta and not any(b.get("article") for b in doc.blocks)


def test_header_parsing():
    h = parse_header(["2008年11月5日 国务院第34次常务会议修订通过", "2011年1月8日 《国务院关于废止和修改部分行政法规的决定》修订",
                      "国家市场监督管理总局令第47号公布"])
    assert h["amended"] == "2011-01-08" and h["version"] == "2011-01-08" and h["issuer"] == "国务院"
    assert h["doc_number"] == "国家市场监督管理总局令第47号"
    assert parse_header(["（本解释已废止）"])["validity"] == "已废止"


def test_archive_readmes_skipped_and_archives_expanded(tmp_path):
    src = tmp_path / "src"
    (src / "社会法").mkdir(parents=True)
    (src / "README.md").write_text("# 本项目\n\n说明。", encoding="utf-8")
    (src / "社会法" / "_index.md").write_text("---\nbookCollapseSection: true\n---\n", encoding="utf-8")
    (src / "社会法" / "法.md").write_text("# 法\n\n第一条 内容。\n\n第二条 内容二。\n", encoding="utf-8")
    assert [p.name for p in iter_files([src])] == ["法.md"]
    tgz = tmp_path / "laws.tar.gz"
    with tarfile.open(tgz, "w:gz") as t:
        t.add(src, arcname="laws")
    home = tmp_path / "home"
    out = expand_archives([str(tgz)], home)
    assert out == expand_archives([str(tgz)], home)  # same folder the second time
    assert [p.name for p in iter_files(out)] == ["法.md"]
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as t:
        info = tarfile.TarInfo("../escape.md")
        info.size = 3
        t.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(IngestError, match="outside"):
        expand_archives([str(evil)], home)


# ------------------------------------------------------------------ on a real index

@pytest.fixture(scope="module")
def law_searcher(law_home):
    from rag.qa import Searcher

    return Searcher(law_home)


def test_citation_names_the_article(law_searcher):
    ans = law_searcher.ask("谁可以成为个体工商户？")
    assert ans.answerable
    c = ans.citations[0]
    assert c.label == "《中华人民共和国民法典》第五十四条" and c.doc_type == "法律" and c.validity == ""
    assert c.section.startswith("总则 > 第二章 自然人") and "个体工商户" in c.quote
    d = ans.to_dict()["citations"][0]
    assert d["label"] == c.label and set(d) >= {"n", "doc_id", "quote", "text", "start", "end"}


def test_filters_type_law_and_dates(law_searcher):
    ans = law_searcher.ask("试用期工资", filters=Filters(types=("行政法规",)))
    assert ans.citations or ans.suggestions
    assert all(c.doc_type == "行政法规" for c in ans.citations + ans.suggestions)
    hits = law_searcher.ask("试用期", filters=Filters(law="劳动合同法", date_to="2010"))
    assert {c.title for c in hits.citations + hits.suggestions} == {"中华人民共和国劳动合同法实施条例"}
    with pytest.raises(QueryError, match="type"):
        law_searcher.ask("试用期", filters=Filters(types=("法规汇编",)))
    with pytest.raises(QueryError, match="rag docs"):
        law_searcher.ask("试用期", filters=Filters(law="不存在的法"))
    with pytest.raises(QueryError, match="widen"):
        law_searcher.ask("试用期", filters=Filters(types=("案例",)))


def test_current_version_preferred_and_old_one_flagged(law_searcher):
    idx = law_searcher.index()
    old = next(i for i, d in idx.documents.items() if d.meta.get("version") == "2001-01-01")
    q = "劳动者每年享受多少天带薪年休假"  # both versions hold the article; the evidence is (refused or not)
    first = (lambda a: (a.citations or a.suggestions)[0])  # judged elsewhere, here only which version
    c = first(law_searcher.ask(q))
    assert "三十日" in c.text and c.validity == "" and c.label == "《中华人民共和国示范休假法》第二条"
    c = first(law_searcher.ask(q, filters=Filters(law=old)))
    assert "十五日" in c.text and c.validity == "已被修改"
    c = first(law_searcher.ask(q, filters=Filters(prefer_current=False, types=("法律",))))
    assert c.label.endswith("第二条")


def test_cli_and_api_filters(law_home):
    from click.testing import CliRunner
    from fastapi.testclient import TestClient

    from rag.cli import main
    from rag.http import create_api
    from rag.qa import Searcher

    r = CliRunner().invoke(main, ["ask", "--home", str(law_home), "--type", "law", "--law", "民法典", "谁可以成为个体工商户"])
    assert r.exit_code == 0 and "《中华人民共和国民法典》第五十四条 / 总则" in r.output, r.output
    r = CliRunner().invoke(main, ["ask", "--home", str(law_home), "--from", "20x", "个体工商户"])
    assert r.exit_code == 1 and "2020-05" in r.output and "Traceback" not in r.output
    client = TestClient(create_api(Searcher(law_home)))
    res = client.post("/api/ask", json={"question": "试用期工资", "filters": {"types": ["行政法规"]}})
    assert res.status_code == 200
    body = res.json()
    assert all(c["doc_type"] == "行政法规" for c in body["citations"] + body["suggestions"])
    bad = client.post("/api/ask", json={"question": "试用期", "filters": {"types": ["x"]}})
    assert bad.status_code == 400 and "type" in json.dumps(bad.json(), ensure_ascii=False)


def test_parts_of_one_law_are_not_versions_of_each_other():
    """The civil code ships as one file per 编; 婚姻家庭编 omits its 施行 line. Parts adopted the same day are
    one version, so none is marked 已被修改 (and demoted); a later amendment still supersedes."""
    from types import SimpleNamespace

    from rag.filters import validity
    from rag.ingest import parse_bytes

    head = "# 中华人民共和国民法典\n\n# {part}\n\n2020年5月28日 第十三届全国人民代表大会第三次会议通过\n\n{eff}<!-- INFO END -->\n\n"
    body = "## 第一章  一般规定\n\n第{n}条 本编调整{what}。\n\n第{m}条 其他规定适用本编。\n"
    general = parse_bytes((head.format(part="总则", eff="2021年1月1日 施行\n\n")
                           + body.format(n="一", m="二", what="民事关系")).encode(), "总则.md")
    family = parse_bytes((head.format(part="婚姻家庭编", eff="")
                          + body.format(n="一千零四十", m="一千零四十一", what="因婚姻家庭产生的民事关系")).encode(),
                         "婚姻家庭编.md")
    assert general.meta["version"] == family.meta["version"] == "2020-05-28"
    docs = {d.doc_id: d for d in (general, family)}
    assert validity(SimpleNamespace(documents=docs)) == {}
    amended = parse_bytes((head.format(part="总则", eff="2030年1月1日 第十九届全国人民代表大会常务委员会修正\n\n")
                           + body.format(n="一", m="二", what="民事关系（新）")).encode(), "总则(2030-01-01).md")
    docs[amended.doc_id] = amended
    assert validity(SimpleNamespace(documents=docs)).get(general.doc_id) == "已被修改"
    assert amended.doc_id not in validity(SimpleNamespace(documents=docs))


# ------------------------------------------------------------------ answers that cite the article (rag/statute_answer.py)

def _hit(doc_id, title, text, article, rank, score, start=0):
    from rag.records import Chunk, Hit

    c = Chunk(f"{doc_id}-{rank:04d}", doc_id, start, start + len(text), text, section="第一章 总则",
              sentences=[(start, start + len(text))], article=article)
    return Hit(chunk=c, score=score, rank=rank, title=title, meta={"doc_type": "法律"})


def _models(*, threshold=0.5, second=0.5, refusal_bias=5.0):
    """Hand-made models: the article model believes coverage; the refusal model a fixed bias."""
    from rag.select import LinearModel
    from rag.statute_answer import StatuteModels

    return StatuteModels("lexical", LinearModel(-3.0, {"coverage": 6.0}),
                         LinearModel(refusal_bias, {}, threshold), second)


def test_statute_answer_quotes_whole_articles_labels_them_and_cites_a_second_provision():
    from rag.statute_answer import statute_answer

    law = _hit("d1", "中华人民共和国劳动合同法", "第十九条 劳动合同期限三个月以上不满一年的，试用期不得超过一个月。", "第十九条", 1, 2.0)
    reg = _hit("d2", "中华人民共和国劳动合同法实施条例", "第十五条 劳动者在试用期的工资不得低于本单位相同岗位最低档工资。",
               "第十五条", 2, 1.8, start=100)
    far = _hit("d3", "中华人民共和国民法典", "第五十四条 自然人从事工商业经营，经依法登记，为个体工商户。", "第五十四条", 3, 0.5)
    ans = statute_answer("试用期工资和试用期期限", [law, reg, far], idf=lambda t: 1.0, models=_models())
    assert ans.answerable and [c.doc_id for c in ans.citations] == ["d1", "d2"]
    for c, h in zip(ans.citations, (law, reg)):
        assert c.quote == h.chunk.text == c.text and (c.quote_start, c.quote_end) == (h.chunk.start, h.chunk.end)
    assert ans.citations[1].label == "《中华人民共和国劳动合同法实施条例》第十五条"
    assert ans.answer.splitlines() == ["《中华人民共和国劳动合同法》" + law.chunk.text + "[1]",
                                       "《中华人民共和国劳动合同法实施条例》" + reg.chunk.text + "[2]"]
    # a second provision below the model's bar is not quoted
    one = statute_answer("试用期工资和试用期期限", [law, reg, far], idf=lambda t: 1.0, models=_models(second=0.9999))
    assert [c.doc_id for c in one.citations] == ["d1"]


def test_statute_answer_refuses_below_threshold_and_leaves_other_passages_to_the_general_answerer():
    from rag.statute_answer import NOT_FOUND, statute_answer

    law = _hit("d1", "中华人民共和国劳动合同法", "第十九条 试用期不得超过一个月。", "第十九条", 1, 2.0)
    ans = statute_answer("试用期多久", [law], idf=lambda t: 1.0, models=_models(refusal_bias=-5.0))
    assert not ans.answerable and ans.answer == NOT_FOUND and not ans.citations
    assert ans.suggestions[0].quote == law.chunk.text and ans.confidence < 0.5
    news = _hit("n1", "新闻", "温州人工智能局负责全市人工智能产业发展。", "", 1, 2.0)
    assert statute_answer("温州人工智能局做什么", [news, law], idf=lambda t: 1.0, models=_models()) is None
    # a part of a long article (split at 款) says it is an excerpt
    part = _hit("d1", "中华人民共和国劳动合同法", "（一）劳动者在试用期间被证明不符合录用条件的；", "第三十九条", 1, 2.0)
    ans = statute_answer("试用期不符合录用条件", [part], idf=lambda t: 1.0, models=_models())
    assert ans.answer == "《中华人民共和国劳动合同法》第三十九条（节选）：" + part.chunk.text + "[1]"


def test_shipped_statute_models_record_their_embedder_and_fall_back_to_lexical(embedder):
    from rag.statute_answer import STATUTE_MODELS, load_statute_models

    data = json.loads(STATUTE_MODELS.read_text(encoding="utf-8"))
    fp = data["fitted_for"]["fingerprint"]
    assert fp == embedder.fingerprint  # fitted for the default embedder's weights
    assert "tune" in data["note"] and "report" not in data["note"]
    dense = load_statute_models(fingerprint=fp, dense=True)
    assert dense.kind == "dense" and "cos" in dense.article.weights
    other = load_statute_models(fingerprint="another-model", dense=True)
    assert other.kind == "lexical" and "cos" not in other.article.weights and "max_cos" not in other.refusal.weights
    assert 0 < dense.refusal.threshold < 1
    assert load_statute_models(fingerprint=fp, dense=True, path="/nonexistent.json") is None


def test_real_index_answers_with_the_article_verbatim(law_searcher):
    ans = law_searcher.ask("谁可以成为个体工商户？")
    c = ans.citations[0]
    assert ans.answerable and c.quote == c.text and c.quote.startswith("第五十四条")
    assert ans.answer.startswith("《中华人民共和国民法典》第五十四条 自然人从事工商业经营")
    idx = law_searcher.index()
    doc = idx.documents[c.doc_id]
    assert doc.text[c.quote_start:c.quote_end] == c.quote
    off = law_searcher.ask("今天北京的天气怎么样，会下雨吗？")
    assert not off.answerable and off.suggestions


def test_statute_reranker_is_opt_in_and_only_on_legal_indexes(law_searcher, sample_index, embedder):
    from rag.retrieve import RetrieveConfig, retrieve

    idx = law_searcher.index()
    q = "试用期最长可以约定多久"
    base = retrieve(idx, q, embedder=embedder, k=20)
    rer = retrieve(idx, q, embedder=embedder, k=10, config=RetrieveConfig(statute_rerank=True))
    assert {h.chunk.chunk_id for h in rer} <= {h.chunk.chunk_id for h in base}  # re-orders the top 20 only
    assert all(1.0 <= h.score <= 2.0 for h in rer) and [h.score for h in rer] != [h.score for h in base[:10]]
    assert any("试用期" in h.chunk.text for h in rer[:3])
    news_q = "温州人工智能局做什么"
    on = retrieve(sample_index, news_q, embedder=embedder, k=5, config=RetrieveConfig(statute_rerank=True))
    off = retrieve(sample_index, news_q, embedder=embedder, k=5)
    assert [(h.chunk.chunk_id, h.score) for h in on] == [(h.chunk.chunk_id, h.score) for h in off]


def test_article_numbers_in_chinese_and_arabic():
    from rag.lookup import article_number

    assert [article_number(n) for n in ("三十八", "一千零六十四", "十", "一百", "二百零三", "38", "３８", "条")] == \
        [38, 1064, 10, 100, 203, 38, 38, None]


def test_an_article_named_by_law_and_number_is_found_first_and_quoted(law_searcher):
    # the implementing regulation has its own 第三十八条: similarity alone quoted that one
    for q in ("劳动合同法第三十八条规定了什么", "请问《中华人民共和国劳动合同法》第38条", "劳动合同法 第三十八条"):
        a = law_searcher.ask(q)
        assert a.answerable and a.citations[0].label == "《中华人民共和国劳动合同法》第三十八条", (q, a.answer)
        assert a.answer.startswith("《中华人民共和国劳动合同法》第三十八条 用人单位有下列情形之一的")
    a = law_searcher.ask("劳动合同法实施条例第三十八条")
    assert a.citations[0].label == "《中华人民共和国劳动合同法实施条例》第三十八条", a.answer
    idx, emb = law_searcher.index(), law_searcher.embedder
    hits = retrieve(idx, "民法典第五十四条和劳动合同法第三十七条", embedder=emb, k=5)
    assert [h.chunk.article for h in hits[:2]] == ["第五十四条", "第三十七条"] and hits[0].exact and hits[1].exact
    # a law the index does not hold, or an article it does not have: ordinary retrieval, nothing marked exact
    assert not any(h.exact for h in retrieve(idx, "刑法第二十条规定了什么", embedder=emb, k=5))
    assert not any(h.exact for h in retrieve(idx, "劳动合同法第九百条规定了什么", embedder=emb, k=5))
    # … and the answer says the law has no such article instead of quoting a look-alike
    a = law_searcher.ask("劳动合同法第九百条规定了什么")
    assert not a.answerable and a.answer == "资料中没有找到《中华人民共和国劳动合同法》第九百条。" and a.suggestions
    assert law_searcher.ask("刑法第二十条规定了什么").answer != "资料中没有找到《刑法》第二十条。"  # law not held


def test_an_english_question_over_laws_is_answered_from_its_chinese_gloss(law_home, embedder, monkeypatch):
    """The statute answerer reads an English question's CC-CEDICT gloss for its lexical features, as the
    general answerer does (its models were fitted on Chinese questions); before, every English question over
    laws was refused."""
    import rag.answer
    from rag.index import open_index
    from rag.qa import ask
    from rag.select import cjk_share

    seen = []
    real = rag.answer.statute_answer
    monkeypatch.setattr(rag.answer, "statute_answer", lambda *a, **kw: seen.append(kw.get("wording")) or real(*a, **kw))
    idx = open_index(law_home)
    q = "How long can the probation period of a labor contract be at most?"
    ans = ask(idx, q, embedder=embedder)
    assert seen and seen[0] and cjk_share(seen[0]) > 0.5  # the features read Chinese terms
    assert ans.answerable and ans.citations[0].label.startswith("《中华人民共和国劳动合同法》")  # refused before
