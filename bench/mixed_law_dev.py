"""Retrieval on mixed indexes, law questions vs the rest: ``RetrieveConfig`` variants side by side.

For each (index, question set) pair: every answerable question is asked through ``rag.retrieve.retrieve``
(k = 10) under each variant; a hit at k is a top-k passage holding a gold answer string (``rag eval``'s
relevance). Questions are split into *law* questions (all documents holding a gold string are statutes,
``bench/statute_kinds.is_law_question``) and *other* questions. Dialogue sets contribute their first turns.

    python bench/mixed_law_dev.py --pair /tmp/r8h5/corpus:bench/data/everyday_heldout7.jsonl \
        --variant off='{"mixed_law":"off"}' --variant auto='{}' [--out FILE.json]

``--crossfit`` (for STARD tune, whose questions the shipped adapter was fitted on): each question is asked
with the adapter of its fold, fitted on the other three (``bench/stard_crossfit.py``). Reads only the given sets; prints one table row per (set, kind, variant) and per-question law misses
with ``--show``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.eval_data import EvalItem, load_dataset  # noqa: E402
from rag.qa import Searcher  # noqa: E402
from rag.retrieve import RetrieveConfig, retrieve  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from statute_kinds import is_law_question  # noqa: E402


def load_items(path: str) -> list[EvalItem]:
    """Answerable items of a question set; a dialogue set gives its first turns."""
    first = Path(path).open(encoding="utf-8").readline()
    if '"turns"' in first:
        out = []
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                t = d["turns"][0]
                out.append(EvalItem(f"{d['id']}.0", t["question"], list(t.get("answers", [])),
                                    answerable=t.get("answerable", True)))
        return [i for i in out if i.answerable and i.answers]
    return [i for i in load_dataset(path)[1] if i.answerable and i.answers]


def rank_of(hits, golds) -> int | None:
    for h in hits:
        t = search_form(h.chunk.text)
        if any(g in t for g in golds):
            return h.rank
    return None


def crossfit_config(cfg: RetrieveConfig, qid: str, crossfit: dict | None) -> RetrieveConfig:
    """``cfg`` with the adapter of the question's fold (fitted on the other folds of STARD tune), for
    questions the shipped adapter saw; other questions and settings unchanged."""
    if not crossfit or str(qid) not in crossfit["folds"]:
        return cfg
    return dataclasses.replace(cfg, adapter=crossfit["paths"][crossfit["folds"][str(qid)]])


def run(home: str, path: str, variants: dict[str, RetrieveConfig], show: bool, crossfit: dict | None = None
        ) -> list[dict]:
    s = Searcher(home)
    index = s.index()
    emb = s.embedder
    folded: dict[str, str] = {}
    rows = []
    for it in load_items(path):
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        row = {"set": Path(path).stem, "id": it.qid, "q": it.question,
               "law": is_law_question(index, it, folded), "rank": {}, "ms": {}}
        for name, cfg in variants.items():
            t0 = time.perf_counter()
            hits = retrieve(index, it.question, embedder=emb, k=10, config=crossfit_config(cfg, it.qid, crossfit))
            row["ms"][name] = (time.perf_counter() - t0) * 1000
            row["rank"][name] = rank_of(hits, golds)
        rows.append(row)
        if show and row["law"] and len(set(row["rank"].values())) > 1:
            print(f"  {it.qid} {row['rank']} {it.question}", flush=True)
    return rows


def table(rows: list[dict], variants) -> None:
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["set"], "law" if r["law"] else "other"), []).append(r)
    print("| set | kind | n | variant | hit@1 | hit@5 | hit@10 |")
    print("|---|---|---|---|---|---|---|")
    for (st, kind), rs in sorted(groups.items()):
        for v in variants:
            h = [sum(1 for r in rs if r["rank"][v] is not None and r["rank"][v] <= k) / len(rs) for k in (1, 5, 10)]
            print(f"| {st} | {kind} | {len(rs)} | {v} | {h[0]:.3f} | {h[1]:.3f} | {h[2]:.3f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pair", action="append", required=True, help="HOME:SET (repeatable)")
    ap.add_argument("--variant", action="append", required=True, help="NAME=JSON of RetrieveConfig fields")
    ap.add_argument("--out", help="write per-question rows here (JSON lines)")
    ap.add_argument("--crossfit", help="JSON {folds: {qid: fold}, paths: [adapter of fold f]} "
                    "(bench/stard_crossfit.fold_adapters): STARD tune questions get their fold's adapter")
    ap.add_argument("--show", action="store_true", help="print law questions whose rank differs")
    a = ap.parse_args()
    variants = {}
    for v in a.variant:
        name, _, cfg = v.partition("=")
        variants[name] = RetrieveConfig(**json.loads(cfg or "{}"))
    rows = []
    for pair in a.pair:
        home, _, path = pair.partition(":")
        print(f"# {path} on {home}", flush=True)
        crossfit = json.loads(Path(a.crossfit).read_text()) if a.crossfit and "stard" in path else None
        rows += run(home, path, variants, a.show, crossfit)
    table(rows, variants)
    if a.out:
        Path(a.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
