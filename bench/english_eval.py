"""English questions against a Chinese index: quote hits and refusals with and without the CC-CEDICT gloss.

    python bench/english_eval.py --home <index of corpus/> [--data bench/data/english_eval.jsonl]

The questions (``bench/data/english_eval.jsonl``) were written for evaluation about the sample article
(answerable: the answer string is in the Chinese text) plus unanswerable ones (off-topic, or on topic
but not in the article); nothing was fitted or chosen on them. Prints one JSON object per variant:
``gloss`` (what ``rag ask`` does: lexical features on the rag.gloss Chinese terms) and ``no_gloss`` (an
ablation: the same cross-lingual models fed the English wording, so every lexical feature is zero).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag import answer  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_jsonl_items  # noqa: E402
from rag.evaluate import score_answer  # noqa: E402
from rag.index import open_index  # noqa: E402
from rag.qa import ask  # noqa: E402


def run(index, items, embedder, use_gloss: bool, show: bool) -> dict:
    real = answer._glossed
    if not use_gloss:
        answer._glossed = lambda q, hits: None
    try:
        ans_n = quote = refused_ans = unans = refused_unans = 0
        for it in items:
            a = ask(index, it.question, embedder=embedder)
            s = score_answer(it, a)
            if it.answerable:
                ans_n += 1
                quote += s["quote_hit"]
                refused_ans += s["refused"]
            else:
                unans += 1
                refused_unans += s["refused"]
            if show:
                print(f"  {it.qid} {'R' if s['refused'] else ' '} {'+' if s['correct'] else '-'} {a.confidence:.2f} "
                      f"{it.question[:50]} → {a.answer[:50]}", file=sys.stderr)
    finally:
        answer._glossed = real
    refused = refused_ans + refused_unans
    return {"answerable": ans_n, "quote_hit": quote / max(ans_n, 1), "refused_answerable": refused_ans / max(ans_n, 1),
            "unanswerable": unans, "refusal_recall": refused_unans / max(unans, 1),
            "refusal_precision": refused_unans / refused if refused else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--home", required=True, help="Index of the shipped corpus (rag index corpus/).")
    ap.add_argument("--data", default=str(ROOT / "bench" / "data" / "english_eval.jsonl"))
    ap.add_argument("--show", action="store_true", help="Print every question and reply (stderr).")
    args = ap.parse_args()
    index = open_index(args.home)
    embedder = get_embedder(index.embedder_name)
    items = read_jsonl_items(Path(args.data))
    for name, use in (("gloss", True), ("no_gloss", False)):
        print(json.dumps({"variant": name, **run(index, items, embedder, use, args.show)}))


if __name__ == "__main__":
    main()
