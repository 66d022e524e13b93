"""Development questions that name, anywhere, a law the index lacks (round 17, h5; README "Limits": a law named in
passing — 违反刑法吗, 违反了《…办法》，… — goes to ordinary retrieval).

Every development question (rounds <= 15: :func:`law_name_firings.development_files`; with ``--stard`` the STARD
tune fold too) is read against each index's titles: the names in a title's shape (:func:`rag.law_names.law_name_in`
from every candidate span, cut after the last word that relates something to a law) that resolve to no held title
and no law a held law repealed, the laws it names that the index holds, and whether round 16's subject rule
(:func:`rag.repealed.unheld_subject`) already fires. Printed one a line, to be judged by hand. No embedder, no
search.

    python bench/law_in_passing.py --index /tmp/lead/r17/m/corpus --stard
    python bench/law_in_passing.py --index /tmp/lead/r17/m/corpus /tmp/lead/r17/m/sample --stard --rule
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from law_name_firings import development_files, questions  # noqa: E402
from law_subject_firings import stard_questions  # noqa: E402

from rag.index import open_index  # noqa: E402
from rag.law_names import _SUFFIX_END, law_shape, law_subject, resolve_title, titles_named, without_lead  # noqa: E402
from rag.repealed import superseded_by, unheld_subject  # noqa: E402

#: words after which a law's name starts (the scan's cut; not a rule of the system)
_CUT = re.compile(r".*(?:违反|违背|触犯|按照|按|根据|依照|依据|参照|对照|适用|受到|受|属于|符合|不符合|是|在|了|和|与|及|或|、|，|的)")


def unheld_names(text: str, titles, index) -> list[str]:
    """The laws ``text`` names in a title's shape (:func:`rag.law_names.law_shape`: a 《title》, or the Chinese words
    before a law-name ending, cut after the last word that relates something to a law) that resolve to none of
    ``titles`` and were repealed by none."""
    names = [m.group(1) for m in re.finditer(r"《([^《》]{2,60})》", text)]
    for m in _SUFFIX_END.finditer(text):
        if text[m.end():m.end() + 1] in ("律", "院", "规", "人", "官", "庭", "制", "治", "理", "定"):
            continue  # 法律, 法院, 法规, 法人 …: not the end of a name
        run = re.search(r"[\u4e00-\u9fa5]{1,30}$", text[:m.start()])
        name = _CUT.sub("", (run.group(0) if run else "") + m.group(0))
        names.append(without_lead(name))
    out = []
    for name in names:
        if len(name) < 2 or not law_shape(name) or resolve_title(titles, name) or titles_named(titles, name) \
                or superseded_by(index, name) is not None:
            continue
        out.append(name)
    return list(dict.fromkeys(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", nargs="+", required=True)
    ap.add_argument("--max-round", type=int, default=15)
    ap.add_argument("--stard", action="store_true")
    ap.add_argument("--rule", action="store_true", help="print the round-17 rule's firings (rag.law_passing) instead")
    args = ap.parse_args()
    sets = [(p.name, questions(p)) for p in development_files(args.max_round)]
    if args.stard:
        sets.append(("stard_tune", stard_questions()))
    asked = [(name, row, turn, q) for name, qs in sets for row, turn, q in qs]
    for home in args.index:
        idx = open_index(home)
        titles = sorted({d.title for d in idx.documents.values()})
        n = 0
        for name, row, turn, q in asked:
            if args.rule:
                law = unheld_subject(idx, q, titles)[0]
                if law and not law_subject(q):
                    n += 1
                    print(f"[{Path(home).name}] {name} r{row} t{turn}: rule fires on {law!r} | {q}")
                continue
            if not (laws := unheld_names(q, titles, idx)):
                continue
            n += 1
            held = [t.replace("中华人民共和国", "") for t in titles_named(titles, q)]
            subject = unheld_subject(idx, q, titles)[0]
            print(f"[{Path(home).name}] {name} r{row} t{turn}: unheld={laws} held={held} "
                  f"subject_rule={'fires' if subject else '-'} | {q}")
        print(f"== {home}: {len(asked)} questions, {n} {'firings of the round-17 rule' if args.rule else 'name a law the index lacks'}")


if __name__ == "__main__":
    main()
