"""Documents of the round-8 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout8_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 7 in English, 12 unanswerable; 12 dialogues of
2-3 turns, about a fifth of the follow-ups unanswerable) about 16 documents nobody on the team had read when they
were written (docs/heldout8.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` that are not in
``corpus/laws``, not in ``bench/everyday_dev.py`` LAWS, not among the STARD laws (``bench/statute_corpus.py``)
and not among the laws of rounds 6 and 7 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py``), and 6
articles of CMRC2018 *dev* other than the 12 of rounds 6 and 7. No document text is committed: this script
extracts exactly these 16 documents from ``../shared/data`` and indexes them with the product
(``rag.update.update_index``, the code behind ``rag index``). It does not evaluate, and it has no calibration
hook: the sets are for measuring only.

    python bench/heldout8_docs.py build --home /tmp/heldout8_home      # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout8_docs.jsonl --index /tmp/heldout8_home
    rag eval bench/data/dialogues_heldout8_docs.jsonl --index /tmp/heldout8_home
    python bench/heldout8_docs.py check                                  # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one law to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): not in corpus/laws, everyday_dev LAWS, the STARD laws or the laws of rounds 6 and 7
LAWS = [
    "lawrefbook/行政法/消防法(2021-04-29).md",
    "lawrefbook/行政法/出境入境管理法(2012-06-30).md",
    "lawrefbook/行政法/兵役法(2021-08-20).md",
    "lawrefbook/行政法/城市房地产管理法(2019-08-26).md",
    "lawrefbook/社会法/家庭教育促进法(2021-10-23).md",
    "lawrefbook/行政法/药品管理法(2019-08-26).md",
    "lawrefbook/行政法/疫苗管理法(2019-06-29).md",
    "lawrefbook/行政法/母婴保健法(2017-11-04).md",
    "lawrefbook/经济法/邮政法(2015-04-24).md",
    "lawrefbook/行政法/学前教育法(2024-11-08).md",
]

#: CMRC2018 dev articles (ids): a wind, an antibiotic, a metro station, a synagogue, a bird, a railway
CMRC_IDS = ["DEV_279", "DEV_1171", "DEV_510", "DEV_574", "DEV_264", "DEV_21"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(8, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
