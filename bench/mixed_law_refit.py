"""Refit the mixed-index statute refusal (``dense_plain``) on retrieval with law slots (rag/law_route.py).

Round 6's ``dense_plain`` refusal (``bench/statute_refusal.py``) was fitted on the general ranking of mixed
indexes. Since round 8 the statute slots of that ranking are refilled in the order a statute index ranks its
articles, so the article the statute answerer sees first is often another one, and the refusal's features
move. This script collects the same rows as ``bench/statute_kinds.py`` (the same four kinds, labels and
"top hit is an article" rule) through the *current* retrieval, with one difference: STARD tune questions
reach the law slots through the query adapter, which was fitted on them, so each is asked with the adapter
of its fold, fitted on the other three (``bench/stard_crossfit.py``; ``--crossfit`` from
``bench/mixed_law_dev.py``'s notes). Then ``statute_refusal.fit_plain`` fits the model and the threshold by
round 6's rule (refuse at most 7.5 % of each kind's answerable questions), and only ``dense_plain`` (model,
stats) of the given copy of the model file is replaced; the statute-only models are not touched.

**Not shipped** (docs/legal-retrieval.md, round 8): on the everyday sets it was not fitted on, the refit model
refused 21-25 % of fair law questions (round 6's model on the same retrieval: 8-9 %), so the shipped
``dense_plain`` stays round 6's, fitted on the general ranking (``bench/statute_kinds.GENERAL``).

    python bench/mixed_law_refit.py --corpus-home H --everyday-home H2 --crossfit FOLDS.json \
        --stard-tune stard_tune.jsonl --cache DIR [--model rag/data/statute_answer.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.eval_data import load_dataset  # noqa: E402
from rag.evaluate import own_documents  # noqa: E402
from rag.qa import Searcher  # noqa: E402
from rag.retrieve import RetrieveConfig  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402
from statute_kinds import _capture, is_law_question  # noqa: E402

def collect(home: str, path: str, kind: str, crossfit: dict | None) -> list[dict]:
    """``bench/statute_kinds.collect``'s rows, asked with the question's fold adapter where ``crossfit`` has one."""
    s = Searcher(home)
    index = s.index()
    _, items = load_dataset(path)
    folded: dict[str, str] = {}
    all_docs = sorted(index.documents)
    rows = []
    with _capture() as seen:
        for it in items:
            cfg = RetrieveConfig()
            if crossfit and str(it.qid) in crossfit["folds"]:
                cfg = dataclasses.replace(cfg, adapter=crossfit["paths"][crossfit["folds"][str(it.qid)]])
            law = it.answerable and is_law_question(index, it, folded)
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            asks = [(int(bool(law)), None)]
            if it.answerable and (own := own_documents(index, it, folded)):
                asks.append((0, [d for d in all_docs if d not in own]))
            for label, docs in asks:
                seen.clear()
                ans = s.ask(it.question, doc_ids=docs, config=cfg) if docs else s.ask(it.question, config=cfg)
                if "arts" not in seen:
                    continue
                hits = seen["hits"]
                rows.append({"qid": f"{kind}:{it.qid}", "kind": kind, "setting": kind, "answerable": label,
                             "arts": seen["arts"], "is_article": [bool(h.chunk.article) for h in hits],
                             "gold": [int(any(g in search_form(h.chunk.text) for g in golds)) for h in hits],
                             "law": bool(law), "shipped_answered": bool(ans.answerable),
                             "confidence": float(ans.confidence or 0.0)})
    return rows


def plain_rows(corpus_home: str, everyday_home: str, stard_tune: str, cache: Path, crossfit: dict | None
               ) -> dict[str, list[dict]]:
    """Rows per kind (``bench/statute_refusal.kind_sets``), STARD tune through its fold adapters; cached as JSON
    lines by kind, home, set and adapters."""
    from statute_refusal import kind_sets
    cache.mkdir(parents=True, exist_ok=True)
    rows = {}
    for kind, home, path in kind_sets(corpus_home, everyday_home, stard_tune):
        use = crossfit if kind == "stard_corpus" else None
        key = f"r8|{kind}|{home}|{path}|{Path(path).stat().st_size}|{json.dumps(use, sort_keys=True)}"
        f = cache / f"r8_kind_{kind}_{hashlib.sha256(key.encode()).hexdigest()[:12]}.jsonl"
        if not f.exists():
            got = collect(home, path, kind, use)
            f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got), encoding="utf-8")
        rows[kind] = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
        print(f"{kind}: {len(rows[kind])} rows", file=sys.stderr, flush=True)
    return rows


def refit(models: dict, rows: dict[str, list[dict]]) -> tuple[dict, dict]:
    """``(dense_plain model, its stats)`` fitted on ``rows`` by round 6's rule; the stats also give the adapter
    model's refusal and the previous ``dense_plain`` (when ``models`` has one) on the same rows."""
    from statute_refusal import baseline, fit_plain
    dense = models["dense"]
    stats = {"before (the adapter model's refusal)": baseline(rows, dense)}
    if "dense_plain" in models:
        stats["before (the previous dense_plain)"] = baseline(
            rows, {"article": dense["article"], "refusal": models["dense_plain"]["refusal"]})
    refusal, st = fit_plain(rows, dense["article"])
    stats.update(st)
    return {"refusal": refusal}, stats


def main() -> None:
    from stard_answers import statute_note
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-home", required=True)
    ap.add_argument("--everyday-home", required=True)
    ap.add_argument("--stard-tune", required=True)
    ap.add_argument("--crossfit", required=True, help="JSON {folds, paths} of the fold adapters")
    ap.add_argument("--cache", required=True, help="rows are cached here")
    ap.add_argument("--model", required=True, help="a copy of rag/data/statute_answer.json to refit (in place)")
    a = ap.parse_args()
    rows = plain_rows(a.corpus_home, a.everyday_home, a.stard_tune, Path(a.cache),
                      json.loads(Path(a.crossfit).read_text()))
    doc = json.loads(Path(a.model).read_text(encoding="utf-8"))
    doc["models"]["dense_plain"], doc["tune_stats"]["dense_plain"] = refit(doc["models"], rows)
    doc["note"] = statute_note(True) + " dense_plain: refit by bench/mixed_law_refit.py (an experiment)."
    Path(a.model).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc["tune_stats"]["dense_plain"], indent=1))


if __name__ == "__main__":
    main()
