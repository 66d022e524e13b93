"""Round 19 (h3) probe, development only: replay the follow-ups a ``bench/dialogue_identical.py`` dump refused, with
``rag.incontext.gate`` and ``checked`` wrapped (same results), recording each further reading's answer, the gate step
that refused it, and — when that step is ``check_focus`` — whether the other checks would pass and the quote holds
the gold (bench/results/r19_h3_rule.md). Article sets only.

    cd CODE && PYTHONPATH=CODE python bench/r19_gate_focus_probe.py before.json sample|corpus HOME rows.json
    python bench/r19_gate_focus_sim.py rows.json      # counts per ask_kind
"""
import json, sys, functools
from pathlib import Path
import rag.incontext as inc
import rag.dialogue as dia
from rag.followup import (HOW_MUCH, NUMBER, check_answer_type, check_context, check_focus, check_swap, check_value,
                          named_around, refuse)
from rag.evaluate_dialogue import normalize, search_form

LOG = []
GOLD = []

def hit(ans):
    if not ans.answerable or not GOLD:
        return False
    return any(g in search_form(c.quote) for g in GOLD for c in ans.citations)

def rec(ev, ans, **kw):
    LOG.append({"ev": ev, "conf": round(float(ans.confidence or 0), 4), "ans": bool(ans.answerable), "gold": hit(ans),
                "quote": ans.citations[0].quote[:30] if ans.citations else "", **kw})

def gate(ans, rw, history, config, *, floor=inc.MIN_CONFIDENCE):
    rec("gate_in", ans, floor=floor)
    step = "pass"
    out = ans
    if not ans.answerable or not ans.citations:
        step = "refused_in"
    elif ans.confidence < floor:
        out, step = refuse(ans), "floor"
    else:
        words = [w for w in inc._topic_words(rw).split() if not inc._COUNT.fullmatch(w)]
        if words and not named_around(ans, words):
            out, step = refuse(ans), "topic"
        else:
            previous_answer, earlier = inc._last_turn(history, config)
            if rw.rule == "ellipsis":
                ans = check_swap(ans, rw.slot, previous_answer); step = "swap" if not ans.answerable else step
            q = inc.strip_end(rw.question)
            pre = ans
            if ans.answerable:
                ans = check_focus(ans, q, " ".join([rw.previous, rw.antecedent, *earlier]), frame=config.focus_frame)
                step = "focus" if not ans.answerable else step
            if step == "focus":
                nf = rest(pre, q, rw, previous_answer)
                from rag.neighbourhood import ask_kind, holds_kind
                k = ask_kind(q)
                LOG.append({"ev": "nofocus", "pass": bool(nf.answerable), "gold": hit(nf), "kind": k,
                            "holds": bool(nf.answerable) and k != "open"
                            and holds_kind(k, q, nf, " ".join([rw.previous, rw.antecedent, *earlier])),
                            "quote": nf.citations[0].quote[:30] if nf.citations else ""})
            if ans.answerable and HOW_MUCH.search(q) and not any(NUMBER.search(c.quote) for c in ans.citations):
                ans, step = refuse(ans), "howmuch"
            if ans.answerable:
                ans = check_value(ans, q, rw.previous, previous_answer); step = "value" if not ans.answerable else step
            if ans.answerable:
                ans = check_answer_type(ans, q, rw.search_question); step = "type" if not ans.answerable else step
            if ans.answerable:
                ans = check_context(ans, q, rw.antecedent, previous_answer)
                step = "context" if not ans.answerable else step
            out = ans
    LOG.append({"ev": "gate_out", "step": step, "ans": bool(out.answerable), "gold": hit(out)})
    return out

def rest(ans, q, rw, previous_answer):
    if ans.answerable and HOW_MUCH.search(q) and not any(NUMBER.search(c.quote) for c in ans.citations):
        return refuse(ans)
    if ans.answerable:
        ans = check_value(ans, q, rw.previous, previous_answer)
    if ans.answerable:
        ans = check_answer_type(ans, q, rw.search_question)
    if ans.answerable:
        ans = check_context(ans, q, rw.antecedent, previous_answer)
    return ans

inc.gate = gate
dia.gate = gate
_orig_checked = inc.checked
def checked(ans, rw, history, config):
    rec("checked_in", ans)
    out = _orig_checked(ans, rw, history, config)
    LOG.append({"ev": "checked_out", "ans": bool(out.answerable), "gold": hit(out)})
    return out
inc.checked = checked
dia.checked = checked

def main(dump_path, home_key, home, out_path, sets=None):
    from rag.dialogue import Turn, ask_in_context, warm_up, resolve
    from rag.qa import Searcher
    d = json.loads(Path(dump_path).read_text(encoding="utf-8"))[home_key]
    s = Searcher(home)
    warm_up()
    ask = functools.partial(s.ask, k=5, mode="hybrid")
    out = []
    for name, recs in d.items():
        if name.endswith("_laws.jsonl") or (sets and name not in sets):
            continue
        dialogs = [json.loads(l) for l in open(Path(__file__).parent / "data" / name, encoding="utf-8") if l.strip()]
        turns = [(di, i, t) for di, dd in enumerate(dialogs) for i, t in enumerate(dd["turns"])]
        hist = {}
        for (di, i, t), r in zip(turns, recs, strict=True):
            h = hist.setdefault(di, [])
            if i > 0 and r["refused"]:
                GOLD[:] = [search_form(normalize(g)[0]) for g in t.get("answers", [])]
                LOG.clear()
                rw = resolve(t["question"], h)
                a = ask_in_context(ask, t["question"], h)
                out.append({"set": name, "q": t["question"], "answerable": t["answerable"], "rule": rw.rule,
                            "context": rw.context, "previous": rw.previous, "same": a.answerable == (not r["refused"]),
                            "prevans": h[-1].answer[:60], "log": list(LOG)})
            h.append(Turn(t["question"], r["answer"], r["search_question"]))
        print(name, len(out), file=sys.stderr, flush=True)
    Path(out_path).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")

if __name__ == "__main__":
    main(*sys.argv[1:5])
