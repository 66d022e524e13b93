"""The fitting half of ``bench/calibrate_answers.py``: feature lists, the selector and refusal fits, the model note.

Split out of ``calibrate_answers.py`` in round 11 (unchanged code; that script re-exports every name here, so
``from calibrate_answers import fit_refusal`` keeps working). This module reads no data and writes no file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import numpy as np  # noqa: E402

from rag.select import LinearModel, question_features  # noqa: E402
from rag.trees import TreeModel, export_hgb  # noqa: E402

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
              ("stard_tune", "the STARD tune fold", ""),
              ("cmrc_dev_tune", "the CMRC2018 dev tune half", "split by article, held-out documents' articles left out; "
               "refusal only"))


def fitted_note(sets: set[str], stard_in_refusal: bool = False, rounds_in_selector: bool = False) -> str:
    """The model file's note, naming every row set it was fitted on (``fitted_on``).

    >>> fitted_note({"cmrc_trial", "cmrc_trial_en", "cmrc_trial_para", "stard_tune"})  # doctest: +ELLIPSIS
    'Written by bench/calibrate_answers.py. Fitted on CMRC2018 trial with its English renderings and everyday-worded paraphrases; the STARD tune fold (selector only). ...'
    """
    parts = []
    for name, text, why in _SET_NOTES:
        if not {name, name + "_en", name + "_para", name + "_pad"} & sets:
            continue
        extra = [w for s, w in ((name + "_en", "its English renderings" if name.startswith(("cmrc", "drcd"))
                                 else "its English questions"), (name + "_para", "everyday-worded paraphrases"),
                                (name + "_pad", "its questions asked again on the padded index of bench/padded_rows.py"))
                 if s in sets]
        text += f" with {' and '.join(extra)}" if extra else ""
        if name == "stard_tune":
            why = "selector and refusal" if stard_in_refusal else "selector only"
        parts.append(f"{text} ({why})" if why else text)
    if any(s.startswith("everyday_r") for s in sets):  # round 10: bench/everyday_rounds.py
        parts.append("the everyday development rounds of bench/everyday_rounds.py (" + ", ".join(
            sorted(s for s in sets if s.startswith("everyday_r") and not s.endswith("_en"))) + "; general-path "
            "Chinese rows, " + ("selector and refusal" if rounds_in_selector else "refusal only") + ")")
    other = sorted(s for s in sets if not any(s in (n, n + "_en", n + "_para", n + "_pad") for n, _, _ in _SET_NOTES)
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
                threshold_rule: str | None = None,
                rule_base_sets: tuple[str, ...] | None = None) -> tuple[LinearModel | TreeModel, dict]:
    """The refusal model and its threshold.

    With ``everyday_budget`` Y the threshold also refuses at most Y of the everyday_dev answerable rows
    (the lower of the two thresholds: the highest one meeting both budgets); ``style_budget`` likewise
    over the everyday-style rows (:func:`is_everyday_style`), each kind on its own (the reworded tuning questions,
    everyday_dev, the round-5 everyday held-out set) when it has at least 20 answerable rows; but never below
    the threshold that refuses ``min_removed_recall`` of the CMRC/DRCD own-article-removed rows. Rows of weight 0 are not fitted on, only
    predicted out of fold (they count for the budgets).

    With ``learner="trees"`` the threshold comes from out-of-fold predictions (4 folds grouped by article):
    boosted trees fit their own training rows too well for an in-sample threshold. ``rule_base_sets``: the rows whose
    out-of-fold rates bound ``threshold_rule``'s threshold (default CMRC trial and DRCD tune; round 11's ``--pad``: the
    padded-index rows).
    """
    m, p, y = _refusal_scores(rows, selector, names, dense, learner)
    sets = np.array([r["set"] for r in rows])
    thr = _budget_threshold(rows, p, y, sets, max_false_refusal, everyday_budget, style_budget, min_removed_recall)
    if threshold_rule is not None:  # round 10: a rule of bench/everyday_loro.py, as its leave-one-round-out CV ran it
        from everyday_loro import quote_hit, rule_threshold

        hit = np.array([quote_hit(r, selector) for r in rows])
        thr = rule_threshold(threshold_rule, p, y, sets, hit, *([rule_base_sets] if rule_base_sets else []))
    refused = p < thr
    per_set = {s: {"false_refusal": float(refused[(y == 1) & (sets == s)].mean()),
                   "refusal_recall": float(refused[(y == 0) & (sets == s)].mean())} for s in sorted(set(sets))}
    stats = {"per_set": per_set, "tune_false_refusal": float(refused[y == 1].mean()), "tune_refusal_recall": float(refused[y == 0].mean()),
             "tune_refusal_precision": float((refused & (y == 0)).sum() / max(refused.sum(), 1)),
             "tune_questions": int((y == 1).sum())}
    model = TreeModel(m.bias, m.features, m.trees, thr) if learner == "trees" else LinearModel(m.bias, m.weights, thr)
    stats["threshold_from"] = "out-of-fold" if learner == "trees" else "in-sample"
    for key, value in (("everyday_budget", everyday_budget), ("everyday_style_budget", style_budget),
                       ("min_removed_recall", min_removed_recall), ("threshold_rule", threshold_rule)):
        if value is not None:
            stats[key] = value
    stats["threshold"] = thr
    stats["oof"] = {"p": p.tolist(), "y": y.tolist(), "set": sets.tolist(),
                    "style": [is_everyday_style(r) for r in rows]}
    return model, stats


def _refusal_scores(rows, selector, names, dense: bool, learner: str):
    """The fitted refusal model (trees: exported) and P(answerable) of every row — out of fold (4 folds grouped by
    article) for trees, in-sample for the logistic model — with the labels."""
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
        return export_hgb(_hgb(X[fit], y[fit], None if w is None else w[fit]), names), p, y
    m = _lr(X, y, names, w=w)
    return m, np.array([m.probability(f) for f in feats]), y


def _budget_threshold(rows, p, y, sets, max_false_refusal, everyday_budget, style_budget, min_removed_recall) -> float:
    """The threshold of the budgets (:func:`fit_refusal`), refusing below it."""
    # the budget is read off the CMRC/DRCD answerable questions only (everyday_dev rows are few, and weighted)
    budget_rows = np.array([not r["set"].startswith("everyday") and not is_everyday_style(r) for r in rows])
    pos = np.sort(p[(y == 1) & budget_rows])
    thr = float(pos[int(max_false_refusal * len(pos))]) if len(pos) else 0.5  # refuse below
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
    return thr


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


