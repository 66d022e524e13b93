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

Round 11 (``--pad``): the refusal models are also fitted on the CMRC trial / DRCD tune questions asked again on one
index of both sets' articles with the DRCD half in simplified script (``bench/padded_rows.py``, 718 documents: the
look-alikes of a larger index), and ``--threshold-rule``'s CMRC/DRCD ceiling and floor are read off those padded rows
(``bench/padded_test.py`` measures the shipped procedure on them out of fold; docs/answers.md, round 11). The fitting
code lives in ``bench/calib_fit.py``; the model file records this script's command line and its rows per set.

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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


from rag.config import data_dir  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_jsonl_items, read_squad  # noqa: E402
from rag.evaluate import dataset_index  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.select import LinearModel  # noqa: E402
from rag.trees import TreeModel  # noqa: E402

import calib_rows as row_collection  # noqa: E402
from calib_args import check_args  # noqa: E402
from calib_fit import (COS_FEATURES, REF_AGREE, REF_CROSSLINGUAL, REF_DENSE, REF_LEX, REF_RARITY,  # noqa: E402,F401
                       SEL_DENSE, SEL_LEX, _article, _hgb, _lr, _style_set, fit_refusal, fit_selector, fitted_note,
                       is_everyday_style, refusal_features, selection_stats)
from calib_rows import (CachedQueries, cached_paraphrase_rows, collect, drcd_halves,  # noqa: E402,F401
                        heldout5_rows, pooled_index, stard_index)

DATA = ROOT.parent / "shared" / "data"
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


def _parser() -> argparse.ArgumentParser:
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
    ap.add_argument("--rounds", default=None, metavar="R,R,…",
                    help="With --everyday-rounds: only these rounds (default: every round of everyday_rounds.ROUNDS; "
                         "round 11's shipped model: dev,5,6,7,8).")
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
    ap.add_argument("--pad", action="store_true",
                    help="Round 11: also fit the refusal models on the CMRC trial / DRCD tune questions asked on one "
                         "index of both sets' articles in simplified script (bench/padded_rows.py, 718 documents: "
                         "look-alikes as dense as in a larger index), and read --threshold-rule's CMRC/DRCD bounds off "
                         "those rows.")
    ap.add_argument("--keep-from", default=None, metavar="FILE",
                    help="Round 12: a refusal-only refit — the selectors (dense, lexical) and the whole cross-lingual "
                         "pair are taken from the model file FILE (e.g. the shipped rag/calibration.json), the dense and "
                         "lexical refusal models are fitted on features of those selectors; the English renderings and "
                         "STARD rows, which feed only what is kept, are not asked.")
    ap.add_argument("--drcd-every", type=int, default=1, metavar="N",
                    help="Round 12: only every Nth article of the DRCD tune half (its own, smaller index; the rows "
                         "keep the set name drcd_tune) — a cut for 2 shared cores; 1 = all.")
    ap.add_argument("--refit-selectors", action="store_true",
                    help="With --keep-from: keep only FILE's cross-lingual pair; the dense and lexical selectors are "
                         "fitted on this run's rows (with --selector-rounds-weight, the rounds' too) and the refusal "
                         "models on their features.")
    ap.add_argument("--cmrc-dev-tune", action="store_true",
                    help="Round 18: also fit the refusal models on the CMRC2018 dev *tune* half (bench/cmrc_dev_halves.py: "
                         "articles whose title hashes to bucket 1, less every article a held-out documents set uses), "
                         "asked on its own index and with each question's own article removed (set cmrc_dev_tune; no "
                         "English renderings, rewordings or padded asks; the selectors keep their rows).")
    ap.add_argument("--cmrc-dev-every", type=int, default=1, metavar="N",
                    help="With --cmrc-dev-tune: only every Nth article of the tune half (a cut for time; 1 = all).")
    ap.add_argument("--cmrc-dev-tune-pad", action="store_true",
                    help="Round 19 (with --cmrc-dev-tune): also fit the refusal models on the same tune-half questions "
                         "asked over ONE index of the target's size (the tune half + CMRC trial + the DRCD tune half in "
                         "simplified script, cut by title hash to ~848 articles: bench/padded_rows.py "
                         "cmrc_dev_pad_rows), full and with the own article removed (set cmrc_dev_tune_pad, grouped "
                         "like cmrc_dev_tune; refusal only).")
    ap.add_argument("--reuse-rows", action="store_true",
                    help="Reuse the features saved by an earlier run ($RAG_HOME/calib_rows_<set>.jsonl).")
    return ap


