"""Fit and measure the statute answerer (rag/statute_answer.py) on STARD: tune fold only for fitting.

Corpus: the 31-law statute corpus of the answer calibration (``bench/statute_corpus.py``, indexed
with today's ingest; questions whose gold law is not in it are dropped there). For every question of
a fold, in each retrieval setting (general hybrid ``statute="off"`` and the statute path ``"on"``):
the top-5 hits with the whole index (positive) and with the gold law removed (negative, what the
refusal must catch); per article: its features and whether it is a gold article.

    python bench/stard_answers.py fit --cross-fit-adapter [--set SET] [--adapter-index FULL_ARCHIVE_HOME]
        # → rag/data/statute_answer.json (the shipped file; ≈ 3 min on 2 cores)
    python bench/stard_answers.py measure [--set SET] [--out bench/results/stard_answers.md]

``fit`` also fits the refusal for retrieval *without* the adapter (mixed indexes, ``models["dense_plain"]``,
``bench/statute_refusal.py``) on STARD tune asked of the shipped corpus and the everyday law questions
(``--corpus-home``: a ``rag index corpus/``; ``--everyday-home``: ``python bench/everyday_dev.py build``;
``--no-plain`` skips it). ``fit`` reads only the tune fold of STARD. With ``--cross-fit-adapter`` (the shipped fit) the tune questions are
retrieved as the product retrieves statute indexes — through the query adapter — but each through an adapter
fitted on the other folds (``bench/stard_crossfit.py``); the refusal threshold refuses ``--max-refused`` of
tune's answerable questions and the second provision's threshold is the lowest that keeps ``--max-provisions``
per answer, both read off out-of-fold predictions (the same folds). ``measure`` runs ``rag.evaluate.evaluate`` (the product path:
``rag.qa.ask``) on the report fold — the general answerer (before) and the statute answerer
(after), in both retrieval settings — plus refusal precision/recall with the gold law removed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.evaluate import _QueryCache, evaluate, load_dataset, own_documents  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.retrieve import RetrieveConfig, retrieve  # noqa: E402
from rag.select import LinearModel  # noqa: E402
from rag.statute_answer import DEPTH, STATUTE_MODELS, article_features, question_features  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402

SETTINGS = {"general hybrid": RetrieveConfig(statute="off", query_adapter="off"),
            "general hybrid + query adapter (default)": RetrieveConfig(statute="off", query_adapter="auto"),
            "statute path": RetrieveConfig(statute="on", query_adapter="off"),
            "general hybrid + re-ranker": RetrieveConfig(statute_rerank=True, query_adapter="off")}
DENSE_ONLY = ("cos", "cos_gap", "max_cos")
#: Refuse 7.5 % of tune's answerable questions: half the issue's budget (<= 15 % refused), because new questions
#: are harder than tune's and get refused more — in round 4 the rate doubled from tune (9.9 %) to the report
#: fold (20.5 %). A rule set before this round's report fold was read; the budgets' out-of-fold figures are
#: in the model file (tune_stats.*.out_of_fold_budgets).
MAX_FALSE_REFUSAL = 0.075
#: Quote a second provision when second quotes of that P were gold at least this often on tune (set, not tuned:
#: about one in three — the share of STARD questions whose answer spans two provisions is 45 %).
SECOND_PRECISION = 0.30
#: At most this many provisions per answer on average (tune, out of fold): the tune fold's own gold answers cite
#: 1.59 articles per question (bench/stard_split.py), so the answers never cite more than the gold ones do.
MAX_PROVISIONS = 1.59
#: Rows fitted on: the statute path's lexicon was itself fitted on the tune fold, so its tune rows are in-sample.
FIT_SETTING = "general hybrid"


def _open(set_dir: Path):
    from rag.embed import get_embedder
    index = open_index(set_dir / "home")
    return index, _QueryCache(get_embedder(index.embedder_name))


def collect(index, emb, items, cache: Path, cfgs=None) -> list[dict]:
    """Feature rows of every (question, full|removed) in the fitting setting; cached as JSON lines.

    ``cfgs``: a RetrieveConfig per question (the cross-fitted adapters), else the fitting setting's."""
    if cache.exists():
        return [json.loads(line) for line in cache.open(encoding="utf-8")]
    all_docs = sorted(index.documents)
    folded: dict[str, str] = {}
    rows, t0 = [], time.time()
    for i, it in enumerate(items):
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        own = own_documents(index, it, folded)
        for name, cfg in ((FIT_SETTING, cfgs[i] if cfgs else SETTINGS[FIT_SETTING]),):  # the rows fit reads
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


