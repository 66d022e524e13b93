"""Leave-one-round-out choice of a follow-up retrieval fusion, on the rows of ``bench/followup_retrieval.py``.

A follow-up's candidates are fused as

    fused(x) = searched(x) / top + w_prev · previous(x) / top + w_cited · [x was cited by the previous answer]

(``searched``: the standalone question as searched today; ``previous``: the previous standalone question + the
follow-up, mixed query vector; missing from a list = 0). For each round held out, the (w_prev, w_cited) of the grid
with the best mean gold@1 (ties: gold@5, then the smaller weights) on the other rounds is applied to it. Rounds are
read from the file names (``rag.dialogue`` sets of rounds <= 10 only: development data). Fits nothing else.

    python bench/followup_fusion_cv.py /tmp/h2/fr_*.jsonl
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import sys
from pathlib import Path

W_PREV = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
W_CITED = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)


def round_of(name: str) -> str:
    m = re.search(r"heldout(\d*)", name)
    return "r1-4" if not m else f"r{m.group(1) or 5}"


def _norm(cands: list) -> dict[str, float]:
    top = max((max(s, 0.0) for _, s, _ in cands), default=0.0) or 1.0
    return {cid: max(s, 0.0) / top for cid, s, _ in cands}


def gold_rank(r: dict, w_prev: float, w_cited: float, k: int = 5, inside: bool = False) -> int | None:
    a, c = _norm(r["cands_searched"]), _norm(r.get("cands_previous") or [])
    gold = {cid for cid, _, g in r["cands_searched"] + (r.get("cands_previous") or []) if g}
    cited = set(r.get("cited_ids") or [])
    if inside:  # the prior only for a cited passage the follow-up's own candidates hold (no extra search)
        cited &= set(a)
    if r.get("cited_gold") and len(cited) == 1:
        gold |= cited
    ids = set(a) | (set(c) if w_prev else set()) | (cited if w_cited else set())
    score = {x: a.get(x, 0.0) + w_prev * c.get(x, 0.0) + w_cited * (x in cited) for x in ids}
    order = sorted(ids, key=lambda x: (-score[x], x))[:k]
    return next((i for i, x in enumerate(order, 1) if x in gold), None)


def metrics(rows: list[dict], w_prev: float, w_cited: float, inside: bool = False) -> tuple[float, float]:
    ranks = [gold_rank(r, w_prev, w_cited, inside=inside) for r in rows]
    n = len(ranks) or 1
    return sum(x == 1 for x in ranks) / n, sum(x is not None for x in ranks) / n


def choose(rows: list[dict], inside: bool = False, w_prev=W_PREV) -> tuple[float, float]:
    grid = list(itertools.product(w_prev, W_CITED))
    return max(grid, key=lambda w: (*metrics(rows, *w, inside=inside), -w[0] - w[1]))


def main() -> None:
    inside = "--inside" in sys.argv  # the free variant: no second search, prior only inside the own candidates
    w_prev = (0.0,) if inside else W_PREV
    rows = [json.loads(x) for p in sys.argv[1:] if not p.startswith("--")
            for x in Path(p).read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if r["answerable"] and r.get("cands_searched")]
    by_round = collections.defaultdict(list)
    for r in rows:
        by_round[round_of(r["file"])].append(r)
    print("| held-out round | follow-ups | chosen (w_prev, w_cited) | gold@1 base → fused | gold@5 base → fused |")
    print("|---|---|---|---|---|")
    tot = collections.Counter()
    for ro in sorted(by_round):
        train = [r for r in rows if round_of(r["file"]) != ro]
        w = choose(train, inside, w_prev)
        test = by_round[ro]
        b1, b5 = metrics(test, 0.0, 0.0)
        f1, f5 = metrics(test, *w, inside=inside)
        n = len(test)
        tot.update(n=n, b1=b1 * n, b5=b5 * n, f1=f1 * n, f5=f5 * n)
        print(f"| {ro} | {n} | {w} | {b1:.3f} → {f1:.3f} | {b5:.3f} → {f5:.3f} |")
    n = tot["n"]
    print(f"| pooled (LORO) | {n} | | {tot['b1'] / n:.3f} → {tot['f1'] / n:.3f} | {tot['b5'] / n:.3f} → "
          f"{tot['f5'] / n:.3f} |")
    w = choose(rows, inside, w_prev)
    print(f"all rounds: chosen {w}")
    for kind in ("sample", "corpus", "laws", "docs"):
        sub = [r for r in rows if kind in r["file"]]
        if sub:
            print(kind, len(sub), "base", metrics(sub, 0, 0), "chosen-all", metrics(sub, *w, inside=inside))


if __name__ == "__main__":
    main()
