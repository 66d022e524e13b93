"""Fit and check the statute answer's first-article switch (bench/statute_first_model.py; not shipped) on development data only.

Rows (``collect``): as ``bench/statute_chooser.py`` records them (the product path with the chooser off, top-5
hits, the answerer's evidence, which hits hold a gold answer): STARD tune on the 31-law index of
``bench/statute_corpus.py``, each question through a query adapter cross-fitted on the other three folds (grouped by
gold article: ``bench/stard_crossfit.py``, the existing ``group_folds``; adapters trained on that index's passages),
and the law questions / law-dialogue first turns of the development rounds <= 13 on the shared ``corpus/`` and
``_docs`` indexes (round 14 is validation, round 15 held out: never read here). everyday_dev and round 6's
``_docs`` set have no shared index on this machine and are not collected.

    python bench/statute_first.py collect --out DIR --stard /tmp/h5/stard   # STARD home = DIR_STARD/home
    python bench/statute_first.py cv --rows DIR      # grouped out-of-fold: shipped answer vs the switch
    python bench/statute_first.py fit --rows DIR     # → rag/data/statute_first.json
    python bench/statute_first.py ceiling --rows DIR # what a first-article switch could reach

Both arms replay the shipped answer (typed-value choice, own choice, round-10 chooser from
``rag/data/statute_choice.json``); the candidate then moves the best rank-2/3 article first when P ≥ 0.5
(:func:`statute_first_model.reorder`). Groups: STARD's 4 folds, everyday rows by round (leave-one-round-out).
KEEP RULE: docs/legal-retrieval.md "Round 15" (written before any estimate).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import rag.statute_answer as S  # noqa: E402
from rag.asked_quantity import missing_quantity  # noqa: E402
from rag.asked_value import missing_value  # noqa: E402
from rag.statute_choice import CHOICE_MODEL, Trees, choice_features, choose, load_choice_model  # noqa: E402
from statute_first_model import FIRST_MODEL, RANKS, FirstModel, best_first, pair_features, reorder  # noqa: E402
from statute_chooser import _hits, _own_choice, _outcome, _typed, _write, collect_set  # noqa: E402

CORPUS, DOCS, D = "/tmp/lead/r12/m/corpus", "/tmp/lead/r12/docs/r{}", ROOT / "bench" / "data"
#: (round, home, set): development law questions (rounds <= 13) with a shared index on this machine
DEV = [("r5", CORPUS, D / "everyday_heldout.jsonl"), ("r5", CORPUS, D / "dialogues_heldout_laws.jsonl"),
       ("r5", CORPUS, D / "dialogues_report_laws.jsonl"),
       ("r6", CORPUS, D / "everyday_heldout6.jsonl"), ("r6", CORPUS, D / "dialogues_heldout6_laws.jsonl")]
DEV += [(f"r{k}", h, D / f) for k in range(7, 14) for h, f in (
    (CORPUS, f"everyday_heldout{k}.jsonl"), (DOCS.format(k), f"everyday_heldout{k}_docs.jsonl"),
    (CORPUS, f"dialogues_heldout{k}_laws.jsonl"))]


def cmd_collect(a) -> None:
    from stard_crossfit import fold_adapters

    from rag.query_adapter import load_adapter
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    home, tune = f"{a.stard}/home", f"{a.stard}/stard_tune.jsonl"
    if not a.dev_only and not (out / "stard_tune.jsonl").exists():
        folds, paths = fold_adapters(home, tune, k=4, out_dir=out / "xfit", scale=load_adapter().scale)
        rows = collect_set(home, Path(tune), "stard", {"folds": folds, "paths": [str(p) for p in paths]})
        _write(out / "stard_tune.jsonl", rows)
        print(f"stard_tune: {len(rows)} rows ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    for group, h, path in DEV:
        f = out / f"{path.stem}.jsonl"
        if not f.exists() and path.exists() and Path(h).exists():
            _write(f, collect_set(h, path, group))
            print(f"{path.stem}: ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)


def load_rows(d: str) -> list[dict]:
    rows = []
    for f in sorted(Path(d).glob("*.jsonl")):
        rows += [json.loads(line) for line in f.open(encoding="utf-8") if line.strip()]
    return [r for r in rows if r["kind"] == "dense"]


_FEATS: dict[str, list[dict[str, float]]] = {}


def _features(r: dict) -> list[dict[str, float]]:
    """The round-10 chooser's features of the row's hits (computed once per row)."""
    if r["qid"] not in _FEATS:
        _FEATS[r["qid"]] = choice_features(r["wording"], _hits(r), r["arts"])
    return _FEATS[r["qid"]]


def _allowed(r: dict):
    return lambda j: not (missing_value(r["question"], r["hits"][j]["text"])
                          or missing_quantity(r["question"], r["hits"][j]["text"]))


def shipped_picks(r: dict) -> tuple[list[int], bool]:
    """(hit indices the shipped answerer quotes, whether the chooser path decided them)."""
    t = _typed(r)
    if t is not None:
        return [t, 0], False
    if _own_choice(r):
        ids = [h["chunk_id"] for h in r["hits"]]
        return [ids.index(c) for c in r["statute_quoted"] if c in ids] or [0], False
    chooser = load_choice_model(_fingerprint(), str(CHOICE_MODEL))
    hits = _hits(r)
    return choose(chooser, r["wording"], hits, r["arts"], S.other_versions(hits)), True


def candidate_picks(model: FirstModel, r: dict) -> list[int]:
    picks, chooser_path = shipped_picks(r)
    if not chooser_path:
        return picks
    hits = _hits(r)
    p, j = best_first(model, r["wording"], hits, r["arts"], S.other_versions(hits), allowed=_allowed(r))
    return reorder(picks, j) if j is not None and p >= model.threshold else picks


def pairs(rows: list[dict]) -> tuple[list[dict[str, float]], list[int]]:
    """(pair features, label) of the rank-2..RANKS articles whose gold label differs from the top hit's."""
    X, y = [], []
    for r in rows:
        feats = _features(r)
        h = r["hits"]
        for j in range(1, min(len(h), len(feats), RANKS)):
            if h[j]["article"] and h[j]["chunk_id"] != h[0]["chunk_id"] and r["gold"][j] != r["gold"][0]:
                X.append(pair_features(feats[0], feats[j]))
                y.append(r["gold"][j])
    return X, y


