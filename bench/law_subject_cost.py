"""What does round 16's named-law check cost a question? (direct timing of :func:`rag.repealed.unheld_subject`)

Every development question (rounds <= 14, :func:`law_name_firings.development_files`) is checked against an index's
titles as :func:`rag.qa.ask` checks it, 5 times; p50 / p95 / max of the best of the 5 are printed for the questions
that name no law (:func:`rag.law_names.law_subject` is '') and for the rest. The whole-answer comparison, old code
vs new, is ``bench/ask_cost_ab.py``.

    python bench/law_subject_cost.py --index /tmp/lead/r16/m/corpus
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

from rag.index import open_index  # noqa: E402
from rag.law_names import law_subject  # noqa: E402
from rag.repealed import unheld_subject  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--max-round", type=int, default=14)
    args = ap.parse_args()
    idx = open_index(args.index)
    titles = sorted({d.title for d in idx.documents.values()})
    qs = [q for p in development_files(args.max_round) for _, _, q in questions(p)]
    law_subject("刑法规定正当防卫是什么")  # jieba and its tagger loaded once, as in a running server
    unheld_subject(idx, "婚姻法规定离婚冷静期多久", titles)  # the repeal table read once per generation
    best = {q: min(_ms(idx, q, titles) for _ in range(5)) for q in qs}
    for label, group in (("no law named", [q for q in qs if not law_subject(q)]),
                         ("a law named", [q for q in qs if law_subject(q)])):
        v = np.array([best[q] for q in group]) if group else np.zeros(1)
        print(f"{label}: {len(group)} questions; p50 {np.percentile(v, 50):.4f} ms, p95 {np.percentile(v, 95):.4f} ms,"
              f" max {v.max():.4f} ms")


def _ms(idx, q: str, titles) -> float:
    t = time.perf_counter()
    unheld_subject(idx, q, titles)
    return (time.perf_counter() - t) * 1000


if __name__ == "__main__":
    main()
