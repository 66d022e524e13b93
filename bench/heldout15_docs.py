"""Documents of the round-15 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout15_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, 5 of the 23 follow-ups unanswerable) about 16 documents nobody on the team had read when
they were written (docs/heldout15.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` of which no version is in
``corpus/laws``, ``bench/everyday_dev.py`` LAWS, the STARD laws (``bench/statute_corpus.py``) or the laws of
rounds 6-14 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py`` … ``bench/heldout14_docs.py``), and 6
articles of CMRC2018 *dev* other than the 54 of rounds 6-14. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout15_docs.py build --home /tmp/heldout15_home     # a few minutes on 2 cores
    rag eval bench/data/everyday_heldout15_docs.jsonl --index /tmp/heldout15_home
    rag eval bench/data/dialogues_heldout15_docs.jsonl --index /tmp/heldout15_home
    python bench/heldout15_docs.py check                                 # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one document to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): no version of them is in corpus/laws, everyday_dev LAWS, the STARD laws or rounds 6-14
LAWS = [
    "lawrefbook/行政法规/法律援助条例(2003-07-21).md",
    "lawrefbook/行政法规/城市供水条例(2020-03-27).md",
    "lawrefbook/行政法规/城市绿化条例(2017-03-01).md",
    "lawrefbook/行政法规/彩票管理条例(2009-05-04).md",
    "lawrefbook/行政法规/营业性演出管理条例(2020-11-29).md",
    "lawrefbook/行政法规/保安服务管理条例(2022-03-29).md",
    "lawrefbook/行政法规/旅行社条例(2020-11-29).md",
    "lawrefbook/行政法规/风景名胜区条例(2016-02-06).md",
    "lawrefbook/行政法规/城市道路管理条例(2019-03-24).md",
    "lawrefbook/行政法规/疫苗流通和预防接种管理条例(2016-04-23).md",
]

#: CMRC2018 dev articles (ids): a demolished Shanghai bridge, a Japanese railway station, a Canadian climate
#: campaign, a Berlin monument, a singer, a rule of crystal chemistry
CMRC_IDS = ["DEV_39", "DEV_287", "DEV_433", "DEV_1022", "DEV_1692", "DEV_567"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(15, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
