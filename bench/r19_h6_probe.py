"""Round 19, h6 headroom probe: replay only the development dialogues that round 19's ``open_unfocused`` changed
(a turn differs between two ``bench/dialogue_identical.py`` dumps, BEFORE and AFTER), with the rag/ on PYTHONPATH and
``DialogueConfig(**CONFIG)``, and count per changed turn against AFTER: turned right / turned wrong (as
``bench/score_changed_turns.py`` scores), unanswerable newly answered, answerable refused -> wrong quote.

    PYTHONPATH=. python bench/r19_h6_probe.py BEFORE.json AFTER.json --sample DIR --corpus DIR [--set k=v ...]
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from dialogue_identical import answer_record  # noqa: E402
from score_changed_turns import _right, _shown  # noqa: E402

DATA = ROOT / "bench" / "data"
_KEYS = ("answer", "refused", "search_question", "citations")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--sample")
    ap.add_argument("--corpus")
    ap.add_argument("--set", nargs="*", default=[])
    args = ap.parse_args()
    from rag.dialogue import DialogueConfig, Turn, ask_in_context, warm_up
    from rag.evaluate_dialogue import load_dialogues
    from rag.qa import Searcher
    cfg = DialogueConfig(**{k: v == "1" for k, v in (s.split("=") for s in args.set)})
    before, after = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (args.before, args.after))
    warm_up()
    tally = {"+": 0, "-": 0, "=": 0, "unans_answered": 0, "ref_to_wrong": 0}
    for idx, home in (("sample", args.sample), ("corpus", args.corpus)):
        if not home:
            continue
        ask = functools.partial(Searcher(home).ask, k=5, mode="hybrid")
        for name, recs_b in before[idx].items():
            recs_a = after[idx][name]
            pos = 0
            for d in load_dialogues(DATA / name):
                n = len(d.turns)
                span = range(pos, pos + n)
                pos += n
                if all(all(recs_b[i][k] == recs_a[i][k] for k in _KEYS) for i in span):
                    continue
                history = []
                for i, t in zip(span, d.turns):
                    a = ask_in_context(ask, t.question, history, config=cfg)
                    history.append(Turn(t.question, a.answer, a.search_question))
                    rec, base = answer_record(a), recs_a[i]
                    if all(rec[k] == base[k] for k in _KEYS):
                        continue
                    gold = {"answerable": t.answerable, "answers": list(t.answers or [])}
                    rb, ra = _right(gold, base), _right(gold, rec)
                    sign = "+" if ra and not rb else "-" if rb and not ra else "="
                    tally[sign] += 1
                    tally["unans_answered"] += (not t.answerable) and base["refused"] and not rec["refused"]
                    tally["ref_to_wrong"] += t.answerable and base["refused"] and not rec["refused"] and not ra
                    print(f"{idx} {name} turn{i - span.start} answerable={t.answerable} {sign} | {t.question} | "
                          f"main: {base['search_question']} {_shown(base)} | cand: {rec['search_question']} "
                          f"{_shown(rec)}", flush=True)
    print(tally)


if __name__ == "__main__":
    main()
