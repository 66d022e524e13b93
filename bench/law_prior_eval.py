"""Law dialogue sets answered with ``DialogueConfig(law_prior=w, law_prior_last=l)`` for several ``(w, l)``.

Each dialogue is answered turn by turn as ``rag eval`` answers it (``rag.dialogue.ask_in_context`` over
``rag.qa.ask``, history = the answers given), once per configuration, interleaved per dialogue (each starting with
an empty query-vector cache; each follow-up also asked alone afterwards, as ``rag eval`` does). Per set and
configuration: first turns and answerable follow-ups whose quote holds the gold, unanswerable follow-ups refused.
``--loro``: each set (a round) scored with the configuration the other sets chose (answerable follow-ups right,
then unanswerable ones refused). Fits nothing else.

    python bench/law_prior_eval.py FILE… --home HOME --configs 0:0 0.3:0.05 [--json out.json] [--loro]
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
from pathlib import Path

from rag import query_cache
from rag.dialogue import DialogueConfig, Turn, ask_in_context
from rag.embed import get_embedder
from rag.evaluate_dialogue import load_dialogues
from rag.index import open_index
from rag.qa import ask
from rag.textnorm import normalize, search_form


def _has(texts, golds) -> bool:
    return any(g in search_form(t) for g in golds for t in texts)


def _config(name: str) -> DialogueConfig:
    w, last = (float(x) for x in name.split(":"))
    return DialogueConfig(law_prior=w, law_prior_last=last)


def run(home: str, files: list[str], configs: list[str]) -> dict:
    index = open_index(home)
    one = functools.partial(ask, index, embedder=get_embedder(index.embedder_name), k=5)
    out: dict = {}
    for f in files:
        tallies = {c: collections.Counter() for c in configs}
        for d in load_dialogues(f):
            for name in configs:
                cfg, history, t = _config(name), [], tallies[name]
                query_cache._cache.clear()
                for i, turn in enumerate(d.turns):
                    a = ask_in_context(one, turn.question, history, config=cfg)
                    history.append(Turn(turn.question, a.answer, a.search_question))
                    if i:
                        one(turn.question)
                    golds = [search_form(normalize(g)[0]) for g in turn.answers if g.strip()]
                    kind = "first" if i == 0 else "follow"
                    if turn.answerable and golds:
                        t[f"{kind}_n"] += 1
                        t[f"{kind}_hit"] += a.answerable and _has([c.quote for c in a.citations], golds)
                    elif not turn.answerable:
                        t[f"{kind}_unans"] += 1
                        t[f"{kind}_refused"] += not a.answerable
        out[Path(f).stem] = {c: dict(v) for c, v in tallies.items()}
    return out


def table(results: dict) -> str:
    lines = ["| set | law prior (all:last) | first turns | follow-ups hit | unanswerable refused |", "|---|---|---|---|---|"]
    for name, by_c in results.items():
        for c, v in by_c.items():
            lines.append(f"| {name} | {c} | {v.get('first_hit', 0)}/{v.get('first_n', 0)} | "
                         f"{v.get('follow_hit', 0)}/{v.get('follow_n', 0)} | "
                         f"{v.get('follow_refused', 0)}/{v.get('follow_unans', 0)} |")
    return "\n".join(lines)


def loro(results: dict, base: str) -> str:
    """Each set scored with the configuration chosen on the others (follow-ups right, then refused, then the
    smallest weights); against ``base``."""
    lines = ["| held-out set | chosen on the others | follow-ups hit: base → chosen | refused: base → chosen |",
             "|---|---|---|---|"]
    tot = collections.Counter()
    for held in results:
        def key(c):
            rest = [results[s][c] for s in results if s != held]
            return (sum(v.get("follow_hit", 0) for v in rest), sum(v.get("follow_refused", 0) for v in rest),
                    -sum(float(x) for x in c.split(":")))
        best = max(results[held], key=key)
        b, c = results[held][base], results[held][best]
        for k in ("follow_hit", "follow_refused", "first_hit"):
            tot[f"b_{k}"] += b.get(k, 0)
            tot[f"c_{k}"] += c.get(k, 0)
        lines.append(f"| {held} | {best} | {b.get('follow_hit', 0)} → {c.get('follow_hit', 0)} | "
                     f"{b.get('follow_refused', 0)} → {c.get('follow_refused', 0)} |")
    lines.append(f"| ALL (out of round) | | {tot['b_follow_hit']} → {tot['c_follow_hit']} | "
                 f"{tot['b_follow_refused']} → {tot['c_follow_refused']} (first turns {tot['b_first_hit']} → "
                 f"{tot['c_first_hit']}) |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--home")
    ap.add_argument("--configs", nargs="+", default=["0:0", "0.3:0.05"])
    ap.add_argument("--json", default=None)
    ap.add_argument("--from-json", default=None, help="tables of an earlier run's --json")
    ap.add_argument("--loro", action="store_true")
    args = ap.parse_args()
    if not args.from_json and not (args.files and args.home):
        ap.error("give dialogue FILEs and --home (or --from-json)")
    if args.from_json:
        results = json.loads(Path(args.from_json).read_text(encoding="utf-8"))
    else:
        results = run(args.home, args.files, args.configs)
        if args.json:
            Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(results))
    if args.loro:
        if not results:
            ap.error("--loro needs at least one evaluated file")
        print()
        print(loro(results, next(iter(next(iter(results.values()))))))


if __name__ == "__main__":
    main()
