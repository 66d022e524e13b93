"""Up-front checks of ``bench/calibrate_answers.py``'s arguments: every option is validated before any index is
built or question embedded, so a typo costs seconds, not the hours of row collection that come before the late
uses of an option (the model file is written last, ``--keep-from`` was read only after fitting, a misspelt
``--everyday-index`` key was silently ignored)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

#: options that only mean something together with another one: (option, attribute, needs, attribute it needs)
_NEEDS = (
    ("--everyday-budget", "everyday_budget", "--everyday HOME", "everyday"),
    ("--min-removed-recall", "min_removed_recall", "--style-budget", "style_budget"),
    ("--refit-selectors", "refit_selectors", "--keep-from FILE", "keep_from"),
    ("--stard-in-refusal", "stard_in_refusal", "--stard", "stard"),
    ("--everyday-index", "everyday_index", "--everyday-rounds", "everyday_rounds"),
    ("--rounds", "rounds", "--everyday-rounds", "everyday_rounds"),
    ("--selector-rounds-weight", "selector_rounds_weight", "--everyday-rounds", "everyday_rounds"),
    ("--cmrc-dev-every", "cmrc_dev_every", "--cmrc-dev-tune", "cmrc_dev_tune"),
    ("--cmrc-dev-tune-pad", "cmrc_dev_tune_pad", "--cmrc-dev-tune", "cmrc_dev_tune"),
)

#: (option, attribute, low, high, low included): numbers outside their range
_RANGES = (
    ("--limit", "limit", 1, None, True),
    ("--max-false-refusal", "max_false_refusal", 0.0, 1.0, True),
    ("--max-false-refusal-lexical", "max_false_refusal_lexical", 0.0, 1.0, True),
    ("--second-ratio", "second_ratio", 0.0, 1.0, False),
    ("--everyday-weight", "everyday_weight", 0.0, None, True),
    ("--everyday-budget", "everyday_budget", 0.0, 1.0, True),
    ("--paraphrase", "paraphrase", 0, None, True),
    ("--paraphrase-weight", "paraphrase_weight", 0.0, None, True),
    ("--style-budget", "style_budget", 0.0, 1.0, True),
    ("--min-removed-recall", "min_removed_recall", 0.0, 1.0, True),
    ("--selector-rounds-weight", "selector_rounds_weight", 0.0, None, True),
    ("--drcd-every", "drcd_every", 1, None, True),
    ("--cmrc-dev-every", "cmrc_dev_every", 1, None, True),
)


def check_args(ap: argparse.ArgumentParser, args: argparse.Namespace, home: Path) -> None:
    """``ap.error`` (exit status 2, with the usage) on the first problem found; nothing heavy is done here."""
    def given(attr: str) -> bool:  # set to something other than its default (0.0 is a given budget)
        return getattr(args, attr) != ap.get_default(attr)

    for opt, attr, needs, other in _NEEDS:
        if given(attr) and not given(other):
            ap.error(f"{opt} needs {needs}")
    for opt, attr, low, high, closed in _RANGES:
        v = getattr(args, attr)
        if v is not None and ((v < low if closed else v <= low) or (high is not None and v > high)):
            ap.error(f"{opt} {v} is out of range ({'[' if closed else '('}{low}, {'∞)' if high is None else f'{high}]'})")
    for opt, path in (("--out", args.out), ("--oof-out", args.oof_out)):
        if path and not Path(path).parent.is_dir():
            ap.error(f"{opt} {path}: folder {Path(path).parent} does not exist")
    if args.cmrc_dev_tune and args.vrows:
        ap.error("--cmrc-dev-tune cannot be combined with --vrows (its rows come from bench/verifier_rows.py)")
    if args.keep_from:
        _check_keep_from(ap, args.keep_from)
    if args.everyday_rounds:
        _check_rounds(ap, args, home)


#: what main() and _fit_models() read from a --keep-from file
_KEPT_KEYS = (("fitted_for", "fingerprint"), ("command",), ("rows",), ("models", "crosslingual"),
              ("tune_stats", "crosslingual"), ("models", "dense", "selector"), ("models", "lexical", "selector"))


def _check_keep_from(ap: argparse.ArgumentParser, path: str) -> None:
    try:
        for keys in _KEPT_KEYS:
            node = json.loads(Path(path).read_text(encoding="utf-8"))
            for k in keys:
                node = node[k]
    except (OSError, ValueError, KeyError, TypeError) as e:
        ap.error(f"--keep-from {path} is not a model file of this script ({type(e).__name__}: {e})")


def _check_rounds(ap: argparse.ArgumentParser, args: argparse.Namespace, home: Path) -> None:
    """Known rounds and index keys; each set of the chosen rounds has its rows cached (with --reuse-rows) or its
    index folder on disk."""
    from everyday_rounds import DEFAULT_INDEXES, ROUNDS, sets_of

    rounds = tuple(args.rounds.split(",")) if args.rounds else None
    if rounds and (bad := [r for r in rounds if r not in ROUNDS]):
        ap.error(f"--rounds: unknown round(s) {', '.join(bad)}; known: {','.join(ROUNDS)}")
    indexes = {}
    for item in args.everyday_index:
        key, eq, folder = item.partition("=")
        if not eq or not folder:
            ap.error(f"--everyday-index {item!r}: give KEY=DIR")
        if key not in DEFAULT_INDEXES:
            ap.error(f"--everyday-index {item!r}: unknown key {key!r}; keys: {', '.join(sorted(DEFAULT_INDEXES))}")
        indexes[key] = folder
    for name, _rnd, _file, key in sets_of(rounds):
        cached = args.reuse_rows and (home / f"calib_rows_{name}.jsonl").exists()
        folder = Path(indexes.get(key, DEFAULT_INDEXES[key]))
        if not cached and not folder.is_dir():
            ap.error(f"{name}: its index {folder} does not exist (give --everyday-index {key}=DIR"
                     + ("" if args.reuse_rows else ", or --reuse-rows with its cached rows") + ")")
