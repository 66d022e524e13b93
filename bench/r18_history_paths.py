"""Does a conversation get the same answers in the UI and over HTTP? (round 18 acceptance walk)

The UI, ``rag chat`` and ``rag eval`` hand :func:`rag.dialogue.ask_in_context` the earlier turns with
the ``search_question`` each was answered for; ``/api/ask`` ``history`` and ``/v1`` ``messages`` carry
text only, so that field is recomputed. This replays every dialogue of a set both ways on one index
and counts the turns whose answers differ, and how often each way is right (a gold string inside
the answer for answerable turns, a refusal for unanswerable ones). It changes nothing.

    python bench/r18_history_paths.py --index /tmp/h4/corpus bench/data/dialogues_dev_corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rag import Searcher
from rag.dialogue import Turn, ask_in_context
from rag.filters import Filters


def _right(turn: dict, ans) -> bool:
    if not turn.get("answerable", True):
        return not ans.answerable
    return ans.answerable and any(a and a in ans.answer for a in turn.get("answers", []))


def replay(searcher: Searcher, dialogue: dict, keep_search_question: bool) -> list:
    """Answers of every turn, the history kept as the UI keeps it (True) or as HTTP sends it (False)."""
    history: list[Turn] = []
    out = []
    for t in dialogue["turns"]:
        ans = ask_in_context(searcher.ask, t["question"], history, k=5, mode="hybrid", filters=Filters())
        history.append(Turn(t["question"], ans.answer, ans.search_question if keep_search_question else ""))
        out.append(ans)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("sets", nargs="+")
    ap.add_argument("--index", required=True)
    ap.add_argument("--out", default=None, help="JSONL of the turns that differ")
    args = ap.parse_args()
    searcher = Searcher(args.index)
    rows = []
    for path in args.sets:
        n = differ = ui_right = http_right = 0
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            ui, http = replay(searcher, d, True), replay(searcher, d, False)
            for i, (t, a, b) in enumerate(zip(d["turns"], ui, http)):
                if i == 0:
                    continue  # first turns have no history
                n += 1
                ui_right += _right(t, a)
                http_right += _right(t, b)
                if a.answer != b.answer:
                    differ += 1
                    rows.append({"set": Path(path).name, "id": d.get("id"), "turn": i, "question": t["question"],
                                 "ui": [a.search_question, a.answer[:80], _right(t, a)],
                                 "http": [b.search_question, b.answer[:80], _right(t, b)]})
        print(f"{Path(path).name}: {n} follow-ups, {differ} answers differ; right: UI path {ui_right}, HTTP path "
              f"{http_right}")
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


if __name__ == "__main__":
    main()
