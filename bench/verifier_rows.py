"""Answer-layer rows WITH sentence texts, for the answer verifier (``bench/fit_verifier.py``, ``rag/verify.py``).

The same rows as ``bench/calibrate_answers.py`` collects (every answerable tuning question asked on the full index
and with its own article removed; :func:`calib_rows.collect`), but every candidate also records its sentence, passage
title and chunk id (:data:`calib_rows.TEXTS`), so that a model reading question and sentence together can be trained
and its score added to the refusal model. Sets (tuning data only, never a report set):

- ``cmrc_trial`` (CMRC2018 trial), ``drcd_tune`` (the DRCD dev tune half, ``--drcd-tune``), and their everyday-worded
  paraphrases ``*_para`` (bench/paraphrase.py, ``--paraphrase`` per set);
- ``everyday`` (bench/data/everyday_dev.jsonl over ``--everyday HOME``) and ``everyday_h5`` (round 5's
  everyday_heldout.jsonl, development data since round 6, over ``--corpus HOME``, an index of corpus/).

Rows are written to ``$RAG_HOME/vrows_<set>.jsonl`` (kept when present unless ``--fresh``). It does not fit anything.

    RAG_HOME=/tmp/r8h4/home python bench/verifier_rows.py --everyday /tmp/r8h4/everyday --corpus /tmp/r8h4/corpus
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import calib_rows  # noqa: E402
from calib_rows import CachedQueries, collect, dev_set_rows, paraphrase_rows  # noqa: E402

from rag.config import data_dir  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_squad  # noqa: E402
from rag.evaluate import dataset_index  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SETS = ("cmrc_trial", "drcd_tune", "cmrc_trial_para", "drcd_tune_para", "everyday", "everyday_h5")


def rows_path(home: Path, name: str) -> Path:
    return home / f"vrows_{name}.jsonl"


def read_rows(home: Path, names=SETS) -> list[dict]:
    """The rows of every set in ``names`` that was collected (statute-first everyday rows left out, as the
    calibration does)."""
    out = []
    for n in names:
        p = rows_path(home, n)
        if p.exists():
            out += [r for r in map(json.loads, p.read_text(encoding="utf-8").splitlines()) if not r.get("statute")]
    return out


def attach_verify(rows: list[dict], oof: dict[str, float], selector, top: int = 3) -> list[dict]:
    """Rows as ``calibrate_answers.py`` fits them: each row's top ``top`` candidates (by ``selector``, the shipped
    dense selector) carry the verifier's out-of-fold P as ``ag_verify`` (others: -1, not verified); the text fields
    are dropped. Keys: ``fit_verifier.pair_key``."""
    from fit_verifier import pair_key

    out = []
    for r in rows:
        q = r.get("q", "")
        order = sorted(range(len(r["cands"])), key=lambda i: -selector.probability(r["cands"][i][0]))
        verified = set(order[:top])
        cands = []
        for i, (f, lab) in enumerate(r["cands"]):
            g = {k: v for k, v in f.items() if not k.startswith("_")}
            g["ag_verify"] = oof.get(pair_key(q, f.get("_t", ""), f.get("_s", "")), -1.0) if i in verified else -1.0
            cands.append((g, lab))
        out.append(dict(r, cands=cands))
    return out


def add_questions(rows: list[dict], items) -> list[dict]:
    """Give every row its question as asked (``q``, cleaned as :func:`rag.retrieve.clean_question` does) where the
    row collector did not record it (:func:`calib_rows.collect`, ``everyday_dev.collect_rows``)."""
    from rag.retrieve import clean_question

    text = {str(it.qid): clean_question(it.question) for it in items}
    for r in rows:
        if "q" not in r and str(r["qid"]) in text:
            r["q"] = text[str(r["qid"])]
    return rows


def _jsonl_items(path: Path):
    from rag.eval_data import read_jsonl_items

    return read_jsonl_items(path)


def _write(path: Path, rows: list[dict]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    tmp.replace(path)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drcd-tune", default=None, help="The DRCD dev tune half (SQuAD JSON; written by "
                    "calibrate_answers.py --report-dir); default: split ../shared/data/drcd/DRCD_dev.json here.")
    ap.add_argument("--everyday", default=None, help="Index of everyday_dev's documents (bench/everyday_dev.py).")
    ap.add_argument("--corpus", default=None, help="Index of corpus/ (for round 5's everyday held-out set).")
    ap.add_argument("--paraphrase", type=int, default=1000, help="At most N reworded questions per set.")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args(argv)
    calib_rows.TEXTS = True
    home = data_dir()
    inner = get_embedder("e5-small")
    emb = CachedQueries(inner, home / "qcache.npz")
    tune = Path(args.drcd_tune) if args.drcd_tune else calib_rows.drcd_halves(
        DATA / "drcd" / "DRCD_dev.json", home / "sets")[0]
    want = args.sets.split(",")
    for name, path in (("cmrc_trial", DATA / "cmrc2018" / "cmrc2018_trial.json"), ("drcd_tune", tune)):
        todo = [n for n in (name, name + "_para") if n in want and (args.fresh or not rows_path(home, n).exists())]
        if not todo:
            continue
        docs, items = read_squad(path)
        index = dataset_index(docs, embedder=inner, progress=True)
        if name in todo:
            rows: list[dict] = []
            collect(name, index, items, emb, rows)
            add_questions(rows, items)
            _write(rows_path(home, name), rows)
            emb.save()
        if name + "_para" in todo:
            _write(rows_path(home, name + "_para"), paraphrase_rows(name, index, items, emb, args.paraphrase, collect))
            emb.save()
    if "everyday" in want and args.everyday and (args.fresh or not rows_path(home, "everyday").exists()):
        from everyday_dev import collect_rows

        _write(rows_path(home, "everyday"), add_questions(collect_rows(Path(args.everyday), emb),
                                                          _jsonl_items(ROOT / "bench" / "data" / "everyday_dev.jsonl")))
        emb.save()
    if "everyday_h5" in want and args.corpus and (args.fresh or not rows_path(home, "everyday_h5").exists()):
        rows = dev_set_rows("everyday_h5", ROOT / "bench" / "data" / "everyday_heldout.jsonl", Path(args.corpus), emb,
                            rows_path(home, "everyday_h5"), reuse=False)
        _write(rows_path(home, "everyday_h5"),
               add_questions(rows, _jsonl_items(ROOT / "bench" / "data" / "everyday_heldout.jsonl")))
        emb.save()
    print(json.dumps({n: sum(1 for _ in open(rows_path(home, n), encoding="utf-8"))
                      for n in SETS if rows_path(home, n).exists()}))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("RAG_HOME", "/tmp/h1/home")
    sys.exit(main())
