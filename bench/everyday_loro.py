"""Leave-one-round-out CV of the general refusal model (and selector) on the everyday development rounds (issue 9, r10).

Fit on CMRC2018 trial + the DRCD tune half (+ their rewordings) + the everyday rows of every round but R
(``bench/everyday_rounds.py``: dev, 5, 6, 7, 8), choose the threshold by the variant's rule on the training rows'
out-of-fold predictions (4 folds grouped by article), measure on round R's general-path Chinese rows. The per-round
out-of-round table is the estimate of what a fresh everyday set gets.

Variants (``--variants``):

- ``shipped``: ``rag/calibration.json`` as it is, in-sample wherever it was fitted on a round (the round-6 file at
  7c620d8: everyday_dev and round 5; the round-10 refit: every round);
- ``main``: main's procedure refitted without round R (rows: everyday_dev and round 5 only; per-kind 8 % style
  budget, floor 0.90 CMRC/DRCD removed-article recall);
- ``rounds``: every round ≠ R as rows, the same style rule per set (each set with ≥ 20 answerable rows);
- ``utility``: every round ≠ R as rows; the threshold maximising the out-of-fold *utility* of the pooled everyday
  training rows (:func:`utility`), between the floor (CMRC/DRCD removed-article recall 0.90) and the 3 % CMRC/DRCD
  false-refusal ceiling (the floor when it lies above the ceiling, as in ``rounds``);
- ``r11`` (round 12): ``utility`` with the rows of round 11's shipped model only (``everyday_rounds.R11_ROUNDS``: dev,
  5-8), minus round R — the baseline of round 12's rule (docs/answers.md, "Round 12");
- ``*_sel``: the same with the selector also fitted on the answerable everyday rows of the rounds ≠ R
  (row weight ``--sel-weight``).

Decision rule, stated before the runs (docs/answers.md, round 10): the variant with the highest mean over the five
rounds of the out-of-round utility U = quote − (false refusal + (1 − unanswerable recall)) / 2 is the candidate,
provided its out-of-fold CMRC trial / DRCD tune false refusal stays ≤ 3 % / 5 % and their removed-article recall
≥ 0.90 in every fold; it ships only if the round-9 validation aggregates improve (quote up or refusal errors down
without the other worsening).

``--pad`` (round 11): the padded-index rows of ``bench/padded_rows.py`` are refusal rows too and bound the threshold
in place of the unpadded CMRC trial / DRCD tune rows (``calibrate_answers.py --pad``).

    RAG_HOME=H python bench/everyday_loro.py [--variants shipped,main,rounds,utility] [--pad] [--out table.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calibrate_answers import (REF_DENSE, SEL_DENSE, _article, _hgb, fit_selector,  # noqa: E402
                               refusal_features)
from everyday_rounds import R11_ROUNDS, ROUNDS, SETS, general_rows  # noqa: E402

from rag.select import LinearModel  # noqa: E402
from rag.trees import TreeModel, export_hgb  # noqa: E402

SECOND_RATIO = 0.6
FLOOR_RECALL = 0.90
#: the rows whose out-of-fold rates bound the threshold (:func:`rule_threshold`)
BASE_FLOOR_SETS = ("cmrc_trial", "drcd_tune")
BASE_SETS = ("cmrc_trial", "drcd_tune", "cmrc_trial_para_1000", "drcd_tune_para_1000")
#: round 11: the same questions asked on one index of CMRC trial + the DRCD tune half in simplified script
PAD_SETS = ("cmrc_trial_pad", "drcd_tune_pad")


def read_rows(home: Path, name: str) -> list[dict]:
    return [json.loads(x) for x in (home / f"calib_rows_{name}.jsonl").read_text(encoding="utf-8").splitlines()]


def quoted(row: dict, selector: LinearModel) -> list[tuple[float, int]]:
    """(P, label) of the quoted sentences: the best, and the second when its P ≥ 0.6 × the best's."""
    if not row["cands"]:
        return []
    ps = sorted(((selector.probability(f), lab) for f, lab in row["cands"]), key=lambda t: -t[0])
    return [ps[0]] + [c for c in ps[1:2] if c[0] >= SECOND_RATIO * ps[0][0]]


