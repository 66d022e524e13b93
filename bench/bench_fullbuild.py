"""Time a from-scratch ``rag index`` of a statute archive (or a fixed slice of it), then the unchanged re-run.

The whole archive, as the README's full-build row is measured (fresh data dir, no embedding cache)::

    nice -n -5 python bench/bench_fullbuild.py ../shared/data/lawrefbook.tar.gz --home /tmp/fullbuild \\
        --queries ../shared/data/stard/stard_dev_eval.jsonl --out bench/results/fullbuild.json \\
        --md bench/results/fullbuild.md

A fixed slice of about N article passages (for before/after comparisons on a shared machine; each
``--code`` tree is built in the same run, alternating, so the ratio is fair even when the load moves)::

    nice -n 10 python bench/bench_fullbuild.py /tmp/h5/lawrefbook --slice 3000 --home /tmp/fb \\
        --code before=/path/to/old/checkout --code after=. --repeat 2
    nice -n 10 python bench/bench_fullbuild.py /tmp/h5/lawrefbook --slice 3000 --home /tmp/fb \
        --code t1=.@RAG_THREADS=1 --code t2=.@RAG_THREADS=2 --repeat 2     # embedding threads

Each build is a separate ``python -m rag.cli index SOURCE`` child with a fresh ``RAG_HOME``; its wall
time, CPU seconds and peak RSS are the child's own (``os.wait4``). Per-stage seconds and how many
embeddings were computed come from the manifest's ``build`` record (``rag/index.py``); "other" is the
rest of the wall time (reading and parsing files, loading the model, writing and fsyncing the
generation). The re-run runs the same command again on the built home (nothing changed: no
generation is written). ``--queries`` then times ``rag ask`` (retrieve + answer) on the last build,
p50/p95 over ``--n-queries`` questions. The slice is chosen without looking at timings: documents in sha256 order of
their relative path until the article passages reach N; it is written once to ``--slice-dir`` and
reused. This script does not change what is indexed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_slice(source: str, n: int, out: Path) -> dict:
    """Copy documents of ``source`` (folder or archive) into ``out`` until their article passages reach ``n``."""
    done = out / "SLICE.json"
    if done.exists():
        return json.loads(done.read_text(encoding="utf-8"))
    sys.path.insert(0, str(ROOT))
    from rag.archive import expand_archives
    from rag.chunk import chunk_document
    from rag.ingest import load_paths

    tmp_home = out.parent / (out.name + ".extract")
    folder = Path(expand_archives([source], tmp_home)[0])
    docs = load_paths([str(folder)]).documents
    rel = {d.doc_id: os.path.relpath(d.path, folder) for d in docs}
    docs.sort(key=lambda d: hashlib.sha256(rel[d.doc_id].encode("utf-8", "surrogatepass")).hexdigest())
    if out.exists():
        shutil.rmtree(out)
    articles = passages = 0
    files = []
    for d in docs:
        if articles >= n:
            break
        chunks = chunk_document(d)
        articles += sum(1 for c in chunks if c.article)
        passages += len(chunks)
        dest = out / rel[d.doc_id]
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(d.path, dest)
        files.append(rel[d.doc_id])
    info = {"source": source, "documents": len(files), "article_passages": articles, "passages": passages,
            "files": files}
    done.write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    shutil.rmtree(tmp_home, ignore_errors=True)
    return info


def run_index(source: str, home: Path, code: Path, env_extra: dict[str, str]) -> dict:
    """One ``rag index`` child: wall, CPU, peak RSS, and the manifest's build record."""
    env = dict(os.environ, RAG_HOME=str(home), PYTHONPATH=str(code), **env_extra)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag.cli", "index", "--json", source], env=env, cwd=str(code),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    res = {"wall_s": round(wall, 1), "cpu_s": round(ru.ru_utime + ru.ru_stime, 1),
           "peak_rss_mib": round(ru.ru_maxrss / 1024), "rc": rc}
    try:
        rep = json.loads(out)
        res["counts"], res["added"] = rep["counts"], len(rep["added"])
    except (ValueError, KeyError):
        res["stdout_tail"] = out[-500:]
    cur = home / "CURRENT"
    if cur.exists():
        man = json.loads((home / cur.read_text().strip() / "manifest.json").read_text(encoding="utf-8"))
        build = man.get("build", {})
        res["generation"] = cur.read_text().strip()
        res["stages_s"] = build.get("seconds", {})
        res["embeddings"] = build.get("embeddings", {})
        res["other_s"] = round(wall - sum(res["stages_s"].values()), 1)
    return res


def bench(source: str, home: Path, codes: list[tuple[str, Path, dict[str, str]]], repeat: int,
          env_extra: dict[str, str]) -> dict:
    runs = []
    for r in range(repeat):
        order = codes if r % 2 == 0 else codes[::-1]
        for label, code, env in order:
            h = home / f"{label}-{r}"
            shutil.rmtree(h, ignore_errors=True)
            build = run_index(source, h, code, {**env_extra, **env})
            gen = build.get("generation")
            rerun = run_index(source, h, code, {**env_extra, **env})
            rerun["generation_unchanged"] = rerun.get("generation") == gen
            if rerun["generation_unchanged"]:  # nothing was built: the manifest's record is the first build's
                for k in ("stages_s", "embeddings", "other_s"):
                    rerun.pop(k, None)
            runs.append({"code": label, "repeat": r, "load_avg": os.getloadavg(), "build": build, "rerun": rerun})
            print(json.dumps(runs[-1], ensure_ascii=False), flush=True)
    return {"source": source, "cpus": os.cpu_count(), "runs": runs}


