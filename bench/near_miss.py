"""Near-miss constraint check (:mod:`rag.constraints`): what it catches and what it wrongly vetoes.

Two steps, so that the check can be changed and re-scored without re-asking:

    python bench/near_miss.py collect --out /tmp/nm      # asks every DEVELOPMENT question once, check disabled,
                                                         # and records what the check would see (~5 min, 2 cores)
    python bench/near_miss.py score --out /tmp/nm        # per set: answered unanswerables caught, answerables vetoed

Sets (development data only — never the round-6 held-out files ``bench/data/*heldout6*``):
everyday_dev (its own index, ``bench/everyday_dev.py build``), everyday_heldout / english_eval / sample_eval
(shipped corpus index), the dialogue development files (sample index; the ``*_laws``/``*_corpus`` files on the
corpus index), CMRC2018 *trial* and the DRCD dev *tune* half (their own dataset indexes, ``rag eval`` builds them).
Indexes are given with ``--everyday --corpus --sample --calhome`` (defaults: the round-5 artifacts' copies).

Stated target (fixed before the final measurement): on each set, vetoes of answerable questions whose quote held the
gold answer ≤ 1 % of its answerable questions; every veto of an answerable question is reported too.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
SHARED = ROOT.parent / "shared" / "data"
DIALOGUES_SAMPLE = ["dialogues.jsonl", "dialogues_dev.jsonl", "dialogues_dev2.jsonl", "dialogues_heldout.jsonl",
                    "dialogues_report.jsonl"]
DIALOGUES_CORPUS = ["dialogues_dev_corpus.jsonl", "dialogues_heldout_laws.jsonl", "dialogues_report_laws.jsonl"]
TARGET_FALSE_VETO = 0.01


class Recorder:
    """Stands in for :func:`rag.constraints.violation` in :mod:`rag.answer`: records its inputs, never vetoes."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, question, quote, passage, title="", gloss=False):
        self.calls.append({"q": question, "quote": quote, "passage": passage, "title": title, "gloss": gloss})
        return None


def _row(name: str, qid: str, question: str, gold: bool, golds: list[str], ans, calls: list[dict]) -> dict:
    from rag.textnorm import normalize, search_form

    quotes = [c.quote for c in ans.citations] if ans.answerable else []
    last = {}  # the latest call per quoted sentence: the final build_answer's
    for c in calls:
        if c["quote"] and any(c["quote"] in q for q in quotes):
            last[c["quote"]] = c
    g = [search_form(normalize(a)[0]) for a in golds]
    hit = ans.answerable and any(x in search_form(c.quote) for x in g for c in ans.citations)
    return {"set": name, "id": qid, "question": question, "search_question": ans.search_question or ans.question,
            "gold": gold, "answerable": ans.answerable, "hit_quote": bool(hit), "calls": list(last.values())}


def _flat(name: str, path: Path | None, index, embedder, rec: Recorder, items=None) -> list[dict]:
    from rag.eval_data import load_dataset
    from rag.qa import ask

    if items is None:
        _, items = load_dataset(path)
    rows = []
    for it in items:
        rec.calls.clear()
        ans = ask(index, it.question, embedder=embedder, k=5, mode="hybrid")
        rows.append(_row(name, it.qid, it.question, it.answerable, it.answers, ans, rec.calls))
    return rows


def _dialogues(name: str, path: Path, index, embedder, rec: Recorder) -> list[dict]:
    import functools

    from rag.dialogue import Turn, ask_in_context
    from rag.evaluate_dialogue import load_dialogues
    from rag.qa import ask

    one = functools.partial(ask, index, embedder=embedder, k=5, mode="hybrid")
    rows = []
    for d in load_dialogues(path):
        history: list = []
        for i, t in enumerate(d.turns):
            rec.calls.clear()
            a = ask_in_context(one, t.question, history)
            kind = "first" if i == 0 else "follow"
            rows.append(_row(f"{name}/{kind}", f"{d.did}#{i + 1}", t.question, t.answerable, t.answers, a, rec.calls))
            history.append(Turn(t.question, a.answer, a.search_question))
    return rows


