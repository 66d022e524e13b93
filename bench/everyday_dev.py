"""Documents of the everyday-worded DEVELOPMENT question set (``bench/data/everyday_dev.jsonl``).

The set asks citizens' questions — paraphrased, colloquial, lay terms, some in English, some
unanswerable — about documents that are NOT in ``corpus/`` and that no held-out set uses:
12 laws/regulations from ``../shared/data/lawrefbook.tar.gz`` and 12 articles of CMRC2018 *trial*.
No document text is committed: this script extracts exactly the documents listed below from
``../shared/data`` and indexes them with the product (``rag.update.update_index``, the code
behind ``rag index``). It does not evaluate; run ``rag eval`` on the built index:

    python bench/everyday_dev.py build --home /tmp/everyday_home      # ~1-2 min on 2 cores
    rag eval bench/data/everyday_dev.jsonl --index /tmp/everyday_home
    python bench/everyday_dev.py check                                 # every gold span is in its document

Each row's ``doc`` field names its document: ``law:<archive path>`` or ``cmrc:<CMRC id>``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from doc_sets import ARCHIVE, DocSet, cli  # noqa: E402,F401 — ARCHIVE: the tests read it here

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CMRC_TRIAL = DATA / "cmrc2018" / "cmrc2018_trial.json"
SET = ROOT / "bench" / "data" / "everyday_dev.jsonl"

#: laws/regulations (archive paths), none of them in corpus/laws
LAWS = [
    "lawrefbook/行政法/道路交通安全法(2021-04-29).md",
    "lawrefbook/行政法规/道路交通安全法实施条例(2017-10-07).md",
    "lawrefbook/行政法/治安管理处罚法(2012-10-26).md",
    "lawrefbook/社会法/未成年人保护法(2024-04-26).md",
    "lawrefbook/民法商法/电子商务法(2018-08-31).md",
    "lawrefbook/社会法/反家庭暴力法(2015-12-27).md",
    "lawrefbook/经济法/个人所得税法(2018-08-31).md",
    "lawrefbook/行政法/居民身份证法(2011-10-29).md",
    "lawrefbook/行政法/献血法(1997-12-29).md",
    "lawrefbook/行政法规/物业管理条例(2018-03-19).md",
    "lawrefbook/行政法规/住房公积金管理条例(2019-03-24).md",
    "lawrefbook/部门规章/人力资源社会保障部/企业职工带薪年休假实施办法(2008-07-17).md",
]

#: CMRC2018 trial articles (ids): institutions, places, companies, an accident, a medical entry
CMRC_IDS = ["TRIAL_549", "TRIAL_600", "TRIAL_589", "TRIAL_405", "TRIAL_645", "TRIAL_435",
            "TRIAL_425", "TRIAL_641", "TRIAL_782", "TRIAL_839", "TRIAL_864", "TRIAL_880"]


DOCS = DocSet(tuple(LAWS), CMRC_TRIAL, tuple(CMRC_IDS))


documents, write_sources, build = DOCS.documents, DOCS.write_sources, DOCS.build  # see bench/doc_sets.py


def check(path: Path = SET) -> list[str]:
    """Problems of the set: unknown documents, answerable/answers mismatches, gold spans not in their document."""
    return DOCS.check(path)


def collect_rows(home: Path, emb, path: Path = SET) -> list[dict]:
    """Answer-layer feature rows of the set for ``bench/calibrate_answers.py --everyday HOME``.

    Per answerable question two runs (full index: ``answerable`` 1, sentence label = contains a gold span;
    the documents holding a gold span removed: ``answerable`` 0, ``kind`` "removed"); per unanswerable
    question one run on the full index (``answerable`` 0, ``kind`` "native"). English questions (little CJK)
    are scored with their CC-CEDICT gloss, as ``rag.answer`` does, under set ``everyday_en``. ``group`` is the
    document (a CMRC trial article keeps the group of ``cmrc_trial``, which asks about the same articles).
    ``statute``: the first hit is a statute article, so ``rag.answer`` hands the question to
    ``rag.statute_answer`` (its own models) and these rows are not the selector's or refusal model's.
    """
    from rag.answer import _glossed
    from rag.eval_data import read_jsonl_items
    from rag.evaluate import own_documents
    from rag.index import open_index
    from rag.retrieve import clean_question, retrieve
    from calib_rows import bench_candidates
    from rag.select import CROSSLINGUAL_CJK, cjk_share
    from rag.statute_answer import is_article
    from rag.textnorm import normalize, search_form

    index = open_index(home, embedder=emb.inner)
    docs_of = {json.loads(x)["id"]: json.loads(x)["doc"] for x in path.read_text(encoding="utf-8").splitlines()
               if x.strip()}
    all_docs, folded, rows = set(index.documents), {}, []
    for it in read_jsonl_items(path):
        q = clean_question(it.question)
        english = cjk_share(q) < CROSSLINGUAL_CJK
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        runs = [(1, None, "full"), (0, sorted(all_docs - own_documents(index, it, folded)), "removed")] \
            if it.answerable else [(0, None, "native")]
        doc = docs_of[it.qid]
        group = "cmrc_trial:" + doc.split(":", 1)[1] if doc.startswith("cmrc:") else "everyday:" + doc
        for answerable, doc_ids, kind in runs:
            hits = retrieve(index, q, embedder=emb, k=5, mode="hybrid", doc_ids=doc_ids)
            wording = (_glossed(q, hits) or q) if english else q
            cands = bench_candidates(wording, hits, index, emb)
            dense = [h.dense for h in hits if h.dense is not None]
            rows.append({"set": "everyday_en" if english else "everyday", "qid": it.qid, "group": group,
                         "kind": kind, "law": doc.startswith("law:"), "answerable": answerable,
                         "statute": bool(hits) and is_article(hits[0]),
                         "dense": max(dense) if dense else 0.0,
                         "cands": [(c.features, int(any(g in search_form(c.sentence.text) for g in golds)))
                                   for c in cands]})
    return rows


def calib_rows(ev_home: Path, emb, home: Path, reuse: bool, weight: float) -> list[dict]:
    """Feature rows of bench/data/everyday_dev.jsonl (cached in ``$RAG_HOME/calib_rows_everyday.jsonl``), weighted;
    questions that ``rag.answer`` hands to the statute answerer (first hit a statute article) are left out."""
    path = home / "calib_rows_everyday.jsonl"
    if reuse and path.exists():
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        if not (ev_home / "CURRENT").exists():
            build(ev_home)
        rows = collect_rows(ev_home, emb)
        emb.save()
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return [dict(r, w=weight) for r in rows if not r["statute"]]


def main(argv: list[str] | None = None) -> int:
    return cli(DOCS, SET, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
