"""``rag feedback``: the readers' 👍/👎 votes and comments, for staff on the server.

Reading is done by :mod:`rag.feedback_log`; this module only filters and prints.
"""

from __future__ import annotations

import unicodedata

import click

from .cli_common import _echo, _echo_json, _fail_nicely, home_option

__all__ = ["feedback_cmd"]


def _short(text: str, n: int = 80) -> str:
    """One line of at most ``n`` characters, without control characters (a reader's comment must not move a staff
    terminal's cursor or retitle it: ESC and OSC sequences are dropped).

    >>> _short("ok\x1b[2J\x1b]0;pwned\x07 x")
    'ok[2J]0;pwned x'
    """
    text = "".join(c for c in text if c in " \t\n" or unicodedata.category(c)[0] != "C")
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@click.command("feedback")
@home_option
@click.option("--vote", type=click.Choice(["up", "down"]), default=None, help="Only 👍 (up) or only 👎 (down).")
@click.option("-n", "--last", "last", type=click.IntRange(min=0), default=20, show_default=True,
              help="How many of the newest votes to show (0: all).")
@click.option("--json", "as_json", is_flag=True, help="The votes as a JSON list, newest first.")
@_fail_nicely
def feedback_cmd(home, vote, last, as_json):
    """Show what readers voted on in the UI (👍/👎 and their comments), newest first.

    \b
      rag feedback                 # the last 20 votes
      rag feedback --vote down -n 0   # every 👎, with its comment
      rag feedback --json          # for scripts
    """
    from .config import data_dir
    from .feedback_log import read_feedback

    home = data_dir(home)
    log = read_feedback(home)
    votes = [v for v in reversed(log.votes) if vote is None or v["vote"] == vote]
    shown = votes[:last] if last else votes
    if as_json:
        _echo_json(shown)
        return
    for v in shown:
        mark = "👍" if v["vote"] == "up" else "👎"
        _echo(f"{v['revised'] or v['time']}  {mark}  {_short(v['question'])}")
        _echo(f"    答: {_short(v['answer'])}")
        if v["comment"]:
            _echo(f"    评论: {_short(v['comment'], 200)}")
    n, ups = len(log.votes), sum(v["vote"] == "up" for v in log.votes)
    where = home / "feedback.jsonl"
    if not n and not log.damaged:
        _echo(f"No feedback yet in {where}.")
        return
    _echo(f"{len(shown)} of {len(votes)} shown; {n} vote{'' if n == 1 else 's'} in all ({ups} 👍, {n - ups} 👎) "
          f"in {where}." + (f" {log.damaged} unreadable lines skipped." if log.damaged else ""))