def fit_kind(rows: list[dict], dense: bool, max_false_refusal: float | None = None,
             second: float | None = None) -> tuple[dict, dict]:
    """The article and refusal models on ``rows``; the refusal threshold refuses ``max_false_refusal`` of
    its answerable rows; ``second``: the second-provision P (else read off the rows, SECOND_PRECISION)."""
    max_false_refusal = MAX_FALSE_REFUSAL if max_false_refusal is None else max_false_refusal
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
    if second is None:
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
    thr = float(np.sort(p[lab == 1])[int(max_false_refusal * (lab == 1).sum())])
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


def second_choice(probs: list[float], is_art: list[bool]) -> int | None:
    """The other provision the answerer would add (as rag.statute_answer does): the likeliest hit below the
    top, when it is an article."""
    if len(probs) < 2:
        return None
    j = max(range(1, len(probs)), key=lambda i: (probs[i], -i))
    return j if is_art[j] else None


def oof_predictions(rows: list[dict], dense: bool, folds: dict[str, int], max_false_refusal: float) -> list[dict]:
    """Out-of-fold predictions: each fold's rows scored by models fitted on the other folds (refusal
    threshold set by the same rule there): ``{answerable, refused, p2, gold1, gold2}`` per row."""
    out = []
    for f in sorted(set(folds.values())):
        model, _ = fit_kind([r for r in rows if folds[str(r["qid"])] != f], dense, max_false_refusal)
        art, ref = LinearModel.from_dict(model["article"]), LinearModel.from_dict(model["refusal"])
        for r in rows:
            if folds[str(r["qid"])] != f:
                continue
            arts = [_strip(a, dense) for a in r["arts"]]
            probs = [art.probability(a) for a in arts]
            p = ref.probability(question_features(arts, probs))
            j = second_choice(probs, r["is_article"])
            out.append({"answerable": r["answerable"], "refused": p < ref.threshold, "p": p,
                        "p2": probs[j] if j is not None else -1.0, "gold1": bool(r["gold"] and r["gold"][0]),
                        "gold2": bool(j is not None and r["gold"][j])})
    return out


def operating_point(preds: list[dict], second: float) -> dict:
    """Gold-quote, refusals and provisions per answer of out-of-fold predictions at a second-provision P."""
    pos = [x for x in preds if x["answerable"]]
    neg = [x for x in preds if not x["answerable"]]
    answered = [x for x in pos if not x["refused"]]
    two = [x for x in answered if x["p2"] >= second]
    quote = sum(x["gold1"] or (x["p2"] >= second and x["gold2"]) for x in answered)
    refused = sum(x["refused"] for x in pos) + sum(x["refused"] for x in neg)
    return {"second": second, "quote_gold": quote / max(len(pos), 1),
            "refused": sum(x["refused"] for x in pos) / max(len(pos), 1),
            "refusal_recall": sum(x["refused"] for x in neg) / max(len(neg), 1),
            "refusal_precision": sum(x["refused"] for x in neg) / max(refused, 1),
            "provisions": 1 + len(two) / max(len(answered), 1),
            "second_precision": sum(x["gold2"] for x in two) / max(len(two), 1)}


def choose_second(preds: list[dict], max_provisions: float) -> dict:
    """The lowest second-provision P (most gold quotes) whose answers quote at most ``max_provisions`` on average."""
    grid = sorted({round(x["p2"], 4) for x in preds if x["answerable"] and x["p2"] >= 0}, reverse=True)
    best = operating_point(preds, 1.01)
    for t in grid:
        op = operating_point(preds, t)
        if op["provisions"] > max_provisions:
            break
        best = op
    return best


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


