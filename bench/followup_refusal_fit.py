"""The follow-up refusal model LEARNED from the development dialogues, chosen by leave-one-round-out (round 11).

``rag/data/followup_refusal.json`` held the round-9 general refusal models (CMRC/DRCD/everyday single questions).
Here its ``dense`` refusal trees are refitted on *follow-up readings*: every time the answer layer decides a
follow-up's reading with the follow-up model (inside :func:`rag.followup_refusal.followups`, dense models: the
first reading, the further readings, the search with the topic words, the law readings), the refusal features
of its candidates are one row; label 1 when the quote that reading would give (the best sentence, and the second
when the answer layer would add it) holds a gold answer of the turn, 0 otherwise — every reading of an
unanswerable follow-up is a negative. Rows come from the dialogue sets of rounds ≤ 9 (:data:`SETS`, ~12 sets by
different writers, article / law / docs), answered as the chat answers them with the shipped models.

    python bench/followup_refusal_fit.py rows --out ROWS.jsonl [--sample H --corpus H --docs7 H --docs8 H --docs9 H]
    python bench/followup_refusal_fit.py loro --rows ROWS.jsonl --out DIR     (fold r: fit on rounds ≠ r, answer round r)
    python bench/followup_refusal_fit.py fit --rows ROWS.jsonl --write rag/data/followup_refusal.json
    python bench/followup_refusal_fit.py auc --rows ROWS.jsonl     (row level: shipped vs refit, out of round)
    python bench/followup_refusal_fit.py scope     (C0: standalone turns answered as alone, before → after)

The keep rule (written before the runs) is docs/followup_refusal.md "Round 11: keep rule". Indexes: ``rag index
corpus/changsanjiao-ai-2026.md`` (sample), ``rag index corpus/`` (corpus), ``python bench/heldoutN_docs.py build
--home H`` (docs of round N). Rows take ~10 min on 2 cores, the LORO ~10 min, the fit seconds.
This script changes the product only through ``fit --write``. Round 11: no candidate passed the keep rule
(leave-one-round-out C1 −37, C2 −11, C3 −2 correct follow-ups), so ``fit --write`` was not run and the shipped
file is the round-9 model.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import sys
from pathlib import Path

import numpy as np

import rag.answer as answer_mod
import rag.followup_refusal as fr
from rag.dialogue import DialogueConfig, Turn, ask_in_context, resolve
from rag.evaluate_dialogue import load_dialogues
from rag.law_followup import about_laws
from rag.qa import Searcher
from rag.retrieve import clean_question
from rag.textnorm import normalize, search_form

DATA = Path(__file__).parent / "data"
#: (round, dialogue set, index) — every development dialogue set of rounds ≤ 9 (round 10's are validation)
SETS = [("r1-4", "dialogues", "sample"), ("r1-4", "dialogues_dev", "sample"), ("r1-4", "dialogues_dev2", "sample"),
        ("r1-4", "dialogues_report", "sample"), ("r1-4", "dialogues_dev_corpus", "corpus"),
        ("r1-4", "dialogues_report_laws", "corpus"),
        ("r5", "dialogues_heldout", "sample"), ("r5", "dialogues_heldout", "corpus"),
        ("r5", "dialogues_heldout_laws", "corpus")] + [
    (f"r{n}", f"dialogues_heldout{n}{kind}", home) for n in (6, 7, 8, 9)
    for kind, home in (("", "sample"), ("", "corpus"), ("_laws", "corpus"), ("_docs", f"docs{n}"))
    if not (n == 6 and kind == "_docs")]
#: the learner: bench/calibrate_answers.py's refusal trees, unchanged
HGB = {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 40}
HOMES = {"sample": "/tmp/lead/r6/m/sample", "corpus": "/tmp/lead/r6/m/corpus", "docs7": "/tmp/r7h1/docs_home",
         "docs8": "/tmp/lead/r8/docs_home", "docs9": "/tmp/lead/r9/docs_home"}

#: ``accuracy`` (C1: most correct decisions) or ``share`` (C2: the shipped model's acceptance share)
RULE = {"threshold": "accuracy", "blend": False}
_turn: dict = {}
_rows: list[dict] = []
_question_features = answer_mod.question_features


def _recording(cands, hits):
    """rag.answer.question_features, recording a row for each decision taken with the dense follow-up model."""
    f = _question_features(cands, hits)
    if fr._in_followup.get() and cands and "cos" in f and _turn:
        best = cands[0]
        chosen = [best.sentence.text] + [c.sentence.text for c in cands[1:2] if c.p >= 0.8 * best.p]
        text = search_form("".join(chosen))
        golds = _turn["golds"]
        _rows.append({**{k: _turn[k] for k in ("round", "set", "home", "id")},
                      "label": int(_turn["answerable"] and any(g in text for g in golds)), "features": f})
    return f


def _golds(answers) -> list[str]:
    return [search_form(normalize(g)[0]) for g in answers if str(g).strip()]


def answer_sets(sets, homes: dict, record: bool = False, config: DialogueConfig = DialogueConfig()) -> list[dict]:
    """Every follow-up of ``sets`` answered in context; one outcome row per follow-up (``correct``: an answerable
    one quoted, an unanswerable one refused). With ``record``, the readings' feature rows go to ``_rows``."""
    answer_mod.question_features = _recording if record else _question_features
    out = []
    searchers: dict[str, Searcher] = {}
    for ro, name, home in sets:
        s = searchers.setdefault(home, Searcher(homes[home]))
        for d in load_dialogues(DATA / f"{name}.jsonl"):
            history: list[Turn] = []
            for i, t in enumerate(d.turns):
                golds = _golds(t.answers)
                _turn.clear()
                if i:
                    _turn.update({"round": ro, "set": name, "home": home, "id": f"{d.did}#{i + 1}", "golds": golds,
                                  "answerable": t.answerable})
                a = ask_in_context(s.ask, t.question, history, config=config)
                if i:
                    hit = a.answerable and bool(golds) and any(g in search_form(c.quote) for g in golds
                                                               for c in a.citations)
                    from followup_gate_fit import features as gate_features  # lazy: that script imports this one

                    rw = resolve(clean_question(t.question), history)
                    laws = about_laws(history, config.max_turns)
                    out.append({"round": ro, "set": name, "home": home, "id": f"{d.did}#{i + 1}",
                                "answerable": t.answerable, "answered": a.answerable, "hit": hit,
                                "correct": hit if t.answerable else not a.answerable,
                                "gate": gate_features(a, rw.rule, rw.context, laws, clean_question(t.question),
                                                      history[-1].answer)})
                history.append(Turn(t.question, a.answer, a.search_question))
    _turn.clear()
    answer_mod.question_features = _question_features
    return out


