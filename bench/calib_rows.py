"""Feature rows of everyday-worded tuning questions for ``bench/calibrate_answers.py --paraphrase N``.

Every answerable question of a tuning set (CMRC2018 trial, DRCD dev tune half) is reworded by
:func:`paraphrase.paraphrase` (synonyms, a dropped modifier, colloquial question words; names and numbers
kept) and asked like the original (``calibrate_answers.collect``): on the full index (answerable) and with
its own article removed (unanswerable). Rows keep the original article as ``group``, so the article-grouped
folds put a question and its paraphrase on the same side, and carry the reworded question as ``q``.

This module does not fit models.
"""

from __future__ import annotations

import dataclasses
import random
import re

from paraphrase import paraphrase

__all__ = ["paraphrase_items", "paraphrase_rows"]


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
    """Rows of set ``<name>_para`` (``collect`` is ``calibrate_answers.collect``)."""
    para = paraphrase_items(items, limit)
    rows: list[dict] = []
    collect(name + "_para", index, para, emb, rows)
    text = {it.qid: it.question for it in para}
    for r in rows:
        r["group"] = name + ":" + re.sub(r"(_QUERY_\d+|(-\d+)+)$", "", str(r["qid"]))
        r["q"] = text[r["qid"]]
    return rows


def dev_set_rows(set_name: str, path, index_home, emb, cache) -> list[dict]:
    """Rows of a round-5 held-out set that is development data since round 6 (``bench/data/everyday_heldout.jsonl``
    over the shipped corpus index), like everyday_dev's (``everyday_dev.collect_rows``): set ``set_name``, grouped by
    the document holding the answer; cached in ``cache``."""
    import json
    import tempfile
    from pathlib import Path

    from everyday_dev import collect_rows

    from rag.eval_data import read_jsonl_items
    from rag.evaluate import own_documents
    from rag.index import open_index

    if cache.exists():
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
