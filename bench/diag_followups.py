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
    python bench/diag_followups.py --by-round DIR/*.jsonl     (the --out files of many sets: misses per round)

Round 10 adds a finer split of the misses (:func:`fine_cause`): a wrong sentence of the right passage, a refusal
of the right reading, the checks or a further reading moving a right answer away, a wrong reading, a passage no
wording quoted, and retrieval; ``--by-round`` counts them per round the sets were written in, so causes that recur
across writers stand out from one writer's habits.
"""

from __future__ import annotations

import argparse
import collections
import copy
import json
import re
import sys
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
                       "hit": a.answerable and _has([c.quote for c in a.citations], t["answers"]),
                       "passage": a.answerable and _has([c.text for c in a.citations], t["answers"]),
                       "search_question": a.search_question, "wordings": {}}
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


def fine_cause(row: dict) -> str:
    """The brief's four-way split of a miss (round 10): ``sentence`` (answered from the passage that holds the gold,
    another sentence quoted), ``refusal`` (refused; the searched question quotes the gold with refusal off),
    ``layer`` (answered elsewhere; the searched question alone quotes it with refusal off: the checks or a further
    reading moved it), ``reading`` (another wording quotes it), ``passage`` (some wording retrieved the passage,
    none quoted it), ``retrieval``."""
    w = row["wordings"]
    if row["hit"]:
        return "0 hit"
    if row.get("passage"):
        return "1 sentence (answered from the right passage, wrong sentence)"
    if w["searched"]["quote_off"]:
        return "2 refusal (searched question quotes it, refusal off)" if not row["answered"] \
            else "3 layer (answered elsewhere; searched question alone quotes it)"
    if any(x["quote_off"] for x in w.values()):
        return "4 reading (another wording quotes it)"
    if any(x["passage_off"] for x in w.values()):
        return "5 passage (retrieved, quoted by no wording)"
    return "6 retrieval (no wording retrieved it)"


def summary(rows: list[dict]) -> str:
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    counts = collections.Counter(cause(r) for r in ans)
    lines = [f"answerable follow-ups: {len(ans)}, unanswerable: {len(unans)}", "", "| cause | follow-ups | share |",
             "|---|---|---|"]
    lines += [f"| {k} | {v} | {v / len(ans):.3f} |" for k, v in sorted(counts.items())]
    fine = collections.Counter(fine_cause(r) for r in ans)
    lines += ["", "| cause (fine) | follow-ups |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(fine.items())]
    lines += ["", "| wording | answerable quoted, refusal off | unanswerable answered, as shipped |", "|---|---|---|"]
    for name in ("searched", "typed", "topic", "previous"):
        off = sum(r["wordings"][name]["quote_off"] for r in ans) / max(1, len(ans))
        answered = sum(r["wordings"][name]["answered"] for r in unans) / max(1, len(unans))
        lines.append(f"| {name} | {off:.3f} | {answered:.3f} |")
    return "\n".join(lines)


def round_of(name: str) -> str:
    """The round a dialogue file was written in, from its name (dialogues_heldout7_docs → r7; the round-5 held-out
    files carry no number; the first sets, written with the rules, are rounds 1–4)."""
    m = re.search(r"heldout(\d*)", name)
    return "r1-4" if not m else f"r{m.group(1) or 5}"


def by_round(paths: list[Path]) -> str:
    """Answerable follow-ups of every ``--out`` file, by round and by fine cause (:func:`fine_cause`), one table
    per kind of conversation (article, laws, docs: the file name says which; the index is the part after the last
    ``_`` of the file stem, e.g. ``dialogues_heldout8_sample.jsonl``)."""
    counts: dict[tuple[str, str], collections.Counter] = collections.defaultdict(collections.Counter)
    for p in paths:
        kind = "laws" if "_laws" in p.stem else "docs" if "_docs" in p.stem else "article"
        for line in p.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            if r["answerable"]:
                counts[(kind, round_of(p.stem))][fine_cause(r)[0]] += 1
    heads = ["hit", "sentence", "refusal", "layer", "reading", "passage", "retrieval"]
    lines = ["| kind | round | follow-ups | " + " | ".join(heads) + " |", "|---" * (len(heads) + 3) + "|"]
    for (kind, ro), c in sorted(counts.items()):
        lines.append(f"| {kind} | {ro} | {sum(c.values())} | " + " | ".join(str(c[str(i)]) for i in range(7)) + " |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--by-round":  # python bench/diag_followups.py --by-round OUT.jsonl…
        print(by_round([Path(x) for x in sys.argv[2:]]))
        return
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
