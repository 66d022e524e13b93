"""Staff accounts: who may change the library (upload, delete) — everyone else only reads.

A :class:`UserStore` is a JSON file (default ``<data dir>/users.json``, mode 0600) of staff
users with salted, slow password hashes (argon2id via ``argon2-cffi``; no home-made crypto).
``rag users add|remove|list`` manage it. A :class:`SessionSigner` turns a successful login into
a short signed session token (HMAC-SHA256 with a per-process random key, 8 h by default) that
the UI keeps server-side and checks on every write; removing a user ends their sessions.

This module does not talk to gradio or HTTP; :mod:`ui.app` and :mod:`rag.http` use it.

    >>> import tempfile, pathlib
    >>> store = UserStore(pathlib.Path(tempfile.mkdtemp()) / "users.json")
    >>> store.add("alice", "a long passphrase")
    >>> store.verify("alice", "a long passphrase"), store.verify("alice", "wrong"), store.verify("bob", "x")
    (True, False, False)
    >>> signer = SessionSigner(store)
    >>> signer.check(signer.issue("alice")), signer.check("alice.0.forged")
    ('alice', None)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from pathlib import Path

from .config import data_dir
from .errors import RagError

__all__ = ["AuthError", "MIN_PASSWORD", "SessionSigner", "UserStore", "users_file"]

MIN_PASSWORD = 10
_NAME = re.compile(r"^[A-Za-z0-9_.@\-\u4e00-\u9fff]{1,64}$")


class AuthError(RagError):
    """A bad user name or password, or a users file that cannot be used."""


def users_file(home: str | Path | None = None) -> Path:
    """``<data dir>/users.json``."""
    return data_dir(home) / "users.json"


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile, random 16-byte salt per hash


class UserStore:
    """The staff users file. Reads it on every check, so ``rag users remove`` takes effect at once."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._dummy = None

    # ------------------------------------------------------------ file
    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": 1, "users": {}}
        except (OSError, ValueError) as e:
            raise AuthError(f"{self.path.name} cannot be read ({e.__class__.__name__}); fix or delete it and "
                            "add users again with `rag users add NAME`.") from e
        if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
            raise AuthError(f"{self.path.name} is not a users file; add users with `rag users add NAME`.")
        return data

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    # ------------------------------------------------------------ users
    def add(self, name: str, password: str) -> None:
        """Add a staff user or set a new password."""
        if not _NAME.match(name or ""):
            raise AuthError("A user name is 1–64 letters, digits, Chinese characters or . _ - @.")
        if len(password or "") < MIN_PASSWORD:
            raise AuthError(f"The password must have at least {MIN_PASSWORD} characters.")
        data = self._load()
        data["users"][name] = {"hash": _hasher().hash(password), "role": "staff",
                               "created": time.strftime("%Y-%m-%d %H:%M")}
        self._save(data)

    def remove(self, name: str) -> None:
        data = self._load()
        if name not in data["users"]:
            raise AuthError(f"No user {name!r}. List them with `rag users list`.")
        del data["users"][name]
        self._save(data)

    def names(self) -> list[dict]:
        return [{"name": n, "role": u.get("role", "staff"), "created": u.get("created", "")}
                for n, u in sorted(self._load()["users"].items())]

    def exists(self, name: str) -> bool:
        return name in self._load()["users"]

    def has_users(self) -> bool:
        try:
            return bool(self._load()["users"])
        except AuthError:
            return False

    def verify(self, name: str, password: str) -> bool:
        """True when ``name`` exists and ``password`` matches; as slow for unknown names as for known ones."""
        from argon2.exceptions import InvalidHashError, VerificationError

        ph = _hasher()
        user = self._load()["users"].get(name or "")
        stored = user["hash"] if isinstance(user, dict) else None
        if stored is None:
            self._dummy = self._dummy or ph.hash(secrets.token_hex(16))
            stored = self._dummy
        try:
            ok = ph.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            ok = False
        return ok and user is not None


class SessionSigner:
    """Signed, expiring session tokens ``name.expiry.signature`` for logged-in staff.

    The key is random per process: restarting the server logs everyone out.
    """

    def __init__(self, store: UserStore, *, ttl_s: int = 8 * 3600, key: bytes | None = None):
        self.store, self.ttl_s = store, ttl_s
        self._key = key or secrets.token_bytes(32)

    def _sig(self, payload: str) -> str:
        return hmac.new(self._key, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def issue(self, name: str) -> str:
        payload = f"{name}.{int(time.time()) + self.ttl_s}"
        return f"{payload}.{self._sig(payload)}"

    def check(self, token: object) -> str | None:
        """The user name if ``token`` is genuine, unexpired and the user still exists; else None."""
        if not isinstance(token, str) or token.count(".") < 2:
            return None
        payload, _, sig = token.rpartition(".")
        name, _, expiry = payload.rpartition(".")
        if not hmac.compare_digest(sig, self._sig(payload)) or not expiry.isdigit():
            return None
        if int(expiry) < time.time():
            return None
        try:
            return name if self.store.exists(name) else None
        except AuthError:
            return None