def quote_hit(row: dict, selector: LinearModel) -> int:
    """Whether the quote (best sentence, and the second when its P ≥ 0.6 × the best's) holds a gold answer."""
    return int(any(lab for _, lab in quoted(row, selector)))


def utility(p: np.ndarray, y: np.ndarray, hit: np.ndarray, thr: float) -> float:
    """U = quote − (false refusal + (1 − unanswerable recall)) / 2 at threshold ``thr`` (refuse below)."""
    ans, refused = y == 1, p < thr
    if not ans.any() or ans.all():
        return float("nan")
    quote = float((~refused & ans & (hit == 1)).sum() / ans.sum())
    fr = float(refused[ans].mean())
    miss = float((~refused[~ans]).mean())
    return quote - (fr + miss) / 2


def rule_threshold(rule: str, p: np.ndarray, y: np.ndarray, sets: np.ndarray, hit: np.ndarray,
                   base_sets: tuple[str, ...] = BASE_FLOOR_SETS) -> float:
    """The threshold of ``rule`` from out-of-fold predictions of the training rows; its CMRC/DRCD ceiling (3 % false
    refusal) and floor (``FLOOR_RECALL`` of the removed-article asks) are read off the rows of ``base_sets`` (round 11:
    the padded-index rows of ``bench/padded_rows.py``)."""
    base = np.isin(sets, list(base_sets))
    pos = np.sort(p[(y == 1) & base])
    ceiling = float(pos[int(0.03 * len(pos))])
    neg = np.sort(p[(y == 0) & base])
    floor = float(np.nextafter(neg[max(int(np.ceil(FLOOR_RECALL * len(neg))) - 1, 0)], 1.0))
    if rule == "style":
        thr = ceiling
        style = np.array([s.startswith("everyday") or s.endswith("_para") for s in sets])
        for s in sorted(set(sets[style])):
            sp = np.sort(p[(y == 1) & (sets == s)])
            if len(sp) >= 20:
                thr = min(thr, float(sp[int(0.08 * len(sp))]))
        return max(thr, floor)
    if floor >= ceiling:  # nothing lies between them: the floor binds, as in the style rule (max(thr, floor))
        return floor
    ev = np.array([s.startswith("everyday") for s in sets])
    grid = np.unique(np.concatenate([[floor, ceiling], p[ev & (p >= floor) & (p <= ceiling)]]))
    scores = [utility(p[ev], y[ev], hit[ev], t) for t in grid]
    return float(grid[int(np.nanargmax(scores))])


def measure(p: np.ndarray, rows: list[dict], hit: np.ndarray, thr: float) -> dict:
    y = np.array([r["answerable"] for r in rows])
    kind = np.array([r.get("kind", "full") for r in rows])
    refused = p < thr
    out = {"answerable": int((y == 1).sum()), "removed": int((kind == "removed").sum()),
           "native": int((kind == "native").sum()),
           "quote": float((~refused & (y == 1) & (hit == 1)).sum() / max((y == 1).sum(), 1)),
           "quote_no_refusal": float(hit[y == 1].mean()) if (y == 1).any() else 0.0,
           "false_refusal": float(refused[y == 1].mean()) if (y == 1).any() else 0.0,
           "removed_recall": float(refused[kind == "removed"].mean()) if (kind == "removed").any() else float("nan"),
           "native_recall": float(refused[kind == "native"].mean()) if (kind == "native").any() else float("nan"),
           "threshold": thr}
    out["utility"] = utility(p, y, hit, thr)
    return out