def _names() -> list[str]:
    return list(json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))["models"]["dense"]["refusal"]["features"])


def _xy(rows: list[dict], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    return (np.array([[r["features"].get(n, 0.0) for n in names] for r in rows], dtype=float),
            np.array([r["label"] for r in rows], dtype=int))


def _hgb(X, y):
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(**HGB, early_stopping=False, random_state=0).fit(X, y)


def _threshold(rows: list[dict], names: list[str]) -> float:
    """The threshold of most correct decisions on the out-of-round predictions of ``rows`` (leave-one-round-out
    inside them: each round predicted by trees fitted on the others)."""
    rounds = sorted({r["round"] for r in rows})
    p, y = [], []
    for ro in rounds:
        train = [r for r in rows if r["round"] != ro]
        test = [r for r in rows if r["round"] == ro]
        Xtr, ytr = _xy(train, names)
        Xte, yte = _xy(test, names)
        m = _hgb(Xtr, ytr)
        if RULE.get("blend"):  # C3: the inner predictions of the blend (logit average with the shipped model)
            from rag.trees import TreeModel

            old = TreeModel.from_dict(json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))["models"]["dense"]["refusal"])
            lo = np.array([np.log(max(q, 1e-9) / max(1 - q, 1e-9)) for q in (old.probability(r["features"]) for r in test)])
            p += list(1 / (1 + np.exp(-(lo + m.decision_function(Xte)) / 2)))
        else:
            p += list(m.predict_proba(Xte)[:, 1])
        y += list(yte)
    p, y = np.array(p), np.array(y)
    if RULE["threshold"] == "share":  # C2: accept the rows in the share the shipped model accepts them
        from rag.trees import TreeModel

        old = TreeModel.from_dict(json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))["models"]["dense"]["refusal"])
        share = float(np.mean([old.probability(r["features"]) >= old.threshold for r in rows]))
        return float(np.quantile(p, 1.0 - share))
    grid = np.linspace(0.02, 0.9, 89)
    acc = [((p >= t) == (y == 1)).mean() for t in grid]
    return float(grid[int(np.argmax(acc))])


