"""``bench/calibrate_answers.py`` checks every argument before any heavy work (bench/calib_args.py).

Each bad command line must end in argparse's usage error (exit status 2) before the script loads the embedder or
collects a row: ``get_embedder`` and ``_tuning_rows`` are replaced by tripwires that fail the test if reached.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
from calib_args import check_args  # noqa: E402


def _tripwire(*_a, **_k):
    raise AssertionError("heavy work started before the arguments were checked")


@pytest.fixture
def no_heavy_work(monkeypatch):
    monkeypatch.setattr(ca, "get_embedder", _tripwire)
    monkeypatch.setattr(ca, "_tuning_rows", _tripwire)


def _bad_lines(tmp: Path) -> list[list[str]]:
    (tmp / "notjson.json").write_text("{", encoding="utf-8")
    (tmp / "other.json").write_text(json.dumps({"command": "x", "rows": {}}), encoding="utf-8")
    return [
        ["--refit-selectors"],                                   # needs --keep-from
        ["--min-removed-recall", "0.5"],                         # needs --style-budget
        ["--everyday-budget", "0.0"],                            # needs --everyday (0.0 is a budget too)
        ["--stard-in-refusal"],                                  # needs --stard
        ["--everyday-index", f"docs7={tmp}"],                    # needs --everyday-rounds
        ["--selector-rounds-weight", "3"],                       # needs --everyday-rounds
        ["--everyday-rounds", "--everyday-index", f"docs77={tmp}"],  # unknown key (was silently ignored)
        ["--everyday-rounds", "--everyday-index", "docs7"],      # not KEY=DIR (was a late ValueError)
        ["--everyday-rounds", "--rounds", "dev,42", "--reuse-rows"],  # unknown round (was silently no rows)
        ["--everyday-rounds", "--rounds", "5", "--everyday-index", f"corpus={tmp / 'gone'}"],  # no index
        ["--second-ratio", "0"],
        ["--max-false-refusal", "1.5"],
        ["--drcd-every", "0"],
        ["--limit", "0"],
        ["--out", str(tmp / "no" / "such" / "folder" / "cal.json")],  # was written last, after hours
        ["--oof-out", str(tmp / "no" / "oof.json")],
        ["--keep-from", str(tmp / "missing.json")],              # was read only after every row was collected
        ["--keep-from", str(tmp / "notjson.json")],
        ["--keep-from", str(tmp / "other.json")],
    ]


def test_every_bad_command_line_stops_before_heavy_work(tmp_path, monkeypatch, no_heavy_work, capsys):
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    for argv in _bad_lines(tmp_path):
        with pytest.raises(SystemExit) as e:
            ca.main(argv)
        assert e.value.code == 2, argv
        assert "error:" in capsys.readouterr().err, argv


def test_good_command_lines_pass_the_checks(tmp_path):
    ap = ca._parser()
    home = tmp_path / "home"
    home.mkdir()
    folder = tmp_path / "idx"
    folder.mkdir()
    for argv in (["--out", str(tmp_path / "cal.json"), "--everyday-budget", "0.0", "--everyday", str(folder)],
                 ["--everyday-rounds", "--rounds", "5", "--everyday-index", f"corpus={folder}"],
                 ["--keep-from", str(ROOT / "rag" / "calibration.json"), "--refit-selectors"],
                 ["--stard", "--stard-in-refusal", "--style-budget", "0.1", "--min-removed-recall", "0.9"]):
        check_args(ap, ap.parse_args(argv), home)  # no SystemExit
    # a round whose index folder is gone is fine when its rows are cached and reused
    (home / "calib_rows_everyday_r5.jsonl").write_text("", encoding="utf-8")
    argv = ["--everyday-rounds", "--rounds", "5", "--everyday-index", f"corpus={tmp_path / 'gone'}", "--reuse-rows"]
    check_args(ap, ap.parse_args(argv), home)


def test_keep_from_for_other_weights_stops_before_any_row(tmp_path, monkeypatch, e5_model, capsys):
    """The embedder is loaded (real) and compared with the kept file's fingerprint before rows are collected."""
    monkeypatch.setenv("RAG_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(ca, "_tuning_rows", _tripwire)
    kept = json.loads((ROOT / "rag" / "calibration.json").read_text(encoding="utf-8"))
    kept["fitted_for"]["fingerprint"] = "0" * 16
    other = tmp_path / "other_weights.json"
    other.write_text(json.dumps(kept), encoding="utf-8")
    with pytest.raises(SystemExit) as e:
        ca.main(["--keep-from", str(other)])
    assert e.value.code == 2 and "other embedder weights" in capsys.readouterr().err