def fit_first(rows: list[dict]) -> FirstModel:
    """Boosted trees (depth 3, 150 rounds, rate 0.05: round 10's settings, not tuned) on :func:`pairs`."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    X, y = pairs(rows)
    names = sorted({k for f in X for k in f})
    M = np.array([[f.get(n, 0.0) for n in names] for f in X])
    m = HistGradientBoostingClassifier(max_depth=3, max_iter=150, learning_rate=0.05, early_stopping=False,
                                       random_state=0).fit(M, np.array(y))
    trees = [[[int(n["feature_idx"]), float(n["num_threshold"]), -1 if n["is_leaf"] else int(n["left"]),
               -1 if n["is_leaf"] else int(n["right"]), float(n["value"])] for n in pred.nodes]
             for (pred,) in m._predictors]
    t = Trees.from_dict({"names": names, "base": float(np.ravel(m._baseline_prediction)[0]), "trees": trees})
    assert np.allclose(m.predict_proba(M[:200])[:, 1], [t.probability(dict(zip(names, x))) for x in M[:200]],
                       atol=1e-6), "tree export differs from scikit-learn"
    return FirstModel(t, 0.5)


def cmd_cv(a) -> None:
    """The keep rule's estimate at threshold 0.5; other ``--thresholds`` are post-hoc diagnostics (not for choosing)."""
    import dataclasses
    rows = load_rows(a.rows)
    ts = [float(t) for t in a.thresholds.split(",")]
    res: dict[float, dict] = {t: {} for t in ts}
    for g in sorted({r["group"] for r in rows}):
        model = fit_first([r for r in rows if r["group"] != g])
        for r in rows:
            if r["group"] == g:
                old = shipped_picks(r)[0]
                for t in ts:
                    new = candidate_picks(dataclasses.replace(model, threshold=t), r)
                    res[t][r["qid"]] = (_outcome(r, old), _outcome(r, new), new != old)
    for t in ts:
        print(f"\nthreshold {t}{'' if t == 0.5 else ' (post-hoc diagnostic, not the keep rule)'}")
        table(rows, res[t])


