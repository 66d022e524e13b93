"""Documents of the round-7 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout7_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 6 in English, 12 unanswerable; 12 dialogues of
2-3 turns, a fifth of the follow-ups unanswerable) about 16 documents nobody on the team had read when they were
written (docs/heldout7.md): 10 laws/regulations from ``../shared/data/lawrefbook.tar.gz`` that are not in
``corpus/laws``, not in ``bench/everyday_dev.py`` LAWS, not among the STARD laws (``bench/statute_corpus.py``)
and not among the 10 laws of ``bench/everyday_heldout6.py``, and 6 articles of CMRC2018 *dev* other than the 6
of round 6. No document text is committed: this script extracts exactly these 16 documents from
``../shared/data`` and indexes them with the product (``rag.update.update_index``, the code behind
``rag index``). It does not evaluate, and it has no calibration hook: the sets are for measuring only.

    python bench/heldout7_docs.py build --home /tmp/heldout7_home      # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout7_docs.jsonl --index /tmp/heldout7_home
    rag eval bench/data/dialogues_heldout7_docs.jsonl --index /tmp/heldout7_home
    python bench/heldout7_docs.py check                                  # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one law to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws/regulations (archive paths): not in corpus/laws, everyday_dev LAWS, the STARD laws or everyday_heldout6 LAWS
LAWS = [
    "lawrefbook/社会法/残疾人保障法(2018-10-26).md",
    "lawrefbook/社会法/妇女权益保障法(2022-10-30).md",
    "lawrefbook/行政法/法律援助法(2021-08-20).md",
    "lawrefbook/行政法规/女职工劳动保护特别规定(2012-04-28).md",
    "lawrefbook/行政法规/保障农民工工资支付条例(2019-12-30).md",
    "lawrefbook/行政法规/机动车交通事故责任强制保险条例(2019-03-02).md",
    "lawrefbook/社会法/职业病防治法(2018-12-29).md",
    "lawrefbook/行政法规/社会救助暂行办法(2019-03-02).md",
    "lawrefbook/行政法/人口与计划生育法(2021-08-20).md",
    "lawrefbook/行政法/护照法(2006-04-29).md",
]

#: CMRC2018 dev articles (ids): a railway, a bridge, a power company, a plant, a metro station, an animal
CMRC_IDS = ["DEV_18", "DEV_311", "DEV_425", "DEV_503", "DEV_512", "DEV_473"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(7, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
