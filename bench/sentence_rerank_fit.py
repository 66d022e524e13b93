"""Fit and estimate the sentence re-ranker (issue 9, round 15; rag/sentence_rerank.py, docs/answers.md "Round 15").

    python bench/sentence_rerank_fit.py check EVERYDAY_ROWS            # the replay reproduces the product's quotes
    python bench/sentence_rerank_fit.py loro EVERYDAY_ROWS SQUAD_ROWS…  # the keep rule's estimate
    python bench/sentence_rerank_fit.py fit EVERYDAY_ROWS SQUAD_ROWS… --out MODEL.json  # (not shipped: round 15)

Rows come from ``bench/sentence_rerank_rows.py``. Everyday rows have weight :data:`EVERYDAY_WEIGHT` (round 10's
row weight, not tuned); each question's pairs share its weight.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sentence_rerank import K, RerankModel, extras, order

from rag.asked_quantity import missing_quantity

EVERYDAY_WEIGHT = 3.0
SECOND_RATIO = 0.6  # the shipped second-sentence ratio (rag/calibration.json)
FOLDS = 5


def read(paths: list[str]) -> list[dict]:
    return [json.loads(line) for p in paths for line in open(p, encoding="utf-8") if line.strip()]


def base_choice(c: list[dict]) -> list[int]:
    """The selector's quote before the checks (rag.answer.build_answer): the best, and the next when close."""
    chosen = [0]
    for i in range(1, len(c)):
        if len(chosen) >= 2 or c[i]["p"] < SECOND_RATIO * c[0]["p"]:
            break
        if c[i].get("text") != c[0].get("text"):
            chosen.append(i)
    return chosen


def _checked(row: dict, idx: list[int]) -> list[int] | None:
    """``idx`` without near misses; None when nothing is left or the quantity asked is missing (refused)."""
    c = row["cands"]
    kept = [i for i in idx if not c[i].get("nm")]
    if not kept or missing_quantity(row.get("q", ""), "".join(c[i]["text"] for i in kept)):
        return None
    return kept


def quote(row: dict, model: RerankModel | None) -> list[int] | None:
    """Replay of the product's quote (indices into ``row["cands"]``), re-ranked by ``model`` when given."""
    c = row["cands"]
    if not c:
        return None
    base = base_choice(c)
    kept = _checked(row, base)
    if kept is None or model is None:
        return kept
    new, texts = [], set()
    for i in order(c, model):
        if c[i].get("text") not in texts:
            new.append(i)
            texts.add(c[i].get("text"))
        if len(new) == len(base):
            break
    alt = _checked(row, new)
    return alt if alt is not None else kept


def check(rows: list[dict]) -> int:
    """Rows the product answered: does the replayed quote equal the product's?"""
    bad = n = right_bad = 0
    for r in rows:
        if r["a_refused"] or not r["cands"]:
            continue
        n += 1
        q = quote(r, None)
        got = "".join(r["cands"][i]["text"] for i in sorted(q or [], key=lambda i: r["cands"][i]["start"]))
        want = "".join(r["a_quotes"])
        if q is None or "".join(got.split()) != "".join(want.split()):
            if len({r["cands"][i]["chunk"] for i in q or []}) > 1 and sorted("".join(got.split())) == sorted(
                    "".join(want.split())):
                pass  # two documents: best-first order, same sentences
            else:
                bad += 1
                print("MISMATCH", r["set"], r["qid"], file=sys.stderr)
        if q is not None and any(r["cands"][i]["lab"] for i in q) != r["a_right"]:
            right_bad += 1
    print(f"{n} answered rows with candidates; replay differs on {bad}; right/wrong differs on {right_bad}")
    return 0 if bad == 0 else 1


def _names(rows: list[dict]) -> list[str]:
    names = set()
    for r in rows[:2000]:
        for x in extras(r["cands"]):
            names.update(k for k, v in x.items() if isinstance(v, (int, float)))
    return sorted(names)


def fit(rows: list[dict], fingerprint: str | None = None) -> RerankModel:
    """Pairwise logistic regression on the top-K feature differences (docs/answers.md, Round 15)."""
    from sklearn.linear_model import LogisticRegression

    names = _names(rows)
    tops = [(extras(r["cands"]), r) for r in rows if r["cands"]]
    allx = np.array([[x.get(n, 0.0) for n in names] for t, _ in tops for x in t])
    scale = allx.std(axis=0)
    scale[scale < 1e-9] = 1.0
    X, y, w = [], [], []
    for t, r in tops:
        labs = [c["lab"] for c in r["cands"][:len(t)]]
        pairs = [(i, j) for i in range(len(t)) for j in range(len(t)) if labs[i] and not labs[j]]
        if not pairs:
            continue
        rw = (EVERYDAY_WEIGHT if r.get("a_quotes") is not None else 1.0) / len(pairs)
        v = [np.array([x.get(n, 0.0) for n in names]) / scale for x in t]
        for i, j in pairs:
            X += [v[i] - v[j], v[j] - v[i]]
            y += [1, 0]
            w += [rw, rw]
    m = LogisticRegression(C=1.0, fit_intercept=False, max_iter=5000).fit(np.array(X), np.array(y),
                                                                          sample_weight=np.array(w))
    return RerankModel(names, [float(v) for v in m.coef_[0]], [float(s) for s in scale], K, fingerprint)


