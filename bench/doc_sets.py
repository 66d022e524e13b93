"""Question sets about named documents from ``../shared/data`` (laws of the lawrefbook archive, CMRC articles).

``bench/everyday_dev.py`` (development) and ``bench/everyday_heldout6.py`` (held out by document) each name
their documents as a :class:`DocSet`; this module extracts exactly those documents (no document text is
committed), writes them as files, indexes them with the product (``rag.update.update_index``, the code behind
``rag index``) and checks a set's gold spans against them. It does not evaluate.
"""

from __future__ import annotations

import json
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARCHIVE = DATA / "lawrefbook.tar.gz"
CMRC_DEV = DATA / "cmrc2018" / "cmrc2018_dev.json"
BENCH_DATA = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class DocSet:
    """Laws (archive paths) and CMRC articles (ids in ``cmrc_file``) that a question set asks about."""

    laws: tuple[str, ...]
    cmrc_file: Path
    cmrc_ids: tuple[str, ...]

    def available(self) -> bool:
        return ARCHIVE.exists() and self.cmrc_file.exists()

    def law_texts(self) -> dict[str, str]:
        """``{"law:<archive path>": markdown text}``, read straight from the archive."""
        out = {}
        with tarfile.open(ARCHIVE) as tar:
            for name in self.laws:
                try:
                    f = tar.extractfile(name)
                except KeyError:
                    f = None
                if f is None:
                    raise SystemExit(f"{ARCHIVE}: {name} is missing")
                out[f"law:{name}"] = f.read().decode("utf-8")
        return out

    def cmrc_texts(self) -> dict[str, tuple[str, str]]:
        """``{"cmrc:<id>": (title, context)}`` (paragraphs joined by a blank line)."""
        by_id = {a["id"]: a for a in json.loads(self.cmrc_file.read_text(encoding="utf-8"))["data"]}
        return {f"cmrc:{cid}": (by_id[cid]["title"], "\n\n".join(p["context"] for p in by_id[cid]["paragraphs"]))
                for cid in self.cmrc_ids}

    def documents(self) -> dict[str, str]:
        """Every document's text, keyed as a set's ``doc`` field (a CMRC article as ``# title`` + context)."""
        docs = dict(self.law_texts())
        docs.update({k: f"# {t}\n\n{c}" for k, (t, c) in self.cmrc_texts().items()})
        return docs

    def write_sources(self, folder: Path) -> list[Path]:
        """Write the documents as files under ``folder`` (laws keep their category folder)."""
        paths = []
        for name, text in self.law_texts().items():
            p = folder / "laws" / Path(name.split(":", 1)[1]).relative_to("lawrefbook")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
            paths.append(p)
        for key, (title, ctx) in self.cmrc_texts().items():
            p = folder / "cmrc" / f"{key.split(':', 1)[1]}_{title.replace('/', '_')}.md"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(f"# {title}\n\n{ctx}\n", encoding="utf-8")
            paths.append(p)
        return paths

    def build(self, home: Path) -> dict:
        """Index exactly these documents under ``home`` (a fresh generation: ``rebuild=True``)."""
        from rag.update import update_index

        with tempfile.TemporaryDirectory(prefix="docset_") as tmp:
            self.write_sources(Path(tmp))
            report = update_index([tmp], home=home, rebuild=True, progress=True)
        counts = report.get("counts", {}) if isinstance(report, dict) else {}
        print(f"indexed {home}: {counts.get('documents', '?')} documents, {counts.get('chunks', '?')} chunks")
        return report

    def check(self, *paths: Path) -> list[str]:
        """Problems of the sets at ``paths`` (single questions or dialogues, each row or turn with a ``doc``):
        unknown documents, answerable/answers mismatches, gold spans not in their document."""
        docs, problems = self.documents(), []
        for path in paths:
            for where, t in _units(path):
                if t.get("doc") not in docs:
                    problems.append(f"{where}: unknown doc {t.get('doc')!r}")
                    continue
                if t["answerable"] is not bool(t["answers"]):
                    problems.append(f"{where}: answerable must match a non-empty answers list")
                problems += [f"{where}: {a!r} not in {t['doc']}" for a in t["answers"] if a not in docs[t["doc"]]]
        return problems


def _units(path: Path):
    """``(where, row_or_turn)`` for each single question, or each dialogue turn, of the set at ``path``."""
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            r = json.loads(line)
            for j, t in enumerate(r.get("turns", [r]), 1):
                yield f"{path.name} line {i} ({r.get('id')}{f' turn {j}' if 'turns' in r else ''})", t


def cli(docs: DocSet, set_path: Path | tuple[Path, ...], description: str, argv: list[str] | None = None) -> int:
    """``build --home H`` / ``check`` / ``dump FOLDER`` for question sets about ``docs`` (their scripts' ``main``)."""
    import argparse
    import sys

    ap = argparse.ArgumentParser(description=description)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="extract the documents and index them")
    b.add_argument("--home", required=True, type=Path)
    paths = set_path if isinstance(set_path, tuple) else (set_path,)
    sub.add_parser("check", help=f"check the gold spans of {', '.join('bench/data/' + p.name for p in paths)}")
    d = sub.add_parser("dump", help="write the documents as files (for reading)")
    d.add_argument("folder", type=Path)
    a = ap.parse_args(argv)
    if not docs.available():
        print(f"needs {ARCHIVE} and {docs.cmrc_file}", file=sys.stderr)
        return 2
    if a.cmd == "build":
        docs.build(a.home)
    elif a.cmd == "dump":
        print("\n".join(map(str, docs.write_sources(a.folder))))
    else:
        problems = docs.check(*paths)
        print("\n".join(problems) or f"{', '.join(p.name for p in paths)}: every gold span occurs in its document")
        return 1 if problems else 0
    return 0


def script_functions(docs: DocSet, sets: tuple[Path, ...], doc: str):
    """What a round's document-set script exposes (``bench/heldout7_docs.py`` …): ``documents``, ``write_sources``,
    ``build``, ``check(paths=sets)`` (problems of the sets: unknown documents, answerable/answers mismatches, gold
    spans not in their document) and ``main(argv)`` (the ``build`` / ``check`` / ``dump`` command line, described
    by the first paragraph of the script's docstring ``doc``)."""

    def check(paths: tuple[Path, ...] = sets) -> list[str]:
        return docs.check(*paths)

    def main(argv: list[str] | None = None) -> int:
        return cli(docs, sets, doc.split("\n\n")[0], argv)

    return docs.documents, docs.write_sources, docs.build, check, main


def round_sets(rnd: int) -> tuple[Path, Path]:
    """A round's document-held-out sets: ``bench/data/everyday_heldout<rnd>_docs.jsonl`` and its dialogues."""
    return (BENCH_DATA / f"everyday_heldout{rnd}_docs.jsonl", BENCH_DATA / f"dialogues_heldout{rnd}_docs.jsonl")


def round_script(rnd: int, laws, cmrc_ids, doc: str):
    """Everything a round's ``bench/heldout<rnd>_docs.py`` defines besides its docstring and document lists:
    ``(DOCS, SETS, documents, write_sources, build, check, main)`` for ``laws`` (archive paths) and ``cmrc_ids``
    (CMRC2018 dev ids), the sets named by :func:`round_sets` (one header for every round instead of a copy each)."""
    docs = DocSet(tuple(laws), CMRC_DEV, tuple(cmrc_ids))
    sets = round_sets(rnd)
    return (docs, sets, *script_functions(docs, sets, doc))
