"""Leave-one-round-out choice of two refusal shifts for law questions on mixed indexes (issue 9, round 14).

The round-14 diagnosis (``bench/everyday_causes.py --detail``, docs/answers.md "Round 14") found fair law questions
refused although the thresholds-off quote holds the answer, by the statute refusal model or by the law-slot guard
(:func:`rag.qa._unless_general_refuses`). This script records, per question of each development set (answerable and
unanswerable), what decides the refusal — the first answer's probability and threshold (statute or general path),
the guard's (the general ranking's answer; only where a law slot was refilled) — and the thresholds-off answer, then
replays the decision for every shift pair (δs off the statute threshold, δg off the guard's) and chooses the pair per
left-out round on the other rounds (the keep rule in docs/answers.md, written before the run).

    python bench/everyday_shift_loro.py gather --set FILE:HOME … --vectors /tmp/qv.pkl --out rows.jsonl
    python bench/everyday_shift_loro.py loro rows.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import everyday_causes as E

from rag.eval_data import load_dataset
from rag.evaluate import score_answer
from rag.qa import Searcher
from rag.retrieve import clean_question, retrieve
from rag.statute_answer import is_article

SHIFTS = (0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15)
OFF = 9.0  # "guard off": no probability is below its threshold minus this


def round_of(path: str) -> str:
    """``dev``, ``5`` (everyday_heldout.jsonl) or the round number of ``everyday_heldoutK[_docs].jsonl``."""
    name = Path(path).name
    if name.startswith("everyday_dev"):
        return "dev"
    m = re.match(r"everyday_heldout(\d*)", name)
    return m.group(1) or "5"


def _decision(searcher: Searcher, hits, q: str) -> dict:
    """The first answer's and the guard's probability and threshold (thresholds on)."""
    import rag.answer as A

    index = searcher.index()
    fp = index.manifest["embedder"].get("fingerprint")
    qv = searcher.embedder.embed_queries([q])[0]
    first = A.build_answer(q, hits, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences, fingerprint=fp)
    out = {"p1": first.confidence or 0.0, "t1": E._threshold(searcher, hits, q), "exact": bool(hits and hits[0].exact),
           "path": "statute" if hits and is_article(hits[0]) else "general", "guard": False}
    if any(h.general is not None for h in hits):
        general = [h.general or h for h in hits]
        g = A.build_answer(q, general, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences,
                           fingerprint=fp)
        out.update(guard=True, pg=g.confidence or 0.0, tg=E._threshold(searcher, general, q))
    return out


def record(searcher: Searcher, item, path: str = "") -> dict:
    """One question's replay row: the current answer (``a_*``), the thresholds-off answer (``b_*``) and
    :func:`_decision`'s probabilities and thresholds."""
    E.install()
    q = clean_question(item.question)
    hits = retrieve(searcher.index(), q, embedder=searcher.embedder, k=5)
    E._OFF["on"] = False
    a = searcher.ask(item.question)
    E._OFF["on"] = True
    try:
        b = searcher.ask(item.question)
    finally:
        E._OFF["on"] = False
    sa, sb = score_answer(item, a), score_answer(item, b)
    return {"set": path, "round": round_of(path) if path else "", "id": item.qid, "answerable": item.answerable,
            "a_refused": not a.answerable, "a_right": bool(sa.get("quote_hit")),
            "b_refused": not b.answerable, "b_right": bool(sb.get("quote_hit")), **_decision(searcher, hits, q)}


def gather(sets: list[str], vectors: str | None, out_path: str) -> None:
    with open(out_path, "w", encoding="utf-8") as out:
        for spec in sets:
            path, home = spec.rsplit(":", 1)
            searcher = Searcher(home, embedder=E._memo(home, vectors))
            for item in load_dataset(path)[1]:
                out.write(json.dumps(record(searcher, item, path), ensure_ascii=False) + "\n")
            if vectors:
                searcher.embedder.save()
            print("gathered", path, flush=True)