def tune_rows(a, index, emb, items) -> tuple[list[dict], dict[str, int], str]:
    """Tune feature rows, the folds of the out-of-fold predictions and what the rows' retrieval was.

    With ``--cross-fit-adapter``: each fold's questions retrieved through the adapter fitted on the other
    folds (``bench/stard_crossfit.py``, folds grouped by gold article); else the plain general hybrid."""
    if not a.cross_fit_adapter:
        from stard_crossfit import fold_of
        rows = collect(index, emb, items, Path(a.cache) / "rows_tune.jsonl")
        return rows, {it.qid: fold_of(it.qid, a.folds) for it in items}, "general hybrid, no query adapter"
    import hashlib

    from stard_crossfit import fold_adapters
    from rag.query_adapter import load_adapter
    scale = load_adapter().scale  # the shipped adapter's share of its correction
    folds, paths = fold_adapters(a.adapter_index, a.set / "stard_tune.jsonl", k=a.folds, out_dir=Path(a.cache) / "xfit",
                                 scale=scale)
    tag = hashlib.sha256(b"".join(p.read_bytes() for p in paths)).hexdigest()[:12]
    cfgs = [RetrieveConfig(query_adapter="auto", adapter=str(paths[folds[it.qid]])) for it in items]
    rows = collect(index, emb, items, Path(a.cache) / f"rows_tune_xfit_{tag}.jsonl", cfgs)
    return rows, folds, (f"general hybrid + query adapter (scale {scale:g}), cross-fitted: {a.folds} folds of tune "
                         f"grouped by gold article, each retrieved through an adapter fitted on the other folds "
                         f"against {a.adapter_index}")


def budget_table(rows: list[dict], dense: bool, folds: dict[str, int], max_provisions: float) -> list[dict]:
    """Out-of-fold operating points for several refusal budgets (for the record; one is chosen by --max-refused)."""
    return [{"max_refused": b, **choose_second(oof_predictions(rows, dense, folds, b), max_provisions)}
            for b in (0.05, 0.075, 0.10, 0.125, 0.15)]


def plain_homes(a) -> tuple[str, str]:
    """The shipped-corpus and everyday_dev indexes for the plain-retrieval refusal: given, or built under --cache."""
    from everyday_dev import build as build_everyday

    from rag.update import update_index

    corpus_home = Path(a.corpus_home or Path(a.cache) / "corpus_home")
    if not (corpus_home / "CURRENT").exists():
        update_index([str(ROOT / "corpus")], home=corpus_home, rebuild=True, progress=True)
    everyday_home = Path(a.everyday_home or Path(a.cache) / "everyday_home")
    if not (everyday_home / "CURRENT").exists():
        build_everyday(everyday_home)
    return str(corpus_home), str(everyday_home)


def cmd_fit(a) -> None:
    index, emb = _open(a.set)
    _, items = load_dataset(a.set / "stard_tune.jsonl")
    rows, folds, how = tune_rows(a, index, emb, items)
    rows = [r for r in rows if r["setting"] == FIT_SETTING]
    models, stats = {}, {}
    pos = [r for r in rows if r["answerable"]]
    retrieval = {f"tune_hit@{k}": float(np.mean([any(r["gold"][:k]) for r in pos])) for k in (1, 5)}
    for kind in ("dense", "lexical"):
        op = choose_second(oof_predictions(rows, kind == "dense", folds, a.max_refused), a.max_provisions)
        models[kind], stats[kind] = fit_kind(rows, kind == "dense", a.max_refused, second=op["second"])
        stats[kind]["out_of_fold"] = op
        stats[kind].update(retrieval)
        stats[kind]["out_of_fold_budgets"] = budget_table(rows, kind == "dense", folds, a.max_provisions)
    if not a.no_plain:  # the refusal for retrieval without the adapter (mixed indexes): bench/statute_refusal.py
        from statute_refusal import baseline, fit_plain, kind_rows, kind_sets
        corpus_home, everyday_home = plain_homes(a)
        krows = kind_rows(kind_sets(corpus_home, everyday_home, str(a.set / "stard_tune.jsonl")), Path(a.cache))
        stats["dense_plain"] = {"before (the adapter model's refusal)": baseline(krows, models["dense"])}
        refusal, st = fit_plain(krows, models["dense"]["article"])
        models["dense_plain"] = {"refusal": refusal}
        stats["dense_plain"].update(st)
    fp = index.manifest["embedder"]
    out = {"note": statute_note("dense_plain" in models),
           "fitted_for": {"embedder": fp.get("name"), "fingerprint": fp.get("fingerprint")},
           "fitted_on": {"questions": len(items), "rows": len(rows), "retrieval": how, "folds": a.folds,
                         "max_false_refusal": a.max_refused, "max_provisions": a.max_provisions},
           "tune_stats": stats, "models": models}
    Path(a.model).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(stats, indent=1))


