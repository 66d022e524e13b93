"""Answers under a law filter: refused when the filter names an unrelated law, kept when it names the right one.

For each development round K (7–12 by default) the everyday law questions of ``everyday_heldoutK_docs.jsonl`` (a
gold document that is a law) are asked over that round's documents index (``bench/heldoutK_docs.py build --home
H``: /tmp/lead/r12/docs/rK) three ways: with no filter, with ``Filters(law=<the gold law>)`` ("right") and with
``Filters(law=<another law of the same index>)`` ("wrong": the next title in sorted order). Each filtered answer is
asked with the restriction gate off (``restricted_depth=0``) and its first passage's rank in the question's
unfiltered top 200 is recorded, so every gate depth N (:mod:`rag.restricted`) is scored from one run: a filtered
answer stands under N when that rank is below N.

    python bench/filter_refusal.py --docs /tmp/lead/r12/docs --rounds 7 8 9 10 11 12 [--out ROWS.jsonl]
    python bench/filter_refusal.py --corpus /tmp/lead/r12/m/corpus --sets bench/data/dialogues_heldout{6..12}_laws.jsonl

The second form asks the first turns of law dialogue sets over the shipped ``corpus/`` (a larger index: 16 law
files), the gold law being the one whose articles hold a gold string.

Prints, per depth: wrong-law answers still given (lower is better), right-law answers right (holding a gold string;
should not fall) and answered, and the depth leave-one-round-out chooses (per held-out round: the smallest depth
whose right-law right answers on the other rounds equal the gate-off ones, i.e. nothing lost). Aggregates only.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.embed import get_embedder
from rag.filters import Filters
from rag.index import open_index
from rag.law_names import resolve_title
from rag.qa import ask
from rag.retrieve import retrieve
from rag.textnorm import search_form

DEPTHS = (5, 10, 20, 30, 50, 100, 200, 10**9)


def _gold_title(titles: list[str], doc: str) -> str:
    stem = re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", Path(doc.split(":", 1)[1]).stem)
    return resolve_title(titles, stem) or ""


def _row(index, emb, q: str, law: str, golds: list[str], ranking: list[str]) -> dict:
    a = ask(index, q, embedder=emb, filters=Filters(law=law), restricted_depth=0)
    cid = a.citations[0].chunk_id if a.citations else ""
    return {"answered": a.answerable, "right": a.answerable and any(g in search_form(c.quote) for g in golds
                                                                    for c in a.citations),
            "rank": ranking.index(cid) if cid in ranking else None}


def run(docs: Path, rounds: list[int]) -> list[dict]:
    out = []
    for k in rounds:
        index = open_index(docs / f"r{k}")
        emb = get_embedder(index.embedder_name)
        titles = sorted({d.title for d in index.documents.values()})
        laws = sorted({t for t in titles if re.search(r"(?:法|条例|规定|办法|解释|细则|决定)$", t)})
        for line in (ROOT / "bench" / "data" / f"everyday_heldout{k}_docs.jsonl").open(encoding="utf-8"):
            item = json.loads(line)
            if not item.get("answerable") or not str(item.get("doc", "")).startswith("law:"):
                continue
            gold = _gold_title(titles, item["doc"])
            if gold not in laws:
                continue
            other = laws[(laws.index(gold) + 1) % len(laws)]
            golds = [search_form(g) for g in item["answers"]]
            ranking = [h.chunk.chunk_id for h in retrieve(index, item["question"], embedder=emb, k=200)]
            plain = ask(index, item["question"], embedder=emb)
            out.append({"round": k, "plain": plain.answerable,
                        "plain_right": plain.answerable and any(g in search_form(c.quote) for g in golds
                                                                for c in plain.citations),
                        "right_law": _row(index, emb, item["question"], gold, golds, ranking),
                        "wrong_law": _row(index, emb, item["question"], other, golds, ranking)})
    return out


def run_corpus(home: Path, sets: list[Path]) -> list[dict]:
    """First turns of law dialogue sets over one index (the shipped ``corpus/``): the gold law is the one law whose
    articles hold a gold string (questions whose gold is in no law, or in several, are skipped)."""
    index = open_index(home)
    emb = get_embedder(index.embedder_name)
    docs = index.documents
    laws = sorted({docs[c.doc_id].title for c in index.chunks if c.article and c.doc_id in docs})
    texts = [(docs[c.doc_id].title, search_form(c.text)) for c in index.chunks if c.article and c.doc_id in docs]
    out = []
    for path in sets:
        for line in path.open(encoding="utf-8"):
            turn = json.loads(line)["turns"][0]
            if not turn.get("answerable"):
                continue
            golds = [search_form(g) for g in turn["answers"]]
            held = {t for t, x in texts if any(g in x for g in golds)}
            if len(held) != 1:
                continue
            gold = held.pop()
            other = laws[(laws.index(gold) + 1) % len(laws)]
            q = turn["question"]
            ranking = [h.chunk.chunk_id for h in retrieve(index, q, embedder=emb, k=200)]
            plain = ask(index, q, embedder=emb)
            out.append({"round": path.stem, "plain": plain.answerable,
                        "plain_right": plain.answerable and any(g in search_form(c.quote) for g in golds
                                                                for c in plain.citations),
                        "right_law": _row(index, emb, q, gold, golds, ranking),
                        "wrong_law": _row(index, emb, q, other, golds, ranking)})
    return out


def score(rows: list[dict], depth: int) -> dict:
    def kept(r):
        return r["answered"] and r["rank"] is not None and r["rank"] < depth
    return {"wrong_answered": sum(kept(r["wrong_law"]) for r in rows),
            "right_right": sum(kept(r["right_law"]) and r["right_law"]["right"] for r in rows),
            "right_answered": sum(kept(r["right_law"]) for r in rows)}


def choose(rows: list[dict]) -> int:
    """The smallest depth that loses no right-law right answer on ``rows`` (gate off: every depth)."""
    full = score(rows, 10**9)["right_right"]
    return next(d for d in DEPTHS if score(rows, d)["right_right"] == full)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=Path, default=Path("/tmp/lead/r12/docs"))
    p.add_argument("--rounds", type=int, nargs="+", default=[7, 8, 9, 10, 11, 12])
    p.add_argument("--rows", type=Path, nargs="+", help="read rows written by --out instead of asking")
    p.add_argument("--corpus", type=Path, help="an index (corpus/) whose law dialogue first turns (--sets) are asked")
    p.add_argument("--sets", type=Path, nargs="*", default=[])
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    rows = [json.loads(x) for f in a.rows for x in f.open()] if a.rows else \
        run_corpus(a.corpus, a.sets) if a.corpus else run(a.docs, a.rounds)
    if a.out:
        a.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} law questions; no filter: answered {sum(r['plain'] for r in rows)}, "
          f"right {sum(r['plain_right'] for r in rows)}")
    print("depth | wrong-law answered | right-law right | right-law answered")
    for d in DEPTHS:
        s = score(rows, d)
        print(f"{'off' if d == 10**9 else d} | {s['wrong_answered']} | {s['right_right']} | {s['right_answered']}")
    held = sorted({r["round"] for r in rows}, key=str)
    total = {"wrong_answered": 0, "right_right": 0, "right_answered": 0}
    off = score(rows, 10**9)
    for k in held:
        d = choose([r for r in rows if r["round"] != k])
        s = score([r for r in rows if r["round"] == k], d)
        total = {x: total[x] + s[x] for x in total}
        print(f"leave out round {k}: depth {d} chosen; held-out round: {s}")
    print(f"leave-one-round-out: {total} (gate off: {off})")


if __name__ == "__main__":
    main()
