"""What conversations cost and whether standalone questions pass through.

1. Rewrite cost: every follow-up turn of bench/data/dialogues.jsonl answered in
   context (rag.dialogue.ask_in_context: rewrite + retrieve + answer + checks, and the second reading of
   rag.incontext when the first is refused) against
   the same standalone question asked alone (rag.qa.ask), interleaved in the
   same run, ``--rounds`` times; p50/p95 of both and of the rewrite step alone.
2. Pass-through: questions that stand alone (bench/data/sample_eval.jsonl and
   CMRC2018 trial questions), each asked after another question as history;
   the share left unchanged by the rewriter (rag.dialogue.resolve), and the share also searched with the
   conversation's context (rag.context: a second retrieval that re-ranks the question's own candidates).
3. The same sample_eval questions answered alone and in a conversation (after the
   previous question and its answer): the follow-up checks of rag.followup run on
   every turn with history, so this shows whether standalone questions lose anything.

    python bench/bench_dialogue.py [--home index] [--rounds 5] [--out bench/results/dialogue.md]
                                   [--no-context-search] [--readings N] [--previous-search] [--no-neighbourhood] [--neighbourhood-search]
                                   [--focus-frame 0|1]
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from pathlib import Path

import numpy as np

from rag.context import DEPTH, context_prior, split_shown
from rag.dialogue import DialogueConfig, Turn, ask_in_context, resolve, warm_up
from rag.evaluate_dialogue import load_dialogues
from rag.qa import Searcher
from rag.retrieve import retrieve

ROOT = Path(__file__).resolve().parents[1]


def _p(xs, q):
    return float(np.percentile(xs, q))


def rewrite_cost(searcher: Searcher, rounds: int, config: DialogueConfig = DialogueConfig(),
                 clock=time.perf_counter) -> dict:
    dialogues = load_dialogues(ROOT / "bench/data/dialogues.jsonl")
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    in_ctx, alone, rewrite, cpu, with_context, prior_cpu = [], [], [], [], [], []
    for _ in range(rounds):
        for d in dialogues:
            history: list[Turn] = []
            for i, t in enumerate(d.turns):
                if i:  # the rewrite's own CPU time, immune to other jobs on the machine
                    c0 = time.process_time()
                    resolve(t.question, history)
                    cpu.append((time.process_time() - c0) * 1000)
                t0 = clock()
                a = ask_in_context(ask, t.question, history, config=config)
                t1 = clock()
                if i:
                    ask(split_shown(a.search_question))
                    t2 = clock()
                    in_ctx.append((t1 - t0) * 1000)
                    alone.append((t2 - t1) * 1000)
                    with_context.append(split_shown(a.search_question) != a.search_question)
                    if with_context[-1]:  # the context prior's own CPU time (rag.context), on the same candidates
                        prior_cpu.append(_prior_cpu(searcher, split_shown(a.search_question), history))
                    rewrite.append(a.timings_ms["rewrite"] + a.timings_ms["check"])
                history.append(Turn(t.question, a.answer))
    ctx_in = [x for x, c in zip(in_ctx, with_context) if c]
    ctx_alone = [x for x, c in zip(alone, with_context) if c]
    ctx = {"context_turns": len(ctx_in), "context_in_p50": _p(ctx_in, 50) if ctx_in else 0.0,
           "context_in_p95": _p(ctx_in, 95) if ctx_in else 0.0, "context_alone_p50": _p(ctx_alone, 50) if ctx_in else 0.0,
           "context_alone_p95": _p(ctx_alone, 95) if ctx_in else 0.0,
           "prior_cpu_p50": _p(prior_cpu, 50) if prior_cpu else 0.0, "prior_cpu_p95": _p(prior_cpu, 95) if prior_cpu else 0.0}
    return {**ctx, "turns": len(in_ctx), "in_context_p50": _p(in_ctx, 50), "in_context_p95": _p(in_ctx, 95),
            "alone_p50": _p(alone, 50), "alone_p95": _p(alone, 95), "rewrite_p50": _p(rewrite, 50),
            "rewrite_p95": _p(rewrite, 95), "rewrite_max": max(rewrite), "rewrite_cpu_p50": _p(cpu, 50),
            "rewrite_cpu_p95": _p(cpu, 95)}


def _prior_cpu(searcher: Searcher, question: str, history: list[Turn]) -> float:
    """CPU ms of :func:`rag.context.context_prior` for ``question`` over its own top candidates."""
    idx = searcher.index()
    hits = retrieve(idx, question, embedder=searcher.embedder, k=DEPTH)
    text = f"{question} {resolve(question, history).context}"
    c0 = time.process_time()
    context_prior(idx, [h.chunk.chunk_id for h in hits], text)
    return (time.process_time() - c0) * 1000


def pass_through() -> dict:
    out = {}
    sample = [json.loads(x)["question"] for x in (ROOT / "bench/data/sample_eval.jsonl").read_text().splitlines()
              if x.strip()]
    sets = {"sample_eval.jsonl": sample}
    trial = ROOT.parent / "shared/data/cmrc2018/cmrc2018_trial.json"
    if trial.exists():
        data = json.loads(trial.read_text(encoding="utf-8"))
        sets["CMRC2018 trial"] = [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]
                                  if qa["question"].strip()][:1000]
    for name, qs in sets.items():
        changed, context = [], 0
        for prev, q in zip(qs[-1:] + qs[:-1], qs):  # each question after another one, with its "answer"
            r = resolve(q, [Turn(prev, prev)])
            context += bool(r.context)
            if r.search_question != q:
                changed.append((q, r.search_question, r.rule))
        out[name] = {"questions": len(qs), "unchanged": 1 - len(changed) / len(qs), "changed": changed[:10],
                     "context": context / len(qs)}
    return out


def standalone_in_conversation(searcher: Searcher, config: DialogueConfig = DialogueConfig()) -> dict:
    """sample_eval.jsonl questions asked alone vs. each asked after the previous one (with its real answer): the
    follow-up checks (rag.followup) also run on turns that were not rewritten, so answers may differ."""
    rows = [json.loads(x) for x in (ROOT / "bench/data/sample_eval.jsonl").read_text().splitlines() if x.strip()]
    ask = functools.partial(searcher.ask, k=5, mode="hybrid")
    out = {"alone": [], "in conversation": []}
    prev = None
    for r in rows:
        alone = ask(r["question"])
        history = [Turn(prev["question"], prev["answer"].answer)] if prev else []
        ctx = ask_in_context(ask, r["question"], history, config=config)
        for kind, a in (("alone", alone), ("in conversation", ctx)):
            hit = a.answerable and any(g in c.quote for g in r["answers"] for c in a.citations)
            out[kind].append((r["answerable"], a.answerable, hit, a.answer))
        prev = {"question": r["question"], "answer": alone}
    res = {}
    for kind, xs in out.items():
        ans = [x for x in xs if x[0]]
        unans = [x for x in xs if not x[0]]
        res[kind] = {"answer_hit_quote": sum(x[2] for x in ans) / len(ans),
                     "refusal_recall": sum(not x[1] for x in unans) / len(unans) if unans else None}
    res["changed"] = sum(a[3] != b[3] for a, b in zip(out["alone"], out["in conversation"]))
    res["questions"] = len(rows)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", default=None)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-context-search", action="store_true", help="DialogueConfig(context_search=False)")
    ap.add_argument("--previous-search", action="store_true", help="DialogueConfig(previous_search=True)")
    ap.add_argument("--readings", type=int, default=DialogueConfig().readings, help="DialogueConfig(readings=N)")
    ap.add_argument("--no-neighbourhood", action="store_true", help="DialogueConfig(neighbourhood=False)")
    ap.add_argument("--neighbourhood-search", action="store_true", help="DialogueConfig(neighbourhood_search=True)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: elapsed time (default); cpu: CPU time of this process (all its threads), which other "
                         "processes on a shared machine inflate far less (round 14)")
    ap.add_argument("--cost-only", action="store_true", help="only the cost table (no pass-through or sample_eval)")
    ap.add_argument("--focus-frame", type=int, default=None, help="DialogueConfig(focus_frame=0|1) (round 13)")
    args = ap.parse_args()
    config = DialogueConfig(context_search=not args.no_context_search, readings=args.readings,
                            previous_search=args.previous_search, neighbourhood=not args.no_neighbourhood,
                            neighbourhood_search=args.neighbourhood_search,
                            **({} if args.focus_frame is None else {"focus_frame": bool(args.focus_frame)}))
    searcher = Searcher(args.home)
    warm_up()
    searcher.ask("温州人工智能局做什么")
    cost = rewrite_cost(searcher, args.rounds, config, time.perf_counter if args.clock == "wall" else time.process_time)
    if args.cost_only:
        return print(_cost_table(cost, args.clock))
    passing = pass_through()
    conv = standalone_in_conversation(searcher, config)
    lines = [_cost_table(cost, args.clock), "",
             "| standalone questions, each after another question | questions | left unchanged | also searched with context |",
             "|---|---|---|---|"]
    lines += [f"| {k} | {v['questions']} | {v['unchanged']:.4f} | {v['context']:.4f} |" for k, v in passing.items()]
    lines += ["", f"| sample_eval.jsonl ({conv['questions']} questions) | answer-hit (quote) | refusal recall |",
              "|---|---|---|"]
    lines += [f"| {k} | {conv[k]['answer_hit_quote']:.4f} | {conv[k]['refusal_recall']:.4f} |"
              for k in ("alone", "in conversation")]
    lines += [f"| answers that differ | {conv['changed']} | |"]
    report = "\n".join(lines)
    print(report)
    for k, v in passing.items():
        for q, s, rule in v["changed"]:
            print(f"  changed ({k}, {rule}): {q} → {s}")
    if args.out:
        Path(args.out).write_text(report + "\n", encoding="utf-8")


def _cost_table(cost: dict, clock: str = "wall") -> str:
    """The cost table of :func:`rewrite_cost` (markdown)."""
    lines = [f"| what ({clock} clock) | p50 ms | p95 ms |", "|---|---|---|",
             f"| follow-up turn in context (rewrite + retrieve + answer), {cost['turns']} turns | "
             f"{cost['in_context_p50']:.1f} | {cost['in_context_p95']:.1f} |",
             f"| the same standalone question asked alone | {cost['alone_p50']:.1f} | {cost['alone_p95']:.1f} |",
             f"| rewrite + answer checks + second reading (rag.incontext) alone (max {cost['rewrite_max']:.2f}) | {cost['rewrite_p50']:.2f} | "
             f"{cost['rewrite_p95']:.2f} |",
             f"| rewrite alone, CPU time (process_time) | {cost['rewrite_cpu_p50']:.2f} | {cost['rewrite_cpu_p95']:.2f} |",
             f"| **added p95** | | **{cost['in_context_p95'] - cost['alone_p95']:+.1f}** |",
             f"| of these, {cost['context_turns']} turns also searched with the context (rag.context) | "
             f"{cost['context_in_p50']:.1f} | {cost['context_in_p95']:.1f} |",
             f"| the same {cost['context_turns']} questions asked alone | {cost['context_alone_p50']:.1f} | "
             f"{cost['context_alone_p95']:.1f} |",
             f"| context prior alone, CPU time (process_time) | {cost['prior_cpu_p50']:.2f} | {cost['prior_cpu_p95']:.2f} |",
             f"| **added p95 on context turns** (ratio p50 {cost['context_in_p50'] / max(cost['context_alone_p50'], 1e-9):.2f}) | | "
             f"**{cost['context_in_p95'] - cost['context_alone_p95']:+.1f}** |"]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
