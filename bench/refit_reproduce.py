"""Round 19, h4 (issue 9): why a refit of the refusal model does not reproduce the shipped threshold — diagnostics.

Reads the calib rows two runs of ``bench/calibrate_answers.py`` saved (``$RAG_HOME/calib_rows_<set>.jsonl``) and the
out-of-fold files they wrote (``--oof-out``); changes nothing and fits nothing (``perturb`` only writes a noisy copy
of a home's rows for a refit with ``--reuse-rows``). Subcommands:

- ``rows A B`` — the same questions in two homes, set by set: rows whose fields or candidate features differ, which
  features, by how much;
- ``curve HOME OOF [T ...]`` — the dense threshold rule's pieces (``everyday_loro.rule_threshold``, utility): the
  padded rows' floor and ceiling, the everyday rows' utility at every grid point, and at the thresholds T;
- ``rates OOF T ...`` — out-of-fold refusal rates of the watched sets at thresholds T;
- ``oofdiff BASE OOF ...`` — how far out-of-fold P moves between fits (all rows, everyday rows);
- ``pivots HOME OOF ...`` — the everyday rows whose P lies near the thresholds, in each fit;
- ``perturb SRC DST SD SEED`` — copy SRC's rows with Gaussian noise (sd SD) on the embedding-derived features;
- ``batch`` — one sentence embedded alone and in a batch with a long one (bf16: the padding changes the vector).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

PAD = ("cmrc_trial_pad", "drcd_tune_pad")


def _rows(home: Path, name: str) -> list[dict]:
    return [json.loads(x) for x in (home / name).read_text(encoding="utf-8").splitlines()]


def _keyed(home: Path, name: str) -> dict:
    seen: collections.Counter = collections.Counter()
    out = {}
    for r in _rows(home, name):
        k = (r["set"], r["qid"], r.get("kind", "full"), r["answerable"])
        out[k + (seen[k],)] = r
        seen[k] += 1
    return out


def rows_cmd(a_home: Path, b_home: Path, tol: float) -> None:
    for f in sorted(p.name for p in a_home.glob("calib_rows_*.jsonl")):
        if not (b_home / f).exists():
            print(f, "missing in", b_home)
            continue
        A, B = _keyed(a_home, f), _keyed(b_home, f)
        n_diff, struct = 0, collections.Counter()
        cnt, mx = collections.Counter(), collections.defaultdict(float)
        for k in sorted(set(A) & set(B)):
            ra, rb, d = A[k], B[k], False
            for fld in ("statute", "group", "law"):
                if ra.get(fld) != rb.get(fld):
                    struct[fld] += 1
                    d = True
            x = abs(ra["dense"] - rb["dense"])
            mx["dense"] = max(mx["dense"], x)
            if x > tol:
                cnt["dense"] += 1
                d = True
            if len(ra["cands"]) != len(rb["cands"]):
                struct["n_cands"] += 1
                d = True
            else:
                for (fa, la), (fb, lb) in zip(ra["cands"], rb["cands"]):
                    if la != lb:
                        struct["cand_label"] += 1
                        d = True
                    for n in set(fa) | set(fb):
                        x = abs(fa.get(n, 0.0) - fb.get(n, 0.0))
                        mx[n] = max(mx[n], x)
                        if x > tol:
                            cnt[n] += 1
                            d = True
            n_diff += d
        feats = ", ".join(f"{n} {c} cands max {mx[n]:.2e}" for n, c in cnt.most_common(8))
        print(f"{f}: rows {len(A)}/{len(B)}, unmatched {len(set(A) ^ set(B))}, rows differing {n_diff}; "
              f"structure {dict(struct)}; max|d dense| {mx['dense']:.2e}; {feats}")


def _oof(path: str):
    o = json.loads(Path(path).read_text(encoding="utf-8"))
    return np.array(o["p"]), np.array(o["y"]), np.array(o["set"]).astype(str)


def _hits(home: Path, sets: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quote hits (shipped dense selector) and row ids of the everyday rows, in the OOF file's order."""
    from everyday_loro import quote_hit

    from rag.select import LinearModel

    sel = LinearModel.from_dict(json.loads(Path("rag/calibration.json").read_text(encoding="utf-8"))
                                ["models"]["dense"]["selector"])
    hit, ids = np.zeros(len(sets), int), np.array([""] * len(sets), dtype=object)
    for name in dict.fromkeys(sets[np.char.startswith(sets, "everyday")]):
        ix = np.where(sets == name)[0]
        rs = [r for r in _rows(home, f"calib_rows_{name}.jsonl") if not r["statute"] and r["set"] == name]
        assert len(rs) == len(ix) and [r["answerable"] for r in rs] == y[ix].tolist(), name
        hit[ix] = [quote_hit(r, sel) for r in rs]
        ids[ix] = [f"{name}:{r['qid']}:{r.get('kind', 'full')}" for r in rs]
    return hit, ids


