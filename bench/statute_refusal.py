"""The statute refusal for retrieval without the query adapter, fitted across question kinds.

The shipped statute refusal (``models["dense"]``) is fitted on STARD tune rows retrieved through the query
adapter on a statute-only index. On an index that mixes laws with other documents (the shipped
``corpus/``: the sample article beside the law set) there is no adapter, and citizens' everyday
questions are shorter and plainer than STARD's: their best article covers fewer of their words. That model
refused 22 % of everyday_dev's and 46 % of everyday_heldout's (round 5) fair law questions there, 11 % of
STARD tune's. This module fits a second refusal model (the same features, the same per-article model) on
rows of that retrieval for two kinds of question:

- ``stard``: STARD tune questions asked of the shipped corpus index (positive), and again with their gold
  law removed (negative);
- ``everyday``: the law questions of ``bench/data/everyday_dev.jsonl`` (on its own index) and of
  ``bench/data/everyday_heldout.jsonl`` (round 5's held-out set, development data since round 6; on the
  shipped corpus index): each asked as is (positive) and with its own law removed (negative), plus the sets'
  unanswerable questions that reach the statute answerer (negative);
- off-topic negatives: the other questions of these sets and of ``bench/data/sample_eval.jsonl`` (news and
  encyclopaedia questions) where the best passage is a law article — asked of the whole index, and with their
  own article removed.

**Rule** (stated before any of it was measured): the threshold refuses at most 7.5 % of *each* kind's
answerable questions (the lower of the two kinds' 7.5 % quantiles) — round 5's budget for STARD, now held
for every kind of question we have. Out-of-fold figures: 4 folds, grouped by document for everyday_dev, by
question elsewhere; each fold scored by a model and threshold fitted on the other three.

Used by ``bench/stard_answers.py fit`` (``models["dense_plain"]`` of ``rag/data/statute_answer.json``);
the rows come from ``bench/statute_kinds.py`` (the product path, ``rag.qa``).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.select import LinearModel  # noqa: E402
from rag.statute_answer import question_features  # noqa: E402

BUDGET = 0.075
FOLDS = 4
GROUPS = {"stard": ("stard_corpus",), "everyday": ("everyday_dev", "everyday_heldout")}


def kind_sets(corpus_home: str, everyday_home: str, stard_tune: str) -> list[tuple[str, str, str]]:
    """``(kind, home, question set)`` of every row source."""
    data = ROOT / "bench" / "data"
    return [("stard_corpus", corpus_home, stard_tune),
            ("everyday_dev", everyday_home, str(data / "everyday_dev.jsonl")),
            ("everyday_heldout", corpus_home, str(data / "everyday_heldout.jsonl")),
            ("sample_eval", corpus_home, str(data / "sample_eval.jsonl"))]


def kind_rows(sources: list[tuple[str, str, str]], cache: Path) -> dict[str, list[dict]]:
    """Rows per kind (``bench/statute_kinds.collect``), cached as JSON lines by kind, home and set."""
    from statute_kinds import collect
    out = {}
    for kind, home, path in sources:
        tag = hashlib.sha256(f"v3|{kind}|{home}|{path}|{Path(path).stat().st_size}".encode()).hexdigest()[:12]
        f = cache / f"kind_{kind}_{tag}.jsonl"
        if not f.exists():
            rows = collect(home, path, kind)
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        out[kind] = [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines()]
    return out


def _features(rows: list[dict], article: LinearModel) -> list[dict]:
    return [question_features(r["arts"], [article.probability(a) for a in r["arts"]]) for r in rows]


def _fit(feats: list[dict], labels: list[int]) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    names = sorted({k for f in feats for k in f})
    m = LogisticRegression(C=1.0, max_iter=3000).fit([[f.get(n, 0.0) for n in names] for f in feats], labels)
    return LinearModel(float(m.intercept_[0]), {n: float(w) for n, w in zip(names, m.coef_[0])})


def threshold(model: LinearModel, feats: list[dict], labels: list[int], kinds: list[str],
              budget: float = BUDGET) -> float:
    """The rule: the lowest of the groups' ``budget`` quantiles of P over their answerable rows."""
    out = []
    for members in GROUPS.values():
        p = np.sort([model.probability(f) for f, y, k in zip(feats, labels, kinds) if y and k in members])
        if len(p):
            out.append(float(p[int(budget * len(p))]))
    if not out:
        raise SystemExit(f"no answerable rows of any kind in {sorted(GROUPS)} to set the threshold on: the row "
                         "sets are empty or their law questions never put a law article first")
    return min(out)


