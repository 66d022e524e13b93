"""Documents of the round-11 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout11_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when they were
written (docs/heldout11.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-10 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout10_docs.py``), and 6
articles of CMRC2018 *dev* other than the 30 of rounds 6-10. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout11_docs.py build --home /tmp/heldout11_home     # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout11_docs.jsonl --index /tmp/heldout11_home
    rag eval bench/data/dialogues_heldout11_docs.jsonl --index /tmp/heldout11_home
    python bench/heldout11_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-10
LAWS = [
    "lawrefbook/行政法规/全国年节及纪念日放假办法(2024-11-10).md",
    "lawrefbook/行政法规/居住证暂行条例(2015-11-26).md",
    "lawrefbook/行政法规/失业保险条例(1999-01-22).md",
    "lawrefbook/行政法规/不动产登记暂行条例(2019-03-24).md",
    "lawrefbook/行政法规/诉讼费用交纳办法(2006-12-19).md",
    "lawrefbook/行政法规/快递暂行条例(2019-03-02).md",
    "lawrefbook/行政法规/烟花爆竹安全管理条例(2016-02-06).md",
    "lawrefbook/行政法/医师法(2021-08-20).md",
    "lawrefbook/社会法/工会法(2021-12-24).md",
    "lawrefbook/行政法规/人体器官捐献和移植条例(2023-12-04).md",
]

#: CMRC2018 dev articles (ids): a paper-burning tower, a lychee variety, critical mass, a fossil museum,
#: rubidium chloride, a typhoon signal
CMRC_IDS = ["DEV_249", "DEV_557", "DEV_601", "DEV_1668", "DEV_1141", "DEV_530"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(11, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
