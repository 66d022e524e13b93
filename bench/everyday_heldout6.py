"""Documents of the round-6 DOCUMENT-held-out question set (``bench/data/everyday_heldout6_docs.jsonl``).

The set asks citizens' everyday questions (paraphrased, colloquial, lay terms, 6 in English, 12 unanswerable)
about 16 documents nobody on the team had read when it was written (docs/heldout6.md): 10 laws/regulations
from ``../shared/data/lawrefbook.tar.gz`` that are not in ``corpus/laws``, not in ``bench/everyday_dev.py``
LAWS and not among the 31 STARD laws (``bench/statute_corpus.py``), and 6 articles of CMRC2018 *dev*.
No document text is committed: this script extracts exactly these 16 documents from ``../shared/data`` and
indexes them with the product (``rag.update.update_index``, the code behind ``rag index``). It does not
evaluate, and it has no calibration hook: the set is for measuring only, never for fitting or choosing.

    python bench/everyday_heldout6.py build --home /tmp/heldout6_home     # ~1-2 min on 2 cores
    rag eval bench/data/everyday_heldout6_docs.jsonl --index /tmp/heldout6_home
    python bench/everyday_heldout6.py check                                 # every gold span is in its document

Each row's ``doc`` field names its document: ``law:<archive path>`` or ``cmrc:<CMRC dev id>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
ARCHIVE = DATA / "lawrefbook.tar.gz"
CMRC_DEV = DATA / "cmrc2018" / "cmrc2018_dev.json"
SET = ROOT / "bench" / "data" / "everyday_heldout6_docs.jsonl"

#: laws/regulations (archive paths): not in corpus/laws, not in bench/everyday_dev.py LAWS, not STARD laws
LAWS = [
    "lawrefbook/行政法规/婚姻登记条例(2003-08-08).md",
    "lawrefbook/行政法规/殡葬管理条例(2012-11-09).md",
    "lawrefbook/行政法规/城市居民最低生活保障条例(1999-09-28).md",
    "lawrefbook/行政法/义务教育法(2018-12-29).md",
    "lawrefbook/社会法/就业促进法(2015-04-24).md",
    "lawrefbook/行政法规/医疗纠纷预防和处理条例(2018-07-31).md",
    "lawrefbook/行政法规/工伤保险条例(2010-12-20).md",
    "lawrefbook/社会法/老年人权益保障法(2018-12-29).md",
    "lawrefbook/社会法/反电信网络诈骗法(2022-09-02).md",
    "lawrefbook/行政法/食品安全法(2021-04-29).md",
]

#: CMRC2018 dev articles (ids): a railway station, a metro line, a medicine, a food company, a motorway, a radio
CMRC_IDS = ["DEV_54", "DEV_104", "DEV_392", "DEV_408", "DEV_204", "DEV_369"]


def law_texts() -> dict[str, str]:
    """``{"law:<archive path>": markdown text}`` for :data:`LAWS`, read straight from the archive."""
    out = {}
    with tarfile.open(ARCHIVE) as tar:
        for name in LAWS:
            f = tar.extractfile(name)
            if f is None:
                raise SystemExit(f"{ARCHIVE}: {name} is missing")
            out[f"law:{name}"] = f.read().decode("utf-8")
    return out


def cmrc_texts() -> dict[str, tuple[str, str]]:
    """``{"cmrc:<id>": (title, context)}`` for :data:`CMRC_IDS` (paragraphs joined by a blank line)."""
    by_id = {a["id"]: a for a in json.loads(CMRC_DEV.read_text(encoding="utf-8"))["data"]}
    out = {}
    for cid in CMRC_IDS:
        art = by_id[cid]
        out[f"cmrc:{cid}"] = (art["title"], "\n\n".join(p["context"] for p in art["paragraphs"]))
    return out


def documents() -> dict[str, str]:
    """Every document's text, keyed as the set's ``doc`` field (a CMRC article as ``# title`` + context)."""
    docs = dict(law_texts())
    docs.update({k: f"# {t}\n\n{c}" for k, (t, c) in cmrc_texts().items()})
    return docs


def write_sources(folder: Path) -> list[Path]:
    """Write the 16 documents as files under ``folder`` (laws keep their category folder)."""
    paths = []
    for name, text in law_texts().items():
        p = folder / "laws" / Path(name.split(":", 1)[1]).relative_to("lawrefbook")
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
        paths.append(p)
    for key, (title, ctx) in cmrc_texts().items():
        p = folder / "cmrc" / f"{key.split(':', 1)[1]}_{title.replace('/', '_')}.md"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"# {title}\n\n{ctx}\n", encoding="utf-8")
        paths.append(p)
    return paths


def build(home: Path) -> dict:
    """Index exactly the 16 documents under ``home`` (a fresh generation: ``rebuild=True``)."""
    from rag.update import update_index
    with tempfile.TemporaryDirectory(prefix="heldout6_") as tmp:
        write_sources(Path(tmp))
        report = update_index([tmp], home=home, rebuild=True, progress=True)
    counts = report.get("counts", {}) if isinstance(report, dict) else {}
    print(f"indexed {home}: {counts.get('documents', '?')} documents, {counts.get('chunks', '?')} chunks")
    return report


def check(path: Path = SET) -> list[str]:
    """Problems of the set: unknown documents, answerable/answers mismatches, gold spans not in their document."""
    docs, problems = documents(), []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("doc") not in docs:
            problems.append(f"line {i} ({r.get('id')}): unknown doc {r.get('doc')!r}")
            continue
        if r["answerable"] is not bool(r["answers"]):
            problems.append(f"line {i} ({r['id']}): answerable must match a non-empty answers list")
        problems += [f"line {i} ({r['id']}): {a!r} not in {r['doc']}" for a in r["answers"] if a not in docs[r["doc"]]]
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="extract the 16 documents and index them")
    b.add_argument("--home", required=True, type=Path)
    sub.add_parser("check", help=f"check the gold spans of bench/data/{SET.name}")
    d = sub.add_parser("dump", help="write the documents as files (for reading)")
    d.add_argument("folder", type=Path)
    a = ap.parse_args(argv)
    if not ARCHIVE.exists() or not CMRC_DEV.exists():
        print(f"needs {ARCHIVE} and {CMRC_DEV}", file=sys.stderr)
        return 2
    if a.cmd == "build":
        build(a.home)
    elif a.cmd == "dump":
        print("\n".join(map(str, write_sources(a.folder))))
    else:
        problems = check()
        print("\n".join(problems) or f"{SET.name}: every gold span occurs in its document")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
