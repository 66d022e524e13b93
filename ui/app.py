"""The Gradio app: chat for citizens, a document library for staff, a retrieval test view.

:func:`build_ui` wires a :class:`~rag.qa.Searcher` into three tabs:

- **问答** — chat with history; each answer shows ``[n]`` links and source
  cards with the supporting sentence highlighted; refusals offer the closest
  passages as 可能相关; copy, 👍/👎 with a comment (``feedback.jsonl``);
  settings for the number of sources, retrieval mode and a document filter.
- **资料库** — the indexed documents with their type and validity; upload of files or a folder (checked, saved under
  ``uploads/``, indexed) and delete. The chat follows the new index at once
  because the Searcher follows ``CURRENT``.
- **检索测试** — ranked passages with scores for dense, BM25 and hybrid.

It also registers ``api_name="ask"``: ``Answer.to_dict()``, the same JSON
contract as ``rag ask --json``, for gradio_client. Library errors
(:mod:`rag.errors`) become friendly messages here (worded by :mod:`ui.messages`) and nowhere else.
HTML comes from :mod:`ui.render` (which escapes all document text); this
module holds no rendering and no indexing logic. :func:`mount_options` gives
the theme/CSS/limits for ``gr.mount_gradio_app`` (gradio 6 takes them there).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import gradio as gr

from rag.archive import ARCHIVE_SUFFIXES
from rag.dialogue import Turn, ask_in_context
from rag.errors import RagError
from rag.filters import Filters
from rag.ingest import SUPPORTED
from rag.retrieve import retrieve
from rag.statute import DOC_TYPES

from .catalog import ALL_TYPES, catalog_page
from .feedback import VOTES, vote_on_turn
from .library import MAX_FILES, MAX_UPLOAD_BYTES, add_uploads, delete_document, doc_choices, document_rows
from .messages import detail, friendly
from .render import render_chat, render_retrieval, render_upload_report
from .staff import StaffGate, remove_uploaded
from .theme import CHAT_JS, CSS, make_theme

__all__ = ["EXAMPLES", "build_ui", "mount", "mount_options"]

EXAMPLES = [
    "温州人工智能局做什么",
    "2021年杭州有多少家人工智能企业",
    "苏州发展人工智能选择了什么路径",
    "长三角人工智能产业规模占全国多少",
    "哪些城市获批国家新一代人工智能创新发展试验区",
]
MODES = [("混合（推荐）", "hybrid"), ("语义向量", "dense"), ("关键词 BM25", "bm25")]
DOC_HEADERS = ["标题", "类型", "效力", "日期", "片段数", "字数", "加入时间", "文档 ID"]


def mount_options() -> dict[str, Any]:
    """Keyword arguments for ``gr.mount_gradio_app`` (theme, CSS, footer, upload limit)."""
    return {"theme": make_theme(), "css": CSS, "footer_links": ["api"], "max_file_size": MAX_UPLOAD_BYTES}


def mount(api, searcher, *, staff=None):
    """Mount the chat UI at ``/`` of the FastAPI app ``api`` and return the combined ASGI app.

    This is the ``rag_zh.ui`` entry point that ``rag serve`` (:mod:`rag.server`) loads, so the library never
    imports this package by name.
    """
    # gradio 6 takes theme, CSS and limits at mount time, not in gr.Blocks().
    return gr.mount_gradio_app(api, build_ui(searcher, staff=staff), path="/", **mount_options())


def _history(turns: list | None) -> list[Turn]:
    """The answered turns of the chat, for reading a follow-up question in context (rag.dialogue)."""
    out = []
    for t in turns or []:
        if t.get("status") == "done":
            a = t.get("answer") or {}
            out.append(Turn(t["question"], a.get("answer", ""), a.get("search_question", "")))
    return out


def _warm_up(searcher) -> None:
    """Load the index and the embedder now so the first question is as fast as the rest."""
    try:
        searcher.ask(EXAMPLES[0])
    except RagError:
        pass  # no index yet: the UI says so when someone asks


_REFRESHED = 7
"""Outputs of :meth:`_Handlers.refresh_docs`: table, delete and filter choices, search, type, page, status."""

MAX_K = 10
"""Most sources per question in the UI and the gradio ``/ask`` endpoint (the slider's maximum)."""


def _bounded_k(k) -> int:
    """``k`` as an int in 1..MAX_K; gr.Error for anything else (a client can send any value)."""
    if isinstance(k, bool) or not isinstance(k, (int, float)) or not 1 <= k <= MAX_K:
        raise gr.Error(f"来源数量 k 必须是 1 到 {MAX_K} 之间的整数。", title="参数错误")
    return int(k)


def build_ui(searcher, staff=None) -> gr.Blocks:
    """The Blocks app for ``searcher`` (a :class:`rag.qa.Searcher`).

    ``staff``: a :class:`rag.auth.SessionSigner` for staff logins; None makes the library read-only.
    """
    h = _Handlers(searcher, StaffGate(staff))
    threading.Thread(target=_warm_up, args=(searcher,), daemon=True, name="ui-warm-up").start()
    rows0 = document_rows(h.home)
    with gr.Blocks(title="资料问答助手", analytics_enabled=False, delete_cache=(600, 3600)) as demo:
        turns = gr.State([])
        staff_token = gr.State("")  # server-side per session: a client cannot set it
        gr.Markdown("# 资料问答助手\n只根据资料库中的文件回答，每句话都注明出处。", elem_id="app-title")
        with gr.Tabs():
            with gr.Tab("问答", id="chat"):
                c = _chat_tab(rows0)
            with gr.Tab("资料库", id="library"):
                lib = _library_tab(rows0, h.gate)
            with gr.Tab("检索测试", id="retrieval"):
                rt = _retrieval_tab()
        _chat_events(h, c, turns)
        _library_events(h, demo, lib, c, staff_token)
        for trigger in (rt.query.submit, rt.btn.click):
            trigger(h.on_retrieval_test, [rt.query, rt.k], [rt.out], api_visibility="private")
        gr.api(h.api_ask, api_name="ask")
    return demo


class _Handlers:
    """The UI's event handlers, bound to one searcher, its data directory, the staff gate and the parsing sandbox."""

    def __init__(self, searcher, gate: StaffGate):
        from rag.sandbox import Sandbox

        self.searcher, self.home, self.gate, self.sandbox = searcher, searcher.home, gate, Sandbox()

    def respond(self, question: str, turns: list, k: float, mode: str, doc_ids: list | None, types: list | None = None,
                law: str = "", date_from: str = "", date_to: str = "", all_versions: bool = False):
        q = (question or "").strip()
        filters = Filters(types=tuple(types or ()), law=law or "", date_from=date_from or "", date_to=date_to or "",
                          prefer_current=not all_versions)
        if not q:
            gr.Warning("请先输入问题。", title="注意")
            yield gr.skip(), gr.skip(), gr.skip()
            return
        history = _history(turns)
        turns = list(turns or []) + [{"question": q, "status": "pending"}]
        yield render_chat(turns), turns, ""
        try:
            ans = ask_in_context(self.searcher.ask, q, history, k=_bounded_k(k), mode=mode,
                                 doc_ids=list(doc_ids or []) or None, filters=filters)
            turns[-1] = {"question": q, "status": "done", "answer": ans.to_dict(), "vote": None}
        except RagError as e:
            turns[-1] = {"question": q, "status": "error", "error": friendly(e), "detail": detail(e)}
        yield render_chat(turns), turns, ""

    def clear_chat(self):
        return render_chat([]), []

    def on_feedback(self, turns: list, evt: gr.EventData):
        data = evt._data if isinstance(getattr(evt, "_data", None), dict) else {}
        i, vote = data.get("turn"), data.get("vote")
        if not isinstance(i, int) or not 0 <= i < len(turns or []) or vote not in VOTES:
            return gr.skip()
        turn = turns[i]
        if turn.get("status") != "done":
            return gr.skip()
        turns = list(turns)  # a second vote on the turn writes a short line, and only when it changed (ui.feedback)
        turns[i] = vote_on_turn(self.home, turn, vote, str(data.get("comment") or ""))
        gr.Info("已收到反馈，谢谢！", title="提示")
        return turns

    def api_ask(self, question: str, k: int = 5, mode: str = "hybrid", doc_ids: list[str] | None = None) -> dict:
        """Answer a question: Answer.to_dict(), the same JSON as `rag ask --json`."""
        try:
            return self.searcher.ask(question, k=_bounded_k(k), mode=mode,
                                     doc_ids=list(doc_ids or []) or None).to_dict()
        except RagError as e:
            raise gr.Error(f"{friendly(e)} {e}") from e

    def doc_types(self) -> dict[str, str]:
        try:
            return {i: str(d.meta.get("doc_type") or "") for i, d in self.searcher.index().documents.items()}
        except RagError:
            return {}

    def show_catalog(self, query: str, doc_type: str, page: float):
        p = catalog_page(document_rows(self.home), self.doc_types(), query=query, doc_type=doc_type,
                         page=int(page or 1))
        return p.rows, p.page, p.status

    def new_catalog_query(self, query: str, doc_type: str, page: float = 1):
        """A new title search or type: shown from its first page."""
        return self.show_catalog(query, doc_type, 1)

    def refresh_docs(self):
        """After a page load, an upload or a delete: the first page of the whole catalogue (search and type
        cleared, status line recounted), and the document choices of the delete and filter dropdowns."""
        try:
            rows = document_rows(self.home, index=self.searcher.index())  # the loaded index, not a re-read
        except RagError:
            rows = []
        choices = doc_choices(rows)
        p = catalog_page(rows, self.doc_types())
        return (p.rows, gr.update(choices=choices, value=None), gr.update(choices=choices), "", ALL_TYPES, p.page,
                p.status)

    def on_login(self, user: str, password: str, request: gr.Request):
        """A refused login is a warning and an emptied password box, not an error: Gradio drew an error over the
        event's outputs, which hid the password box (the mistyped password still in it) until its × was found."""
        try:
            token = self.gate.login(user, password, request)
        except gr.Error as e:
            gr.Warning(e.message, title=e.title or "登录失败")
            return gr.update(), gr.update(), gr.update(), ""
        gr.Info("已登录，可以上传和删除文档。", title="提示")
        return token, gr.update(visible=False), gr.update(visible=True), ""

    def on_logout(self):
        return "", gr.update(visible=not self.gate.read_only), gr.update(visible=False)

    def on_upload(self, files: list | None, folder: list | None, token: str, progress=gr.Progress(track_tqdm=True)):
        """Files and the files of a chosen folder, under the same staff check and limits (count, size, total)."""
        files = [*(files or []), *(folder or [])]
        try:
            self.gate.require(token)
        except gr.Error:
            remove_uploaded(files)
            raise
        if not files:
            gr.Warning("请先选择要上传的文件。", title="注意")
            return (gr.skip(),) * (3 + _REFRESHED)
        try:
            result = add_uploads(files, self.home, progress=lambda f, d: progress(f, desc=d), sandbox=self.sandbox,
                                 isolate=True)
            self.searcher.index()  # load the new generation here, not in the next question
        except RagError as e:
            return (render_upload_report([], f"{friendly(e)}（{e}）"), *self.refresh_docs(), gr.skip(), gr.skip())
        ok = sum(1 for r in result.rows if r[1] in ("已加入", "已更新"))
        bad = sum(1 for r in result.rows if r[1] == "失败")
        refreshed = self.refresh_docs()
        summary = f"成功 {ok} 个，失败 {bad} 个，其余未变化/重复。资料库现有 {len(self.doc_types())} 篇文档。"
        if ok:
            gr.Info(f"已加入 {ok} 个文件，问答立即可用。", title="提示")
        return (render_upload_report(result.rows, summary), *refreshed, None, None)

    def on_delete(self, doc_id: str | None, token: str):
        self.gate.require(token)
        if not doc_id:
            gr.Warning("请先选择要删除的文档。", title="注意")
            return (gr.skip(),) * (1 + _REFRESHED)
        try:
            removed = delete_document(doc_id, self.home)
            msg = f"已删除 {len(removed)} 篇文档（{', '.join(removed)}）。"
        except RagError as e:
            msg = f"{friendly(e)}（{e}）"
        return (render_upload_report([], msg), *self.refresh_docs())

    def on_retrieval_test(self, query: str, k: float):
        try:
            idx = self.searcher.index()
            results = {m: retrieve(idx, query, embedder=self.searcher.embedder, k=_bounded_k(k), mode=m)
                       for m in ("dense", "bm25", "hybrid")}
        except RagError as e:
            gr.Warning(friendly(e), title="注意")
            return gr.skip()
        return render_retrieval(query, results)


def _chat_tab(rows0: list[list]) -> SimpleNamespace:
    """The 问答 tab: the chat log, the question box, examples and the retrieval settings."""
    c = SimpleNamespace()
    c.chat = gr.HTML(render_chat([]), elem_id="chat-log", js_on_load=CHAT_JS, autoscroll=False, padding=False)
    with gr.Row(equal_height=True):
        c.question = gr.Textbox(show_label=False, placeholder="请输入问题，例如：温州人工智能局做什么？",
                                lines=1, max_lines=4, scale=8, elem_id="question", autofocus=True)
        c.send = gr.Button("提问", variant="primary", scale=1, min_width=80, elem_id="ask-btn")
        c.clear = gr.Button("清空对话", scale=1, min_width=80)
    gr.Markdown("试试这些问题：", elem_classes="examples-label")
    with gr.Row(elem_classes="examples-row"):
        c.examples = [gr.Button(ex, size="sm", variant="secondary", min_width=60) for ex in EXAMPLES]
    with gr.Accordion("检索设置", open=False):
        with gr.Row():
            c.k = gr.Slider(1, 10, value=5, step=1, label="来源数量")
            c.mode = gr.Radio(MODES, value="hybrid", label="检索方式")
        c.doc_filter = gr.Dropdown(doc_choices(rows0), multiselect=True, value=[],
                                   label="只在这些文档中检索（留空表示全部）", elem_id="doc-filter")
        with gr.Row():  # statute filters (rag.filters)
            c.f_types = gr.CheckboxGroup(list(DOC_TYPES), label="文档类型（不选表示全部）", elem_id="f-types")
            c.f_law = gr.Textbox(label="法律/文件名称（如 劳动合同法）", elem_id="f-law")
        with gr.Row():
            c.f_from = gr.Textbox(label="日期从（如 2020、2020-05-01 或 2020年5月）", elem_id="f-from")
            c.f_to = gr.Textbox(label="日期到", elem_id="f-to")
            c.f_old = gr.Checkbox(label="旧版本与现行版本同等对待", value=False, elem_id="f-old")
    return c


def _library_tab(rows0: list[list], gate: StaffGate) -> SimpleNamespace:
    """The 资料库 tab: the catalog (search, type, paging), the staff login, upload and delete."""
    lib = SimpleNamespace()
    gr.Markdown("### 已收录的文档")
    with gr.Row(equal_height=True):  # ui.catalog: search, type, paging
        lib.cat_q = gr.Textbox(show_label=False, placeholder="搜索标题", scale=4, elem_id="cat-q")
        lib.cat_type = gr.Dropdown([ALL_TYPES, *DOC_TYPES], value=ALL_TYPES, show_label=False, scale=2,
                                   elem_id="cat-type")
        lib.cat_prev = gr.Button("上一页", size="sm", scale=1, min_width=60)
        lib.cat_page = gr.Number(value=1, precision=0, minimum=1, show_label=False, scale=1, elem_id="cat-page")
        lib.cat_next = gr.Button("下一页", size="sm", scale=1, min_width=60)
    page0 = catalog_page(rows0, {})  # no type filter yet: the index loads in the background
    lib.cat_status = gr.Markdown(page0.status, elem_id="cat-status")
    lib.doc_table = gr.Dataframe(page0.rows, headers=DOC_HEADERS, interactive=False, wrap=True, elem_id="doc-table")
    with gr.Group(visible=not gate.read_only, elem_id="staff-login") as lib.login_box:
        gr.Markdown("上传和删除文档需要工作人员登录。" if not gate.read_only else "")
        with gr.Row(equal_height=True):
            lib.login_user = gr.Textbox(label="用户名", elem_id="login-user", scale=2)
            lib.login_pw = gr.Textbox(label="密码", type="password", elem_id="login-pw", scale=2)
            lib.login_btn = gr.Button("登录", variant="primary", elem_id="login-btn", scale=1)
    if gate.read_only:
        gr.Markdown("本服务以只读模式运行：资料库不能在线修改。", elem_id="read-only-note")
    with gr.Row(visible=False) as lib.staff_box:
        with gr.Column(scale=3):
            lib.files = gr.File(file_count="multiple", file_types=[*SUPPORTED, *ARCHIVE_SUFFIXES],
                                elem_id="upload-files",
                                label=f"上传文件（{' '.join(SUPPORTED)}，或压缩包 .zip .tar .tar.gz .tgz；单个不超过 "
                                      f"{MAX_UPLOAD_BYTES // 2**20} MB）")
            lib.folder = gr.File(file_count="directory", elem_id="upload-folder", height=120,
                                 label=f"或选择一个文件夹：其中的文件逐个检查，限制同上（一次最多 {MAX_FILES} 个文件）")
            lib.add_btn = gr.Button("加入资料库", variant="primary", elem_id="add-btn")
        with gr.Column(scale=2):
            lib.del_choice = gr.Dropdown(doc_choices(rows0), label="选择要删除的文档", value=None,
                                         elem_id="del-choice")
            lib.del_btn = gr.Button("删除所选文档", variant="stop", elem_id="del-btn")
            lib.logout_btn = gr.Button("退出登录", size="sm", elem_id="logout-btn")
    lib.report = gr.HTML(elem_id="lib-report")
    return lib


def _retrieval_tab() -> SimpleNamespace:
    """The 检索测试 tab: one query ranked by dense, BM25 and hybrid side by side."""
    rt = SimpleNamespace()
    gr.Markdown("比较三种检索方式的排序与得分：语义向量（dense）、关键词（BM25）和两者融合（hybrid）。")
    with gr.Row(equal_height=True):
        rt.query = gr.Textbox(show_label=False, placeholder="输入查询", scale=6, elem_id="rt-query")
        rt.k = gr.Slider(1, 10, value=5, step=1, label="显示前几条", scale=2)
        rt.btn = gr.Button("检索", variant="primary", scale=1, elem_id="rt-btn")
    rt.out = gr.HTML(elem_id="rt-out")
    return rt


def _chat_events(h: _Handlers, c: SimpleNamespace, turns: gr.State) -> None:
    """Asking (box, button, examples), clearing and the 👍/👎 feedback of the chat."""
    filter_inputs = [c.f_types, c.f_law, c.f_from, c.f_to, c.f_old]
    chat_outputs = [c.chat, turns, c.question]
    for trigger in (c.question.submit, c.send.click):
        trigger(h.respond, [c.question, turns, c.k, c.mode, c.doc_filter, *filter_inputs], chat_outputs,
                api_visibility="private", show_progress="hidden")
    for b in c.examples:
        b.click(h.respond, [b, turns, c.k, c.mode, c.doc_filter, *filter_inputs], chat_outputs,
                api_visibility="private", show_progress="hidden")
    c.clear.click(h.clear_chat, None, [c.chat, turns], api_visibility="private")
    c.chat.click(h.on_feedback, [turns], [turns], api_visibility="private", show_progress="hidden")


def _library_events(h: _Handlers, demo: gr.Blocks, lib: SimpleNamespace, c: SimpleNamespace,
                    staff_token: gr.State) -> None:
    """Upload, delete, login/logout, the catalog's search and paging, and the document list on page load."""
    refreshed = [lib.doc_table, lib.del_choice, c.doc_filter, lib.cat_q, lib.cat_type, lib.cat_page, lib.cat_status]
    assert len(refreshed) == _REFRESHED
    lib.add_btn.click(h.on_upload, [lib.files, lib.folder, staff_token], [lib.report, *refreshed, lib.files, lib.folder],
                      api_visibility="private", concurrency_limit=1)
    lib.del_btn.click(h.on_delete, [lib.del_choice, staff_token], [lib.report, *refreshed],
                      api_visibility="private", concurrency_limit=1)
    for trigger in (lib.login_btn.click, lib.login_pw.submit):
        trigger(h.on_login, [lib.login_user, lib.login_pw], [staff_token, lib.login_box, lib.staff_box, lib.login_pw],
                api_visibility="private")
    lib.logout_btn.click(h.on_logout, None, [staff_token, lib.login_box, lib.staff_box], api_visibility="private")
    demo.load(h.refresh_docs, None, refreshed, api_visibility="private")
    cat_in, cat_out = [lib.cat_q, lib.cat_type, lib.cat_page], [lib.doc_table, lib.cat_page, lib.cat_status]
    for trigger in (lib.cat_q.submit, lib.cat_type.change):
        trigger(h.new_catalog_query, cat_in, cat_out, api_visibility="private")
    lib.cat_page.submit(h.show_catalog, cat_in, cat_out, api_visibility="private")
    lib.cat_prev.click(lambda q, t, p: h.show_catalog(q, t, (p or 1) - 1), cat_in, cat_out, api_visibility="private")
    lib.cat_next.click(lambda q, t, p: h.show_catalog(q, t, (p or 1) + 1), cat_in, cat_out, api_visibility="private")
