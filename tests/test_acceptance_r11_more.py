"""More defects from the round-11 acceptance walk, each pinned by a test (real components).

- R1: with both versions of a law indexed, a statute answer quoted the current 第四条 and, as its second
  provision, the 2018 version of the same 第四条 (unmarked in the answer text).
- R6: lawrefbook's ``案例/民法典/`` files were typed 法律 (the innermost known folder won).
- R7: an empty ``CURRENT`` file was reported as pointing at the data folder itself.
- /v1/chat/completions accepted a message role it does not know.
- A feedback vote cast again on the same turn appended the whole answer again, without bound.
- ``rag index FOLDER`` skipped a .zip inside the folder without a word (round 12: it is indexed).
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.conftest import SHARED

ARCHIVE = SHARED / "lawrefbook.tar.gz"


def _members(dest: Path, wanted: dict[str, str]) -> list[Path]:
    """Extract the archive members ``wanted`` (member path → path under ``dest``); skips without the archive."""
    if not ARCHIVE.exists():
        pytest.skip(f"{ARCHIVE} is not here")
    out = {}
    with tarfile.open(ARCHIVE, "r:gz") as tar:
        for m in tar:
            if m.name in wanted:
                target = dest / wanted[m.name]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(tar.extractfile(m).read())
                out[m.name] = target
                if len(out) == len(wanted):
                    break
    assert set(out) == set(wanted)
    return [out[k] for k in wanted]


# ---------------------------------------------------------------- R1: two versions of one article


@pytest.mark.slow
def test_a_statute_answer_never_quotes_another_version_of_an_article_it_quotes(tmp_path, embedder):
    from rag.qa import Searcher
    from rag.update import update_index

    src = tmp_path / "laws"
    _members(src, {f"lawrefbook/社会法/妇女权益保障法({d}).md": f"社会法/妇女权益保障法({d}).md"
                   for d in ("2018-10-26", "2022-10-30")})
    home = tmp_path / "home"
    update_index([src], home=home, progress=False, embedder=embedder)
    searcher = Searcher(home)
    for q in ("妇女权益保障法规定了哪些妇女的权利", "国家机关应当依法保障妇女的权益吗"):
        ans = searcher.ask(q)
        labels = [(c.label, c.doc_id) for c in ans.citations]
        assert len({lab for lab, _ in labels}) == len(labels), (q, labels, ans.answer)
        assert all(c.validity != "已被修改" for c in ans.citations[1:]), (q, labels)


# ---------------------------------------------------------------- R6: cases filed under the law they apply


def test_cases_filed_under_a_law_folder_are_cases(tmp_path):
    from rag.ingest import load_file

    names = ["常某某诉许某网络服务合同案.md", "徐某某诉张某某婚姻家庭案.md", "无偿搭乘亲友出事故 依法减轻赔偿责任.md"]
    cases = _members(tmp_path, {f"lawrefbook/案例/民法典/{n}": f"lawrefbook/案例/民法典/{n}" for n in names})
    assert [load_file(p).meta.get("doc_type") for p in cases] == ["案例"] * 3  # were 法律
    law = tmp_path / "lawrefbook" / "民法典" / "总则.md"  # the same folder name outside 案例/ still means a law
    law.parent.mkdir(parents=True)
    law.write_text("# 中华人民共和国民法典\n\n<!-- INFO END -->\n\n第一条 为了保护民事主体的合法权益，制定本法。\n",
                   encoding="utf-8")
    assert load_file(law).meta["doc_type"] == "法律"


# ---------------------------------------------------------------- R7: an empty CURRENT


def test_an_empty_current_file_is_reported_as_a_half_written_index(sample_home):
    from click.testing import CliRunner

    from rag.cli import main

    gen = (sample_home / "CURRENT").read_text().strip()
    (sample_home / "CURRENT").write_text("")
    r = CliRunner().invoke(main, ["ask", "--home", str(sample_home), "温州人工智能局做什么"])
    assert r.exit_code != 0 and "Traceback" not in r.output, r.output
    assert "CURRENT" in r.output and "empty" in r.output and "half-written" in r.output, r.output
    assert f"points at {sample_home.name}" not in r.output and gen in r.output  # named the data folder before
    assert "rag index --rebuild" in r.output


# ---------------------------------------------------------------- /v1 message roles


def test_chat_completions_refuses_an_unknown_role_and_accepts_openais(sample_index, built_home):
    from fastapi.testclient import TestClient

    from rag.http import create_api
    from rag.qa import Searcher

    client = TestClient(create_api(Searcher(built_home)))
    url = "/v1/chat/completions"
    bad = client.post(url, json={"messages": [{"role": "bogus", "content": "南京呢"},
                                              {"role": "user", "content": "温州人工智能局做什么"}]})
    assert bad.status_code == 422, bad.text  # was 200: the message was silently dropped
    err = bad.json()["error"]
    assert err["param"] == "messages.0.role"
    assert all(r in err["message"] for r in ("system", "user", "assistant", "tool", "developer")), err
    for role in ("system", "developer", "tool"):  # OpenAI's roles: accepted, not read as the conversation
        ok = client.post(url, json={"messages": [{"role": role, "content": "只用中文回答"},
                                                  {"role": "user", "content": "温州人工智能局做什么"}]})
        assert ok.status_code == 200 and ok.json()["history"]["turns"] == 0, (role, ok.text)


# ---------------------------------------------------------------- feedback: once per turn, capped


def test_voting_again_on_a_turn_does_not_append_the_answer_again(sample_home):
    import json

    import gradio as gr

    from rag.qa import Searcher
    from ui.app import _Handlers
    from ui.staff import StaffGate

    h = _Handlers(Searcher(sample_home), StaffGate(None))
    *_, (_, turns, _) = h.respond("温州人工智能局做什么", [], 5, "hybrid", None)
    for vote, comment in [("up", ""), ("up", ""), ("up", ""), ("down", "不对"), ("down", "不对")]:
        turns = h.on_feedback(turns, gr.EventData(None, {"turn": 0, "vote": vote, "comment": comment}))
    lines = [json.loads(x) for x in (sample_home / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2, lines  # was 5 copies of the whole answer
    assert lines[0]["answer"] == turns[0]["answer"]["answer"] and lines[0]["vote"] == "up"
    assert lines[1] == {"time": lines[1]["time"], "turn": lines[0]["turn"], "vote": "down", "comment": "不对",
                        "revised": True}
    assert turns[0]["vote"] == "down"


def test_feedback_file_is_capped(tmp_path):
    from ui.feedback import vote_on_turn

    answer = {"question": "问", "answer": "答" * 300, "citations": []}
    for _ in range(40):  # forty answers, one vote each, under a 4 KB cap
        vote_on_turn(tmp_path, {"answer": answer, "vote": None}, "up", max_bytes=4096)
    sizes = [(tmp_path / n).stat().st_size for n in ("feedback.jsonl", "feedback.jsonl.1")]
    assert all(0 < s <= 4096 for s in sizes) and sorted(p.name for p in tmp_path.iterdir()) == [
        "feedback.jsonl", "feedback.jsonl.1"]


# ---------------------------------------------------------------- an archive inside a folder


def test_an_archive_inside_a_folder_is_indexed_not_passed_over(tmp_path):
    """Round 11 listed it under ``skipped`` with the command that indexes it; since round 12 ``rag index FOLDER``
    opens it (one level deep, same bomb checks: tests/test_acceptance_r12.py)."""
    import io
    import json
    import zipfile

    from click.testing import CliRunner

    from rag.cli import main

    folder = tmp_path / "政策"
    folder.mkdir()
    (folder / "通知.txt").write_text("示例区教育局今年秋季学期于9月1日开学。", encoding="utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("附件.txt", "示例市数据局支持企业开展数据标注。")
    (folder / "附件.zip").write_bytes(buf.getvalue())
    home = tmp_path / "home"
    r = CliRunner().invoke(main, ["index", "--home", str(home), "--quiet", "--json", str(folder)])
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    assert report["skipped"] == 0 and sorted(report["added"]) == ["通知", "附件"], report
    r = CliRunner().invoke(main, ["index", "--home", str(home), "--quiet", str(folder / "附件.zip")])
    assert r.exit_code == 0 and "unchanged: 1" in r.output, r.output  # by name: the same extraction
