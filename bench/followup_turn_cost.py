"""Per follow-up CPU ms in context vs asked alone, grouped by what the turn ran (round 15, issue 11).

    python bench/followup_turn_cost.py [HOME]

bench/data/dialogues.jsonl, one warm-up and one measured round; groups: further readings (rag.qa._answer_as), law
slot checks (_unless_general_refuses) in context, in-context retrievals, law slot checks alone."""
import functools, sys, time
from pathlib import Path
sys.path.insert(0, str(Path.cwd()))
import numpy as np
import rag.qa as qa
from rag.dialogue import Turn, ask_in_context, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher
from rag.context import split_shown
cnt = {"build": 0, "search": 0, "as": 0, "gen": 0, "k20": 0}
rb, rs = qa.build_answer, qa._search
def b(*a, **k): cnt["build"] += 1; return rb(*a, **k)
def s_(*a, **k): cnt["search"] += 1; return rs(*a, **k)
ra, rg = qa._answer_as, qa._unless_general_refuses
def a_(*a, **k): cnt["as"] += 1; return ra(*a, **k)
def g_(ans, q, hits, *a, **k):
    if ans.answerable and any(h.general is not None for h in hits): cnt["gen"] += 1
    return rg(ans, q, hits, *a, **k)
import rag.context as ctx
rr = ctx.retrieve_in_context
def r_(*a, **k): cnt["k20"] += 1; return rr(*a, **k)
qa.build_answer, qa._search, qa._answer_as, qa._unless_general_refuses, qa.retrieve_in_context = b, s_, a_, g_, r_
s = Searcher(sys.argv[1] if len(sys.argv) > 1 else "/tmp/lead/r16/m/corpus"); warm_up(); s.ask("温州人工智能局做什么")
ask = functools.partial(s.ask, k=5, mode="hybrid")
rows = []
for rnd in range(2):
    for d in load_dialogues(Path("bench/data/dialogues.jsonl")):
        h = []
        for i, t in enumerate(d.turns):
            c0 = time.process_time(); b0, s0 = cnt["build"], cnt["search"]; x0 = (cnt["as"], cnt["gen"], cnt["k20"])
            a = ask_in_context(ask, t.question, h)
            c1 = time.process_time(); b1, s1 = cnt["build"], cnt["search"]; x1 = (cnt["as"]-x0[0], cnt["gen"]-x0[1], cnt["k20"]-x0[2]); g1 = cnt["gen"]
            if i:
                ask(split_shown(a.search_question)); c2 = time.process_time()
                if rnd: rows.append(((c1-c0)*1000, (c2-c1)*1000, x1[0], x1[1], x1[2], cnt["gen"]-g1))
            h.append(Turn(t.question, a.answer, a.search_question))
r = np.array(rows)
print("n", len(r), "in p50/p95 %.1f/%.1f alone %.1f/%.1f added p95 %+.1f" % (np.percentile(r[:,0],50), np.percentile(r[:,0],95), np.percentile(r[:,1],50), np.percentile(r[:,1],95), np.percentile(r[:,0],95)-np.percentile(r[:,1],95)))
d = r[:,0]-r[:,1]
print("per-turn diff p50/p95 %.1f/%.1f" % (np.percentile(d,50), np.percentile(d,95)))
for key in sorted(set(map(tuple, r[:, 2:6].astype(int).tolist()))):
    m = (r[:, 2:6].astype(int) == key).all(1)
    print("answer_as, general-check in ctx, ctx-retrieval, general-check alone", key, "turns", m.sum(), "in mean %.1f alone mean %.1f diff mean %.1f" % (r[m,0].mean(), r[m,1].mean(), d[m].mean()))
