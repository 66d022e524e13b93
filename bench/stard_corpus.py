"""Article-level statute corpus for the STARD benchmarks (bench only; the product's ingestion is rag/statute.py).

Reads ``../shared/data/lawrefbook.tar.gz`` straight from the archive: one passage per ``第…条``
article, ``title`` = the law's title (first ``# `` heading), ``label`` = 第X条, ``path`` = the
编/章/节 headings above it, ``text`` = the article's paragraphs (款) joined by newlines.
``README.md`` and ``_index.md`` are skipped. Gold articles of a STARD question are the corpus
articles whose text contains the first 30 characters (whitespace removed) of a gold article's
first line — the way the held-back questions are scored (``stard_dev_eval.jsonl``).

    python bench/stard_corpus.py        # prints counts
"""

from __future__ import annotations

import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "lawrefbook.tar.gz"
_ART = re.compile(r"^(第[零〇一二三四五六七八九十百千两0-9]+条(?:之[一二三四五六七八九十]+)?)[\s\u3000]*(.*)$")
_HEAD = re.compile(r"^(#+)\s*(.*)$")
_WS = re.compile(r"\s+")


@dataclass
class Article:
    aid: int
    title: str
    label: str
    path: tuple[str, ...]
    text: str
    file: str = ""
    key: str = field(default="", repr=False)   # whitespace-free text, for gold matching


def _parse(name: str, md: str, start: int) -> list[Article]:
    lines = md.replace("\r\n", "\n").split("\n")
    title, heads, out, cur = "", [], [], None
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("<!--"):
            continue
        h = _HEAD.match(line)
        if h:
            level, text = len(h.group(1)), h.group(2).strip()
            if not title:
                title = text
                continue
            heads = [x for x in heads if x[0] < level] + [(level, text)]
            cur = None
            continue
        m = _ART.match(line)
        if m and title:
            cur = Article(start + len(out), title, m.group(1), tuple(t for lv, t in heads if lv > 1 or t != title),
                          m.group(2).strip(), name)
            out.append(cur)
        elif cur is not None:
            cur.text += "\n" + line
    for a in out:
        a.key = _WS.sub("", a.text)
    return out


def load_articles(archive: str | Path = ARCHIVE) -> list[Article]:
    """All articles of the archive, in archive order (deterministic)."""
    arts: list[Article] = []
    with tarfile.open(archive) as tf:
        for m in sorted((m for m in tf.getmembers() if m.isfile() and m.name.endswith(".md")), key=lambda m: m.name):
            base = m.name.rsplit("/", 1)[-1]
            if base in ("README.md", "_index.md"):
                continue
            md = tf.extractfile(m).read().decode("utf-8", errors="replace")
            arts.extend(_parse(m.name, md, len(arts)))
    return arts


def gold_openings(record: dict) -> list[str]:
    """First 30 whitespace-free characters of each gold article's first line."""
    out = []
    for text in record.get("相关法规", {}).values():
        first = next((ln for ln in text.split("\n") if ln.strip()), "")
        key = _WS.sub("", first)[:30]
        if key:
            out.append(key)
    return out


def gold_rows(records: list[dict], articles: list[Article]) -> list[set[int]]:
    """For each record, the article ids whose text contains a gold opening."""
    need = {k for r in records for k in gold_openings(r)}
    where: dict[str, set[int]] = {k: set() for k in need}
    by_prefix: dict[str, list[str]] = {}
    for k in need:
        by_prefix.setdefault(k[:6], []).append(k)
    for a in articles:
        key = a.key
        for i in range(len(key) - 5):
            for k in by_prefix.get(key[i:i + 6], ()):
                if key.startswith(k, i):
                    where[k].add(a.aid)
    return [set().union(*(where[k] for k in gold_openings(r))) if gold_openings(r) else set() for r in records]


def passage(a: Article, *, with_title: bool = True) -> str:
    """The text that is embedded and BM25-indexed: ``《title》第X条 text``."""
    return f"《{a.title}》{a.label} {a.text}" if with_title else f"{a.label} {a.text}"


if __name__ == "__main__":
    import json
    import statistics
    arts = load_articles()
    print(len(arts), "articles,", len({a.title for a in arts}), "titles;",
          "mean chars", statistics.mean(len(passage(a)) for a in arts))
    recs = json.loads((ARCHIVE.parent / "stard" / "stard_queries_dev.json").read_text(encoding="utf-8"))
    g = gold_rows(recs, arts)
    print("questions with a gold article found:", sum(1 for x in g if x), "/", len(recs))
