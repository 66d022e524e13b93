"""CMRC2018 dev split by article into a *report* half and a *tune* half (round 18, issue 9).

The rule is ``drcd_halves``' (``bench/calib_rows.py``): an article goes to the report half when
``int(sha256(title)) % 2 == 0``, to the tune half otherwise. The tune half then loses every CMRC dev article that a
past held-out documents set uses (the ``CMRC_IDS`` of ``bench/heldout*_docs.py`` and ``bench/everyday_heldout6.py``,
read from their source without importing them), so those sets stay unfitted. The report half is left whole: it is
what ``rag eval`` reports on (and where the lead's helpers pick new held-out articles).

``--every N`` keeps every Nth article of the tune half (a cut for 2 shared cores; 1 = all).

    python bench/cmrc_dev_halves.py --out DIR [--every N]   # writes DIR/cmrc_dev_tune[_everyN].json, cmrc_dev_report.json

This module does not collect rows or fit models.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CMRC_DEV = DATA / "cmrc2018" / "cmrc2018_dev.json"


def heldout_cmrc_ids(bench: Path = ROOT / "bench") -> set[str]:
    """Every CMRC dev article id a held-out documents set of ``bench/`` names (its module-level ``CMRC_IDS`` list)."""
    ids: set[str] = set()
    for path in sorted(bench.glob("heldout*_docs.py")) + [bench / "everyday_heldout6.py"]:
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "CMRC_IDS" for t in node.targets):
                ids.update(x for x in ast.literal_eval(node.value) if str(x).startswith("DEV_"))
    return ids


def half_of(title: str) -> str:
    """``report`` (bucket 0) or ``tune`` (bucket 1) — the rule of ``calib_rows.drcd_halves``."""
    return "report" if int(hashlib.sha256(title.encode("utf-8")).hexdigest(), 16) % 2 == 0 else "tune"


def cmrc_dev_halves(out_dir: Path, path: Path = CMRC_DEV, every: int = 1,
                    exclude: set[str] | None = None) -> tuple[Path, Path]:
    """Write the tune half (held-out documents' articles dropped, every ``every``-th kept) and the report half."""
    data = json.loads(path.read_text(encoding="utf-8"))
    exclude = heldout_cmrc_ids() if exclude is None else exclude
    halves: dict[str, list] = {"tune": [], "report": []}
    for art in data["data"]:
        halves[half_of(art.get("title", ""))].append(art)
    halves["tune"] = [a for a in halves["tune"] if a.get("id") not in exclude][::every]
    out_dir.mkdir(parents=True, exist_ok=True)
    names = {"tune": f"cmrc_dev_tune{f'_every{every}' if every > 1 else ''}.json", "report": "cmrc_dev_report.json"}
    paths = []
    for half in ("tune", "report"):
        p = out_dir / names[half]
        p.write_text(json.dumps({"version": data.get("version", ""), "data": halves[half]}, ensure_ascii=False),
                     encoding="utf-8")
        paths.append(p)
    return paths[0], paths[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="folder for the two SQuAD files")
    ap.add_argument("--every", type=int, default=1, help="keep every Nth article of the tune half")
    args = ap.parse_args(argv)
    tune, report = cmrc_dev_halves(Path(args.out), every=args.every)
    for p in (tune, report):
        arts = json.loads(p.read_text(encoding="utf-8"))["data"]
        n = sum(len(q["qas"]) for a in arts for q in a["paragraphs"])
        print(f"{p}: {len(arts)} articles, {n} questions", file=sys.stderr)


if __name__ == "__main__":
    main()
