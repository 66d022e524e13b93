"""Documents of the round-17 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout17_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout17.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-16 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout16_docs.py``), and 6
articles of CMRC2018 *dev* other than the 60 of rounds 6-16. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout17_docs.py build --home /tmp/heldout17_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout17_docs.jsonl --index /tmp/heldout17_home
    rag eval bench/data/dialogues_heldout17_docs.jsonl --index /tmp/heldout17_home
    python bench/heldout17_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-16
LAWS = [
    "lawrefbook/行政法规/储蓄管理条例(2011-01-08).md",
    "lawrefbook/行政法规/博物馆条例(2015-02-09).md",
    "lawrefbook/行政法规/古树名木保护条例(2025-01-25).md",
    "lawrefbook/行政法规/公共安全视频图像信息系统管理条例(2025-01-13).md",
    "lawrefbook/行政法规/拘留所条例(2012-02-23).md",
    "lawrefbook/行政法规/食盐加碘消除碘缺乏危害管理条例(2017-03-01).md",
    "lawrefbook/行政法规/烈士褒扬条例(2024-09-27).md",
    "lawrefbook/行政法规/个体工商户条例(2016-02-06).md",
    "lawrefbook/行政法规/学校卫生工作条例(1990-06-04).md",
    "lawrefbook/行政法规/农业保险条例(2016-02-06).md",
]

#: CMRC2018 dev articles (ids): a chemical, a mushroom, a hereditary disease, a motorway in Hunan, a coast in
#: England, a school in New Hampshire
CMRC_IDS = ["DEV_500", "DEV_1030", "DEV_75", "DEV_609", "DEV_1536", "DEV_460"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(17, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
