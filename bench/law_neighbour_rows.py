"""Ranked rows of STARD tune on the 31-law index, each question through its fold's adapter (round 18, issue 10).

For every tune question (``bench/statute_corpus.py``'s ``stard_tune.jsonl``) ``rag.retrieve.retrieve`` (the product
path) is asked for the top ``--depth`` hits with the query adapter of the question's fold (``--crossfit``:
``bench/stard_crossfit.py``'s ``folds.json``, 4 folds grouped by gold article, each adapter fitted on the other
three). Written per question: the ranked rows with their fused / dense / BM25 scores and the index rows that hold a
gold answer sentence (over the whole index, so a gold below the depth is still known). Nothing is fitted here;
``bench/law_neighbour_headroom.py`` and ``bench/law_neighbour_cv.py`` read the file.

    python bench/law_neighbour_rows.py --home H31 --tune T.jsonl --crossfit FOLDS.json --out rows.jsonl

``--dev-law`` asks instead the answerable development law questions of ``bench/law_first_turns.py`` (first turns of
the law dialogues and the everyday law questions, rounds <= 15) of ``--home`` (an index of ``corpus/``) with the
default configuration; their ``fold`` is their source set.

    python bench/law_neighbour_rows.py --home /tmp/h2/corpus --dev-law --out rows_corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def gold_rows(texts: list[str], golds: list[str]) -> list[int]:
    """Index rows whose search-form text holds one of ``golds`` (search-form answer sentences)."""
    return [i for i, t in enumerate(texts) if any(g in t for g in golds)]


def dev_law_items(index) -> list[tuple[str, object]]:
    """``(source, item)`` of the answerable development law questions ``bench/law_first_turns.py`` asks."""
    from law_first_turns import dev_sets, items_of
    folded: dict = {}
    return [(src, it) for src, path in dev_sets() for it in items_of(index, src, path, folded)
            if it.answerable and it.answers]


def collect(home: str, tune: str | None, crossfit: dict | None, depth: int, out: Path) -> int:
    """Write one JSON line per question (tune, or with ``tune=None`` the development law questions); resumes by
    question id. Returns the number of lines."""
    import dataclasses

    from mixed_law_dev import load_items

    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.textnorm import normalize, search_form

    s = Searcher(home)
    index, emb = s.index(), s.embedder
    texts = [search_form(c.text) for c in index.chunks]
    row_of = {c.chunk_id: i for i, c in enumerate(index.chunks)}
    done = set()
    if out.exists():
        done = {json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines() if x.strip()}
    if tune is None:
        items, fold_of = [], {}
        for src, it in dev_law_items(index):
            items.append(it)
            fold_of[str(it.qid)] = src
    else:
        items = [it for it in load_items(tune) if str(it.qid) in crossfit["folds"]]
    t0, n = time.time(), len(done)
    with out.open("a", encoding="utf-8") as fh:
        for it in items:
            if str(it.qid) in done:
                continue
            if tune is None:
                fold, cfg = fold_of[str(it.qid)], RetrieveConfig()
            else:
                fold = crossfit["folds"][str(it.qid)]
                cfg = dataclasses.replace(RetrieveConfig(), adapter=crossfit["paths"][fold])
            t1 = time.perf_counter()
            hits = retrieve(index, it.question, embedder=emb, k=depth, config=cfg)
            ms = (time.perf_counter() - t1) * 1000
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            rec = {"id": str(it.qid), "fold": fold, "q": it.question, "ms": round(ms, 2),
                   "gold": gold_rows(texts, golds),
                   "hits": [[row_of[h.chunk.chunk_id], round(h.score, 6),
                             None if h.dense is None else round(h.dense, 6),
                             None if h.bm25 is None else round(h.bm25, 6)] for h in hits]}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
            if n % 50 == 0:
                print(f"  {n}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--tune")
    ap.add_argument("--crossfit")
    ap.add_argument("--dev-law", action="store_true", help="the development law questions instead of STARD tune")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--depth", type=int, default=100)
    a = ap.parse_args()
    if a.dev_law:
        print(collect(a.home, None, None, a.depth, a.out), "rows in", a.out)
        return
    if not (a.tune and a.crossfit):
        ap.error("--tune and --crossfit are needed unless --dev-law")
    cf = json.loads(Path(a.crossfit).read_text())
    print(collect(a.home, a.tune, cf, a.depth, a.out), "rows in", a.out)


if __name__ == "__main__":
    main()
