"""Fit and check the statute article chooser (rag/statute_choice.py) on development data only.

Rows: every question whose statute answer was decided by the statute answerer (its top hit is an article),
asked through the product path (``rag.qa.Searcher.ask``) with the chooser OFF, recording the top-5 hits, the
answerer's evidence per hit, which hits hold a gold answer, and what the shipped answer quoted.

Development sets only (rounds <= 8; the round-9 sets are validation and the round-10 sets held out, never read
here): STARD tune on the 31-law index, each question through the query adapter of its fold (fitted on the other
three folds, grouped by gold article: ``bench/stard_crossfit.py``), and the law questions of the everyday sets and
the law dialogues' first turns (rounds 5-8) on their indexes.

    python bench/statute_chooser.py collect --out DIR        # ≈ 10 min on 2 cores
    python bench/statute_chooser.py ceiling --rows DIR       # gold in top 2/3/5 but not quoted
    python bench/statute_chooser.py cv --rows DIR            # grouped out-of-fold: shipped choice vs chooser
    python bench/statute_chooser.py fit --rows DIR           # → rag/data/statute_choice.json

Grouped CV: a STARD row's group is its adapter fold (grouped by gold article), an everyday/dialogue row's group is
its round (leave-one-round-out); each group is scored by a model fitted on all other groups. The second-article
threshold is read off the training groups' predictions: the lowest P keeping at most MAX_PROVISIONS quoted articles
per answer on the STARD rows (the tune fold's own gold answers cite 1.59 articles a question).

KEEP RULE (written before any run): ship the chooser only if, out of fold, quote-gold on STARD tune rises by
>= 1 point and the pooled everyday/dialogue development rows lose nothing (>= -0.5 point), with provisions per
answer <= 1.59 on STARD. Refusals are not touched (the refusal model and its inputs are unchanged).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rag.answer as A  # noqa: E402
import rag.statute_answer as S  # noqa: E402
from rag.asked_quantity import missing_quantity  # noqa: E402
from rag.asked_value import missing_value, typed_choice  # noqa: E402
from rag.records import Chunk, Hit  # noqa: E402
from rag.statute_choice import (  # noqa: E402
    CHOICE_MODEL,
    ChoiceModel,
    Trees,
    best_other,
    choice_features,
    choose,
)
from rag.textnorm import normalize, search_form  # noqa: E402

MAX_PROVISIONS = 1.59
STARD = ("/tmp/lead/r5/stard", "/tmp/cal/sets/stard/stard_tune.jsonl")
CORPUS, D = "/tmp/lead/r6/m/corpus", ROOT / "bench" / "data"
#: (round, home, set): the development law questions (rounds <= 8)
DEV = [("r5", "/tmp/lead/r5/everyday", D / "everyday_dev.jsonl"), ("r5", CORPUS, D / "everyday_heldout.jsonl"),
       ("r5", CORPUS, D / "dialogues_heldout_laws.jsonl"), ("r5", CORPUS, D / "dialogues_report_laws.jsonl"),
       ("r6", CORPUS, D / "everyday_heldout6.jsonl"), ("r6", "/tmp/lead/r6/h6docs_final", D / "everyday_heldout6_docs.jsonl"),
       ("r6", CORPUS, D / "dialogues_heldout6_laws.jsonl"),
       ("r7", CORPUS, D / "everyday_heldout7.jsonl"), ("r7", "/tmp/r7h1/docs_home", D / "everyday_heldout7_docs.jsonl"),
       ("r7", CORPUS, D / "dialogues_heldout7_laws.jsonl"),
       ("r8", CORPUS, D / "everyday_heldout8.jsonl"), ("r8", "/tmp/lead/r8/docs_home", D / "everyday_heldout8_docs.jsonl"),
       ("r8", CORPUS, D / "dialogues_heldout8_laws.jsonl")]


@contextlib.contextmanager
def _capture():
    """Record the first statute answer of each ask (chooser off) with its hits and evidence."""
    seen: dict = {}
    inner = A.statute_answer

    def wrapped(question, hits, **kw):
        kw["choice"] = False
        ans = inner(question, hits, **kw)
        if ans is not None and "hits" not in seen:
            dense = kw.get("query_vector") is not None and kw.get("vectors") is not None
            models = S.load_statute_models(fingerprint=kw.get("fingerprint"), dense=dense,
                                           adapted=bool(getattr(hits[0], "adapted", False)))
            qv = kw.get("query_vector") if models.kind == "dense" else None
            seen.update(hits=list(hits[:S.DEPTH]), answer=ans, kind=models.kind, wording=kw.get("wording") or question,
                        arts=S.article_features(kw.get("wording") or question, hits, idf=kw["idf"], query_vector=qv,
                                                vectors=kw.get("vectors")))
        return ans

    A.statute_answer = wrapped
    try:
        yield seen
    finally:
        A.statute_answer = inner


def _hit_dict(h) -> dict:
    c = h.chunk
    return {"text": c.text, "title": h.title, "article": c.article or "", "doc_id": c.doc_id, "chunk_id": c.chunk_id,
            "score": float(h.score), "exact": bool(h.exact)}


def collect_set(home: str, path: Path, group: str, crossfit: dict | None = None) -> list[dict]:
    from mixed_law_dev import crossfit_config, load_items
    from statute_kinds import is_law_question

    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig
    s = Searcher(home)
    index = s.index()
    folded: dict[str, str] = {}
    rows = []
    with _capture() as seen:
        for it in load_items(str(path)):
            if crossfit is None and not is_law_question(index, it, folded):
                continue
            cfg = crossfit_config(RetrieveConfig(query_adapter="auto"), it.qid, crossfit)
            seen.clear()
            ans = s.ask(it.question, config=cfg)
            if "hits" not in seen:
                continue
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            hits = seen["hits"]
            st = seen["answer"]
            rows.append({"qid": f"{path.stem}:{it.qid}", "set": path.stem,
                         "group": f"stard{crossfit['folds'][str(it.qid)]}" if crossfit else group,
                         "question": it.question, "wording": seen["wording"], "kind": seen["kind"],
                         "hits": [_hit_dict(h) for h in hits], "arts": seen["arts"],
                         "gold": [int(any(g in search_form(h.chunk.text) for g in golds)) for h in hits],
                         "statute_answerable": bool(st.answerable),
                         "statute_quoted": [c.chunk_id for c in st.citations] if st.answerable else [],
                         "final_answerable": bool(ans.answerable),
                         "final_quoted": [c.chunk_id for c in ans.citations] if ans.answerable else [],
                         "final_quote_gold": bool(ans.answerable and any(
                             g in search_form(c.quote) for g in golds for c in ans.citations))})
    return rows


def cmd_collect(a) -> None:
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from stard_crossfit import fold_adapters

    from rag.query_adapter import load_adapter
    t0 = time.time()
    if not (out / "stard_tune.jsonl").exists():
        folds, paths = fold_adapters(a.adapter_index, STARD[1], k=4, out_dir=Path(a.xfit), scale=load_adapter().scale)
        rows = collect_set(STARD[0], Path(STARD[1]), "stard", {"folds": folds, "paths": [str(p) for p in paths]})
        _write(out / "stard_tune.jsonl", rows)
        print(f"stard_tune: {len(rows)} rows ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    for group, home, path in DEV:
        f = out / f"{path.stem}.jsonl"
        if not f.exists():
            rows = collect_set(home, path, group)
            _write(f, rows)
            print(f"{path.stem}: {len(rows)} rows ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)


def _write(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def load_rows(d: str) -> list[dict]:
    rows = []
    for f in sorted(Path(d).glob("*.jsonl")):
        rows += [json.loads(line) for line in f.open(encoding="utf-8") if line.strip()]
    return [r for r in rows if r["kind"] == "dense"]


def _hits(r: dict) -> list[Hit]:
    return [Hit(chunk=Chunk(chunk_id=h["chunk_id"], doc_id=h["doc_id"], text=h["text"], start=0, end=len(h["text"]),
                            article=h["article"]), score=h["score"], rank=i + 1, title=h["title"], exact=h["exact"])
            for i, h in enumerate(r["hits"])]


def cmd_ceiling(a) -> None:
    """How often a gold article is in the top 2/3/5 but the (final) answer quotes none."""
    rows = load_rows(a.rows)
    for name, sel in (("STARD tune", lambda r: r["set"] == "stard_tune"), ("everyday + dialogue dev", lambda r: r["set"] != "stard_tune")):
        rs = [r for r in rows if sel(r)]
        q = np.mean([r["final_quote_gold"] for r in rs])
        line = f"{name}: {len(rs)} rows, quote-gold {q:.3f}, refused {np.mean([not r['final_answerable'] for r in rs]):.3f}"
        for k in (2, 3, 5):
            miss = [r for r in rs if r["final_answerable"] and not r["final_quote_gold"] and any(r["gold"][:k])]
            line += f"; gold in top {k} not quoted {len(miss)} ({len(miss) / len(rs):.3f})"
        print(line)


def _features(r: dict) -> list[dict[str, float]]:
    return choice_features(r["wording"], _hits(r), r["arts"])


def _typed(r: dict) -> int | None:
    """The value-typed choice the answerer makes before the chooser (rag.statute_answer), or None."""
    h = r["hits"]
    if h[0]["exact"]:
        return None
    return typed_choice(r["question"], [x["text"] if x["article"] and x["title"] == h[0]["title"]
                                        and (i == 0 or r["arts"][i]["coverage"] > 0) else ""
                                        for i, x in enumerate(h)], depth=S.TYPED_DEPTH)


def _others(r: dict, feats: list[dict[str, float]]) -> list[tuple[int, dict[str, float], int]]:
    """(index, features, gold) of the row's statute articles below the top hit (another passage)."""
    h = r["hits"]
    return [(j, feats[j], r["gold"][j]) for j in range(1, len(h))
            if h[j]["article"] and h[j]["chunk_id"] != h[0]["chunk_id"]]


