"""Is a missed gold article *near* a top hit? Headroom of structural neighbours on STARD tune (round 18, issue 10).

Reads ``bench/law_neighbour_rows.py``'s rows (tune questions through their fold's adapter, 31-law index). For the
questions whose gold article is not in the top 10 it counts how often a gold article is a structural neighbour of
one of the top-3 hits — same document and article number within ±k, or same document and 编/章/节 path — and,
so the count can be judged, how large that neighbour pool is and how often its members are gold (precision),
against the plain ranking's next ten (ranks 11–20). Analysis only; nothing is fitted.

``--more`` adds the follow-up tables: the gold share of candidates by rank bucket and by their place relative to the
top 3 (±3 neighbour / same section / same law / other law); the same for articles of a general part (a section path
holding 通则/总则/一般规定); articles that a top hit cites by number (本法第X条, same law); and, for the quote, the
±1 neighbours of a wrong top hit against the ranking's ranks 2–3.

    python bench/law_neighbour_headroom.py --home H31 --rows rows.jsonl [--more]
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


BUCKETS = ("1", "2-5", "6-10", "11-20", "21-50", "51-100")
_GENERAL = re.compile(r"通则|总则|一般规定")
_REF = re.compile(r"第([零一二三四五六七八九十百千]+)条")


def bucket(i: int) -> str:
    """Rank bucket of a 0-based position."""
    return next(b for b, hi in zip(BUCKETS, (1, 5, 10, 20, 50, 10**9)) if i < hi)


def distinct(ranked: list[int], keys) -> list[int]:
    """``ranked`` with only the first row of each article."""
    seen, out = set(), []
    for r in ranked:
        if keys[r] not in seen:
            seen.add(keys[r])
            out.append(r)
    return out


def more(rows: list[dict], chunks, nos, keys, titles: list[str]) -> None:
    """The follow-up tables of ``--more`` (see the module docstring)."""
    from rag.lookup import article_number
    by_no: dict = {}
    for j, c in enumerate(chunks):
        by_no.setdefault((titles[j], nos[j]), []).append(j)
    place_n, place_g, gen_n, gen_g = Counter(), Counter(), Counter(), Counter()
    cite_found = cite_pool = cite_gold = misses = 0
    wrong_top = rank23 = nb1 = 0
    for r in rows:
        gk = {keys[g] for g in r["gold"]}
        if not gk:
            continue
        ranked = distinct([h[0] for h in r["hits"]], keys)
        top3 = ranked[:3]
        for i, row in enumerate(ranked):
            if i >= 3:
                near = any(chunks[t].doc_id == chunks[row].doc_id and nos[t] is not None and nos[row] is not None
                           and abs(nos[t] - nos[row]) <= 3 for t in top3)
                sect = any(chunks[t].doc_id == chunks[row].doc_id and chunks[row].section
                           and chunks[t].section == chunks[row].section for t in top3)
                law = any(chunks[t].doc_id == chunks[row].doc_id for t in top3)
                place = "±3" if near else "section" if sect else "same law" if law else "other law"
                place_n[(bucket(i), place)] += 1
                place_g[(bucket(i), place)] += keys[row] in gk
            gen = ("general" if _GENERAL.search(chunks[row].section) else "specific") + \
                  (" / top general" if _GENERAL.search(chunks[ranked[0]].section) else " / top specific")
            gen_n[(bucket(i), gen)] += 1
            gen_g[(bucket(i), gen)] += keys[row] in gk
        top10 = {keys[x] for x in ranked[:10]}
        if not gk & top10:
            misses += 1
            cited = {keys[j] for t in top3 for m in _REF.finditer(chunks[t].text) if m.start() > 0
                     for j in by_no.get((titles[t], float(article_number(m.group(1)) or -1)), [])} - top10
            cite_pool += len(cited)
            cite_gold += len(cited & gk)
            cite_found += bool(cited & gk)
        t = ranked[0]
        if keys[t] not in gk:
            wrong_top += 1
            rank23 += any(keys[x] in gk for x in ranked[1:3])
            nb1 += any(keys[j] in gk for j in range(len(chunks)) if chunks[j].doc_id == chunks[t].doc_id
                       and keys[j] != keys[t] and nos[j] is not None and nos[t] is not None
                       and abs(nos[j] - nos[t]) <= 1)
    print("\n| rank bucket | " + " | ".join(("±3", "section", "same law", "other law")) + " |")
    print("|---|---|---|---|---|")
    for b in BUCKETS[2:]:
        print(f"| {b} | " + " | ".join(f"{place_g[(b, p)]}/{place_n[(b, p)]} = {place_g[(b, p)] / max(place_n[(b, p)], 1):.3f}"
                                         for p in ("±3", "section", "same law", "other law")) + " |")
    cols = ("general / top specific", "specific / top specific", "general / top general", "specific / top general")
    print("\n| rank bucket | " + " | ".join(cols) + " |")
    print("|---|---|---|---|---|")
    for b in BUCKETS:
        print(f"| {b} | " + " | ".join(f"{gen_g[(b, p)]}/{gen_n[(b, p)]} = {gen_g[(b, p)] / max(gen_n[(b, p)], 1):.3f}"
                                         for p in cols) + " |")
    print(f"\ncited by a top-3 hit (same law, outside the top 10): {cite_found} of {misses} misses; "
          f"pool {cite_pool / max(misses, 1):.2f} a miss, {cite_gold / max(cite_pool, 1):.3f} gold")
    print(f"top hit not gold: {wrong_top}; a gold at rank 2-3: {rank23}; a gold ±1 article of the top hit: {nb1}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--rows", required=True, type=Path)
    ap.add_argument("--top", type=int, default=3, help="neighbours of the top N hits")
    ap.add_argument("--more", action="store_true", help="also the follow-up tables")
    a = ap.parse_args()
    from rag.qa import Searcher
    index = Searcher(a.home).index()
    chunks = index.chunks
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
    if a.more:
        more(rows, chunks, nos, keys, [index.documents[c.doc_id].title for c in chunks])


if __name__ == "__main__":
    main()
