"""Weak (situation → article) pairs from judicial interpretations (round 9, issue 10; bench only).

The 司法解释 of the statute archive apply laws to situations: “患者依据民法典第一千二百一十八条规定主张医疗机构承担
赔偿责任的，应当提交…”. Each sentence that cites a law article gives a pair: the sentence with the citation phrase
removed (a situation, worded closer to a case than the statute is) → the cited article's passages in a rag index
of the whole archive (title + 第X条 label). Pairs are dropped when

* the cited law or article is not in the index (刑法修正案, self-references 本解释第X条, …);
* the situation is shorter than 12 characters once the citation is removed;
* **leak guard:** the source sentence holds a gold answer sentence of a STARD *report* question, or ≥ 50 % of a
  report question's character bigrams (so no report question or its gold text reaches the adapter's training).

    python bench/stard_weak_pairs.py --archive /tmp/lawx/lawrefbook --index FULL_HOME \
        --report stard_report.jsonl --out pairs.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NUM = "[一二三四五六七八九十百零千]+"
ARTICLE_LINE = re.compile(rf"^\s*(第{NUM}条)\s*(.*)")
LAW = r"《(?:中华人民共和国)?([^》〈〉]{2,30})》|(民法典|刑法|民事诉讼法|刑事诉讼法|行政诉讼法|公司法|劳动合同法|劳动法|合同法|物权法)"
CITE = re.compile(rf"(?:依照|依据|根据|适用|按照|违反|参照)?(?:{LAW})((?:(?:、|，|和|或者|及|以及|至)?第{NUM}条(?:第{NUM}款)?(?:第{NUM}项)?)+)"
                  rf"(?:(?:的)?规定)?")
ARTS = re.compile(rf"第{NUM}条")


def articles(text: str):
    """(label, text) of each 第X条 of a judicial interpretation."""
    label, buf = None, []
    for line in text.splitlines():
        m = ARTICLE_LINE.match(line)
        if m:
            if label:
                yield label, "\n".join(buf)
            label, buf = m.group(1), [m.group(2)]
        elif label and line.strip() and not line.lstrip().startswith("#"):
            buf.append(line.strip())
    if label:
        yield label, "\n".join(buf)


def pairs_of(text: str):
    """(situation, law name, [第X条]) for each citing sentence."""
    for _, body in articles(text):
        for sent in re.split(r"[。；\n]", body):
            cites = list(CITE.finditer(sent))
            if not cites:
                continue
            situation = CITE.sub("", sent)
            situation = re.sub(r"^(第[一二三四五六七八九十]+条\s*|（[一二三四五六七八九十]+）)", "", situation).strip("，、： ")
            for m in cites:
                law = m.group(1) or m.group(2)
                yield situation, law, list(dict.fromkeys(x for x in ARTS.findall(m.group(3))))


def bigrams(s: str) -> set[str]:
    s = re.sub(r"\W", "", s)
    return {s[i:i + 2] for i in range(len(s) - 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", required=True, help="the extracted lawrefbook folder")
    ap.add_argument("--index", required=True, help="a rag index of the whole archive (the adapter's index)")
    ap.add_argument("--report", required=True, help="stard_report.jsonl (leak guard only)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    from rag.index import open_index
    from rag.textnorm import normalize, search_form
    index = open_index(a.index)
    rows: dict[tuple[str, str], list[int]] = {}
    for r, c in enumerate(index.chunks):
        if c.article:
            rows.setdefault((index.documents[c.doc_id].title, c.article), []).append(r)
    titles = {t for t, _ in rows}
    report = [json.loads(x) for x in Path(a.report).read_text(encoding="utf-8").splitlines() if x.strip()]
    rq = [bigrams(r["question"]) for r in report]
    rgold = [search_form(normalize(s)[0]) for r in report for s in r.get("answers", []) if len(s) >= 8]
    stats = {"sentences": 0, "no_target": 0, "short": 0, "leak": 0, "kept": 0}
    out = []
    for path in sorted(Path(a.archive, "司法解释").rglob("*.md")):
        for situation, law, arts in pairs_of(path.read_text(encoding="utf-8")):
            stats["sentences"] += 1
            title = next((t for t in (law, "中华人民共和国" + law) if t in titles), None)
            gold = sorted({r for x in arts for r in rows.get((title, x), [])}) if title else []
            if not gold:
                stats["no_target"] += 1
                continue
            if len(situation) < 12:
                stats["short"] += 1
                continue
            sf, bg = search_form(situation), bigrams(situation)
            if any(g in sf for g in rgold) or any(q and len(q & bg) >= 0.5 * len(q) for q in rq):
                stats["leak"] += 1
                continue
            stats["kept"] += 1
            out.append({"text": situation[:300], "law": title, "articles": arts, "rows": gold,
                        "source": path.stem})
    Path(a.out).write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in out), encoding="utf-8")
    print(json.dumps(stats, ensure_ascii=False))


if __name__ == "__main__":
    main()
