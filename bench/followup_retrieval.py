"""Where follow-up retrieval misses, and candidate rankings for a retrieval fusion fitted across rounds.

Every dialogue is replayed turn by turn as the chat answers it (``rag.dialogue.ask_in_context`` over
``rag.qa.ask``, history = the answers given). For each follow-up it records

- the answer: gold in a quote (``hit``), gold in a cited passage (``passage``), refused;
- where the first gold-holding passage ranks (top 20) in four candidate lists:
  ``searched`` (a: the standalone question as searched, with its context words as shipped), ``typed`` (b: the
  follow-up as typed), ``previous`` (c: the previous standalone question + the follow-up, its query vector mixed
  from the two cached ones: no embedding), and ``cited`` (d: the previous answer's cited passages);
- the top-20 candidates of (a) and (c) with their scores and gold flags, so that fusions can be scored offline
  (``bench/followup_fusion_cv.py``).

It changes nothing and fits nothing.

    python bench/followup_retrieval.py FILE --home HOME --out rows.jsonl
    python bench/followup_retrieval.py --table rows1.jsonl rows2.jsonl …
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import sys
from pathlib import Path

from rag.context import retrieve_in_context
from rag.dialogue import Turn, ask_in_context, resolve
from rag.qa import Searcher, _Remember, _vector_of
from rag.query_cache import mixed
from rag.retrieve import retrieve
from rag.textnorm import normalize, search_form, strip_end
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import table_of_saved_rows  # noqa: E402

DEPTH = 20


def _golds(answers: list[str]) -> list[str]:
    return [search_form(normalize(g)[0]) for g in answers if g.strip()]


def _has(text: str, golds: list[str]) -> bool:
    t = search_form(text)
    return any(g in t for g in golds)


def _rank(hits, golds) -> int | None:
    return next((i for i, h in enumerate(hits, 1) if _has(h.chunk.text, golds)), None)


def _cands(hits, golds) -> list[list]:
    return [[h.chunk.chunk_id, round(float(h.score), 5), int(_has(h.chunk.text, golds))] for h in hits]


def rankings(searcher: Searcher, question: str, history: list[Turn], golds: list[str], prev_cited: list) -> dict:
    """The four candidate lists of one follow-up (top :data:`DEPTH`) and where the gold ranks in each."""
    index, emb = searcher.index(), searcher.embedder
    rw = resolve(question, history)
    seen = _Remember(emb)
    if rw.context:
        a = retrieve_in_context(functools.partial(retrieve, index), index, rw.search_question, rw.context,
                                embedder=seen, k=DEPTH)
    else:
        a = retrieve(index, rw.search_question, embedder=seen, k=DEPTH)
    b = retrieve(index, question, embedder=_Remember(emb), k=DEPTH)
    out = {"rule": rw.rule, "search_question": rw.search_question, "previous": rw.previous,
           "rank_searched": _rank(a, golds), "rank_typed": _rank(b, golds),
           "cands_searched": _cands(a, golds), "cands_typed": _cands(b, golds)}
    if rw.previous:
        wording = f"{rw.previous} {strip_end(question)}"
        s2 = _Remember(emb)
        s2.preset = mixed(_vector_of(s2, rw.search_question), _vector_of(s2, rw.previous))
        c = retrieve(index, wording, embedder=s2, k=DEPTH)
        out.update(rank_previous=_rank(c, golds), cands_previous=_cands(c, golds))
    else:
        out.update(rank_previous=None, cands_previous=[])
    out["cited_ids"] = [c.chunk_id for c in prev_cited]
    out["cited_gold"] = any(_has(c.text, golds) for c in prev_cited)
    return out


def replay(searcher: Searcher, path: str | Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        d, history, prev_cited = json.loads(line), [], []
        for i, t in enumerate(d["turns"]):
            a = ask_in_context(searcher.ask, t["question"], history)
            if i:
                golds = _golds(t.get("answers", []))
                row = {"file": Path(path).stem, "id": f"{d.get('id', n)}#{i + 1}",
                       "answerable": bool(t.get("answerable", True)) and bool(golds),
                       "answered": a.answerable,
                       "hit": a.answerable and any(_has(c.quote, golds) for c in a.citations),
                       "passage": a.answerable and any(_has(c.text, golds) for c in a.citations),
                       "answer_chunks": [c.chunk_id for c in a.citations]}
                if row["answerable"]:
                    row.update(rankings(searcher, t["question"], history, golds, prev_cited))
                rows.append(row)
            history.append(Turn(t["question"], a.answer, a.search_question))
            prev_cited = list(a.citations) if a.answerable else prev_cited
    return rows


def _in(rank, k=5) -> bool:
    return rank is not None and rank <= k


def cause(r: dict) -> str:
    """One cause per answerable follow-up: hit; sentence (the cited passage holds the gold); refusal (refused,
    gold in the searched top 5); reading (answered from another passage, gold in the searched top 5);
    retrieval (gold not in the searched top 5)."""
    if r["hit"]:
        return "0 hit"
    if r["passage"]:
        return "1 sentence"
    if _in(r["rank_searched"]):
        return "2 refusal" if not r["answered"] else "3 reading"
    return "4 retrieval"


def table(rows: list[dict]) -> str:
    groups = collections.defaultdict(list)
    for r in rows:
        if r["answerable"]:
            groups[r["file"]].append(r)
    head = ("| set | n | hit | passage | a@1 | a@5 | b@5 | c@5 | d | a∪c@5 | sentence | refusal | reading | "
            "retrieval |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for name in sorted(groups) + ["ALL"]:
        rs = [r for r in rows if r["answerable"]] if name == "ALL" else groups[name]
        n = len(rs)
        c = collections.Counter(cause(r)[2:] for r in rs)
        f = lambda k: sum(1 for r in rs if k(r)) / n  # noqa: E731
        lines.append(
            f"| {name} | {n} | {f(lambda r: r['hit']):.2f} | {f(lambda r: r['passage']):.2f} | "
            f"{f(lambda r: _in(r['rank_searched'], 1)):.2f} | {f(lambda r: _in(r['rank_searched'])):.2f} | "
            f"{f(lambda r: _in(r['rank_typed'])):.2f} | {f(lambda r: _in(r['rank_previous'])):.2f} | "
            f"{f(lambda r: r['cited_gold']):.2f} | "
            f"{f(lambda r: _in(r['rank_searched']) or _in(r['rank_previous'])):.2f} | "
            f"{c['sentence']} | {c['refusal']} | {c['reading']} | {c['retrieval']} |")
    return "\n".join(lines)


def main() -> None:
    if table_of_saved_rows(table):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dialogues")
    ap.add_argument("--home", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="", help="appended to the file name in the rows (e.g. the index)")
    args = ap.parse_args()
    rows = replay(Searcher(args.home), args.dialogues)
    for r in rows:
        r["file"] = r["file"] + (f"__{args.tag}" if args.tag else "")
    Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
