"""Embed the article-level statute corpus once with e5-small; cache vectors in shards (resumable).

Order: articles of laws that STARD's dev questions cite come first (so partial runs are usable),
then the rest. Each shard ``/tmp/h5/emb/NNNN.npz`` holds ``ids`` and float16 ``vecs``; a killed run
resumes at the first missing shard. Passage text is :func:`stard_corpus.passage` (``《law》第X条 …``).

    nice -n 10 python bench/stard_embed.py [--out /tmp/h5/emb] [--shard 1000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stard_corpus import ARCHIVE, load_articles, passage  # noqa: E402


def order(arts) -> list[int]:
    """Articles of every law (title) holding a STARD dev gold article first, then the rest shuffled (seed 0).

    The machine could not embed all 64k articles in the time we had; a run stopped part-way leaves
    a corpus of the gold laws plus a uniform sample of every other law's articles.
    """
    import random
    from stard_corpus import gold_rows
    recs = json.loads((ARCHIVE.parent / "stard" / "stard_queries_dev.json").read_text(encoding="utf-8"))
    titles = {arts[i].title for g in gold_rows(recs, arts) for i in g}
    rest = [a.aid for a in arts if a.title not in titles]
    random.Random(0).shuffle(rest)
    return [a.aid for a in arts if a.title in titles] + rest


def load_vectors(out: str | Path, n: int, dim: int = 384) -> tuple[np.ndarray, np.ndarray]:
    """``(vecs, have)``: float32 vectors by article id and a mask of the ids embedded so far."""
    vecs = np.zeros((n, dim), np.float32)
    have = np.zeros(n, bool)
    for f in sorted(Path(out).glob("*.npz")):
        z = np.load(f)
        vecs[z["ids"]] = z["vecs"].astype(np.float32)
        have[z["ids"]] = True
    return vecs, have


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/tmp/h5/emb")
    ap.add_argument("--shard", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    from rag.embed_e5st import E5SentenceTransformerEmbedder
    arts = load_articles()
    ids = order(arts)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    emb = E5SentenceTransformerEmbedder(threads=a.threads)
    t0 = time.time()
    done = 0
    _, have = load_vectors(out, len(arts))
    ids = [i for i in ids if not have[i]]
    print(f"{int(have.sum())} articles already embedded, {len(ids)} to go", flush=True)
    run = f"{len(list(out.glob('*.npz'))):04d}"
    for s in range(0, len(ids), a.shard):
        f = out / f"{run}-{s // a.shard:04d}.npz"
        chunk = ids[s:s + a.shard]
        v = emb.embed_passages([passage(arts[i]) for i in chunk], batch_size=32)
        np.savez(str(f) + ".tmp.npz", ids=np.array(chunk), vecs=v.astype(np.float16))
        Path(str(f) + ".tmp.npz").rename(f)
        done += len(chunk)
        el = time.time() - t0
        print(f"{s + len(chunk)}/{len(ids)}  {done / el:.1f}/s  eta {(len(ids) - s - len(chunk)) / (done / el) / 60:.1f} min",
              flush=True)


if __name__ == "__main__":
    main()
