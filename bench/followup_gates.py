"""Which gate refused each follow-up (round 13, issue 11): a diagnosis of refusals with the gold passage at hand.

Every dialogue is answered turn by turn as ``rag eval`` answers it (``rag.dialogue.ask_in_context`` over
``rag.qa.ask``, history = the answers given, the query-vector cache emptied per dialogue, each follow-up then asked
alone). The answer layer and the cascade's checks are wrapped (nothing changes what they return) so that each turn
records, in order, every answer built (question, top-5 gold flags, refusal probability and threshold, the near-miss
veto, the amount check) and every check that turned an answer into a refusal. Per follow-up the *first* refusal of
the first reading is its gate:

- ``model``: the refusal model's probability below its threshold (``model+gold``: with refusal off the quote would
  hold the gold);
- ``veto``: every quote dropped by :mod:`rag.constraints` (a place / year / office holder not in the passage);
- ``amount``: :mod:`rag.asked_quantity` (no amount of what 多少 asks);
- ``check:NAME``: the answer layer answered, then a :mod:`rag.followup` check (``check_swap``, ``check_value``,
  ``check_focus``, ``check_answer_type``, ``check_context``) refused it (``+gold``: the refused quote held the gold);
- ``missing``: a named article that does not exist (no answer built).

``--config KEY=VALUE`` answers with that :class:`rag.dialogue.DialogueConfig` field set (round 13's candidates:
``followup_threshold=0.03``, ``focus_frame=1``). Also recorded: the law-slot guard's general ranking refusing
(``general-ranking``), the statute model (``statute``), and whether a quote repeats the previous answer. Fits nothing.

    python bench/followup_gates.py FILE… --home HOME --out rows.jsonl [--config key=value …]
    python bench/followup_gates.py --table rows.jsonl…
"""

from __future__ import annotations

import argparse
import collections
import copy
import functools
import json
import sys
from pathlib import Path

import rag.answer as answer_mod
import rag.dialogue as dialogue_mod
import rag.incontext as incontext_mod
import rag.qa as qa_mod
from rag import query_cache
from rag.dialogue import DialogueConfig, Turn, ask_in_context, resolve
from rag.embed import get_embedder
from rag.evaluate_dialogue import load_dialogues
from rag.index import open_index
from rag.textnorm import normalize, search_form
sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import table_of_saved_rows  # noqa: E402

EV: list[dict] = []
_GOLDS: list[str] = []
_PREV = [""]  # the previous answer's text (search form): does a quote repeat it?
_STATE = {"off": False, "thr": None, "veto": False, "amount": False}
_CHECKS = ("check_swap", "check_value", "check_focus", "check_answer_type", "check_context")


def _has(text: str, golds) -> bool:
    t = search_form(text)
    return any(g in t for g in golds)


def _repeats(ans) -> bool:
    """Every quote of ``ans`` is in the previous answer (the answer layer would say the same sentence again)."""
    return bool(_PREV[0]) and all(search_form(c.quote) in _PREV[0] for c in ans.citations)


