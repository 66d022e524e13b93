"""Cross-fitted query adapters for fitting the statute answer models on honest, adapter-on features.

The shipped query adapter (``rag/data/query_adapter.json``) was fitted on every STARD tune question, so
retrieval of a tune question through it is in-sample: its gold article ranks higher than it would for a
new question, and a refusal model fitted on those features would trust the top hit too much. Here the
tune fold is cut into K folds grouped by gold article (questions sharing a gold passage of the adapter's
index are one group, ``bench/stard_split.components``); for each fold an adapter is fitted with the
shipped recipe on the *other* folds, and that fold's questions are retrieved through it. Every tune
question's feature rows thus come from an adapter that never saw it — as the report fold's questions
and a user's questions do with the shipped adapter.

    from stard_crossfit import fold_adapters
    folds, paths = fold_adapters(adapter_home, tune_jsonl, k=4, out_dir=cache_dir)

This module fits adapters and assigns folds; ``bench/stard_answers.py fit --cross-fit-adapter`` collects
the rows and fits the models.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_query_adapter import FitConfig, group_folds, index_training_set, train  # noqa: E402

#: The shipped adapter's recipe (bench/results/query_adapter.md: chosen by CV inside tune).
SHIPPED = FitConfig(rank=0, l2=0.1, steps=200, tau=0.05)
SALT = "h1-crossfit"


def fold_of(qid: str, k: int) -> int:
    """The fold of a question that has no gold passage in the adapter's index (hash of its id)."""
    return int(hashlib.sha256(f"{SALT}:{qid}".encode()).hexdigest(), 16) % k


def fold_adapters(adapter_home: str | Path, tune_jsonl: str | Path, *, k: int, out_dir: Path,
                  cfg: FitConfig = SHIPPED, scale: float = 1.0) -> tuple[dict[str, int], list[Path]]:
    """``({question id: fold}, [adapter file of fold f: fitted on the other folds])``; adapter files are
    reused when they exist for the same inputs (their ``meta`` records them). ``scale``: the share of the
    correction the returned files apply (the shipped adapter's, :attr:`rag.query_adapter.QueryAdapter.scale`)."""
    from rag.embed import get_embedder
    from rag.query_adapter import QueryAdapter, _load, load_adapter, save_adapter
    embedder = get_embedder("e5-small")
    Q, golds, P, ids = index_training_set(str(adapter_home), str(tune_jsonl), embedder, with_ids=True)
    grouped = group_folds([{"query_id": i} for i in ids], golds, k, salt=SALT)
    folds = {q: f for q, f in zip(ids, grouped)}
    for line in Path(tune_jsonl).read_text(encoding="utf-8").splitlines():  # no gold passage: by id
        if line.strip():
            qid = str(json.loads(line).get("id"))
            folds.setdefault(qid, fold_of(qid, k))
    key = {"adapter_home": str(adapter_home), "tune": str(tune_jsonl), "k": k, "fit": asdict(cfg),
           "questions": len(ids), "passages": len(P), "fingerprint": embedder.fingerprint}
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for f in range(k):
        path = out_dir / f"adapter_fold{f}of{k}.json"
        paths.append(path)
        if path.exists() and (old := load_adapter(path)) is not None and old.meta.get("key") == key:
            continue
        t0 = time.time()
        fit = [i for i, g in enumerate(grouped) if g != f]
        params = train(Q[fit], [golds[i] for i in fit], P, np.ones(len(P), bool), cfg)[cfg.steps]
        meta = {"built_by": "bench/stard_crossfit.py", "key": key, "fold": f,
                "fitted_on": f"{len(fit)} tune questions outside fold {f} of {k}"}
        save_adapter(path, QueryAdapter(embedder.fingerprint, params.get("U"), params.get("V"), params.get("A"), meta))
        _load.cache_clear()  # load_adapter caches by path
        print(f"  adapter for fold {f}: {len(fit)} questions ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    return folds, [scaled(p, scale) for p in paths]


def scaled(path: Path, scale: float) -> Path:
    """``path`` itself for scale 1, else a copy of that adapter applying ``scale`` of its correction."""
    import dataclasses

    from rag.query_adapter import _load, load_adapter, save_adapter
    if scale == 1.0:
        return path
    out = path.with_name(f"{path.stem}_scale{scale:g}.json")
    save_adapter(out, dataclasses.replace(load_adapter(path), scale=scale))
    _load.cache_clear()
    return out


def main() -> None:
    """Write ``OUT/folds.json`` (``{folds: {qid: fold}, paths: [adapter of fold f]}``) for the round-8 benches
    (``bench/mixed_law_dev.py --crossfit``, ``bench/mixed_law_refit.py``, ``bench/law_qtype_cv.py``)."""
    import argparse
    ap = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    ap.add_argument("--adapter-index", default="/tmp/fullbuild4/this-0", help="a rag index of the whole archive")
    ap.add_argument("--tune", required=True, help="stard_tune.jsonl (bench/statute_corpus.py)")
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--folds", type=int, default=4)
    a = ap.parse_args()
    from rag.query_adapter import load_adapter
    folds, paths = fold_adapters(a.adapter_index, a.tune, k=a.folds, out_dir=a.out, scale=load_adapter().scale)
    (a.out / "folds.json").write_text(json.dumps({"folds": folds, "paths": [str(p) for p in paths]}))
    print(a.out / "folds.json")


if __name__ == "__main__":
    main()
