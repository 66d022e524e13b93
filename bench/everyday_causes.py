"""Why are fair everyday questions refused or misquoted? Count each cause per set (issue 9, round 9).

For every answerable question of a JSONL set asked of an index (as ``rag eval`` does):

- ``ok``: the quote contains a gold answer;
- ``refusal``: refused, but with every refusal threshold off the quote would contain it (the model was wrong);
- ``check``: refused by a rule (near miss, amount, place) although the thresholds-off quote is right;
- ``sentence``: the gold passage is ranked first but another sentence of it (or of another passage) is quoted;
- ``rank2_5``: the gold passage is in the top 5, not first;
- ``retrieval``: no gold passage in the top 5.

Each row also says the path (``law``: the first hit is a statute article, else ``general``) and whether the
question is English. With ``--show`` the misses are printed with the quote and, for ``sentence``, the selector's
rank of the first gold sentence among the candidates. Development sets only (never the held-out ones).

    python bench/everyday_causes.py --set bench/data/everyday_heldout8.jsonl:/tmp/lead/r6/m/corpus --show
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter

import rag.answer as A
import rag.statute_answer as S
from rag.eval_data import load_dataset
from rag.evaluate import score_answer
from rag.qa import Searcher
from rag.retrieve import retrieve
from rag.select import cjk_share, load_models, candidates
from rag.statute_answer import is_article
from rag.textnorm import normalize, search_form

_OFF = {"on": False}
_lm, _ls = A.load_models, S.load_statute_models


def _no_threshold(m):
    if not _OFF["on"] or m is None:
        return m
    m = copy.copy(m)
    r = copy.copy(m.refusal)
    object.__setattr__(r, "threshold", -1.0)
    object.__setattr__(m, "refusal", r)
    return m


A.load_models = lambda *a, **k: _no_threshold(_lm(*a, **k))
S.load_statute_models = lambda *a, **k: _no_threshold(_ls(*a, **k))


def _gold_in(golds: list[str], text: str) -> bool:
    t = search_form(text)
    return any(g in t for g in golds)


def classify(searcher: Searcher, item) -> dict:
    golds = [search_form(normalize(a)[0]) for a in item.answers]
    _OFF["on"] = False
    a = searcher.ask(item.question)
    _OFF["on"] = True
    b = searcher.ask(item.question)
    _OFF["on"] = False
    index = searcher.index()
    hits = retrieve(index, item.question, embedder=searcher.embedder, k=5)
    gold_rank = next((i + 1 for i, h in enumerate(hits) if _gold_in(golds, h.chunk.text)), None)
    sa, sb = score_answer(item, a), score_answer(item, b)
    if sa["quote_hit"]:
        cause = "ok"
    elif sa["refused"] and sb["quote_hit"]:
        cause = "refusal"
    elif gold_rank == 1:
        cause = "sentence"
    elif gold_rank:
        cause = "rank2_5"
    else:
        cause = "retrieval"
    if cause == "refusal" and b.answerable and a.confidence >= _threshold(searcher, hits):
        cause = "check"
    row = {"id": item.qid, "q": item.question, "cause": cause, "law": bool(hits) and is_article(hits[0]),
           "english": cjk_share(item.question) < 0.3, "refused": sa["refused"], "gold_rank": gold_rank,
           "quote": (b.answer if cause != "ok" else a.answer)[:120], "gold": item.answers[:1]}
    if cause == "sentence" and not row["law"]:
        row["gold_sentence_rank"] = _gold_sentence_rank(searcher, item.question, hits, golds)
    return row


def _threshold(searcher: Searcher, hits) -> float:
    """The refusal threshold of the path the question takes (general dense or statute)."""
    idx = searcher.index()
    fp = idx.manifest["embedder"].get("fingerprint")
    if hits and is_article(hits[0]):
        m = _ls(fingerprint=fp, dense=True, adapted=bool(getattr(hits[0], "adapted", False)))
        return m.refusal.threshold if m else 0.0
    return _lm(fingerprint=fp, dense=True).refusal.threshold


def _gold_sentence_rank(searcher: Searcher, question: str, hits, golds) -> int | None:
    idx = searcher.index()
    fp = idx.manifest["embedder"].get("fingerprint")
    cands = candidates(question, hits, idf=idx.keyword.idf, query_vector=searcher.embedder.embed_queries([question])[0],
                       vectors=idx.sentences, models=_lm(fingerprint=fp, dense=True))
    return next((i + 1 for i, c in enumerate(cands) if _gold_in(golds, c.sentence.text)), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", required=True, help="FILE:HOME (repeatable)")
    ap.add_argument("--show", action="store_true", help="print every miss")
    ap.add_argument("--out", help="write the per-question rows (JSONL)")
    args = ap.parse_args(argv)
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    for spec in args.set:
        path, home = spec.rsplit(":", 1)
        items = [i for i in load_dataset(path)[1] if i.answerable]
        searcher = Searcher(home)
        rows = [classify(searcher, it) for it in items]
        counts = Counter((r["cause"], "law" if r["law"] else "en" if r["english"] else "gen") for r in rows)
        print(f"== {path} ({len(rows)} answerable)")
        for cause in ("ok", "refusal", "check", "sentence", "rank2_5", "retrieval"):
            by = {p: counts[(cause, p)] for p in ("gen", "law", "en")}
            print(f"  {cause:10s} {sum(by.values()):3d}   general {by['gen']:3d}  law {by['law']:3d}  english {by['en']:3d}")
        for r in rows:
            if out:
                out.write(json.dumps({"set": path, **r}, ensure_ascii=False) + "\n")
            if args.show and r["cause"] != "ok":
                print("   ", json.dumps(r, ensure_ascii=False))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
