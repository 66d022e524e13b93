"""CPU ms of one answer-layer pass (build_answer on fixed hits; round 15). python bench/answer_pass_cost.py LABEL

The first 40 sample_eval questions on HOME (default /tmp/lead/r16/m/corpus; `python bench/answer_pass_cost.py LABEL [HOME]`),
hits retrieved once; each pass answers with the wording's
caches cleared (tokenize memo, whq._mask, agreement.subject_head), as a new wording would be.
The rag package is imported from the current directory (sys.path[0] = cwd), not PYTHONPATH: run it from the tree to
measure."""
import json, sys, time
from pathlib import Path
sys.path.insert(0, str(Path.cwd()))
import numpy as np
from rag.qa import Searcher, _Remember
from rag.retrieve import retrieve
from rag.answer import build_answer
from rag import tokenize as tk
import rag.whq as whq, rag.agreement as ag
s = Searcher(sys.argv[2] if len(sys.argv) > 2 else "/tmp/lead/r16/m/corpus"); idx = s.index()
qs = [json.loads(x)["question"] for x in Path("bench/data/sample_eval.jsonl").read_text().splitlines() if x.strip()][:40]
cases = []
for q in qs:
    seen = _Remember(s.embedder)
    hits = retrieve(idx, q, embedder=seen, k=5, mode="hybrid")
    cases.append((q, hits, seen.last))
def clear():
    tk._tokenize_memo.cache_clear()
    for f in (getattr(whq._mask, "cache_clear", None), getattr(ag.subject_head, "cache_clear", None)):
        if f: f()
fp = idx.manifest["embedder"].get("fingerprint")
out = []
for rep in range(6):
    for depth in (2, 5):
        t = []
        for q, hits, v in cases:
            clear(); c0 = time.process_time()
            build_answer(q, hits[:depth], idf=idx.keyword.idf, query_vector=v, vectors=idx.sentences, fingerprint=fp)
            t.append((time.process_time() - c0) * 1000)
        if rep: out.append((depth, np.mean(t)))
for depth in (2, 5):
    xs = [m for d, m in out if d == depth]
    print(f"{sys.argv[1]} depth {depth}: mean CPU ms per pass {np.median(xs):.2f} (runs {', '.join(f'{x:.2f}' for x in xs)})")