def fold_of(kind: str, row: dict, docs: dict[str, str]) -> int:
    key = docs.get(row["qid"], row["qid"])
    return int(hashlib.sha256(f"{kind}|{key}".encode()).hexdigest(), 16) % FOLDS


def fit_plain(rows: dict[str, list[dict]], article: dict, budget: float = BUDGET) -> tuple[dict, dict]:
    """``(refusal model dict with threshold, stats)``: fitted on every row; stats out of fold per kind."""
    art = LinearModel.from_dict(article)
    flat = [(k, r) for k, rs in rows.items() for r in rs]
    feats = _features([r for _, r in flat], art)
    labels = [int(r["answerable"]) for _, r in flat]
    kinds = [k for k, _ in flat]
    model = _fit(feats, labels)
    thr = threshold(model, feats, labels, kinds, budget)
    docs = {f"everyday_dev:{json.loads(line)['id']}": json.loads(line).get("doc", "")
            for line in (ROOT / "bench" / "data" / "everyday_dev.jsonl").read_text(encoding="utf-8").splitlines()}
    folds = [fold_of(k, r, docs) for k, r in flat]
    p_oof, t_oof = np.zeros(len(flat)), np.zeros(len(flat))
    for f in range(FOLDS):
        tr = [i for i in range(len(flat)) if folds[i] != f]
        m = _fit([feats[i] for i in tr], [labels[i] for i in tr])
        t = threshold(m, [feats[i] for i in tr], [labels[i] for i in tr], [kinds[i] for i in tr], budget)
        for i in range(len(flat)):
            if folds[i] == f:
                p_oof[i], t_oof[i] = m.probability(feats[i]), t
    stats = {"rule": f"refuse at most {budget:.1%} of each kind's answerable questions", "out_of_fold": {}}
    for kind in rows:
        idx = [i for i in range(len(flat)) if kinds[i] == kind]
        stats["out_of_fold"][kind] = _summary(np.array([labels[i] for i in idx]), p_oof[idx], t_oof[idx])
        stats.setdefault("in_sample", {})[kind] = _summary(
            np.array([labels[i] for i in idx]), np.array([model.probability(feats[i]) for i in idx]), thr)
    return {"bias": model.bias, "weights": model.weights, "threshold": thr}, stats


def _summary(y: np.ndarray, p: np.ndarray, t) -> dict:
    from sklearn.metrics import roc_auc_score
    refused = p < t
    return {"answerable": int(y.sum()), "negatives": int((y == 0).sum()),
            "refused_answerable": float(refused[y == 1].mean()) if y.any() else None,
            "refusal_recall": float(refused[y == 0].mean()) if (y == 0).any() else None,
            "refusal_precision": float((refused & (y == 0)).sum() / max(refused.sum(), 1)),
            "auc": float(roc_auc_score(y, p)) if 0 < y.sum() < len(y) else None}


def baseline(rows: dict[str, list[dict]], model: dict) -> dict:
    """Per-kind figures of an existing dense model (article + refusal) on the rows, for comparison."""
    art, ref = LinearModel.from_dict(model["article"]), LinearModel.from_dict(model["refusal"])
    out = {}
    for kind, rs in rows.items():
        y = np.array([int(r["answerable"]) for r in rs])
        p = np.array([ref.probability(f) for f in _features(rs, art)])
        out[kind] = _summary(y, p, ref.threshold)
    return out
