"""Rows for the entity veto (issue 9): SQuAD-style development sets asked twice, check off.

Each answerable question is asked on its dataset's own index (set ``NAME``) and again with its own article removed
(set ``NAME_removed``, recorded as gold-unanswerable: the right reply is a refusal). The rows have the format of
``bench/near_miss.py collect`` (what :func:`rag.constraints.violation` would see for each final quote), so
``bench/near_miss.py score --out DIR`` scores them with the check as the code now has it.

    python bench/entity_rows.py --set cmrc_trial=../shared/data/cmrc2018/cmrc2018_trial.json --out DIR \
        --calhome H

    python bench/entity_rows.py --jsonl bench/data/everyday_heldout9.jsonl=HOME --out DIR

Development sets only (CMRC2018 trial, the DRCD dev tune half, bench/data sets of rounds <= 15); it does not score.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from near_miss import Recorder, _row  # noqa: E402


def rows_for(name: str, path: Path, calhome: Path | None, limit: int = 0) -> list[dict]:
    """Both asks of every answerable item of ``path`` → near-miss rows (full index, own article removed)."""
    import rag.answer
    from rag.embed import get_embedder
    from rag.eval_data import load_dataset
    from rag.evaluate import dataset_index
    from rag.qa import ask

    rec = Recorder()
    rag.answer.near_miss = rec
    docs, items = load_dataset(path)
    items = [it for it in items if it.answerable][: limit or None]
    emb = get_embedder()
    ix = dataset_index(docs, embedder=emb, progress=False, root=calhome)
    all_docs = sorted(ix.documents)
    rows = []
    for it in items:
        rec.calls.clear()
        ans = ask(ix, it.question, embedder=emb, k=5, mode="hybrid")
        rows.append(_row(name, it.qid, it.question, True, it.answers, ans, rec.calls))
        others = [d for d in all_docs if d not in it.source_docs]
        rec.calls.clear()
        neg = ask(ix, it.question, embedder=emb, k=5, mode="hybrid", doc_ids=others)
        rows.append(_row(f"{name}_removed", it.qid, it.question, False, it.answers, neg, rec.calls))
    return rows


def jsonl_rows(name: str, path: Path, home: str) -> list[dict]:
    """One ask per question (or per dialogue turn) of a development JSONL set on the index at ``home``."""
    import rag.answer
    from near_miss import _dialogues, _flat
    from rag.embed import get_embedder
    from rag.index import open_index

    rec = Recorder()
    rag.answer.near_miss = rec
    ix = open_index(home)
    emb = get_embedder(ix.embedder_name)
    if path.name.startswith("dialogues"):
        return _dialogues(name, path, ix, emb, rec)
    return _flat(name, path, ix, emb, rec)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jsonl", action="append", default=[], help="FILE=HOME: a bench/data set on the index at HOME")
    ap.add_argument("--set", action="append", default=[], help="NAME=PATH of a SQuAD-style development set")
    ap.add_argument("--out", required=True)
    ap.add_argument("--calhome", help="data dir whose eval/ holds (or gets) the dataset indexes (default: RAG_HOME)")
    ap.add_argument("--limit", type=int, default=0, help="first N answerable questions per set")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for spec in args.set:
        name, path = spec.split("=", 1)
        rows = rows_for(name, Path(path), Path(args.calhome) if args.calhome else None, args.limit)
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows", file=sys.stderr, flush=True)
    for spec in args.jsonl:
        path, home = spec.split("=", 1)
        name = Path(path).stem
        rows = jsonl_rows(name, Path(path), home)
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
