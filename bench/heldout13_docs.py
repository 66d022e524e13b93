"""Documents of the round-13 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout13_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-4 turns, 5 of the 24 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout13.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-12 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout12_docs.py``), and 6
articles of CMRC2018 *dev* other than the 42 of rounds 6-12. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout13_docs.py build --home /tmp/heldout13_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout13_docs.jsonl --index /tmp/heldout13_home
    rag eval bench/data/dialogues_heldout13_docs.jsonl --index /tmp/heldout13_home
    python bench/heldout13_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-12
LAWS = [
    "lawrefbook/行政法规/护士条例(2020-03-27).md",
    "lawrefbook/行政法规/旅馆业治安管理办法(2020-11-29).md",
    "lawrefbook/行政法规/公共场所卫生管理条例(2019-04-23).md",
    "lawrefbook/行政法规/志愿服务条例(2017-08-22).md",
    "lawrefbook/行政法规/全民健身条例(2016-02-06).md",
    "lawrefbook/行政法规/工资支付暂行规定(1994-12-06).md",
    "lawrefbook/行政法规/互联网上网服务营业场所管理条例(2019-03-24).md",
    "lawrefbook/行政法规/人力资源市场暂行条例(2018-06-29).md",
    "lawrefbook/部门规章/公安部/道路交通安全违法行为记分管理办法(2021-12-17).md",
    "lawrefbook/部门规章/市场监督管理总局/市场监督管理投诉举报处理暂行办法(2022-03-24).md",
]

#: CMRC2018 dev articles (ids): a Paris square, India's space agency, a reef fish, Arabic music,
#: a Hong Kong bus route, a beauty-pageant winner
CMRC_IDS = ["DEV_1889", "DEV_1526", "DEV_1628", "DEV_1796", "DEV_158", "DEV_298"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(13, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
