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

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, DocSet, cli  # noqa: E402,F401 — ARCHIVE: the tests read it here

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


documents, write_sources, build = DOCS.documents, DOCS.write_sources, DOCS.build  # see bench/doc_sets.py


def check(path: Path = SET) -> list[str]:
    """Problems of the set: unknown documents, answerable/answers mismatches, gold spans not in their document."""
    return DOCS.check(path)


def main(argv: list[str] | None = None) -> int:
    return cli(DOCS, SET, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