def check_inputs(a) -> None:
    """A missing ``--set`` folder or ``--adapter-index`` → SystemExit naming the commands that create them."""
    need = [a.set / "stard_tune.jsonl", a.set / "home"] + ([a.set / f"stard_{a.fold}.jsonl"] if a.cmd == "measure" else [])
    missing = [str(p) for p in need if not p.exists()]
    if missing:
        raise SystemExit(f"{', '.join(missing)} missing. --set (or $RAG_STARD_SET) is a folder made by "
                         f"`python bench/statute_corpus.py --out {a.set}` (the 31 STARD laws and the stard_tune / "
                         f"stard_report split of bench/stard_split.py) and then `RAG_HOME={a.set}/home rag index "
                         f"{a.set}/laws`.")
    if a.cmd == "fit" and a.cross_fit_adapter and not Path(a.adapter_index).exists():
        raise SystemExit(f"--adapter-index {a.adapter_index} (or $RAG_ADAPTER_INDEX) is missing: it is the data dir of "
                         "an index of the whole archive, `RAG_HOME=DIR rag index ../shared/data/lawrefbook.tar.gz` "
                         "(or `python bench/bench_fullbuild.py ../shared/data/lawrefbook.tar.gz --home H`, which "
                         "leaves it in H/this-0); pass it as --adapter-index DIR.")


def statute_note(plain: bool) -> str:
    """The model file's note: what each model is fitted on (``dense_plain``: bench/statute_refusal.kind_sets)."""
    return ("Written by bench/stard_answers.py fit. The dense and lexical models are fitted on the STARD tune fold "
            "only (31-law corpus; negatives: the same questions with their gold law removed)"
            + ("; the dense_plain refusal (retrieval without the query adapter) on the STARD tune questions asked "
               "of an index of corpus/, the everyday_dev.jsonl and round 5's everyday_heldout.jsonl law questions "
               "(development data since round 6), and off-topic negatives (sample_eval.jsonl, CMRC and news "
               "questions whose first hit is a law)" if plain else "")
            + ". tune_* stats are in-sample, out_of_fold ones come from models fitted on the other folds. "
            "Do not edit by hand.")


def cmd_measure(a) -> None:
    index, emb = _open(a.set)
    _, items = load_dataset(a.set / f"stard_{a.fold}.jsonl")
    if a.limit:
        items = items[:a.limit]
    lines = ["# Statute answers on STARD (bench/stard_answers.py)", "",
             "Regenerate (≈ 4 min): `python bench/stard_answers.py fit --cross-fit-adapter --set SET --cache DIR` "
             "(writes rag/data/statute_answer.json; SET holds stard_tune.jsonl, stard_report.jsonl and home/, a "
             "`rag index` of the 31 laws; --adapter-index: a `rag index` of the whole lawrefbook archive), then "
             "`python bench/stard_answers.py measure --set SET --out bench/results/stard_answers.md`.", "",
             f"STARD {a.fold} fold, {len(items)} questions, {len(index.documents)} laws / {len(index.chunks)} "
             "passages, statute answerer (rag.qa.ask through rag.evaluate); refusal P/R: the same questions asked "
             "with their gold law removed; provisions: quoted per answered question. Models fitted on tune only.", "",
             "| retrieval | hit@1 | hit@5 | hit@10 | quotes a gold article | refused | refusal P / R "
             "(gold law removed) | provisions |", "|---|---|---|---|---|---|---|---|"]
    names = a.settings.split("|") if a.settings else list(SETTINGS)
    for name in names:
        per: list[dict] = []
        m = evaluate(index, items, embedder=emb, config=SETTINGS[name], per_question=per)["hybrid"]
        answered = [r for r in per if r["answerable"]]
        prov = np.mean([len(set(re.findall(r"\[(\d+)\]", r["answer"]))) for r in answered]) if answered else 0.0
        line = (f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | "
                f"{m['answer_hit_quote']:.3f} | {100 * m['refused_answerable']:.1f} % | "
                f"{m.get('removed_refusal_precision', 0):.2f} / {m.get('removed_refusal_recall', 0):.2f} | {prov:.2f} |")
        print(line, flush=True)
        lines.append(line)
    lines += ["", *tune_table(Path(a.model))]
    if a.out:
        Path(a.out).write_text("\n".join(lines) + "\n", encoding="utf-8")


