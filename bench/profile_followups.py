"""Profile follow-ups in context vs the same question asked alone (cProfile, CPU clock; round 15, issue 11).

    python bench/profile_followups.py article|law [OUTDIR]   # writes OUTDIR/{kind}_in.prof and _alone.prof (/tmp)

The benches' loops (bench_dialogue.py for article, bench_law_dialogue.py's four law sets), one warm-up round, one
profiled round, on HOME (default /tmp/lead/r16/m/corpus; third argument); compare the two profiles with pstats."""
import cProfile, functools, sys, time
from pathlib import Path
sys.path.insert(0, str(Path.cwd()))
from rag.dialogue import Turn, ask_in_context, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher
from rag import query_cache
from rag.retrieve import clean_question
from rag.textnorm import strip_end, to_mainland

def forget(question):
    gone = {strip_end(question), strip_end(to_mainland(clean_question(question)))}
    with query_cache._lock:
        for key in [k for k in query_cache._cache if k[1] in gone]:
            del query_cache._cache[key]

kind = sys.argv[1]
home = sys.argv[3] if len(sys.argv) > 3 else "/tmp/lead/r16/m/corpus"
files = (["dialogues.jsonl"] if kind == "article" else
         ["dialogues_heldout6_laws.jsonl", "dialogues_heldout_laws.jsonl", "dialogues_report_laws.jsonl", "dialogues_heldout7_laws.jsonl"])
s = Searcher(home); warm_up(); s.ask("温州人工智能局做什么")
ask = functools.partial(s.ask, k=5, mode="hybrid")
pin, pal = cProfile.Profile(time.process_time), cProfile.Profile(time.process_time)
tin = tal = 0.0; n = 0
for rnd in range(2):
    for f in files:
        for d in load_dialogues(Path("bench/data") / f):
            h = []
            for i, t in enumerate(d.turns):
                if kind == "law": forget(t.question)
                prof = rnd == 1 and i
                if prof: pin.enable()
                c0 = time.process_time()
                a = ask_in_context(ask, t.question, h)
                c1 = time.process_time()
                if prof: pin.disable()
                if i:
                    q = t.question if kind == "law" else __import__("rag.context").context.split_shown(a.search_question)
                    if prof: pal.enable()
                    c2 = time.process_time()
                    ask(q)
                    c3 = time.process_time()
                    if prof:
                        pal.disable(); tin += c1 - c0; tal += c3 - c2; n += 1
                h.append(Turn(t.question, a.answer, a.search_question))
print(f"{kind}: {n} follow-ups, in context {tin/n*1000:.1f} ms, alone {tal/n*1000:.1f} ms CPU each")
out = sys.argv[2] if len(sys.argv) > 2 else "/tmp"
pin.dump_stats(f"{out}/{kind}_in.prof"); pal.dump_stats(f"{out}/{kind}_alone.prof")
