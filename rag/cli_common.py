"""Helpers shared by the ``rag`` commands: safe output, error messages, common options.

Library errors (:mod:`rag.errors`) and OS errors become one-line ``click`` messages
here; output never fails on text the terminal cannot encode. This module defines
no command (:mod:`rag.cli`, :mod:`rag.cli_users` do).
"""

from __future__ import annotations

import functools
import json

import click

from .errors import RagError

__all__ = ["home_option", "k_option", "mode_option"]


def _safe(text: str) -> str:
    """``text`` with lone surrogates (which no encoder accepts) replaced by ``?``.

    >>> _safe("温州\\ud800局")
    '温州?局'
    """
    return text.encode("utf-8", "replace").decode("utf-8")


def _echo(text: str = "", *, err: bool = False) -> None:
    click.echo(_safe(text), err=err)


def _fail_nicely(fn):
    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except RagError as e:
            raise click.ClickException(_safe(str(e))) from e
        except OSError as e:  # e.g. an unwritable --home: say which file and why, no traceback
            where = f" ({e.filename})" if e.filename else ""
            raise click.ClickException(_safe(f"{e.strerror or e}{where}.")) from e
    return wrapper


def _echo_json(obj) -> None:
    _echo(json.dumps(obj, ensure_ascii=False, indent=2))


k_option = click.option("-k", "--top-k", "k", type=click.IntRange(1, 50), default=5, show_default=True,
                        help="Passages to retrieve.")
mode_option = click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid",
                           show_default=True)
home_option = click.option("--home", type=click.Path(file_okay=False), default=None,
                           help="Index/data directory (default: $RAG_HOME or ./index).")
