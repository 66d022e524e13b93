"""Does the *kind of answer* a question asks for pick the article within a law? (round 8, measured; not shipped
unless it helps).

Structural evidence, not lexical: a question asking 多久/期限 needs an article stating a time limit (N日/月/年), one
asking 多少/几倍/怎么算 needs an amount or rate (百分之, 倍, 元, 标准), one asking 能不能/可以吗/是否 needs a norm
(不得, 禁止, 可以, 有权, 应当). Each candidate article of the statute ranking gets ``match`` = 1 when the question
asks for a kind and the article has it; the re-score is ``score / top + w · match`` over the top 20.

Rows: STARD tune on the 31-law index, each question through its fold's adapter (``--crossfit``; 4 folds grouped by
gold article); and the law questions of the everyday / law-dialogue sets on the shipped ``corpus/`` index (statute
rows of the ranking, in order). ``w`` is chosen on 3 folds of STARD tune and scored on the 4th; the everyday sets
are scored with the ``w`` chosen on all of tune (they are never used to choose).

    python bench/law_qtype_cv.py --stard-home H31 --stard-tune T.jsonl --crossfit FOLDS.json \
        --corpus-home HC --set bench/data/everyday_heldout7.jsonl … [--cache rows.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

KINDS = {
    "duration": (re.compile(r"多久|多长时间|几天|几日|几个月|几年|多少天|多少日|多少年|期限|时限|时效|最长|最短|什么时候|何时|哪天"),
                 re.compile(r"[一二三四五六七八九十百零两\d]+(?:日|天|个月|年|周|小时)|期限|期间")),
    "amount": (re.compile(r"多少钱|多少|几倍|赔多少|比例|怎么算|如何计算|怎么计算|标准"),
               re.compile(r"百分之|[一二三四五六七八九十百千万\d]+(?:倍|元)|标准|计算")),
    "permission": (re.compile(r"能不能|能否|可以吗|可不可以|是否|合法吗|允许|能.{0,12}吗|要.{0,12}吗"),
                   re.compile(r"不得|禁止|可以|有权|应当")),
}


def kinds_of(question: str) -> list[str]:
    """The answer kinds a question asks for (several may apply).

    >>> kinds_of("试用期最长可以约定多久")
    ['duration', 'permission']
    """
    return [k for k, (q, _) in KINDS.items() if q.search(question)]


def match(kinds: list[str], text: str) -> int:
    return int(any(KINDS[k][1].search(text) for k in kinds))


def rows_for(home: str, path: str, crossfit: dict | None, statute_only: bool) -> list[dict]:
    from mixed_law_dev import load_items, rank_of  # noqa: F401
    from rag.expand import STATUTE_TYPES
    from rag.qa import Searcher
    from rag.retrieve import RetrieveConfig, retrieve
    from rag.textnorm import normalize, search_form
    from statute_kinds import is_law_question

    s = Searcher(home)
    index, emb = s.index(), s.embedder
    folded: dict[str, str] = {}
    out = []
    for it in load_items(path):
        if not statute_only and not is_law_question(index, it, folded):
            continue
        cfg = RetrieveConfig()
        fold = None
        if crossfit and str(it.qid) in crossfit["folds"]:
            fold = crossfit["folds"][str(it.qid)]
            cfg = dataclasses.replace(cfg, adapter=crossfit["paths"][fold])
        hits = retrieve(index, it.question, embedder=emb, k=20, config=cfg)
        hits = [h for h in hits if (h.meta or {}).get("doc_type") in STATUTE_TYPES]
        golds = [search_form(normalize(a)[0]) for a in it.answers]
        ks = kinds_of(it.question)
        out.append({"set": Path(path).stem, "qid": str(it.qid), "fold": fold, "kinds": ks,
                    "score": [h.score for h in hits], "match": [match(ks, h.chunk.text) for h in hits],
                    "gold": [int(any(g in search_form(h.chunk.text) for g in golds)) for h in hits]})
    return out


def hits_at(rows: list[dict], w: float, ks=(1, 5)) -> list[float]:
    res = []
    for k in ks:
        n = 0
        for r in rows:
            if not r["score"]:
                continue
            top = r["score"][0] or 1.0
            new = [s / top + w * m - i * 1e-6 for i, (s, m) in enumerate(zip(r["score"], r["match"]))]
            order = sorted(range(len(new)), key=lambda i: -new[i])[:k]
            n += any(r["gold"][i] for i in order)
        res.append(n / max(len(rows), 1))
    return res


GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stard-home", required=True)
    ap.add_argument("--stard-tune", required=True)
    ap.add_argument("--crossfit", required=True)
    ap.add_argument("--corpus-home", required=True)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--cache", default="/tmp/law_qtype_rows.json")
    a = ap.parse_args()
    cache = Path(a.cache)
    if cache.exists():
        rows = json.loads(cache.read_text())
    else:
        crossfit = json.loads(Path(a.crossfit).read_text())
        rows = rows_for(a.stard_home, a.stard_tune, crossfit, True)
        for p in a.set:
            rows += rows_for(a.corpus_home, p, None, False)
        cache.write_text(json.dumps(rows, ensure_ascii=False))
    tune = [r for r in rows if r["fold"] is not None]
    held, chosen = [], []
    for f in range(4):
        fit = [r for r in tune if r["fold"] != f]
        w = max(GRID, key=lambda w: (sum(hits_at(fit, w)), -w))
        chosen.append(w)
        held += [(r, w) for r in tune if r["fold"] == f]
    def score_pairs(pairs):
        return [sum(hits_at([r], w)[i] for r, w in pairs) / len(pairs) for i in range(2)]
    base = hits_at(tune, 0.0)
    print(f"STARD tune (31 laws, fold adapters), {len(tune)} q: base @1/@5 {base[0]:.3f}/{base[1]:.3f}; "
          f"CV w per fold {chosen}: {score_pairs(held)[0]:.3f}/{score_pairs(held)[1]:.3f}")
    for w in GRID:
        print(f"  in-sample w={w}: " + "/".join(f"{x:.3f}" for x in hits_at(tune, w)))
    w_all = max(GRID, key=lambda w: (sum(hits_at(tune, w)), -w))
    for st in sorted({r["set"] for r in rows if r["fold"] is None}):
        rs = [r for r in rows if r["set"] == st and r["fold"] is None]
        b, t = hits_at(rs, 0.0), hits_at(rs, w_all)
        print(f"{st} ({len(rs)} law q), w={w_all} chosen on tune: @1/@5 {b[0]:.3f}/{b[1]:.3f} -> {t[0]:.3f}/{t[1]:.3f}")
    print("questions with a kind:", sum(1 for r in rows if r["kinds"]), "of", len(rows))


if __name__ == "__main__":
    main()
