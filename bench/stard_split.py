"""The one STARD split every script uses: tune vs report, grouped by question AND by gold article.

A question goes to the *report* fold when the hash of its first gold article name (sorted) falls in
bucket 0 of 4; any *tune* question that shares a gold article with a report question is dropped from
tune, so no question and no statute article is on both sides. Use ``tune`` for anything chosen by
looking at data (weights, thresholds, thesaurus, calibration) and ``report`` for the numbers we publish.

    from stard_split import load_split
    tune, report = load_split()          # lists of the raw STARD records
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "stard" / "stard_queries_dev.json"


def _bucket(name: str, buckets: int = 4) -> int:
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest(), 16) % buckets


def split(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """``(tune, report)`` grouped by gold article; see the module docstring."""
    report = [r for r in records if r.get("match_name") and _bucket(sorted(r["match_name"])[0]) == 0]
    report_articles = {a for r in report for a in r["match_name"]}
    tune = [r for r in records if r.get("match_name") and r not in report
            and not (set(r["match_name"]) & report_articles)]
    return tune, report


def load_split(path: str | Path = DEFAULT) -> tuple[list[dict], list[dict]]:
    return split(json.loads(Path(path).read_text(encoding="utf-8")))


if __name__ == "__main__":
    t, r = load_split()
    print(f"tune {len(t)} questions, report {len(r)} questions")


def components(golds: list[set[int]]) -> list[int]:
    """Union-find root per question: questions sharing a gold article (corpus row) are one group."""
    parent = list(range(len(golds)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i
    owner: dict[int, int] = {}
    for i, g in enumerate(golds):
        for r in g:
            if r in owner:
                parent[find(i)] = find(owner[r])
            else:
                owner[r] = i
    return [find(i) for i in range(len(golds))]
