"""Where a citizen's first law question on ``corpus/`` is lost (issue 10, round 17; development data only).

Asks, over an index of ``corpus/``, the first turns of the development law dialogues
(``dialogues_heldout{,6..15}_laws.jsonl``) and the law questions of the development everyday sets
(``everyday_heldout{,6..15}.jsonl``, ``everyday_dev.jsonl``: answerable items whose gold strings are only in
statutes, ``bench/statute_kinds.is_law_question``) through :func:`rag.qa.ask`, as ``rag eval`` asks a first turn,
and puts every miss (quote without a gold string) in one bucket:

- ``a:not top10`` / ``a:top6-10``: no top-5 passage of ``rag.retrieve.retrieve`` (k = 10) holds a gold string;
- ``b:<gate>``: refused with a gold string in the top 5; the gate is the first on the answer path that turned it down
  (``bench/law_refusal_gates.gate``: statute model, place/quantity, general ranking = the law-slot guard, value check,
  general path = the top hit is no article);
- ``c:other article``: answered, gold in the top 5 but in none of the cited passages;
- ``d:span``: a cited passage holds the gold, the quote does not.

Does not read round-16 or round-17 sets. Prints counts per bucket and source; ``--out`` keeps per-question rows
(development data).

    python bench/law_first_turns.py --home /tmp/h2/corpus [--out /tmp/h2/rows.jsonl]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from law_refusal_gates import gate  # noqa: E402
from statute_kinds import is_law_question  # noqa: E402

from rag.eval_data import EvalItem, load_dataset  # noqa: E402
from rag.evaluate import score_answer  # noqa: E402
from rag.qa import Searcher, ask  # noqa: E402
from rag.retrieve import retrieve  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402

DEV_ROUNDS = ["", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15"]


def dev_sets() -> list[tuple[str, str]]:
    """(source, path) of every development set this analysis reads."""
    data = ROOT / "bench" / "data"
    out = [(f"dialogue{r or '5'}", str(data / f"dialogues_heldout{r}_laws.jsonl")) for r in DEV_ROUNDS]
    out += [(f"everyday{r or '5'}", str(data / f"everyday_heldout{r}.jsonl")) for r in DEV_ROUNDS]
    return out + [("everyday_dev", str(data / "everyday_dev.jsonl"))]


def first_turns(path: str) -> list[EvalItem]:
    """Each dialogue's first turn as an item."""
    out = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            t = d["turns"][0]
            out.append(EvalItem(f"{d['id']}.0", t["question"], list(t.get("answers", [])),
                                answerable=t.get("answerable", True)))
    return out


def items_of(index, source: str, path: str, folded: dict) -> list[EvalItem]:
    """A dialogue set's first turns (all law); an everyday set's answerable law items and unanswerable items."""
    if source.startswith("dialogue"):
        return first_turns(path)
    items = load_dataset(path)[1]
    return [i for i in items if not i.answerable or (i.answers and is_law_question(index, i, folded))]


def bucket(index, emb, item: EvalItem, ans) -> tuple[str, dict]:
    """The miss bucket of an answerable item (``''`` when its quote holds a gold string) and details."""
    if score_answer(item, ans)["quote_hit"]:
        return "", {}
    golds = [search_form(normalize(a)[0]) for a in item.answers]
    hits = retrieve(index, item.question, embedder=emb, k=10)
    rank = next((n for n, h in enumerate(hits, 1) if any(g in search_form(h.chunk.text) for g in golds)), None)
    info = {"rank": rank, "top1": hits[0].title if hits else "",
            "gold_doc": next((h.title for h in hits if any(g in search_form(h.chunk.text) for g in golds)), "")}
    if rank is None or rank > 5:
        return ("a:not top10" if rank is None else "a:top6-10"), info
    if not ans.answerable:
        g, p = gate(index, emb, item.question)
        info["p"] = round(p, 3)
        return f"b:{g or 'other'}", info
    if score_answer(item, ans)["passage_hit"]:
        return "d:span", info
    info["quoted"] = [c.title for c in ans.citations]
    return "c:other article", info


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", default="/tmp/h2/corpus")
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    s = Searcher(a.home)
    index, emb = s.index(), s.embedder
    folded: dict[str, str] = {}
    rows = []
    for source, path in dev_sets():
        for item in items_of(index, source, path, folded):
            ans = ask(index, item.question, embedder=emb)
            row = {"source": source, "id": item.qid, "answerable": item.answerable, "answered": ans.answerable}
            if item.answerable:
                row["bucket"], info = bucket(index, emb, item, ans)
                row.update(info)
            rows.append(row)
    if a.out:
        a.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    report(rows)


def report(rows: list[dict]) -> None:
    """Counts per bucket, for dialogue first turns and everyday law questions apart."""
    for kind in ("dialogue", "everyday"):
        fair = [r for r in rows if r["source"].startswith(kind) and r["answerable"]]
        unans = [r for r in rows if r["source"].startswith(kind) and not r["answerable"]]
        right = sum(r["bucket"] == "" for r in fair)
        print(f"{kind}: {len(fair)} answerable, right {right} ({right / max(1, len(fair)):.3f}), refused "
              f"{sum(not r['answered'] for r in fair)}; unanswerable {len(unans)}, answered "
              f"{sum(r['answered'] for r in unans)}")
        for b, n in sorted(collections.Counter(r["bucket"] for r in fair if r["bucket"]).items()):
            print(f"  {b}: {n}")


if __name__ == "__main__":
    main()
