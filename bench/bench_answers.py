"""Sentence cosines: stored at index time vs computed at query time (latency).

For the questions of ``bench/bench_query.py`` on the sample corpus, times the
two ways of getting the query-vs-sentence cosines of the top-5 passages'
sentences: (a) a lookup + dot product in the index's ``sentvec.npy``, (b)
embedding those sentences at query time. Both give the same vectors (up to
float16 rounding, checked here), so answer quality is the same; only the
cost differs. Also prints the index-time cost (sentences embedded, bytes).

    python bench/bench_answers.py [--home DIR] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from bench_query import QUESTIONS  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", default=None)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from rag.qa import Searcher
    from rag.retrieve import clean_question, retrieve
    from rag.textnorm import to_mainland
    from rag.update import update_index

    home = Path(args.home) if args.home else ROOT / "bench" / "out" / "query-home"
    if not args.home:
        update_index([ROOT / "corpus"], home=home, progress=False)
    s = Searcher(home)
    index, emb = s.index(), s.embedder
    sv = index.sentences
    stored, live, n_sent, diffs = [], [], [], []
    for _ in range(args.rounds):
        for q in QUESTIONS:
            q = clean_question(q)
            qv = emb.embed_queries([to_mainland(q)])[0]
            hits = retrieve(index, q, embedder=emb, k=5)
            spans = [(h.chunk.doc_id, a, b) for h in hits for a, b in h.chunk.sentences]
            t = time.perf_counter()
            rows = [r for d, a, b in spans for r in sv.rows(d, [(a, b)]) if r is not None]
            cs = sv.cosines(qv, rows)
            stored.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            texts = [to_mainland(index.documents[d].text[a:b]) for d, a, b in spans]
            cl = emb.embed_passages(texts, batch_size=32) @ qv
            live.append((time.perf_counter() - t) * 1000)
            n_sent.append(len(texts))
            diffs.append(float(np.max(np.abs(cs - cl))) if len(cs) == len(cl) and len(cl) else 0.0)
    size = sum((index.path / f).stat().st_size for f in ("sentvec.npy", "sentvec.tsv"))
    print(f"index {home}: {len(index.chunks)} chunks, {len(sv)} sentence vectors ({size / 1024:.0f} KiB)")
    print(f"sentences per question (top 5 passages): mean {np.mean(n_sent):.0f}, max {max(n_sent)}")
    for name, lat in (("stored (dot product)", stored), ("query-time embedding", live)):
        print(f"{name:<24} p50 {np.percentile(lat, 50):8.2f} ms  p95 {np.percentile(lat, 95):8.2f} ms")
    print(f"max |cos stored - cos query-time| = {max(diffs):.4f}")


if __name__ == "__main__":
    main()
