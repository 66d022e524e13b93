"""Staff accounts and the write gate: users file, CLI, serve refusal, and an attacker's walk.

The walk starts the real ``rag serve``, reads ``/config`` and calls EVERY gradio function by
number through ``/gradio_api/queue/join`` (what ``api_visibility="private"`` does not stop), and
through gradio_client, without a staff login, then checks that the library did not change.
The same calls after a real staff login do change it — so the test can fail.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from rag.auth import AuthError, SessionSigner, UserStore
from rag.cli import main

from .helpers import gradio_call
from .test_ui import serving_with_staff

PASSWORD = "correct horse battery staple"


# ---------------------------------------------------------------- users file and sessions (fast)

def test_users_file_hashes_are_salted_argon2_and_private(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("alice", PASSWORD)
    store.add("bob", PASSWORD)
    raw = json.loads((tmp_path / "users.json").read_text())
    ha, hb = raw["users"]["alice"]["hash"], raw["users"]["bob"]["hash"]
    assert ha.startswith("$argon2id$") and ha != hb and PASSWORD not in json.dumps(raw)
    assert (tmp_path / "users.json").stat().st_mode & 0o077 == 0
    assert store.verify("alice", PASSWORD) and not store.verify("alice", PASSWORD + "x")
    assert not store.verify("nobody", PASSWORD)
    with pytest.raises(AuthError):
        store.add("carol", "short")
    with pytest.raises(AuthError):
        store.add("../etc", PASSWORD)


def test_sessions_are_signed_expire_and_end_with_the_user(tmp_path):
    store = UserStore(tmp_path / "users.json")
    store.add("alice", PASSWORD)
    signer = SessionSigner(store)
    token = signer.issue("alice")
    assert signer.check(token) == "alice"
    name, expiry, sig = token.split(".")
    assert signer.check(f"bob.{expiry}.{sig}") is None           # name swapped
    assert signer.check(f"alice.{int(expiry) + 9}.{sig}") is None  # expiry extended
    assert SessionSigner(store).check(token) is None               # another process's key
    assert signer.check(None) is None and signer.check("") is None and signer.check(["x"]) is None
    assert SessionSigner(store, ttl_s=-1).check(SessionSigner(store, ttl_s=-1).issue("alice")) is None
    store.remove("alice")
    assert signer.check(token) is None


def test_cli_users_add_list_remove(tmp_path):
    home = str(tmp_path / "h")
    r = CliRunner().invoke(main, ["users", "add", "alice", "--home", home, "--password-stdin"], input=PASSWORD + "\n")
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(main, ["users", "list", "--home", home, "--json"])
    assert [u["name"] for u in json.loads(r.output)] == ["alice"] and "argon2" not in r.output
    r = CliRunner().invoke(main, ["users", "add", "bob", "--home", home, "--password-stdin"], input="short\n")
    assert r.exit_code == 1 and "at least" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["users", "remove", "alice", "--home", home])
    assert r.exit_code == 0
    r = CliRunner().invoke(main, ["users", "remove", "alice", "--home", home])
    assert r.exit_code == 1 and "No user" in r.output


def test_serve_on_public_address_without_staff_is_refused(tmp_path):
    r = CliRunner().invoke(main, ["serve", "--home", str(tmp_path / "h"), "--host", "0.0.0.0"])
    assert r.exit_code == 1 and "--read-only" in r.output and "rag users add" in r.output


# ---------------------------------------------------------------- the attacker's walk (real server)

@pytest.fixture(scope="module")
def staff_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("auth_home")
    with serving_with_staff(home, "staff", PASSWORD, "--rate-limit", "off") as (url, _env):
        yield url, home


def _library_state(home: Path) -> tuple:
    uploads = sorted(p.name for p in (home / "uploads").glob("*")) if (home / "uploads").exists() else []
    return (home / "CURRENT").read_text() if (home / "CURRENT").exists() else None, uploads


def _call(client: httpx.Client, fn_index: int, data: list, session: str) -> dict:
    """One queue/join call by function number; the final SSE message."""
    msg = gradio_call(client, fn_index, data, session)
    assert msg, "no completion message"
    return msg


def _inputs_for(config: dict, dep: dict, upload: dict, doc_id: str, password: str) -> list:
    comps = {c["id"]: c for c in config["components"]}
    data = []
    for cid in dep["inputs"]:
        kind = comps[cid]["type"]
        label = (comps[cid].get("props") or {}).get("label")
        if kind == "file":
            data.append([upload])
        elif kind == "dropdown":
            data.append(doc_id)
        elif kind == "textbox":
            data.append(password if label == "密码" else "staff" if label == "用户名" else "温州人工智能局做什么")
        elif kind == "slider":
            data.append(5)
        elif kind == "radio":
            data.append("hybrid")
        else:
            data.append(None)
    return data


def _walk(client: httpx.Client, config: dict, session: str, upload_path: Path, doc_id: str, password: str) -> dict:
    results = {}
    labels = {c["id"]: (c.get("props") or {}).get("label") for c in config["components"]}
    deps = sorted(enumerate(config["dependencies"]),  # logins first, so the control's writes come after one
                  key=lambda x: "密码" not in [labels.get(c) for c in x[1]["inputs"]])
    for i, dep in deps:
        fn = dep.get("id", i)
        with upload_path.open("rb") as f:
            up = client.post("gradio_api/upload", files={"files": (upload_path.name, f)}).json()[0]
        upload = {"path": up, "orig_name": upload_path.name, "meta": {"_type": "gradio.FileData"}}
        results[fn] = _call(client, fn, _inputs_for(config, dep, upload, doc_id, password), session)
    return results


@pytest.mark.slow
@pytest.mark.heavy  # calls every Gradio function twice (~75 s on fp32), plus its own `rag serve` (~45 s)
def test_no_unauthenticated_write_through_any_gradio_function(staff_server, tmp_path):
    url, home = staff_server
    doc_id = httpx.get(url + "api/documents", timeout=120).json()[0]["doc_id"]
    payload = tmp_path / "替换.md"
    payload.write_text("# 攻击者的文档\n\n温州人工智能局负责发放奖金一百亿元。\n", encoding="utf-8")
    before = _library_state(home)
    with httpx.Client(base_url=url, timeout=60) as client:
        config = client.get("config").json()
        names = {d.get("api_name") or d.get("id") for d in config["dependencies"]}
        assert len(config["dependencies"]) >= 10, names
        # 1. every function by number, wrong password, fresh session
        results = _walk(client, config, secrets.token_hex(6), payload, doc_id, "not the password")
        assert _library_state(home) == before
        assert [d["doc_id"] for d in httpx.get(url + "api/documents").json()].count(doc_id) == 1
        refused = [m for m in results.values() if not m.get("success", True)]
        assert any("登录" in json.dumps(m, ensure_ascii=False) for m in refused), refused
        # 2. gradio_client by number too
        from gradio_client import Client

        gc = Client(url, verbose=False)
        for fn in range(len(config["dependencies"])):
            try:
                gc.predict(fn_index=fn)
            except Exception:  # noqa: BLE001 - any refusal is fine; what matters is the library below
                pass
        assert _library_state(home) == before
        # 3. control: after a real login in the same session, the same walk does write
        session = secrets.token_hex(6)
        control = _walk(client, config, session, payload, doc_id, PASSWORD)
    assert not [m for m in control.values() if "登录" in json.dumps(m, ensure_ascii=False)]
    assert _library_state(home) != before, "the positive control did not write: the walk tests nothing"


@pytest.mark.slow
@pytest.mark.heavy  # shares the Gradio walk's server: deselecting one alone would not save its start
def test_every_http_route_is_read_only(staff_server):
    url, home = staff_server
    before = _library_state(home)
    with httpx.Client(base_url=url, timeout=60) as client:
        schema = client.get("openapi.json").json()
        for path, ops in schema["paths"].items():
            for method in ops:
                concrete = path.replace("{model_id}", "rag-zh-extractive")
                r = client.request(method.upper(), concrete, json={"question": "温州人工智能局做什么",
                                                                   "messages": [{"role": "user", "content": "你好"}]})
                assert r.status_code < 500, (method, path, r.text)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            for path in ("api/documents", "api/documents/x", "api/upload", "api/reindex", "api/feedback"):
                assert client.request(method, path).status_code in (404, 405)
        docs = client.get("api/documents").json()
        assert docs and all("/" not in d["path"] for d in docs)
    assert _library_state(home) == before
