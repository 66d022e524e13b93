"""A bounded statute corpus for STARD, and STARD as `rag eval` JSONL (tune and report folds).

The laws of ``../shared/data/lawrefbook.tar.gz`` that hold STARD gold articles
are found by text (the first 30 characters of an article's first line,
whitespace removed, occur in the law file). To keep indexing cheap on two
cores the laws are taken by number of gold articles, most first, until
``max_chars`` of text; questions whose gold articles are not all in the
chosen laws are dropped (counted in ``summary.json``). The laws are written
verbatim as Markdown under ``out/laws/`` and indexed with today's ingest.

The JSONL's ``answers`` are the sentences (cut at 。；！？ and line ends, at
least 6 characters) of the question's gold articles, so "the quote contains
an answer" means "the quoted sentence is a sentence of a gold article" and
a passage hit means the passage holds one.

    python bench/statute_corpus.py [--out /tmp/h1/stard] [--max-chars 400000]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from stard_split import load_split  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
_WS = re.compile(r"\s+")


def _key(article_text: str) -> str:
    return _WS.sub("", article_text.strip().splitlines()[0])[:30]


def _sentences(article_text: str) -> list[str]:
    parts = re.split(r"(?<=[。；！？])|\n+", article_text)
    return [p.strip() for p in parts if len(p.strip()) >= 6]


def build(out: Path, max_chars: int = 400_000) -> dict:
    tune, report = load_split()
    records = tune + report
    keys = {k: _key(t) for r in records for k, t in r["相关法规"].items() if t.strip()}
    laws: dict[str, str] = {}
    with tarfile.open(DATA / "lawrefbook.tar.gz") as tf:
        for m in tf.getmembers():
            if m.isfile() and m.name.endswith(".md") and not m.name.endswith("_index.md"):
                laws[m.name] = tf.extractfile(m).read().decode("utf-8", "replace")
    flat = {name: _WS.sub("", t) for name, t in laws.items()}
    where: dict[str, str] = {}
    for art, k in keys.items():
        # prefer the law whose title the article name carries, else the shortest file holding the text
        found = [n for n, t in flat.items() if k in t]
        if found:
            title = art.split("第")[0].replace("中华人民共和国", "")
            found.sort(key=lambda n: (title not in n, len(flat[n])))
            where[art] = found[0]
    counts = Counter(where.values())
    chosen, total = [], 0
    for name, _ in counts.most_common():
        if total + len(laws[name]) <= max_chars:
            chosen.append(name)
            total += len(laws[name])
    chosen_set = set(chosen)
    (out / "laws").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(chosen):
        (out / "laws" / f"{i:03d}-{Path(name).name}").write_text(laws[name], encoding="utf-8")
    summary = {"laws": len(chosen), "chars": total, "max_chars": max_chars}
    for fold, recs in (("tune", tune), ("report", report)):
        rows, dropped = [], 0
        for r in recs:
            arts = [a for a in r["match_name"] if a in r["相关法规"]]
            if not arts or any(where.get(a) not in chosen_set for a in arts):
                dropped += 1
                continue
            answers = list(dict.fromkeys(s for a in arts for s in _sentences(r["相关法规"][a])))
            rows.append({"id": r["query_id"], "question": r["问题"], "answers": answers, "answerable": True})
        with open(out / f"stard_{fold}.jsonl", "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        summary[fold] = {"kept": len(rows), "dropped_gold_law_not_in_corpus": dropped}
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")
    return summary


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/h1/stard")
    ap.add_argument("--max-chars", type=int, default=400_000)
    a = ap.parse_args()
    print(json.dumps(build(Path(a.out), a.max_chars), ensure_ascii=False))
