"""The everyday development sets of rounds ≤ 10 as refusal-model rows, one *round* per writer (issue 9, rounds 10, 12).

Five rounds of everyday-worded questions were written by different hands, each set asked of its own index:

- ``dev``: ``everyday_dev.jsonl`` (its 24 documents, ``bench/everyday_dev.py build``);
- ``5``: ``everyday_heldout.jsonl`` on ``corpus/``;
- ``6`` … ``10``: ``everyday_heldout{6..10}.jsonl`` on ``corpus/`` and ``everyday_heldout{6..10}_docs.jsonl`` on the
  index of their documents (``bench/everyday_heldout6.py``, ``bench/heldout{7,8,9,10}_docs.py build``). Rounds 9 and
  10 were validation and held-out data in their own rounds and are development data since round 12.

Every question is asked as ``bench/everyday_dev.collect_rows`` asks it: an answerable one on the full index and with the
documents holding its answer removed, an unanswerable one on the full index. Rows carry ``set`` ``everyday_r<R>`` or
``everyday_r<R>docs`` (``…_en`` for English), ``round`` R and ``group`` (set:document). Rows whose first hit is a statute
article (``statute``) belong to the statute answerer and are not the general refusal model's.

The round-11 sets are validation data (round 12) and the round-12 sets held out: neither is listed here.
``R11_ROUNDS`` are the rounds round 11's shipped model was fitted on (``--rounds dev,5,6,7,8`` reproduces it).
This module collects and caches rows; it fits nothing (``bench/everyday_loro.py`` and ``bench/calibrate_answers.py
--everyday-rounds`` do).

    RAG_HOME=H python bench/everyday_rounds.py --index corpus=DIR --index docs6=DIR … [--reuse]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DATA = ROOT / "bench" / "data"
#: (set name, round, file, index key)
SETS: tuple[tuple[str, str, str, str], ...] = (
    ("everyday_rdev", "dev", "everyday_dev.jsonl", "everyday"),
    ("everyday_r5", "5", "everyday_heldout.jsonl", "corpus"),
    ("everyday_r6", "6", "everyday_heldout6.jsonl", "corpus"),
    ("everyday_r6docs", "6", "everyday_heldout6_docs.jsonl", "docs6"),
    ("everyday_r7", "7", "everyday_heldout7.jsonl", "corpus"),
    ("everyday_r7docs", "7", "everyday_heldout7_docs.jsonl", "docs7"),
    ("everyday_r8", "8", "everyday_heldout8.jsonl", "corpus"),
    ("everyday_r8docs", "8", "everyday_heldout8_docs.jsonl", "docs8"),
    ("everyday_r9", "9", "everyday_heldout9.jsonl", "corpus"),
    ("everyday_r9docs", "9", "everyday_heldout9_docs.jsonl", "docs9"),
    ("everyday_r10", "10", "everyday_heldout10.jsonl", "corpus"),
    ("everyday_r10docs", "10", "everyday_heldout10_docs.jsonl", "docs10"),
)
ROUNDS = ("dev", "5", "6", "7", "8", "9", "10")
#: the rounds of round 11's shipped refusal model (round 12 adds 9 and 10)
R11_ROUNDS = ("dev", "5", "6", "7", "8")
#: where the lead keeps these indexes (read-only: copy them, ``--index KEY=DIR``)
DEFAULT_INDEXES = {"everyday": "/tmp/lead/r5/everyday", "corpus": "/tmp/lead/r12/m/corpus",
                   "docs6": "/tmp/lead/r6/h6docs_final", **{f"docs{k}": f"/tmp/lead/r12/docs/r{k}" for k in (7, 8, 9, 10)}}


def sets_of(rounds: tuple[str, ...] | None) -> tuple[tuple[str, str, str, str], ...]:
    """The entries of :data:`SETS` of ``rounds`` (None: all).

    >>> [name for name, *_ in sets_of(("5", "9"))]
    ['everyday_r5', 'everyday_r9', 'everyday_r9docs']
    """
    return SETS if rounds is None else tuple(s for s in SETS if s[1] in rounds)


def is_round_set(name: str) -> bool:
    """A row set of this module (Chinese or English)."""
    return name.startswith("everyday_r")


def round_rows(emb, home: Path, indexes: dict[str, str], reuse: bool = True,
               sets: tuple[tuple[str, str, str, str], ...] = SETS) -> list[dict]:
    """Rows of every development everyday set, cached in ``home/calib_rows_<set>.jsonl``."""
    from calib_rows import dev_set_rows

    rows: list[dict] = []
    for name, rnd, file, key in sets:
        cache = home / f"calib_rows_{name}.jsonl"
        new = dev_set_rows(name, DATA / file, Path(indexes.get(key, DEFAULT_INDEXES[key])), emb, cache, reuse)
        emb.save()
        rows += [dict(r, round=rnd) for r in new]
    return rows


def general_rows(rows: list[dict]) -> list[dict]:
    """The Chinese rows the general refusal model decides (first hit not a statute article)."""
    return [r for r in rows if not r["statute"] and not r["set"].endswith("_en")]


def summary(rows: list[dict]) -> dict[str, dict[str, int]]:
    """Per set: answerable / removed / native rows, all and on the general path."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        s = out.setdefault(r["set"], {})
        kind = r.get("kind", "full")
        s[kind] = s.get(kind, 0) + 1
        if not r["statute"]:
            s[kind + "_general"] = s.get(kind + "_general", 0) + 1
    return out


def main(argv: list[str] | None = None) -> int:
    from rag.config import data_dir
    from rag.embed import get_embedder
    from calib_rows import CachedQueries

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", action="append", default=[], metavar="KEY=DIR",
                    help=f"index of a set's documents; keys {sorted(DEFAULT_INDEXES)}")
    ap.add_argument("--reuse", action="store_true", help="read cached rows where they exist")
    ap.add_argument("--rounds", default=None, help="comma-separated rounds (default: all of ROUNDS)")
    args = ap.parse_args(argv)
    indexes = dict(s.split("=", 1) for s in args.index)
    home = data_dir()
    inner = get_embedder("e5-small")
    emb = CachedQueries(inner, home / "qcache.npz")
    rows = round_rows(emb, home, indexes, reuse=args.reuse,
                      sets=sets_of(tuple(args.rounds.split(",")) if args.rounds else None))
    print(json.dumps(summary(rows), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