def _right(row: dict, model) -> tuple[int, int]:
    """(quote holds a gold span, sentences quoted) of the replayed answer; (0, 0) when refused."""
    q = quote(row, model)
    return (int(any(row["cands"][i]["lab"] for i in q)), len(q)) if q else (0, 0)


def loro(ev: list[dict], squad: list[dict]) -> int:
    ev = [r for r in ev if not r["a_refused"]]  # refusals are unchanged by construction
    rounds = sorted({r["round"] for r in ev}, key=lambda k: (k != "dev", int(k) if k.isdigit() else 0))
    print("round | rows | selector right | re-ranked right | diff | sentences selector → re-ranked")
    tot = defaultdict(int)
    worst = 0
    for rnd in rounds:
        test = [r for r in ev if r["round"] == rnd]
        model = fit(squad + [r for r in ev if r["round"] != rnd])
        b = [_right(r, None) for r in test]
        n = [_right(r, model) for r in test]
        rb, rn = sum(x for x, _ in b), sum(x for x, _ in n)
        sb, sn = sum(s for _, s in b), sum(s for _, s in n)
        answered = sum(1 for _, s in b if s)
        worst = min(worst, rn - rb)
        for k, v in (("rows", len(test)), ("rb", rb), ("rn", rn), ("sb", sb), ("sn", sn), ("ans", answered)):
            tot[k] += v
        print(f"{rnd} | {len(test)} | {rb} | {rn} | {rn - rb:+d} | {sb / max(answered, 1):.3f} → "
              f"{sn / max(answered, 1):.3f}", flush=True)
    d_sent = (tot["sn"] - tot["sb"]) / max(tot["ans"], 1)
    print(f"pooled | {tot['rows']} | {tot['rb']} | {tot['rn']} | {tot['rn'] - tot['rb']:+d} | "
          f"{tot['sb'] / max(tot['ans'], 1):.3f} → {tot['sn'] / max(tot['ans'], 1):.3f}")
    ok = tot["rn"] - tot["rb"] >= 6 and worst >= -1 and d_sent <= 0.05
    for name in sorted({r["set"] for r in squad}):
        rows = [r for r in squad if r["set"] == name]
        others = [r for r in squad if r["set"] != name]
        groups = sorted({r["group"] for r in rows})
        fold = {g: int(hashlib.sha256(g.encode()).hexdigest(), 16) % FOLDS for g in groups}
        hb = hn = 0
        for f in range(FOLDS):
            model = fit(others + [r for r in rows if fold[r["group"]] != f] + ev)
            for r in rows:
                if fold[r["group"]] == f and r["cands"]:
                    hb += r["cands"][0]["lab"]
                    hn += r["cands"][order(r["cands"], model)[0]]["lab"]
        print(f"{name}: {len(rows)} questions ({sum(bool(r['cands']) for r in rows)} with the gold passage in the "
              f"top 5), out-of-fold top sentence holds the answer {hb / len(rows):.4f} → {hn / len(rows):.4f}")
        ok = ok and (hn - hb) / len(rows) >= -0.005
    print("keep rule:", "PASSED" if ok else "FAILED", f"(pooled {tot['rn'] - tot['rb']:+d}, worst round {worst:+d}, "
          f"sentences {d_sent:+.3f})")
    return 0


def write(ev: list[dict], squad: list[dict], out: str, fingerprint: str, argv: list[str]) -> int:
    model = fit(squad + [r for r in ev if not r["a_refused"]], fingerprint)
    counts = defaultdict(int)
    for r in squad + ev:
        counts[r["set"].rsplit("/", 1)[-1]] += bool(r["cands"])
    data = {"note": "Written by bench/sentence_rerank_fit.py (docs/answers.md, Round 15). Pairwise logistic "
                    "re-ranker of the selector's top sentences. Do not edit by hand.",
            "fitted_for": {"embedder": "e5-small", "fingerprint": fingerprint},
            "fitted_on": {"rows_with_candidates": dict(counts), "everyday_weight": EVERYDAY_WEIGHT,
                          "command": "python bench/sentence_rerank_fit.py " + " ".join(argv),
                          "date": datetime.date.today().isoformat()},
            "model": model.to_dict()}
    Path(out).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print("wrote", out, Path(out).stat().st_size, "bytes")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cmd", choices=["check", "loro", "fit"])
    ap.add_argument("everyday")
    ap.add_argument("squad", nargs="*")
    ap.add_argument("--out")
    ap.add_argument("--fingerprint", default="e5st-39a67487bd5858d9")
    args = ap.parse_args(argv)
    ev = read([args.everyday])
    if args.cmd == "check":
        return check(ev)
    squad = read(args.squad)
    if args.cmd == "loro":
        return loro(ev, squad)
    return write(ev, squad, args.out, args.fingerprint, argv)


if __name__ == "__main__":
    sys.exit(main())
