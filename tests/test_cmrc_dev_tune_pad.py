"""CMRC dev tune-half questions on an index of the target's size (``--cmrc-dev-tune-pad``, round 19, issue 9).

The padded index holds the tune half + CMRC trial + the DRCD tune half (simplified) cut to the share whose article
count is closest to CMRC dev's 848, never a CMRC dev report-half or DRCD report-half article; its rows are grouped by
the same article key as the ``cmrc_dev_tune`` rows. Fails before round 19 (no such option or function).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
import padded_rows  # noqa: E402
from calib_args import check_args  # noqa: E402
from calib_fit import _article  # noqa: E402
from calib_rows import drcd_halves  # noqa: E402
from cmrc_dev_halves import CMRC_DEV, cmrc_dev_halves  # noqa: E402

from rag.eval_data import read_squad  # noqa: E402
from rag.textnorm import to_mainland  # noqa: E402

needs_data = pytest.mark.skipif(not CMRC_DEV.exists(), reason="../shared/data is not here")


def _titles(path: Path) -> set[str]:
    return {a["title"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]}


def _count(path: Path) -> int:
    return len(json.loads(path.read_text(encoding="utf-8"))["data"])


def test_pad_needs_cmrc_dev_tune_and_stops_before_heavy_work(tmp_path, monkeypatch, capsys):
    def tripwire(*_a, **_k):
        raise AssertionError("heavy work started before the arguments were checked")

    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ca, "get_embedder", tripwire)
    monkeypatch.setattr(ca, "_tuning_rows", tripwire)
    with pytest.raises(SystemExit) as e:
        ca.main(["--cmrc-dev-tune-pad"])
    assert e.value.code == 2 and "--cmrc-dev-tune-pad needs --cmrc-dev-tune" in capsys.readouterr().err
    ap = ca._parser()
    args = ap.parse_args(["--cmrc-dev-tune", "--cmrc-dev-tune-pad"])
    assert args.cmrc_dev_tune_pad and not ap.parse_args([]).cmrc_dev_tune_pad
    check_args(ap, args, tmp_path)  # no SystemExit


@needs_data
def test_the_share_is_the_count_closest_to_the_target(tmp_path):
    share, counts = padded_rows.cmrc_dev_pad_share(tmp_path)
    assert counts["cmrc_dev_tune"] == _count(cmrc_dev_halves(tmp_path / "halves")[0]) and counts["cmrc_trial"] == 256
    assert counts["total"] == sum(counts[k] for k in ("cmrc_dev_tune", "cmrc_trial", "drcd_tune"))
    for other in (0.5, 0.9, share - 0.01):  # no other share on the grid comes closer to 848
        n = _count(padded_rows.padded_sources(tmp_path / f"s{other}", other)["drcd_tune"])
        assert abs(counts["cmrc_dev_tune"] + 256 + n - 848) >= abs(counts["total"] - 848)
    small = padded_rows.cmrc_dev_pad_share(tmp_path, target=counts["cmrc_dev_tune"] + 256 + 10)  # a smaller target cuts DRCD
    assert small[0] < 1.0 and abs(small[1]["drcd_tune"] - 10) <= 3


@needs_data
def test_the_index_holds_no_report_half_article(tmp_path):
    share, counts = padded_rows.cmrc_dev_pad_share(tmp_path)
    sources = padded_rows.cmrc_dev_pad_sources(tmp_path, share)
    titles = {k: _titles(p) for k, p in sources.items()}
    assert {k: _count(p) for k, p in sources.items()} == {k: counts[k] for k in sources}
    indexed = set().union(*titles.values())
    tune, report = cmrc_dev_halves(tmp_path / "halves")
    assert titles["cmrc_dev_tune"] == _titles(tune)  # the whole tune half (less held-out documents' articles)
    assert not indexed & _titles(report)
    _, drcd_report = drcd_halves(padded_rows.DATA / "drcd" / "DRCD_dev.json", tmp_path / "drcd")
    assert not indexed & {to_mainland(t) for t in _titles(drcd_report)}
    drcd_tune, _ = drcd_halves(padded_rows.DATA / "drcd" / "DRCD_dev.json", tmp_path / "drcd")
    assert titles["drcd_tune"] <= {to_mainland(t) for t in _titles(drcd_tune)}


@needs_data
def test_rows_are_the_tune_questions_grouped_like_cmrc_dev_tune(tmp_path, monkeypatch):
    """``collect`` and the index build replaced by fakes: which documents are indexed, which questions asked, groups."""
    indexed: list = []

    def fake_index(docs, embedder=None, progress=False):
        indexed.extend(docs)
        return "INDEX"

    def fake_collect(name, index, items, emb, rows, **_k):
        assert index == "INDEX"
        rows += [{"set": name, "qid": it.qid, "answerable": a, "dense": 0.0, "cands": []}
                 for it in items for a in (1, 0) if it.answerable and it.answers]

    class Emb:
        inner = None

        def save(self):
            pass

    monkeypatch.setattr(padded_rows, "dataset_index", fake_index)
    monkeypatch.setattr(padded_rows, "collect", fake_collect)
    tune, report = cmrc_dev_halves(tmp_path / "sets")
    home = tmp_path / "home"
    home.mkdir()
    rows = padded_rows.cmrc_dev_pad_rows(home, Emb(), tmp_path / "sets", tune, reuse=True)
    report_docs = {d.doc_id for d in read_squad(report)[0]}
    assert indexed and not report_docs & {d.doc_id for d in indexed}
    assert {d.doc_id for d in read_squad(tune)[0]} <= {d.doc_id for d in indexed}
    plain = [{"set": "cmrc_dev_tune", "qid": it.qid} for it in read_squad(tune)[1] if it.answerable and it.answers]
    assert len(rows) == 2 * len(plain) and {r["set"] for r in rows} == {"cmrc_dev_tune_pad"}
    assert {r["group"] for r in rows} == {_article(p) for p in plain}
    assert all(r["group"] == _article({"set": "cmrc_dev_tune", "qid": r["qid"]}) for r in rows)
    assert all(g.startswith("cmrc_dev_tune:DEV_") for g in {r["group"] for r in rows})
    cached = home / "calib_rows_cmrc_dev_tune_pad.jsonl"
    assert cached.exists()
    monkeypatch.setattr(padded_rows, "collect", lambda *a, **k: pytest.fail("rows not reused"))
    assert padded_rows.cmrc_dev_pad_rows(home, Emb(), tmp_path / "sets", tune, reuse=True) == rows


def test_pad_rows_stay_out_of_the_selector_and_the_threshold_bounds():
    src = (ROOT / "bench" / "calibrate_answers.py").read_text(encoding="utf-8")
    assert 'not r["set"].endswith("_pad")' in src  # selector rows
    assert 'tuple(s + "_pad" for s in PAD_SETS)' in src and "cmrc_dev_tune" not in padded_rows.PAD_SETS
