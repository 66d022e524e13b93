"""Entity veto (issue 9, round 17 candidate — failed its keep rule, not in ``rag/``): the question's name must be quoted.

A CMRC2018 question is about one entity (a person, a species, a work). With its own article removed from the index,
the answerer may still quote a sentence of another article; the near-miss check (:mod:`rag.constraints`) does not
see that, since it reads years, places and offices only. This candidate adds one more constraint:

- the question's *names* — words jieba's HMM finds that are not in its dictionary (FREQ < ``RARE``; 软枝 of 软枝黄蝉,
  茨柏克沃斯), trimmed where they run into a common word or a function character, at least 2 characters; and every
  《…》/“…”/「…」 title and Latin word of ≥ 3 letters — must each occur in the quote's passage or its document title,
  compared in simplified script, lower case, the name also with Taiwan phrasing mapped to mainland.

English questions (their Chinese gloss) are not checked. It does not retrieve, score or choose sentences.
Scoring re-reads rows collected with the check off (``bench/entity_rows.py``, ``bench/near_miss.py collect``):

    python bench/entity_veto.py --rows DIR     # per set: right answers vetoed, removed-article recall
        [--ceiling cmrc_trial=../shared/data/cmrc2018/cmrc2018_trial.json]  # what an oracle name could catch
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: a dictionary word with fewer occurrences than this is a name (1: only words jieba's dictionary lacks)
RARE = 1
#: characters that end or start a common word, not a name (an HMM token 黄华麒是 is the name 黄华麒)
FUNC = ("是有现因所把时内何哪多大在为的了被和与及其此该这那几么什谁一二三四五六七八九十前后中上下里年月日个位次首名将"
        "让给向从于到对以或而且就都也还又再很最更能会可要想应该")
_QUOTED = re.compile(r"《([^》]{1,40})》|“([^”]{2,30})”|「([^」]{2,30})」|\"([^\"]{2,30})\"")
_LATIN = re.compile(r"[A-Za-z][A-Za-z0-9\-.]{2,}")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def _common(text: str) -> bool:
    from rag.tokenize import jieba_tokenizer

    return jieba_tokenizer().FREQ.get(text, 0) >= 100


@functools.lru_cache(maxsize=4096)
def names(question: str) -> tuple[str, ...]:
    """The question's names (simplified script): quoted titles, Latin words, and words not in jieba's dictionary."""
    from rag.textnorm import to_simplified
    from rag.tokenize import jieba_tokenizer

    q = to_simplified(question)
    out = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(q)]
    rest = _QUOTED.sub("，", q)
    out += _LATIN.findall(rest)
    tk = jieba_tokenizer()
    pos = 0
    for w in tk.cut(rest, HMM=True):
        i, j = pos, pos + len(w)
        pos = j
        if not _CJK.match(w) or tk.FREQ.get(w, 0) >= RARE:
            continue
        while j - i >= 2 and any(_common(rest[j - 1:j - 1 + n]) for n in (2, 3)):  # 尔|出生: the name ends before
            j -= 1
        while j - i >= 2 and i > 0 and any(_common(rest[i + 1 - n:i + 1]) for n in (2, 3)):
            i += 1
        w = rest[i:j].strip(FUNC)
        if len(w) >= 2 and not any(ch in FUNC for ch in w):
            out.append(w)
    return tuple(dict.fromkeys(out))


def missing_name(question: str, passage: str, title: str = "") -> str | None:
    """The first of the question's names that neither the passage nor the title holds, or None (no veto).

    The passage is folded once (simplified, lower case; :func:`rag.textnorm.folded` remembers it); a name matches in
    its own form or with Taiwan phrasing mapped to mainland (雪梨 → 悉尼).
    """
    from rag.textnorm import folded, to_mainland

    found = names(question)
    if not found:
        return None
    passage, title = folded(passage), folded(title)
    for n in found:
        forms = {n.lower(), to_mainland(n).lower()}
        if not any(f in passage or f in title for f in forms):
            return n
    return None


def _vetoed(r: dict, entity: bool) -> bool:
    """Every final quote of row ``r`` contradicted (the answer becomes the refusal)."""
    from rag.constraints import violation

    english = r["calls"][0]["q"] != r["question"]
    out = []
    for c in r["calls"]:
        v = violation(c["q"], c["quote"], c["passage"], c["title"], gloss=c.get("gloss", False)) is not None
        if entity and not v and not english:
            v = missing_name(c["q"], c["passage"], c["title"]) is not None
        out.append(v)
    return all(out)


def score(rows_dir: Path, verbose: bool = False) -> dict[str, dict]:
    """Per set: answerable questions, right answers vetoed, (removed sets) refusals before → after the entity veto."""
    table: dict[str, dict] = {}
    spent, spent_before, checks = 0.0, 0.0, 0
    missing_name("软枝黄蝉的别名是什么？", "黄蝉")  # load jieba and the phrase tables before timing
    for p in sorted(rows_dir.glob("*.jsonl")):
        for line in p.open(encoding="utf-8"):
            r = json.loads(line)
            t = table.setdefault(r["set"], {"n": 0, "gold_ans": 0, "answered": 0, "vetoed_before": 0,
                                            "vetoed_after": 0, "right_vetoed": 0, "wrong_vetoed": 0, "new": [],
                                            "unans_answered": 0, "unans_before": 0, "unans_after": 0})
            t["n"] += 1
            t["gold_ans"] += r["gold"]
            if not r["answerable"] or not r["calls"]:
                continue
            t["answered"] += 1
            t0 = time.perf_counter()
            before = _vetoed(r, False)
            spent_before += time.perf_counter() - t0
            t0 = time.perf_counter()
            after = _vetoed(r, True)
            spent += time.perf_counter() - t0
            checks += len(r["calls"])
            t["vetoed_before"] += before
            t["vetoed_after"] += after
            if not r["gold"]:
                t["unans_answered"] += 1
                t["unans_before"] += before
                t["unans_after"] += after
            if after and not before:
                if r["gold"]:
                    t["right_vetoed" if r["hit_quote"] else "wrong_vetoed"] += 1
                t["new"].append(f"{'FALSE' if r['gold'] else 'caught'} {r['id']} {r['question']} "
                                f"[{missing_name(r['calls'][0]['q'], r['calls'][0]['passage'], r['calls'][0]['title'])}]")
    print(f"{'set':32s} {'n':>5s} {'answered':>8s} {'vetoed before→after':>20s} {'right vetoed':>12s} "
          f"{'wrong vetoed':>12s} {'refused (unans.) before→after':>30s}")
    for name, t in table.items():
        unans = t["n"] - t["gold_ans"]
        refused = f"{(unans - t['unans_answered'] + t['unans_before']) / unans:.3f} → " \
                  f"{(unans - t['unans_answered'] + t['unans_after']) / unans:.3f}" if unans else "-"
        right = f"{t['right_vetoed']} ({t['right_vetoed'] / max(t['gold_ans'], 1):.1%})" if t["gold_ans"] else "-"
        print(f"{name:32s} {t['n']:5d} {t['answered']:8d} {t['vetoed_before']:9d} → {t['vetoed_after']:<8d} "
              f"{right:>12s} {t['wrong_vetoed']:12d} {refused:>30s}")
        if verbose:
            for s in t["new"]:
                print("    " + s)
    print(f"per quote, mean over {checks} quotes: near-miss check {1000 * spent_before / max(checks, 1):.3f} ms, "
          f"near-miss + entity {1000 * spent / max(checks, 1):.3f} ms (a question's names are cached)")
    return table


def ceiling(rows_dir: Path, name: str, squad: Path) -> dict[str, int]:
    """An oracle name veto's reach on ``NAME_removed``: the own article's title as the name.

    Counts the removed-article asks that were answered, those whose question contains the own article's title
    (its "(…)" qualifier dropped), and of those the ones where no quote's passage or title holds it — what a perfect
    name extractor could veto at most; and on the full-index asks, right answers it would veto.
    """
    from rag.textnorm import folded

    title = {}
    for art in json.loads(squad.read_text(encoding="utf-8"))["data"]:
        for p in art["paragraphs"]:
            for qa in p["qas"]:
                title[str(qa["id"])] = folded(re.sub(r"\s*\(.*\)$", "", art.get("title", "")))
    rows = [json.loads(line) for line in (rows_dir / f"{name}.jsonl").open(encoding="utf-8")]

    def absent(r):
        return all(title[r["id"]] not in folded(c["title"] + "\n" + c["passage"]) for c in r["calls"])

    removed = [r for r in rows if r["set"] == f"{name}_removed"]
    answered = [r for r in removed if r["answerable"] and r["calls"]]
    named = [r for r in answered if title[r["id"]] in folded(r["question"])]
    own = [r for r in rows if r["set"] == name and r["answerable"] and r["calls"] and r["hit_quote"]]
    out = {"removed": len(removed), "answered": len(answered), "names_own_title": len(named),
           "oracle_catch": sum(map(absent, named)),
           "oracle_right_vetoed": sum(absent(r) for r in own if title[r["id"]] in folded(r["question"]))}
    print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in out.items()))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", required=True, help="folder of row files (bench/entity_rows.py)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every new veto (development data only)")
    ap.add_argument("--ceiling", action="append", default=[], help="NAME=SQUAD_FILE: the oracle-title ceiling too")
    args = ap.parse_args(argv)
    score(Path(args.rows), args.verbose)
    for spec in args.ceiling:
        name, path = spec.split("=", 1)
        ceiling(Path(args.rows), name, Path(path))


if __name__ == "__main__":
    main()
