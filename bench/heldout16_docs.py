"""Documents of the round-16 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout16_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout16.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-15 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout15_docs.py``), and 6
articles of CMRC2018 *dev* other than the 60 of rounds 6-15. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout16_docs.py build --home /tmp/heldout16_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout16_docs.jsonl --index /tmp/heldout16_home
    rag eval bench/data/dialogues_heldout16_docs.jsonl --index /tmp/heldout16_home
    python bench/heldout16_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-15
LAWS = [
    "lawrefbook/行政法规/存款保险条例(2015-02-17).md",
    "lawrefbook/行政法规/领事保护与协助条例(2023-07-09).md",
    "lawrefbook/行政法规/母婴保健法实施办法(2023-07-20).md",
    "lawrefbook/行政法规/农村五保供养工作条例(2006-01-21).md",
    "lawrefbook/行政法规/自然灾害救助条例(2019-03-02).md",
    "lawrefbook/行政法规/人民币管理条例(2018-03-19).md",
    "lawrefbook/行政法规/公共文化体育设施条例(2003-06-26).md",
    "lawrefbook/行政法规/人体器官移植条例(2007-03-31).md",
    "lawrefbook/行政法规/禁止传销条例(2005-08-23).md",
    "lawrefbook/行政法规/收费公路管理条例(2004-09-13).md",
]

#: CMRC2018 dev articles (ids): a working-holiday visa, an air crash, a water town in Jiaxing, a 1955 manifesto,
#: a Tibetan lake, a bird of prey
CMRC_IDS = ["DEV_535", "DEV_1605", "DEV_1172", "DEV_1084", "DEV_24", "DEV_1771"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(16, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
