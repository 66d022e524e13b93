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
stats) of the model file is replaced; the statute-only models are not touched.

    python bench/mixed_law_refit.py --corpus-home H --everyday-home H2 --crossfit FOLDS.json \
        --stard-tune stard_tune.jsonl --cache DIR [--model rag/data/statute_answer.json]
"""

from __future__ import annotations

import argparse
import dataclasses
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

NOTE = (" Since round 8 the dense_plain rows come from retrieval with law slots (rag/law_route.py; STARD tune "
        "questions through the adapter of their fold, fitted on the other folds): bench/mixed_law_refit.py.")


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


def main() -> None:
    from statute_refusal import baseline, fit_plain, kind_sets
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus-home", required=True)
    ap.add_argument("--everyday-home", required=True)
    ap.add_argument("--stard-tune", required=True)
    ap.add_argument("--crossfit", required=True, help="JSON {folds, paths} of the fold adapters")
    ap.add_argument("--cache", required=True, help="rows are cached here (delete to recollect)")
    ap.add_argument("--model", default=str(ROOT / "rag" / "data" / "statute_answer.json"))
    a = ap.parse_args()
    crossfit = json.loads(Path(a.crossfit).read_text())
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    rows = {}
    for kind, home, path in kind_sets(a.corpus_home, a.everyday_home, a.stard_tune):
        f = cache / f"r8_kind_{kind}.jsonl"
        if not f.exists():
            got = collect(home, path, kind, crossfit if kind == "stard_corpus" else None)
            f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in got), encoding="utf-8")
        rows[kind] = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
        print(f"{kind}: {len(rows[kind])} rows", file=sys.stderr, flush=True)
    doc = json.loads(Path(a.model).read_text(encoding="utf-8"))
    dense = doc["models"]["dense"]
    before = baseline(rows, {"article": dense["article"], "refusal": doc["models"]["dense_plain"]["refusal"]})
    refusal, stats = fit_plain(rows, dense["article"])
    doc["models"]["dense_plain"] = {"refusal": refusal}
    doc["tune_stats"]["dense_plain"] = {"before (round 6's dense_plain on these rows)": before, **stats}
    if NOTE not in doc["note"]:
        doc["note"] += NOTE
    Path(a.model).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(doc["tune_stats"]["dense_plain"], indent=1))


if __name__ == "__main__":
    main()
