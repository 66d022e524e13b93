"""End-to-end tests of the chat UI: the real ``rag serve`` process driven by Chromium.

One server per module (``rag serve`` in a subprocess, a temp ``RAG_HOME``
holding an index of ``corpus/``), one headless Debian Chromium. Screenshots
go to ``tests/artifacts/``. Also checks the ``/ask`` endpoint through
gradio_client against ``rag ask --json``, and the pure helpers of
:mod:`ui.render` and :mod:`ui.library` without a browser.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ui.library import safe_filename
from ui.render import QUESTION_SHOWN, esc, highlight, link_markers, render_chat

from .helpers import stop_process
from .test_acceptance_r12_ui import NOTICE, _damaged_tgz, _tar

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus" / "changsanjiao-ai-2026.md"  # the sample article only
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
RAG = [sys.executable, "-m", "rag.cli"]
STAFF = ("staff", "a test passphrase 42")

HOSTILE_MD = """---
title: <img src=x onerror=alert(1)>恶意标题测试
date: 2026-03-01
---

## <script>alert(1)</script>值班安排

示例县防汛办公室的值班电话是 87654321。<script>alert(1)</script>详情见[点我](javascript:alert(1))。<img src=x onerror=alert(1)>防汛物资存放在示例县北仓库。
"""

POLICY_MD = """---
title: 示例市数据局2026年数据要素政策
date: 2026-02-15
---

## 公共数据开放

2026年3月,示例市数据局发布《公共数据授权运营办法》,首批向企业开放4721个公共数据集。

示例市数据局同时设立数据要素创新基金,规模为3.6亿元,用于支持数据标注和数据交易。
"""


# ---------------------------------------------------------------- pure helpers (fast)

def test_render_escapes_document_text():
    hostile = {"question": "q", "status": "done", "vote": None, "answer": {
        "answer": "<script>alert(1)</script>[点我](javascript:alert(1))[1]", "answerable": True,
        "citations": [{"n": 1, "doc_id": "d", "title": "<img src=x onerror=alert(1)>", "section": "<b>s</b>",
                       "chunk_id": "c", "start": 0, "end": 9, "quote": "<i>q</i>", "text": "<i>q</i>",
                       "score": 1.0, "quote_start": 0, "quote_end": 8, "date": ""}],
        "suggestions": [], "timings_ms": {"total": 1.0}}}
    out = render_chat([hostile])
    assert "<script>" not in out and "<img" not in out and "<i>" not in out and "<b>s" not in out
    assert "javascript:alert(1))" in out  # visible text, not an href
    assert 'href="javascript' not in out
    assert '<mark>&lt;i&gt;q&lt;/i&gt;</mark>' in out
    assert 'data-target="src-0-1"' in out and 'id="src-0-1"' in out


def test_highlight_falls_back_to_find_and_link_markers_ignore_unknown():
    c = {"text": "甲乙丙", "quote": "乙", "start": 0, "quote_start": 99, "quote_end": 100}
    assert highlight(c) == "甲<mark>乙</mark>丙"
    assert link_markers("a[2]", [1], 0) == "a[2]"
    assert esc("${1}") == "&#36;{1}"


@pytest.mark.parametrize("name, want", [
    ("../../etc/passwd.md", "passwd.md"), ("..\\..\\x.TXT", "x.txt"), ("a/b/.hidden.md", "hidden.md"),
    ("报告 (终稿).docx", "报告_(终稿).docx"), ("evil.sh", None), ("noext", None), ("..", None),
    ("x.md\x00.exe", None)])
def test_safe_filename(name, want):
    assert safe_filename(name) == want


# ---------------------------------------------------------------- the real server

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited with {proc.returncode}:\n{proc.stdout.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up in {timeout} s")


@contextlib.contextmanager
def serving_with_staff(home: Path, user: str, password: str, *serve_args: str):
    """A fresh index of the sample article in ``home``, one staff user, and ``rag serve`` on a free port;
    yields ``(url, env)`` and stops the server afterwards."""
    env = dict(os.environ, RAG_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1",
               PYTHONUNBUFFERED="1")
    # `rag index` in this process (click's runner, the session's embedder already loaded), not a process of its own
    # importing torch and loading e5 again only to index 8 passages; the server below is a real process
    from click.testing import CliRunner

    from rag.cli import main

    r = CliRunner().invoke(main, ["index", "--quiet", "--home", str(home), str(CORPUS)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    subprocess.run([*RAG, "users", "add", user, "--password-stdin"], input=password + "\n", text=True, env=env,
                   check=True, capture_output=True, cwd=ROOT)
    port = _free_port()
    proc = subprocess.Popen([*RAG, "serve", "--port", str(port), *serve_args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc)
        yield url, env
    finally:
        stop_process(proc, timeout=8)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``rag serve`` on a free port with a fresh index of the sample article; yields (url, home, env)."""
    home = tmp_path_factory.mktemp("rag_home")
    with serving_with_staff(home, *STAFF, "--corpus", str(CORPUS)) as (url, env):
        yield url, home, env


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    """A fresh page on the app that records dialogs and any request leaving 127.0.0.1."""
    url = server[0]
    ctx = browser.new_context(viewport={"width": 1200, "height": 1000}, locale="zh-CN",
                              permissions=["clipboard-read", "clipboard-write"])
    pg = ctx.new_page()
    pg.dialogs, pg.outside = [], []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.on("request", lambda r: None if r.url.startswith((url, "data:", "blob:")) else pg.outside.append(r.url))
    pg.goto(url)
    pg.locator("#question textarea").wait_for(timeout=30_000)
    yield pg
    ctx.close()


