"""Score-shape and channel-agreement evidence for the refusal decision (issue 9, round 7).

The refusal model (:func:`rag.select.question_features`) reads the best candidate sentence and a few maxima.
"The index lacks it" and "asked in other words" differ in how the evidence is *spread* over the candidates:

- **channel agreement**: does the sentence the selector prefers also have the best cosine, the best term
  coverage, the best focus (``sh_cos_lag``, ``sh_cov_lag``, ``sh_focus_lag``: how far the chosen sentence
  trails the best one on each channel; 0 when they agree)?
- **score shape**: does one sentence stand out on the cosine (``sh_cos_top_gap``, ``sh_cos_z``), does one
  passage stand out on the selector (``sh_p_other``: the best other passage's P over the best P;
  ``sh_strong_passages``: passages within half of the best P), how much selector mass there is
  (``sh_p_mass``, ``sh_p_second``)?
- **passage agreement**: the quoted passage against the best other one on term coverage and dense score
  (``sh_pass_cov_lead``, ``sh_pass_dense_lead``), and which passage rank is quoted (``sh_rank``).

All of them are computed from the candidates' own features and selector P (no text, no retrieval), so the
bench can recompute them from saved feature rows. This module neither fits nor decides: the refusal model
reads these features when it was fitted with them (``bench/calibrate_answers.py --shape``).
"""

from __future__ import annotations

import math
from typing import Protocol, Sequence

__all__ = ["SHAPE_FEATURES", "shape_features"]

SHAPE_FEATURES = ("sh_cos_lag", "sh_cov_lag", "sh_focus_lag", "sh_cos_top_gap", "sh_cos_z", "sh_p_other",
                  "sh_strong_passages", "sh_p_mass", "sh_p_second", "sh_pass_cov_lead", "sh_pass_dense_lead",
                  "sh_rank")


class _Scored(Protocol):
    features: dict[str, float]
    p: float


def _passage(f: dict[str, float]) -> float:
    """The candidate's passage, by its rank (``inv_rank`` = 1/rank)."""
    return round(f.get("inv_rank", 0.0), 6)


def shape_features(cands: Sequence[_Scored]) -> dict[str, float]:
    """The ``sh_*`` features of candidates sorted best first (``p`` = the selector's P); {} without candidates.

    >>> class C:
    ...     def __init__(self, p, **f): self.p, self.features = p, f
    >>> f = shape_features([C(0.9, inv_rank=1.0, cos=0.8, coverage=0.5, passage_coverage=0.6, passage_dense=0.8),
    ...                     C(0.2, inv_rank=0.5, cos=0.85, coverage=0.7, passage_coverage=0.4, passage_dense=0.7)])
    >>> round(f["sh_cos_lag"], 2), round(f["sh_cov_lag"], 2), round(f["sh_p_other"], 3), round(f["sh_pass_cov_lead"], 2)
    (0.05, 0.2, 0.222, 0.2)
    """
    if not cands:
        return {}
    best = cands[0]
    bf = best.features
    bp = max(best.p, 1e-6)
    out: dict[str, float] = {}
    for name, key in (("sh_cos_lag", "cos"), ("sh_cov_lag", "coverage"), ("sh_focus_lag", "focus")):
        vals = [c.features[key] for c in cands if key in c.features]
        out[name] = (max(vals) - bf.get(key, 0.0)) if vals else 0.0
    cos = sorted((c.features["cos"] for c in cands if "cos" in c.features), reverse=True)
    if len(cos) >= 2:
        mean = sum(cos) / len(cos)
        sd = math.sqrt(sum((c - mean) ** 2 for c in cos) / len(cos)) or 1e-6
        out["sh_cos_top_gap"], out["sh_cos_z"] = cos[0] - cos[1], (cos[0] - mean) / sd
    else:
        out["sh_cos_top_gap"], out["sh_cos_z"] = 0.0, 0.0
    per_passage: dict[float, tuple[float, float, float]] = {}
    for c in cands:  # passage → (best P, coverage, dense)
        k = _passage(c.features)
        p0 = per_passage.get(k, (0.0, 0.0, 0.0))[0]
        per_passage[k] = (max(p0, c.p), c.features.get("passage_coverage", 0.0), c.features.get("passage_dense", 0.0))
    own = _passage(bf)
    others = [v for k, v in per_passage.items() if k != own]
    out["sh_p_other"] = max((v[0] for v in others), default=0.0) / bp
    out["sh_strong_passages"] = float(sum(v[0] >= 0.5 * bp for v in per_passage.values()))
    out["sh_p_mass"] = sum(c.p for c in cands)
    out["sh_p_second"] = cands[1].p if len(cands) > 1 else 0.0
    mine = per_passage[own]
    out["sh_pass_cov_lead"] = mine[1] - max((v[1] for v in others), default=0.0)
    out["sh_pass_dense_lead"] = mine[2] - max((v[2] for v in others), default=0.0)
    out["sh_rank"] = 1.0 / bf["inv_rank"] if bf.get("inv_rank") else 5.0
    return out
