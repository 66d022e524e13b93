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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, DocSet  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
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


DOCS = DocSet(tuple(LAWS), CMRC_DEV, tuple(CMRC_IDS))


def documents() -> dict[str, str]:
    """Every document's text, keyed as the set's ``doc`` field (:meth:`doc_sets.DocSet.documents`)."""
    return DOCS.documents()


def write_sources(folder: Path) -> list[Path]:
    """Write the documents as files under ``folder`` (laws keep their category folder)."""
    return DOCS.write_sources(folder)


def build(home: Path) -> dict:
    """Extract the documents and index them under ``home`` (a fresh generation)."""
    return DOCS.build(home)


def check(path: Path = SET) -> list[str]:
    """Problems of the set: unknown documents, answerable/answers mismatches, gold spans not in their document."""
    return DOCS.check(path)


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
