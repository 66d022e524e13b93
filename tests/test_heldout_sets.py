"""The held-out evaluation sets (docs/heldout.md) are well-formed and every gold answer is in the corpus text.

Cheap checks only (no index, no model): each gold span occurs verbatim in the document(s) the set is about,
and also in the matching form `rag eval` compares in (normalised, mainland simplified, lower-case), so a
miss in the measured numbers is the system's, not a typo in the set.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from pathlib import Path

import pytest

from rag.textnorm import normalize, search_form

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
ARTICLE = (ROOT / "corpus" / "changsanjiao-ai-2026.md").read_text(encoding="utf-8")
LAWS = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus" / "laws").rglob("*.md")))


def _rows(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@functools.cache
def _form(s: str) -> str:
    return search_form(normalize(s)[0])


def _check_turn(turn: dict, text: str, where: str) -> None:
    assert isinstance(turn["question"], str) and turn["question"].strip(), where
    assert turn["answerable"] is bool(turn["answers"]), f"{where}: answerable must match a non-empty answers list"
    for gold in turn["answers"]:
        assert gold in text, f"{where}: gold {gold!r} is not in the text"
        assert _form(gold) in _form(text), f"{where}: gold {gold!r} is not in the text as rag eval matches it"


@pytest.mark.parametrize("name, text, min_dialogues", [
    ("dialogues_heldout.jsonl", ARTICLE, 30),
    ("dialogues_heldout_laws.jsonl", LAWS, 10),
    ("dialogues_heldout6.jsonl", ARTICLE, 30),
    ("dialogues_heldout6_laws.jsonl", LAWS, 10),
    ("dialogues_heldout7.jsonl", ARTICLE, 30),
    ("dialogues_heldout7_laws.jsonl", LAWS, 20),
    ("dialogues_heldout8.jsonl", ARTICLE, 30),
    ("dialogues_heldout8_laws.jsonl", LAWS, 20),
    ("dialogues_heldout9.jsonl", ARTICLE, 30),
    ("dialogues_heldout9_laws.jsonl", LAWS, 20),
    ("dialogues_heldout10.jsonl", ARTICLE, 30),
    ("dialogues_heldout10_laws.jsonl", LAWS, 20),
    ("dialogues_heldout11.jsonl", ARTICLE, 30),
    ("dialogues_heldout11_laws.jsonl", LAWS, 20),
    ("dialogues_heldout12.jsonl", ARTICLE, 30),
    ("dialogues_heldout12_laws.jsonl", LAWS, 20),
    ("dialogues_heldout13.jsonl", ARTICLE, 30),
    ("dialogues_heldout13_laws.jsonl", LAWS, 20),
    ("dialogues_heldout14.jsonl", ARTICLE, 30),
    ("dialogues_heldout14_laws.jsonl", LAWS, 20),
    ("dialogues_heldout15.jsonl", ARTICLE, 30),
    ("dialogues_heldout15_laws.jsonl", LAWS, 20),
    ("dialogues_heldout16.jsonl", ARTICLE, 30),
    ("dialogues_heldout16_laws.jsonl", LAWS, 20),
    ("dialogues_heldout17.jsonl", ARTICLE, 30),
    ("dialogues_heldout17_laws.jsonl", LAWS, 20),
    ("dialogues_heldout18.jsonl", ARTICLE, 30),
    ("dialogues_heldout18_laws.jsonl", LAWS, 20),
    ("dialogues_heldout19.jsonl", ARTICLE, 30),
    ("dialogues_heldout19_laws.jsonl", LAWS, 20),
    ("dialogues_heldout20.jsonl", ARTICLE, 30),
    ("dialogues_heldout20_laws.jsonl", LAWS, 20),
])
def test_dialogue_sets(name, text, min_dialogues):
    rows = _rows(name)
    assert len(rows) >= min_dialogues
    assert len({r["id"] for r in rows}) == len(rows), "dialogue ids must be unique"
    follow_ups = []
    for r in rows:
        # R13L12 and R13L14 were committed with 5 turns (docs/heldout13.md); held-out sets are not edited after it
        most = 5 if name == "dialogues_heldout13_laws.jsonl" and r["id"] in ("R13L12", "R13L14") else 4
        assert 2 <= len(r["turns"]) <= most, f"{r['id']}: 2-4 turns"
        assert r["turns"][0]["answerable"], f"{r['id']}: the first turn sets the topic and is answerable"
        for i, t in enumerate(r["turns"]):
            _check_turn(t, text, f"{name} {r['id']} turn {i + 1}")
        follow_ups += r["turns"][1:]
    unanswerable = sum(not t["answerable"] for t in follow_ups)
    assert 0.1 <= unanswerable / len(follow_ups) <= 0.3, "about a fifth of the follow-ups are unanswerable"


@pytest.mark.parametrize("name, min_answerable, min_unanswerable",
                         [("everyday_heldout.jsonl", 50, 10), ("everyday_heldout6.jsonl", 45, 8),
                          ("everyday_heldout7.jsonl", 45, 8), ("everyday_heldout8.jsonl", 45, 8),
                          ("everyday_heldout9.jsonl", 45, 8), ("everyday_heldout10.jsonl", 45, 8),
                          ("everyday_heldout11.jsonl", 45, 8), ("everyday_heldout12.jsonl", 45, 8),
                          ("everyday_heldout13.jsonl", 45, 8), ("everyday_heldout14.jsonl", 45, 8),
                          ("everyday_heldout15.jsonl", 45, 8), ("everyday_heldout16.jsonl", 45, 8),
                          ("everyday_heldout17.jsonl", 45, 8), ("everyday_heldout18.jsonl", 45, 8),
                          ("everyday_heldout19.jsonl", 45, 8), ("everyday_heldout20.jsonl", 45, 8)])
def test_everyday_set(name, min_answerable, min_unanswerable):
    rows = _rows(name)
    assert len({r["id"] for r in rows}) == len(rows), "question ids must be unique"
    answerable = [r for r in rows if r["answerable"]]
    assert len(answerable) >= min_answerable and len(rows) - len(answerable) >= min_unanswerable
    assert sum(r["question"].isascii() for r in answerable) >= 5, "some questions are in English"
    for r in rows:
        _check_turn(r, ARTICLE + "\n\n" + LAWS, f"{name.removesuffix('.jsonl')} {r['id']}")


# --- round 6 (docs/heldout6.md) ---------------------------------------------------------------------------------

def _script(name: str):
    """A bench/ script (``name``.py) loaded as a module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_everyday_heldout6_docs_set_shape():
    rows = _rows("everyday_heldout6_docs.jsonl")
    assert len({r["id"] for r in rows}) == len(rows), "question ids must be unique"
    answerable = [r for r in rows if r["answerable"]]
    assert len(answerable) >= 60 and len(rows) - len(answerable) >= 10
    assert sum(r["question"].isascii() for r in answerable) >= 5, "some questions are in English"
    mod = _script("everyday_heldout6")
    expected = {f"law:{n}" for n in mod.LAWS} | {f"cmrc:{i}" for i in mod.CMRC_IDS}
    assert {r["doc"] for r in rows} == expected, "every listed document has questions and vice versa"
    shipped = {p.name for p in (ROOT / "corpus" / "laws").rglob("*.md")}
    assert not {n.rsplit("/", 1)[-1] for n in mod.LAWS} & shipped, "no law of the set is shipped in corpus/laws"