def fit_trees(rows: list[dict]) -> Trees:
    """Boosted trees (depth 3, 150 rounds, rate 0.05: set, not tuned) on the rank 2-5 articles of ``rows``."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    cands = [c for r in rows for c in _others(r, _features(r))]
    names = sorted({k for _, f, _ in cands for k in f})
    X = np.array([[f.get(n, 0.0) for n in names] for _, f, _ in cands])
    m = HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.05, early_stopping=False,
                                       random_state=0).fit(X, np.array([g for _, _, g in cands]))
    trees = []
    for (pred,) in m._predictors:  # scikit-learn's fitted trees, as plain lists (rag.statute_choice.Trees)
        trees.append([[int(n["feature_idx"]), float(n["num_threshold"]), -1 if n["is_leaf"] else int(n["left"]),
                       -1 if n["is_leaf"] else int(n["right"]), float(n["value"])] for n in pred.nodes])
    t = Trees.from_dict({"names": names, "base": float(np.ravel(m._baseline_prediction)[0]), "trees": trees})
    check = m.predict_proba(X[:200])[:, 1]
    mine = [t.probability(dict(zip(names, x))) for x in X[:200]]
    assert np.allclose(check, mine, atol=1e-6), "tree export differs from scikit-learn"
    return t


def quoted_by(model: ChoiceModel, r: dict) -> list[int]:
    """Hit indices the chooser-on answerer quotes for row ``r`` (the typed choice first, as the product does)."""
    t = _typed(r)
    if t is not None:
        return [t, 0]
    if _own_choice(r):  # the answerer keeps its own choice (rag.statute_answer._picks)
        ids = [h["chunk_id"] for h in r["hits"]]
        return [ids.index(c) for c in r["statute_quoted"] if c in ids] or [0]
    return choose(model, r["wording"], _hits(r), r["arts"])


def _own_choice(r: dict) -> bool:
    """The chooser is not asked (rag.statute_answer._picks): an article named by law and number, or a top article
    lacking the value the question asks."""
    top = r["hits"][0]
    return top["exact"] or bool(missing_value(r["question"], top["text"]) or missing_quantity(r["question"], top["text"]))


def _second_threshold(trees: Trees, rows: list[dict]) -> float:
    """The lowest P of the best other article keeping <= MAX_PROVISIONS per answered STARD row of ``rows``."""
    rs = [r for r in rows if r["set"] == "stard_tune" and r["statute_answerable"]] or \
        [r for r in rows if r["statute_answerable"]]
    m = ChoiceModel(trees, 1.01)
    fixed = [2 if _typed(r) is not None else len(quoted_by(m, r)) if _own_choice(r) else 0 for r in rs]
    p2 = [-1.0 if n else best_other(m, r["wording"], _hits(r), r["arts"])[0] for n, r in zip(fixed, rs)]
    best = 1.01
    for t in sorted({round(p, 4) for p in p2 if p >= 0}, reverse=True):  # articles as the product quotes them:
        if sum(n or 1 + (p >= t) for n, p in zip(fixed, p2)) / len(p2) > MAX_PROVISIONS:  # typed 2, own choice, 1-2
            break
        best = t
    return best


def fit_choice(rows: list[dict]) -> ChoiceModel:
    trees = fit_trees(rows)
    return ChoiceModel(trees, _second_threshold(trees, rows))


def _outcome(r: dict, picks: list[int]) -> tuple[bool, int]:
    """(quotes gold, articles quoted) of row ``r`` when the statute answer quotes ``picks``; rows whose final
    answer is not the statute answer (refused, or replaced downstream) keep their final outcome."""
    if not r["final_answerable"]:
        return False, 0
    if r["final_quoted"] != r["statute_quoted"]:
        return r["final_quote_gold"], len(r["final_quoted"])
    quoted = "".join(r["hits"][i]["text"] for i in picks)
    if not r["hits"][0]["exact"] and (missing_value(r["question"], quoted) or missing_quantity(r["question"], quoted)):
        return False, 0  # refused by the value checks of rag.answer (the quote holds no value of the asked kind)
    return any(r["gold"][i] for i in picks), len(picks)


def cmd_cv(a) -> None:
    rows = load_rows(a.rows)
    groups = sorted({r["group"] for r in rows})
    res = {}
    for g in groups:
        model = fit_choice([r for r in rows if r["group"] != g])
        for r in rows:
            if r["group"] == g:
                res[r["qid"]] = _outcome(r, quoted_by(model, r))
    report(rows, res)


def report(rows: list[dict], res: dict) -> None:
    views = [("STARD tune", lambda r: r["set"] == "stard_tune"),
             ("everyday + dialogue dev (pooled)", lambda r: r["set"] != "stard_tune")]
    views += [(f"  {g}", functools.partial(_in_group, g)) for g in sorted({r["group"] for r in rows})]
    for name, sel in views:
        rs = [r for r in rows if sel(r)]
        base = np.mean([r["final_quote_gold"] for r in rs])
        new = np.mean([res[r["qid"]][0] for r in rs])
        ans = [r for r in rs if r["final_answerable"]]
        pb = np.mean([len(r["final_quoted"]) for r in ans]) if ans else 0
        pn = np.mean([res[r["qid"]][1] for r in ans]) if ans else 0
        ref = np.mean([not r["final_answerable"] or res[r["qid"]][1] == 0 for r in rs])
        print(f"{name:36s} n={len(rs):4d} quote-gold shipped {base:.3f} → chooser (out of fold) {new:.3f} "
              f"({100 * (new - base):+.1f} pt); provisions/answer {pb:.2f} → {pn:.2f}; refused "
              f"{np.mean([not r['final_answerable'] for r in rs]):.3f} → {ref:.3f}")


def _in_group(group: str, r: dict) -> bool:
    return r["group"] == group


def cmd_fit(a) -> None:
    from rag.index import open_index
    rows = load_rows(a.rows)
    model = fit_choice(rows)
    fp = open_index(STARD[0]).manifest["embedder"]
    out = {"note": "Statute article chooser (rag/statute_choice.py): P(a rank 2-5 statute hit is a gold provision), "
                   "boosted trees; the likeliest is quoted after the top hit when its P >= second (set to keep <= "
                   f"{MAX_PROVISIONS} articles per answer on STARD tune). Fitted by bench/statute_chooser.py fit.",
           "fitted_for": {"embedder": fp.get("name"), "fingerprint": fp.get("fingerprint")},
           "fitted_on": {"rows": len(rows), "sets": sorted({r["set"] for r in rows}),
                         "retrieval": "STARD tune: 31-law index, cross-fitted query adapters (4 folds grouped by gold "
                                      "article); everyday/dialogue law questions of rounds 5-8: the product path",
                         "max_provisions": MAX_PROVISIONS},
           "model": {"other": {"names": list(model.other.names), "base": model.other.base,
                               "trees": [[list(n) for n in t] for t in model.other.trees]},
                     "second": model.second}}
    Path(a.model).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.model}: second {model.second:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=("collect", "ceiling", "cv", "fit"))
    ap.add_argument("--out", default="/tmp/statute_chooser")
    ap.add_argument("--rows", default="/tmp/statute_chooser")
    ap.add_argument("--xfit", default="/tmp/statute_chooser_xfit")
    ap.add_argument("--adapter-index", default="/tmp/fullbuild4/this-0")
    ap.add_argument("--model", default=str(CHOICE_MODEL))
    a = ap.parse_args()
    {"collect": cmd_collect, "ceiling": cmd_ceiling, "cv": cmd_cv, "fit": cmd_fit}[a.cmd](a)


if __name__ == "__main__":
    main()
