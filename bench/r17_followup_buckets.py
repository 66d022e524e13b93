"""Round 17 (issue 11): every missed follow-up of development dialogues sorted into one of five buckets.

Each dialogue is replayed turn by turn as the chat answers it (:func:`rag.dialogue.ask_in_context` over
:meth:`rag.qa.Searcher.ask`, history = the answers given). While a turn runs, every retrieval it makes is recorded
(``rag.qa._search`` is wrapped while :func:`replay` runs, not replaced: the real hits pass through unchanged). A follow-up is then put in the
first bucket that applies:

- ``hit``: an answerable follow-up whose quote holds a gold string (``rag eval``'s quote-right);
- ``d_sentence``: answered from the passage that holds the gold, another sentence quoted;
- ``d_passage``: answered from another passage while the gold passage was in one of the turn's top-5 lists;
- ``c_refused``: refused while the gold passage was in one of the turn's top-5 lists;
- ``a_question``: no retrieval of the turn had the gold in its top 5, but the question as typed, the previous
  standalone question + the question, or the topic words + the question (each retrieved alone, plain hybrid top 5)
  does: the standalone question lost what another wording keeps;
- ``b_retrieval``: no wording has the gold passage in its top 5;
- unanswerable follow-ups: ``e_answered`` (answered; ``how`` says by which reading: first, ``结合上文`` words,
  neighbourhood) or ``e_refused``.

This script fits nothing and changes nothing.

    python bench/r17_followup_buckets.py FILE… --home HOME --out rows.jsonl   # table on stdout
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
from pathlib import Path

import rag.qa as qa_mod
from rag.context import context_words
from rag.dialogue import Turn, ask_in_context, resolve
from rag.qa import Searcher
from rag.retrieve import retrieve
from rag.textnorm import normalize, search_form, strip_end

@contextlib.contextmanager
def recording(seen: list[list]):
    """While inside, every retrieval ``rag.qa.ask`` makes appends its top 5 hits to ``seen`` (the real hits pass
    through unchanged); the original function is put back on leaving."""
    inner = qa_mod._search

    def _recording_search(*a, **k):
        hits = inner(*a, **k)
        seen.append(list(hits[:5]))
        return hits

    qa_mod._search = _recording_search
    try:
        yield seen
    finally:
        qa_mod._search = inner


def _golds(answers) -> list[str]:
    return [search_form(normalize(g)[0]) for g in answers if str(g).strip()]


def _holds(texts, golds) -> bool:
    return any(g in search_form(t) for g in golds for t in texts)


def _how(search_question: str) -> str:
    if "上一个回答的前后文" in search_question:
        return "neighbourhood"
    return "context words" if "结合上文" in search_question else "first reading"


def bucket(row: dict) -> str:
    """The first bucket of the module docstring that applies to a follow-up's row."""
    if not row["answerable_gold"]:
        return "e_answered" if row["answered"] else "e_refused"
    if row["hit"]:
        return "hit"
    if row["answered"] and row["passage"]:
        return "d_sentence"
    if row["gold_top5"]:
        return "d_passage" if row["answered"] else "c_refused"
    return "a_question" if row["other_top5"] else "b_retrieval"


def replay(searcher: Searcher, path: Path) -> list[dict]:
    """One row per follow-up of the dialogue file ``path`` (JSONL), with its :func:`bucket`."""
    with recording([]) as seen:
        return _replay(searcher, path, seen)


def _replay(searcher: Searcher, path: Path, seen: list[list]) -> list[dict]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d, history = json.loads(line), []
        for i, t in enumerate(d["turns"]):
            seen.clear()
            golds = _golds(t.get("answers", []))
            rw = resolve(t["question"], history) if i else None
            a = ask_in_context(searcher.ask, t["question"], history)
            if i:
                turn_hits = [h for hs in seen for h in hs]
                row = {"set": path.stem, "id": f"{d.get('id')}#{i + 1}", "question": t["question"],
                       "search_question": a.search_question or a.question, "rule": rw.rule,
                       "answerable_gold": t.get("answerable", True), "answered": a.answerable,
                       "hit": a.answerable and _holds([c.quote for c in a.citations], golds),
                       "passage": a.answerable and _holds([c.text for c in a.citations], golds),
                       "gold_top5": _holds([h.chunk.text for h in turn_hits], golds),
                       "how": _how(a.search_question or ""), "confidence": round(a.confidence, 4)}
                if row["answerable_gold"] and not row["gold_top5"]:
                    q = strip_end(t["question"])
                    words = context_words(rw.previous, t["question"]).replace(" ", "")
                    others = {t["question"], f"{rw.previous} {q}", f"{words} {q}" if words else q}
                    row["other_top5"] = any(
                        _holds([h.chunk.text for h in retrieve(searcher.index(), w, embedder=searcher.embedder,
                                                                k=5)], golds) for w in others)
                row["bucket"] = bucket({**row, "other_top5": row.get("other_top5", False)})
                rows.append(row)
            history.append(Turn(t["question"], a.answer, a.search_question))
    return rows


def table(rows: list[dict]) -> str:
    heads = ["hit", "a_question", "b_retrieval", "c_refused", "d_sentence", "d_passage"]
    lines = ["| set | answerable | " + " | ".join(heads) + " | unanswerable | e_answered |",
             "|---" * (len(heads) + 4) + "|"]
    by = collections.defaultdict(collections.Counter)
    for r in rows:
        by[r["set"]][r["bucket"]] += 1
        by["ALL"][r["bucket"]] += 1
    for s, c in by.items():
        n_ans = sum(c[h] for h in heads)
        lines.append(f"| {s} | {n_ans} | " + " | ".join(str(c[h]) for h in heads)
                     + f" | {c['e_answered'] + c['e_refused']} | {c['e_answered']} |")
    how = collections.Counter(r["how"] for r in rows if r["bucket"] == "e_answered")
    lines.append(f"\ne_answered by reading: {dict(how)}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--home", required=True)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    searcher = Searcher(args.home)
    rows = [r for f in args.files for r in replay(searcher, Path(f))]
    if args.out:
        Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
