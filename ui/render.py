"""HTML for the chat UI: answers, source cards, refusals, retrieval tables.

Pure functions from plain data (``Answer.to_dict()`` dicts, ``Hit`` records)
to HTML strings; no gradio import, so they can be tested on their own.
Document text is data, never markup: every title, section, passage and
quote goes through :func:`esc` before it is placed in HTML, and the only
markup added to an answer is the ``[n]`` citation links built from integers.
Markdown is never rendered, so ``[点我](javascript:…)`` in a document stays
visible text.

This module does not retrieve, answer or store anything.
"""

from __future__ import annotations

import html
import re
from typing import Any, Iterable, Sequence

from rag.repealed import note_for, with_note

__all__ = ["QUESTION_SHOWN", "copy_text", "esc", "highlight", "link_markers", "question_text", "render_chat",
           "render_retrieval", "render_upload_report"]

_MARKER = re.compile(r"\[(\d{1,3})\]")

MODE_LABELS = {"hybrid": "混合（融合分）", "dense": "语义向量（dense）", "bm25": "关键词（BM25）"}


def esc(text: Any) -> str:
    """Escape text for HTML, including quotes and ``$``/backticks used by templates.

    >>> esc('<img src=x onerror=alert(1)>')
    '&lt;img src=x onerror=alert(1)&gt;'
    >>> esc('${x}`')
    '&#36;{x}&#96;'
    """
    return html.escape("" if text is None else str(text), quote=True).replace("$", "&#36;").replace("`", "&#96;")


_BOUNDARY = "。！？!?；;\n"


def _quote_span(c: dict) -> tuple[int, int]:
    """``[a, b)`` of the quote inside the passage text, or ``(-1, -1)``."""
    text, quote = c.get("text") or "", c.get("quote") or ""
    a = int(c.get("quote_start", 0)) - int(c.get("start", 0))
    b = int(c.get("quote_end", 0)) - int(c.get("start", 0))
    if not quote:
        return -1, -1
    if not (0 <= a < b <= len(text)) or text[a:b] != quote:
        a = text.find(quote)
        b = a + len(quote)
    return (a, b) if a >= 0 else (-1, -1)


def highlight(c: dict, *, radius: int | None = None) -> str:
    """The cited passage as HTML with the supporting sentence in ``<mark>``.

    ``quote_start``/``quote_end`` are document offsets; the passage starts at
    ``start``, so the quote is ``text[quote_start - start : quote_end - start]``.
    With ``radius``, only about that many characters of context are kept on
    each side, cut at sentence ends, with ``…`` where text was left out.

    >>> highlight({"text": "甲。<乙>。丙。", "start": 10, "quote_start": 12, "quote_end": 16, "quote": "<乙>。"})
    '甲。<mark>&lt;乙&gt;。</mark>丙。'
    >>> highlight({"text": "一二三。四五六。七八九。", "start": 0, "quote_start": 4, "quote_end": 8, "quote": "四五六。"},
    ...           radius=2)
    '…<mark>四五六。</mark>七八…'
    """
    text = c.get("text") or ""
    a, b = _quote_span(c)
    if a < 0:
        return esc(text)
    s, e = 0, len(text)
    if radius is not None:
        s, e = max(0, a - radius), min(len(text), b + radius)
        if s > 0:
            cut = max(text.rfind(ch, s, a) for ch in _BOUNDARY)
            s = cut + 1 if cut >= 0 else s
        if e < len(text):
            cuts = [i for i in (text.find(ch, b, e) for ch in _BOUNDARY) if i >= 0]
            e = max(cuts) + 1 if cuts else e
        s = a if s > a else s
    pre, post = ("…" if s > 0 else ""), ("…" if e < len(text) else "")
    return f"{pre}{esc(text[s:a].lstrip())}<mark>{esc(text[a:b])}</mark>{esc(text[b:e].rstrip())}{post}"


