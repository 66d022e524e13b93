"""Documents of the round-18 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout18_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout18.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-17 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout17_docs.py``), and 6
articles of CMRC2018 *dev* other than the 72 of rounds 6-17, all six from the dev REPORT half
(``int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 2 == 0``, the half nobody trains on; another
helper may train on the other half). No document text is committed: this script extracts exactly these 16
documents from ``../shared/data`` and indexes them with the product (``rag.update.update_index``, the code behind
``rag index``). It does not evaluate, and it has no calibration hook: the sets are for measuring only.

    python bench/heldout18_docs.py build --home /tmp/heldout18_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout18_docs.jsonl --index /tmp/heldout18_home
    rag eval bench/data/dialogues_heldout18_docs.jsonl --index /tmp/heldout18_home
    python bench/heldout18_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-17
LAWS = [
    "lawrefbook/行政法规/直销管理条例(2017-03-01).md",
    "lawrefbook/行政法规/电力设施保护条例(2011-01-08).md",
    "lawrefbook/行政法规/长城保护条例(2006-10-01).md",
    "lawrefbook/行政法规/乡村医生从业管理条例(2003-08-05).md",
    "lawrefbook/行政法规/中国公民出国旅游管理办法(2017-03-01).md",
    "lawrefbook/行政法规/陆生野生动物保护实施条例(2016-02-06).md",
    "lawrefbook/行政法规/劳动保障监察条例(2004-11-01).md",
    "lawrefbook/行政法规/高等教育自学考试暂行条例(2014-07-29).md",
    "lawrefbook/行政法规/生猪屠宰管理条例(2021-06-25).md",
    "lawrefbook/行政法规/防范和处置非法集资条例(2021-01-26).md",
]

#: CMRC2018 dev articles (ids), all in the dev report half (sha256 of the title even): a village tree and its
#: legend, a camping stove, reverse osmosis, a garden flower, frozen food, a lake in Tibet
CMRC_IDS = ["DEV_370", "DEV_1051", "DEV_439", "DEV_633", "DEV_1579", "DEV_1933"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(18, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
