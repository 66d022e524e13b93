"""Documents of the round-14 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout14_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-4 turns, 5 of the 25 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout14.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-13 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout13_docs.py``), and 6
articles of CMRC2018 *dev* other than the 48 of rounds 6-13. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout14_docs.py build --home /tmp/heldout14_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout14_docs.jsonl --index /tmp/heldout14_home
    rag eval bench/data/dialogues_heldout14_docs.jsonl --index /tmp/heldout14_home
    python bench/heldout14_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-13
LAWS = [
    "lawrefbook/行政法规/娱乐场所管理条例(2020-11-29).md",
    "lawrefbook/行政法规/城市生活无着的流浪乞讨人员救助管理办法(2003-06-20).md",
    "lawrefbook/行政法规/导游人员管理条例(2017-10-07).md",
    "lawrefbook/行政法规/大型群众性活动安全管理条例(2007-09-14).md",
    "lawrefbook/行政法规/禁止使用童工规定(2002-10-01).md",
    "lawrefbook/行政法规/缺陷汽车产品召回管理条例(2019-03-02).md",
    "lawrefbook/行政法规/中国公民收养子女登记办法(2023-07-20).md",
    "lawrefbook/行政法规/幼儿园管理条例(1989-09-11).md",
    "lawrefbook/行政法规/报废机动车回收管理办法(2019-04-22).md",
    "lawrefbook/行政法规/无障碍环境建设条例(2012-06-28).md",
]

#: CMRC2018 dev articles (ids): a sports university, an Italian football club, a Ming-dynasty official,
#: a Hong Kong housing estate, a maths olympiad, a venomous snake
CMRC_IDS = ["DEV_1772", "DEV_1139", "DEV_631", "DEV_344", "DEV_1097", "DEV_1647"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(14, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