def collect(args) -> None:
    import rag.answer
    from rag.embed import get_embedder
    from rag.eval_data import load_dataset
    from rag.evaluate import dataset_index
    from rag.index import open_index

    rec = Recorder()
    rag.answer.near_miss = rec
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs = []
    idx = {k: open_index(getattr(args, k)) for k in ("everyday", "corpus", "sample")}
    emb = get_embedder(idx["corpus"].embedder_name)
    jobs.append(("everyday_dev", lambda: _flat("everyday_dev", DATA / "everyday_dev.jsonl", idx["everyday"], emb, rec)))
    for f in ("everyday_heldout.jsonl", "english_eval.jsonl", "sample_eval.jsonl"):
        jobs.append((f[:-6], lambda f=f: _flat(f[:-6], DATA / f, idx["corpus"], emb, rec)))
    for f in DIALOGUES_SAMPLE + DIALOGUES_CORPUS:
        ix = idx["corpus"] if f in DIALOGUES_CORPUS else idx["sample"]
        jobs.append((f[:-6], lambda f=f, ix=ix: _dialogues(f[:-6], DATA / f, ix, emb, rec)))
    for name, path in (("cmrc_trial", SHARED / "cmrc2018" / "cmrc2018_trial.json"), ("drcd_tune", Path(args.drcd))):
        def squad(name=name, path=path):
            docs, items = load_dataset(path)
            ix = dataset_index(docs, embedder=emb, progress=False, root=Path(args.calhome))
            return _flat(name, None, ix, emb, rec, items=items[:args.limit] if args.limit else items)
        jobs.append((name, squad))
    for name, job in jobs:
        if args.only and name not in args.only:
            continue
        rows = job()
        with open(out / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        print(f"{name}: {len(rows)} rows", file=sys.stderr, flush=True)


def score(args) -> dict:
    from rag.constraints import violation
    from rag.select import CROSSLINGUAL_CJK, cjk_share

    table = {}
    for p in sorted(Path(args.out).glob("*.jsonl")):
        groups: dict[str, list[dict]] = {}
        for line in p.open(encoding="utf-8"):
            r = json.loads(line)
            groups.setdefault(r["set"], []).append(r)
        for name, rows in groups.items():
            t = {"answerable": 0, "answered_ans": 0, "vetoed_ans": 0, "vetoed_hit": 0,
                 "unanswerable": 0, "answered_unans": 0, "caught": 0, "vetoes": []}
            for r in rows:
                t["answerable" if r["gold"] else "unanswerable"] += 1
                if not r["answerable"] or not r["calls"]:
                    continue
                vs = [violation(c["q"], c["quote"], c["passage"], c["title"], gloss=c.get("gloss", c["q"] != r["question"] and cjk_share(r["question"]) < CROSSLINGUAL_CJK))
                      for c in r["calls"]]
                v = vs[0] if all(vs) else None  # every quote contradicted: refused (else the others are kept)
                c = r["calls"][0]
                if r["gold"]:
                    t["answered_ans"] += 1
                    t["vetoed_ans"] += v is not None
                    t["vetoed_hit"] += v is not None and r["hit_quote"]
                else:
                    t["answered_unans"] += 1
                    t["caught"] += v is not None
                if v is not None:
                    t["vetoes"].append(f"{'FALSE ' if r['gold'] else 'caught'} {r['id']} {c['q']} [{v.kind}:{v.value}]")
            table[name] = t
    print(f"{'set':30s} {'answerable':>10s} {'vetoed':>6s} {'right':>5s} {'right%':>6s} | "
          f"{'unanswerable':>12s} {'answered':>8s} {'caught':>6s}")
    for name, t in table.items():
        rate = t["vetoed_hit"] / t["answerable"] if t["answerable"] else 0.0
        flag = "" if rate <= TARGET_FALSE_VETO else "  ✘ target"
        print(f"{name:30s} {t['answerable']:10d} {t['vetoed_ans']:6d} {t['vetoed_hit']:5d} {rate:6.1%} | "
              f"{t['unanswerable']:12d} {t['answered_unans']:8d} {t['caught']:6d}{flag}")
    print("vetoed: answerable questions whose every quote was vetoed; right: of them, quotes that held the gold answer\n"
          "(the target: right% <= 1 % per set); answered: unanswerable questions answered by the general answerer\n"
          "(statute answers are not checked); caught: of them, vetoed.")
    if args.verbose:
        for name, t in table.items():
            for v in t["vetoes"]:
                print(f"  {name}: {v}")
    return table


def places(args) -> None:
    """Write ``rag/data/places.json``: Chinese place names (provinces, cities) from jieba's dictionary.

    Every ``ns`` (place) word ending in 省/市/自治区 gives its base name (杭州市 → 杭州); bases that are common
    words with another tag (东方, 中和) end in a numeral (东北三省 → 东北三) or
    are X城 of X城市 and no word themselves (周边城市 → 周边城) are dropped.
    """
    import os

    import jieba

    tags: dict[str, tuple[str, int]] = {}
    rows = [line.split() for line in open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8")]
    for w, f, t in rows:
        tags[w] = (t, int(f))
    names = set(EXTRA_PLACES)
    for w, _, t in rows:
        for suf in ("自治区", "省", "市"):
            base = w[:-len(suf)]
            if t == "ns" and w.endswith(suf) and len(base) >= 2:
                tag, freq = tags.get(base, ("ns", 0))
                if not (tag != "ns" and freq >= 1000) and base[-1] not in "一二三四五六七八九十" and base[0] != "非" \
                        and not (w.endswith("城市") and base not in tags):  # 周边城市 → 周边城
                    names.add(base)
                break
    path = ROOT / "rag" / "data" / "places.json"
    path.write_text(json.dumps(sorted(names), ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{path}: {len(names)} places", file=sys.stderr)


#: regions jieba's dictionary does not write with 省/市
EXTRA_PLACES = ("香港", "澳门", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("step", choices=["collect", "score", "places"])
    ap.add_argument("--out", default="/tmp/near_miss")
    ap.add_argument("--everyday", default="/tmp/r6h5/everyday")
    ap.add_argument("--corpus", default="/tmp/r6h5/corpus")
    ap.add_argument("--sample", default="/tmp/r6h5/sample")
    ap.add_argument("--calhome", default="/tmp/r6h5/calhome", help="data dir whose eval/ holds the dataset indexes")
    ap.add_argument("--drcd", default="/tmp/cal/sets/drcd_dev_tune.json")
    ap.add_argument("--only", nargs="*", help="collect only these sets")
    ap.add_argument("--limit", type=int, default=0, help="first N questions of CMRC trial / DRCD tune")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every veto")
    args = ap.parse_args(argv)
    {"collect": collect, "score": score, "places": places}[args.step](args)


if __name__ == "__main__":
    main()
