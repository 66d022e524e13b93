"""Parse untrusted files in a separate, limited process.

:class:`Sandbox` keeps one worker process (``python -m rag.sandbox``) that runs
:func:`rag.ingest.parse_bytes` on one file at a time. The worker runs at a low
priority with an address-space limit (``resource.setrlimit(RLIMIT_AS)``); the
parent gives each file a wall-clock budget and kills the worker when it runs
over, dies, or runs out of memory, then starts a fresh one for the next file.
Every outcome is a :class:`~rag.records.Document` or an
:class:`~rag.errors.IngestError` naming the file — never a traceback, never a
stalled server. Cheap pre-checks run in the parent before any byte is sent
(size, zip directory of a .docx).

Messages between the processes are length-prefixed JSON (no pickle: the
worker parses hostile data, so nothing it sends is executed or unpickled).

This module does not index anything; it only turns bytes into Documents.

    >>> with Sandbox() as sb:
    ...     sb.parse("正文。".encode(), "a.txt").text
    '正文。'
"""

from __future__ import annotations

import json
import os
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import DecodeError, EmptyDocument, IngestError, UnsupportedFormat
from .ingest import MAX_BYTES, SUPPORTED, check_zip
from .records import Document

__all__ = ["Limits", "Sandbox"]

_ERROR_TYPES = {c.__name__: c for c in (IngestError, DecodeError, EmptyDocument, UnsupportedFormat)}

_HEADER = struct.Struct("!Q")


@dataclass(frozen=True)
class Limits:
    """Per-file limits. The wall-clock budget is ``base_s + per_mb_s × size in MB`` (a 10 KB file gets
    1.2 s, a 20 MB one 21.2 s); ``memory_mb`` caps the worker's whole address space."""

    base_s: float = 1.2
    per_mb_s: float = 1.0
    memory_mb: int = 512
    nice: int = 10

    def budget(self, size: int) -> float:
        return self.base_s + self.per_mb_s * size / 2**20


class Sandbox:
    """One worker process, reused across files, replaced after a timeout or a crash. Thread-safe
    (one file at a time). Use as a context manager or call :meth:`close`."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ public
    def parse(self, data: bytes, name: str) -> Document:
        """``parse_bytes(data, name)`` in the worker; IngestError (naming ``name``) on any failure."""
        _precheck(data, name)
        with self._lock:
            return self._parse_locked(data, name)

    def load_file(self, path: str | Path) -> Document:
        """Like :func:`rag.ingest.load_file`, parsed in the worker (a loader for ``load_paths``)."""
        p = Path(path)
        try:
            if p.stat().st_size > MAX_BYTES:
                raise IngestError(f"is {p.stat().st_size / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB "
                                  "per file. Split it into smaller files.", path=str(p))
            data = p.read_bytes()
        except OSError as e:
            raise IngestError(f"cannot be read ({e.strerror}).", path=str(p)) from e
        return self.parse(data, str(p))

    def close(self) -> None:
        with self._lock:
            self._kill()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ worker management
    def _start(self) -> subprocess.Popen:
        if self._proc is None or self._proc.poll() is not None:
            env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                       PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1]),
                                                  os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "rag.sandbox", str(self.limits.memory_mb), str(self.limits.nice)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                close_fds=True)
            self._ready(self._proc)
        return self._proc

    def _ready(self, proc: subprocess.Popen) -> None:
        """Wait for the worker's hello (imports done, limits set) — not counted in a file's budget."""
        reply = _read_msg(proc.stdout.fileno(), time.monotonic() + 60)
        if reply is None or reply.get("ready") is not True:
            self._kill()
            raise IngestError("the document reader could not start; see the server log.")

    def _kill(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
            self._proc.wait()
            for f in (self._proc.stdin, self._proc.stdout):
                f.close()
            self._proc = None

    def _parse_locked(self, data: bytes, name: str) -> Document:
        proc = self._start()
        budget = self.limits.budget(len(data))
        try:
            header = json.dumps({"name": name}).encode()
            proc.stdin.write(_HEADER.pack(len(header)) + header + _HEADER.pack(len(data)))
            proc.stdin.write(data)
            proc.stdin.flush()
        except (BrokenPipeError, OSError):
            self._kill()
            raise IngestError("could not be read (the reader stopped); try again.", path=name) from None
        reply = _read_msg(proc.stdout.fileno(), time.monotonic() + budget)
        if reply is None:
            try:  # EOF before the deadline: the worker is exiting (killed by the memory limit)
                proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                pass
            died = proc.poll() is not None
            self._kill()
            if died:
                raise IngestError(f"needs more than {self.limits.memory_mb} MB of memory to read; refused.",
                                  path=name)
            raise IngestError(f"took longer than {budget:.1f} s to read; refused.", path=name)
        if "error" in reply:
            err = reply["error"]
            kind = _ERROR_TYPES.get(err.get("type"), IngestError)  # keep the reader's class (empty, undecodable…)
            raise kind(err["message"].removeprefix(f"{name}: "), path=name)
        return Document.from_dict(reply["document"])


def _precheck(data: bytes, name: str) -> None:
    """Cheap checks before the worker sees a byte: type, size, and a .docx's zip directory."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED)}.",
                          path=name)
    if len(data) > MAX_BYTES:
        raise IngestError(f"is {len(data) / 2**20:.0f} MB; the limit is {MAX_BYTES // 2**20} MB per file.", path=name)
    if suffix == ".docx":
        check_zip(data, path=name)


def _read_exact(fd: int, n: int, deadline: float) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def _read_msg(fd: int, deadline: float) -> dict | None:
    head = _read_exact(fd, _HEADER.size, deadline)
    if head is None:
        return None
    (n,) = _HEADER.unpack(head)
    if n > 64 * MAX_BYTES:
        return None
    body = _read_exact(fd, n, deadline)
    try:
        return json.loads(body) if body is not None else None
    except ValueError:
        return None


# ---------------------------------------------------------------- the worker side

def _worker(memory_mb: int, nice: int) -> None:  # pragma: no cover - runs in the child
    import logging
    import resource

    from .ingest import parse_bytes

    logging.disable(logging.CRITICAL)  # parser warnings ("EOF marker not found") stay out of the server log
    os.nice(nice)
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    inp, out = sys.stdin.buffer, sys.stdout.buffer

    def send(obj: dict) -> None:
        body = json.dumps(obj).encode()
        out.write(_HEADER.pack(len(body)) + body)
        out.flush()

    send({"ready": True})
    while True:
        head = inp.read(_HEADER.size)
        if len(head) < _HEADER.size:
            return
        meta = json.loads(inp.read(_HEADER.unpack(head)[0]))
        data = inp.read(_HEADER.unpack(inp.read(_HEADER.size))[0])
        try:
            send({"document": parse_bytes(data, meta["name"]).to_dict()})
        except IngestError as e:
            send({"error": {"type": type(e).__name__, "message": str(e)}})
        except MemoryError:
            send({"error": {"type": "IngestError", "message": f"needs more than {memory_mb} MB of memory to read; "
                                                              "refused."}})
        del data


if __name__ == "__main__":  # pragma: no cover
    _worker(int(sys.argv[1]), int(sys.argv[2]))
