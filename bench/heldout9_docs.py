"""Documents of the round-9 DOCUMENT-held-out sets (``bench/data/{everyday,dialogues}_heldout9_docs.jsonl``).

The sets ask citizens' everyday questions (80 single questions: 8 in English, 12 unanswerable; 12 dialogues of
3 turns, 4 of the 24 follow-ups unanswerable) about 16 documents nobody on the team had read when they were
written (docs/heldout9.md): 10 laws from ``../shared/data/lawrefbook.tar.gz`` that are not in ``corpus/laws``,
not in ``bench/everyday_dev.py`` LAWS, not among the STARD laws (``bench/statute_corpus.py``) and not among the
laws of rounds 6, 7 and 8 (``bench/everyday_heldout6.py``, ``bench/heldout7_docs.py``,
``bench/heldout8_docs.py``), and 6 articles of CMRC2018 *dev* other than the 18 of rounds 6, 7 and 8. No
document text is committed: this script extracts exactly these 16 documents from ``../shared/data`` and
indexes them with the product (``rag.update.update_index``, the code behind ``rag index``). It does not
evaluate, and it has no calibration hook: the sets are for measuring only.

    python bench/heldout9_docs.py build --home /tmp/heldout9_home      # ~1 min on 2 cores
    rag eval bench/data/everyday_heldout9_docs.jsonl --index /tmp/heldout9_home
    rag eval bench/data/dialogues_heldout9_docs.jsonl --index /tmp/heldout9_home
    python bench/heldout9_docs.py check                                  # every gold span is in its document

A single question's ``doc`` field names its document (``law:<archive path>`` or ``cmrc:<CMRC dev id>``); in
the dialogues every turn carries its own ``doc`` (a dialogue may move from one law to another).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, CMRC_DEV, round_script  # noqa: F401,E402  (ARCHIVE, CMRC_DEV: the tests read them here)

#: laws (archive paths): not in corpus/laws, everyday_dev LAWS, the STARD laws or the laws of rounds 6, 7 and 8
LAWS = [
    "lawrefbook/行政法/教师法(2009-08-27).md",
    "lawrefbook/行政法/噪声污染防治法(2021-12-24).md",
    "lawrefbook/行政法规/国有土地上房屋征收与补偿条例(2011-01-21).md",
    "lawrefbook/经济法/广告法(2021-04-29).md",
    "lawrefbook/行政法/禁毒法(2007-12-29).md",
    "lawrefbook/经济法/车船税法(2019-04-23).md",
    "lawrefbook/经济法/契税法(2020-08-11).md",
    "lawrefbook/经济法/价格法(1997-12-29).md",
    "lawrefbook/社会法/慈善法(2023-12-29).md",
    "lawrefbook/社会法/退役军人保障法(2020-11-11).md",
]

#: CMRC2018 dev articles (ids): a carmaker, a sliding puzzle, the f-number, an earthquake, a bird, an old town
CMRC_IDS = ["DEV_152", "DEV_165", "DEV_170", "DEV_171", "DEV_141", "DEV_119"]

DOCS, SETS, documents, write_sources, build, check, main = round_script(9, LAWS, CMRC_IDS, __doc__)


if __name__ == "__main__":
    sys.exit(main())
