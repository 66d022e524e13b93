"""Rows for the sentence re-ranker (issue 9, round 15): every candidate sentence of a question, recorded once.

For each answerable question the product's candidates (:func:`rag.select.candidates` with the shipped dense
models, best first) are written with their features, selector P, passage, sentence index, whether the sentence
holds a gold span, and (top :data:`KEEP_TEXT`) the text and the near-miss verdict, so a re-ranker can be
replayed and fitted without asking again (``bench/sentence_rerank_fit.py``).

    python bench/sentence_rerank_rows.py squad --name cmrc_trial --file ../shared/data/cmrc2018/cmrc2018_trial.json --out R
    python bench/sentence_rerank_rows.py everyday --set FILE:HOME … --vectors QV.pkl --out R

``squad``: CMRC2018 trial / the DRCD tune half (``--every N``: every Nth article), asked on an index of the set's
own articles (full index only). ``everyday``: the development everyday sets as ``rag eval`` asks them; a row also
records the product's answer (refused, right, quoted sentences) so the replay can be checked against it. Rows are
kept for Chinese questions on the general path (English questions use the cross-lingual models; statute answers
quote whole articles).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from rag.select import CROSSLINGUAL_CJK, candidates, cjk_share, load_models
from rag.textnorm import normalize, search_form

KEEP_TEXT = 8  # candidates whose text and near-miss verdict are recorded (the re-ranker reads the top 4)


def cand_rows(question: str, hits, index, qv, golds: list[str]) -> list[dict]:
    """The candidates as the product ranks them (dense models), one dict each."""
    from rag.constraints import violation as near_miss

    fp = index.manifest["embedder"].get("fingerprint")
    models = load_models(fingerprint=fp, dense=True)
    cands = candidates(question, hits, idf=index.keyword.idf, query_vector=qv, vectors=index.sentences,
                       models=models)
    out = []
    for i, c in enumerate(cands):
        s = c.sentence
        spans = s.hit.chunk.sentences
        r = {"f": c.features, "p": c.p, "lab": int(any(g in search_form(s.text) for g in golds)),
             "chunk": s.hit.chunk.chunk_id, "k": next((j for j, (a, _) in enumerate(spans) if a == s.start), -1),
             "start": s.start}
        if i < KEEP_TEXT:
            r["text"] = s.text
            r["nm"] = near_miss(question, s.text, s.hit.chunk.text, s.hit.title) is not None
        out.append(r)
    return out


def squad(name: str, path: Path, every: int, home: Path, out_path: str) -> None:
    from calib_rows import CachedQueries

    from rag.embed import get_embedder
    from rag.eval_data import read_squad
    from rag.evaluate import dataset_index
    from rag.retrieve import clean_question, retrieve

    data = json.loads(path.read_text(encoding="utf-8"))
    if every > 1:
        path = home / f"{name}_every{every}.json"
        path.write_text(json.dumps(dict(data, data=data["data"][::every]), ensure_ascii=False), encoding="utf-8")
    docs, items = read_squad(path)
    inner = get_embedder("e5-small")
    emb = CachedQueries(inner, home / f"qcache_{name}.npz")
    index = dataset_index(docs, embedder=inner, progress=True)
    with open(out_path, "w", encoding="utf-8") as out:
        for n, it in enumerate(items):
            if not it.answerable or not it.answers:
                continue
            q = clean_question(it.question)
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            hits = retrieve(index, q, embedder=emb, k=5, mode="hybrid")
            qv = emb.embed_queries([q])[0]
            gold_rank = next((i + 1 for i, h in enumerate(hits) if any(g in search_form(h.chunk.text) for g in golds)),
                             None)
            row = {"set": name, "round": name, "qid": it.qid, "group": _article(it), "gold_rank": gold_rank, "cands": cand_rows(q, hits, index, qv, golds) if gold_rank
                   else []}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if n % 200 == 0:
                print(name, n, len(items), flush=True)
                emb.save()
    emb.save()


def _article(it) -> str:
    """The article a SQuAD-format question belongs to (the folds group by it)."""
    return min(it.source_docs) if it.source_docs else it.qid


def everyday(sets: list[str], vectors: str | None, out_path: str) -> None:
    import everyday_causes as E
    from everyday_shift_loro import round_of

    from rag.eval_data import load_dataset
    from rag.evaluate import score_answer
    from rag.qa import Searcher
    from rag.retrieve import clean_question, retrieve
    from rag.statute_answer import is_article

    with open(out_path, "w", encoding="utf-8") as out:
        for spec in sets:
            path, home = spec.rsplit(":", 1)
            searcher = Searcher(home, embedder=E._memo(home, vectors))
            index = searcher.index()
            docs = E._docs(path)
            for item in load_dataset(path)[1]:
                if not item.answerable or cjk_share(item.question) < CROSSLINGUAL_CJK:
                    continue
                q = clean_question(item.question)
                hits = retrieve(index, q, embedder=searcher.embedder, k=5)
                if not hits or is_article(hits[0]):
                    continue  # the statute answerer quotes whole articles
                golds = [search_form(normalize(a)[0]) for a in item.answers]
                if E.gold_kind(index, docs.get(item.qid, ""), golds) != "article":
                    continue
                gold_rank = next((i + 1 for i, h in enumerate(hits) if E._gold_in(golds, h.chunk.text)), None)
                a = searcher.ask(item.question)
                qv = searcher.embedder.embed_queries([q])[0]
                row = {"set": path, "round": round_of(path), "qid": item.qid, "group": f"{round_of(path)}:{item.qid}",
                       "gold_rank": gold_rank, "a_refused": not a.answerable,
                       "a_right": bool(score_answer(item, a).get("quote_hit")),
                       "a_quotes": [c.quote for c in a.citations], "q": q,
                       "cands": cand_rows(q, hits, index, qv, golds) if gold_rank else []}
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
            if vectors:
                searcher.embedder.save()
            print("gathered", path, flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("squad")
    s.add_argument("--name", required=True)
    s.add_argument("--file", required=True)
    s.add_argument("--every", type=int, default=1)
    s.add_argument("--drcd-tune", action="store_true", help="--file is DRCD_dev.json: use its tune half")
    s.add_argument("--out", required=True)
    e = sub.add_parser("everyday")
    e.add_argument("--set", action="append", required=True, help="FILE:HOME (repeatable)")
    e.add_argument("--vectors")
    e.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    if args.cmd == "squad":
        from rag.config import data_dir
        home = data_dir()
        home.mkdir(parents=True, exist_ok=True)
        path = Path(args.file)
        if args.drcd_tune:
            from calib_rows import drcd_halves
            path = drcd_halves(path, home / "drcd_halves")[0]
        squad(args.name, path, args.every, home, args.out)
    else:
        everyday(args.set, args.vectors, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
