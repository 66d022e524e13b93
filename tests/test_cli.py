"""The `rag` command line through click's CliRunner, on the real index."""

from __future__ import annotations

import json

from click.testing import CliRunner

from rag.cli import main

from .conftest import SAMPLE as CORPUS  # the sample article only


def run(*args, home=None):
    argv = list(args) + (["--home", str(home)] if home else [])
    return CliRunner().invoke(main, argv, catch_exceptions=False)


def test_index_then_ask_human_and_json(tmp_path):
    home = tmp_path / "h"
    r = run("index", str(CORPUS), "--quiet", home=home)
    assert r.exit_code == 0, r.output
    assert "1 documents" in r.output and "added: 1" in r.output
    r = run("ask", "温州人工智能局做什么", home=home)
    assert r.exit_code == 0 and "[1]" in r.output and "来源" in r.output and "算力" in r.output
    r = run("ask", "--json", "温州人工智能局做什么", home=home)
    d = json.loads(r.stdout)
    assert d["answerable"] and d["citations"][0]["quote"] in d["citations"][0]["text"]
    r = run("index", str(CORPUS), "--quiet", home=home)
    assert "unchanged: 1" in r.output
    r = run("docs", "--json", home=home)
    assert json.loads(r.stdout)[0]["chunks"] > 0


def test_refusal_on_cli(sample_home):
    r = run("ask", "--json", "北京的房价是多少", home=sample_home)
    d = json.loads(r.stdout)
    assert d["answerable"] is False and d["citations"] == [] and d["suggestions"]


def test_errors_are_messages_not_tracebacks(tmp_path, sample_home):
    r = CliRunner().invoke(main, ["ask", "温州", "--home", str(tmp_path / "none")])
    assert r.exit_code == 1 and "rag index" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["ask", "   ", "--home", str(sample_home)])
    assert r.exit_code == 1 and "empty" in r.output
    r = CliRunner().invoke(main, ["ask", "温州", "--mode", "magic", "--home", str(sample_home)])
    assert r.exit_code == 2


def test_eval_jsonl_against_index(sample_home, tmp_path):
    qs = tmp_path / "q.jsonl"
    qs.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in [
        {"question": "温州人工智能局做什么", "answers": ["算力建设"], "answerable": True},
        {"question": "长三角集成电路产业规模占全国多少", "answers": ["3/5"], "answerable": True},
        {"question": "北京的房价是多少", "answers": [], "answerable": False},
    ]), encoding="utf-8")
    out = tmp_path / "per.jsonl"
    r = run("eval", str(qs), "--index", str(sample_home), "--mode", "hybrid,bm25", "--json", "--quiet",
            "--out", str(out))
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    h = d["modes"]["hybrid"]
    assert h["recall@5"] == 1.0 and h["refusal_recall"] == 1.0 and h["answer_hit_quote"] == 1.0
    assert set(d["modes"]) == {"hybrid", "bm25"}
    assert len(out.read_text().splitlines()) == 6


def test_eval_squad_file_builds_its_own_index(tmp_path):
    squad = {"data": [{"title": "温州", "paragraphs": [
        {"context": "温州设立人工智能局。该局统筹推进算力建设。", "qas": [
            {"id": "1", "question": "温州设立了什么局?", "answers": [{"text": "人工智能局", "answer_start": 4}]}]},
        {"context": "杭州西湖区设立20亿元成果转化基金。", "qas": [
            {"id": "2", "question": "西湖区设立了多少基金?", "answers": [{"text": "20亿元", "answer_start": 7}]}]}]}]}
    f = tmp_path / "tiny.json"
    f.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    r = run("eval", str(f), "--mode", "hybrid,dense,bm25", "--json", "--quiet")
    assert r.exit_code == 0, r.output
    d = json.loads(r.stdout)
    assert d["documents"] == 2
    assert d["modes"]["bm25"]["recall@1"] == 1.0


def test_eval_compares_two_indexes_and_gates(sample_home, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(sample_home, other)
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"question": "温州人工智能局做什么", "answers": ["算力建设"]}, ensure_ascii=False),
                  encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(qs), "--index", str(sample_home), "--index", str(other),
                                  "--mode", "hybrid,bm25", "--json", "--quiet"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.stdout)["modes"]) == {f"{h.name}/{m}" for h in (sample_home, other)
                                                  for m in ("hybrid", "bm25")}
    r = CliRunner().invoke(main, ["eval", str(qs), "--index", str(sample_home), "--quiet",
                                  "--fail-under", "hybrid.recall@1=1.01"])
    assert r.exit_code == 3 and "FAIL: hybrid recall@1" in r.output
    r = CliRunner().invoke(main, ["eval", str(qs), "--index", str(sample_home), "--quiet",
                                  "--fail-under", "recall@5=0.5"])
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["eval", str(qs), "--index", str(sample_home), "--quiet",
                                  "--fail-under", "bogus=1"])
    assert r.exit_code == 1 and "no such metric" in r.output


def test_eval_beir_folder(tmp_path):
    d = tmp_path / "beir"
    (d / "qrels").mkdir(parents=True)
    corpus = [{"_id": "d1", "title": "温州", "text": "温州设立人工智能局,统筹推进算力建设。"},
              {"_id": "d2", "title": "杭州", "text": "杭州西湖区设立20亿元成果转化基金。"}]
    (d / "corpus.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in corpus), encoding="utf-8")
    (d / "queries.jsonl").write_text(json.dumps({"_id": "q1", "text": "西湖区的成果转化基金"}, ensure_ascii=False),
                                     encoding="utf-8")
    (d / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td2\t1\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["eval", str(d), "--mode", "bm25,hybrid", "--json", "--quiet"])
    assert r.exit_code == 0, r.output
    m = json.loads(r.stdout)["modes"]
    assert m["bm25"]["recall@1"] == 1.0 and m["hybrid"]["ndcg@10"] == 1.0


def test_index_names_a_law_split_into_part_files_once(tmp_path):
    """A code shipped as one file per part (民法典's 编 files all carry its title) is named once in the listing,
    with its file count; the count of documents stays one per file."""
    src = tmp_path / "src"
    (src / "示范法典").mkdir(parents=True)
    for part, body in (("总则", "第一条 为了示范，制定本法典。"), ("物权编", "第二条 物权受法律保护。"),
                       ("合同编", "第三条 合同依法成立。")):
        (src / "示范法典" / f"{part}.md").write_text(f"# 中华人民共和国示范法典\n\n# {part}\n\n{body}\n", encoding="utf-8")
    (src / "其他.md").write_text("# 示范市公告\n\n示范市数据局成立于2026年3月。\n", encoding="utf-8")
    r = run("index", str(src), "--quiet", home=tmp_path / "h")
    assert r.exit_code == 0, r.output
    added = next(line for line in r.output.splitlines() if line.strip().startswith("added:"))
    assert added.count("中华人民共和国示范法典") == 1, added
    assert "中华人民共和国示范法典 (3 files)" in added and "示范市公告" in added and added.strip().startswith("added: 4")
