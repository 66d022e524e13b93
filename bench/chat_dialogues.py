"""Score dialogue JSONL through a running server's /v1/chat/completions with the full ``messages`` list.

This is how the issue's owners score follow-ups: each turn posts every earlier user question and the assistant
reply the server gave to it, then the new question. Metrics per first / follow-up turns, as `rag eval` names them:
answer-hit (a gold string inside a cited quote of ``rag.citations``; ``content`` = inside the reply text),
refusal precision/recall (``rag.answerable`` false = refused).

    rag serve --home HOME --port 8765 &
    python bench/chat_dialogues.py bench/data/dialogues_report.jsonl --url http://127.0.0.1:8765 [--out turns.jsonl]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import httpx

from rag.textnorm import normalize, search_form


def _norm(s: str) -> str:
    return search_form(normalize(s)[0])


def score_turns(rows: list[dict]) -> dict:
    ans = [r for r in rows if r["answerable_gold"]]
    unans = [r for r in rows if not r["answerable_gold"]]
    refused = [r for r in rows if not r["answerable"]]
    out = {"turns": len(rows), "answerable": len(ans), "unanswerable": len(unans)}
    if ans:
        out["answer_hit_quote"] = sum(r["hit_quote"] for r in ans) / len(ans)
        out["answer_hit_content"] = sum(r["hit_content"] for r in ans) / len(ans)
    if unans:
        out["refusal_precision"] = sum(not r["answerable_gold"] for r in refused) / len(refused) if refused else 0.0
        out["refusal_recall"] = sum(not r["answerable"] for r in unans) / len(unans)
    return out


def run(path: str, url: str, timeout: float = 60.0) -> list[dict]:
    rows = []
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            d = json.loads(line)
            messages: list[dict] = []
            for i, t in enumerate(d["turns"]):
                messages.append({"role": "user", "content": t["question"]})
                r = client.post("/v1/chat/completions", json={"model": "rag-zh", "messages": messages})
                r.raise_for_status()
                body = r.json()
                content = body["choices"][0]["message"]["content"]
                rag = body["rag"]
                golds = [_norm(g) for g in t["answers"]]
                ok = bool(rag["answerable"]) and bool(golds)
                rows.append({"id": f"{d.get('id', '')}#{i + 1}", "kind": "first" if i == 0 else "follow-up",
                             "question": t["question"], "search_question": rag.get("search_question", ""),
                             "answerable_gold": t["answerable"], "answerable": bool(rag["answerable"]),
                             "hit_quote": ok and any(g in _norm(c["quote"]) for g in golds for c in rag["citations"]),
                             "hit_content": ok and any(g in _norm(content) for g in golds), "content": content})
                messages.append({"role": "assistant", "content": content})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dialogues")
    ap.add_argument("--url", default="http://127.0.0.1:8765")
    ap.add_argument("--out", default=None, help="per-turn rows (JSONL)")
    a = ap.parse_args()
    rows = run(a.dialogues, a.url)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    res = {kind: score_turns([r for r in rows if r["kind"] == kind]) for kind in ("first", "follow-up")}
    json.dump({"dataset": a.dialogues, "url": a.url, **res}, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