def link_markers(answer: str, numbers: Iterable[int], turn: int) -> str:
    """Escape ``answer`` and turn its ``[n]`` markers into links to source cards.

    >>> link_markers("甲<b>乙[1]", [1], 0)
    '甲&lt;b&gt;乙<a class="cite" href="#src-0-1" data-target="src-0-1" title="查看来源 1">[1]</a>'
    """
    known = set(numbers)

    def sub(m: re.Match) -> str:
        n = int(m.group(1))
        if n not in known:
            return m.group(0)
        target = f"src-{turn}-{n}"
        return f'<a class="cite" href="#{target}" data-target="{target}" title="查看来源 {n}">[{n}]</a>'

    return _MARKER.sub(sub, esc(answer))


def _validity(c: dict) -> str:
    """A 【已被修改】/【已废止】 note for a citation of a law that is not in force (statutes only)."""
    return f'<span class="src-validity">【{esc(c["validity"])}】</span>' if c.get("validity") else ""


def _where(c: dict) -> str:
    parts = [p for p in (c.get("label") or c.get("title"), c.get("section"), c.get("validity")) if p]
    return " · ".join(str(p) for p in parts)


def copy_text(ans: dict) -> str:
    """Plain text of an answer with its sources, for the copy button.

    >>> print(copy_text({"answer": "甲。[1]", "answerable": True, "citations": [
    ...     {"n": 1, "title": "T", "section": "S", "date": "2026-01", "quote": "甲。"}]}))
    甲。[1]
    <BLANKLINE>
    来源：
    [1] T · S（2026-01）
        “甲。”
    """
    lines = [with_note(ans)]
    cites = ans.get("citations") or []
    if cites:
        lines += ["", "来源："]
        for c in cites:
            date = f"（{c['date']}）" if c.get("date") else ""
            lines.append(f"[{c['n']}] {_where(c)}{date}")
            lines.append(f"    “{c.get('quote', '')}”")
    elif ans.get("suggestions"):
        lines += ["", "可能相关："]
        for c in ans["suggestions"]:
            lines.append(f"- {_where(c)}：“{c.get('quote', '')}”")
    return "\n".join(lines)


def _card(c: dict, turn: int, *, kind: str) -> str:
    n = int(c.get("n", 0))
    anchor = f' id="src-{turn}-{n}"' if kind == "source" else ""
    badge = f'<span class="src-n">{n}</span>' if kind == "source" else '<span class="src-n alt">?</span>'
    date = f'<span class="src-date">{esc(c.get("date"))}</span>' if c.get("date") else ""
    snippet = highlight(c, radius=150 if kind == "source" else 50)
    whole = highlight(c)
    full = ("" if snippet == whole else
            f'<details class="src-full"><summary>查看完整段落</summary><div class="src-text">{whole}</div></details>')
    section = f'<span class="src-section">{esc(c.get("section"))}</span>' if c.get("section") else ""
    return (
        f'<div class="src-card {kind}"{anchor} data-doc="{esc(c.get("doc_id"))}">'
        f'<div class="src-head">{badge}<span class="src-title">{esc(c.get("label") or c.get("title") or "（无标题）")}'
        f'</span>{section}{date}{_validity(c)}</div>'
        f'<div class="src-text">{snippet}</div>{full}'
        f'<div class="src-meta">相关度 {float(c.get("score", 0.0)):.2f} · 字符 {int(c.get("quote_start", 0))}–'
        f'{int(c.get("quote_end", 0))}</div></div>'
    )


def _icon(paths: str) -> str:
    return ('<svg class="icon" viewBox="0 0 24 24" width="15" height="15" fill="none" stroke="currentColor" '
            f'stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">{paths}</svg>')


# Feather icons (MIT): thumbs-up, thumbs-down, copy, search.
ICON_UP = _icon('<path d="M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 '
                '0 1-2-2v-7a2 2 0 0 1 2-2h3"/>')
ICON_DOWN = _icon('<path d="M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 '
                  '2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17"/>')
ICON_COPY = _icon('<rect x="9" y="9" width="13" height="13" rx="2" ry="2"/><path d="M5 15H4a2 2 0 0 1-2-2V4a2 2 0 0 1 '
                  '2-2h9a2 2 0 0 1 2 2v1"/>')
