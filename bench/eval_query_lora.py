"""Article-level hit@1/5/10 of ``rag.retrieve`` on a STARD set, with and without the query-side LoRA.

A hit is a retrieved passage containing the question's longest gold answer sentence (the gold rows of
``fit_query_adapter.index_training_set``, what the adapters are trained and cross-validated on), and, as in
``rag eval`` (README's STARD rows), a passage containing any of its gold answer sentences. Rows: the current default on a
statute-only index (the linear query adapter), the LoRA instead of it (``query_lora="on"``), and the plain
hybrid (neither) — hybrid and dense each. Also prints query-embedding latency with and without the LoRA.

    python bench/eval_query_lora.py --index /tmp/lead/r5/stard --set /tmp/cal/sets/stard/stard_report.jsonl \
        --lora /tmp/r7h5/lora.json
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_query_adapter import hits, index_training_set
from fit_query_lora import _Capture


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--lora", required=True)
    a = ap.parse_args()
    import json

    from rag.embed import get_embedder
    from rag.index import open_index
    from rag.query_lora import load_lora
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.textnorm import normalize, search_form
    cap = _Capture()
    _, golds, _, _ = index_training_set(a.index, a.set, cap, with_ids=True)
    index, emb = open_index(a.index), get_embedder("e5-small")
    recs = [json.loads(x) for x in Path(a.set).read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(recs) == len(cap.qs), "every question needs a gold passage here"
    texts = [search_form(c.text) for c in index.chunks]
    answers = [[search_form(normalize(x)[0]) for x in r["answers"]] for r in recs]
    # rag eval's relevance: a passage holding any gold answer sentence (README's STARD rows)
    golds_any = [{i for i, t in enumerate(texts) if any(x and x in t for x in ans)} for ans in answers]
    configs = {"default (linear adapter)": RetrieveConfig(),
               "query LoRA": RetrieveConfig(query_lora="on", lora=a.lora),
               "plain (no adapter)": RetrieveConfig(query_adapter="off")}
    for name, cfg in configs.items():
        for mode in ("hybrid", "dense"):
            rows = []
            for q in cap.qs:
                hs = retrieve(index, q, embedder=emb, k=10, mode=mode, config=cfg)
                rows.append([_row(index, h) for h in hs] + [-1] * (10 - len(hs)))
            h, h2 = hits(np.array(rows), golds), hits(np.array(rows), golds_any)
            print(f"{name:26s} {mode:6s} longest answer: " + " ".join(f"{k} {v:.3f}" for k, v in h.items())
                  + " | any answer (rag eval): " + " ".join(f"{k} {v:.3f}" for k, v in h2.items()), flush=True)
    lora = load_lora(a.lora)
    for name, fn in (("plain", lambda q: emb.embed_queries([q])), ("LoRA", lambda q: emb.embed_queries_lora([q], lora))):
        ts = []
        for q in cap.qs[:100]:
            t0 = time.perf_counter()
            fn(q)
            ts.append((time.perf_counter() - t0) * 1000)
        print(f"query embedding {name}: p50 {np.percentile(ts, 50):.1f} ms, p95 {np.percentile(ts, 95):.1f} ms")


_ROWS: dict = {}


def _row(index, hit) -> int:
    """The index row of a hit's chunk."""
    if not _ROWS:
        _ROWS.update({c.chunk_id: i for i, c in enumerate(index.chunks)})
    return _ROWS[hit.chunk.chunk_id]


if __name__ == "__main__":
    main()