def fit_model(rows: list[dict]) -> dict:
    """Trees on every row of ``rows``, threshold by the inner leave-one-round-out (:func:`_threshold`); with
    ``RULE["blend"]`` (C3) the logit average of those trees and the shipped ones (every leaf value and bias halved)."""
    from rag.trees import TreeModel, export_hgb

    names = _names()
    X, y = _xy(rows, names)
    new = export_hgb(_hgb(X, y), names, 0.5)
    if RULE.get("blend"):
        old = TreeModel.from_dict(json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))["models"]["dense"]["refusal"])
        half = [{**t, "v": [v / 2 for v in t["v"]]} for t in old.trees + new.trees]
        new = TreeModel((old.bias + new.bias) / 2, names, half, 0.5)
    return TreeModel(new.bias, names, new.trees, _threshold(rows, names)).to_dict() | {"kind": "trees"}


def provenance(rows: list[dict]) -> dict:
    """What the model was fitted on: the sets, rows and labels per round, the learner — written into the model
    file and compared by ``tests/test_followup_refusal.py``."""
    per = collections.Counter(r["round"] for r in rows)
    pos = collections.Counter(r["round"] for r in rows if r["label"])
    return {"script": "bench/followup_refusal_fit.py", "sets": [list(s) for s in SETS], "learner": HGB,
            "threshold_rule": {"accuracy": "most correct decisions on inner leave-one-round-out predictions",
                               "share": "the shipped model's acceptance share of the rows, on inner leave-one-round-out "
                                        "predictions"}[RULE["threshold"]],
            "rows": {ro: [per[ro], pos[ro]] for ro in sorted(per)}}


