"""CMRC2018 dev split by article (bench/cmrc_dev_halves.py, round 18): drcd_halves' rule, held-out articles unfitted.

Fails before round 18 (no such module; ``calibrate_answers.py`` had no ``--cmrc-dev-tune``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
from calib_rows import drcd_halves  # noqa: E402
from cmrc_dev_halves import CMRC_DEV, cmrc_dev_halves, heldout_cmrc_ids  # noqa: E402

needs_data = pytest.mark.skipif(not CMRC_DEV.exists(), reason="../shared/data is not here")


def _ids(path: Path) -> list[str]:
    return [a["id"] for a in json.loads(path.read_text(encoding="utf-8"))["data"]]


def test_every_held_out_documents_set_is_read():
    ids = heldout_cmrc_ids()
    assert {"DEV_54", "DEV_18", "DEV_279", "DEV_152", "DEV_500"} <= ids  # rounds 6, 7, 8, 9, 17
    assert len(ids) == 6 * len(list((ROOT / "bench").glob("heldout*_docs.py"))) + 6


@needs_data
def test_the_split_is_drcd_halves_rule_and_the_tune_half_drops_held_out_articles(tmp_path):
    plain_tune, plain_report = drcd_halves(CMRC_DEV, tmp_path / "drcd_rule")  # the same rule on the CMRC file
    tune, report = cmrc_dev_halves(tmp_path / "all", exclude=set())
    assert _ids(tune) == _ids(plain_tune) and _ids(report) == _ids(plain_report)
    held = heldout_cmrc_ids()
    tune, report = cmrc_dev_halves(tmp_path / "default")
    assert not held & set(_ids(tune))
    assert _ids(report) == _ids(plain_report)  # the report half stays whole
    assert set(_ids(tune)) == set(_ids(plain_tune)) - held
    every2, _ = cmrc_dev_halves(tmp_path / "cut", every=2)
    assert _ids(every2) == _ids(tune)[::2] and every2.name == "cmrc_dev_tune_every2.json"


@pytest.mark.parametrize("argv", [["--cmrc-dev-every", "2"], ["--cmrc-dev-tune", "--cmrc-dev-every", "0"],
                                  ["--cmrc-dev-tune", "--vrows", "plain"]])
def test_bad_cmrc_dev_options_stop_before_heavy_work(argv, tmp_path, monkeypatch, capsys):
    def tripwire(*_a, **_k):
        raise AssertionError("heavy work started before the arguments were checked")

    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ca, "get_embedder", tripwire)
    monkeypatch.setattr(ca, "_tuning_rows", tripwire)
    with pytest.raises(SystemExit) as e:
        ca.main(argv)
    assert e.value.code == 2 and "error:" in capsys.readouterr().err


def test_the_note_names_the_cmrc_dev_tune_rows():
    note = ca.fitted_note({"cmrc_trial", "cmrc_dev_tune"})
    assert "the CMRC2018 dev tune half (split by article" in note and "refusal only" in note