def test_everyday_heldout6_docs_gold_spans():
    mod = _script("everyday_heldout6")
    if not (mod.ARCHIVE.exists() and mod.CMRC_DEV.exists()):
        pytest.skip(f"needs {mod.ARCHIVE} and {mod.CMRC_DEV} (the 16 documents are not committed)")
    docs = mod.documents()
    for r in _rows("everyday_heldout6_docs.jsonl"):
        _check_turn(r, docs[r["doc"]], f"everyday_heldout6_docs {r['id']}")
    assert mod.check() == []


# --- rounds 7-20 (docs/heldout7.md … docs/heldout20.md) ----------------------------------------------------------


@pytest.mark.parametrize("rnd", [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
def test_docs_sets_shape(rnd):
    mod = _script(f"heldout{rnd}_docs")
    rows = _rows(f"everyday_heldout{rnd}_docs.jsonl")
    assert len({r["id"] for r in rows}) == len(rows), "question ids must be unique"
    answerable = [r for r in rows if r["answerable"]]
    assert len(answerable) >= 60 and len(rows) - len(answerable) >= 10
    assert sum(r["question"].isascii() for r in answerable) >= 5, "some questions are in English"
    expected = {f"law:{n}" for n in mod.LAWS} | {f"cmrc:{i}" for i in mod.CMRC_IDS}
    assert {r["doc"] for r in rows} == expected, "every listed document has questions and vice versa"
    dialogues = _rows(f"dialogues_heldout{rnd}_docs.jsonl")
    assert len(dialogues) >= 10 and all(2 <= len(d["turns"]) <= 4 and d["turns"][0]["answerable"] for d in dialogues)
    assert {t["doc"] for d in dialogues for t in d["turns"]} <= expected
    follow_ups = [t for d in dialogues for t in d["turns"][1:]]
    assert 0.1 <= sum(not t["answerable"] for t in follow_ups) / len(follow_ups) <= 0.3


def test_heldout7_docs_held_out_by_document():
    """None of the 16 documents is shipped or in a development or round-6 set."""
    mod, r6, dev = _script("heldout7_docs"), _script("everyday_heldout6"), _script("everyday_dev")
    shipped = {p.name for p in (ROOT / "corpus" / "laws").rglob("*.md")}
    names = {n.rsplit("/", 1)[-1] for n in mod.LAWS}
    assert not names & shipped
    assert not set(mod.LAWS) & (set(r6.LAWS) | set(dev.LAWS)) and not set(mod.CMRC_IDS) & set(r6.CMRC_IDS)


def test_heldout8_docs_held_out_by_document():
    """None of the 16 is shipped, in everyday_dev or in the sets of rounds 6 and 7 (no version of the laws)."""
    mod = _script("heldout8_docs")
    earlier = [_script(n) for n in ("everyday_dev", "everyday_heldout6", "heldout7_docs")]
    shipped = {p.stem for p in (ROOT / "corpus" / "laws").rglob("*.md")}
    used = {n.rsplit("/", 1)[-1].split("(")[0] for m in earlier for n in m.LAWS} | {n.split("(")[0] for n in shipped}
    assert not {n.rsplit("/", 1)[-1].split("(")[0] for n in mod.LAWS} & used, "no version of these laws was used before"
    assert not set(mod.CMRC_IDS) & {i for m in earlier[1:] for i in m.CMRC_IDS}


def test_heldout9_docs_held_out_by_document():
    """None of the 16 is shipped, in everyday_dev or in the sets of rounds 6-8 (no version of the laws)."""
    mod = _script("heldout9_docs")
    earlier = [_script(n) for n in ("everyday_dev", "everyday_heldout6", "heldout7_docs", "heldout8_docs")]
    shipped = {p.stem for p in (ROOT / "corpus" / "laws").rglob("*.md")}
    used = {n.rsplit("/", 1)[-1].split("(")[0] for m in earlier for n in m.LAWS} | {n.split("(")[0] for n in shipped}
    assert not {n.rsplit("/", 1)[-1].split("(")[0] for n in mod.LAWS} & used, "no version of these laws was used before"
    assert not set(mod.CMRC_IDS) & {i for m in earlier[1:] for i in m.CMRC_IDS}


@pytest.mark.parametrize("rnd", [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
def test_docs_held_out_by_document(rnd):
    """None of the 16 is shipped, in everyday_dev or in the sets of the earlier rounds (no version of the laws)."""
    mod = _script(f"heldout{rnd}_docs")
    earlier = [_script(n) for n in ("everyday_dev", "everyday_heldout6",
                                    *(f"heldout{r}_docs" for r in range(7, rnd)))]
    shipped = {p.stem for p in (ROOT / "corpus" / "laws").rglob("*.md")}
    used = {n.rsplit("/", 1)[-1].split("(")[0] for m in earlier for n in m.LAWS} | {n.split("(")[0] for n in shipped}
    assert not {n.rsplit("/", 1)[-1].split("(")[0] for n in mod.LAWS} & used, "no version of these laws was used before"
    assert not set(mod.CMRC_IDS) & {i for m in earlier[1:] for i in m.CMRC_IDS}


@pytest.mark.parametrize("rnd", [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
def test_docs_gold_spans(rnd):
    mod = _script(f"heldout{rnd}_docs")
    if not (mod.ARCHIVE.exists() and mod.CMRC_DEV.exists()):
        pytest.skip(f"needs {mod.ARCHIVE} and {mod.CMRC_DEV} (the 16 documents are not committed)")
    docs = mod.documents()
    for r in _rows(f"everyday_heldout{rnd}_docs.jsonl"):
        _check_turn(r, docs[r["doc"]], f"everyday_heldout{rnd}_docs {r['id']}")
    for d in _rows(f"dialogues_heldout{rnd}_docs.jsonl"):
        for i, t in enumerate(d["turns"]):
            _check_turn(t, docs[t["doc"]], f"dialogues_heldout{rnd}_docs {d['id']} turn {i + 1}")
    assert mod.check() == []


# --- round 12 (docs/heldout12.md): no question repeats one of any other set ------------------------------------------

_R12 = ("dialogues_heldout12.jsonl", "dialogues_heldout12_laws.jsonl", "everyday_heldout12.jsonl",
        "everyday_heldout12_docs.jsonl", "dialogues_heldout12_docs.jsonl")


def _questions(name: str) -> list[str]:
    return [t["question"] for r in _rows(name) for t in r.get("turns", [r])]


def test_heldout12_questions_are_new():
    """No question string of the five round-12 files is in another bench/data set, and none repeats among them."""
    mine = [q for name in _R12 for q in _questions(name)]
    assert len(mine) == len(set(mine)), "a question repeats within the round-12 sets"
    others = {q for p in DATA.glob("*.jsonl") if p.name not in _R12 for q in _questions(p.name)}
    assert not set(mine) & others, f"identical to an older question: {sorted(set(mine) & others)[:5]}"


def test_heldout12_docs_not_stard_laws():
    """No round-12 law is a STARD law (the law holding a STARD gold article, found by its title as statute_corpus does)."""
    mod = _script("heldout12_docs")
    stard = ROOT.parent / "shared" / "data" / "stard" / "stard_queries_dev.json"
    if not stard.exists():
        pytest.skip(f"needs {stard}")
    titles = {a.split("第")[0].replace("中华人民共和国", "")
              for r in json.loads(stard.read_text(encoding="utf-8")) for a in r.get("相关法规", {})}
    names = {n.rsplit("/", 1)[-1].split("(")[0] for n in mod.LAWS}
    assert not {n for n in names if any(t and (t in n or n in t) for t in titles)}


# --- rounds 13-20 (docs/heldout13.md … docs/heldout20.md) ----------------------------------------------------------

def _round_files(rnd: int) -> tuple[str, ...]:
    return (f"dialogues_heldout{rnd}.jsonl", f"dialogues_heldout{rnd}_laws.jsonl", f"everyday_heldout{rnd}.jsonl",
            f"everyday_heldout{rnd}_docs.jsonl", f"dialogues_heldout{rnd}_docs.jsonl")


@pytest.mark.parametrize("rnd", [13, 14, 15, 16, 17, 18, 19, 20])
def test_heldout_questions_are_new(rnd):
    """No question string of a round's five files is in another bench/data set, and none repeats among them."""
    files = _round_files(rnd)
    mine = [q for name in files for q in _questions(name)]
    assert len(mine) == len(set(mine)), f"a question repeats within the round-{rnd} sets"
    others = {q for p in DATA.glob("*.jsonl") if p.name not in files for q in _questions(p.name)}
    assert not set(mine) & others, f"identical to an older question: {sorted(set(mine) & others)[:5]}"


#: (article dialogues, turns), (law dialogues, turns), (everyday, answerable), (docs, answerable), (docs dialogues, turns)
_SIZES = {13: ((30, 96), (20, 69), (60, 50), (80, 68), (12, 36)),
          14: ((30, 95), (20, 72), (60, 50), (80, 68), (12, 37)),
          15: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35)),
          16: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35)),
          17: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35)),
          18: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35)),
          19: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35)),
          20: ((30, 96), (20, 70), (60, 50), (80, 68), (12, 35))}


