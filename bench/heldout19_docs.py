"""Documents of the round-19 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout19_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout19.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-18 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout18_docs.py``), and 6
articles of CMRC2018 *dev* other than the 78 of rounds 6-18, all six from the dev REPORT half
(``int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 2 == 0``, the half nobody trains on; another
helper may train on the other half). No document text is committed: this script extracts exactly these 16
documents from ``../shared/data`` and indexes them with the product (``rag.update.update_index``, the code behind
``rag index``). It does not evaluate, and it has no calibration hook: the sets are for measuring only.

    python bench/heldout19_docs.py build --home /tmp/heldout19_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout19_docs.jsonl --index /tmp/heldout19_home
    rag eval bench/data/dialogues_heldout19_docs.jsonl --index /tmp/heldout19_home
    python bench/heldout19_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-18
LAWS = [
    "lawrefbook/行政法规/戒毒条例(2018-09-18).md",
    "lawrefbook/行政法规/气象灾害防御条例(2017-10-07).md",
    "lawrefbook/行政法规/古生物化石保护条例(2019-03-02).md",
    "lawrefbook/行政法规/村庄和集镇规划建设管理条例(1993-06-29).md",
    "lawrefbook/行政法规/残疾预防和残疾人康复条例(2018-09-18).md",
    "lawrefbook/行政法规/节约用水条例(2024-03-09).md",
    "lawrefbook/行政法规/互联网信息服务算法推荐管理规定(2021-11-16).md",
    "lawrefbook/行政法规/森林防火条例(2008-12-01).md",
    "lawrefbook/行政法规/废弃电器电子产品回收处理管理条例(2019-03-02).md",
    "lawrefbook/行政法规/水下文物保护管理条例(2022-01-23).md",
]

#: CMRC2018 dev articles (ids), all in the dev report half (sha256 of the title even): a New Zealand bird, Macau's
#: typhoon signal No. 9, a plant hunter in Yunnan, a parrotfish, a Hong Kong suicide-prevention hotline, Japanese
#: armour
CMRC_IDS = ["DEV_164", "DEV_531", "DEV_1082", "DEV_552", "DEV_1041", "DEV_224"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(19, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
