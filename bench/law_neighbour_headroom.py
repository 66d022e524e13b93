"""Is a missed gold article *near* a top hit? Headroom of structural neighbours on STARD tune (round 18, issue 10).

Reads ``bench/law_neighbour_rows.py``'s rows (tune questions through their fold's adapter, 31-law index). For the
questions whose gold article is not in the top 10 it counts how often a gold article is a structural neighbour of
one of the top-3 hits — same document and article number within ±k, or same document and 编/章/节 path — and,
so the count can be judged, how large that neighbour pool is and how often its members are gold (precision),
against the plain ranking's next ten (ranks 11–20). Analysis only; nothing is fitted.

    python bench/law_neighbour_headroom.py --home H31 --rows rows.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

_LABEL = re.compile(r"第([^条]+)条(?:之([一二三四五六七八九十]))?")


def article_no(label: str) -> float | None:
    """``第五十四条`` → 54.0, ``第一千零六十四条之一`` → 1064.1; None when not an article label."""
    from rag.lookup import article_number
    m = _LABEL.fullmatch(label or "")
    if not m or (n := article_number(m.group(1))) is None:
        return None
    return n + (0.1 * "一二三四五六七八九十".index(m.group(2)) + 0.1 if m.group(2) else 0.0)


def article_keys(chunks) -> list[tuple[str, str]]:
    """Per index row, its article's identity ``(doc_id, article label)`` (a long article's parts share it)."""
    return [(c.doc_id, c.article or c.chunk_id) for c in chunks]


def neighbours(top: list[int], chunks, nos: list[float | None], *, k: int | None, same_section: bool) -> set[int]:
    """Rows next to any row of ``top``: same document and article number within ±``k`` (other article), and/or
    (``same_section``) same document and the same non-empty section path."""
    out: set[int] = set()
    for t in top:
        ct, nt = chunks[t], nos[t]
        for j, c in enumerate(chunks):
            if c.doc_id != ct.doc_id or c.article == ct.article:
                continue
            near = k is not None and nt is not None and nos[j] is not None and abs(nos[j] - nt) <= k
            sect = same_section and c.section and c.section == ct.section
            if near or sect:
                out.add(j)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--rows", required=True, type=Path)
    ap.add_argument("--top", type=int, default=3, help="neighbours of the top N hits")
    a = ap.parse_args()
    from rag.qa import Searcher
    chunks = Searcher(a.home).index().chunks
    nos = [article_no(c.article) for c in chunks]
    keys = article_keys(chunks)
    rows = [json.loads(x) for x in a.rows.read_text(encoding="utf-8").splitlines() if x.strip()]
    rank_hist = Counter()
    kinds = [("±1", 1, False), ("±2", 2, False), ("±3", 3, False), ("±5", 5, False), ("same section", None, True),
             ("±3 or section", 3, True)]
    found = Counter()
    pool = Counter()
    pool_gold = Counter()
    next10_gold = next10_n = 0
    misses = 0
    for r in rows:
        ranked = [h[0] for h in r["hits"]]
        gold_keys = {keys[g] for g in r["gold"]}
        if not gold_keys:
            continue
        rank = next((i + 1 for i, row in enumerate(ranked) if keys[row] in gold_keys), None)
        rank_hist["1" if rank == 1 else "2-5" if rank and rank <= 5 else "6-10" if rank and rank <= 10 else
                  "11-20" if rank and rank <= 20 else "21-100" if rank else ">100"] += 1
        if rank and rank <= 10:
            continue
        misses += 1
        top10 = {keys[x] for x in ranked[:10]}
        for name, k, sect in kinds:
            cand = {keys[j] for j in neighbours(ranked[:a.top], chunks, nos, k=k, same_section=sect)} - top10
            pool[name] += len(cand)
            pool_gold[name] += len(cand & gold_keys)
            found[name] += bool(cand & gold_keys)
        nxt = {keys[x] for x in ranked[10:20]} - top10
        next10_n += len(nxt)
        next10_gold += len(nxt & gold_keys)
        found["ranks 11-20"] += bool(nxt & gold_keys)
    print(f"questions {sum(rank_hist.values())}; gold rank: " +
          ", ".join(f"{b} {rank_hist[b]}" for b in ("1", "2-5", "6-10", "11-20", "21-100", ">100")))
    print(f"gold not in top 10: {misses}")
    print(f"| pool (outside top 10) | misses with a gold in it | mean pool size | gold share of pool |")
    print("|---|---|---|---|")
    for name, _, _ in kinds:
        print(f"| neighbours of top {a.top}, {name} | {found[name]} ({found[name] / max(misses, 1):.3f}) | "
              f"{pool[name] / max(misses, 1):.1f} | {pool_gold[name] / max(pool[name], 1):.3f} |")
    print(f"| ranks 11-20 of the ranking | {found['ranks 11-20']} ({found['ranks 11-20'] / max(misses, 1):.3f}) | "
          f"{next10_n / max(misses, 1):.1f} | {next10_gold / max(next10_n, 1):.3f} |")


if __name__ == "__main__":
    main()