def summary(res: dict) -> str:
    lines = [("| code | run | wall s | CPU s | peak MiB | passages | embedded (passages + sentences) | passages/s | "
              "stages s (chunk / embed passages / embed sentences / tokenize / stores / other) | re-run wall / CPU s |"),
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in res["runs"]:
        b, e = r["build"], r["build"].get("embeddings", {})
        st = b.get("stages_s", {})
        n = b.get("counts", {}).get("chunks", 0)
        emb_p = e.get("passages", {}).get("embedded", 0)
        emb_s = e.get("sentences", {}).get("embedded", 0)
        rate = emb_p / st["embed_passages"] if st.get("embed_passages") else 0
        stages = " / ".join(f"{st.get(k, 0):.0f}" for k in ("chunk", "embed_passages", "embed_sentences",
                                                            "tokenize", "stores")) + f" / {b.get('other_s', 0):.0f}"
        if not st:  # built by a version without the manifest's build record
            emb_s, rate_s, stages = "—", "—", "—"
        else:
            emb_s, rate_s = f"{emb_p} + {emb_s}", f"{rate:.1f}"
        lines.append(f"| {r['code']} | {r['repeat']} | {b['wall_s']:.0f} | {b['cpu_s']:.0f} | {b['peak_rss_mib']} | "
                     f"{n} | {emb_s} | {rate_s} | {stages} | {r['rerun']['wall_s']:.1f} / {r['rerun']['cpu_s']:.1f} |")
    if "query" in res:
        q = res["query"]
        lines += ["", (f"Query (`rag ask` path, {q['n']} questions, last build): p50 {q['p50_ms']} ms, "
                       f"p95 {q['p95_ms']} ms wall; p50 {q['cpu_p50_ms']} ms, p95 {q['cpu_p95_ms']} ms CPU.")]
    return "\n".join(lines)


def _code(spec: str) -> tuple[str, Path, dict[str, str]]:
    """``LABEL=DIR`` or ``LABEL=DIR@NAME=VALUE,NAME=VALUE`` (environment for that variant's builds)."""
    label, rest = spec.split("=", 1)
    folder, _, env = rest.partition("@")
    return label, Path(folder).resolve(), dict(e.split("=", 1) for e in env.split(",") if e)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", help="archive (.tar.gz/.zip) or folder of statutes")
    ap.add_argument("--home", required=True, type=Path, help="scratch folder; each build gets a fresh RAG_HOME in it")
    ap.add_argument("--slice", type=int, default=0, help="index a fixed slice of about N article passages")
    ap.add_argument("--slice-dir", type=Path, default=None, help="where the slice is written (default HOME/slice)")
    ap.add_argument("--code", action="append", default=[],
                    help="LABEL=DIR[@NAME=VALUE,...]: a checkout to build with, and its environment (repeatable)")
    ap.add_argument("--repeat", type=int, default=1, help="build each code tree this many times, alternating order")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE passed to every build")
    ap.add_argument("--queries", default="", help="JSONL with a 'question' per line: time rag ask on the last build")
    ap.add_argument("--n-queries", type=int, default=200)
    ap.add_argument("--out", default="", help="write the JSON here")
    ap.add_argument("--md", default="", help="write a Markdown table here")
    a = ap.parse_args(argv)
    a.home.mkdir(parents=True, exist_ok=True)
    source = a.source = str(Path(a.source).resolve())
    res_slice = None
    if a.slice:
        res_slice = make_slice(a.source, a.slice, a.slice_dir or a.home / "slice")
        source = str(a.slice_dir or a.home / "slice")
    codes = [_code(c) for c in a.code] or [("this", ROOT, {})]
    env_extra = dict(e.split("=", 1) for e in a.env)
    res = bench(source, a.home, codes, a.repeat, env_extra)
    if a.queries:  # in this process, with this checkout's code (bench/bench_statutes.py's query timer)
        sys.path.insert(0, str(ROOT))
        from bench.bench_statutes import _queries
        last = res["runs"][-1]
        res["query"] = _queries(str(a.home / f"{last['code']}-{last['repeat']}"), a.queries, a.n_queries)
        print(json.dumps(res["query"]), flush=True)
    if res_slice:
        res["slice"] = {k: v for k, v in res_slice.items() if k != "files"}
    res["load_avg_end"] = os.getloadavg()
    table = summary(res)
    print(table)
    if a.out:
        Path(a.out).write_text(json.dumps(res, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    if a.md:
        sys.path.insert(0, str(ROOT))
        from bench.report import save_report
        save_report(a.md, "Statute archive build: wall, CPU, memory, stages", table)
    return res


if __name__ == "__main__":
    main()
