"""Are a code change's conversation answers identical? Dump every development dialogue's answers, then compare dumps.

Every turn of every development dialogue set (rounds <= 13; never a validation or held-out set) is answered the way
``rag eval`` answers it (:func:`rag.dialogue.ask_in_context`, hybrid, k=5, the history built from the answers given),
and what a user or a script sees of each answer is written out: the answer text, the citations (chunk, document,
quote, offsets, label), ``search_question`` and whether it was refused. Article dialogues are run on the sample and
``corpus/`` indexes, law dialogues on ``corpus/``, and with ``--docs DIR`` each round K's ``_docs`` dialogues on its
document-held-out index ``DIR/rK`` (``python bench/heldoutK_docs.py build --home DIR/rK``; ``--sets`` names the
files; default: all of them by round).

    python bench/dialogue_identical.py dump --sample HOME --corpus HOME [--docs DIR] --out before.json   # old code
    python bench/dialogue_identical.py dump --sample HOME --corpus HOME --out after.json    # on the new code
    python bench/dialogue_identical.py compare before.json after.json                       # exit 1 on any change

The dump also counts the query embeddings (encoder calls and texts) each follow-up cost, so the same run shows a
cost change; the comparison reads only the answers. Nothing is scored here (``rag eval`` does that).
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
DATA = ROOT / "bench" / "data"
_ROUND = re.compile(r"heldout(\d+)")
#: The last development round (round 14's sets are validation, later ones held out).
LAST = 13


def development_sets(max_round: int = LAST) -> tuple[list[Path], list[Path]]:
    """(article dialogue files, law dialogue files) of rounds <= ``max_round`` in bench/data (no ``_docs`` sets: those
    need their own document-held-out indexes, :func:`docs_sets`)."""
    article, law = [], []
    for p in sorted(DATA.glob("dialogues*.jsonl")):
        m = _ROUND.search(p.stem)
        if (m and int(m.group(1)) > max_round) or p.stem.endswith("_docs"):
            continue
        (law if p.stem.endswith("_laws") else article).append(p)
    return article, law


def docs_sets() -> dict[int, Path]:
    """Round -> its ``dialogues_heldoutK_docs.jsonl`` (rounds <= :data:`LAST`)."""
    out = {}
    for p in sorted(DATA.glob("dialogues_heldout*_docs.jsonl")):
        k = int(_ROUND.search(p.stem).group(1))
        if k <= LAST:
            out[k] = p
    return out


def answer_record(a) -> dict:
    """What is compared of one answer: text, refused or not, what was searched, and each citation."""
    return {"answer": a.answer, "refused": not a.answerable, "search_question": a.search_question,
            "citations": [{"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "quote": c.quote,
                           "quote_start": c.quote_start, "quote_end": c.quote_end, "label": c.label,
                           "score": round(float(c.score), 6)} for c in a.citations],
            "confidence": None if a.confidence is None else round(float(a.confidence), 6)}


class _Counting:
    """Counts a real embedder's query encoder calls and texts (passes everything through)."""

    def __init__(self, inner):
        self.inner, self.name, self.dim, self.fingerprint = inner, inner.name, inner.dim, inner.fingerprint
        self.calls = self.texts = 0

    def embed_queries(self, texts):
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed_queries(texts)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def dump_one(home: str, files: list[Path]) -> dict:
    """Answers of every dialogue of ``files`` on the index at ``home``, turn by turn, with encoder counts."""
    from rag.dialogue import Turn, ask_in_context, warm_up
    from rag.embed import get_embedder
    from rag.evaluate_dialogue import load_dialogues
    from rag.qa import Searcher

    probe = Searcher(home)
    emb = _Counting(get_embedder(probe.index().embedder_name))
    searcher = Searcher(home, embedder=emb)
    warm_up()
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    out = {}
    for path in files:
        rows = []
        for d in load_dialogues(path):
            history = []
            for i, t in enumerate(d.turns):
                calls, texts = emb.calls, emb.texts
                a = ask_in_context(ask, t.question, history)
                rows.append({**answer_record(a), "turn": i, "encoder_calls": emb.calls - calls,
                             "encoder_texts": emb.texts - texts})
                history.append(Turn(t.question, a.answer, a.search_question))
        out[path.name] = rows
        print(f"  {path.name}: {len(rows)} turns", file=sys.stderr, flush=True)
    return out


