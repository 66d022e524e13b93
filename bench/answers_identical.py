"""Are a code change's single-question answers identical? Dump them, then compare dumps (round 16, issue 11).

Every question of the development single-question sets (rounds <= 14: ``sample_eval``, ``calibration_sample``,
``english_eval``, ``everyday_dev``, ``everyday_heldout{,6..14}``; never ``_docs``, round 15 or later) is asked the
way ``rag eval`` asks it (hybrid, k=5) on each index given, and what a user sees is written out
(:func:`dialogue_identical.answer_record`: answer text, refused, ``search_question``, confidence, citations).

    python bench/answers_identical.py dump --home SAMPLE_HOME --home CORPUS_HOME --out before.json   # old code
    python bench/answers_identical.py dump --home SAMPLE_HOME --home CORPUS_HOME --out after.json    # new code
    python bench/dialogue_identical.py compare before.json after.json                            # exit 1 on change
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dialogue_identical import answer_record  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"
_ROUND = re.compile(r"heldout(\d+)")
LAST = 14


def question_sets(max_round: int = LAST) -> list[Path]:
    """Development single-question files of rounds <= ``max_round`` (no ``_docs`` sets)."""
    out = []
    for p in sorted(DATA.glob("*.jsonl")):
        if p.stem.startswith("dialogues") or p.stem.endswith("_docs"):
            continue
        m = _ROUND.search(p.stem)
        if m and int(m.group(1)) > max_round:
            continue
        out.append(p)
    return out


def dump_home(home: str, files: list[Path]) -> dict:
    from rag.qa import Searcher

    searcher = Searcher(home)
    out = {}
    for path in files:
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                a = searcher.ask(json.loads(line)["question"], k=5, mode="hybrid")
                rows.append({**answer_record(a), "turn": 0})
        out[path.name] = rows
        print(f"  {path.name}: {len(rows)} questions", file=sys.stderr, flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["dump"])
    ap.add_argument("--home", action="append", required=True, help="an index data dir (repeat)")
    ap.add_argument("--max-round", type=int, default=LAST)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t0, files = time.time(), question_sets(args.max_round)
    res = {home: dump_home(home, files) for home in args.home}
    Path(args.out).write_text(json.dumps(res, ensure_ascii=False, indent=0), encoding="utf-8")
    print(f"wrote {args.out} ({time.time() - t0:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
