"""A learned final gate of answered follow-ups (refuse one whose outcome looks wrong), by leave-one-round-out (round 11).

Every development follow-up (``followup_refusal_fit.SETS``, rounds ≤ 9) is answered as the chat answers it; each
answered one is a row (:func:`features`: the final confidence, which path answered, the rewrite rule, context words,
a law conversation, whether the quote repeats the previous answer, how many quotes; label = its quote holds the gold). A logistic model
(``rag.select.LinearModel`` format) is fitted; its threshold maximises the utility on inner leave-one-round-out
predictions: unanswerable answers refused − right answers refused. Keep rule: docs/followup_refusal.md (G1).

    python bench/followup_gate_fit.py rows --out GATE_ROWS.jsonl
    python bench/followup_gate_fit.py loro --rows GATE_ROWS.jsonl
    python bench/followup_gate_fit.py fit --rows GATE_ROWS.jsonl --write GATE.json

Round 11: leave-one-round-out utility +1 in all (0 / +1 / 0 / 0 / −1 / +1), below the rule's +5: not shipped, and
the product has no gate (the features live here, not in rag/).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

from rag.answer import is_refusal
from rag.records import Answer

sys.path.insert(0, str(Path(__file__).parent))
import followup_refusal_fit as base

C = 1.0  # the logistic model's regularisation (sklearn default), fixed before the runs
#: rewrite rules of :mod:`rag.rewrite_rules`, one feature each
RULES = ("standalone", "ellipsis", "person", "demonstrative", "it", "scope", "this", "that-year", "local", "elided")
_NEAR = "上一个回答的前后文"


def features(ans: Answer, rule: str, context: str, laws: bool, typed: str, previous_answer: str) -> dict[str, float]:
    """The outcome of an answered follow-up, as the gate reads it (``typed``: the cleaned question)."""
    shown = ans.search_question or ""
    quotes = "".join(c.quote for c in ans.citations)
    prev = previous_answer if previous_answer and not is_refusal(previous_answer) else ""
    f = {"confidence": float(ans.confidence or 0.0), "context": float(bool(context)), "laws": float(laws),
         "near": float(_NEAR in shown), "with_context": float("（结合上文：" in shown and _NEAR not in shown),
         "rewritten": float(shown.split("（")[0] != typed.rstrip("？?。")),
         "repeats": float(bool(quotes) and bool(prev) and any(c.quote[:20] in prev for c in ans.citations if c.quote)),
         "quotes": float(len(ans.citations)), "statute": float(any(c.label for c in ans.citations))}
    f.update({f"rule_{r}": float(rule == r) for r in RULES})
    return f


def _xy(rows: list[dict], names: list[str]):
    return (np.array([[r["gate"].get(n, 0.0) for n in names] for r in rows], dtype=float),
            np.array([int(r["hit"]) for r in rows]))


def _fit(rows: list[dict], names: list[str]):
    from sklearn.linear_model import LogisticRegression

    X, y = _xy(rows, names)
    return LogisticRegression(C=C, max_iter=2000).fit(X, y)


def utility(rows: list[dict], p: np.ndarray, t: float) -> int:
    """Unanswerable answers refused − right answers refused by a gate at ``t``."""
    return int(sum((not r["answerable"]) - bool(r["hit"]) for r, q in zip(rows, p) if q < t))


def _threshold(rows: list[dict], names: list[str]) -> float:
    p = np.zeros(len(rows))
    for ro in sorted({r["round"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["round"] == ro]
        m = _fit([r for r in rows if r["round"] != ro], names)
        p[idx] = m.predict_proba(_xy([rows[i] for i in idx], names)[0])[:, 1]
    grid = [0.0] + list(np.linspace(0.05, 0.6, 56))
    return float(max(grid, key=lambda t: (utility(rows, p, t), -t)))


def fit_gate(rows: list[dict]) -> dict:
    names = sorted(rows[0]["gate"])
    m = _fit(rows, names)
    return {"bias": float(m.intercept_[0]), "weights": dict(zip(names, map(float, m.coef_[0]))),
            "threshold": _threshold(rows, names)}


def loro(rows: list[dict]) -> dict:
    names = sorted(rows[0]["gate"])
    out = {}
    for ro in sorted({r["round"] for r in rows}):
        train, test = [r for r in rows if r["round"] != ro], [r for r in rows if r["round"] == ro]
        t = _threshold(train, names)
        p = _fit(train, names).predict_proba(_xy(test, names)[0])[:, 1]
        refused = [r for r, q in zip(test, p) if q < t]
        out[ro] = {"threshold": round(t, 3), "answered": len(test), "refused": len(refused),
                   "unans_refused": sum(not r["answerable"] for r in refused),
                   "hits_refused": sum(bool(r["hit"]) for r in refused), "utility": utility(test, p, t)}
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["rows", "loro", "fit"])
    ap.add_argument("--rows")
    ap.add_argument("--out")
    ap.add_argument("--write")
    args = ap.parse_args(argv)
    if args.command == "rows":
        out = [r for r in base.answer_sets(base.SETS, base.HOMES) if r["answered"]]
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
        print(f"{len(out)} answered follow-ups; per round {dict(collections.Counter(r['round'] for r in out))}")
        return
    rows = [json.loads(x) for x in Path(args.rows).read_text(encoding="utf-8").splitlines() if x.strip()]
    if args.command == "loro":
        res = loro(rows)
        for ro, v in res.items():
            print(ro, json.dumps(v))
        print("total utility", sum(v["utility"] for v in res.values()))
        return
    model = fit_gate(rows)
    per = collections.Counter(r["round"] for r in rows)
    Path(args.write).write_text(json.dumps({
        "note": "rag.followup_gate: refuse an answered follow-up when P(its quote holds the answer) < threshold",
        "fitted_on": {"script": "bench/followup_gate_fit.py", "sets": [list(s) for s in base.SETS],
                      "rows": {ro: per[ro] for ro in sorted(per)}, "C": C},
        "model": model}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.write}")


if __name__ == "__main__":
    sys.exit(main())
