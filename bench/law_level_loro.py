"""Leave-one-round-out test of a law-level stage for statute questions on mixed indexes (issue 9/10, round 14).

``gather`` records each development question's top 20 (:data:`rag.law_level.DEPTH`; title, article or not, score,
gold or not) and, per law among the candidates, the cosine of the question vector with the law's article centroid
and with its 第一条/第二条 (purpose and scope; stored vectors, nothing embedded). ``recall`` replays the re-rank of
the article slots offline for the three evidence families (``mass``: :func:`rag.law_level.law_evidence`;
``centroid``; ``scope``) and prints law questions' recall@1/@5 and how many top 5 change. ``answers`` asks
(``rag.qa.ask``) every question whose top 5 a (family, weight) changes; ``loro`` chooses the weight per left-out
round on the other rounds (keep rule: docs/answers.md, round 14) from those answers and a base rows file of the
current code (``bench/everyday_shift_loro.py gather`` output: ``a_right``/``a_refused``).

    python bench/law_level_loro.py gather --set FILE:HOME … --vectors QV.pkl --out top20.jsonl
    python bench/law_level_loro.py recall top20.jsonl
    python bench/law_level_loro.py answers top20.jsonl --family mass --weights 0.05 0.1 0.2 \
        --vectors QV.pkl --out A.jsonl
    python bench/law_level_loro.py loro BASE.jsonl top20.jsonl A.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import everyday_causes as E
from everyday_shift_loro import round_of

from rag.eval_data import load_dataset
from rag.evaluate import score_answer
from rag.law_level import _article_counts, _rerank, law_evidence
from rag.qa import Searcher
from rag.retrieve import RetrieveConfig, clean_question, retrieve
from rag.textnorm import normalize, search_form, to_mainland

_LAWS: dict[int, tuple] = {}


def law_vectors(index) -> tuple[dict, dict]:
    """``title → unit centroid of its articles' vectors`` and ``title → its 第一条/第二条 vectors`` (stored)."""
    if id(index) not in _LAWS:
        vecs = index.dense.vectors()
        rows, scope = defaultdict(list), defaultdict(list)
        for i, c in enumerate(index.chunks):
            if c.article:
                t = index.documents[c.doc_id].title
                rows[t].append(i)
                if c.article in ("第一条", "第二条"):
                    scope[t].append(i)
        cent = {t: (lambda m: m / np.linalg.norm(m))(vecs[r].mean(0)) for t, r in rows.items()}
        _LAWS[id(index)] = cent, {t: vecs[r] for t, r in scope.items()}
    return _LAWS[id(index)]


def gather(sets: list[str], vectors: str | None, out_path: str) -> None:
    seen = set()
    with open(out_path, "w", encoding="utf-8") as out:
        for spec in sets:
            path, home = spec.rsplit(":", 1)
            s = Searcher(home, embedder=E._memo(home, vectors))
            index = s.index()
            counts = _article_counts(index)
            cent, scope = law_vectors(index)
            for item in load_dataset(path)[1]:
                if (path, item.qid) in seen:
                    continue
                seen.add((path, item.qid))
                q = clean_question(item.question)
                golds = [search_form(normalize(a)[0]) for a in item.answers]
                hits = retrieve(index, q, embedder=s.embedder, k=20)
                qv = s.embedder.embed_queries([to_mainland(q)])[0]
                laws = {h.title for h in hits if h.chunk.article}
                row = {"set": path, "home": home, "round": round_of(path), "id": item.qid,
                       "answerable": item.answerable, "kind": E.gold_kind(index, "", golds) if item.answerable else "",
                       "hits": [{"c": h.chunk.chunk_id, "t": h.title, "a": bool(h.chunk.article), "s": h.score,
                                 "x": h.exact, "g": E._gold_in(golds, h.chunk.text)} for h in hits],
                       "counts": {t: counts.get(t, 0) for t in laws} | {"": counts[""]},
                       "centroid": {t: float(cent[t] @ qv) for t in laws if t in cent},
                       "scope": {t: float((scope[t] @ qv).max()) for t in laws if t in scope}}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if vectors:
                s.embedder.save()
            print("gathered", path, flush=True)


