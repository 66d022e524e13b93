"""Question latency while staff upload hostile files, against idle — in the same run.

Starts ``rag serve`` on a temp index of ``corpus/`` with one staff user, then:

1. **idle**: asks the sample questions through ``POST /api/ask`` one after another;
2. **hostile upload**: logs in through the UI's queue (as a browser does) and uploads the whole
   generated hostile corpus (``tests/hostile_corpus.py``) through the library's upload handler,
   a few files per request, while the same questions are asked again.

Prints p50/p95/max of both phases, their ratio (target: p95 ≤ 1.5× idle), and the upload
report (how many files were rejected/added, per-file outcome). The ratio is what matters: the
absolute numbers depend on the machine.

    python bench/bench_hostile.py                 # ~3 minutes on 2 cores
    python bench/bench_hostile.py --json

This script does not judge answers; see ``rag eval``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from bench_ui import QUESTIONS, _free_port  # noqa: E402
from tests.helpers import gradio_call  # noqa: E402
from tests.hostile_corpus import hostile_files  # noqa: E402

PASSWORD = "bench passphrase 12345"


def _wait(url: str, proc: subprocess.Popen, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"rag serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "api/health", timeout=60).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise SystemExit("server did not come up")


def _ask_all(url: str, questions: list[str]) -> list[float]:
    out = []
    with httpx.Client(base_url=url, timeout=120) as c:
        for q in questions:
            t0 = time.perf_counter()
            r = c.post("api/ask", json={"question": q})
            r.raise_for_status()
            out.append((time.perf_counter() - t0) * 1000)
    return out


def _call(client: httpx.Client, fn: int, data: list, session: str) -> dict:
    return gradio_call(client, fn, data, session, timeout=600)


def _fn_by_inputs(config: dict, labels_or_types: set[str]) -> int:
    comps = {c["id"]: c for c in config["components"]}
    for i, dep in enumerate(config["dependencies"]):
        seen = {(comps[c].get("props") or {}).get("label") for c in dep["inputs"]} | {
            comps[c]["type"] for c in dep["inputs"]}
        if labels_or_types <= seen:
            return dep.get("id", i)
    raise SystemExit(f"no function with inputs {labels_or_types}")


def _upload_hostile(url: str, folder: Path, report: dict, per_request: int = 4) -> None:
    try:
        _upload_all(url, folder, report, per_request)
    except (Exception, SystemExit) as e:  # noqa: BLE001 - reported in the result, not lost in a thread
        report["error"] = f"{type(e).__name__}: {e}"


def _upload_all(url: str, folder: Path, report: dict, per_request: int) -> None:
    # the files that are expensive to *parse* first; the three large plain-text ones (ingested, then
    # minutes of embedding at idle priority) last
    files = sorted(folder.iterdir(), key=lambda f: (f.name.startswith(("blank", "combining", "no_punct")), f.name))
    session = secrets.token_hex(6)
    with httpx.Client(base_url=url, timeout=600) as c:
        config = c.get("config").json()
        login = _fn_by_inputs(config, {"用户名", "密码"})
        upload = _fn_by_inputs(config, {"file", "state"})
        _call(c, login, ["staff", PASSWORD], session)
        t0 = time.perf_counter()
        for i in range(0, len(files), per_request):
            batch = []
            for f in files[i:i + per_request]:
                with f.open("rb") as fh:
                    r = c.post("gradio_api/upload", files={"files": (f.name, fh)})
                if r.status_code != 200:
                    report.setdefault("refused_by_upload_limit", []).append(f.name)
                    continue
                batch.append({"path": r.json()[0], "orig_name": f.name, "meta": {"_type": "gradio.FileData"}})
            if batch:
                msg = _call(c, upload, [batch, None], session)
                report.setdefault("responses", []).append(msg.get("success"))
                html = json.dumps(msg.get("output", {}), ensure_ascii=False)
                report["added"] = report.get("added", 0) + html.count("已加入")
                report["failed"] = report.get("failed", 0) + html.count("失败</")
            report["files_sent"] = min(i + per_request, len(files))
        report["upload_s"] = round(time.perf_counter() - t0, 1)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _stats(ms: list[float]) -> dict:
    ms = sorted(ms)
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max": round(ms[-1], 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=3, help="times the question list is asked per phase")
    ap.add_argument("--max-busy", type=int, default=300, help="stop after this many questions during the upload")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench_hostile_"))
    home, folder = tmp / "home", tmp / "hostile"
    folder.mkdir()
    for name, data in hostile_files().items():
        (folder / Path(name).name).write_bytes(data)
    env = dict(os.environ, RAG_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1")
    rag = [sys.executable, "-m", "rag.cli"]
    subprocess.run([*rag, "index", "--quiet", str(ROOT / "corpus")], env=env, check=True, cwd=ROOT)
    subprocess.run([*rag, "users", "add", "staff", "--password-stdin"], input=PASSWORD + "\n", text=True, env=env,
                   check=True, cwd=ROOT, capture_output=True)
    port = _free_port()
    proc = subprocess.Popen([*rag, "serve", "--port", str(port), "--rate-limit", "off"], env=env, cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait(url, proc)
        questions = QUESTIONS * args.rounds
        _ask_all(url, QUESTIONS[:5])  # warm-up
        idle = _ask_all(url, questions)
        report: dict = {}
        uploader = threading.Thread(target=_upload_hostile, args=(url, folder, report), daemon=True)
        uploader.start()
        busy: list[float] = []
        while uploader.is_alive() and len(busy) < args.max_busy:  # only questions asked during the upload
            busy += _ask_all(url, QUESTIONS[:5])
        report["finished_during_run"] = not uploader.is_alive()
    finally:  # the server, its sandbox worker and an unfinished indexing child
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(10)
        os.killpg(proc.pid, signal.SIGKILL) if _group_alive(proc.pid) else None
    result = {"files": len(list(folder.iterdir())), "idle_ms": _stats(idle), "during_upload_ms": _stats(busy),
              "upload": {k: v for k, v in report.items() if k != "responses"}}
    result["p95_ratio"] = round(result["during_upload_ms"]["p95"] / result["idle_ms"]["p95"], 2)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        i, b = result["idle_ms"], result["during_upload_ms"]
        done = "all" if report.get("finished_during_run") else f"{report.get('files_sent', 0)} sent so far of"
        print(f"{done} {result['files']} hostile files uploaded through the UI in {report.get('upload_s')} s "
              f"({report.get('added', 0)} added, {report.get('failed', 0)} refused, "
              f"{len(report.get('refused_by_upload_limit', []))} refused by the upload size limit)")
        print(f"idle:          n={i['n']} p50={i['p50']} ms p95={i['p95']} ms max={i['max']} ms")
        print(f"during upload: n={b['n']} p50={b['p50']} ms p95={b['p95']} ms max={b['max']} ms")
        print(f"p95 ratio: {result['p95_ratio']} (target ≤ 1.5)")
        if report.get("error") and report.get("finished_during_run"):
            print(f"upload error: {report['error']}")


if __name__ == "__main__":
    main()