ICON_SEARCH = _icon('<circle cx="11" cy="11" r="8"/><line x1="21" y1="21" x2="16.65" y2="16.65"/>')


def _feedback_bar(t: dict) -> str:
    vote = t.get("vote")
    up = " chosen" if vote == "up" else ""
    down = " chosen" if vote == "down" else ""
    status = "谢谢反馈！" if vote else ""
    return (
        '<div class="turn-actions">'
        f'<button class="copy-btn" type="button" title="复制回答和来源">{ICON_COPY}<span class="lbl">复制回答和来源</span>'
        '</button><span class="fb">'
        '<input class="fb-comment" type="text" maxlength="500" placeholder="可选：写下意见，再点评价">'
        f'<button class="fb-btn{up}" type="button" data-vote="up" title="有帮助">{ICON_UP}<span>有帮助</span></button>'
        f'<button class="fb-btn{down}" type="button" data-vote="down" title="没帮助">{ICON_DOWN}<span>没帮助</span>'
        f'</button><span class="fb-status">{status}</span></span></div>'
    )


def _searched_as(question: Any, ans: dict) -> str:
    """“按“…”检索” when a follow-up was searched as another (standalone) question, else ''.

    >>> _searched_as("南京呢？", {"question": "南京呢？", "search_question": "南京2025年2月举行了什么大会"})
    '<div class="searched-as" style="font-size:.85em;opacity:.75;margin-top:4px">按“南京2025年2月举行了什么大会”检索</div>'
    """
    sq = ans.get("search_question") or ""
    if not sq or sq in (ans.get("question"), question):
        return ""
    return f'<div class="searched-as" style="font-size:.85em;opacity:.75;margin-top:4px">按“{esc(sq)}”检索</div>'


QUESTION_SHOWN = 300
"""Most characters of a question shown in its chat bubble; the whole question is what is searched."""


def question_text(question: Any, shown: int = QUESTION_SHOWN) -> str:
    """A question as its chat bubble shows it: escaped, and past ``shown`` characters cut with its length.

    >>> question_text("<b>问</b>" * 3, shown=8)
    '&lt;b&gt;问&lt;/b&gt;…（共24字）'
    >>> question_text("<b>问</b>", shown=8)
    '&lt;b&gt;问&lt;/b&gt;'
    """
    q = "" if question is None else str(question)
    return esc(q) if len(q) <= shown else f"{esc(q[:shown])}…（共{len(q)}字）"


_REFUSAL_HINT = "资料库中没有能直接回答这个问题的句子。可以换个说法，或看看下面最接近的段落。"
#: the line under a refusal whose ``refusal_reason`` says what to change (rag.records.REFUSAL_REASONS)
_REFUSAL_HINTS = {
    "law_not_in_index": "资料库没有收录这部法律。收录了哪些法律，可以在“资料库”页查看。",
    "not_in_named_law": "在这部法律中没有找到相关的条文。可以换个说法，或看看下面最接近的段落。",
    "filter_excludes_law": "问题所说的法律不在当前的筛选范围内。可以在“检索设置”中修改或清除筛选条件后再问。",
}