def _tuning_rows(args, home: Path, inner, emb: CachedQueries) -> list[dict]:
    """Every feature row the run fits on (computed, or read back with ``--reuse-rows``)."""
    tune_drcd, report_drcd = drcd_halves(DATA / "drcd" / "DRCD_dev.json", Path(args.report_dir))
    if args.drcd_every > 1:  # round 12: every Nth article of the tune half, for time
        full = json.loads(tune_drcd.read_text(encoding="utf-8"))
        tune_drcd = tune_drcd.with_name(f"drcd_dev_tune_every{args.drcd_every}.json")
        tune_drcd.write_text(json.dumps(dict(full, data=full["data"][::args.drcd_every]), ensure_ascii=False),
                             encoding="utf-8")
    sets = [("cmrc_trial", DATA / "cmrc2018" / "cmrc2018_trial.json"), ("drcd_tune", tune_drcd)]
    if not args.keep_from:  # their word-by-word English renderings (cross-lingual models only)
        sets += [(name + "_en", path) for name, path in sets]
    if args.cmrc_dev_tune:  # round 18: refusal rows only (see _fit_models), asked like cmrc_trial's
        from cmrc_dev_halves import cmrc_dev_halves

        sets.append(("cmrc_dev_tune", cmrc_dev_halves(Path(args.report_dir), every=args.cmrc_dev_every)[0]))
    if args.stard and not args.keep_from:
        sets.append(("stard_tune", stard_index(Path(args.report_dir) / "stard") / "stard_tune.jsonl"))
    rows: list[dict] = []
    pooled = pooled_index(sets, inner) if args.pooled else None
    for name, path in sets:
        every = f"_every{args.cmrc_dev_every}" if name == "cmrc_dev_tune" and args.cmrc_dev_every > 1 else ""
        rows_path = home / (f"calib_rows_{name}{every}{'_' + str(args.limit) if args.limit else ''}"
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
        if name == "cmrc_dev_tune":
            if args.cmrc_dev_tune_pad:  # round 19: the same questions on an index of the target's size
                from padded_rows import cmrc_dev_pad_rows

                rows += cmrc_dev_pad_rows(home, emb, Path(args.report_dir), path, reuse=args.reuse_rows,
                                          limit=args.limit, suffix=every)
            continue  # round 18: its plain rows only
        if args.paraphrase and path.suffix != ".jsonl" and not name.endswith("_en"):
            cached = args.reuse_rows and (home / f"calib_rows_{name}_para_{args.paraphrase}.jsonl").exists()
            index = index or (None if cached else pooled or dataset_index(docs, embedder=inner, progress=True))
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
        from everyday_rounds import round_rows, sets_of

        rows += [dict(r, w=args.everyday_weight) for r in round_rows(
            emb, home, dict(x.split("=", 1) for x in args.everyday_index), reuse=args.reuse_rows,
            sets=sets_of(tuple(args.rounds.split(",")) if args.rounds else None)) if not r["statute"]]
    if args.vrows:
        rows += _with_vrows(home, paraphrase=bool(args.paraphrase), everyday=bool(args.everyday),
                            heldout5=args.everyday_heldout5)
    if args.pad:  # round 11
        from padded_rows import padded_rows

        rows += padded_rows(home, emb, Path(args.report_dir), reuse=args.reuse_rows)
    return rows


def _fit_models(rows: list[dict], args) -> tuple[dict, dict]:
    """The dense, lexical and cross-lingual (selector, refusal) pairs and their in-sample / out-of-fold stats."""
    from padded_rows import PAD_SETS

    models, stats = {}, {}
    kept = json.loads(Path(args.keep_from).read_text(encoding="utf-8")) if args.keep_from else None
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
        if kept and kind == "crosslingual":  # --keep-from: the cross-lingual pair as it was
            models[kind], stats[kind] = kept["models"][kind], kept["tune_stats"][kind]
            continue
        dense = kind != "lexical"
        rs = en_rows if kind == "crosslingual" else zh_rows
        rs = rs if dense else [dict(r, cands=[({k: v for k, v in f.items() if k not in COS_FEATURES}, lab)
                                              for f, lab in r["cands"]]) for r in rs]
        # the selector keeps round 5's rows: rewordings and everyday rows only inform the refusal decision (in the
        # selector they moved second sentences from another passage into answers, e.g. 无锡 after 杭州's 741家) — except,
        # with --selector-rounds-weight, the real everyday rows of the development rounds (round 10)
        sel_rows = [r for r in rs if not r["set"].startswith("everyday") and not is_everyday_style(r)
                    and not r["set"].endswith("_pad") and r["set"] != "cmrc_dev_tune"]
        if args.selector_rounds_weight and kind != "crosslingual":  # round 10: the rounds' answerable rows, weighted
            sel_rows += [dict(r, w=args.selector_rounds_weight) for r in rs
                         if r["set"].startswith("everyday_r") and r["answerable"]]
        sel = (LinearModel.from_dict(kept["models"][kind]["selector"]) if kept and not args.refit_selectors
               else fit_selector(sel_rows, sel_names))
        ref_rows = [r for r in rs if args.stard_in_refusal or not r["set"].startswith("stard")]
        budget = args.max_false_refusal if kind == "dense" else args.max_false_refusal_lexical
        ref, st = fit_refusal(ref_rows, sel, ref_names, dense, budget, args.refusal_learner,
                              args.everyday_budget if kind == "dense" else None,
                              args.style_budget if kind == "dense" else None,
                              args.min_removed_recall if kind == "dense" else None,
                              args.threshold_rule if kind == "dense" else None,
                              tuple(s + "_pad" for s in PAD_SETS) if args.pad else None)
        oof = st.pop("oof")
        if kind == "dense" and args.oof_out:
            Path(args.oof_out).write_text(json.dumps(oof), encoding="utf-8")
        st.update(selection_stats(rs, sel, dense))
        models[kind] = {"selector": sel.to_dict(), "refusal": ref.to_dict(),
                        "second_ratio": args.second_ratio}
        stats[kind] = st
        print(kind, json.dumps(st), file=sys.stderr)
    return models, stats


def row_counts(rows: list[dict]) -> dict[str, list[int]]:
    """Per row set: [answerable, unanswerable] rows (recorded in the model file as ``rows``)."""
    out: dict[str, list[int]] = {}
    for r in rows:
        out.setdefault(r["set"], [0, 0])[0 if r["answerable"] else 1] += 1
    return dict(sorted(out.items()))


def main(argv: list[str] | None = None) -> None:
    ap = _parser()
    args = ap.parse_args(argv)
    row_collection.RARITY = args.rarity
    home = data_dir()
    check_args(ap, args, home)  # every option, before any heavy work (bench/calib_args.py)
    inner = get_embedder("e5-small")
    if args.keep_from and json.loads(Path(args.keep_from).read_text(encoding="utf-8"))[
            "fitted_for"]["fingerprint"] != inner.fingerprint:
        ap.error(f"--keep-from {args.keep_from} was fitted for other embedder weights")
    rows = _tuning_rows(args, home, inner, CachedQueries(inner, home / "qcache.npz"))
    models, stats = _fit_models(rows, args)
    counts = row_counts(rows)
    if args.keep_from:  # the kept models' own rows (English renderings, STARD) stay on the record
        kept = json.loads(Path(args.keep_from).read_text(encoding="utf-8"))
        kept_sets = ("_en",) if args.refit_selectors else ("_en", "stard_tune")  # what fed the kept models
        counts.update({s: n for s, n in kept["rows"].items()
                       if s not in counts and not s.startswith("everyday") and s.endswith(kept_sets)})
    out = {"note": fitted_note(set(counts), args.stard_in_refusal, bool(args.selector_rounds_weight)),
           "fitted_for": {"embedder": inner.name, "fingerprint": inner.fingerprint},
           "fitted_on": sorted(counts), "limit": args.limit,
           "command": "bench/calibrate_answers.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "rows": counts,
           **({"kept_from": {"file": args.keep_from, "command": kept["command"],
                             "kept": ("" if args.refit_selectors else "dense and lexical selectors; ")
                             + "the cross-lingual selector and refusal"}}
              if args.keep_from else {}),
           **({"selector_rounds_weight": args.selector_rounds_weight} if args.selector_rounds_weight else {}),
           "tune_stats": stats, "models": models}
    Path(args.out).write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", "/tmp/h1/home")
    main()
