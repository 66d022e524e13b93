"""Fit the sentence selector and the refusal model (rag/calibration.json) from ../shared/data.

Fitted on (never the reported sets):

- CMRC2018 *trial* (all 1,002 questions, 256 articles);
- the *tune* half of DRCD dev (articles whose title hashes to bucket 1 of 2;
  the *report* half, bucket 0, is written to ``--report-dir`` for ``rag eval``);
- the *tune* fold of STARD (``bench/stard_split.py``) over a statute corpus built
  from ``lawrefbook.tar.gz`` (``bench/statute_corpus.py``), when ``--stard`` is given:
  for the selector always, for the refusal model only with ``--stard-in-refusal``
  (with it, the refusal recall on CMRC trial at the same false-refusal budget fell
  from 0.81 to 0.68 while STARD's own stayed near chance; see docs/answers.md).

Round 6 (``--paraphrase N --everyday HOME --everyday-heldout5 --style-budget Y --min-removed-recall R``): the refusal
models are also fitted on everyday-worded rows — rewordings of the CMRC/DRCD questions (bench/paraphrase.py), everyday_dev
and round 5's everyday held-out set (development data since round 6) — and the dense threshold also keeps each kind's
false refusals within Y, never below the one refusing R of the CMRC/DRCD removed-article runs (docs/answers.md).

Round 10 (``--everyday-rounds --everyday-index KEY=DIR … --selector-rounds-weight 3 --threshold-rule utility``): the
refusal and selector models are also fitted on every everyday development round (``bench/everyday_rounds.py``:
everyday_dev, rounds 5-8 and their _docs sets; general-path Chinese rows; the selector at row weight 3), and the dense
threshold maximises their out-of-fold utility between the CMRC/DRCD recall floor and the 3 % ceiling — the variant
chosen by the leave-one-round-out CV of ``bench/everyday_loro.py``. Shipped (round 10) as the refusal-only variant
(without ``--selector-rounds-weight``); follow-ups keep the round-9 refusal models (rag.followup_refusal,
docs/followup_refusal.md).

Three pairs of models are written: *dense* (lexical + question-word alignment (rag.whq) +
sentence cosines, for the embedder of this run), *lexical* (no cosines: any other embedder) and
*cross-lingual* (cosines only: questions with little CJK text, for this embedder). The second-sentence
ratio (``--second-ratio``) and the refusal budget (``--max-false-refusal``) were chosen on
question/article-grouped folds of these same tuning sets.

For every question the hybrid retrieval runs twice: on the full index
(answerable; sentence label = the sentence contains a gold answer) and with
the question's own article removed (unanswerable). The selector is a
logistic regression over per-sentence features (:func:`rag.select.candidates`)
of the answerable runs; the refusal model a logistic regression over
:func:`rag.select.question_features` of both runs, its threshold the highest
one refusing at most ``--max-false-refusal`` of the answerable tune
questions. Both are fitted twice: with sentence cosines (for the embedder
of this run, recorded by name and weights fingerprint) and lexical-only
(the fallback for any other embedder). Question embeddings are cached in
``$RAG_HOME/qcache.npz``; the passage/sentence embedding cache sits in each
dataset index.

    RAG_HOME=/tmp/h1/home python bench/calibrate_answers.py [--limit N] [--stard]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from rag.config import data_dir  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_jsonl_items, read_squad  # noqa: E402
from rag.evaluate import dataset_index  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.select import LinearModel, question_features  # noqa: E402
from rag.trees import TreeModel, export_hgb  # noqa: E402

import calib_rows as row_collection  # noqa: E402
from calib_rows import (CachedQueries, cached_paraphrase_rows, collect, drcd_halves,  # noqa: E402,F401
                        heldout5_rows, pooled_index, stard_index)

DATA = ROOT.parent / "shared" / "data"
SEL_LEX = ["coverage", "bigram", "answer_type", "missing_top", "cov_gap", "bigram_gap", "passage", "inv_rank",
           "log_len", "focus", "focus_bigram", "focus_gap", "neighbour_focus",
           # rag.whq alignment (question word, predicate vs topic, longest common run)
           "wh_left", "wh_right", "pred_bigram", "lcs", "type_new", "nb_pred", "pos",
           "pred_bigram_gap", "wh_left_gap", "wh_right_gap", "lcs_gap", "pred_lcs", "pred_lcs_gap", "topic",
           "passage_coverage", "passage_missing_top"]
SEL_DENSE = SEL_LEX + ["cos", "cos_gap", "passage_dense", "cos_margin"]
REF_LEX = ["selector_logit", "coverage", "bigram", "answer_type", "missing_top", "max_coverage",
           "pred_bigram", "wh_left", "wh_right", "lcs", "max_lcs", "max_pred_bigram", "topic", "max_topic",
           "passage_missing_top", "min_passage_missing_top", "max_passage_coverage"]
# rag.agreement: what the question names (numbers, 《titles》, its heaviest terms) found in the quoted sentence,
# its passage and title; how far the first passage stands out; the selector's margin over other passages
REF_AGREE = ["type_new", "p_gap", "ag_num_q", "ag_num_sent", "ag_num_passage", "ag_quoted_q", "ag_quoted_passage",
             "ag_key_sent", "ag_key_passage", "ag_key_title", "ag_key2_missing", "ag_ent_spread", "ag_score_gap",
             "ag_bm25_gap", "ag_both", "ag_docs",
             # round 5: the question's subject (its opening words) matched as one piece against the passage,
             # its title and the sentence; the passage title inside the question (whole, or inside a longer name)
             "ag_head_passage", "ag_head_title", "ag_head_best", "ag_head_len", "ag_head_anaphor", "ag_head_sent",
             "ag_title_in_q"]
# round 6 (rag.rarity): question terms weighted by their rarity in Chinese at large, names apart. Not in the
# shipped models: out of fold they did not help (bench/refusal_tradeoff.py, docs/answers.md); --rarity adds them
REF_RARITY = ["rr_cov_passage", "rr_cov_sent", "rr_miss_passage", "rr_name_miss_passage", "rr_common_q"]
REF_LEX += REF_AGREE
REF_DENSE = REF_LEX + ["cos", "max_cos", "dense", "cos_margin", "max_cos_margin", "ag_dense_gap"]
# an English question's subject is not its opening words (and its gloss puts question words last): no head features
# (nor rarity features: the English rows of round 5 are reused without them)
REF_CROSSLINGUAL = [n for n in REF_DENSE if not n.startswith(("ag_head", "ag_title_in_q", "rr_"))]
COS_FEATURES = ("cos", "cos_gap", "passage_dense", "cos_margin")


def _lr(X: np.ndarray, y: np.ndarray, names: list[str], C: float = 1.0, w: np.ndarray | None = None) -> LinearModel:
    from sklearn.linear_model import LogisticRegression

    m = LogisticRegression(C=C, max_iter=2000).fit(X, y, sample_weight=w)
    return LinearModel(float(m.intercept_[0]), {n: float(w) for n, w in zip(names, m.coef_[0])})


def fit_selector(rows: list[dict], names: list[str]) -> LinearModel:
    X, y, w = [], [], []
    for r in rows:
        if r["answerable"] and any(lab for _, lab in r["cands"]):
            for f, lab in r["cands"]:
                X.append([f.get(n, 0.0) for n in names])
                y.append(lab)
                w.append(r.get("w", 1.0))
    return _lr(np.array(X), np.array(y), names, w=None if set(w) <= {1.0} else np.array(w))


_SET_NOTES = (("cmrc_trial", "CMRC2018 trial", ""), ("drcd_tune", "the DRCD dev tune half", "split by article"),
              ("everyday", "everyday_dev.jsonl", ""),
              ("everyday_h5", "round 5's everyday_heldout.jsonl", "development data since round 6"),
              ("stard_tune", "the STARD tune fold", ""))


def fitted_note(sets: set[str], stard_in_refusal: bool = False, rounds_in_selector: bool = False) -> str:
    """The model file's note, naming every row set it was fitted on (``fitted_on``).

    >>> fitted_note({"cmrc_trial", "cmrc_trial_en", "cmrc_trial_para", "stard_tune"})  # doctest: +ELLIPSIS
    'Written by bench/calibrate_answers.py. Fitted on CMRC2018 trial with its English renderings and everyday-worded paraphrases; the STARD tune fold (selector only). ...'
    """
    parts = []
    for name, text, why in _SET_NOTES:
        if not {name, name + "_en", name + "_para"} & sets:
            continue
        extra = [w for s, w in ((name + "_en", "its English renderings" if name.startswith(("cmrc", "drcd"))
                                 else "its English questions"), (name + "_para", "everyday-worded paraphrases"))
                 if s in sets]
        text += f" with {' and '.join(extra)}" if extra else ""
        if name == "stard_tune":
            why = "selector and refusal" if stard_in_refusal else "selector only"
        parts.append(f"{text} ({why})" if why else text)
    if any(s.startswith("everyday_r") for s in sets):  # round 10: bench/everyday_rounds.py
        parts.append("the everyday development rounds of bench/everyday_rounds.py (" + ", ".join(
            sorted(s for s in sets if s.startswith("everyday_r") and not s.endswith("_en"))) + "; general-path "
            "Chinese rows, " + ("selector and refusal" if rounds_in_selector else "refusal only") + ")")
    other = sorted(s for s in sets if not any(s in (n, n + "_en", n + "_para") for n, _, _ in _SET_NOTES)
                   and not s.startswith("everyday_r"))
    parts += [f"{s} rows" for s in other]
    return ("Written by bench/calibrate_answers.py. Fitted on " + "; ".join(parts) + ". The stats are on that "
            "same tuning data (in-sample). Do not edit by hand.")


def refusal_features(rows: list[dict], selector: LinearModel, dense: bool,
                     shape: bool = False) -> tuple[list[dict], np.ndarray]:
    """The refusal inputs of every row (``shape``: also the ``sh_*`` features of :mod:`rag.refusal_shape`)."""
    from rag.refusal_shape import shape_features
    from rag.select import Candidate

    feats = []
    for r in rows:
        cands = []
        for f, _ in r["cands"]:
            f = f if dense else {k: v for k, v in f.items() if k not in COS_FEATURES}
            cands.append(Candidate(None, f, selector.probability(f)))
        cands.sort(key=lambda c: -c.p)
        q = question_features(cands, [])
        q.update({k: v for k, v in (cands[0].features if cands else {}).items() if k.startswith("rr_")})  # --rarity
        if dense and cands:
            q["dense"] = r["dense"]
        if shape:
            q.update(shape_features(cands))
        feats.append(q)
    return feats, np.array([r["answerable"] for r in rows])


def _article(row: dict) -> str:
    """The article a question belongs to: CMRC ``TRIAL_800_QUERY_0`` → ``TRIAL_800``, DRCD ``1147-5-1`` → ``1147``;
    an everyday_dev row carries its document as ``group``."""
    if "group" in row:
        return row["group"]
    return row["set"] + ":" + re.sub(r"(_QUERY_\d+|(-\d+)+)$", "", str(row["qid"]))


def _hgb(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40,
                                          early_stopping=False, random_state=0).fit(X, y, sample_weight=w)


def is_everyday_style(row: dict) -> bool:
    """A question in everyday wording: everyday_dev (Chinese), an everyday development round
    (``bench/everyday_rounds.py``, round 10) or a paraphrased tuning question."""
    return row["set"] in ("everyday", "everyday_h5") or row["set"].endswith("_para") or (
        row["set"].startswith("everyday_r") and not row["set"].endswith("_en"))


def _style_set(row: dict) -> str:
    return "para" if row["set"].endswith("_para") else row["set"]


def fit_refusal(rows, selector, names, dense: bool, max_false_refusal: float,
                learner: str = "trees", everyday_budget: float | None = None,
                style_budget: float | None = None,
                min_removed_recall: float | None = None,
                threshold_rule: str | None = None) -> tuple[LinearModel | TreeModel, dict]:
    """The refusal model and its threshold.

    With ``everyday_budget`` Y the threshold also refuses at most Y of the everyday_dev answerable rows
    (the lower of the two thresholds: the highest one meeting both budgets); ``style_budget`` likewise
    over the everyday-style rows (:func:`is_everyday_style`), each kind on its own (the reworded tuning questions,
    everyday_dev, the round-5 everyday held-out set) when it has at least 20 answerable rows; but never below
    the threshold that refuses ``min_removed_recall`` of the CMRC/DRCD own-article-removed rows. Rows of weight 0 are not fitted on, only
    predicted out of fold (they count for the budgets).

    With ``learner="trees"`` the threshold comes from out-of-fold predictions (4 folds grouped by article):
    boosted trees fit their own training rows too well for an in-sample threshold.
    """
    from sklearn.model_selection import GroupKFold

    feats, y = refusal_features(rows, selector, dense, shape=any(n.startswith("sh_") for n in names))
    X = np.array([[f.get(n, 0.0) for n in names] for f in feats])
    w = np.array([r.get("w", 1.0) for r in rows])
    fit = w > 0
    w = None if (w == 1.0).all() else w  # unweighted fits stay bit-identical to earlier rounds
    if learner == "trees":
        p = np.zeros(len(y))
        for tr, te in GroupKFold(n_splits=4).split(X, groups=[_article(r) for r in rows]):
            tr = tr[fit[tr]]
            p[te] = _hgb(X[tr], y[tr], None if w is None else w[tr]).predict_proba(X[te])[:, 1]
        m = export_hgb(_hgb(X[fit], y[fit], None if w is None else w[fit]), names)
    else:
        m = _lr(X, y, names, w=w)
        p = np.array([m.probability(f) for f in feats])
    # the budget is read off the CMRC/DRCD answerable questions only (everyday_dev rows are few, and weighted)
    budget_rows = np.array([not r["set"].startswith("everyday") and not is_everyday_style(r) for r in rows])
    pos = np.sort(p[(y == 1) & budget_rows])
    thr = float(pos[int(max_false_refusal * len(pos))]) if len(pos) else 0.5  # refuse below
    sets = np.array([r["set"] for r in rows])
    ev_pos = np.sort(p[(y == 1) & (sets == "everyday")])
    if everyday_budget is not None and len(ev_pos):
        thr = min(thr, float(ev_pos[int(everyday_budget * len(ev_pos))]))
    for style_set in sorted({_style_set(r) for r in rows if is_everyday_style(r)}) if style_budget is not None else []:
        style_pos = np.sort(p[(y == 1) & np.array([_style_set(r) == style_set for r in rows])])
        if len(style_pos) >= 20:  # each kind of everyday wording on its own (the paraphrases outnumber the real ones)
            thr = min(thr, float(style_pos[int(style_budget * len(style_pos))]))
    if min_removed_recall is not None:  # a floor: never so low that CMRC/DRCD removed-article recall falls below it
        neg = np.sort(p[(y == 0) & budget_rows])
        if len(neg):
            floor = float(np.nextafter(neg[max(int(np.ceil(min_removed_recall * len(neg))) - 1, 0)], 1.0))
            thr = max(thr, floor)
    if threshold_rule is not None:  # round 10: a rule of bench/everyday_loro.py, as its leave-one-round-out CV ran it
        from everyday_loro import quote_hit, rule_threshold

        hit = np.array([quote_hit(r, selector) for r in rows])
        thr = rule_threshold(threshold_rule, p, y, sets, hit)
    refused = p < thr
    per_set = {s: {"false_refusal": float(refused[(y == 1) & (sets == s)].mean()),
                   "refusal_recall": float(refused[(y == 0) & (sets == s)].mean())} for s in sorted(set(sets))}
    stats = {"per_set": per_set, "tune_false_refusal": float(refused[y == 1].mean()), "tune_refusal_recall": float(refused[y == 0].mean()),
             "tune_refusal_precision": float((refused & (y == 0)).sum() / max(refused.sum(), 1)),
             "tune_questions": int((y == 1).sum())}
    model = TreeModel(m.bias, m.features, m.trees, thr) if learner == "trees" else LinearModel(m.bias, m.weights, thr)
    stats["threshold_from"] = "out-of-fold" if learner == "trees" else "in-sample"
    if everyday_budget is not None:
        stats["everyday_budget"] = everyday_budget
    if style_budget is not None:
        stats["everyday_style_budget"] = style_budget
    if min_removed_recall is not None:
        stats["min_removed_recall"] = min_removed_recall
    if threshold_rule is not None:
        stats["threshold_rule"] = threshold_rule
    stats["threshold"] = thr
    stats["oof"] = {"p": p.tolist(), "y": y.tolist(), "set": sets.tolist(),
                    "style": [is_everyday_style(r) for r in rows]}
    return model, stats


def selection_stats(rows, selector: LinearModel, dense: bool) -> dict:
    """Share of answerable tune questions whose top candidate contains the answer (fit data: optimistic)."""
    ok = n = 0
    for r in rows:
        if not r["answerable"]:
            continue
        n += 1
        if r["cands"]:
            strip = (lambda f: f) if dense else (lambda f: {k: v for k, v in f.items() if not k.startswith(("cos", "passage_d"))})
            best = max(r["cands"], key=lambda c: selector.probability(strip(c[0])))
            ok += best[1]
    return {"tune_top_sentence_has_answer": ok / max(n, 1)}


def _with_vrows(home: Path, paraphrase: bool, everyday: bool, heldout5: bool) -> list[dict]:
    """The Chinese tuning rows from bench/verifier_rows.py, with ``ag_verify`` (the answer verifier's out-of-fold P
    of the selector's best sentence, ``$RAG_HOME/verifier_oof.json``; -1 where it was not scored)."""
    from verifier_rows import attach_verify, read_rows

    names = ["cmrc_trial", "drcd_tune"] + (["cmrc_trial_para", "drcd_tune_para"] if paraphrase else []) \
        + (["everyday"] if everyday else []) + (["everyday_h5"] if heldout5 else [])
    cal = json.loads(Path(os.environ.get("RAG_VERIFY_SELECTOR", ROOT / "rag" / "calibration.json")).read_text(
        encoding="utf-8"))  # the selector that chose the verified sentences (bench/fit_verifier.py --selector)
    selector = LinearModel.from_dict(cal["models"]["dense"]["selector"])
    oof_path = Path(os.environ.get("RAG_VERIFY_OOF", home / "verifier_oof.json"))
    oof = json.loads(oof_path.read_text(encoding="utf-8")) if oof_path.exists() else {}
    new = attach_verify(read_rows(home, names), oof, selector, top=1)
    scored = sum(any(f["ag_verify"] >= 0 for f, _ in r["cands"]) for r in new)
    print(f"vrows: {len(new)} rows of {names}, {scored} with a verifier score", file=sys.stderr)
    return new


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="At most N questions per set (subsample).")
    ap.add_argument("--stard", action="store_true", help="Also fit on the STARD tune fold (statute corpus).")
    ap.add_argument("--max-false-refusal", type=float, default=0.03,
                    help="Share of answerable tuning questions the refusal threshold may refuse: issue 9's 3 %% "
                         "budget, spent on the tuning sets for refusal recall.")
    ap.add_argument("--max-false-refusal-lexical", type=float, default=0.05,
                    help="Budget of the lexical fallback: without cosines it separates worse, so it refuses more "
                         "answerable questions rather than answer more unanswerable ones.")
    ap.add_argument("--second-ratio", type=float, default=0.6,
                    help="Quote a second sentence when its P is at least this share of the best's (chosen on "
                         "question-grouped folds of the tuning sets: 0.8 → 0.6 added 1.9 points on CMRC trial "
                         "at 1.32 instead of 1.18 sentences per answer).")
    ap.add_argument("--refusal-learner", choices=["trees", "logistic"], default="trees",
                    help="Boosted trees (default; on article-grouped folds of the tuning sets, refusal recall at 2 %% "
                         "false refusals: CMRC trial 0.891 → 0.945, DRCD tune 0.875 → 0.932) or logistic regression.")
    ap.add_argument("--stard-in-refusal", action="store_true",
                    help="Also fit the refusal model on STARD (default: selector only; see docs/answers.md).")
    ap.add_argument("--report-dir", default="/tmp/h1/sets", help="Where the DRCD halves are written.")
    ap.add_argument("--out", default=str(ROOT / "rag" / "calibration.json"))
    ap.add_argument("--pooled", action="store_true",
                    help="Ask the CMRC trial and DRCD tune questions over ONE index of both sets' articles (718), "
                         "so that with the own article removed the look-alike passages are as dense as in "
                         "CMRC dev's 848-article index (tried in round 4: CMRC dev refusal recall 0.815 against "
                         "0.822 without; off by default).")
    ap.add_argument("--hard-negatives", action="store_true",
                    help="Also fit the refusal model on a third run per CMRC/DRCD question with the own article AND "
                         "the first retrieved article removed (tried in round 5: out-of-fold refusal recall on CMRC "
                         "trial 0.932 → 0.940; these negatives are nearly all refused anyway; off by default).")
    ap.add_argument("--everyday", metavar="HOME", default=None,
                    help="Also fit on bench/data/everyday_dev.jsonl over its index at HOME (built there by "
                         "bench/everyday_dev.py when missing): answerable, own-document-removed and native "
                         "unanswerable questions whose first hit is not a statute article (see docs/answers.md).")
    ap.add_argument("--everyday-weight", type=float, default=1.0,
                    help="Row weight of the everyday_dev questions (grouped-CV grid in docs/answers.md, round 5b).")
    ap.add_argument("--everyday-budget", type=float, default=None, metavar="Y",
                    help="With --everyday: the dense refusal threshold also refuses at most Y of the everyday_dev "
                         "(non-statute) answerable questions, out of fold (docs/answers.md, round 5c).")
    ap.add_argument("--paraphrase", type=int, default=0, metavar="N",
                    help="Also ask up to N everyday-style rewordings of each Chinese tuning set's questions "
                         "(bench/paraphrase.py, bench/calib_rows.py; round 6).")
    ap.add_argument("--paraphrase-weight", type=float, default=1.0,
                    help="Row weight of the reworded questions in the refusal fit (0: threshold only).")
    ap.add_argument("--style-budget", type=float, default=None, metavar="Y",
                    help="The dense refusal threshold also refuses at most Y of the everyday-style answerable rows "
                         "(reworded tuning questions and, with --everyday, everyday_dev), out of fold.")
    ap.add_argument("--everyday-heldout5", action="store_true",
                    help="Also fit on bench/data/everyday_heldout.jsonl (round 5's held-out set, development data since "
                         "round 6) over an index of corpus/ built in $RAG_HOME/corpus_index when missing.")
    ap.add_argument("--min-removed-recall", type=float, default=None, metavar="R",
                    help="With --style-budget: the dense threshold still refuses at least R of the CMRC/DRCD "
                         "own-article-removed rows, out of fold (the floor of the round-6 rule, docs/answers.md).")
    ap.add_argument("--everyday-rounds", action="store_true",
                    help="Round 10: also fit the refusal models on every everyday development round (bench/everyday_rounds.py: "
                         "everyday_dev, rounds 5-8 and their _docs sets; general-path Chinese rows), cached in $RAG_HOME.")
    ap.add_argument("--everyday-index", action="append", default=[], metavar="KEY=DIR",
                    help="With --everyday-rounds: the index of a round's documents (keys of everyday_rounds.DEFAULT_INDEXES).")
    ap.add_argument("--selector-rounds-weight", type=float, default=0.0, metavar="W",
                    help="With --everyday-rounds: the selectors (dense, lexical) are also fitted on the rounds' answerable "
                         "rows at row weight W (0: refusal only, as before; bench/everyday_loro.py's *_sel variants).")
    ap.add_argument("--threshold-rule", choices=["style", "utility"], default=None,
                    help="Round 10: the dense threshold by a rule of bench/everyday_loro.py (chosen by its "
                         "leave-one-round-out CV) instead of the budgets above.")
    ap.add_argument("--rarity", action="store_true",
                    help="Also give the refusal models the rag.rarity features (round 6: no out-of-fold gain).")
    ap.add_argument("--oof-out", default=None, help="Write the dense refusal's out-of-fold predictions here (JSON).")
    ap.add_argument("--vrows", choices=["verify", "plain"], default=None,
                    help="Round 8: the Chinese tuning rows come from bench/verifier_rows.py ($RAG_HOME/vrows_*.jsonl); "
                         "'verify' also gives the dense refusal model the answer verifier's out-of-fold P of the best "
                         "sentence (ag_verify, $RAG_HOME/verifier_oof.json from bench/fit_verifier.py), 'plain' not.")
    ap.add_argument("--reuse-rows", action="store_true",
                    help="Reuse the features saved by an earlier run ($RAG_HOME/calib_rows_<set>.jsonl).")
    args = ap.parse_args()
    row_collection.RARITY = args.rarity
    if args.everyday_budget is not None and not args.everyday:
        ap.error("--everyday-budget needs --everyday HOME")
    home = data_dir()
    inner = get_embedder("e5-small")
    emb = CachedQueries(inner, home / "qcache.npz")
    tune_drcd, report_drcd = drcd_halves(DATA / "drcd" / "DRCD_dev.json", Path(args.report_dir))
    sets = [("cmrc_trial", DATA / "cmrc2018" / "cmrc2018_trial.json"), ("drcd_tune", tune_drcd)]
    sets += [(name + "_en", path) for name, path in sets]  # their word-by-word English renderings
    if args.stard:
        sets.append(("stard_tune", stard_index(Path(args.report_dir) / "stard") / "stard_tune.jsonl"))
    rows: list[dict] = []
    pooled = pooled_index(sets, inner) if args.pooled else None
    for name, path in sets:
        rows_path = home / (f"calib_rows_{name}{'_' + str(args.limit) if args.limit else ''}"
                            f"{'_pooled' if pooled is not None and path.suffix != '.jsonl' else ''}.jsonl")
        reuse = args.reuse_rows and rows_path.exists()  # features saved by an earlier run
        if args.vrows and path.suffix != ".jsonl" and not name.endswith("_en"):
            continue  # these rows (and their rewordings) come from bench/verifier_rows.py: _with_vrows
        if path.suffix == ".jsonl":
            items, index = read_jsonl_items(path), (None if reuse else open_index(path.parent / "home", embedder=inner))
        else:
            docs, items = read_squad(path)
            index = None if reuse else pooled or dataset_index(docs, embedder=inner, progress=True)
        items = items[:args.limit] if args.limit else items
        if reuse:
            rows += [json.loads(line) for line in rows_path.read_text(encoding="utf-8").splitlines()]
        else:
            new: list[dict] = []
            collect(name, index, items, emb, new, english=name.endswith("_en"))
            emb.save()
            with open(rows_path, "w", encoding="utf-8") as f:
                for r in new:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
            rows += new
        if args.paraphrase and path.suffix != ".jsonl" and not name.endswith("_en"):
            index = index or pooled or dataset_index(docs, embedder=inner, progress=True)
            rows += cached_paraphrase_rows(name, index, items, emb, home, args)
        if args.hard_negatives and path.suffix != ".jsonl" and not name.endswith("_en"):
            index = index or pooled or dataset_index(docs, embedder=inner, progress=True)
            hard: list[dict] = []
            collect(name, index, items, emb, hard, hard=True)
            rows += hard
    if args.everyday and not args.vrows:
        from everyday_dev import calib_rows

        rows += calib_rows(Path(args.everyday), emb, home, args.reuse_rows, args.everyday_weight)
    if args.everyday_heldout5 and not args.vrows:
        rows += heldout5_rows(emb, home, args.everyday_weight, args.reuse_rows)
    if args.everyday_rounds:
        from everyday_rounds import round_rows

        rows += [dict(r, w=args.everyday_weight) for r in round_rows(
            emb, home, dict(x.split("=", 1) for x in args.everyday_index), reuse=args.reuse_rows) if not r["statute"]]
    if args.vrows:
        rows += _with_vrows(home, paraphrase=bool(args.paraphrase), everyday=bool(args.everyday),
                            heldout5=args.everyday_heldout5)
    models, stats = {}, {}
    zh_rows = [r for r in rows if not r["set"].endswith("_en")]
    # the cross-lingual models are fitted on the English renderings of CMRC/DRCD only (as in round 5; the few
    # English everyday rows are left out of them)
    en_rows = [r for r in rows if r["set"].endswith("_en") and not r["set"].startswith("everyday")]
    # the word-by-word English retrieves the answering passage for only ~30 % of questions (real English
    # questions far more often): fit the cross-lingual models on the questions whose answer was retrieved
    found = {(r["set"], r["qid"]) for r in en_rows if r["answerable"] and any(lab for _, lab in r["cands"])}
    en_rows = [r for r in en_rows if (r["set"], r["qid"]) in found]
    extra = REF_RARITY if args.rarity else []
    verify = ["ag_verify"] if args.vrows == "verify" else []
    for kind, sel_names, ref_names in (("dense", SEL_DENSE, REF_DENSE + extra + verify), ("lexical", SEL_LEX, REF_LEX + extra),
                                       ("crosslingual", SEL_DENSE, REF_CROSSLINGUAL)):
        dense = kind != "lexical"
        rs = en_rows if kind == "crosslingual" else zh_rows
        rs = rs if dense else [dict(r, cands=[({k: v for k, v in f.items() if k not in COS_FEATURES}, lab)
                                              for f, lab in r["cands"]]) for r in rs]
        # the selector keeps round 5's rows: rewordings and everyday rows only inform the refusal decision (in the
        # selector they moved second sentences from another passage into answers, e.g. 无锡 after 杭州's 741家) — except,
        # with --selector-rounds-weight, the real everyday rows of the development rounds (round 10)
        sel_rows = [r for r in rs if not r["set"].startswith("everyday") and not is_everyday_style(r)]
        if args.selector_rounds_weight and kind != "crosslingual":  # round 10: the rounds' answerable rows, weighted
            sel_rows += [dict(r, w=args.selector_rounds_weight) for r in rs
                         if r["set"].startswith("everyday_r") and r["answerable"]]
        sel = fit_selector(sel_rows, sel_names)
        ref_rows = [r for r in rs if args.stard_in_refusal or not r["set"].startswith("stard")]
        budget = args.max_false_refusal if kind == "dense" else args.max_false_refusal_lexical
        ref, st = fit_refusal(ref_rows, sel, ref_names, dense, budget, args.refusal_learner,
                              args.everyday_budget if kind == "dense" else None,
                              args.style_budget if kind == "dense" else None,
                              args.min_removed_recall if kind == "dense" else None,
                              args.threshold_rule if kind == "dense" else None)
        oof = st.pop("oof")
        if kind == "dense" and args.oof_out:
            Path(args.oof_out).write_text(json.dumps(oof), encoding="utf-8")
        st.update(selection_stats(rs, sel, dense))
        models[kind] = {"selector": sel.__dict__, "refusal": ref.to_dict() if isinstance(ref, TreeModel) else ref.__dict__,
                        "second_ratio": args.second_ratio}
        stats[kind] = st
        print(kind, json.dumps(st), file=sys.stderr)
    out = {"note": fitted_note({r["set"] for r in rows}, args.stard_in_refusal, bool(args.selector_rounds_weight)),
           "fitted_for": {"embedder": inner.name, "fingerprint": inner.fingerprint},
           "fitted_on": sorted({r["set"] for r in rows}), "limit": args.limit,
           **({"selector_rounds_weight": args.selector_rounds_weight} if args.selector_rounds_weight else {}),
           "tune_stats": stats, "models": models}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", "/tmp/h1/home")
    main()
