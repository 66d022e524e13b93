"""``rag users``: the staff users who may change the corpus (add, remove, list).

Passwords are hashed by :mod:`rag.auth` (argon2id); this module only reads them
from the terminal or standard input and never prints hashes.
"""

from __future__ import annotations

import sys

import click

from .cli_common import _echo, _echo_json, _fail_nicely, home_option

__all__ = ["users_group"]


@click.group("users")
def users_group():
    """Staff users who may upload and delete documents (stored in <data dir>/users.json).

    \b
      rag users add alice            # asks for the password twice
      echo "$PW" | rag users add bob --password-stdin
      rag users list
      rag users remove bob
    """


@users_group.command("add")
@home_option
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input (for scripts).")
@_fail_nicely
def users_add(home, name, password_stdin):
    """Add a staff user, or set a new password for one."""
    from .auth import UserStore, users_file

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    store = UserStore(users_file(home))
    existed = store.exists(name)
    store.add(name, password)
    _echo(f"{'Updated' if existed else 'Added'} staff user {name} in {store.path}.")


@users_group.command("remove")
@home_option
@click.argument("name")
@_fail_nicely
def users_remove(home, name):
    """Remove a staff user (their open sessions end at once)."""
    from .auth import UserStore, users_file

    UserStore(users_file(home)).remove(name)
    _echo(f"Removed staff user {name}.")


@users_group.command("list")
@home_option
@click.option("--json", "as_json", is_flag=True)
@_fail_nicely
def users_list(home, as_json):
    """List staff users (names and dates; never hashes)."""
    from .auth import UserStore, users_file

    users = UserStore(users_file(home)).names()
    if as_json:
        _echo_json(users)
    else:
        for u in users:
            _echo(f"{u['name']}\t{u['role']}\t{u['created']}")
        if not users:
            _echo("No staff users. Add one with `rag users add NAME`.")