def _ask(page, question: str):
    """Type a question, send it, wait for the finished turn; returns its locator."""
    turns = page.locator("#chat-log .turn")
    n = turns.count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask-btn").click()
    turn = turns.nth(n)
    turn.locator(".bubble.answer, .bubble.refusal, .bubble.notice").wait_for(timeout=30_000)
    return turn


def _scroll_to(turn) -> None:
    turn.page.wait_for_timeout(400)  # let gradio's own autoscroll (300 ms after an update) run first
    turn.evaluate("el => el.scrollIntoView({block: 'start'})")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _staff_login(page) -> None:
    """Log in on the library tab (once per page)."""
    page.get_by_role("tab", name="资料库").click()
    page.locator("#login-btn").or_(page.locator("#add-btn")).first.wait_for(timeout=15_000)
    if page.locator("#login-btn").is_visible():
        page.locator("#login-user").locator("input, textarea").first.fill(STAFF[0])
        page.locator("#login-pw").locator("input, textarea").first.fill(STAFF[1])
        page.locator("#login-btn").click()
        page.locator("#add-btn").wait_for(timeout=15_000)


def _upload(page, paths: list[Path]):
    _staff_login(page)
    page.locator("#upload-files input[type=file]").set_input_files([str(p) for p in paths])
    for p in paths:
        page.locator("#upload-files").get_by_text(p.stem).first.wait_for(timeout=15_000)
    page.locator("#add-btn").click()
    report = page.locator("#lib-report table.up-report")
    report.wait_for(timeout=60_000)
    return report


@pytest.mark.slow
@pytest.mark.browser
def test_answer_with_highlighted_source(page, server):
    page.evaluate("""() => { window.__sawSearching = false;
        new MutationObserver(() => { if (document.querySelector('#chat-log .searching')) window.__sawSearching = true; })
          .observe(document.body, {subtree: true, childList: true}); }""")
    turn = _ask(page, "温州人工智能局做什么")
    answer = turn.locator(".answer-text").inner_text()
    assert any(w in answer for w in ("算力", "数据资源", "应用场景")), answer
    assert page.evaluate("window.__sawSearching"), "no visible 正在检索 state"
    mark = turn.locator(".src-card mark").first
    assert "人工智能局" in mark.inner_text()
    card = turn.locator(".src-card").first
    assert "怎么发展人工智能产业" in card.locator(".src-title").inner_text()
    assert card.locator(".src-date").inner_text() == "2026-01"
    # [n] brings its source into view
    page.locator("#chat-log").evaluate("el => el.scrollTo(0, 0)")
    turn.locator("a.cite").first.click()
    page.wait_for_function("""() => { const r = document.getElementById('src-0-1').getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight; }""", timeout=5_000)
    # 👍 with a comment lands in feedback.jsonl
    turn.locator("input.fb-comment").fill("很清楚")
    turn.locator("button.fb-btn[data-vote=up]").click()
    fb = Path(server[1]) / "feedback.jsonl"
    deadline = time.monotonic() + 10
    while not fb.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    rec = json.loads(fb.read_text(encoding="utf-8").splitlines()[-1])
    assert rec["vote"] == "up" and rec["comment"] == "很清楚" and rec["question"] == "温州人工智能局做什么"
    assert rec["citations"] and rec["citations"][0]["quote"] in rec["answer"]
    # a refusal is a refusal, with suggestions
    refused = _ask(page, "火星上的天气怎么样")
    assert refused.locator(".bubble.refusal").count() == 1
    assert "可能相关" in refused.inner_text()
    _scroll_to(refused)
    _shot(page, "ui-refusal.png")
    _scroll_to(turn)
    _shot(page, "ui-answer.png")
    # copy puts the answer and its sources on the clipboard
    turn.locator("button.copy-btn").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert answer.split("[")[0] in copied and "来源：" in copied and "[1] 怎么发展人工智能产业" in copied
    # a library error (question too long) is a friendly notice, not a traceback
    bad = _ask(page, "问" * 2100)
    assert "无法检索" in bad.locator(".bubble.notice").inner_text()
    assert "Traceback" not in page.content()
    assert not page.dialogs and not page.outside, (page.dialogs, page.outside)


