"""Documents of the round-12 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout12_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
3-4 turns, 5 of the 25 follow-ups unanswerable) about 16 documents nobody on the team had read when they were
written (docs/heldout12.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-11 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout11_docs.py``), and 6
articles of CMRC2018 *dev* other than the 36 of rounds 6-11. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout12_docs.py build --home /tmp/heldout12_home     # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout12_docs.jsonl --index /tmp/heldout12_home
    rag eval bench/data/dialogues_heldout12_docs.jsonl --index /tmp/heldout12_home
    python bench/heldout12_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-11
LAWS = [
    "lawrefbook/行政法规/城市公共交通条例(2024-10-17).md",
    "lawrefbook/行政法规/校车安全管理条例(2012-04-05).md",
    "lawrefbook/部门规章/市场监督管理总局/家用汽车产品修理更换退货责任规定(2021-07-22).md",
    "lawrefbook/部门规章/市场监督管理总局/明码标价和禁止价格欺诈规定(2022-04-14).md",
    "lawrefbook/行政法规/未成年人网络保护条例(2023-10-16).md",
    "lawrefbook/行政法规/残疾人就业条例(2007-02-25).md",
    "lawrefbook/行政法规/电信条例(2016-02-06).md",
    "lawrefbook/行政法规/城市市容和环境卫生管理条例(2017-03-01).md",
    "lawrefbook/行政法/户口登记条例(1958-01-09).md",
    "lawrefbook/行政法规/信访工作条例(2022-02-25).md",
]

#: CMRC2018 dev articles (ids): a festival sweet, a slang word, a volcano, electrostatic induction,
#: a Ming writer, a coastal town
CMRC_IDS = ["DEV_41", "DEV_213", "DEV_341", "DEV_611", "DEV_437", "DEV_1168"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(12, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