class Features:
    """Refusal inputs, labels and quote hits of a row list under one selector (computed once)."""

    def __init__(self, rows: list[dict], selector: LinearModel):
        feats, self.y = refusal_features(rows, selector, dense=True)
        self.X = np.array([[f.get(n, 0.0) for n in REF_DENSE] for f in feats])
        self.hit = np.array([quote_hit(r, selector) for r in rows])
        self.sets = np.array([r["set"] for r in rows])
        self.groups = np.array([_article(r) for r in rows])


def fit_oof(F: Features, idx: np.ndarray) -> tuple[TreeModel, np.ndarray]:
    """Trees fitted on rows ``idx`` and their 4-fold (grouped by article) out-of-fold predictions."""
    from sklearn.model_selection import GroupKFold

    X, y = F.X[idx], F.y[idx]
    p = np.zeros(len(idx))
    for tr, te in GroupKFold(n_splits=4).split(X, groups=F.groups[idx]):
        p[te] = _hgb(X[tr], y[tr]).predict_proba(X[te])[:, 1]
    return export_hgb(_hgb(X, y), REF_DENSE), p


def threshold_and_oof(F: Features, idx: np.ndarray, p: np.ndarray, rule: str,
                      floor_sets: tuple[str, ...] = BASE_FLOOR_SETS) -> tuple[float, dict]:
    """The threshold of ``rule`` on the out-of-fold ``p`` of rows ``idx``; CMRC/DRCD out-of-fold rates at it."""
    y, sets = F.y[idx], F.sets[idx]
    thr = rule_threshold(rule, p, y, sets, F.hit[idx], floor_sets)
    oof = {s: {"false_refusal": float((p[(y == 1) & (sets == s)] < thr).mean()),
               "removed_recall": float((p[(y == 0) & (sets == s)] < thr).mean())}
           for s in sorted(set(BASE_FLOOR_SETS) | set(floor_sets)) if (sets == s).any()}
    return thr, oof


def _rows(home: Path, pad: bool) -> tuple[list[dict], list[dict], list[dict]]:
    """CMRC/DRCD (+ rewordings, + with ``pad`` the padded-index rows of ``bench/padded_rows.py``), STARD tune and the
    everyday rounds' general-path rows."""
    base = [r for n in BASE_SETS + (PAD_SETS if pad else ()) for r in read_rows(home, n)]
    stard = read_rows(home, "stard_tune") if (home / "calib_rows_stard_tune.jsonl").exists() else []
    if not stard:
        print("no STARD tune rows: the selector is fitted without them", file=sys.stderr)
    ev = [r for name, rnd, _, _ in SETS for r in general_rows([dict(x, round=rnd) for x in read_rows(home, name)])]
    print(f"rows: base {len(base)}, stard {len(stard)}, everyday general {len(ev)}", file=sys.stderr, flush=True)
    return base, stard, ev


def _shipped_round(shipped: dict, test: list[dict]) -> dict:
    """The shipped file's figures on one round's rows (in-sample where it was fitted on them)."""
    sel = LinearModel.from_dict(shipped["selector"])
    ref = TreeModel.from_dict(shipped["refusal"])
    Ft = Features(test, sel)
    p = np.array([ref.probability(dict(zip(REF_DENSE, x))) for x in Ft.X])
    return measure(p, test, Ft.hit, ref.threshold)


#: the rounds whose rows a variant family may train on (round R itself always left out)
TRAIN_ROUNDS = {"main": ("dev", "5"), "r11": R11_ROUNDS, "all": ROUNDS}


def _family(variant: str) -> str:
    """``main`` (round-6 rows), ``r11`` (round 11's rounds) or ``all`` (every round) for a variant name.

    >>> [_family(v) for v in ("main", "r11", "utility_sel", "rounds")]
    ['main', 'r11', 'all', 'all']
    """
    return next((f for f in ("main", "r11") if variant.startswith(f)), "all")