def evidence(row: dict, family: str) -> dict[str, float]:
    """The family's law evidence for a gathered row, best law = 1 (only differences matter to the re-rank)."""
    if family == "mass":
        class _H:  # the fields law_evidence reads
            def __init__(self, h):
                self.score, self.title = h["s"], h["t"]
                self.chunk = type("C", (), {"article": "x" if h["a"] else ""})()
        return law_evidence([_H(h) for h in row["hits"]], row["counts"])
    f = row[family]
    if len(f) < 2:
        return {}
    best = max(f.values())
    return {t: v - best + 1.0 for t, v in f.items()}


def top5(row: dict, family: str, w: float) -> list[str]:
    """The re-ranked top 5's chunk ids (the order :func:`rag.law_level._rerank` gives)."""
    hits = row["hits"]
    if w <= 0 or any(h["x"] for h in hits):
        return [h["c"] for h in hits[:5]]
    ev = evidence(row, family)
    if not ev:
        return [h["c"] for h in hits[:5]]
    top = max(h["s"] for h in hits) or 1.0
    slots = [i for i, h in enumerate(hits) if h["a"]]
    order = sorted(slots, key=lambda i: (-(max(hits[i]["s"], 0.0) / top + w * ev.get(hits[i]["t"], 0.0)), i))
    out = list(range(len(hits)))
    for i, j in zip(slots, order):
        out[i] = j
    return [hits[j]["c"] for j in out[:5]]


def recall(path: str) -> int:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    for family in ("mass", "centroid", "scope"):
        for w in (0.0, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0):
            s = Counter()
            for r in rows:
                g = "corpus" if "everyday_heldout" in r["set"] and "_docs" not in r["set"] else "own"
                o = top5(r, family, w)
                gold = {h["c"] for h in r["hits"] if h["g"]}
                changed = o != [h["c"] for h in r["hits"][:5]]
                if r["answerable"] and r["kind"] == "law":
                    s[f"{g} law@1"] += o[0] in gold
                    s[f"{g} law@5"] += bool(gold & set(o))
                s[f"{g} changed"] += changed
            print(family, w, dict(sorted(s.items())))
    return 0


def _centroid_retrieve(retrieve_, index, question, *, weight, size=1.0, k=5, **kw):
    """:func:`rag.law_level.retrieve_by_law` with the centroid evidence (the experiment's variant)."""
    cands = retrieve_(question, k=max(k, 20), **kw)
    if any(h.exact for h in cands):
        return cands[:k]
    cent, _ = law_vectors(index)
    qv = kw["embedder"].last

    def ev(hits):
        f = {h.title: float(cent[h.title] @ qv) for h in hits if h.chunk.article and h.title in cent}
        return {t: v - max(f.values()) + 1.0 for t, v in f.items()} if len(f) >= 2 else {}
    out = _rerank(cands, ev(cands), weight, k)
    if not any(h.general is not None for h in cands):
        return out
    g = [h.general or h for h in cands]
    g = _rerank(g, ev(g), weight, k)
    return [replace(h, general=None if (x.chunk.chunk_id, x.score) == (h.chunk.chunk_id, h.score) else x)
            for h, x in zip(out, g)]


def answers(path: str, family: str, weights: list[float], vectors: str | None, out_path: str) -> None:
    import rag.qa as qa
    if family == "centroid":
        qa.retrieve_by_law = _centroid_retrieve
    elif family != "mass":
        raise SystemExit("answers: --family mass or centroid")
    items, searchers = {}, {}
    with open(out_path, "w", encoding="utf-8") as out:
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            for w in weights:
                if top5(r, family, w) == [h["c"] for h in r["hits"][:5]]:
                    continue  # unchanged: the current code's answer
                items.setdefault(r["set"], {i.qid: i for i in load_dataset(r["set"])[1]})
                if r["home"] not in searchers:
                    searchers[r["home"]] = Searcher(r["home"], embedder=E._memo(r["home"], vectors))
                item = items[r["set"]][r["id"]]
                a = searchers[r["home"]].ask(item.question, config=RetrieveConfig(law_level=w))
                out.write(json.dumps({"set": r["set"], "id": r["id"], "w": w, "refused": not a.answerable,
                                      "right": bool(score_answer(item, a).get("quote_hit"))}) + "\n")


