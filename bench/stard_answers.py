"""Fit and measure the statute answerer (rag/statute_answer.py) on STARD: tune fold only for fitting.

Corpus: the 31-law statute corpus of the answer calibration (``bench/statute_corpus.py``, indexed
with today's ingest; questions whose gold law is not in it are dropped there). For every question of
a fold, in each retrieval setting (general hybrid ``statute="off"`` and the statute path ``"on"``):
the top-5 hits with the whole index (positive) and with the gold law removed (negative, what the
refusal must catch); per article: its features and whether it is a gold article.

    python bench/stard_answers.py fit  [--set /tmp/cal/sets/stard]   # → rag/data/statute_answer.json
    python bench/stard_answers.py measure [--out bench/results/stard_answers.md]

``fit`` reads only the tune fold. ``measure`` runs ``rag.evaluate.evaluate`` (the product path:
``rag.qa.ask``) on the report fold — the general answerer (before) and the statute answerer
(after), in both retrieval settings — plus refusal precision/recall with the gold law removed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.evaluate import _QueryCache, evaluate, load_dataset, own_documents  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.retrieve import RetrieveConfig, retrieve  # noqa: E402
from rag.select import LinearModel, load_models  # noqa: E402
from rag.statute_answer import DEPTH, STATUTE_MODELS, article_features, question_features  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402

SETTINGS = {"general hybrid": RetrieveConfig(statute="off"), "statute path": RetrieveConfig(statute="on"),
            "general hybrid + re-ranker": RetrieveConfig(statute_rerank=True)}
DENSE_ONLY = ("cos", "cos_gap", "max_cos")
MAX_FALSE_REFUSAL = 0.10  # on tune; the target is <= 15 % refused
#: Quote a second provision when second quotes of that P were gold at least this often on tune (set, not tuned:
#: about one in three — the share of STARD questions whose answer spans two provisions is 45 %).
SECOND_PRECISION = 0.30
#: Rows fitted on: the statute path's lexicon was itself fitted on the tune fold, so its tune rows are in-sample.
FIT_SETTING = "general hybrid"


def _open(set_dir: Path):
    from rag.embed import get_embedder
    index = open_index(set_dir / "home")
    return index, _QueryCache(get_embedder(index.embedder_name))


def collect(index, emb, items, cache: Path) -> list[dict]:
    """Feature rows of every (question, full|removed) in the fitting setting; cached as JSON lines."""
    if cache.exists():
        return [json.loads(line) for line in cache.open(encoding="utf-8")]
    all_docs = sorted(index.documents)
    folded: dict[str, str] = {}
    rows, t0 = [], time.time()
    for i, it in enumerate(items):
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        own = own_documents(index, it, folded)
        for name, cfg in ((FIT_SETTING, SETTINGS[FIT_SETTING]),):  # the only rows fit and measure read
            for label, docs in ((1, None), (0, [d for d in all_docs if d not in own])):
                if label == 0 and (not own or not docs):
                    continue
                hits = retrieve(index, it.question, embedder=emb, k=DEPTH, config=cfg, doc_ids=docs)
                qv = _qvec(emb, it.question)
                arts = article_features(it.question, hits, idf=index.keyword.idf, query_vector=qv,
                                        vectors=index.sentences)
                gold = [int(any(g in search_form(h.chunk.text) for g in golds)) for h in hits]
                rows.append({"qid": it.qid, "setting": name, "answerable": label, "arts": arts, "gold": gold,
                             "is_article": [bool(h.chunk.article) for h in hits]})
        if i % 100 == 0:
            print(f"  {i}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    cache.parent.mkdir(parents=True, exist_ok=True)
    with cache.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return rows


def _qvec(emb, question: str):
    from rag.retrieve import clean_question
    from rag.textnorm import to_mainland
    return emb.embed_queries([to_mainland(clean_question(question))])[0]


def _strip(f: dict, dense: bool) -> dict:
    return f if dense else {k: v for k, v in f.items() if k not in DENSE_ONLY}


def _lr(X, y, names, C=1.0) -> LinearModel:
    from sklearn.linear_model import LogisticRegression
    m = LogisticRegression(C=C, max_iter=3000).fit(np.asarray(X), np.asarray(y))
    return LinearModel(float(m.intercept_[0]), {n: float(w) for n, w in zip(names, m.coef_[0])})


def fit_kind(rows: list[dict], dense: bool) -> tuple[dict, dict]:
    pos = [r for r in rows if r["answerable"]]
    names = sorted({k for r in pos for f in r["arts"] for k in _strip(f, dense)})
    X = [[_strip(f, dense).get(n, 0.0) for n in names] for r in pos for f in r["arts"]]
    y = [g for r in pos for g in r["gold"]]
    article = _lr(X, y, names)
    first_prec = float(np.mean([r["gold"][0] for r in pos if r["gold"]]))
    seconds = []
    for r in pos:
        ps = [article.probability(_strip(f, dense)) for f in r["arts"]]
        if len(ps) > 1:
            i = max(range(1, len(ps)), key=lambda j: ps[j])
            seconds.append((ps[i], r["gold"][i]))
    seconds.sort(key=lambda x: -x[0])
    second, hits = 1.01, 0
    for n, (p, g) in enumerate(seconds, 1):
        hits += g
        if hits / n >= SECOND_PRECISION:
            second = p
    feats, lab = [], []
    for r in rows:
        arts = [_strip(f, dense) for f in r["arts"]]
        feats.append(question_features(arts, [article.probability(f) for f in arts]))
        lab.append(r["answerable"])
    qnames = sorted({k for f in feats for k in f})
    ref = _lr([[f.get(n, 0.0) for n in qnames] for f in feats], lab, qnames)
    p = np.array([ref.probability(f) for f in feats])
    lab = np.array(lab)
    thr = float(np.sort(p[lab == 1])[int(MAX_FALSE_REFUSAL * (lab == 1).sum())])
    refused = p < thr
    sec_n = sum(1 for p_, _ in seconds if p_ >= second)
    stats = {"tune_top_article_gold": first_prec, "tune_second_quoted": sec_n / max(len(pos), 1),
             "tune_second_precision": (sum(g for p_, g in seconds if p_ >= second) / sec_n) if sec_n else None,
             "tune_false_refusal": float(refused[lab == 1].mean()),
             "tune_refusal_recall_gold_law_removed": float(refused[lab == 0].mean()),
             "tune_refusal_precision": float((refused & (lab == 0)).sum() / max(refused.sum(), 1))}
    model = {"article": {"bias": article.bias, "weights": article.weights},
             "refusal": {"bias": ref.bias, "weights": ref.weights, "threshold": thr}, "second": second}
    return model, stats


def crossfit(rows: list[dict], dense: bool) -> dict:
    """Fit on one half of tune (by question id), apply the threshold to the other, both ways."""
    import hashlib
    half = {r["qid"]: int(hashlib.sha256(str(r["qid"]).encode()).hexdigest(), 16) % 2 for r in rows}
    fr, rr = [], []
    for h in (0, 1):
        model, _ = fit_kind([r for r in rows if half[r["qid"]] != h], dense)
        art, ref = LinearModel.from_dict(model["article"]), LinearModel.from_dict(model["refusal"])
        for r in rows:
            if half[r["qid"]] == h:
                arts = [_strip(f, dense) for f in r["arts"]]
                p = ref.probability(question_features(arts, [art.probability(f) for f in arts]))
                (fr if r["answerable"] else rr).append(p < ref.threshold)
    return {"crossfit_false_refusal": float(np.mean(fr)), "crossfit_refusal_recall": float(np.mean(rr))}


def cmd_fit(a) -> None:
    index, emb = _open(a.set)
    _, items = load_dataset(a.set / "stard_tune.jsonl")
    rows = [r for r in collect(index, emb, items, Path(a.cache) / "rows_tune.jsonl") if r["setting"] == FIT_SETTING]
    models, stats = {}, {}
    for kind in ("dense", "lexical"):
        models[kind], stats[kind] = fit_kind(rows, kind == "dense")
        stats[kind].update(crossfit(rows, kind == "dense"))
    fp = index.manifest["embedder"]
    out = {"note": "Written by bench/stard_answers.py fit. Fitted on the STARD tune fold only (31-law corpus; "
                   "negatives: the same questions with their gold law removed), hits of the general hybrid; "
                   "stats are in-sample. Do not edit by hand.",
           "fitted_for": {"embedder": fp.get("name"), "fingerprint": fp.get("fingerprint")},
           "fitted_on": {"questions": len(items), "rows": len(rows), "max_false_refusal": MAX_FALSE_REFUSAL},
           "tune_stats": stats, "models": models}
    Path(a.model).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, indent=1))


def cmd_measure(a) -> None:
    index, emb = _open(a.set)
    _, items = load_dataset(a.set / f"stard_{a.fold}.jsonl")
    if a.limit:
        items = items[:a.limit]
    general = load_models(fingerprint=index.manifest["embedder"].get("fingerprint"), dense=True).refusal
    lines = [f"STARD {a.fold} fold, {len(items)} questions, {len(index.documents)} laws / {len(index.chunks)} "
             "passages; refusal P/R: the same questions asked with their gold law removed.", "",
             "| retrieval | answerer | hit@1 | hit@5 | hit@10 | quotes a gold article | refused | refusal P / R "
             "(gold law removed) |", "|---|---|---|---|---|---|---|---|"]
    for name, cfg in SETTINGS.items():
        for who, ref in (("general (one sentence)", general), ("statute (article, this work)", None)):
            m = evaluate(index, items, embedder=emb, config=cfg, refusal=ref)["hybrid"]
            line = (f"| {name} | {who} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | "
                    f"{m['answer_hit_quote']:.3f} | {100 * m['refused_answerable']:.1f} % | "
                    f"{m.get('removed_refusal_precision', 0):.2f} / {m.get('removed_refusal_recall', 0):.2f} |")
            print(line, flush=True)
            lines.append(line)
    rows = [r for r in collect(index, emb, items, Path(a.cache) / f"rows_{a.fold}{a.limit or ''}.jsonl")
            if r["setting"] == FIT_SETTING and r["answerable"]]
    lines += ["", second_stats(rows)]
    print(lines[-1])
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


def second_stats(rows: list[dict]) -> str:
    """How often the shipped model quotes a second provision (general hybrid hits) and how often it is gold."""
    from rag.statute_answer import load_statute_models
    fp = json.loads(STATUTE_MODELS.read_text(encoding="utf-8"))["fitted_for"]["fingerprint"]
    m = load_statute_models(fingerprint=fp, dense=True)
    quoted = gold = 0
    for r in rows:
        ps = [m.article.probability(f) for f in r["arts"]]
        if len(ps) > 1:
            i = max(range(1, len(ps)), key=lambda j: ps[j])
            if ps[i] >= m.second and r["is_article"][i]:
                quoted += 1
                gold += r["gold"][i]
    return (f"Second provision quoted (general hybrid hits, before refusal) for {quoted} of {len(rows)} questions "
            f"({quoted / max(len(rows), 1):.1%}); it is a gold article in {gold / max(quoted, 1):.1%} of them "
            f"(the first quote: {np.mean([r['gold'][0] for r in rows]):.1%}).")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("fit", "measure"))
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/stard_answers")
    ap.add_argument("--model", default=str(STATUTE_MODELS))
    ap.add_argument("--fold", default="report", choices=("tune", "report"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", default="")
    a = ap.parse_args()
    cmd_fit(a) if a.cmd == "fit" else cmd_measure(a)


if __name__ == "__main__":
    main()
