"""Counts of bench/r19_gate_focus_probe.py rows: refused follow-ups a further reading would answer without
check_focus (per ask_kind).  python bench/r19_gate_focus_sim.py rows.json"""
import json, sys, collections
rows = json.load(open(sys.argv[1]))
def sim(cond):
    gain = loss = wrongans = 0
    per = collections.Counter()
    for r in rows:
        L = r["log"]
        for i, e in enumerate(L):
            if e["ev"] == "nofocus" and e["pass"] and cond(e, r):
                if r["answerable"]:
                    if e["gold"]: gain += 1; per[("+", e["kind"])] += 1
                    else: wrongans += 1; per[("A-wrong", e["kind"])] += 1
                else:
                    loss += 1; per[("-", e["kind"])] += 1
                break
    return gain, loss, wrongans, per
conds = {
 "all": lambda e, r: True,
 "not how-much": lambda e, r: e["kind"] != "how-much",
 "typed kind held (not open)": lambda e, r: e["holds"],
 "typed kind held, not how-much": lambda e, r: e["holds"] and e["kind"] != "how-much",
 "open only": lambda e, r: e["kind"] == "open",
}
for n, c in conds.items():
    g, l, w, per = sim(c)
    print(f"{n}: gold +{g}, unanswerable answered -{l}, answerable answered wrong {w}")
    print("   ", dict(per))