def table(rows: list[dict], res: dict) -> None:
    by = defaultdict(list)
    for r in rows:
        by[r["group"]].append(r)
        by["STARD tune (4 folds)" if r["set"] == "stard_tune" else "development law rows (pooled, out of round)"] \
            .append(r)
    print("| rows | n | quote gold shipped → switch | net | refused shipped → switch | articles/answer | changed |")
    print("|---|---|---|---|---|---|---|")
    for g in sorted(by, key=lambda g: (len(g) < 8, g)):
        rs = by[g]
        b = sum(res[r["qid"]][0][0] for r in rs)
        n = sum(res[r["qid"]][1][0] for r in rs)
        rb = sum(res[r["qid"]][0][1] == 0 for r in rs)
        rn = sum(res[r["qid"]][1][1] == 0 for r in rs)
        ab = [res[r["qid"]][0][1] for r in rs if res[r["qid"]][0][1]]
        an = [res[r["qid"]][1][1] for r in rs if res[r["qid"]][1][1]]
        print(f"| {g} | {len(rs)} | {b / len(rs):.3f} → {n / len(rs):.3f} ({100 * (n - b) / len(rs):+.1f} pt) | "
              f"{n - b:+d} | {rb} → {rn} | {np.mean(ab):.3f} → {np.mean(an):.3f} | "
              f"{sum(res[r['qid']][2] for r in rs)} |")


def cmd_ceiling(a) -> None:
    """Headroom of a first-article switch: shipped answers quoting no gold article with gold at rank 2..RANKS, and
    the pairs the model learns from (gold at rank j but not 1, vs gold at 1 but not j)."""
    rows = load_rows(a.rows)
    for name, rs in (("STARD tune", [r for r in rows if r["set"] == "stard_tune"]),
                     ("development law rows", [r for r in rows if r["set"] != "stard_tune"])):
        miss = up = down = 0
        for r in rs:
            picks, chooser_path = shipped_picks(r)
            ok, n = _outcome(r, picks)
            top = [j for j in range(1, min(len(r["hits"]), RANKS)) if r["hits"][j]["article"]]
            if chooser_path and n and not ok and any(r["gold"][j] for j in top):
                miss += 1
            up += sum(r["gold"][j] > r["gold"][0] for j in top)
            down += sum(r["gold"][j] < r["gold"][0] for j in top)
        print(f"{name}: {len(rs)} rows; answered on the chooser path without a gold quote but gold at rank 2-{RANKS}: "
              f"{miss}; pairs gold at j not top {up}, gold at top not j {down}")


def _fingerprint() -> str | None:
    return json.loads(Path(CHOICE_MODEL).read_text(encoding="utf-8"))["fitted_for"]["fingerprint"]


def cmd_fit(a) -> None:
    rows = load_rows(a.rows)
    model = fit_first(rows)
    fp = json.loads(Path(CHOICE_MODEL).read_text(encoding="utf-8"))["fitted_for"]
    X, _ = pairs(rows)
    out = {"note": "Statute answer's first article (bench/statute_first_model.py): P(a rank-2..3 statute hit is the gold "
                   "provision | exactly one of it and the top hit is), boosted trees (depth 3, 150 rounds, rate "
                   "0.05); quoted first when P >= threshold. Fitted by bench/statute_first.py fit.",
           "fitted_for": fp,
           "fitted_on": {"rows": len(rows), "pairs": len(X), "sets": sorted({r["set"] for r in rows}),
                         "retrieval": "STARD tune: 31-law index (bench/statute_corpus.py), query adapters "
                                      "cross-fitted on 4 folds grouped by gold article; everyday/dialogue law "
                                      "questions of rounds 5-13 (first turns): the product path, chooser off"},
           "model": {"pair": {"names": list(model.pair.names), "base": model.pair.base,
                              "trees": [[list(n) for n in t] for t in model.pair.trees]},
                     "threshold": model.threshold}}
    Path(a.model).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {a.model}: {len(X)} pairs from {len(rows)} rows")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=("collect", "cv", "fit", "ceiling"))
    ap.add_argument("--out", default="/tmp/statute_first")
    ap.add_argument("--rows", default="/tmp/statute_first")
    ap.add_argument("--stard", default="/tmp/h5/stard")
    ap.add_argument("--model", default=str(FIRST_MODEL))
    ap.add_argument("--thresholds", default="0.5", help="cv: comma-separated; 0.5 is the keep rule's")
    ap.add_argument("--dev-only", action="store_true", help="collect: the everyday/dialogue rows only")
    a = ap.parse_args()
    {"collect": cmd_collect, "cv": cmd_cv, "fit": cmd_fit, "ceiling": cmd_ceiling}[a.cmd](a)


if __name__ == "__main__":
    main()
