"""Why follow-ups miss: each answerable follow-up of a dialogue file sorted into one cause.

Every dialogue is answered turn by turn as the chat answers it (``rag.dialogue.ask_in_context``, history = the
answers given). Then, for each follow-up, four wordings are asked alone through ``rag.qa.ask`` twice — as shipped,
and with the refusal threshold of the answer models set below every score (refusal off; what would be quoted):

- ``searched``: the standalone question the rewriter built (``rag.dialogue.resolve``);
- ``typed``: the question as typed;
- ``topic``: the previous standalone question's topic words + the question (``rag.context.context_words``);
- ``previous``: the whole previous standalone question + the question.

A follow-up whose gold is not quoted falls into the first cause that applies:

1. ``answer layer``: the searched question's quote holds the gold with refusal off (the question was right, the
   refusal model or the checks turned it down, or it was answered with another sentence);
2. ``wrong question``: another wording's quote holds it with refusal off (the standalone question was wrong);
3. ``quote``: some wording retrieved a passage holding the gold, none quoted it;
4. ``retrieval``: no wording retrieved it.

Plus, per wording, the share of answerable follow-ups quoted with refusal off and of unanswerable ones answered as
shipped. This script fits nothing and changes nothing; it reads the shipped models.

    python bench/diag_followups.py bench/data/dialogues_heldout.jsonl --home HOME [--out rows.jsonl]
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
from pathlib import Path

import rag.answer as answer_mod
import rag.statute_answer as statute_mod
from rag.context import context_words
from rag.dialogue import Turn, ask_in_context, resolve
from rag.qa import Searcher
from rag.textnorm import normalize, search_form, strip_end

_REFUSAL_OFF = {"on": False}
_load, _load_statute = answer_mod.load_models, statute_mod.load_statute_models


def _maybe_off(models):
    """``models`` with the refusal threshold below every score while refusal is off."""
    if not _REFUSAL_OFF["on"] or models is None:
        return models
    models = copy.copy(models)
    refusal = copy.copy(models.refusal)
    object.__setattr__(refusal, "threshold", -1.0)
    object.__setattr__(models, "refusal", refusal)
    return models


answer_mod.load_models = lambda *a, **k: _maybe_off(_load(*a, **k))
statute_mod.load_statute_models = lambda *a, **k: _maybe_off(_load_statute(*a, **k))


def _has(texts, golds) -> bool:
    t = "".join(search_form(x) for x in texts)
    return bool(golds) and any(search_form(normalize(g)[0]) in t for g in golds)


def _wordings(question: str, history: list[Turn]) -> dict[str, str]:
    rw = resolve(question, history)
    q = strip_end(question)
    words = context_words(rw.previous, question).replace(" ", "")
    return {"searched": rw.search_question, "typed": question, "topic": f"{words} {q}" if words else question,
            "previous": f"{rw.previous} {q}"}


def diagnose(searcher: Searcher, path: str | Path) -> list[dict]:
    rows = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d, history = json.loads(line), []
        for i, t in enumerate(d["turns"]):
            _REFUSAL_OFF["on"] = False
            a = ask_in_context(searcher.ask, t["question"], history)
            if i:
                row = {"id": f"{d.get('id', len(rows))}#{i + 1}", "question": t["question"],
                       "answerable": t.get("answerable", True), "answered": a.answerable,
                       "hit": a.answerable and _has([c.quote for c in a.citations], t["answers"]), "wordings": {}}
                for name, w in _wordings(t["question"], history).items():
                    _REFUSAL_OFF["on"] = False
                    on = searcher.ask(w)
                    _REFUSAL_OFF["on"] = True
                    off = searcher.ask(w)
                    row["wordings"][name] = {
                        "wording": w, "answered": on.answerable, "confidence": round(on.confidence, 4),
                        "quote_off": _has([c.quote for c in off.citations], t["answers"]),
                        "passage_off": _has([c.text for c in off.citations], t["answers"])}
                rows.append(row)
            history.append(Turn(t["question"], a.answer, a.search_question))
    _REFUSAL_OFF["on"] = False
    return rows


def cause(row: dict) -> str:
    w = row["wordings"]
    if row["hit"]:
        return "0 quoted (hit)"
    if w["searched"]["quote_off"]:
        return "1 answer layer (searched question right, quoted with refusal off)"
    if any(x["quote_off"] for x in w.values()):
        return "2 wrong question (another wording quoted with refusal off)"
    if any(x["passage_off"] for x in w.values()):
        return "3 quote (passage retrieved, gold not quoted)"
    return "4 retrieval (no wording retrieved the gold)"


def summary(rows: list[dict]) -> str:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    counts = collections.Counter(cause(r) for r in ans)
    lines = [f"answerable follow-ups: {len(ans)}, unanswerable: {len(unans)}", "", "| cause | follow-ups | share |",
             "|---|---|---|"]
    lines += [f"| {k} | {v} | {v / len(ans):.3f} |" for k, v in sorted(counts.items())]
    lines += ["", "| wording | answerable quoted, refusal off | unanswerable answered, as shipped |", "|---|---|---|"]
    for name in ("searched", "typed", "topic", "previous"):
        off = sum(r["wordings"][name]["quote_off"] for r in ans) / max(1, len(ans))
        answered = sum(r["wordings"][name]["answered"] for r in unans) / max(1, len(unans))
        lines.append(f"| {name} | {off:.3f} | {answered:.3f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dialogues")
    ap.add_argument("--home", default=None)
    ap.add_argument("--out", default=None, help="per follow-up rows (JSONL)")
    args = ap.parse_args()
    rows = diagnose(Searcher(args.home), args.dialogues)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(summary(rows))


if __name__ == "__main__":
    main()
