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

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, DocSet

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CMRC_DEV = DATA / "cmrc2018" / "cmrc2018_dev.json"
SETS = (ROOT / "bench" / "data" / "everyday_heldout8_docs.jsonl",
        ROOT / "bench" / "data" / "dialogues_heldout8_docs.jsonl")

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

DOCS = DocSet(tuple(LAWS), CMRC_DEV, tuple(CMRC_IDS))

documents, write_sources, build = DOCS.documents, DOCS.write_sources, DOCS.build  # see bench/doc_sets.py


def _units(path: Path):
    """``(where, row_or_turn)`` for each single question, or each dialogue turn, of the set at ``path``."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            r = json.loads(line)
            for j, t in enumerate(r.get("turns", [r]), 1):
                yield f"{path.name} line {i} ({r.get('id')}{f' turn {j}' if 'turns' in r else ''})", t


def check(paths: tuple[Path, ...] = SETS) -> list[str]:
    """Problems of the sets: unknown documents, answerable/answers mismatches, gold spans not in their document."""
    docs, problems = documents(), []
    for path in paths:
        for where, t in _units(path):
            if t.get("doc") not in docs:
                problems.append(f"{where}: unknown doc {t.get('doc')!r}")
                continue
            if t["answerable"] is not bool(t["answers"]):
                problems.append(f"{where}: answerable must match a non-empty answers list")
            problems += [f"{where}: {a!r} not in {t['doc']}" for a in t["answers"] if a not in docs[t["doc"]]]
    return problems


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("build", help="extract the 16 documents and index them").add_argument(
        "--home", required=True, type=Path)
    sub.add_parser("check", help="check the gold spans of both document-held-out sets")
    sub.add_parser("dump", help="write the documents as files (for reading)").add_argument("folder", type=Path)
    a = ap.parse_args(argv)
    if not DOCS.available():
        print(f"needs {ARCHIVE} and {CMRC_DEV}", file=sys.stderr)
        return 2
    if a.cmd == "build":
        build(a.home)
    elif a.cmd == "dump":
        print("\n".join(map(str, write_sources(a.folder))))
    else:
        problems = check()
        print("\n".join(problems) or "every gold span of both sets occurs in its document")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
