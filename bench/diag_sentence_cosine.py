"""Choose :data:`rag.sentence_choice.COSINE_MARGIN` by leave-one-round-out over the development dialogue sets.

Every dialogue is answered turn by turn as the chat answers it (the sentence moves off). For each answered
answerable follow-up that quotes no statute article, the quoted sentence and its neighbours in the first cited
passage (the two after it, the one before) are compared with the follow-up *as typed* by the index's stored
sentence vectors. A margin m moves the quote to the closest neighbour when it is more than m closer than the quote.
For each round r, the margin with the largest net gain (follow-ups whose quote gains the gold minus those that lose
it) on the *other* rounds is chosen (ties: the larger margin, i.e. fewer moves), and its net gain on round r is
reported — measured on data the choice did not see. Offline: a moved quote does not change later turns here, and
the typed question is embedded for every follow-up (in the chat only a remembered vector is used); ``rag eval``
measures the shipped behaviour.

    python bench/diag_sentence_cosine.py --home HOME [--out rows.jsonl | --rows rows.jsonl]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag.chunk import split_sentences
from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.qa import Searcher
from rag.sentence_choice import repeats
from rag.textnorm import normalize, search_form, to_mainland

MARGINS = (0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 1.0)  # 1.0: never move
#: rounds ≤ 8 only (development data); round-9 and round-10 sets are never read here
SETS = {"dialogues": "r1-4", "dialogues_dev": "r1-4", "dialogues_report": "r1-4", "dialogues_heldout": "r5",
        "dialogues_heldout6": "r6", "dialogues_heldout7": "r7", "dialogues_heldout8": "r8"}


def rows_of(searcher: Searcher, path: Path, round_: str) -> list[dict]:
    off, rows = DialogueConfig(sentence_cosine=False), []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d, history = json.loads(line), []
        for i, t in enumerate(d["turns"]):
            a = ask_in_context(searcher.ask, t["question"], history, config=off)
            if i and a.answerable and t.get("answerable", True) and not any(c.label for c in a.citations):
                row = _row(searcher, a, t)
                if row is not None:
                    row["repeat"] = repeats(a.citations[0].quote, history[-1].answer)
                    rows.append({"round": round_, "id": f"{path.stem}:{d.get('id')}#{i + 1}", **row})
            history.append(Turn(t["question"], a.answer, a.search_question))
    return rows


def _row(searcher: Searcher, a, turn: dict) -> dict | None:
    index, golds = searcher.index(), [search_form(normalize(g)[0]) for g in turn["answers"]]
    cit = a.citations[0]
    spans = split_sentences(cit.text)
    at = next((k for k, (s, e) in enumerate(spans) if s <= cit.quote_start - cit.start < e), None)
    if at is None or index.sentences is None:
        return None
    order = [k for k in (at, at + 1, at + 2, at - 1) if 0 <= k < len(spans)]
    rows = index.sentences.rows(cit.doc_id, [(cit.start + spans[k][0], cit.start + spans[k][1]) for k in order])
    if any(r is None for r in rows):
        return None
    v = searcher.embedder.embed_queries([to_mainland(a.question)])[0]
    cos = [float(x) for x in index.sentences.cosines(v, rows)]
    gold = [any(g and g in search_form(cit.text[spans[k][0]:spans[k][1]]) for g in golds) for k in order]
    return {"cos": cos, "gold": gold}


def effect(row: dict, margin: float, repeat_only: bool = False) -> int:
    """+1: the move quotes the gold where the quote did not; -1: the reverse; 0: no move or no change.
    ``repeat_only``: only a quote that repeats the previous answer's sentence moves."""
    cos, gold = row["cos"], row["gold"]
    if len(cos) < 2 or (repeat_only and not row.get("repeat")):
        return 0
    best = max(range(1, len(cos)), key=lambda k: cos[k])
    return int(gold[best]) - int(gold[0]) if cos[best] - cos[0] > margin else 0


def loro(rows: list[dict]) -> str:
    """Leave-one-round-out over (margin, repeat-only) pairs."""
    rounds = sorted({r["round"] for r in rows})
    choices = [(m, rep) for rep in (False, True) for m in MARGINS]
    lines = ["| held-out round | margin chosen on the other rounds | net there | held-out round: gained / lost / net "
             "| answered follow-ups |", "|---|---|---|---|---|"]
    for held in rounds:
        train = [r for r in rows if r["round"] != held]
        test = [r for r in rows if r["round"] == held]
        m, rep = max(choices, key=lambda c: (sum(effect(r, *c) for r in train), c[0], c[1]))
        e = [effect(r, m, rep) for r in test]
        lines.append(f"| {held} | {m}{' (repeats only)' if rep else ''} | {sum(effect(r, m, rep) for r in train):+d} | "
                     f"{e.count(1)} / {e.count(-1)} / {sum(e):+d} | {len(test)} |")
    lines += ["", "| margin | " + " | ".join(rounds) + " |", "|---" * (len(rounds) + 1) + "|"]
    for m, rep in choices:
        cells = []
        for ro in rounds:
            e = [effect(r, m, rep) for r in rows if r["round"] == ro]
            cells.append(f"+{e.count(1)} / -{e.count(-1)}")
        lines.append(f"| {m}{' repeats' if rep else ''} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=None)
    ap.add_argument("--out", default=None, help="write the per follow-up rows (JSONL)")
    ap.add_argument("--rows", default=None, help="read rows written by --out instead of answering")
    args = ap.parse_args()
    if args.rows:
        rows = [json.loads(x) for x in Path(args.rows).read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        searcher, data = Searcher(args.home), Path(__file__).parent / "data"
        rows = [r for f, ro in SETS.items() for r in rows_of(searcher, data / f"{f}.jsonl", ro)]
        if args.out:
            Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    print(loro(rows))


if __name__ == "__main__":
    main()