def _turn(t: dict, i: int) -> str:
    q = f'<div class="msg user"><div class="bubble">{question_text(t.get("question"))}</div></div>'
    status = t.get("status")
    if status == "pending":
        body = '<div class="bubble searching"><span class="dots">正在检索…</span></div>'
        return f'<div class="turn" data-turn="{i}">{q}<div class="msg bot">{body}</div></div>'
    if status == "error":
        more = f'<div class="notice-detail">{esc(t["detail"])}</div>' if t.get("detail") else ""
        body = f'<div class="bubble notice"><div class="notice-title">{esc(t.get("error"))}</div>{more}</div>'
        return f'<div class="turn" data-turn="{i}">{q}<div class="msg bot">{body}</div></div>'
    ans = t.get("answer") or {}
    cites = ans.get("citations") or []
    if ans.get("answerable"):
        text = link_markers(ans.get("answer", ""), [int(c["n"]) for c in cites], i)
        cards = "".join(_card(c, i, kind="source") for c in cites)
        extra = f'<div class="sources"><div class="sources-label">来源</div>{cards}</div>' if cards else ""
        body = f'<div class="bubble answer"><div class="answer-text">{text}</div>{extra}'
    else:
        sugg = ans.get("suggestions") or []
        cards = "".join(_card(c, i, kind="suggestion") for c in sugg)
        extra = (f'<div class="sources maybe"><div class="sources-label">可能相关</div>{cards}</div>'
                 if cards else "")
        body = (f'<div class="bubble refusal"><div class="answer-text">{ICON_SEARCH} {esc(ans.get("answer", ""))}</div>'
                f'<div class="refusal-hint">{_REFUSAL_HINTS.get(ans.get("refusal_reason"), _REFUSAL_HINT)}</div>'
                f'{extra}')
    if note := note_for(ans):  # a law a held law repealed: said above the answer (rag.repealed)
        body = body.replace('<div class="answer-text">', f'<div class="superseded-note">{esc(note)}</div>'
                            '<div class="answer-text">', 1)
    body += _searched_as(t.get("question"), ans)
    ms = (ans.get("timings_ms") or {}).get("total")
    took = f'<span class="took">用时 {float(ms):.0f} 毫秒</span>' if ms is not None else ""
    body += (f'{_feedback_bar(t)}{took}'
             f'<textarea class="copy-src" hidden readonly>{esc(copy_text(ans))}</textarea></div>')
    return f'<div class="turn" data-turn="{i}">{q}<div class="msg bot">{body}</div></div>'


def render_chat(turns: Sequence[dict]) -> str:
    """The whole conversation; a welcome note when it is empty."""
    if not turns:
        return ('<div class="chat-empty"><div class="chat-empty-title">您好！请提问</div>'
                '<div>回答只摘自资料库中的文件，每句话都标有来源 [n]，点击即可查看原文。</div></div>')
    return '<div class="chat">' + "".join(_turn(t, i) for i, t in enumerate(turns)) + "</div>"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def render_retrieval(query: str, results: dict[str, list], *, snippet: int = 160) -> str:
    """Side-by-side ranked passages for each retrieval mode (``Hit`` lists)."""
    cols = []
    for mode, hits in results.items():
        rows = []
        for h in hits:
            text = h.chunk.text.replace("\n", " ")
            more = "…" if len(text) > snippet else ""
            rows.append(
                f'<li class="rt-hit"><div class="rt-scores"><b>#{h.rank}</b> 得分 {_fmt(h.score)} · '
                f'dense {_fmt(h.dense)} · BM25 {_fmt(h.bm25)}</div>'
                f'<div class="rt-where">{esc(h.title)}{" · " + esc(h.chunk.section) if h.chunk.section else ""}'
                f' <code>{esc(h.chunk.chunk_id)}</code></div>'
                f'<div class="rt-text">{esc(text[:snippet])}{more}</div></li>')
        body = "".join(rows) or '<li class="rt-none">没有结果</li>'
        cols.append(f'<div class="rt-col"><h4>{esc(MODE_LABELS.get(mode, mode))}</h4><ol>{body}</ol></div>')
    return f'<div class="rt-query">查询：{esc(query)}</div><div class="rt-grid">{"".join(cols)}</div>'


def render_upload_report(rows: Sequence[tuple[str, str, str]], summary: str = "") -> str:
    """A table of ``(file name, status, detail)`` rows from an upload."""
    cls = {"已加入": "ok", "已更新": "ok", "未变化": "same", "重复": "same", "失败": "bad"}
    body = "".join(
        f'<tr class="{cls.get(status, "")}"><td>{esc(name)}</td><td>{esc(status)}</td><td>{esc(detail)}</td></tr>'
        for name, status, detail in rows)
    head = f'<div class="up-summary">{esc(summary)}</div>' if summary else ""
    if not body:
        return head
    return f'{head}<table class="up-report"><tr><th>文件</th><th>结果</th><th>说明</th></tr>{body}</table>'