def dump(args) -> None:
    article, law = development_sets(args.max_round)
    if args.sets:
        keep = set(args.sets)
        article, law = [p for p in article if p.name in keep], [p for p in law if p.name in keep]
    t0 = time.time()
    res = {"sample": dump_one(args.sample, article) if args.sample else {},
           "corpus": dump_one(args.corpus, article + law) if args.corpus else {}}
    if args.docs:
        for k, p in docs_sets().items():
            if (args.sets is None or p.name in keep) and (Path(args.docs) / f"r{k}").is_dir():
                res[f"docs_r{k}"] = dump_one(str(Path(args.docs) / f"r{k}"), [p])
    Path(args.out).write_text(json.dumps(res, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"wrote {args.out} ({time.time() - t0:.0f} s)", file=sys.stderr)


_ANSWER_KEYS = ("answer", "refused", "search_question", "citations", "confidence")


def compare(a: dict, b: dict) -> tuple[int, list[str]]:
    """(turns compared, differences) between two dumps: every answer field of every turn."""
    n, diffs = 0, []
    for home in sorted(set(a) | set(b)):
        for name in sorted(set(a.get(home, {})) | set(b.get(home, {}))):
            ra, rb = a.get(home, {}).get(name), b.get(home, {}).get(name)
            if ra is None or rb is None or len(ra) != len(rb):
                diffs.append(f"{home}/{name}: present in one dump only or of another length")
                continue
            for k, (x, y) in enumerate(zip(ra, rb)):
                n += 1
                for key in _ANSWER_KEYS:
                    if x[key] != y[key]:
                        diffs.append(f"{home}/{name} row {k} (turn {x['turn']}): {key} differs")
    return n, diffs


def _encoder(d: dict) -> str:
    rows = [r for h in d.values() for f in h.values() for r in f if r["turn"] > 0]
    if not rows:
        return "no follow-ups"
    return (f"{len(rows)} follow-ups: {sum(r['encoder_calls'] for r in rows) / len(rows):.3f} encoder calls, "
            f"{sum(r['encoder_texts'] for r in rows) / len(rows):.3f} texts each")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump", help="answer every development dialogue; write the answers as JSON")
    d.add_argument("--sample", default=None, help="data dir of the sample-article index (article dialogues)")
    d.add_argument("--corpus", default=None, help="data dir of the corpus/ index (article and law dialogues)")
    d.add_argument("--docs", default=None, help="folder of the document-held-out indexes rK (the _docs dialogues)")
    d.add_argument("--sets", nargs="*", default=None, help="only these dialogue files (names in bench/data)")
    d.add_argument("--max-round", type=int, default=LAST,
                   help=f"the last development round whose dialogue sets are read (default {LAST})")
    d.add_argument("--out", required=True)
    c = sub.add_parser("compare", help="compare two dumps; exit 1 when any answer differs")
    c.add_argument("before")
    c.add_argument("after")
    args = ap.parse_args()
    if args.cmd == "dump":
        return dump(args)
    a, b = (json.loads(Path(p).read_text(encoding="utf-8")) for p in (args.before, args.after))
    n, diffs = compare(a, b)
    print(f"before: {_encoder(a)}\nafter:  {_encoder(b)}")
    print(f"{n} turns compared, {len(diffs)} differ")
    for line in diffs[:50]:
        print("  " + line)
    raise SystemExit(1 if diffs or not n else 0)


if __name__ == "__main__":
    main()
