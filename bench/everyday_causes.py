"""Why are fair everyday questions refused or misquoted? Count each cause per set (issue 9, rounds 9 and 14).

For every answerable question of a JSONL set asked of an index (as ``rag eval`` does):

- ``ok``: the quote contains a gold answer;
- ``refusal``: refused, but with every refusal threshold off the quote would contain it (the model was wrong);
- ``check``: refused by a rule (near miss, amount, place) although the thresholds-off quote is right;
- ``sentence``: the gold passage is ranked first but another sentence of it (or of another passage) is quoted;
- ``rank2_5``: the gold passage is in the top 5, not first;
- ``retrieval``: no gold passage in the top 5.

Round 14 adds a second, finer split of the same misses (``detail``, ``--detail``): ``refused_r1`` / ``refused_r2_5``
(refused, gold passage ranked 1 / 2-5), ``wrong_sentence`` (a quoted passage holds the gold span, the quote does
not: another sentence or 款 of the right passage), ``wrong_passage_r1`` / ``wrong_passage_r2_5`` (answered from
other passages while the gold passage is ranked 1 / 2-5) and ``retrieval``; by the gold document's kind (``law``: the
gold span lies in a statute article; ``article``: elsewhere; a row's ``doc`` field decides when it has one) and by the
path that answered (``statute``: the first hit is an article, so :mod:`rag.statute_answer` answers; else
``general``). On a mixed index (``corpus/``) the path table shows whether law questions reach the statute answerer.

Each row also says the path (``law``: the first hit is a statute article, else ``general``) and whether the
question is English. With ``--show`` the misses are printed with the quote and, for ``sentence``, the selector's
rank of the first gold sentence among the candidates. Development sets only (never the held-out ones).
``--vectors FILE`` keeps the question vectors between runs (a pickle; the embedder is then called once a question).

    python bench/everyday_causes.py --set bench/data/everyday_heldout8.jsonl:/tmp/lead/r6/m/corpus --show
    python bench/everyday_causes.py --detail --vectors /tmp/qv.pkl --set bench/data/everyday_heldout12.jsonl:C
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter

import rag.answer as A
import rag.statute_answer as S
from rag.eval_data import load_dataset
from rag.evaluate import score_answer
from rag.qa import Searcher
from rag.retrieve import clean_question, retrieve
from rag.select import CROSSLINGUAL_CJK, candidates, cjk_share
from rag.statute_answer import is_article
from rag.textnorm import normalize, search_form

_OFF = {"on": False}
_lm, _ls = A.load_models, S.load_statute_models


def _no_threshold(m):
    if not _OFF["on"] or m is None:
        return m
    m = copy.copy(m)
    r = copy.copy(m.refusal)
    object.__setattr__(r, "threshold", -1.0)
    object.__setattr__(m, "refusal", r)
    return m


def install() -> None:
    """Route the answer layer's model loading through :func:`_no_threshold` (inert until ``_OFF["on"]``); called by
    :func:`classify` and the replay (``everyday_shift_loro.record``), not on import."""
    if getattr(A.load_models, "_bench_hook", False):
        return
    A.load_models = lambda *a, **k: _no_threshold(_lm(*a, **k))
    S.load_statute_models = lambda *a, **k: _no_threshold(_ls(*a, **k))
    A.load_models._bench_hook = S.load_statute_models._bench_hook = True


def _gold_in(golds: list[str], text: str) -> bool:
    t = search_form(text)
    return any(g in t for g in golds)


def classify(searcher: Searcher, item, doc: str = "") -> dict:
    install()
    golds = [search_form(normalize(a)[0]) for a in item.answers]
    _OFF["on"] = False
    a = searcher.ask(item.question)
    _OFF["on"] = True
    b = searcher.ask(item.question)
    _OFF["on"] = False
    index = searcher.index()
    hits = retrieve(index, clean_question(item.question), embedder=searcher.embedder, k=5)  # as rag.qa.ask
    gold_rank = next((i + 1 for i, h in enumerate(hits) if _gold_in(golds, h.chunk.text)), None)
    sa, sb = score_answer(item, a), score_answer(item, b)
    if sa["quote_hit"]:
        cause = "ok"
    elif sa["refused"] and sb["quote_hit"]:
        cause = "refusal"
    elif gold_rank == 1:
        cause = "sentence"
    elif gold_rank:
        cause = "rank2_5"
    else:
        cause = "retrieval"
    if cause == "refusal" and b.answerable and a.confidence >= _threshold(searcher, hits):
        cause = "check"
    row = {"id": item.qid, "q": item.question, "cause": cause, "law": bool(hits) and is_article(hits[0]),
           "english": cjk_share(item.question) < 0.3, "refused": sa["refused"], "gold_rank": gold_rank,
           "quote": (b.answer if cause != "ok" else a.answer)[:120], "gold": item.answers[:1]}
    if cause == "sentence" and not row["law"]:
        row["gold_sentence_rank"] = _gold_sentence_rank(searcher, item.question, hits, golds)
    row.update(detail(a, hits, golds, gold_rank), kind=gold_kind(index, doc, golds),
               path="statute" if row["law"] else "general")
    if sa["refused"]:
        row["refuser"] = refuser(searcher, hits, a)
    return row


def refuser(searcher: Searcher, hits, answer) -> str:
    """Which step of :func:`rag.qa.ask` refused: ``statute``/``general`` (the path's refusal model or a check inside
    :func:`rag.answer.build_answer`), ``guard`` (the general ranking refused while the law-slot ranking answered:
    :func:`rag.qa._unless_general_refuses`), ``value`` (:func:`rag.answer.value_checked`) or ``other`` (a missing
    named article, an article named alone)."""
    from rag.qa import _unless_general_refuses

    index = searcher.index()
    q = answer.question
    qv = searcher.embedder.embed_queries([q])[0]
    first = A.build_answer(q, hits, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences,
                           fingerprint=index.manifest["embedder"].get("fingerprint"))
    if not first.answerable:
        return "statute" if hits and is_article(hits[0]) else "general"
    if not _unless_general_refuses(first, q, hits, index, None, qv).answerable:
        return "guard"
    return "value" if not A.value_checked(q, hits, first).answerable else "other"


def detail(answer, hits, golds: list[str], gold_rank: int | None) -> dict:
    """The round-14 split of a miss: refused (gold ranked 1 / 2-5), the right passage quoted but not the gold span,
    another passage quoted (gold ranked 1 / 2-5), or the gold passage not in the top 5."""
    quoted = [c for c in answer.citations if _gold_in(golds, c.text)]
    if any(_gold_in(golds, c.quote) for c in answer.citations):
        d = "ok"
    elif not gold_rank:
        d = "retrieval"
    elif not answer.answerable:
        d = "refused_r1" if gold_rank == 1 else "refused_r2_5"
    elif quoted:
        d = "wrong_sentence"
    else:
        d = "wrong_passage_r1" if gold_rank == 1 else "wrong_passage_r2_5"
    return {"detail": d, "quoted_ranks": [next((i + 1 for i, h in enumerate(hits) if h.chunk.chunk_id == c.chunk_id),
                                               None) for c in answer.citations]}


def gold_kind(index, doc: str, golds: list[str]) -> str:
    """``law`` when the gold span lies in a statute article (or the row's ``doc`` names a law), else ``article``."""
    if doc:
        return "law" if doc.startswith("law:") else "article"
    key = ("gold_kind", tuple(golds))
    return index.derived(key, lambda: "law" if any(c.article and _gold_in(golds, c.text) for c in index.chunks)
                         else "article")


def _threshold(searcher: Searcher, hits, question: str = "") -> float:
    """The refusal threshold of the path the question takes (general dense, cross-lingual for an English
    ``question``, or statute)."""
    idx = searcher.index()
    fp = idx.manifest["embedder"].get("fingerprint")
    if hits and is_article(hits[0]):
        m = _ls(fingerprint=fp, dense=True, adapted=bool(getattr(hits[0], "adapted", False)))
        return m.refusal.threshold if m else 0.0
    english = bool(question) and cjk_share(question) < CROSSLINGUAL_CJK
    return _lm(fingerprint=fp, dense=True, crosslingual=english).refusal.threshold


def _gold_sentence_rank(searcher: Searcher, question: str, hits, golds) -> int | None:
    idx = searcher.index()
    fp = idx.manifest["embedder"].get("fingerprint")
    cands = candidates(question, hits, idf=idx.keyword.idf, query_vector=searcher.embedder.embed_queries([question])[0],
                       vectors=idx.sentences, models=_lm(fingerprint=fp, dense=True))
    return next((i + 1 for i, c in enumerate(cands) if _gold_in(golds, c.sentence.text)), None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", default=[], help="FILE:HOME (repeatable)")
    ap.add_argument("--table", nargs="+", help="no asking: the --detail table of rows written by --out (pooled)")
    ap.add_argument("--show", action="store_true", help="print every miss")
    ap.add_argument("--out", help="write the per-question rows (JSONL)")
    ap.add_argument("--detail", action="store_true", help="also the round-14 table: miss by document kind and path")
    ap.add_argument("--vectors", help="a pickle of question vectors kept between runs")
    args = ap.parse_args(argv)
    if args.table:
        return table(args.table)
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    for spec in args.set:
        path, home = spec.rsplit(":", 1)
        items = [i for i in load_dataset(path)[1] if i.answerable]
        searcher = Searcher(home, embedder=_memo(home, args.vectors))
        docs = _docs(path)
        rows = [classify(searcher, it, docs.get(it.qid, "")) for it in items]
        if args.vectors:
            searcher.embedder.save()
        counts = Counter((r["cause"], "law" if r["law"] else "en" if r["english"] else "gen") for r in rows)
        print(f"== {path} ({len(rows)} answerable)")
        for cause in ("ok", "refusal", "check", "sentence", "rank2_5", "retrieval"):
            by = {p: counts[(cause, p)] for p in ("gen", "law", "en")}
            print(f"  {cause:10s} {sum(by.values()):3d}   general {by['gen']:3d}  law {by['law']:3d}  english {by['en']:3d}")
        for r in rows:
            if out:
                out.write(json.dumps({"set": path, **r}, ensure_ascii=False) + "\n")
            if args.show and r["cause"] != "ok":
                print("   ", json.dumps(r, ensure_ascii=False))
        if args.detail:
            print_detail(rows)
        sys.stdout.flush()
    return 0


def table(paths: list[str]) -> int:
    """The round-14 table (markdown) from ``--out`` rows: per set and pooled, by gold document kind × path."""
    rows = [json.loads(line) for p in paths for line in open(p, encoding="utf-8") if line.strip()]
    print("| set | kind via path | n | " + " | ".join(DETAILS) + " |")
    print("|---" * (len(DETAILS) + 3) + "|")
    for name in list(dict.fromkeys(r["set"] for r in rows)) + ["**all**"]:
        sub = rows if name == "**all**" else [r for r in rows if r["set"] == name]
        for kind in ("article", "law"):
            for path in ("general", "statute"):
                cell = [r for r in sub if r["kind"] == kind and r["path"] == path]
                if cell:
                    c = Counter(r["detail"] for r in cell)
                    print(f"| {name.rsplit('/', 1)[-1]} | {kind} via {path} | {len(cell)} | "
                          + " | ".join(str(c[d]) for d in DETAILS) + " |")
    return 0


DETAILS = ("ok", "refused_r1", "refused_r2_5", "wrong_sentence", "wrong_passage_r1", "wrong_passage_r2_5", "retrieval")


def print_detail(rows: list[dict]) -> None:
    """Misses by gold document kind × answering path (law questions on the general path were routed wrong)."""
    for kind in ("article", "law"):
        for path in ("general", "statute"):
            sub = [r for r in rows if r["kind"] == kind and r["path"] == path]
            if sub:
                c = Counter(r["detail"] for r in sub)
                print(f"  {kind:7s} via {path:7s} n={len(sub):3d}  " + "  ".join(f"{d}={c[d]}" for d in DETAILS))
    by = Counter((r["kind"], r["refuser"]) for r in rows if r.get("refuser"))
    print("  refused by: " + "  ".join(f"{k}/{w}={n}" for (k, w), n in sorted(by.items())))


def _docs(path: str) -> dict[str, str]:
    """Each row's ``doc`` field (``law:…`` / ``cmrc:…``), by id; rows without one are absent."""
    out = {}
    for line in open(path, encoding="utf-8"):
        if line.strip():
            r = json.loads(line)
            if r.get("doc"):
                out[r["id"]] = r["doc"]
    return out


class _Memo:
    """The index's embedder, its query vectors kept in a pickle (the same question is embedded once)."""

    def __init__(self, inner, path: str | None):
        import pickle
        self.inner, self.path = inner, path
        self.name, self.dim, self.fingerprint = inner.name, inner.dim, inner.fingerprint
        try:
            self.memo = pickle.load(open(path, "rb")) if path else {}
        except OSError:
            self.memo = {}

    def embed_queries(self, texts):
        import numpy as np
        missing = [t for t in texts if (self.fingerprint, t) not in self.memo]
        if missing:
            for t, v in zip(missing, self.inner.embed_queries(missing)):
                self.memo[(self.fingerprint, t)] = v
        return np.stack([self.memo[(self.fingerprint, t)] for t in texts])

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)

    def save(self) -> None:
        import pickle
        if self.path:
            pickle.dump(self.memo, open(self.path, "wb"))


def _memo(home: str, path: str | None) -> _Memo:
    from rag.embed import get_embedder
    from rag.index import open_index
    return _Memo(get_embedder(open_index(home).embedder_name), path)


if __name__ == "__main__":
    sys.exit(main())
