"""Which sentence an article follow-up quotes (round 14, issue 11): diagnosis, offline fit, real replay.

``record``: every dialogue answered as ``rag eval`` answers it (``bench/followup_gates.py``'s replay and gates), and
for each follow-up the candidate sentences of its first answer built (the first reading) recorded with their selector
P, gold flag, features and the conversation features of :mod:`rag.followup_sentence` (computed, weight 0 unless
``--weights``):

    python bench/followup_sentence.py record FILE… --home HOME --out rows.jsonl [--weights repeat=-1,next1=0.5]

``table``: where the gold sentence ranks among the first reading's candidates, by cause and follow-up shape:

    python bench/followup_sentence.py table rows.jsonl…

``fit``: leave-one-round-out choice of the weights on the recorded candidates (first reading replayed offline:
the re-ranked best sentence, the follow-up refusal model on its features):

    python bench/followup_sentence.py fit rows.jsonl…

``score``: per round, answerable follow-ups quoted and unanswerable ones refused, base rows vs candidate rows
(real replays), out of round when ``--loro`` gives one rows file per weight setting:

    python bench/followup_sentence.py score --base rows… --cand rows…

``cost``: CPU time per follow-up in context, base vs ``--weights``, each against the same question asked alone:

    python bench/followup_sentence.py cost bench/data/dialogues.jsonl --home HOME --weights W --rounds 3
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import math
import sys
from pathlib import Path

import numpy as np

import rag.answer as answer_mod
from rag.dialogue import DialogueConfig
from rag.followup_sentence import FEATURES, SentenceWeights

sys.path.insert(0, str(Path(__file__).resolve().parent))
import followup_gates as fg  # noqa: E402

TOP_FULL = 12  # candidates recorded with every selector feature (the refusal model reads the best one's)


def _install_record() -> None:
    orig = answer_mod.candidates

    def cands(question, hits, **kw):
        out = orig(question, hits, **kw)
        if kw.get("models") is not None and out and "conv_repeat" in out[0].features \
                and not any(e["ev"] == "cands" for e in fg.EV):
            dense = [h.dense for h in hits if h.dense is not None]
            rows = []
            for i, c in enumerate(out[:40]):
                r = {"p": c.p, "gold": int(fg._has(c.sentence.text, fg._GOLDS)), "rank": c.sentence.hit.rank,
                     "conv": {k: c.features.get("conv_" + k, 0.0) for k in FEATURES}, "text": c.sentence.text[:80]}
                if i < TOP_FULL:
                    r["f"] = {k: v for k, v in c.features.items() if not k.startswith("conv_")}
                rows.append(r)
            fg.EV.append({"ev": "cands", "q": question, "dense": max(dense) if dense else None,
                          "kind": kw["models"].kind, "cands": rows})
        return out
    answer_mod.candidates = cands


def record(args) -> None:
    fg._install()
    _install_record()
    cfg = DialogueConfig(sentence_record=True, sentence_weights=SentenceWeights.parse(args.weights or ""))
    rows = fg.run(args.home, args.files, cfg, args.tag or Path(args.home).name)
    for r in rows:
        r["round"] = fg.round_of(r["set"])
    Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(fg.table(rows))


def _load(paths) -> list[dict]:
    rows = []
    for p in paths:
        rows += [json.loads(x) for x in Path(p).read_text(encoding="utf-8").splitlines() if x.strip()]
    return rows


def _first(r: dict) -> dict | None:
    return next((e for e in r["events"] if e["ev"] == "cands"), None)


def cause(r: dict) -> str:
    """Why an answerable follow-up with the gold passage at hand is not quoted (its first reading's candidates), the
    first that applies."""
    c = _first(r)
    if c is None:
        return "no-candidates"
    cs = c["cands"]
    g = next((i for i, x in enumerate(cs) if x["gold"]), None)
    if g is None:
        return "gold-not-a-candidate"
    if g == 0:
        return "gold-first:refused" if not r["answered"] else "gold-first:later-path"
    best, gold = cs[0]["conv"], cs[g]["conv"]
    if best["repeat"]:
        return "best-repeats-previous"
    if gold["next1"] or gold["next2"] or gold["before"]:
        return "gold-next-to-previous"
    if gold["own"] > best["own"]:
        return "gold-more-own-words"
    if best["carried"] > gold["carried"]:
        return "best-more-carried-words"
    if "f" in cs[g] and cs[0]["f"]["answer_type"] < cs[g]["f"]["answer_type"]:
        return "best-lacks-answer-type"
    return "other"


def table(args) -> None:
    rows = [r for r in _load(args.rows) if r["answerable"] and r["gold_at_hand"] and _first(r) is not None]
    print(f"answerable follow-ups with gold in top 5 and candidates recorded: {len(rows)}, quoted "
          f"{sum(r['hit'] for r in rows)}")
    miss = [r for r in rows if not r["hit"]]
    ranks = collections.Counter()
    for r in miss:
        cs = _first(r)["cands"]
        g = next((i for i, x in enumerate(cs) if x["gold"]), None)
        ranks["none" if g is None else str(g + 1) if g < 3 else "4-10" if g < 10 else ">10"] += 1
    print("gold rank among the first reading's candidates (misses):", dict(sorted(ranks.items())))
    causes = collections.Counter(cause(r) for r in miss)
    shapes = collections.Counter(r["rule"] for r in miss)
    top = [c for c, _ in causes.most_common()]
    print("| shape | misses | " + " | ".join(top) + " |")
    print("|---|---|" + "---|" * len(top))
    for s, n in shapes.most_common():
        print(f"| {s} | {n} | " + " | ".join(str(sum(cause(r) == c for r in miss if r['rule'] == s)) for c in top)
              + " |")
    print(f"| all | {len(miss)} | " + " | ".join(str(causes[c]) for c in top) + " |")


# ------------------------------------------------------------------ offline fit

class _C:
    __slots__ = ("p", "features")

    def __init__(self, p, f):
        self.p, self.features = p, f


def _refusal_models():
    from rag.followup_refusal import followups
    from rag.index import open_index
    from rag.select import load_models
    fp = json.loads(Path("rag/data/followup_refusal.json").read_text())["fitted_for"]["fingerprint"]
    with followups(True):
        return load_models(fingerprint=fp, dense=True).refusal
    del open_index


_OUTCOME: dict = {}


def first_reading(ev: dict, w: SentenceWeights, refusal) -> tuple[bool, bool]:
    """(answered, quote holds gold) of the first reading re-ranked with ``w`` (one sentence quoted)."""
    from rag.select import question_features
    cs = ev["cands"]
    if "_z" not in ev:
        p = np.clip([x["p"] for x in cs], 1e-6, 1 - 1e-6)
        ev["_z"] = np.log(p / (1 - p))
        ev["_F"] = np.array([[x["conv"][k] for k in FEATURES] for x in cs])
        ev["_hasf"] = ["f" in x for x in cs]
    if w.active:
        z = ev["_z"] + ev["_F"] @ np.array([getattr(w, k) for k in FEATURES])
        top = int(np.argmax(z))  # ties: the first (the selector's order)
        if not ev["_hasf"][top]:
            return False, False
        with_f = [top] + [i for i in np.argsort(-z, kind="stable")[:TOP_FULL + 5].tolist() if ev["_hasf"][i] and i != top]
    else:
        z = ev["_z"]
        with_f = [i for i in range(len(cs)) if ev["_hasf"][i]]
    order = with_f
    key = (id(ev), order[0], w.update_p and tuple(round(z[i], 2) for i in with_f[:3]))
    if key not in _OUTCOME:
        cands = []  # the maxima the refusal model reads are taken over the recorded top candidates (approximate)
        for i in with_f:
            p = 1 / (1 + math.exp(-max(min(z[i], 50), -50))) if w.update_p else cs[i]["p"]
            cands.append(_C(p, cs[i]["f"]))
        qf = question_features(cands, [])
        if ev["dense"] is not None and "cos" in qf:
            qf["dense"] = ev["dense"]
        _OUTCOME[key] = refusal.probability(qf) >= refusal.threshold
    answered = _OUTCOME[key]
    return answered, answered and bool(cs[order[0]]["gold"])


GRID = {"repeat": (0.0, -0.5, -1.0), "next1": (0.0, 0.5, 1.0), "next2": (0.0, 0.5), "before": (0.0,),
        "same": (0.0, 0.5), "own": (0.0, 1.0, 2.0, 3.0, 4.0), "carried": (0.0, -1.0, -2.0)}


def _grid(update_p=(False, True)):
    keys = list(GRID)
    for vals in itertools.product(*GRID.values()):
        for up in update_p:
            w = SentenceWeights(**dict(zip(keys, vals)), update_p=up)
            if w.active or not up:
                yield w


def _gain(rows, w, refusal, cache):
    """(answerable quoted at the first reading, unanswerable refused there) with ``w``, summed over ``rows``."""
    a = u = 0
    for r in rows:
        key = (id(r), w)
        if key not in cache:
            cache[key] = first_reading(_first(r), w, refusal)
        ans, hit = cache[key]
        a += r["answerable"] and hit
        u += r["unanswerable"] and not ans
    return a, u


def fit(args) -> None:
    refusal = _refusal_models()
    rows = [r for r in _load(args.rows) if _first(r) is not None and r["rule"] != "law"]
    rounds = sorted({r["round"] for r in rows})
    grid = list(_grid((False,) if args.no_update_p else (False, True)))
    cache: dict = {}
    by = {rd: [r for r in rows if r["round"] == rd] for rd in rounds}
    per = {rd: {w: _gain(by[rd], w, refusal, cache) for w in grid} for rd in rounds}
    base = SentenceWeights()
    tot_a = tot_u = 0
    print("| held-out round | chosen on the other rounds | answerable quoted (first reading) base → chosen | "
          "unanswerable refused base → chosen |\n|---|---|---|---|")
    for rd in rounds:
        def util(w):
            a = sum(per[o][w][0] for o in rounds if o != rd)
            u = sum(per[o][w][1] for o in rounds if o != rd)
            b = sum(per[o][base][0] + per[o][base][1] for o in rounds if o != rd)
            return (a + u - b, a)
        wbest = max(grid, key=util)
        (a0, u0), (a1, u1) = per[rd][base], per[rd][wbest]
        tot_a, tot_u = tot_a + a1 - a0, tot_u + u1 - u0
        print(f"| {rd} | {_fmt(wbest)} | {a0} → {a1} | {u0} → {u1} |")
    print(f"out of round: answerable quoted {tot_a:+d}, unanswerable refused {tot_u:+d}")
    allw = max(grid, key=lambda w: sum(per[o][w][0] + per[o][w][1] for o in rounds))
    print("chosen on all rounds:", _fmt(allw), [per[o][allw] for o in rounds], "base", [per[o][base] for o in rounds])


def _fmt(w: SentenceWeights) -> str:
    return ",".join(f"{k}={getattr(w, k):g}" for k in FEATURES if getattr(w, k)) + (",update_p=1" if w.update_p
                                                                                     else "") or "off"


def score(args) -> None:
    base, cand = _load(args.base), _load(args.cand)
    key = {(r["set"], r["id"]): r for r in base}
    out = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for r in cand:
        b = key.get((r["set"], r["id"]))
        if b is None:
            continue
        rd = fg.round_of(r["set"])
        for t in (rd, "pooled"):
            o = out[t]
            o[0] += b["answerable"]
            o[1] += b["answerable"] and b["hit"]
            o[2] += r["answerable"] and r["hit"]
            o[3] += b["unanswerable"]
            o[4] += b["unanswerable"] and not b["answered"]
            o[5] += r["unanswerable"] and not r["answered"]
    print("| round | answerable | quoted base → cand | unanswerable | refused base → cand |\n|---|---|---|---|---|")
    for t in sorted(out, key=lambda x: (x == "pooled", x)):
        o = out[t]
        print(f"| {t} | {o[0]} | {o[1]} → {o[2]} ({o[2] - o[1]:+d}) | {o[3]} | {o[4]} → {o[5]} ({o[5] - o[4]:+d}) |")


def cost(args) -> None:
    """CPU ms per follow-up of ``args.files`` answered in context with the base config and with ``args.weights``,
    and asked alone (the searched question), interleaved per turn, ``args.rounds`` times (one process, same run)."""
    import functools
    import time

    from rag.dialogue import Turn, ask_in_context, warm_up
    from rag.context import split_shown
    from rag.evaluate_dialogue import load_dialogues
    from rag.qa import Searcher

    searcher = Searcher(args.home)
    warm_up()
    searcher.ask("温州人工智能局做什么")
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    import rag.select as select_mod

    cfgs = {"base": DialogueConfig(), "weights": DialogueConfig(sentence_weights=SentenceWeights.parse(args.weights))}
    t = {k: [] for k in (*cfgs, "alone_base", "alone_weights")}
    clock = time.process_time
    spent, own = [0.0], []  # rag.followup_sentence.adjust's own CPU time per follow-up turn
    orig_adjust = select_mod.adjust

    def timed(*a):
        c0 = clock()
        orig_adjust(*a)
        spent[0] += clock() - c0
    select_mod.adjust = timed
    for _ in range(args.rounds):
        for f in args.files:
            for d in load_dialogues(f):
                hist = {k: [] for k in cfgs}
                for i, turn in enumerate(d.turns):
                    for k, cfg in cfgs.items():
                        spent[0] = 0.0
                        t0 = clock()
                        a = ask_in_context(ask, turn.question, hist[k], config=cfg)
                        t1 = clock()
                        if i and k == "weights":
                            own.append(spent[0] * 1000)
                        if i:
                            ask(split_shown(a.search_question))
                            t2 = clock()
                            t[k].append((t1 - t0) * 1000)
                            t["alone_" + k].append((t2 - t1) * 1000)
                        hist[k].append(Turn(turn.question, a.answer, a.search_question))
    for k in cfgs:
        p95, a95 = float(np.percentile(t[k], 95)), float(np.percentile(t["alone_" + k], 95))
        print(f"{k}: follow-ups {len(t[k])}, in context p50/p95 {np.percentile(t[k], 50):.1f}/{p95:.1f} ms, "
              f"alone p50/p95 {np.percentile(t['alone_' + k], 50):.1f}/{a95:.1f} ms, added p95 {p95 - a95:+.1f} ms")
    print(f"rag.followup_sentence.adjust per follow-up (all its answers built): p50/p95/max {np.percentile(own, 50):.3f}/"
          f"{np.percentile(own, 95):.3f}/{max(own):.3f} ms CPU")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record")
    r.add_argument("files", nargs="+")
    r.add_argument("--home", required=True)
    r.add_argument("--out", required=True)
    r.add_argument("--tag", default="")
    r.add_argument("--weights", default="")
    for name in ("table", "fit"):
        s = sub.add_parser(name)
        s.add_argument("rows", nargs="+")
        if name == "fit":
            s.add_argument("--no-update-p", action="store_true", help="only settings that keep the selector's P")
    s = sub.add_parser("score")
    s.add_argument("--base", nargs="+", required=True)
    s.add_argument("--cand", nargs="+", required=True)
    c = sub.add_parser("cost")
    c.add_argument("files", nargs="+")
    c.add_argument("--home", required=True)
    c.add_argument("--weights", required=True)
    c.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    {"record": record, "table": table, "fit": fit, "score": score, "cost": cost}[args.cmd](args)


if __name__ == "__main__":
    main()
