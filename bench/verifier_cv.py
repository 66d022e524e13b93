"""Compare refusal models out of fold: with and without the answer verifier's score (``ag_verify``).

Reads the ``--oof-out`` files of two ``bench/calibrate_answers.py --vrows plain|verify`` runs (same rows, same article-
grouped folds) and prints, per tuning set, the refusal recall of own-article-removed questions at the threshold that
refuses at most B of the CMRC/DRCD answerable questions (B = 2 %, 3 %, 5 %), the AUC, and the false refusals of each
everyday-worded kind at that threshold.

    python bench/verifier_cv.py /tmp/r8h4/oof_plain.json /tmp/r8h4/oof_verify.json
"""

from __future__ import annotations

import json
import sys

import numpy as np


def table(path: str, budgets=(0.02, 0.03, 0.05)) -> dict:
    d = json.loads(open(path, encoding="utf-8").read())
    p, y, sets = np.array(d["p"]), np.array(d["y"]), np.array(d["set"])
    style = np.array(d["style"])
    base = np.array([not s.startswith("everyday") for s in sets]) & ~style
    pos = np.sort(p[(y == 1) & base])
    out = {}
    from sklearn.metrics import roc_auc_score
    for b in budgets:
        thr = pos[int(b * len(pos))]
        row = {}
        for s in sorted(set(sets.tolist())):
            m = sets == s
            if (y[m] == 0).any():
                row[s + ":removed_R"] = round(float((p[m & (y == 0)] < thr).mean()), 3)
            if (y[m] == 1).any():
                row[s + ":false_ref"] = round(float((p[m & (y == 1)] < thr).mean()), 3)
        out[f"budget {b:.0%}"] = row
    out["auc"] = {s: round(float(roc_auc_score(y[sets == s], p[sets == s])), 4)
                  for s in sorted(set(sets.tolist())) if len(set(y[sets == s].tolist())) == 2}
    return out


def main(argv: list[str]) -> int:
    res = {a: table(a) for a in argv}
    keys = list(res[argv[0]])
    for k in keys:
        print(f"== {k}")
        for m in res[argv[0]][k]:
            print(f"  {m:32s} " + "  ".join(f"{res[a][k].get(m, float('nan')):.3f}" for a in argv))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
