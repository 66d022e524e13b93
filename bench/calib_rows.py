"""Feature rows for ``bench/calibrate_answers.py``: how each question is asked and its candidates recorded.

- :func:`collect`: every answerable question of a tuning set asked on the full index and with its own article
  removed (split out of ``calibrate_answers.py`` in round 6, unchanged);
- ``--paraphrase N``: everyday-worded copies of the tuning questions (below);
- ``--everyday-heldout5``: round 5's everyday held-out set (development data since round 6) over corpus/.

Everyday-worded tuning questions:

Every answerable question of a tuning set (CMRC2018 trial, DRCD dev tune half) is reworded by
:func:`paraphrase.paraphrase` (synonyms, a dropped modifier, colloquial question words; names and numbers
kept) and asked like the original (:func:`collect`, here): on the full index (answerable) and with
its own article removed (unanswerable). Rows keep the original article as ``group``, so the article-grouped
folds put a question and its paraphrase on the same side, and carry the reworded question as ``q``.

This module does not fit models.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import re
import sys
import time
from pathlib import Path

import numpy as np

from paraphrase import paraphrase, require_synonyms

from rag.embed import get_embedder
from rag.eval_data import EvalItem, read_squad
from rag.evaluate import dataset_index, own_documents
from rag.retrieve import clean_question, retrieve
from rag.select import candidates
from rag.textnorm import normalize, search_form
from rag.update import update_index

__all__ = ["RARITY", "CachedQueries", "bench_candidates", "cached_paraphrase_rows", "collect", "dev_set_rows",
           "drcd_halves", "heldout5_rows", "paraphrase_items", "paraphrase_rows", "pooled_index", "stard_index"]
ROOT = Path(__file__).resolve().parents[1]
#: set by ``calibrate_answers.py --rarity``: recorded candidates also carry the ``rag.rarity`` features
#: (answering no longer computes them: no shipped model uses them)
RARITY = False
#: set by ``bench/verifier_rows.py``: every recorded candidate also carries its sentence (``_s``), passage title
#: (``_t``) and chunk id (``_c``) as strings, for the answer verifier (rag.verify); fitting code drops them
TEXTS = False


def bench_candidates(wording: str, hits, index, emb) -> list:
    """:func:`rag.select.candidates` of ``hits`` as the rows record them (with ``rr_*`` under :data:`RARITY`)."""
    cands = candidates(wording, hits, idf=index.keyword.idf, query_vector=emb.last, vectors=index.sentences)
    if RARITY:
        from rag.rarity import add_rarity

        add_rarity(wording, hits, cands, index.keyword.idf)
    if TEXTS:
        for c in cands:
            c.features.update(_s=c.sentence.text, _t=c.sentence.hit.title or "", _c=c.sentence.hit.chunk.chunk_id)
    return cands


class CachedQueries:
    """Embedder wrapper: question vectors memoised on disk, the last one kept for the answer step."""

    def __init__(self, inner, path: Path):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.path, self.last = path, None
        self.memo: dict[str, np.ndarray] = {}
        if path.exists():
            z = np.load(path, allow_pickle=False)
            if str(z["fp"]) == inner.fingerprint:
                self.memo = dict(zip(z["texts"].tolist(), z["vecs"]))

    def embed_queries(self, texts):
        todo = [t for t in texts if t not in self.memo]
        if todo:
            for t, v in zip(todo, self.inner.embed_queries(todo)):
                self.memo[t] = v
        v = np.stack([self.memo[t] for t in texts])
        self.last = v[0] if len(texts) == 1 else None
        return v

    def embed_passages(self, texts, **kw):
        return self.inner.embed_passages(texts, **kw)

    def save(self) -> None:
        texts = list(self.memo)
        np.savez(self.path, fp=np.array(self.inner.fingerprint), texts=np.array(texts),
                 vecs=np.stack([self.memo[t] for t in texts]) if texts else np.zeros((0, self.dim), np.float32))


def drcd_halves(path: Path, out_dir: Path) -> tuple[Path, Path]:
    """Split DRCD dev by article (title hash) into tune and report SQuAD files."""
    data = json.loads(path.read_text(encoding="utf-8"))
    halves: dict[str, list] = {"tune": [], "report": []}
    for art in data["data"]:
        b = int(hashlib.sha256(art.get("title", "").encode("utf-8")).hexdigest(), 16) % 2
        halves["report" if b == 0 else "tune"].append(art)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in ("tune", "report"):
        p = out_dir / f"drcd_dev_{name}.json"
        p.write_text(json.dumps({"version": data.get("version", ""), "data": halves[name]}, ensure_ascii=False),
                     encoding="utf-8")
        paths.append(p)
    return paths[0], paths[1]


def collect(name: str, index, items: list[EvalItem], emb: CachedQueries, rows: list[dict],
            english: bool = False, hard: bool = False) -> None:
    """Both runs (full index, own article removed) of every answerable item → feature rows.

    ``english``: ask the word-by-word English rendering of each question (bench/pseudo_english.py),
    its candidates scored with its CC-CEDICT gloss (rag.gloss), as ``rag.answer`` does for English.
    ``hard``: instead, one run per item with the own article *and* the article of the first passage
    retrieved without it removed (a negative whose best look-alike is gone too: what a larger index
    offers in its place), rows marked ``"hard": 1``.
    """
    from rag.answer import _glossed

    all_docs = set(index.documents)
    folded: dict[str, str] = {}
    if hard:
        from hard_negatives import collect_hard

        return collect_hard(name, index, items, emb, rows)
    t0 = time.time()
    for i, it in enumerate(items):
        if not it.answerable or not it.answers:
            continue
        q = clean_question(it.question)
        if english:
            from pseudo_english import to_english

            q = to_english(q)
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        others = sorted(all_docs - own_documents(index, it, folded))
        for answerable, doc_ids in ((1, None), (0, others)):
            hits = retrieve(index, q, embedder=emb, k=5, mode="hybrid", doc_ids=doc_ids)
            wording = (_glossed(q, hits) or q) if english else q
            cands = bench_candidates(wording, hits, index, emb)
            dense = [h.dense for h in hits if h.dense is not None]
            rows.append({"set": name, "qid": it.qid, "answerable": answerable, "dense": max(dense) if dense else 0.0,
                         "cands": [(c.features, int(any(g in search_form(c.sentence.text) for g in golds)))
                                   for c in cands]})
        if i % 250 == 0:
            print(f"  {name}: {i}/{len(items)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)


def pooled_index(sets: list[tuple[str, Path]], embedder):
    """One index of the articles of every SQuAD-format tuning set (questions keep their own article ids)."""
    docs: dict[str, object] = {}
    for _, path in sets:
        if path.suffix != ".jsonl":
            for d in read_squad(path)[0]:
                docs.setdefault(d.doc_id, d)
    return dataset_index(list(docs.values()), embedder=embedder, progress=True)


def cached_paraphrase_rows(name: str, index, items, emb, home: Path, args) -> list[dict]:
    """Rows of the reworded questions of one tuning set (cached in ``$RAG_HOME/calib_rows_<name>_para_<N>.jsonl``,
    N = ``--paraphrase``)."""
    path = home / f"calib_rows_{name}_para_{args.paraphrase}.jsonl"
    if args.reuse_rows and path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        require_synonyms()
        rows = paraphrase_rows(name, index, items, emb, args.paraphrase, collect)
        emb.save()
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return [dict(r, w=args.paraphrase_weight) for r in rows]


def heldout5_rows(emb, home: Path, weight: float, reuse: bool = True) -> list[dict]:
    """everyday_heldout.jsonl rows over the shipped corpus (statute-first questions left to the statute models)."""
    index_home = home / "corpus_index"
    if not (index_home / "CURRENT").exists():
        update_index([ROOT / "corpus"], home=index_home, embedder=emb.inner, progress=True)
    rows = dev_set_rows("everyday_h5", ROOT / "bench" / "data" / "everyday_heldout.jsonl", index_home, emb,
                        home / "calib_rows_everyday_h5.jsonl", reuse)
    emb.save()
    return [dict(r, w=weight) for r in rows if not r["statute"]]


def stard_index(out: Path) -> Path:
    """The statute corpus (bench/statute_corpus.py) indexed with today's ingest under ``out/home``."""
    from statute_corpus import build

    if not (out / "stard_tune.jsonl").exists():
        print(json.dumps(build(out), ensure_ascii=False), file=sys.stderr)
    update_index([out / "laws"], home=out / "home", embedder=get_embedder("e5-small"), progress=True)
    return out




