"""Choose :mod:`rag.sentence_choice`'s rule by leave-one-round-out over the development dialogue sets.

Every dialogue is answered turn by turn as the chat answers it with the sentence choice off (the history is the
answers given). For each answered follow-up, each rule of :class:`rag.sentence_choice.ChoiceConfig` (and ``off``)
is applied to that answer, and whether its quote holds a gold answer is recorded. Then, for each round r, the rule
with the most follow-ups quoted on the *other* rounds is chosen (ties: ``off``, then the rule that moves fewer
quotes) and its gain over ``off`` on round r is reported — a figure measured on data the choice did not see.
Offline: a moved quote does not change later turns here (it does in the chat; ``rag eval`` measures that). Answers
from the previous answer's neighbourhood are skipped, as in the chat (:func:`rag.dialogue.ask_in_context`).

    python bench/choose_sentence_rule.py [--out rows.jsonl]    (development sets only; ~10 min on 2 cores)
"""

from __future__ import annotations

import argparse
import collections
import json
from dataclasses import replace
from pathlib import Path

from rag.dialogue import DialogueConfig, Turn, ask_in_context, resolve
from rag.incontext import last_turn
from rag.neighbourhood import NEAR_SHOWN
from rag.qa import Searcher
from rag.sentence_choice import ChoiceConfig, choose_sentence
from rag.textnorm import normalize, search_form

RULES = ("dominance", "named", "sum", "dominance/typed", "named/typed", "sum/typed")
SAMPLE, CORPUS = "/tmp/lead/r6/m/sample", "/tmp/lead/r6/m/corpus"
#: (round, set, index home): rounds ≤ 8 only (development data); round-9 and round-10 sets are never read here
SETS = [(r, f, h) for r, f in (("r1-4", "dialogues"), ("r1-4", "dialogues_dev"), ("r1-4", "dialogues_dev2"),
                               ("r1-4", "dialogues_report"), ("r5", "dialogues_heldout"), ("r6", "dialogues_heldout6"),
                               ("r7", "dialogues_heldout7"), ("r8", "dialogues_heldout8")) for h in (SAMPLE, CORPUS)]
SETS += [("r1-4", "dialogues_dev_corpus", CORPUS), ("r7", "dialogues_heldout7_docs", "/tmp/r7h1/docs_home"),
         ("r8", "dialogues_heldout8_docs", "/tmp/lead/r8/docs_home")]


def _hit(ans, golds) -> bool:
    g = [search_form(normalize(x)[0]) for x in golds]
    return ans.answerable and any(x and x in search_form(c.quote) for x in g for c in ans.citations)


def rows_of(path: Path, home: str, round_: str) -> list[dict]:
    searcher, off = Searcher(home), DialogueConfig(sentence_choice=False)
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d, history = json.loads(line), []
        for i, t in enumerate(d["turns"]):
            a = ask_in_context(searcher.ask, t["question"], history, config=off)
            near = a.search_question.endswith(f"（结合上文：{NEAR_SHOWN}）")  # the chat leaves these as they are
            if i and a.answerable and t.get("answerable", True) and not near:
                rw = resolve(t["question"], history, config=off)
                known = " ".join([rw.previous, rw.antecedent, *last_turn(history, off)[1]])
                row = {"round": round_, "set": f"{path.stem}@{Path(home).name}", "id": f"{d.get('id')}#{i + 1}",
                       "off": _hit(a, t["answers"])}
                for rule in RULES:
                    moved = choose_sentence(a, a.question, rw.search_question, known, rw.antecedent,
                                            ChoiceConfig(rule=rule.split("/")[0],
                                                         names="typed" if rule.endswith("/typed") else "searched"))
                    row[rule] = _hit(moved, t["answers"])
                    row[f"{rule}_moved"] = moved.citations[0].quote != a.citations[0].quote
                rows.append(row)
            history.append(Turn(t["question"], a.answer, a.search_question))
    return rows


def loro(rows: list[dict]) -> str:
    rounds = sorted({r["round"] for r in rows})
    lines = ["| held-out round | rule chosen on the other rounds | its gain there (hits) | gain on the held-out "
             "round: gained / lost / net | follow-ups answered there |", "|---|---|---|---|---|"]
    for held in rounds:
        train = [r for r in rows if r["round"] != held]
        test = [r for r in rows if r["round"] == held]
        score = {k: (sum(r[k] for r in train) - sum(r["off"] for r in train),
                     -sum(r.get(f"{k}_moved", False) for r in train)) for k in ("off", *RULES)}
        best = max(score, key=lambda k: (score[k][0], k == "off", score[k][1]))
        gained = sum(r[best] and not r["off"] for r in test)
        lost = sum(r["off"] and not r[best] for r in test)
        lines.append(f"| {held} | {best} | {score[best][0]:+d} | {gained} / {lost} / {gained - lost:+d} | {len(test)} |")
    per = collections.defaultdict(lambda: collections.Counter())
    for r in rows:
        for k in RULES:
            per[(r["round"], k)]["gained"] += r[k] and not r["off"]
            per[(r["round"], k)]["lost"] += r["off"] and not r[k]
            per[(r["round"], k)]["moved"] += r[f"{k}_moved"]
    lines += ["", "| round | rule | moved | gained | lost |", "|---|---|---|---|---|"]
    lines += [f"| {ro} | {k} | {c['moved']} | {c['gained']} | {c['lost']} |" for (ro, k), c in sorted(per.items())]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=None, help="per follow-up rows (JSONL); with --rows, read instead of computed")
    ap.add_argument("--rows", action="store_true", help="read the rows from --out instead of answering")
    args = ap.parse_args()
    if args.rows:
        rows = [json.loads(x) for x in Path(args.out).read_text(encoding="utf-8").splitlines() if x.strip()]
    else:
        data = Path(__file__).parent / "data"
        rows = [r for round_, f, home in SETS for r in rows_of(data / f"{f}.jsonl", home, round_)]
        if args.out:
            Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    print(loro(rows))


if __name__ == "__main__":
    main()