def tune_table(model: Path) -> list[str]:
    """The fit's out-of-fold tune figures (from the model file) as a Markdown table."""
    d = json.loads(model.read_text(encoding="utf-8"))
    on, st = d["fitted_on"], d["tune_stats"]["dense"]
    out = [f"Tune fold, out of fold ({on['questions']} questions, {on.get('folds', '?')} folds; retrieval: "
           f"{on.get('retrieval', 'general hybrid')}); tune hit@1 / @5 {st.get('tune_hit@1', float('nan')):.3f} / "
           f"{st.get('tune_hit@5', float('nan')):.3f}. Shipped: refuse {on['max_false_refusal']:.1%} of tune "
           f"answerable, second provision while ≤ {on.get('max_provisions', '?')} provisions per answer.", "",
           "| refusal budget (tune) | second-provision P ≥ | quotes a gold article | refused | refusal P / R | "
           "provisions | second quote is gold |", "|---|---|---|---|---|---|---|"]
    for b in st.get("out_of_fold_budgets", []):
        out.append(f"| {b['max_refused']:.1%} | {b['second']:.3f} | {b['quote_gold']:.3f} | {100 * b['refused']:.1f} % "
                   f"| {b['refusal_precision']:.2f} / {b['refusal_recall']:.2f} | {b['provisions']:.2f} | "
                   f"{b['second_precision']:.2f} |")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=("fit", "measure"))
    ap.add_argument("--set", type=Path, default=Path(os.environ.get("RAG_STARD_SET", "/tmp/cal/sets/stard")))
    ap.add_argument("--cache", default="/tmp/stard_answers")
    ap.add_argument("--model", default=str(STATUTE_MODELS))
    ap.add_argument("--fold", default="report", choices=("tune", "report"))
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--out", default="")
    ap.add_argument("--settings", default="", help="retrieval settings to measure, separated by | (default: all)")
    ap.add_argument("--cross-fit-adapter", action="store_true",
                    help="fit on tune rows retrieved through adapters cross-fitted by fold (bench/stard_crossfit.py)")
    ap.add_argument("--adapter-index", default=os.environ.get("RAG_ADAPTER_INDEX", "/tmp/fullbuild4/this-0"),
                    help="the index the adapters are fitted against (the shipped one: the full lawrefbook archive)")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--max-refused", type=float, default=MAX_FALSE_REFUSAL,
                    help="refuse this share of tune's answerable questions")
    ap.add_argument("--max-provisions", type=float, default=MAX_PROVISIONS,
                    help="quote a second provision while answers quote at most this many on average (tune, out of fold)")
    ap.add_argument("--corpus-home", default=None,
                    help="a `rag index corpus/` (the shipped mixed corpus) for the plain-retrieval refusal rows "
                         "(default: built under --cache when missing)")
    ap.add_argument("--everyday-home", default=None,
                    help="the everyday_dev index (`python bench/everyday_dev.py build`; default: built under --cache)")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-retrieval refusal (models['dense_plain'])")
    a = ap.parse_args()
    check_inputs(a)
    cmd_fit(a) if a.cmd == "fit" else cmd_measure(a)


if __name__ == "__main__":
    main()