def curve_cmd(home: Path, oof: str, extra: list[float]) -> None:
    from everyday_loro import FLOOR_RECALL, utility

    p, y, s = _oof(oof)
    hit, _ = _hits(home, s, y)
    base = np.isin(s, PAD)
    pos, neg = np.sort(p[(y == 1) & base]), np.sort(p[(y == 0) & base])
    ceiling = float(pos[int(0.03 * len(pos))])
    floor = float(np.nextafter(neg[max(int(np.ceil(FLOOR_RECALL * len(neg))) - 1, 0)], 1.0))
    ev = np.char.startswith(s, "everyday")
    grid = np.unique(np.concatenate([[floor, ceiling], p[ev & (p >= floor) & (p <= ceiling)]]))
    u = np.array([utility(p[ev], y[ev], hit[ev], t) for t in grid])
    a, n = ev & (y == 1), ev & (y == 0)
    print(f"floor {floor:.4f} ceiling {ceiling:.4f} chosen {grid[int(np.nanargmax(u))]:.4f}; everyday rows "
          f"{ev.sum()} ({a.sum()} answerable)")
    for t in extra:
        print(f"  at {t:.4f}: U {utility(p[ev], y[ev], hit[ev], t):.4f}, everyday answerable refused "
              f"{int((p[a] < t).sum())}/{a.sum()}, unanswerable refused {int((p[n] < t).sum())}/{n.sum()}")
    for t, v in zip(grid, u):
        print(f"  {t:.4f}  U {v:.4f}  answerable refused {int((p[a] < t).sum())}  unanswerable refused "
              f"{int((p[n] < t).sum())}")


def rates_cmd(oof: str, thresholds: list[float]) -> None:
    p, y, s = _oof(oof)
    groups = {"pad (both)": np.isin(s, PAD), **{x: s == x for x in (*PAD, "cmrc_trial", "drcd_tune", "cmrc_dev_tune",
                                                                     "cmrc_trial_para", "drcd_tune_para")},
              "everyday (dev,5-8)": np.char.startswith(s, "everyday")}
    for t in thresholds:
        print(f"threshold {t:.4f}")
        for g, m in groups.items():
            a, n = m & (y == 1), m & (y == 0)
            print(f"  {g:20s} answerable refused {(p[a] < t).mean() * 100:5.2f} % ({int((p[a] < t).sum())}/{a.sum()})"
                  f"  unanswerable refused {(p[n] < t).mean():.3f} ({int((p[n] < t).sum())}/{n.sum()})")


def oofdiff_cmd(base: str, others: list[str]) -> None:
    pb, y, s = _oof(base)
    ev = np.char.startswith(s, "everyday")
    for f in others:
        p, y2, s2 = _oof(f)
        assert (y2 == y).all() and (s2 == s).all(), f
        d = np.abs(p - pb)
        print(f"{f}: |dP| all rows median {np.median(d):.4f} p95 {np.quantile(d, .95):.4f} max {d.max():.4f}; "
              f"everyday median {np.median(d[ev]):.4f} p95 {np.quantile(d[ev], .95):.4f} max {d[ev].max():.4f}")


