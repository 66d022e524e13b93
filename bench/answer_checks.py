"""What the round-7 answer checks drop, per development set: the off-topic place check on statute answers
(``--check place``, rag/statute_gate.py) and the asked-quantity check (``--check quantity``, rag/asked_quantity.py).

The check under test is replaced by a recorder that notes when it *would* fire and never vetoes, so every answer is
the unchecked one. For every answerable question of each set it asks, through ``rag.qa.ask`` like ``rag eval``: on
the full index (a firing there is a *false veto* when the checked text holds a gold span, else a dropped wrong
answer: *dropped_answerable*) and with the question's own documents removed (a firing there is a *catch*).
Unanswerable questions are asked once on the full index (a firing is a catch). Prints one JSON line per set and,
with ``--show``, every firing.

    python bench/answer_checks.py --check quantity --set bench/data/everyday_heldout6.jsonl:CORPUS_HOME \\
        --set bench/data/everyday_dev.jsonl:EVERYDAY_HOME --set STARD_TUNE.jsonl:STARD_HOME [--show]

Sets used to choose the check (development data; none is a report or round-7 held-out set): everyday_dev,
round 5's everyday_heldout, round 6's everyday_heldout6 and everyday_heldout6_docs, STARD's tune fold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import rag.answer as answer_mod  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_jsonl_items  # noqa: E402
from rag.evaluate import own_documents  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.qa import ask  # noqa: E402
from rag.textnorm import normalize, search_form  # noqa: E402

_FIRED: list = []  # (what fired, the text it read)
_CHECKS = {"place": "off_topic_place", "quantity": "missing_quantity"}


def install(check: str) -> None:
    """Replace ``check`` in rag.answer by a recorder that never vetoes."""
    name = _CHECKS[check]
    real = getattr(answer_mod, name)

    def recording(question, answer_or_text):
        v = real(question, answer_or_text)
        if v is not None:
            text = answer_or_text if isinstance(answer_or_text, str) else \
                "".join(c.text for c in answer_or_text.citations)
            _FIRED.append((v, text))
        return None

    setattr(answer_mod, name, recording)


def _ask(index, emb, q: str, doc_ids=None):
    _FIRED.clear()
    ask(index, q, embedder=emb, k=5, doc_ids=doc_ids)
    return _FIRED[0] if _FIRED else None


def measure(path: Path, home: Path, emb, show: bool = False) -> dict:
    index = open_index(home, embedder=emb)
    all_docs, folded = set(index.documents), {}
    out = {"set": path.name, "answerable": 0, "dropped_answerable": 0, "false_veto_gold": 0, "removed_asks": 0,
           "caught_removed": 0, "unanswerable": 0, "caught_unanswerable": 0}
    for it in read_jsonl_items(path):
        if not it.answerable:
            out["unanswerable"] += 1
            if fired := _ask(index, emb, it.question):
                out["caught_unanswerable"] += 1
                _show(show, "unanswerable", it, fired)
            continue
        out["answerable"] += 1
        if fired := _ask(index, emb, it.question):
            golds = [search_form(normalize(a)[0]) for a in it.answers]
            out["dropped_answerable"] += 1
            out["false_veto_gold"] += any(g in search_form(fired[1]) for g in golds)
            _show(show, "ANSWERABLE", it, fired)
        own = own_documents(index, it, folded)
        if own and all_docs - own:
            out["removed_asks"] += 1
            if fired := _ask(index, emb, it.question, sorted(all_docs - own)):
                out["caught_removed"] += 1
                _show(show, "removed", it, fired)
    return out


def _show(show: bool, what: str, it, fired) -> None:
    if show:
        v, text = fired
        print(f"  {what} {it.qid} {it.question} → {getattr(v, 'value', v)} / {text[:60]!r}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", action="append", required=True, metavar="FILE:HOME",
                    help="A JSONL question set and the index home it is asked of (repeatable).")
    ap.add_argument("--check", choices=sorted(_CHECKS), default="quantity", help="Which check to record.")
    ap.add_argument("--show", action="store_true", help="Print every firing.")
    args = ap.parse_args()
    install(args.check)
    emb = get_embedder("e5-small")
    for spec in args.set:
        file, _, home = spec.rpartition(":")
        if not file or not Path(file).exists() or not (Path(home) / "CURRENT").exists():
            ap.error(f"--set wants FILE:HOME with an existing file and index home, got {spec!r}")
        print(json.dumps(measure(Path(file), Path(home), emb, args.show), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