def _write_model(model: dict, rows: list[dict], path: Path) -> None:
    data = json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))
    data["models"]["dense"]["refusal"] = model
    data["round11"] = {"dense_refusal": provenance(rows),
                       "note": "models.dense.refusal refitted on follow-up readings (bench/followup_refusal_fit.py)"}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def loro(rows: list[dict], homes: dict, out: Path) -> dict:
    """Fold r: trees fitted on the rows of rounds ≠ r (threshold by the inner LORO), round r's sets answered with
    them and with the shipped model; net = correct follow-ups (candidate − shipped) per round."""
    out.mkdir(parents=True, exist_ok=True)
    result = {}
    for ro in sorted({s[0] for s in SETS}):
        sets = [s for s in SETS if s[0] == ro]
        base = answer_sets(sets, homes)
        path = out / f"fold_{ro}.json"
        _write_model(fit_model([r for r in rows if r["round"] != ro]), rows, path)
        with _model_at(path):
            cand = answer_sets(sets, homes)
        result[ro] = _compare(base, cand)
        print(ro, json.dumps(result[ro]), flush=True)
    (out / "loro.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


@contextlib.contextmanager
def _model_at(path: Path):
    old = fr.refusal_for.__defaults__
    fr.refusal_for.__defaults__ = (path,)
    try:
        yield
    finally:
        fr.refusal_for.__defaults__ = old


def _compare(base: list[dict], cand: list[dict]) -> dict:
    ans = [(b, c) for b, c in zip(base, cand) if b["answerable"]]
    un = [(b, c) for b, c in zip(base, cand) if not b["answerable"]]
    return {"follow-ups": len(base), "answerable": len(ans),
            "hit": [sum(b["hit"] for b, _ in ans), sum(c["hit"] for _, c in ans)],
            "unans_refused": [sum(not b["answered"] for b, _ in un), sum(not c["answered"] for _, c in un)],
            "net": sum(c["correct"] for c in cand) - sum(b["correct"] for b in base),
            "changed": sum(b["correct"] != c["correct"] for b, c in zip(base, cand))}


def row_auc(rows: list[dict]) -> dict:
    """Per round: AUC of the shipped model and of the refit (fitted on the other rounds) on that round's readings."""
    from sklearn.metrics import roc_auc_score

    from rag.trees import TreeModel

    names = _names()
    old = TreeModel.from_dict(json.loads(fr.FOLLOWUP_REFUSAL.read_text(encoding="utf-8"))["models"]["dense"]["refusal"])
    y = np.array([r["label"] for r in rows])
    po = np.array([old.probability(r["features"]) for r in rows])
    pn = np.zeros(len(rows))
    out = {}
    for ro in sorted({r["round"] for r in rows}):
        idx = [i for i, r in enumerate(rows) if r["round"] == ro]
        X, yy = _xy([r for r in rows if r["round"] != ro], names)
        pn[idx] = _hgb(X, yy).predict_proba(_xy([rows[i] for i in idx], names)[0])[:, 1]
        out[ro] = [round(roc_auc_score(y[idx], po[idx]), 3), round(roc_auc_score(y[idx], pn[idx]), 3)]
    out["all"] = [round(roc_auc_score(y, po), 3), round(roc_auc_score(y, pn), 3)]
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["rows", "loro", "fit", "scope", "auc"])
    ap.add_argument("--rows", default=None)
    ap.add_argument("--out", default=None)
    ap.add_argument("--write", default=None)
    ap.add_argument("--threshold-rule", choices=["accuracy", "share"], default="accuracy")
    ap.add_argument("--blend", action="store_true", help="C3: logit average with the shipped model")
    ap.add_argument("--rounds", default="", help="scope: only these rounds (comma-separated)")
    for h, v in HOMES.items():
        ap.add_argument(f"--{h}", default=v)
    args = ap.parse_args(argv)
    homes = {h: getattr(args, h) for h in HOMES}
    RULE["threshold"], RULE["blend"] = args.threshold_rule, args.blend
    if args.command == "rows":
        outcomes = answer_sets(SETS, homes, record=True)
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _rows), encoding="utf-8")
        n = collections.Counter(o["round"] for o in outcomes)
        print(f"{len(_rows)} rows, {sum(r['label'] for r in _rows)} positive; follow-ups per round {dict(n)}")
        return
    if args.command == "scope":  # C0: the follow-up models for every turn with history (round 10) → leaning turns only
        sets = [s for s in SETS if not args.rounds or s[0] in args.rounds.split(",")]
        before = answer_sets(sets, homes, config=DialogueConfig(standalone_general=False))
        after = answer_sets(sets, homes, config=DialogueConfig(standalone_general=True))
        for ro in sorted({s[0] for s in sets}):
            print(ro, json.dumps(_compare([b for b in before if b["round"] == ro], [a for a in after if a["round"] == ro])))
        print("all", json.dumps(_compare(before, after)))
        return
    rows = [json.loads(x) for x in Path(args.rows).read_text(encoding="utf-8").splitlines() if x.strip()]
    if args.command == "auc":
        print("AUC per round [shipped, refit out of round]:", json.dumps(row_auc(rows)))
        return
    if args.command == "loro":
        res = loro(rows, homes, Path(args.out))
        print("net per round:", {k: v["net"] for k, v in res.items()}, "total", sum(v["net"] for v in res.values()))
    else:
        _write_model(fit_model(rows), rows, Path(args.write))
        print(f"wrote {args.write}")


if __name__ == "__main__":
    sys.exit(main())
