"""Which gate refuses a lay law question whose gold article is at hand (issue 10, round 14; development data only).

For each development round K the everyday law questions of ``everyday_heldoutK_docs.jsonl`` (gold document a law)
are asked over that round's documents index as ``rag.qa.ask`` asks them. A refused answerable question whose top 5
hold a gold string is attributed to the first gate on the answer path that turned it down:

- ``general path``: the top hit is not an article (the general answer models refused);
- ``statute model``: the statute refusal model (:func:`rag.statute_answer.statute_answer`, p below its threshold);
- ``place/quantity``: :func:`rag.answer._checked_statute` (a place the question names, a quantity it asks);
- ``general ranking``: the law-slot guard (:func:`rag.qa._unless_general_refuses`) — the general ranking refuses;
- ``value check``: :func:`rag.answer.value_checked` (an asked value no quote holds).

    python bench/law_refusal_gates.py --docs /tmp/lead/r12/docs --rounds 7 8 9 10 11 12 [--out ROWS.jsonl]

Prints aggregates per gate (and per round); ``--out`` keeps per-question rows (development data).
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.answer import _checked_statute, build_answer, value_checked
from rag.embed import get_embedder
from rag.index import open_index
from rag.law_names import resolve_title
from rag.qa import _unless_general_refuses, ask
from rag.retrieve import retrieve
from rag.statute_answer import is_article, statute_answer
from rag.textnorm import search_form


def gate(index, emb, q: str) -> tuple[str, float]:
    """The gate that refuses ``q`` and the statute model's confidence ('' when none refuses on its own)."""
    v = emb.embed_queries([q])[0]
    hits = retrieve(index, q, embedder=emb, k=5)
    fp = index.manifest["embedder"].get("fingerprint")
    kw = dict(idf=index.keyword.idf, query_vector=v, vectors=index.sentences, fingerprint=fp)
    if not hits or not is_article(hits[0]):
        return "general path", 0.0
    st = statute_answer(q, hits, **kw)
    if st is None:
        return "general path", 0.0
    if not st.answerable:
        return "statute model", st.confidence or 0.0
    if not _checked_statute(q, hits, st, english=False).answerable:
        return "place/quantity", st.confidence or 0.0
    full = build_answer(q, hits, **kw)
    if not _unless_general_refuses(full, q, hits, index, None, v).answerable:
        return "general ranking", st.confidence or 0.0
    if not value_checked(q, hits, full).answerable:
        return "value check", st.confidence or 0.0
    return "", st.confidence or 0.0


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--docs", type=Path, default=Path("/tmp/lead/r12/docs"))
    p.add_argument("--rounds", type=int, nargs="+", default=[7, 8, 9, 10, 11, 12])
    p.add_argument("--out", type=Path)
    a = p.parse_args(argv)
    rows = []
    for k in a.rounds:
        index = open_index(a.docs / f"r{k}")
        emb = get_embedder(index.embedder_name)
        titles = sorted({d.title for d in index.documents.values()})
        for line in (ROOT / "bench" / "data" / f"everyday_heldout{k}_docs.jsonl").open(encoding="utf-8"):
            item = json.loads(line)
            doc = str(item.get("doc", ""))
            if not doc.startswith("law:"):
                continue
            stem = re.sub(r"\(\d{4}-\d{2}-\d{2}\)$", "", Path(doc.split(":", 1)[1]).stem)
            if not resolve_title(titles, stem):
                continue
            ans = ask(index, item["question"], embedder=emb)
            golds = [search_form(g) for g in item["answers"]]
            row = {"round": k, "answerable": item["answerable"], "answered": ans.answerable,
                   "right": ans.answerable and any(g in search_form(c.quote) for g in golds for c in ans.citations)}
            if item["answerable"] and not ans.answerable:
                hits = retrieve(index, item["question"], embedder=emb, k=5)
                row["gold_top5"] = any(g in search_form(h.chunk.text) for g in golds for h in hits)
                if row["gold_top5"]:
                    row["gate"], row["p"] = gate(index, emb, item["question"])
            rows.append(row)
    if a.out:
        a.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    fair = [r for r in rows if r["answerable"]]
    refused = [r for r in fair if not r["answered"]]
    print(f"{len(rows)} law questions ({len(fair)} answerable): right {sum(r['right'] for r in fair)}, "
          f"refused {len(refused)}, refused with gold in top 5 {sum(r.get('gold_top5', False) for r in refused)}; "
          f"unanswerable refused {sum(not r['answered'] for r in rows if not r['answerable'])} of "
          f"{sum(not r['answerable'] for r in rows)}")
    print("gate:", dict(collections.Counter(r["gate"] for r in refused if r.get("gold_top5"))))
    for k in a.rounds:
        rk = [r for r in refused if r["round"] == k and r.get("gold_top5")]
        print(f"round {k}:", dict(collections.Counter(r["gate"] for r in rk)))


if __name__ == "__main__":
    main()