def refused(r: dict, ds: float, dg: float) -> bool:
    """The replayed decision: refused by a check (thresholds off), by the first answer's threshold (statute path
    shifted by ``ds``; an article named by law and number is never refused there), or by the guard (shifted by ``dg``)."""
    if r["b_refused"]:
        return True
    shift = ds if r["path"] == "statute" else 0.0
    if not r["exact"] and r["p1"] < r["t1"] - shift:
        return True
    return r["guard"] and r["pg"] < r["tg"] - dg


def score(rows: list[dict], ds: float, dg: float) -> dict:
    s = {"right": 0, "ans_refused": 0, "wrong": 0, "un_refused": 0, "answerable": 0, "unanswerable": 0}
    for r in rows:
        ref = refused(r, ds, dg)
        if r["answerable"]:
            s["answerable"] += 1
            s["ans_refused"] += ref
            s["right"] += (not ref) and r["b_right"]
            s["wrong"] += (not ref) and not r["b_right"]
        else:
            s["unanswerable"] += 1
            s["un_refused"] += ref
    s["net"] = s["right"] + s["un_refused"]
    return s


def choose(rows: list[dict]) -> tuple[float, float]:
    """The rule: the largest net right over ``rows`` with unanswerable refused not lower than the current code's by
    more than one; ties → the smaller shifts."""
    base = score(rows, 0.0, 0.0)
    best, pick = None, (0.0, 0.0)
    for ds in SHIFTS:
        for dg in SHIFTS + (OFF,):
            s = score(rows, ds, dg)
            if s["un_refused"] < base["un_refused"] - 1:
                continue
            key = (s["net"], -(ds + min(dg, 1.0)))
            if best is None or key > best:
                best, pick = key, (ds, dg)
    return pick


def loro(path: str) -> int:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    mism = sum(refused(r, 0.0, 0.0) != r["a_refused"] for r in rows)
    print(f"{len(rows)} rows; replay of the current code disagrees with it on {mism}")
    by = defaultdict(list)
    for r in rows:
        by[r["round"]].append(r)
    tot_b, tot_o = defaultdict(int), defaultdict(int)
    print("round  pick(ds,dg)  base: right/ans_refused/wrong/un_refused  ->  out of round")
    for rnd in sorted(by, key=lambda k: (k != "dev", int(k) if k.isdigit() else 0)):
        ds, dg = choose([r for k, rs in by.items() if k != rnd for r in rs])
        b, o = score(by[rnd], 0.0, 0.0), score(by[rnd], ds, dg)
        for k in b:
            tot_b[k] += b[k]
            tot_o[k] += o[k]
        print(f"{rnd:5s}  ({ds}, {'off' if dg == OFF else dg})  {b['right']}/{b['ans_refused']}/{b['wrong']}/"
              f"{b['un_refused']}  ->  {o['right']}/{o['ans_refused']}/{o['wrong']}/{o['un_refused']}  "
              f"(net {o['net'] - b['net']:+d})")
    print(f"pooled: right {tot_b['right']} -> {tot_o['right']}, answerable refused {tot_b['ans_refused']} -> "
          f"{tot_o['ans_refused']}, wrong {tot_b['wrong']} -> {tot_o['wrong']}, unanswerable refused "
          f"{tot_b['un_refused']} -> {tot_o['un_refused']} of {tot_b['unanswerable']}, net {tot_o['net'] - tot_b['net']:+d}")
    ds, dg = choose(rows)
    print(f"on all rounds the rule picks ds={ds}, dg={'off' if dg == OFF else dg}: {score(rows, ds, dg)} "
          f"(current: {score(rows, 0.0, 0.0)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gather")
    g.add_argument("--set", action="append", required=True, help="FILE:HOME (repeatable)")
    g.add_argument("--vectors")
    g.add_argument("--out", required=True)
    lo = sub.add_parser("loro")
    lo.add_argument("rows")
    args = ap.parse_args(argv)
    if args.cmd == "gather":
        gather(args.set, args.vectors, args.out)
        return 0
    return loro(args.rows)


if __name__ == "__main__":
    sys.exit(main())
