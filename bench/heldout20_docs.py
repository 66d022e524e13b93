"""Documents of the round-20 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout20_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout20.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-19 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout19_docs.py``), and 6
articles of CMRC2018 *dev* other than the 84 of rounds 6-19, all six from the dev REPORT half
(``int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 2 == 0``, the half nobody trains on; another
helper may train on the other half). No document text is committed: this script extracts exactly these 16
documents from ``../shared/data`` and indexes them with the product (``rag.update.update_index``, the code behind
``rag index``). It does not evaluate, and it has no calibration hook: the sets are for measuring only.

    python bench/heldout20_docs.py build --home /tmp/heldout20_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout20_docs.jsonl --index /tmp/heldout20_home
    rag eval bench/data/dialogues_heldout20_docs.jsonl --index /tmp/heldout20_home
    python bench/heldout20_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-19
LAWS = [
    "lawrefbook/行政法规/发票管理办法(2023-07-20).md",
    "lawrefbook/行政法规/野生植物保护条例(2017-10-07).md",
    "lawrefbook/行政法规/地名管理条例(2022-03-30).md",
    "lawrefbook/行政法规/价格违法行为行政处罚规定(2010-12-04).md",
    "lawrefbook/行政法规/中国公民往来台湾地区管理办法(2015-06-14).md",
    "lawrefbook/行政法规/教师资格条例(1995-12-12).md",
    "lawrefbook/行政法规/学校体育工作条例(2017-03-01).md",
    "lawrefbook/行政法规/防汛条例(2011-01-08).md",
    "lawrefbook/行政法规/退役士兵安置条例(2011-10-29).md",
    "lawrefbook/行政法规/突发公共卫生事件应急条例(2011-01-08).md",
]

#: CMRC2018 dev articles (ids), all in the dev report half (sha256 of the title even): the 1668 Tancheng
#: earthquake, Mount Pinatubo, a hill on Ap Lei Chau (Hong Kong), the scalp, an early Takahata/Miyazaki film,
#: the parade ground
CMRC_IDS = ["DEV_423", "DEV_325", "DEV_415", "DEV_239", "DEV_174", "DEV_70"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(20, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
