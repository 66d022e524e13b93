"""Tuning rows on a *padded* index: CMRC2018 trial and the DRCD dev tune half asked over one index of both (round 11).

CMRC2018 dev's index holds 848 Wikipedia articles, CMRC trial's 256. With a question's own article removed, a larger
index offers more look-alike articles to quote from. This module builds one index of CMRC trial's articles plus the
DRCD dev tune half **converted to simplified script** (``rag.textnorm.to_mainland``: same kind of article, same
script as CMRC), 718 documents (passages), and asks every answerable CMRC trial and DRCD tune question on it — on the full index
and with its own article removed (:func:`calib_rows.collect`). DRCD questions and answers are converted like their
articles. Never CMRC dev, never the DRCD report half (report sets).

Rows are sets ``cmrc_trial_pad`` and ``drcd_tune_pad``, grouped (``group``) by the same article key as the unpadded
rows (``cmrc_trial:TRIAL_800``, ``drcd_tune:1147``), cached in ``$RAG_HOME/calib_rows_<set>.jsonl``.

Round 19 (:func:`cmrc_dev_pad_rows`, ``calibrate_answers.py --cmrc-dev-tune-pad``): the CMRC2018 dev *tune-half*
questions (``bench/cmrc_dev_halves.py``) asked over one index of the target's size — the tune half's articles + CMRC
trial's + the DRCD tune half in simplified script, the DRCD part cut by title hash to the share (steps of 0.01) whose
article count is closest to CMRC dev's 848 (:func:`cmrc_dev_pad_share`, from article counts only). Set
``cmrc_dev_tune_pad``, grouped like the ``cmrc_dev_tune`` rows (``cmrc_dev_tune:DEV_12``). Never a CMRC dev report-half
article, never the DRCD report half.

    RAG_HOME=H python bench/padded_rows.py [--report-dir DIR] [--sets cmrc_trial,drcd_tune] [--limit N]
    RAG_HOME=H python bench/padded_rows.py --cmrc-dev-tune [--report-dir DIR]   # round 19's cmrc_dev_tune_pad rows

This module does not fit models.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from calib_rows import CachedQueries, collect, drcd_halves  # noqa: E402

from rag.config import data_dir  # noqa: E402
from rag.embed import get_embedder  # noqa: E402
from rag.eval_data import read_squad  # noqa: E402
from rag.evaluate import dataset_index  # noqa: E402
from rag.textnorm import to_mainland  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
PAD_SETS = ("cmrc_trial", "drcd_tune")
#: articles of CMRC2018 dev's full index (the index issue 9's CMRC target is measured on)
TARGET_ARTICLES = 848


def simplified_squad(src: Path, dst: Path) -> Path:
    """A copy of SQuAD-format ``src`` with titles, contexts, questions and answers in mainland simplified script."""
    data = json.loads(src.read_text(encoding="utf-8"))
    for art in data["data"]:
        art["title"] = to_mainland(art.get("title", ""))
        for p in art["paragraphs"]:
            p["context"] = to_mainland(p["context"])
            for qa in p["qas"]:
                qa["question"] = to_mainland(str(qa.get("question", "")))
                for a in qa.get("answers", []):
                    a["text"] = to_mainland(a["text"])
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dst


def padded_sources(report_dir: Path, share: float = 1.0) -> dict[str, Path]:
    """The SQuAD files of the padded index: CMRC trial as it is, the DRCD tune half in simplified script (``share`` < 1:
    only that share of its articles, chosen by title hash — the index-size curve of docs/answers.md, round 11)."""
    tune, _ = drcd_halves(DATA / "drcd" / "DRCD_dev.json", report_dir)
    drcd = simplified_squad(tune, report_dir / "drcd_dev_tune_simplified.json")
    if share < 1.0:
        data = json.loads(drcd.read_text(encoding="utf-8"))
        data["data"] = [a for a in data["data"]
                        if int(hashlib.sha256(a["title"].encode("utf-8")).hexdigest(), 16) % 1000 < share * 1000]
        drcd = report_dir / f"drcd_dev_tune_simplified_s{round(share * 100)}.json"
        drcd.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return {"cmrc_trial": DATA / "cmrc2018" / "cmrc2018_trial.json", "drcd_tune": drcd}


def group_of(name: str, qid: str) -> str:
    """The article key of the unpadded rows (``calibrate_answers._article``)."""
    return name + ":" + re.sub(r"(_QUERY_\d+|(-\d+)+)$", "", str(qid))


def padded_rows(home: Path, emb: CachedQueries, report_dir: Path, sets=PAD_SETS, limit: int | None = None,
                reuse: bool = True, share: float = 1.0) -> list[dict]:
    """Rows of ``<set>_pad`` for each of ``sets``, asked on the padded index (built or reused under ``home/eval``);
    ``share`` < 1 pads with that share of the DRCD articles only (cached as ``calib_rows_<set>_pad_s<percent>``)."""
    sources = padded_sources(report_dir, share)
    read = {name: read_squad(path) for name, path in sources.items()}
    docs = {d.doc_id: d for ds, _ in read.values() for d in ds}
    index = None
    out: list[dict] = []
    for name in sets:
        cache = home / (f"calib_rows_{name}_pad{'_' + str(limit) if limit else ''}"
                        f"{'_s' + str(round(share * 100)) if share < 1.0 else ''}.jsonl")
        if reuse and cache.exists():
            out += [json.loads(x) for x in cache.read_text(encoding="utf-8").splitlines()]
            continue
        index = index or dataset_index(list(docs.values()), embedder=emb.inner, progress=True)
        items = read[name][1][:limit] if limit else read[name][1]
        new: list[dict] = []
        collect(name + "_pad", index, items, emb, new)
        emb.save()
        for r in new:
            r["group"] = group_of(name, r["qid"])
        cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
        out += new
    return out


def _articles(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["data"]


def cmrc_dev_pad_share(report_dir: Path, target: int = TARGET_ARTICLES) -> tuple[float, dict[str, int]]:
    """The share (0.01 … 1.00) of the DRCD tune half's articles whose padded index holds the article count closest to
    ``target`` (ties: the larger share, 1.00 = the half uncut), and that index's article counts per source — read off counts only."""
    from cmrc_dev_halves import cmrc_dev_halves

    tune = len(_articles(cmrc_dev_halves(report_dir)[0]))
    trial = len(_articles(DATA / "cmrc2018" / "cmrc2018_trial.json"))
    drcd_tune, _ = drcd_halves(DATA / "drcd" / "DRCD_dev.json", report_dir)
    buckets = [int(hashlib.sha256(to_mainland(a.get("title", "")).encode("utf-8")).hexdigest(), 16) % 1000
               for a in _articles(drcd_tune)]  # padded_sources' cut, on the simplified title
    best = min(range(1, 101), key=lambda k: (abs(tune + trial + sum(b < k * 10 for b in buckets) - target), -k))
    drcd = sum(b < best * 10 for b in buckets)
    return best / 100, {"cmrc_dev_tune": tune, "cmrc_trial": trial, "drcd_tune": drcd, "total": tune + trial + drcd}