def pivots_cmd(home: Path, oofs: list[str], lo: float = 0.14, hi: float = 0.24) -> None:
    P = np.array([_oof(f)[0] for f in oofs])
    _, y, s = _oof(oofs[0])
    _, ids = _hits(home, s, y)
    near = np.char.startswith(s, "everyday") & ((P > lo) & (P < hi)).any(0)
    print("row".ljust(32), "y", " ".join(Path(f).stem[:12].rjust(12) for f in oofs))
    for i in np.where(near)[0]:
        print(str(ids[i]).ljust(32), y[i], " ".join(f"{v:12.4f}" for v in P[:, i]))


def perturb_cmd(src: Path, dst: Path, sd: float, seed: int) -> None:
    rng = random.Random(seed)
    dst.mkdir(parents=True, exist_ok=True)
    for f in sorted(src.glob("calib_rows_*.jsonl")):
        with open(dst / f.name, "w", encoding="utf-8") as out:
            for r in _rows(src, f.name):
                r["dense"] += rng.gauss(0, sd)
                for fe, _ in r["cands"]:
                    for n in fe:
                        if "cos" in n or "dense" in n:
                            fe[n] += rng.gauss(0, sd)
                out.write(json.dumps(r, ensure_ascii=False) + "\n")


def batch_cmd() -> None:
    from rag.embed import get_embedder

    e = get_embedder("e5-small")
    s = ["中华人民共和国劳动合同法自2008年1月1日起施行。", "用人单位应当按时足额支付劳动报酬。", "上海轨道交通17号线是上海的一条地铁线路。"]
    alone = np.array([e.embed_passages([x])[0] for x in s])
    padded = np.array(e.embed_passages(s + ["根据本条例的规定，" * 40])[:3])
    same = np.array(e.embed_passages(s))
    print(f"precision {getattr(e, 'precision', '?')}; alone vs batched with a long text: max |d| "
          f"{np.abs(alone - padded).max():.2e}, min cosine {(alone * padded).sum(1).min():.6f}; alone vs batched "
          f"together: max |d| {np.abs(alone - same).max():.2e}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    x = sub.add_parser("rows")
    x.add_argument("a", type=Path)
    x.add_argument("b", type=Path)
    x.add_argument("--tol", type=float, default=1e-12)
    x = sub.add_parser("curve")
    x.add_argument("home", type=Path)
    x.add_argument("oof")
    x.add_argument("at", type=float, nargs="*")
    x = sub.add_parser("rates")
    x.add_argument("oof")
    x.add_argument("at", type=float, nargs="+")
    x = sub.add_parser("oofdiff")
    x.add_argument("base")
    x.add_argument("others", nargs="+")
    x = sub.add_parser("pivots")
    x.add_argument("home", type=Path)
    x.add_argument("oofs", nargs="+")
    x = sub.add_parser("perturb")
    x.add_argument("src", type=Path)
    x.add_argument("dst", type=Path)
    x.add_argument("sd", type=float)
    x.add_argument("seed", type=int)
    sub.add_parser("batch")
    a = ap.parse_args(argv)
    if a.cmd == "rows":
        rows_cmd(a.a, a.b, a.tol)
    elif a.cmd == "curve":
        curve_cmd(a.home, a.oof, a.at)
    elif a.cmd == "rates":
        rates_cmd(a.oof, a.at)
    elif a.cmd == "oofdiff":
        oofdiff_cmd(a.base, a.others)
    elif a.cmd == "pivots":
        pivots_cmd(a.home, a.oofs)
    elif a.cmd == "perturb":
        perturb_cmd(a.src, a.dst, a.sd, a.seed)
    else:
        batch_cmd()


if __name__ == "__main__":
    main()
