"""Documents of the round-10 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout10_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 4 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when they were
written (docs/heldout10.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-9 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py``, ``bench/heldout8_docs.py``,
``bench/heldout9_docs.py``), and 6 articles of CMRC2018 *dev* other than the 24 of rounds 6-9. No document
text is committed: this script extracts exactly these 16 documents from ``../shared/data`` and indexes them
with the product (``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it
has no calibration hook: the sets are for measuring only.

    python bench/heldout10_docs.py build --home /tmp/heldout10_home     # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout10_docs.jsonl --index /tmp/heldout10_home
    rag eval bench/data/dialogues_heldout10_docs.jsonl --index /tmp/heldout10_home
    python bench/heldout10_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-9
LAWS = [
    "lawrefbook/社会法/安全生产法(2021-06-10).md",
    "lawrefbook/行政法/网络安全法(2016-11-07).md",
    "lawrefbook/行政法/环境保护法(2014-04-24).md",
    "lawrefbook/行政法/精神卫生法(2018-04-27).md",
    "lawrefbook/行政法/传染病防治法(2013-06-29).md",
    "lawrefbook/诉讼与非诉讼程序法/人民调解法(2010-08-28).md",
    "lawrefbook/行政法/公证法(2017-09-01).md",
    "lawrefbook/行政法/体育法(2022-06-24).md",
    "lawrefbook/行政法规/医疗保障基金使用监督管理条例(2021-01-15).md",
    "lawrefbook/经济法/动物防疫法(2021-01-22).md",
]

#: CMRC2018 dev articles (ids): a railway station, sports taping, a Japanese reading of kanji, water insects,
#: a country's transport, inductive bias
CMRC_IDS = ["DEV_53", "DEV_382", "DEV_90", "DEV_359", "DEV_14", "DEV_568"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(10, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