class _Loro:
    """The state of one leave-one-round-out run: row lists, the selector, features and fits computed once."""

    def __init__(self, base, stard, ev, sel_weight: float, floor_sets: tuple[str, ...]):
        self.base, self.stard, self.ev, self.sel_weight, self.floor_sets = base, stard, ev, sel_weight, floor_sets
        self.sel0 = fit_selector([r for r in base + stard if not r["set"].endswith(("_para", "_pad"))], SEL_DENSE)
        self.F0, self.fits, self.Fsel = None, {}, {}

    def features(self, variant: str, rnd: str, train_ev: list[dict], test: list[dict]):
        fkey = _family(variant) + rnd
        if not variant.endswith("_sel"):
            self.F0 = self.F0 or Features(self.base + self.ev, self.sel0)
            return self.F0, self.base + self.ev
        if fkey not in self.Fsel:
            sel = fit_selector([r for r in self.base + self.stard if not r["set"].endswith(("_para", "_pad"))]
                               + [dict(r, w=self.sel_weight) for r in train_ev if r["answerable"]], SEL_DENSE)
            self.Fsel[fkey] = Features(self.base + train_ev + test, sel)
        return self.Fsel[fkey], self.base + train_ev + test

    def run(self, variant: str, rnd: str) -> dict:
        allowed = TRAIN_ROUNDS[_family(variant)]
        keep = (lambda r: r["round"] in allowed)
        test = [r for r in self.ev if r["round"] == rnd]
        train_ev = [r for r in self.ev if r["round"] != rnd and keep(r)]
        F, rows = self.features(variant, rnd, train_ev, test)
        if variant.endswith("_sel"):
            is_test = np.arange(len(rows)) >= len(rows) - len(test)
            is_train = ~is_test
        else:
            is_test = np.array([r.get("round") == rnd for r in rows])
            is_train = ~is_test & np.array([("round" not in r) or keep(r) for r in rows])
        rule = "utility" if variant.startswith(("utility", "r11")) else "style"
        key = _family(variant) + ("_sel" if variant.endswith("_sel") else "") + rnd
        if key not in self.fits:  # "rounds" and "utility" share the fit, they differ in the threshold rule only
            self.fits[key] = fit_oof(F, np.flatnonzero(is_train))
        model, p_oof = self.fits[key]
        thr, oof = threshold_and_oof(F, np.flatnonzero(is_train), p_oof, rule, self.floor_sets)
        ti = np.flatnonzero(is_test)
        p = np.array([model.probability(dict(zip(REF_DENSE, x))) for x in F.X[ti]])
        return dict(measure(p, [rows[i] for i in ti], F.hit[ti], thr), oof=oof)


def main(argv: list[str] | None = None) -> int:
    from rag.config import data_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", default="shipped,main,rounds,utility")
    ap.add_argument("--out", default=None)
    ap.add_argument("--selector-only", action="store_true",
                    help="only the sentence choice: per round, the share of answerable rows whose quote holds the "
                         "answer with the shipped-procedure selector vs one also fitted on the other rounds (weight "
                         "--sel-weight); no refusal")
    ap.add_argument("--sel-weight", type=float, default=1.0, help="row weight of the everyday rows in *_sel selectors")
    ap.add_argument("--pad", action="store_true",
                    help="round 11: the padded-index rows (bench/padded_rows.py) are refusal rows too, and they bound "
                         "the threshold (ceiling and floor) in place of the unpadded CMRC trial / DRCD tune rows")
    args = ap.parse_args(argv)
    base, stard, ev = _rows(data_dir(), args.pad)
    loro = _Loro(base, stard, ev, args.sel_weight, PAD_SETS if args.pad else BASE_FLOOR_SETS)
    if args.selector_only:
        return selector_only(base, stard, ev, loro.sel0, args.sel_weight)
    shipped = json.loads((ROOT / "rag" / "calibration.json").read_text(encoding="utf-8"))["models"]["dense"]
    table: dict[str, dict[str, dict]] = {}
    for variant in args.variants.split(","):
        table[variant] = {}
        for rnd in ROUNDS:
            test = [r for r in ev if r["round"] == rnd]
            table[variant][rnd] = _shipped_round(shipped, test) if variant == "shipped" else loro.run(variant, rnd)
            print(variant, rnd, json.dumps(table[variant][rnd]), file=sys.stderr, flush=True)
    print_table(table)
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=1), encoding="utf-8")
    return 0


