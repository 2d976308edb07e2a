"""Drift as effect sizes, with thresholds that grow with sampling noise (not p-values).

On large data every tiny shift is "significant"; on small data a large one may be noise. So
a shift is flagged when its **effect size exceeds the tolerance AND the sampling noise**:

* **PSI** (population stability index) over the reference deciles (10 bins of 10% each):
  ``sum((a - e) * ln(a / e))``, shares smoothed by half a count. Under no drift its expected
  value is about ``(k - 1) * (1/n + 1/m)``; the limit is ``tolerance + 2 * that``.
* **KS distance** between the reference and new CDFs at the reference's decile and histogram
  edges: the limit is ``tolerance + 1.36 * sqrt((n + m) / (n m))`` (the 5% critical value).
* **Jensen-Shannon distance** (base 2, in [0, 1]) between categorical shares (the reference's
  levels plus "other"): the limit is ``tolerance + sqrt((k - 1) / (2 ln 2 * min(n, m)))``.
* **Mean shift** in reference standard deviations: the limit is ``tolerance + 3 / sqrt(m)``.

Defaults (``DriftTolerance``): PSI 0.2 (the usual "significant shift" line), KS 0.1,
JS 0.1, mean 0.5 std.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "DriftResult",
    "categorical_drift",
    "ks_limit",
    "numeric_drift",
    "psi",
    "psi_limit",
]


@dataclass
class DriftResult:
    """Effect sizes, their limits, and whether any is exceeded."""

    measures: dict[str, float] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)

    @property
    def drifted(self) -> list[str]:
        return [k for k, v in self.measures.items() if k in self.limits and v > self.limits[k]]

    def to_dict(self) -> dict[str, Any]:
        return {"measures": self.measures, "limits": self.limits, "drifted": self.drifted}


def psi(expected: npt.ArrayLike, actual: npt.ArrayLike, n_exp: float, n_act: float) -> float:
    """PSI between two share vectors, each smoothed by half a count per bin.

    >>> round(psi([0.5, 0.5], [0.5, 0.5], 100, 100), 6)
    0.0
    """
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    k = e.size
    e = (e * n_exp + 0.5) / (n_exp + 0.5 * k)
    a = (a * n_act + 0.5) / (n_act + 0.5 * k)
    return float(np.sum((a - e) * np.log(a / e)))


def psi_limit(tolerance: float, k: int, n_ref: float, n_new: float) -> float:
    """The PSI above which a shift is flagged (tolerance plus twice the noise floor)."""
    return tolerance + 2.0 * (k - 1) * (1.0 / max(n_new, 1.0) + 1.0 / max(n_ref, 1.0))


def ks_limit(tolerance: float, n_ref: float, n_new: float) -> float:
    """The KS distance above which a shift is flagged."""
    n, m = max(n_ref, 1.0), max(n_new, 1.0)
    return tolerance + 1.36 * math.sqrt((n + m) / (n * m))


def numeric_drift(
    deciles: Sequence[float],
    bin_counts: npt.ArrayLike,
    n_ref: int,
    tolerances: Mapping[str, float],
    *,
    cdf_points: Sequence[float] = (),
    ref_cdf: Sequence[float] = (),
    new_cdf: Sequence[float] = (),
    mean_ref: float | None = None,
    std_ref: float | None = None,
    mean_new: float | None = None,
) -> DriftResult:
    """Drift of a numeric column.

    ``bin_counts`` are the new data's counts in the 10 bins cut at the 9 reference
    ``deciles`` (``(-inf, q1], (q1, q2], ..., (q9, inf)``); ``ref_cdf`` / ``new_cdf`` are the
    two CDFs at ``cdf_points`` (for KS).
    """
    counts = np.asarray(bin_counts, dtype=np.float64)
    m = float(counts.sum())
    out = DriftResult()
    if m == 0 or n_ref == 0:
        return out
    k = len(deciles) + 1
    expected = np.full(k, 1.0 / k)
    out.measures["psi"] = psi(expected, counts / m, n_ref, m)
    out.limits["psi"] = psi_limit(tolerances.get("psi", 0.2), k, n_ref, m)
    if len(cdf_points):
        gaps = np.abs(np.asarray(ref_cdf, dtype=np.float64) - np.asarray(new_cdf, dtype=np.float64))
        out.measures["ks"] = float(gaps.max())
        out.limits["ks"] = ks_limit(tolerances.get("ks", 0.1), n_ref, m)
    if mean_ref is not None and std_ref and mean_new is not None and std_ref > 0:
        out.measures["mean_z"] = abs(mean_new - mean_ref) / std_ref
        out.limits["mean_z"] = tolerances.get("mean_z", 0.5) + 3.0 / math.sqrt(m)
    return out


def categorical_drift(
    ref_shares: Mapping[str, float],
    new_counts: Mapping[str, int],
    n_ref: int,
    tolerances: Mapping[str, float],
) -> DriftResult:
    """Drift of a categorical column: JS distance and PSI over the reference's levels plus
    "other" (every level the reference does not list)."""
    m = float(sum(new_counts.values()))
    out = DriftResult()
    if m == 0 or n_ref == 0:
        return out
    levels = list(ref_shares)
    p = np.array([ref_shares[lv] for lv in levels] + [max(0.0, 1.0 - sum(ref_shares.values()))])
    q = np.array(
        [new_counts.get(lv, 0) for lv in levels]
        + [sum(v for k, v in new_counts.items() if k not in ref_shares)],
        dtype=np.float64,
    )
    q = q / m
    keep = (p > 0) | (q > 0)
    p, q = p[keep], q[keep]
    k = int(p.size)
    mix = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / mix), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / mix), 0.0).sum()
    js = math.sqrt(max(0.0, 0.5 * (kl_p + kl_q)))
    out.measures["js"] = js
    out.limits["js"] = tolerances.get("js", 0.1) + math.sqrt(
        max(k - 1, 1) / (2 * math.log(2) * max(min(n_ref, m), 1.0))
    )
    out.measures["psi"] = psi(p, q, n_ref, m)
    out.limits["psi"] = psi_limit(tolerances.get("psi", 0.2), k, n_ref, m)
    return out
