"""Where law follow-ups miss (round 13): candidate lists of every answerable follow-up of a law conversation.

Every dialogue is replayed turn by turn as the chat answers it (``rag.dialogue.ask_in_context`` over
``rag.qa.ask``). For each answerable follow-up that the chat reads as a law follow-up (``about_laws``) it records
the top :data:`DEPTH` of

- ``searched`` (a): the wording of the reading that won (what ``rag.law_followup`` searched),
- ``typed`` (b): the follow-up as typed,
- ``previous`` (c): the previous search + the follow-up (query vector mixed from the two cached ones),
- ``in_law`` (e): (c) restricted to the law of the previous answer's article,
- ``in_laws`` (f): (c) restricted to every law quoted by the conversation's answers so far,

each candidate as ``[chunk_id, score, gold, law]``; the gold's law(s) (from every passage of the index that holds
a gold string) and the previous answer's law. It changes nothing and fits nothing.

    python bench/law_followup_diag.py FILE… --home HOME --out rows.jsonl
    python bench/law_followup_diag.py --table rows.jsonl
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import sys
from pathlib import Path

from rag.dialogue import DialogueConfig, Turn, ask_in_context, resolve
from rag.errors import QueryError
from rag.law_followup import _law_of, _shown, about_laws, law_readings, previous_search
from rag.law_prior import LawPrior, conversation_laws, retrieve_with_laws
from rag.law_route import law_documents
from rag.qa import Searcher, _Remember, _vector_of
from rag.query_cache import mixed
from rag.retrieve import retrieve
from rag.textnorm import normalize
sys.path.insert(0, str(Path(__file__).resolve().parent))
from followup_retrieval import DEPTH, _golds, _has  # noqa: E402  (the article follow-ups' diagnosis)
from report import table_of_saved_rows  # noqa: E402


#: (law_prior, law_prior_last) of the chat being replayed; the lists (a)–(c) are re-ranked with it (``--law-prior``)
CONFIG = (0.0, 0.0)


class Lists:
    def __init__(self, searcher: Searcher):
        self.s = searcher
        self.index = searcher.index()
        self.title = {i: d.title for i, d in self.index.documents.items()}

    def law(self, chunk) -> str:
        return self.title.get(chunk.doc_id, "") if chunk.article else ""

    def top(self, wording, read_as, golds, doc_ids=None, prior=None):
        seen = _Remember(self.s.embedder)
        if read_as:
            seen.preset = mixed(_vector_of(seen, read_as[0]), _vector_of(seen, read_as[1]))
        if prior:  # the conversation's laws re-rank the candidates, as the chat does (rag.law_prior)
            hits = retrieve_with_laws(functools.partial(retrieve, self.index), self.index, wording, prior,
                                      embedder=seen, k=DEPTH, doc_ids=doc_ids)
        else:
            hits = retrieve(self.index, wording, embedder=seen, k=DEPTH, doc_ids=doc_ids)
        return [[h.chunk.chunk_id, round(float(h.score), 5), int(_has(h.chunk.text, golds)), self.law(h.chunk)]
                for h in hits]

    def docs_of(self, laws):
        out = []
        for law in laws:
            try:
                out += law_documents(self.index, law)
            except QueryError:
                pass
        return out or None

    def gold_laws(self, golds):
        return sorted({self.law(c) or "(news)" for c in self.index.chunks if _has(c.text, golds)})


def rank(cands) -> int | None:
    return next((i for i, c in enumerate(cands, 1) if c[2]), None)


def followup_row(L: Lists, q: str, history, ans, golds) -> dict:
    rw = resolve(q, history)
    previous = previous_search(history, rw.previous)
    last = next((t for t in reversed(list(history)) if t.question.strip()), None)
    typed_before = normalize(last.question)[0].strip() if last is not None else ""
    rewrite = rw.search_question if rw.rule in ("ellipsis", "elided") else ""
    readings = law_readings(q, previous, rewrite, typed_before, subjectless=rw.rule == "elided")
    won = next((r for r in readings if r.shown == ans.search_question), None)
    prev_law = _law_of(_shown(history)[0]) if _shown(history) else ""
    laws = conversation_laws(history)
    pw = next((r for r in readings if r.name == "previous"), None)
    if pw is None:
        pw = type(readings[0])("previous", f"{previous} {q}", (q, typed_before or previous), "")
    prior = LawPrior(laws, *CONFIG) if laws else None
    out = {"reading": won.name if won else "other", "readings": [r.name for r in readings],
           "prev_law": prev_law, "conv_laws": laws, "gold_laws": L.gold_laws(golds),
           "searched": L.top(won.wording, won.read_as, golds, prior=prior) if won else [],
           "typed": L.top(q, None, golds, prior=prior),
           "previous": L.top(pw.wording, pw.read_as, golds, prior=prior),
           "in_law": L.top(pw.wording, pw.read_as, golds, L.docs_of([prev_law])) if prev_law else [],
           "in_laws": L.top(pw.wording, pw.read_as, golds, L.docs_of(laws)) if laws else []}
    return out


def replay(L: Lists, path: str) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        d, history = json.loads(line), []
        for i, t in enumerate(d["turns"]):
            laws = bool(history) and about_laws(history)
            a = ask_in_context(L.s.ask, t["question"], history,
                               config=DialogueConfig(law_prior=CONFIG[0], law_prior_last=CONFIG[1]))
            if i and laws:
                golds = _golds(t.get("answers", []))
                row = {"file": Path(path).stem, "id": f"{d.get('id', n)}#{i + 1}",
                       "answerable": bool(t.get("answerable", True)) and bool(golds), "answered": a.answerable,
                       "hit": a.answerable and any(_has(c.quote, golds) for c in a.citations),
                       "passage": a.answerable and any(_has(c.text, golds) for c in a.citations),
                       "answer_law": _law_of(a.citations[0].label) if a.answerable and a.citations else ""}
                if row["answerable"]:
                    row.update(followup_row(L, t["question"], history, a, golds))
                rows.append(row)
            history.append(Turn(t["question"], a.answer, a.search_question))
    return rows


def _in(r, k=5):
    return r is not None and r <= k


def table(rows: list[dict]) -> str:
    head = "| set | n | hit | a@1 | a@5 | b@5 | c@5 | e@5 | f@5 | gold in prev law | in conv laws | other/news |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    groups = collections.defaultdict(list)
    for r in rows:
        if r["answerable"]:
            groups[r["file"]].append(r)
    for name in sorted(groups) + ["ALL"]:
        rs = [r for g in groups.values() for r in g] if name == "ALL" else groups[name]
        n = len(rs)
        f = lambda k: sum(1 for r in rs if k(r))  # noqa: E731
        lines.append(f"| {name} | {n} | {f(lambda r: r['hit'])} | {f(lambda r: _in(rank(r['searched']), 1))} | "
                     + " | ".join(str(f(lambda r, key=key: _in(rank(r[key])))) for key in
                                  ("searched", "typed", "previous", "in_law", "in_laws")) + " | "
                     f"{f(lambda r: r['prev_law'] in r['gold_laws'])} | "
                     f"{f(lambda r: bool(set(r['conv_laws']) & set(r['gold_laws'])))} | "
                     f"{f(lambda r: not set(r['conv_laws']) & set(r['gold_laws']))} |")
    return "\n".join(lines)


def main() -> None:
    if table_of_saved_rows(table):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dialogues", nargs="+")
    ap.add_argument("--home", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--law-prior", default="0:0", metavar="W:L", help="the chat's DialogueConfig(law_prior=W, "
                    "law_prior_last=L); default 0:0 (round 12)")
    args = ap.parse_args()
    global CONFIG
    CONFIG = tuple(float(x) for x in args.law_prior.split(":"))
    L = Lists(Searcher(args.home))
    rows = [r for p in args.dialogues for r in replay(L, p)]
    Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
