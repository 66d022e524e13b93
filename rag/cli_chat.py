"""``rag chat``: a conversation in the terminal, follow-up questions read in the context of earlier turns.

Reads one question per line from standard input (a terminal, a pipe or SSH), answers it with
:func:`rag.dialogue.ask_in_context` and prints the answer and its citations as ``rag ask`` does
(``--json``: one ``rag ask --json`` object per line). This module does not rewrite questions or answer them.
"""

from __future__ import annotations

import json
import sys

import click

from .cli_common import _echo, _fail_nicely, _safe, home_option, k_option, mode_option

__all__ = ["chat_cmd"]


@click.command("chat")
@home_option
@k_option
@mode_option
@click.option("--json", "as_json", is_flag=True, help="One JSON answer per line (the `rag ask --json` shape).")
@_fail_nicely
def chat_cmd(home, k, mode, as_json):
    """A conversation in the terminal: follow-up questions are read in context.

    Type a question per line; "南京呢？" or "他说了什么？" after an answer is
    searched as the standalone question shown in 〔按“…”检索〕. /reset forgets
    the conversation, /quit (or Ctrl-D) leaves. Works over SSH and in pipes.

    \b
      rag chat
      printf '苏州2025年2月举行了什么大会\n南京呢\n' | rag chat --json
    """
    from .dialogue import Turn, ask_in_context
    from .errors import QueryError
    from .qa import Searcher
    from .repealed import with_note

    searcher, history = Searcher(home), []
    searcher.index()  # fail now (no index) rather than after the first question
    interactive = sys.stdin.isatty()
    if interactive:
        _echo("提问后回车；/reset 清空对话，/quit 退出。", err=True)
    while True:
        if interactive:
            click.echo("> ", nl=False, err=True)
        line = sys.stdin.readline()
        if not line:
            break
        q = _safe(line).strip()
        if q in ("/quit", "/exit"):
            break
        if q == "/reset":
            history = []
            _echo("（对话已清空）", err=True)
            continue
        if not q:
            continue
        try:
            ans = ask_in_context(searcher.ask, q, history, k=k, mode=mode)
        except QueryError as e:
            _echo(f"Error: {e}", err=True)
            continue
        history.append(Turn(q, ans.answer, ans.search_question))
        if as_json:
            click.echo(_safe(json.dumps(ans.to_dict(), ensure_ascii=False)))
            continue
        if ans.search_question != ans.question:
            _echo(f"〔按“{ans.search_question}”检索〕")
        _echo(with_note(ans.to_dict()))
        for c in ans.citations:  # as `rag ask` prints them: 《…》第X条 for law articles, 【已被修改】 for old versions
            where = " / ".join(x for x in (c.label or c.title, c.section) if x)
            where += f" 【{c.validity}】" if c.validity else ""
            _echo(f"  [{c.n}] {where}  (字符 {c.quote_start}–{c.quote_end})")
        _echo()
