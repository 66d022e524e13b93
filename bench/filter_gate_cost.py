"""Cost of the restriction gate (rag/restricted.py): law first turns of rounds 11-12 under a law filter on corpus/,

    python bench/filter_gate_cost.py   (RAG_E5_MODEL set; index /tmp/lead/r12/m/corpus)

asked with restricted_depth 0 and 30 interleaved, 3 rounds; CPU time per ask, p50/p95 (development sets only)."""
import json
import time

from rag.embed import get_embedder
from rag.filters import Filters
from rag.index import open_index
from rag.qa import ask

idx = open_index("/tmp/lead/r12/m/corpus"); emb = get_embedder(idx.embedder_name)
qs = [json.loads(l)["turns"][0]["question"] for f in ("bench/data/dialogues_heldout12_laws.jsonl", "bench/data/dialogues_heldout11_laws.jsonl") for l in open(f)]
f = Filters(law="劳动合同法")
for q in qs: ask(idx, q, embedder=emb, filters=f)  # warm: query vectors cached by the embedder cache? (timed below as ask total)
res = {0: [], 30: []}
for r in range(3):
    for q in qs:
        for d in ((0, 30) if r % 2 == 0 else (30, 0)):
            t0 = time.process_time(); ask(idx, q, embedder=emb, filters=f, restricted_depth=d); res[d].append((time.process_time() - t0) * 1000)
for d, ts in res.items():
    ts.sort(); print(f"depth {d}: cpu ms p50 {ts[len(ts)//2]:.1f} p95 {ts[int(len(ts)*0.95)]:.1f} (n={len(ts)})")