@pytest.mark.parametrize("rnd", [13, 14, 15, 16, 17, 18, 19, 20])
def test_heldout_sizes(rnd):
    """The round-13 to round-20 sets have the sizes their docs/heldoutN.md reports (the round-12 proportions)."""
    art, laws, everyday, docs, dialogues = (_rows(n) for n in _round_files(rnd))
    got = ((len(art), sum(len(d["turns"]) for d in art)), (len(laws), sum(len(d["turns"]) for d in laws)),
           (len(everyday), sum(r["answerable"] for r in everyday)), (len(docs), sum(r["answerable"] for r in docs)),
           (len(dialogues), sum(len(d["turns"]) for d in dialogues)))
    assert got == _SIZES[rnd]


@pytest.mark.parametrize("rnd", [13, 14, 15, 16, 17, 18, 19, 20])
def test_heldout_docs_not_stard_laws(rnd):
    """No law of the round is a STARD law: no STARD gold-article title names one, and none holds a STARD article's text."""
    mod = _script(f"heldout{rnd}_docs")
    stard = ROOT.parent / "shared" / "data" / "stard" / "stard_queries_dev.json"
    if not stard.exists():
        pytest.skip(f"needs {stard}")
    records = json.loads(stard.read_text(encoding="utf-8"))
    titles = {a.split("第")[0].replace("中华人民共和国", "") for r in records for a in r.get("相关法规", {})}
    names = {n.rsplit("/", 1)[-1].split("(")[0] for n in mod.LAWS}
    assert not {n for n in names if any(t and (t in n or n in t) for t in titles)}
    if not mod.ARCHIVE.exists():
        pytest.skip(f"needs {mod.ARCHIVE}")
    statute = _script("statute_corpus")
    keys = {statute._key(t) for r in records for t in r.get("相关法规", {}).values() if t.strip()}
    texts = {n: "".join(t.split()) for n, t in mod.DOCS.law_texts().items()}
    assert not {n for n, t in texts.items() if any(k and k in t for k in keys)}, "a law holds a STARD gold article"


