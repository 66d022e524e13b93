"""Where the three old readings of "the quote gives money" disagreed, on the sentences a money question retrieves.

Round 10 replaced three readings — the amount check (``rag.asked_quantity``: 多少钱/多少元), the value check
(``rag.asked_value``: 罚多少/赔多少), the follow-up check (``rag.answer_kind``: 多少资金, 多少亿) — by one,
:func:`rag.asked_quantity.gives_money`. This script re-implements the three old readings (as they were at
7c620d8) and, for every money-asking question of the given sets, reads each sentence of its top ``k`` passages
with all four: how often the old ones disagreed among themselves, and how often the new one differs from each.
It does not answer questions (``rag eval`` before/after does; docs/engineering-r10.md).

    python bench/money_readings.py --index /tmp/corpus-index bench/data/everyday_dev.jsonl bench/data/dialogues_dev.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter

from rag.answer_kind import _MONEY_Q
from rag.asked_quantity import (
    BETWEEN,
    MONEY_UNITS,
    asked_units,
    gives_money,
    number_then,
)
from rag.asked_value import asked_kind
from rag.chunk import split_sentences
from rag.embed import get_embedder
from rag.index import open_index
from rag.number_search import number_span, run_start
from rag.retrieve import retrieve
from rag.textnorm import search_form, to_simplified

_NORMALISE = str.maketrans("０１２３４５６７８９，．％＄￥", "0123456789,.%$¥")
_OLD_AK_AFTER = re.compile(r"\s*(?:(?:多|余)\s*)?[万亿元]")
_OLD_AK_REST = re.compile(run_start("一二三四五六七八九十百千两数几") + r"(?:多|余)?[万亿]元?")
_OLD_AQ_UNITS = BETWEEN + "(?:元|块|万元|亿元|美元|港元|港币|角|欧元|日元|英镑|%|倍)"
_OLD_AV_UNITS = BETWEEN + r"(?:元|块|美元|港元|港币|欧元|日元|英镑|倍)"
_OLD_AV_PLAIN = re.compile(r"百分之|[0-9]\s*[%％]|[$¥＄￥]\s*[0-9]")


def old_readings(text: str) -> dict[str, bool]:
    """The three readings as they were before round 10."""
    ak = number_span(_TITLES.sub("", search_form(text)), _OLD_AK_AFTER, _OLD_AK_REST) is not None
    t = to_simplified(text).translate(_NORMALISE)
    aq = number_then(_OLD_AQ_UNITS, t) or re.search(r"[$¥]\s*[0-9]|百分之", t) is not None
    s = to_simplified(text)
    av = number_then(_OLD_AV_UNITS, s) or _OLD_AV_PLAIN.search(s) is not None
    return {"answer_kind": ak, "asked_quantity": bool(aq), "asked_value": bool(av)}


_TITLES = re.compile(r"《[^《》]{1,80}》")


def asks_money(q: str) -> bool:
    return bool(_MONEY_Q.search(q)) or any(u in MONEY_UNITS for u in asked_units(q)) or asked_kind(q) == "money"


def questions(path: str) -> list[str]:
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out += [t["question"] for t in r["turns"]] if "turns" in r else [r["question"]]
    return [q for q in out if asks_money(q)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sets", nargs="+")
    ap.add_argument("--index", required=True)
    ap.add_argument("-k", type=int, default=5)
    ap.add_argument("--show", type=int, default=0, help="print up to N disagreeing sentences")
    a = ap.parse_args()
    index = open_index(a.index)
    emb = get_embedder(index.embedder_name)
    tally: Counter = Counter()
    shown = 0
    for path in a.sets:
        for q in questions(path):
            tally["questions"] += 1
            for h in retrieve(index, q, embedder=emb, k=a.k):
                for s, e in split_sentences(h.chunk.text):
                    sent = h.chunk.text[s:e]
                    old, new = old_readings(sent), gives_money(sent)
                    tally["sentences"] += 1
                    tally["old readings disagree"] += len(set(old.values())) > 1
                    for name, v in old.items():
                        tally[f"new ≠ {name}"] += v != new
                    if len(set(old.values())) > 1 and shown < a.show:
                        shown += 1
                        print(f"{q} | {sent[:80]} | old {old} new {new}")
    for key, n in tally.items():
        print(f"{key:28} {n}")


if __name__ == "__main__":
    main()