def _install() -> None:
    orig_load, orig_build = answer_mod.load_models, qa_mod.build_answer
    orig_miss, orig_qty = answer_mod.near_miss, answer_mod.missing_quantity

    def load(**kw):
        m = orig_load(**kw)
        _STATE["thr"] = float(m.refusal.threshold)
        if _STATE["off"]:
            m = copy.copy(m)
            r = copy.copy(m.refusal)
            object.__setattr__(r, "threshold", -1.0)
            object.__setattr__(m, "refusal", r)
        return m

    def miss(*a, **kw):
        v = orig_miss(*a, **kw)
        _STATE["veto"] |= v is not None
        return v

    def qty(*a, **kw):
        v = orig_qty(*a, **kw)
        _STATE["amount"] |= bool(v)
        return v

    def build(question, hits, **kw):
        _STATE.update(veto=False, amount=False, thr=None)
        res = orig_build(question, hits, **kw)
        ev = {"ev": "build", "q": question, "gold5": [int(_has(h.chunk.text, _GOLDS)) for h in hits[:5]],
              "answered": res.answerable, "p": res.confidence, "thr": _STATE["thr"], "veto": _STATE["veto"],
              "amount": _STATE["amount"], "statute": any(c.label for c in res.citations),
              "quote_gold": res.answerable and any(_has(c.quote, _GOLDS) for c in res.citations),
              "repeat": res.answerable and _repeats(res)}
        if not res.answerable and _STATE["thr"] is not None and not _STATE["off"]:
            _STATE["off"] = True
            try:
                off = orig_build(question, hits, **kw)
            finally:
                _STATE["off"] = False
            ev["off_gold"] = off.answerable and any(_has(c.quote, _GOLDS) for c in off.citations)
            ev["off_repeat"] = off.answerable and _repeats(off)
        EV.append(ev)
        return res

    answer_mod.load_models, answer_mod.near_miss, answer_mod.missing_quantity = load, miss, qty
    qa_mod.build_answer = build

    def wrap(mod, name):
        f = getattr(mod, name)

        @functools.wraps(f)
        def g(ans, *a, **kw):
            out = f(ans, *a, **kw)
            if ans.answerable and not out.answerable:
                EV.append({"ev": "check", "name": name,
                           "quote_gold": any(_has(c.quote, _GOLDS) for c in ans.citations)})
            return out
        setattr(mod, name, g)

    for n in _CHECKS:
        wrap(incontext_mod, n)
    orig_refuse = incontext_mod.refuse

    def refuse(ans):  # gate()'s own refusals: the floor, the topic named around, a number for 多少
        line = sys._getframe(1).f_lineno
        EV.append({"ev": "check", "name": f"gate@{line}", "quote_gold": ans.answerable and any(
            _has(c.quote, _GOLDS) for c in ans.citations)})
        return orig_refuse(ans)
    incontext_mod.refuse = refuse
    for name in ("_with_topic", "_near"):
        f = getattr(dialogue_mod, name)

        def g(*a, __f=f, __n=name, **kw):
            EV.append({"ev": "stage", "name": __n})
            return __f(*a, **kw)
        setattr(dialogue_mod, name, g)
    orig_sl = incontext_mod.SecondLook._read

    def read(self, ans, answer_as):
        EV.append({"ev": "stage", "name": "first_check"})
        return orig_sl(self, ans, answer_as)
    incontext_mod.SecondLook._read = read


def first_gate(evs: list[dict]) -> str:
    """The gate of the first reading's refusal (see the module doc); ``answered`` when it answered and passed."""
    stage = next((i for i, e in enumerate(evs) if e["ev"] == "stage"), len(evs))
    builds = [e for e in evs[:stage] if e["ev"] == "build"]  # the first reading (and the law-slot guard's ranking)
    if not builds:
        return "missing"
    b = builds[0]
    if not b["answered"]:
        if b["thr"] is None:
            return "statute"  # the statute answer model (rag.statute_answer) decided
        if (b["p"] or 0.0) < b["thr"]:
            return "model+gold" if b.get("off_gold") else "model"
        return "veto" if b["veto"] else "amount" if b["amount"] else "other-build"
    if len(builds) > 1 and not builds[-1]["answered"]:
        return "general-ranking"  # rag.qa._unless_general_refuses: the law-slot guard's general ranking refused
    for e in evs[stage:]:
        if e["ev"] == "build":
            break
        if e["ev"] == "check":
            return f"check:{e['name']}" + ("+gold" if e["quote_gold"] else "")
    return "answered"