@pytest.mark.slow
@pytest.mark.browser
def test_ui_chat_follow_up_shows_what_was_searched(page):
    """A follow-up shows the question it was searched as, under its reply (before any upload changes the library;
    moved here from test_dialogue.py so that it shares this module's server and browser instead of starting its own)."""
    first = _ask(page, "苏州2025年2月举行了什么大会？")
    assert first.locator(".searched-as").count() == 0
    follow = _ask(page, "南京呢？")
    assert follow.locator(".searched-as").inner_text() == "按“南京2025年2月举行了什么大会”检索"
    assert follow.locator(".bubble.refusal").count() == 1
    _scroll_to(follow)
    assert follow.locator(".searched-as").is_visible()  # on screen, under the reply, not only in the DOM
    box, bubble = follow.locator(".searched-as").bounding_box(), follow.locator(".bubble.refusal").bounding_box()
    assert box["y"] >= bubble["y"]
    _shot(page, "ui-follow-up.png")


@pytest.mark.slow
@pytest.mark.browser
def test_upload_then_ask(page, tmp_path):
    good = tmp_path / "示例市数据局政策.md"
    good.write_text(POLICY_MD, encoding="utf-8")
    empty = tmp_path / "空白.txt"
    empty.write_text("", encoding="utf-8")
    report = _upload(page, [good, empty])
    text = report.inner_text()
    assert "已加入" in text and "失败" in text, text
    page.locator("#doc-table").get_by_text("示例市数据局2026年数据要素政策").first.wait_for(timeout=10_000)
    _shot(page, "ui-upload.png")
    page.get_by_role("tab", name="问答").click()
    turn = _ask(page, "示例市数据局首批开放了多少个公共数据集")
    assert "4721" in turn.locator(".answer-text").inner_text()
    assert "示例市数据局2026年数据要素政策" in turn.locator(".src-card .src-title").first.inner_text()
    # the settings panel: filter by the new document, then a corpus question finds nothing there
    page.get_by_text("检索设置").click()
    page.locator("#doc-filter input").fill("示例市数据局")
    page.get_by_role("option").filter(has_text="示例市数据局2026年数据要素政策").first.click()
    page.keyboard.press("Escape")
    only = _ask(page, "温州人工智能局做什么")
    assert all("示例市数据局" in t for t in only.locator(".src-title").all_inner_texts())
    _shot(page, "ui-settings.png")
    assert not page.dialogs and not page.outside


@pytest.mark.slow
@pytest.mark.browser
def test_hostile_document_renders_inert(page, tmp_path):
    hostile = tmp_path / "hostile.md"
    hostile.write_text(HOSTILE_MD, encoding="utf-8")
    assert "已加入" in _upload(page, [hostile]).inner_text()
    page.get_by_role("tab", name="问答").click()
    turn = _ask(page, "示例县防汛办公室的值班电话是多少")
    assert "87654321" in turn.locator(".answer-text").inner_text()
    visible = turn.inner_text()
    assert "<script>alert(1)</script>" in visible
    assert "[点我](javascript:alert(1))" in visible
    assert "<img src=x onerror=alert(1)>" in visible  # the title, shown as text
    page.wait_for_timeout(500)  # give an injected onerror handler time to fire
    assert page.locator("img[onerror], #chat-log img, #chat-log script").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    page.get_by_role("tab", name="资料库").click()
    page.wait_for_timeout(300)
    assert page.locator("img[onerror]").count() == 0
    page.get_by_role("tab", name="问答").click()
    _scroll_to(turn)
    _shot(page, "ui-hostile.png")
    assert not page.dialogs, page.dialogs
    # delete it again from the library tab
    page.get_by_role("tab", name="资料库").click()
    page.locator("#del-choice input").fill("恶意标题")
    page.get_by_role("option").filter(has_text="恶意标题测试").first.click()
    page.locator("#del-btn").click()
    page.locator("#lib-report").get_by_text("已删除 1 篇文档").wait_for(timeout=30_000)
    assert page.locator("#doc-table").get_by_text("恶意标题测试").count() == 0
    assert not page.dialogs, page.dialogs