def selector_only(base: list[dict], stard: list[dict], ev: list[dict], sel0: LinearModel, weight: float) -> int:
    """Leave-one-round-out quote (no refusal) of the selector with and without the other rounds' rows, and the
    sentences quoted per answer (the second sentence at ≥ 0.6 × the best's P)."""
    fixed = [r for r in base + stard if not r["set"].endswith(("_para", "_pad"))]
    print(f"| round | answerable | quote (sentences), selector as shipped | + other rounds (weight {weight:g}) |")
    print("|---|---|---|---|")
    tot = []
    for rnd in ROUNDS:
        test = [r for r in ev if r["round"] == rnd and r["answerable"]]
        sel = fit_selector(fixed + [dict(r, w=weight) for r in ev if r["round"] != rnd and r["answerable"]],
                           SEL_DENSE)
        (a, na), (b, nb) = ((float(np.mean([quote_hit(r, s) for r in test])),
                             float(np.mean([len(quoted(r, s)) for r in test]))) for s in (sel0, sel))
        tot.append((a, b, na, nb))
        print(f"| {rnd} | {len(test)} | {a:.3f} ({na:.2f}) | {b:.3f} ({nb:.2f}) |", flush=True)
    m = np.mean(tot, axis=0)
    print(f"| mean | | {m[0]:.3f} ({m[2]:.2f}) | {m[1]:.3f} ({m[3]:.2f}) |")
    return 0


def print_table(table: dict) -> None:
    cols = ("quote", "false_refusal", "removed_recall", "native_recall", "utility")
    print("| variant | round | answerable / removed / native | " + " | ".join(cols) + " | threshold |")
    print("|---|---|---|" + "---|" * (len(cols) + 1))
    for v, per in table.items():
        for rnd, m in per.items():
            print(f"| {v} | {rnd} | {m['answerable']} / {m['removed']} / {m['native']} | "
                  + " | ".join(f"{m[c]:.3f}" for c in cols) + f" | {m['threshold']:.3f} |")
        print(f"| {v} | **mean** | | " + " | ".join(
            f"{np.nanmean([m[c] for m in per.values()]):.3f}" for c in cols) + " | |")
        print(f"| {v} | pooled | | " + " | ".join(f"{x:.3f}" for x in pooled(per)) + " | | |")


def pooled(per: dict[str, dict]) -> tuple[float, float, float]:
    """Quote, false refusal and unanswerable (removed + native) recall over every round's rows together.

    >>> pooled({"a": {"answerable": 10, "removed": 2, "native": 0, "quote": 0.5, "false_refusal": 0.1,
    ...               "removed_recall": 1.0, "native_recall": float("nan")},
    ...         "b": {"answerable": 30, "removed": 0, "native": 2, "quote": 0.9, "false_refusal": 0.0,
    ...               "removed_recall": float("nan"), "native_recall": 0.5}})
    (0.8, 0.025, 0.75)
    """
    ms = list(per.values())
    ans = sum(m["answerable"] for m in ms)
    unans = sum(m["removed"] + m["native"] for m in ms)
    refused = sum(m[k + "_recall"] * m[k] for m in ms for k in ("removed", "native") if m[k])
    return (sum(m["quote"] * m["answerable"] for m in ms) / ans,
            sum(m["false_refusal"] * m["answerable"] for m in ms) / ans, refused / max(unans, 1))


if __name__ == "__main__":
    sys.exit(main())