def run(home: str, files: list[str], config: DialogueConfig, tag: str) -> list[dict]:
    index = open_index(home)
    one = functools.partial(qa_mod.ask, index, embedder=get_embedder(index.embedder_name), k=5)
    rows = []
    for f in files:
        for d in load_dialogues(f):
            history: list[Turn] = []
            query_cache._cache.clear()
            for i, turn in enumerate(d.turns):
                _GOLDS[:] = [search_form(normalize(g)[0]) for g in turn.answers if g.strip()]
                EV.clear()
                rw = resolve(turn.question, history, config=config) if i else None
                _PREV[0] = search_form(history[-1].answer) if history else ""
                a = ask_in_context(one, turn.question, history, config=config)
                evs = list(EV)
                history.append(Turn(turn.question, a.answer, a.search_question))
                if i:
                    one(turn.question)
                    b0 = next((e for e in evs if e["ev"] == "build"), None)
                    rows.append({
                        "set": f"{Path(f).stem}__{tag}", "id": f"{d.did}#{i + 1}",
                        "answerable": turn.answerable and bool(_GOLDS), "unanswerable": not turn.answerable,
                        "answered": a.answerable,
                        "hit": a.answerable and any(_has(c.quote, _GOLDS) for c in a.citations),
                        "rule": rw.rule + ("+ctx" if rw.context else ""),
                        "gold_at_hand": bool(b0 and any(b0["gold5"])), "gold_first": bool(b0 and b0["gold5"][:1] == [1]),
                        "gate": first_gate(evs), "p": b0["p"] if b0 else None, "thr": b0["thr"] if b0 else None,
                        "stages": [e["name"] for e in evs if e["ev"] == "stage"], "events": evs})
    return rows


ROUND = {"dialogues": "r1-4", "dialogues_dev": "r1-4", "dialogues_dev2": "r1-4", "dialogues_report": "r1-4",
         "dialogues_dev_corpus": "r1-4", "dialogues_heldout": "r5"}


def round_of(name: str) -> str:
    stem = name.split("__")[0]
    return ROUND.get(stem) or "r" + "".join(ch for ch in stem.removeprefix("dialogues_heldout") if ch.isdigit())


def table(rows: list[dict]) -> str:
    for r in rows:
        r["gate"] = first_gate(r["events"])
    ref = [r for r in rows if r["answerable"] and not r["answered"] and r["gold_at_hand"]]
    unans = [r for r in rows if r["unanswerable"] and not r["answered"]]
    gates = collections.Counter(r["gate"] for r in ref) + collections.Counter(r["gate"] for r in unans)
    out = [f"answerable follow-ups {sum(r['answerable'] for r in rows)}, hit {sum(r['hit'] for r in rows)}, "
           f"refused with gold in first reading's top 5: {len(ref)} (gold first {sum(r['gold_first'] for r in ref)}); "
           f"unanswerable {sum(r['unanswerable'] for r in rows)}, refused {len(unans)}", "",
           "| gate of the first reading | answerable refused, gold at hand | of them gold ranked 1st | "
           "unanswerable refused |", "|---|---|---|---|"]
    for g, _ in gates.most_common():
        out.append(f"| {g} | {sum(r['gate'] == g for r in ref)} | {sum(r['gate'] == g and r['gold_first'] for r in ref)}"
                   f" | {sum(r['gate'] == g for r in unans)} |")
    shapes = collections.Counter(r["rule"] for r in ref) + collections.Counter(r["rule"] for r in unans)
    top = [g for g, _ in collections.Counter(r["gate"] for r in ref).most_common(4)]
    out += ["", "| follow-up shape (rewrite rule) | answerable refused, gold at hand | " + " | ".join(top)
            + " | unanswerable refused |", "|---|---|" + "---|" * len(top) + "---|"]
    for s, _ in shapes.most_common():
        rs = [r for r in ref if r["rule"] == s]
        out.append(f"| {s} | {len(rs)} | " + " | ".join(str(sum(r['gate'] == g for r in rs)) for g in top)
                   + f" | {sum(r['rule'] == s for r in unans)} |")
    return "\n".join(out)


def main() -> None:
    if table_of_saved_rows(table):
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="+")
    ap.add_argument("--home", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--tag", default="")
    ap.add_argument("--config", nargs="*", default=[], help="DialogueConfig fields, key=value (floats)")
    args = ap.parse_args()
    cfg = DialogueConfig(**{k: float(v) for k, v in (x.split("=") for x in args.config)})
    _install()
    rows = run(args.home, args.files, cfg, args.tag or Path(args.home).name)
    Path(args.out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