@pytest.mark.slow
@pytest.mark.browser
def test_retrieval_test_view(page):
    page.get_by_role("tab", name="检索测试").click()
    page.locator("#rt-query textarea").fill("温州人工智能局")
    page.locator("#rt-btn").click()
    cols = page.locator("#rt-out .rt-col")
    cols.first.wait_for(timeout=30_000)
    assert cols.count() == 3
    assert all(cols.nth(i).locator(".rt-hit").count() > 0 for i in range(3))
    _shot(page, "ui-retrieval.png")


def _shape(x):
    if isinstance(x, dict):
        return {k: _shape(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_shape(v) for v in x[:1]]
    return "number" if isinstance(x, (int, float)) and not isinstance(x, bool) else type(x).__name__


@pytest.mark.slow
def test_gradio_client_ask_matches_cli_json(server):
    from gradio_client import Client

    url, home, _ = server
    q = "温州人工智能局做什么"
    client = Client(url, verbose=False)
    got = client.predict(q, api_name="/ask")
    client.close()
    # `rag ask --json` in this process (click's runner, the session's embedder already loaded), not a third process
    # loading e5 again: the same command on the server's index
    from click.testing import CliRunner

    from rag.cli import main

    r = CliRunner().invoke(main, ["ask", "--json", "--home", str(home), q], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    cli = json.loads(r.stdout)
    assert list(got) == list(cli) == ["question", "answer", "answerable", "confidence", "citations",
                                      "suggestions", "timings_ms", "search_question", "refusal_reason",
                                      "superseded"]
    assert _shape(got) == _shape(cli)
    for key in ("question", "answer", "answerable", "confidence", "citations", "suggestions"):
        assert got[key] == cli[key], key
    assert set(got["timings_ms"]) == {"retrieve", "answer", "total"}
    assert set(got["citations"][0]) == {"n", "doc_id", "title", "section", "chunk_id", "start", "end", "quote",
                                        "text", "score", "quote_start", "quote_end", "date", "label", "doc_type",
                                        "validity"}


@pytest.mark.slow
@pytest.mark.browser
def test_example_button_and_empty_question(page):
    page.locator("#ask-btn").click()  # empty: a warning toast, no new turn
    page.get_by_text("请先输入问题").first.wait_for(timeout=10_000)
    assert page.locator("#chat-log .turn").count() == 0
    page.get_by_role("button", name="2021年杭州有多少家人工智能企业").click()
    turn = page.locator("#chat-log .turn").first
    turn.locator(".bubble.answer").wait_for(timeout=30_000)
    assert "741" in turn.locator(".answer-text").inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_library_catalogue_search_and_statute_filters(page):
    """The 资料库 catalogue narrows by title search; a type filter with no match is a notice, not a crash."""
    page.get_by_role("tab", name="资料库").click()
    status = page.locator("#cat-status")
    status.get_by_text("共").first.wait_for(timeout=10_000)
    page.locator("#cat-q textarea, #cat-q input").first.fill("没有这个标题")
    page.locator("#cat-q textarea, #cat-q input").first.press("Enter")
    status.get_by_text("“没有这个标题” 0 篇").wait_for(timeout=10_000)
    assert page.locator("#doc-table").get_by_text("怎么发展人工智能产业").count() == 0
    page.get_by_role("tab", name="问答").click()
    page.get_by_text("检索设置").click()
    page.locator("#f-types").get_by_text("司法解释").click()  # the sample index holds no statutes
    turn = _ask(page, "温州人工智能局做什么")
    assert "筛选条件" in turn.locator(".bubble.notice").inner_text() and turn.locator(".src-card").count() == 0
    assert not page.dialogs and not page.outside


@pytest.mark.slow
@pytest.mark.browser
def test_each_new_answer_is_scrolled_into_the_chat_view(page):
    """Round 11: from the third question on, the chat box stayed where it was and the new answer was hidden
    below it (the log is its own scroll box; gradio's autoscroll did not move it)."""
    for q in ("温州人工智能局做什么", "2021年杭州有多少家人工智能企业", "苏州发展人工智能选择了什么路径",
              "长三角人工智能产业规模占全国多少"):
        turn = _ask(page, q)
        page.wait_for_timeout(700)
        box = page.locator("#chat-log").bounding_box()
        top = turn.bounding_box()["y"]
        assert box["y"] - 1 <= top <= box["y"] + box["height"] - 60, (q, top, box)  # the new question is in view
        assert q in turn.inner_text()


@pytest.mark.slow
@pytest.mark.browser
def test_folder_upload_and_the_tables_type_and_validity_columns(page, tmp_path):
    """A folder chosen in the library is uploaded file by file; the table shows each document's type and
    validity (an older version of a law indexed next to its amendment is 已被修改, the amendment 现行)."""
    folder = tmp_path / "法规"
    folder.mkdir()
    for date, days in (("2001-01-01", "十五日"), ("2020-06-01", "三十日")):
        (folder / f"示范年假法({date}).md").write_text(
            f"# 中华人民共和国示范年假法\n\n<!-- INFO END -->\n\n第一条 为了保障劳动者休息的权利，制定本法。\n\n"
            f"第二条 劳动者每年享受带薪年休假{days}。\n", encoding="utf-8")
    _staff_login(page)
    page.locator("#upload-folder input[type=file]").set_input_files(str(folder))
    page.locator("#upload-folder").get_by_text("示范年假法(2001-01-01)").first.wait_for(timeout=15_000)
    page.locator("#add-btn").click()
    report = page.locator("#lib-report table.up-report")
    report.wait_for(timeout=60_000)
    assert report.inner_text().count("已加入") == 2, report.inner_text()
    table = page.locator("#doc-table")
    table.get_by_text("中华人民共和国示范年假法").first.wait_for(timeout=10_000)
    heads = " ".join(table.locator("thead").inner_text().split())
    assert "类型" in heads and "效力" in heads, heads
    body = table.inner_text()[len(table.locator("thead").inner_text()):]  # the cells (gradio renders no row text)
    assert body.count("示范年假法") == 2 and body.count("法律") == 2, body  # the news article has no type
    assert body.count("已被修改") == 1 and body.count("现行") == 1, body  # nor a validity
    assert not page.dialogs and not page.outside


# ---------------------------------------------------------------- round 12's acceptance walk (moved in round 16 from
# test_acceptance_r12_ui.py, whose archive helpers they use, to share this module's server and browser)

@pytest.mark.slow
@pytest.mark.browser
def test_library_uploads_a_tar_gz_with_gbk_names_and_refuses_a_damaged_one(page, tmp_path):
    good = _tar(tmp_path / "档案馆.tar.gz", {"通知/档案馆开放.txt": NOTICE})
    bad = _damaged_tgz(tmp_path)
    report = _upload(page, [good, bad])
    text = report.inner_text()
    assert "档案馆.tar.gz/通知/档案馆开放.txt\t已加入" in text, text
    assert "坏.tgz\t失败\t压缩包无法读取：已损坏" in text and "readable" not in text, text
    _shot(page, "ui-upload-tar.png")
    page.get_by_role("tab", name="问答").click()
    turn = _ask(page, "示例市档案馆哪天闭馆")
    assert "每周二" in turn.locator(".answer-text").inner_text()
    assert not page.dialogs and not page.outside


@pytest.mark.slow
@pytest.mark.browser
def test_a_filter_error_is_shown_in_chinese_only(page):
    page.get_by_text("检索设置").click()
    page.locator("#f-from textarea, #f-from input").first.fill("2020-13")
    turn = _ask(page, "温州人工智能局做什么")
    notice = turn.locator(".bubble.notice")
    assert "日期格式不对" in notice.inner_text()
    assert turn.locator(".notice-detail").count() == 0
    assert not re.search("[A-Za-z]", notice.inner_text()), notice.inner_text()  # was: "Dates look like …"


@pytest.mark.slow
@pytest.mark.browser
def test_a_long_question_is_clamped_in_its_bubble_and_searched_whole(page):
    filler = "<b>x</b>" * 40  # 320 characters: the question proper lies past what the bubble shows
    turn = _ask(page, filler + "温州人工智能局做什么")
    bubble = turn.locator(".msg.user .bubble")
    assert bubble.inner_text() == filler[:QUESTION_SHOWN] + "…（共330字）", bubble.inner_text()
    assert bubble.locator("b").count() == 0
    assert "人工智能局" in turn.locator(".answer-text").inner_text()  # the hidden tail was searched
    long = _ask(page, "<img src=x onerror=alert(1)>" * 75)  # 2,100 characters: over the 2,000 limit
    box, chat = long.locator(".msg.user .bubble").bounding_box(), page.locator("#chat-log").bounding_box()
    assert long.locator(".msg.user .bubble").inner_text().endswith("…（共2100字）")
    assert box["height"] < 400 and box["x"] + box["width"] <= chat["x"] + chat["width"], (box, chat)
    assert not re.search("[A-Za-z]", long.locator(".bubble.notice").inner_text())
    assert page.locator("#chat-log img").count() == 0 and not page.dialogs
    long.scroll_into_view_if_needed()
    _shot(page, "ui-long-question.png")
