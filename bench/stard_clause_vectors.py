"""Clause-level vectors (款) of an index's multi-paragraph passages, for the round-9 CV (issue 10; not product code).

Each passage whose text has ≥ 2 paragraphs gets one vector per paragraph, embedded with the passage's own head
(title, section path, article label — :func:`rag.chunk.embed_text`'s shape), so a 款 is searched as
``《law》 编 章 第X条 + that 款``. Writes ``OUT.npz`` with ``vectors`` (n × d) and ``rows`` (the passage row of each).

    python bench/stard_clause_vectors.py --home H31 --out /tmp/clauses
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def clauses(index) -> tuple[list[str], list[int]]:
    """(clause texts to embed, passage row of each) for passages with ≥ 2 paragraphs."""
    from rag.textnorm import to_mainland
    texts, rows = [], []
    for r, c in enumerate(index.chunks):
        paras = [p.strip() for p in re.split(r"\n\s*\n", c.text) if p.strip()]
        if len(paras) < 2:
            continue
        title = index.documents[c.doc_id].title
        label = c.article if c.article else ""
        head = " ".join(x for x in (title, c.section.replace(" > ", " "), label) if x)
        for p in paras:
            texts.append(to_mainland(f"{head}\n{p}" if head else p))
            rows.append(r)
    return texts, rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    from rag.embed import get_embedder
    from rag.index import open_index
    index = open_index(a.home)
    texts, rows = clauses(index)
    emb = get_embedder(index.embedder_name)
    t0 = time.time()
    vecs = emb.embed_passages(texts, batch_size=32)
    dt = time.time() - t0
    np.savez(a.out, vectors=np.asarray(vecs, np.float32), rows=np.asarray(rows))
    print(f"{len(texts)} clauses of {len(set(rows))} passages ({sum(map(len, texts))} characters): {dt:.0f} s, "
          f"{len(texts) / dt:.1f} clauses/s", flush=True)


if __name__ == "__main__":
    main()
