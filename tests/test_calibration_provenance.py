"""The shipped rag/calibration.json says how it was made, and that record agrees with what the script writes.

``bench/calibrate_answers.py`` records its command line (``command``) and the rows it fitted on per set (``rows``:
[answerable, unanswerable]). These tests parse the recorded command with the script's own parser and check that the
row sets, the note and the row counts are the ones that command produces.
"""

import json
import shlex
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import calibrate_answers as ca  # noqa: E402
from padded_rows import PAD_SETS  # noqa: E402

from rag.eval_data import read_squad  # noqa: E402

CAL = json.loads((ROOT / "rag" / "calibration.json").read_text(encoding="utf-8"))
TRIAL = ROOT.parent / "shared" / "data" / "cmrc2018" / "cmrc2018_trial.json"


def _args():
    argv = shlex.split(CAL["command"])
    assert argv[0] == "bench/calibrate_answers.py"
    return ca._parser().parse_args(argv[1:])


def expected_sets(args) -> set[str]:
    """The row sets (without the everyday rounds) that the recorded command fits on."""
    base = ["cmrc_trial", "drcd_tune"]
    sets = set(base) | {s + "_en" for s in base}
    if args.paraphrase:
        sets |= {s + "_para" for s in base}
    if args.pad:
        sets |= {s + "_pad" for s in PAD_SETS}
    if args.stard:
        sets.add("stard_tune")
    if args.cmrc_dev_tune:  # round 18: refusal rows only, no renderings
        sets.add("cmrc_dev_tune")
    if args.cmrc_dev_tune_pad:  # round 19: the same questions on a target-size index, refusal rows only
        sets.add("cmrc_dev_tune_pad")
    if args.keep_from:  # round 12: the kept models' rows stay on the record (kept_from names their file and command)
        sets |= {s + "_en" for s in base} | (set() if args.refit_selectors else {"stard_tune"})
        assert CAL["kept_from"]["command"].startswith("bench/calibrate_answers.py")
    return sets


def test_the_recorded_command_names_exactly_the_row_sets_fitted_on():
    args = _args()
    fitted = set(CAL["fitted_on"])
    rounds = {s for s in fitted if s.startswith("everyday_r")}
    assert fitted - rounds == expected_sets(args)
    assert bool(rounds) == args.everyday_rounds
    assert set(CAL["rows"]) == fitted  # one row count per set, no set unaccounted for


def test_the_note_is_the_one_the_script_writes_for_those_sets():
    args = _args()
    assert CAL["note"] == ca.fitted_note(set(CAL["fitted_on"]), args.stard_in_refusal,
                                         bool(args.selector_rounds_weight))


def test_row_counts_match_the_tuning_data_and_the_stored_threshold():
    rows = CAL["rows"]
    if TRIAL.exists():  # every answerable CMRC trial question asked twice: full index, own article removed
        n = sum(it.answerable and bool(it.answers) for it in read_squad(TRIAL)[1])
        assert rows["cmrc_trial"] == [n, n]
    else:
        pytest.skip("../shared/data is not here")
    for s in ("cmrc_trial", "drcd_tune"):
        if s + "_pad" in rows:  # the same questions, asked again on the padded index
            assert rows[s + "_pad"] == rows[s]
    if "cmrc_dev_tune_pad" in rows:  # round 19: the tune-half questions, asked again on the target-size index
        assert rows["cmrc_dev_tune_pad"] == rows["cmrc_dev_tune"]
    dense = CAL["tune_stats"]["dense"]
    assert CAL["models"]["dense"]["refusal"]["threshold"] == dense["threshold"]
    assert set(dense["per_set"]) <= set(CAL["fitted_on"])