def cmrc_dev_pad_sources(report_dir: Path, share: float) -> dict[str, Path]:
    """The SQuAD files of the target-size index: the whole CMRC dev tune half (``cmrc_dev_halves``, no cut) + CMRC
    trial + the DRCD tune half in simplified script at ``share`` (:func:`padded_sources`)."""
    from cmrc_dev_halves import cmrc_dev_halves

    return {"cmrc_dev_tune": cmrc_dev_halves(report_dir)[0], **padded_sources(report_dir, share)}


def cmrc_dev_pad_rows(home: Path, emb: CachedQueries, report_dir: Path, questions: Path, reuse: bool = True,
                      limit: int | None = None, suffix: str = "") -> list[dict]:
    """Rows of ``cmrc_dev_tune_pad``: every answerable question of ``questions`` (the CMRC dev tune half, or its
    ``--cmrc-dev-every`` cut) asked on the target-size index (full, and with its own article removed), grouped like
    the ``cmrc_dev_tune`` rows; cached as ``calib_rows_cmrc_dev_tune_pad<suffix>[_<limit>].jsonl``."""
    cache = home / f"calib_rows_cmrc_dev_tune_pad{suffix}{'_' + str(limit) if limit else ''}.jsonl"
    if reuse and cache.exists():
        return [json.loads(x) for x in cache.read_text(encoding="utf-8").splitlines()]
    share, counts = cmrc_dev_pad_share(report_dir)
    print(f"cmrc_dev_tune_pad: DRCD tune share {share:.2f}, articles {json.dumps(counts)} (target {TARGET_ARTICLES})",
          file=sys.stderr, flush=True)
    sources = cmrc_dev_pad_sources(report_dir, share)
    docs: dict = {}
    for path in sources.values():
        for d in read_squad(path)[0]:
            docs.setdefault(d.doc_id, d)
    print(f"cmrc_dev_tune_pad: index of {sum(counts[k] for k in sources)} articles, {len(docs)} passages",
          file=sys.stderr, flush=True)
    index = dataset_index(list(docs.values()), embedder=emb.inner, progress=True)
    items = read_squad(questions)[1]
    items = items[:limit] if limit else items
    new: list[dict] = []
    collect("cmrc_dev_tune_pad", index, items, emb, new)
    emb.save()
    for r in new:
        r["group"] = group_of("cmrc_dev_tune", r["qid"])
    cache.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--report-dir", default="/tmp/h1/sets", help="Where the DRCD halves are written.")
    ap.add_argument("--sets", default=",".join(PAD_SETS))
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--no-reuse", action="store_true")
    ap.add_argument("--share", type=float, default=1.0, help="pad with this share of the DRCD tune articles only")
    ap.add_argument("--cmrc-dev-tune", action="store_true",
                    help="round 19: the cmrc_dev_tune_pad rows (the CMRC dev tune half on a target-size index) instead")
    args = ap.parse_args(argv)
    home = data_dir()
    emb = CachedQueries(get_embedder("e5-small"), home / "qcache.npz")
    if args.cmrc_dev_tune:
        from cmrc_dev_halves import cmrc_dev_halves

        rows = cmrc_dev_pad_rows(home, emb, Path(args.report_dir), cmrc_dev_halves(Path(args.report_dir))[0],
                                 not args.no_reuse, args.limit)
    else:
        rows = padded_rows(home, emb, Path(args.report_dir), tuple(args.sets.split(",")), args.limit,
                           not args.no_reuse, args.share)
    n = {}
    for r in rows:
        n.setdefault(r["set"], [0, 0])[r["answerable"]] += 1
    print(json.dumps({s: {"answerable": a, "removed": u} for s, (u, a) in n.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