@pytest.mark.parametrize("rnd", [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
def test_docs_scripts_take_their_header_from_doc_sets(rnd):
    """A round's script holds its docstring and document lists only; the sets it names, the DocSet and the
    build/check/dump functions come from one helper (bench/doc_sets.round_script), so a new round cannot name another
    round's files, and its docstring's commands name the script itself."""
    mod = _script(f"heldout{rnd}_docs")  # puts bench/ on sys.path
    import doc_sets

    assert mod.SETS == doc_sets.round_sets(rnd) and all(p.exists() for p in mod.SETS)
    assert mod.DOCS == doc_sets.DocSet(tuple(mod.LAWS), doc_sets.CMRC_DEV, tuple(mod.CMRC_IDS))
    assert mod.main.__module__ == "doc_sets" and mod.check.__module__ == "doc_sets"
    assert f"bench/heldout{rnd}_docs.py build" in mod.__doc__ and f"heldout{rnd}_docs.jsonl" in mod.__doc__
    code = (ROOT / "bench" / f"heldout{rnd}_docs.py").read_text(encoding="utf-8")
    assert "ROOT" not in code and "DocSet(" not in code, "the per-round header is back"


# --- rounds 18-20 (docs/heldout18.md … docs/heldout20.md): CMRC articles only from the dev REPORT half -----------

def _cmrc_outside_report_half(rnd: int) -> dict[str, str]:
    """The CMRC2018 dev articles of round ``rnd`` that are NOT in the report half (sha256 of the title even)."""
    import hashlib

    mod = _script(f"heldout{rnd}_docs")
    if not mod.CMRC_DEV.exists():
        pytest.skip(f"needs {mod.CMRC_DEV}")
    titles = {k: title for k, (title, _) in mod.DOCS.cmrc_texts().items()}
    assert len(titles) == len(mod.CMRC_IDS) == 6
    return {k: t for k, t in titles.items() if int(hashlib.sha256(t.encode("utf-8")).hexdigest(), 16) % 2 != 0}


def test_heldout18_cmrc_articles_in_report_half():
    """Every CMRC2018 dev article of round 18 is in the report half (sha256 of the title even), the half nobody
    trains on; another helper may train on the other half."""
    odd = _cmrc_outside_report_half(18)
    assert not odd, f"not in the CMRC dev report half: {odd}"


def test_heldout19_cmrc_articles_in_report_half():
    """Every CMRC2018 dev article of round 19 is in the report half too (docs/heldout19.md)."""
    odd = _cmrc_outside_report_half(19)
    assert not odd, f"not in the CMRC dev report half: {odd}"


def test_heldout20_cmrc_articles_in_report_half():
    """Every CMRC2018 dev article of round 20 is in the report half too (docs/heldout20.md)."""
    odd = _cmrc_outside_report_half(20)
    assert not odd, f"not in the CMRC dev report half: {odd}"
