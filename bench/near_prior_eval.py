"""Dialogue sets answered with ``DialogueConfig(near_prior=w)`` for several ``w``, in one process per index.

Each dialogue is answered turn by turn as ``rag eval`` answers it (``rag.dialogue.ask_in_context`` over
``rag.qa.ask``, history = the answers given), once per weight; per set and weight: first turns and answerable
follow-ups whose quote holds the gold, follow-ups whose cited passage holds it, unanswerable follow-ups refused.
The weights are interleaved per dialogue (each starting with an empty query-vector cache, and each follow-up
also asked alone afterwards as ``rag eval`` does, so the cache holds what it holds there). Fits nothing.

    python bench/near_prior_eval.py FILE… --home HOME --weights 0 0.3 [--json out.json]

(a weight below 0: ``DialogueConfig(near_join=True)`` instead)
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


def run(home: str, files: list[str], weights: list[float], **config) -> dict:
    index = open_index(home)
    one = functools.partial(ask, index, embedder=get_embedder(index.embedder_name), k=5)
    out: dict = {}
    for f in files:
        tallies = {w: collections.Counter() for w in weights}
        for d in load_dialogues(f):
            for w in weights:
                cfg = DialogueConfig(near_join=True, **config) if w < 0 else DialogueConfig(near_prior=w, **config)
                history, t = [], tallies[w]
                query_cache._cache.clear()  # each weight starts the dialogue with nothing remembered
                for i, turn in enumerate(d.turns):
                    a = ask_in_context(one, turn.question, history, config=cfg)
                    history.append(Turn(turn.question, a.answer, a.search_question))
                    if i:  # as rag eval does: the follow-up asked alone too (its vector is then remembered)
                        one(turn.question)
                    golds = [search_form(normalize(g)[0]) for g in turn.answers if g.strip()]
                    kind = "first" if i == 0 else "follow"
                    if turn.answerable and golds:
                        t[f"{kind}_n"] += 1
                        t[f"{kind}_hit"] += a.answerable and _has([c.quote for c in a.citations], golds)
                        t[f"{kind}_passage"] += a.answerable and _has([c.text for c in a.citations], golds)
                    elif not turn.answerable:
                        t[f"{kind}_unans"] += 1
                        t[f"{kind}_refused"] += not a.answerable
        out[Path(f).stem] = {str(w): dict(c) for w, c in tallies.items()}
    return out


def table(results: dict) -> str:
    lines = ["| set | weight | first turns | follow-ups hit | cited passage | unanswerable refused |",
             "|---|---|---|---|---|---|"]
    for name, by_w in results.items():
        for w, c in by_w.items():
            f = lambda a, b: f"{c.get(a, 0) / c[b]:.3f}" if c.get(b) else "–"  # noqa: E731
            lines.append(f"| {name} | {w} | {f('first_hit', 'first_n')} | {f('follow_hit', 'follow_n')} "
                         f"({c.get('follow_hit', 0)}/{c.get('follow_n', 0)}) | {f('follow_passage', 'follow_n')} | "
                         f"{c.get('follow_refused', 0)}/{c.get('follow_unans', 0)} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--home", required=True)
    ap.add_argument("--weights", nargs="+", type=float, default=[0.0, 0.3])
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    results = run(args.home, args.files, args.weights)
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    main()
