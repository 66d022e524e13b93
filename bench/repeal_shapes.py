"""Count the shapes in which the lawrefbook archive states a repeal, and what :func:`rag.repealed.repeal_clauses`
reads (round 17, h5; bench/results/r17_h5_repeals.md).

Usage: python bench/repeal_shapes.py [ARCHIVE] [--pairs OUT.json]
  ARCHIVE defaults to ../shared/data/lawrefbook.tar.gz. Read in memory; nothing is written but OUT.json (every
  (file, repealed title, date) pair read, to compare two versions of the reader).

Each sentence holding 废止 (or 不再执行 / 停止执行) is put in one class: read (a pair it yields), a 《title》 repeal
not read, a repeal naming no title (…的规定即行废止), a revision line of a header (《…关于修改和废止…的决定》第一次修订),
or 废止 / 不再执行 as an ordinary word (the power to repeal, a sentence no longer carried out). This does not
answer questions.
"""

from __future__ import annotations

import collections
import json
import re
import sys
import tarfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rag.repealed import _TITLE, repeal_clauses  # noqa: E402

_REPEAL_WORD = re.compile(r"同时废止|予以废止|即行废止|废止[。；]?\s*$")
_REVISION = re.compile(r"《[^》]*(?:废止|修改)[^》]*》\s*(?:第.次)?(?:修订|修正|修改)")


def classes(text: str, read: set[str]) -> collections.Counter:
    """The class of each sentence of ``text`` that holds 废止 / 不再执行 / 停止执行; ``read``: the titles read."""
    out: collections.Counter = collections.Counter()
    for par in text.split("\n"):
        for s in re.split(r"(?<=[。；])", par):
            if not re.search(r"废止|不再执行|停止执行", s):
                continue
            titles = _TITLE.findall(s)
            if titles and any(t.strip() in read for t in titles) and re.search(r"废止|不再执行", s):
                out["read: a sentence yielding pairs"] += 1
            elif _REVISION.search(s):
                out["not a repeal: a header's revision line (《…修改和废止…的决定》修订)"] += 1
            elif titles and _REPEAL_WORD.search(s):
                out["not read: 《title》 repealed, no entry into force of the repealing text near it"] += 1
            elif _REPEAL_WORD.search(s) and "废止" in s:
                out["not read: a repeal naming no title (…规定即行废止, 附件一…)"] += 1
            elif re.search(r"不再执行|停止执行", s):
                out["not a repeal: 不再执行 / 停止执行 of a sentence or decision"] += 1
            else:
                out["not a repeal: 废止 as a word (修改或者废止, 自行废止 …)"] += 1
    return out


def main(argv: list[str]) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("archive", nargs="?", default=str(Path(__file__).resolve().parents[2] / "shared/data/lawrefbook.tar.gz"))
    ap.add_argument("--pairs", default="", help="write every pair read to this JSON file")
    a = ap.parse_args(argv)
    archive, pairs_out = Path(a.archive), a.pairs
    total, files, pairs = collections.Counter(), 0, {}
    with tarfile.open(archive) as tar:
        for m in tar:
            if not m.isfile() or not m.name.endswith(".md") or m.name.endswith("_index.md"):
                continue
            files += 1
            text = tar.extractfile(m).read().decode("utf-8")
            read = repeal_clauses(text)
            if read:
                pairs[m.name] = read
                total["files with a repeal read"] += 1
            total.update(classes(text, {t for t, _ in read}))
    print(f"{files} files; {sum(map(len, pairs.values()))} (title, date) pairs read; "
          f"{sum(1 for v in pairs.values() for _, d in v if d)} with a date")
    for k, v in sorted(total.items()):
        print(f"{v:6d}  {k}")
    if pairs_out:
        Path(pairs_out).write_text(json.dumps(pairs, ensure_ascii=False, indent=0), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
