"""Statute refusal rows from other kinds of question: everyday law questions on mixed indexes.

The statute refusal model (``rag/statute_answer.py``) is fitted on STARD tune rows retrieved through the
query adapter on a statute-only index. Citizens' everyday questions on the shipped ``corpus/`` (the sample
article beside the law set: a *mixed* index, no adapter) reach it with other feature distributions, and
round 5 refused 11 of 24 fair law questions there. This module collects the same feature rows as
``bench/stard_answers.collect`` for such sets, through the product path (``rag.qa.ask``: English questions
read their gloss, mixed indexes get the general hybrid), so the refusal model and its threshold can be
fitted and checked across question kinds.

A row is kept only where the statute answerer decided (the top hit is an article). Labels: a law question
asked of the whole index → 1; the same question with its own law removed, an unanswerable question, and a
question about another document (news, an encyclopaedia article) — asked of the whole index when retrieval
still put a law article first, and asked with that document removed — → 0: no law article answers it. ``gold`` per hit: the hit's
passage contains a gold answer span.

    python bench/statute_kinds.py --home /tmp/lead/r5/everyday --set bench/data/everyday_dev.jsonl \
        --out /tmp/r6h3/kinds/everyday_dev.jsonl

Which questions are law questions: those whose own documents (``rag.evaluate.own_documents``: the
documents holding a gold span) are all statutes (a ``doc_type``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rag.statute_answer as S  # noqa: E402
from rag.eval_data import load_dataset  # noqa: E402
from rag.evaluate import own_documents  # noqa: E402
from rag.qa import Searcher  # noqa: E402
from rag.retrieve import RetrieveConfig  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402


#: The shipped dense_plain refusal is fitted on the general ranking; since round 8 mixed indexes refill its law
#: slots (rag/law_route.py) and the model is applied there unchanged (bench/mixed_law_refit.py: a refit on those
#: rows refused 21-25 % of fair everyday law questions, docs/legal-retrieval.md round 8).
GENERAL = RetrieveConfig(mixed_law="off")


@contextlib.contextmanager
def _capture():
    """Patch :func:`rag.statute_answer.article_features` to record the hits and rows of the next call
    (restored on leaving the ``with`` block)."""
    seen: dict = {}
    inner = S.article_features

    def wrapped(question, hits, **kw):
        out = inner(question, hits, **kw)
        if "arts" not in seen:
            seen.update(arts=out, hits=list(hits[:S.DEPTH]))
        return out

    S.article_features = wrapped
    try:
        yield seen
    finally:
        S.article_features = inner


def is_law_question(index, item, folded) -> bool:
    own = own_documents(index, item, folded)
    return bool(own) and all(index.documents[d].meta.get("doc_type") for d in own)


def collect(home: str, path: str, kind: str) -> list[dict]:
    """Feature rows (``bench/stard_answers.collect``'s format plus ``kind``) of the set's law questions."""
    s = Searcher(home)
    index = s.index()
    _, items = load_dataset(path)
    folded: dict[str, str] = {}
    all_docs = sorted(index.documents)
    with _capture() as seen:
        rows = []
        for it in items:
            law = it.answerable and is_law_question(index, it, folded)
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            asks = [(int(bool(law)), None)]  # a non-law question whose best passage is a law article: no provision answers it
            if it.answerable:  # own documents removed: a law question's law, another question's article
                own = own_documents(index, it, folded)
                if own:
                    asks.append((0, [d for d in all_docs if d not in own]))
            for label, docs in asks:
                seen.clear()
                ans = s.ask(it.question, doc_ids=docs or None, config=GENERAL)
                if "arts" not in seen:  # the top hit was not an article: the general answerer decided
                    continue
                hits = seen["hits"]
                rows.append({"qid": f"{kind}:{it.qid}", "kind": kind, "setting": kind, "answerable": label,
                             "arts": seen["arts"], "is_article": [bool(h.chunk.article) for h in hits],
                             "gold": [int(any(g in search_form(h.chunk.text) for g in golds)) for h in hits],
                             "law": bool(law), "shipped_answered": bool(ans.answerable), "confidence": float(ans.confidence or 0.0)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--home", required=True)
    ap.add_argument("--set", required=True)
    ap.add_argument("--kind", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    rows = collect(a.home, a.set, a.kind or Path(a.set).stem)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    pos = [r for r in rows if r["answerable"]]
    print(f"{len(rows)} rows ({len(pos)} answerable); shipped model refuses "
          f"{sum(not r['shipped_answered'] for r in pos)} answerable, "
          f"{sum(not r['shipped_answered'] for r in rows if not r['answerable'])} of {len(rows) - len(pos)} others",
          file=sys.stderr)


if __name__ == "__main__":
    main()
