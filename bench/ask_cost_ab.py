"""Does round 16's named-law check slow down questions that name no law? Same run, interleaved, whole ``qa.ask``.

Arm A is :func:`rag.qa.ask` as shipped; arm B is the same function with :func:`rag.repealed.unheld_subject` replaced
by a no-op — for a question on which the check does not fire, that call is the only code it runs differently from
round 15 (``within_law`` is not used here). Each development question that names no law (first ``--n`` of rounds
<= 14, :func:`rag.law_names.law_subject` is '') is asked A, B, B, A (hybrid, k=5, the real embedder, the query
vector cached after the first ask so only the answering path is timed); p50 / mean of each arm and of the
per-question difference A − B are printed. A second pass over B alone (B, B) gives the run-to-run noise.

    python bench/ask_cost_ab.py --index /tmp/lead/r16/m/corpus --n 200
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from law_name_firings import development_files, questions  # noqa: E402

import rag.qa as qa  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.law_names import law_subject  # noqa: E402


class _Cached:
    """The real embedder, each query embedded once (the timing is of the answering path, not of e5)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.seen: dict[str, np.ndarray] = {}

    def embed_queries(self, texts):
        missing = [t for t in texts if t not in self.seen]
        if missing:
            for t, v in zip(missing, self.inner.embed_queries(missing)):
                self.seen[t] = v
        return np.stack([self.seen[t] for t in texts])

    def __getattr__(self, name):
        return getattr(self.inner, name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--max-round", type=int, default=14)
    args = ap.parse_args()
    idx = open_index(args.index)
    emb = _Cached(get_embedder(idx.embedder_name))
    qs = [q for p in development_files(args.max_round) for _, _, q in questions(p) if not law_subject(q)][:args.n]
    real, off = qa.unheld_subject, (lambda index, q, titles: ("", None))

    def timed(check, q) -> float:
        qa.unheld_subject = check
        t = time.perf_counter()
        qa.ask(idx, q, embedder=emb, k=5)
        return (time.perf_counter() - t) * 1000

    for q in qs:  # warm: every query vector cached, every derived table built
        timed(real, q)
    a, b, b2 = [], [], []
    for q in qs:
        x1, y1, y2, x2 = timed(real, q), timed(off, q), timed(off, q), timed(real, q)
        a.append((x1 + x2) / 2), b.append(y1), b2.append(y2)
    qa.unheld_subject = real
    a, b, b2 = np.array(a), np.array(b), np.array(b2)
    print(f"{len(qs)} questions naming no law, {args.index}")
    print(f"A (with the check): p50 {np.median(a):.2f} ms, mean {a.mean():.2f} ms")
    print(f"B (check a no-op):  p50 {np.median((b + b2) / 2):.2f} ms, mean {((b + b2) / 2).mean():.2f} ms")
    print(f"A - B per question: median {np.median(a - (b + b2) / 2):+.3f} ms, mean {(a - (b + b2) / 2).mean():+.3f} ms")
    print(f"noise, B - B:       median {np.median(b - b2):+.3f} ms, mean {(b - b2).mean():+.3f} ms, "
          f"p95 |B - B| {np.percentile(abs(b - b2), 95):.3f} ms")


if __name__ == "__main__":
    main()