def _score(keys, base: dict, kinds: dict, alt: dict, w: float) -> Counter:
    s = Counter()
    for k in keys:
        b = base[k]
        d = alt.get(w, {}).get(k) if w else None
        ref, right = (d["refused"], d["right"]) if d else (b["a_refused"], b["a_right"])
        if b["answerable"]:
            s["right"] += (not ref) and right
            s["ans_refused"] += ref
            s["wrong"] += (not ref) and not right
            s["article_right"] += (not ref) and right and kinds.get(k) != "law"
        else:
            s["un_refused"] += ref
    s["net"] = s["right"] + s["un_refused"]
    return s


def loro(base_path: str, top20: str, answers_path: str) -> int:
    base = {(r["set"], r["id"]): r for r in map(json.loads, open(base_path, encoding="utf-8"))}
    kinds = {(r["set"], r["id"]): r["kind"] for r in map(json.loads, open(top20, encoding="utf-8"))}
    alt = defaultdict(dict)
    for d in map(json.loads, open(answers_path, encoding="utf-8")):
        alt[d["w"]][(d["set"], d["id"])] = d
    weights = (0.0, *sorted(alt))
    rounds = defaultdict(list)
    for k, b in base.items():
        rounds[b["round"]].append(k)

    def choose(keys):  # the rule: largest net right, unanswerable refused not lower by more than 1; ties → smaller w
        b = _score(keys, base, kinds, alt, 0.0)
        ok = [w for w in weights if _score(keys, base, kinds, alt, w)["un_refused"] >= b["un_refused"] - 1]
        return max(ok, key=lambda w: (_score(keys, base, kinds, alt, w)["net"], -w))
    tb, to = Counter(), Counter()
    for rnd in sorted(rounds, key=lambda x: (x != "dev", int(x) if x.isdigit() else 0)):
        w = choose([k for r, ks in rounds.items() if r != rnd for k in ks])
        b, o = _score(rounds[rnd], base, kinds, alt, 0.0), _score(rounds[rnd], base, kinds, alt, w)
        tb.update(b)
        to.update(o)
        print(f"{rnd:4s} w={w}  {b['right']}/{b['ans_refused']}/{b['wrong']}/{b['un_refused']} -> "
              f"{o['right']}/{o['ans_refused']}/{o['wrong']}/{o['un_refused']}  net {o['net'] - b['net']:+d}")
    print("pooled out of round (current -> chosen):",
          {k: (tb[k], to[k]) for k in ("right", "ans_refused", "wrong", "un_refused", "article_right")},
          f"net {to['net'] - tb['net']:+d}")
    for w in weights:
        print("in sample, w =", w, dict(_score(list(base), base, kinds, alt, w)))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gather")
    g.add_argument("--set", action="append", required=True, help="FILE:HOME (repeatable)")
    g.add_argument("--vectors")
    g.add_argument("--out", required=True)
    sub.add_parser("recall").add_argument("top20")
    a = sub.add_parser("answers")
    a.add_argument("top20")
    a.add_argument("--family", default="mass")
    a.add_argument("--weights", type=float, nargs="+", required=True)
    a.add_argument("--vectors")
    a.add_argument("--out", required=True)
    lo = sub.add_parser("loro")
    lo.add_argument("base")
    lo.add_argument("top20")
    lo.add_argument("answers")
    args = ap.parse_args(argv)
    if args.cmd == "gather":
        gather(args.set, args.vectors, args.out)
        return 0
    if args.cmd == "recall":
        return recall(args.top20)
    if args.cmd == "answers":
        answers(args.top20, args.family, args.weights, args.vectors, args.out)
        return 0
    return loro(args.base, args.top20, args.answers)


if __name__ == "__main__":
    sys.exit(main())
