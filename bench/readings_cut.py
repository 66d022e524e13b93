"""Answer-changing cut: DialogueConfig(readings=0) (no further reading on the first reading's passages) vs default,
article dialogue sets given, on one index; turns whose answer differs and CPU ms of those follow-ups."""
import functools, sys
from pathlib import Path
sys.path.insert(0, str(Path.cwd()))
from rag.dialogue import DialogueConfig, Turn, ask_in_context, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher
home, files = sys.argv[1], sys.argv[2:]
s = Searcher(home); warm_up(); s.ask("温州人工智能局做什么")
ask = functools.partial(s.ask, k=5, mode="hybrid")
def run(cfg):
    out = []
    for f in files:
        for d in load_dialogues(Path("bench/data") / f):
            h = []
            for i, t in enumerate(d.turns):
                a = ask_in_context(ask, t.question, h, config=cfg)
                out.append((f, i, a.answer, a.search_question))
                h.append(Turn(t.question, a.answer, a.search_question))
    return out
base, cut = run(DialogueConfig()), run(DialogueConfig(readings=0))
fu = [i for i, r in enumerate(base) if r[1] > 0]
diff = [i for i in fu if base[i][2:] != cut[i][2:]]
print(f"{home}: {len(fu)} follow-ups, {len(diff)} answered differently with readings=0")
