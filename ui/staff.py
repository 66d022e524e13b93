"""The staff gate of the UI: login, and the check every write handler makes first.

Gradio 6 runs *any* event handler by its number through ``/gradio_api/queue/join``
(``api_visibility="private"`` only hides it from the API page), so hiding the
library controls protects nothing. Instead each write handler takes the
session's staff token — a ``gr.State``, which lives on the server and cannot
be sent by a client — and calls :meth:`StaffGate.require`, which checks its
HMAC signature, expiry and that the user still exists (:mod:`rag.auth`).
Logins are rate-limited per client address (the ``limits`` library).

A gate without a signer (``rag serve --read-only``) refuses every write.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from rag.auth import SessionSigner

__all__ = ["StaffGate", "remove_uploaded"]


class StaffGate:
    """Login and write checks for one app. ``signer`` None means read-only."""

    def __init__(self, signer: SessionSigner | None, *, login_limit: str = "5/minute;30/hour"):
        from limits import parse_many, storage, strategies

        self.signer = signer
        self._limits = parse_many(login_limit)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    @property
    def read_only(self) -> bool:
        return self.signer is None

    def login(self, name: str, password: str, request: gr.Request | None) -> str:
        """A session token for a correct login; gr.Error otherwise (also when tried too often)."""
        if self.signer is None:
            raise gr.Error("本服务以只读模式运行，不能修改资料库。", title="只读")
        client = getattr(getattr(request, "client", None), "host", None) or "unknown"
        if not all(self._limiter.hit(item, "login", client) for item in self._limits):
            raise gr.Error("登录尝试过于频繁，请稍后再试。", title="请稍候")
        name = (name or "").strip()
        if not self.signer.store.verify(name, password or ""):
            raise gr.Error("用户名或密码不正确。", title="登录失败")
        return self.signer.issue(name)

    def require(self, token: object) -> str:
        """The staff user name behind ``token``; gr.Error when the session is not a staff login."""
        if self.signer is None:
            raise gr.Error("本服务以只读模式运行，不能修改资料库。", title="只读")
        name = self.signer.check(token)
        if name is None:
            raise gr.Error("请先在“资料库”页以工作人员身份登录。", title="需要登录")
        return name


def remove_uploaded(files) -> None:
    """Delete gradio's cached copies of uploaded files (and their now-empty folders)."""
    for f in files or []:
        p = Path((f if isinstance(f, (str, Path)) else getattr(f, "name", "")) or "")
        if p.name and p.is_file():
            p.unlink(missing_ok=True)
            try:
                p.parent.rmdir()
            except OSError:
                pass