def paraphrase_items(items, limit: int | None, seed: int = 0) -> list:
    """Reworded copies of the answerable items (those a rewording changed), at most ``limit``, in order."""
    out = []
    for it in items:
        if not it.answerable or not it.answers:
            continue
        rng = random.Random(f"{seed}:{it.qid}")
        q = paraphrase(it.question, rng)
        if q.rstrip("？?") == it.question.rstrip("？?"):
            q = paraphrase(it.question, rng)  # a second draw; an unchanged question adds nothing
        if q.rstrip("？?") != it.question.rstrip("？?"):
            out.append(dataclasses.replace(it, question=q))
        if limit and len(out) >= limit:
            break
    return out


def paraphrase_rows(name: str, index, items, emb, limit: int | None, collect) -> list[dict]:
    """Rows of set ``<name>_para`` (``collect`` is this module's :func:`collect`)."""
    para = paraphrase_items(items, limit)
    rows: list[dict] = []
    collect(name + "_para", index, para, emb, rows)
    text = {it.qid: it.question for it in para}
    for r in rows:
        r["group"] = name + ":" + re.sub(r"(_QUERY_\d+|(-\d+)+)$", "", str(r["qid"]))
        r["q"] = text[r["qid"]]
    return rows


def dev_set_rows(set_name: str, path, index_home, emb, cache, reuse: bool = True) -> list[dict]:
    """Rows of a round-5 held-out set that is development data since round 6 (``bench/data/everyday_heldout.jsonl``
    over the shipped corpus index), like everyday_dev's (``everyday_dev.collect_rows``): set ``set_name``, grouped by
    the document holding the answer; cached in ``cache`` (read back when ``reuse``)."""
    import json
    import tempfile
    from pathlib import Path

    from everyday_dev import collect_rows

    from rag.eval_data import read_jsonl_items
    from rag.evaluate import own_documents
    from rag.index import open_index

    if reuse and cache.exists():
        return [json.loads(line) for line in cache.read_text(encoding="utf-8").splitlines()]
    index = open_index(index_home, embedder=emb.inner)
    folded: dict[str, str] = {}
    lines = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
    docs = {it.qid: sorted(own_documents(index, it, folded)) for it in read_jsonl_items(path)}
    with tempfile.TemporaryDirectory() as tmp:
        tagged = Path(tmp) / "set.jsonl"
        tagged.write_text("".join(json.dumps(dict(r, doc=f"{set_name}:{(docs.get(r['id']) or ['none'])[0]}"),
                                             ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
        rows = collect_rows(Path(index_home), emb, tagged)
    for r in rows:
        r["set"] = set_name + ("_en" if r["set"].endswith("_en") else "")
    cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows
