"""Outliers and skew (seed reasons 1, 6): DG108 outliers, DG113 skewed."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.profile._arrow import to_float64
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_binary, tail_ratio
from dataguard.rules.near_constant import near_constant_reason

#: After the log, at most this share beyond the far-out fences counts as "the log fixes it".
LOG_CLEAN_SHARE = 1e-4

DG108 = RuleSpec(
    "DG108",
    "outliers",
    "outliers",
    Severity.WARNING,
    (1, 6),
    "points beyond robust fences, heavy tails; clip/winsorize, robust scale or log",
)
DG113 = RuleSpec(
    "DG113",
    "skewed",
    "outliers",
    Severity.WARNING,
    (1,),
    "strongly skewed positive values: log / power transform",
)


def is_skewed(ctx: RuleContext, c: ColumnProfile) -> bool:
    """Non-negative, skewed by moments and by quantiles (so not one outlier's doing)."""
    t = ctx.thresholds
    return bool(
        c.min is not None
        and c.min >= 0
        and c.skewness is not None
        and c.skewness > t.skew
        and not is_binary(c)
        and upper_tail_ratio(ctx, c) > t.tail_ratio
    )


def upper_tail_ratio(ctx: RuleContext, c: ColumnProfile) -> float:
    """:func:`tail_ratio`; with a point mass at the minimum, the ratio of the rest.

    When at least half the values sit at the minimum (q01 == q50: zeros of a sparse or
    zero-inflated column), the plain ratio is infinite whatever the other values look like,
    and mostly-zero bounded values (image pixels 0..16, rare counts 0..3) would pass for a
    long tail that a log fixes. Then the values above the minimum are measured instead:
    (q99 - q50) / (q50 - min) of them, i.e. how far their tail stretches beyond their median,
    both counted from the mass. Exact from the value counts when kept, else on the row sample.
    """
    ratio = tail_ratio(c)
    if c.q(0.01) < c.q(0.5):
        return ratio
    above = _values_above_min(ctx, c)
    if above is None:
        return ratio
    x, w = above
    cum = np.cumsum(w)
    q50, q99 = (x[min(int(np.searchsorted(cum, p * cum[-1])), x.size - 1)] for p in (0.5, 0.99))
    return float((q99 - q50) / (q50 - c.min))


def _values_above_min(
    ctx: RuleContext, c: ColumnProfile
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None:
    """Sorted values above the minimum with their weights (counts), or None if none known."""
    if c.values is not None:  # sorted by value
        x = np.fromiter((v for v in c.values if v > c.min), float)
        w = np.fromiter((n for v, n in c.values.items() if v > c.min), float)
    else:
        sample = ctx.profile.sample
        if sample.num_rows == 0 or c.name not in sample.column_names:
            return None
        x = to_float64(sample.column(c.name).combine_chunks())
        x = np.sort(x[np.isfinite(x) & (x > c.min)])
        w = np.ones(x.size)
    return (x, w) if x.size else None


def _log_name(c: ColumnProfile) -> str:
    """``log`` for strictly positive values (a log-normal becomes normal), else ``log1p``."""
    return "log" if c.min is not None and c.min > 0 else "log1p"


def _log_space_clean(ctx: RuleContext, c: ColumnProfile) -> bool:
    """On the row sample: after the log, do (almost) no values cross the far-out fences?"""
    sample = ctx.profile.sample
    if sample.num_rows == 0 or c.name not in sample.column_names:
        return False
    x = to_float64(sample.column(c.name).combine_chunks())
    x = x[np.isfinite(x)]
    x = np.log(x) if _log_name(c) == "log" else np.log1p(x)
    if x.size < 20:
        return False
    q1, q3 = np.quantile(x, [0.25, 0.75])
    iqr = q3 - q1
    beyond = np.count_nonzero((x < q1 - 3 * iqr) | (x > q3 + 3 * iqr))
    return bool(iqr > 0 and beyond <= LOG_CLEAN_SHARE * x.size)


def outliers(ctx: RuleContext) -> Iterator[Finding]:
    """DG108."""
    t = ctx.thresholds
    for c in ctx.numeric_inputs():
        if (
            is_binary(c)
            or c.max_abs_robust_z is None
            or c.max_abs_robust_z < t.outlier_z
            or not c.beyond_fences_share
            or near_constant_reason(c, t) is not None
        ):
            continue
        if is_skewed(ctx, c) and _log_space_clean(ctx, c):
            continue  # DG113's log transform removes them
        lo, hi = c.fences or (math.nan, math.nan)
        approx = "" if c.beyond_fences_exact else " (estimated on the row sample)"
        yield DG108.finding(
            [c.name],
            f"Column {c.name!r}: {c.beyond_fences_share:.3%} of values{approx} lie beyond the "
            f"far-out fences [{fmt(lo)}, {fmt(hi)}], the extreme {fmt(c.max_abs_robust_z)} "
            "robust std from the median; they will dominate the loss; clip at the fences "
            "or use a robust scaler",
            {
                "beyond_fences_share": c.beyond_fences_share,
                "exact": c.beyond_fences_exact,
                "fences": [lo, hi],
                "max_abs_robust_z": c.max_abs_robust_z,
                "min": c.min,
                "max": c.max,
                "median": c.q(0.5),
                "iqr": c.iqr,
            },
            {
                "transform": "clip",  # at the far-out fences: robust to the outliers' share
                "lower": max(lo, c.min),
                "upper": min(hi, c.max),
                "then": {"transform": "robust_scale", "center": c.q(0.5), "scale": c.iqr},
            },
        )


def skewed(ctx: RuleContext) -> Iterator[Finding]:
    """DG113."""
    for c in ctx.numeric_inputs():
        if not is_skewed(ctx, c):
            continue
        ratio = upper_tail_ratio(ctx, c)
        at_min = c.q(0.01) >= c.q(0.5)
        tail = (
            f"over half the values at {fmt(c.min)} and the rest's upper tail {fmt(ratio)}x "
            "their median"
            if at_min
            else f"upper tail {fmt(ratio)}x the lower"
        )
        yield DG113.finding(
            [c.name],
            f"Column {c.name!r}: non-negative and strongly right-skewed (skewness "
            f"{fmt(c.skewness)}, {tail}); expected roughly symmetric inputs; apply "
            f"{_log_name(c)}, then standardize",
            {
                "skewness": c.skewness,
                "tail_ratio": ratio,
                "mass_at_min": at_min,
                "q01": c.q(0.01),
                "median": c.q(0.5),
                "q99": c.q(0.99),
                "min": c.min,
                "max": c.max,
            },
            {"transform": _log_name(c), "then": {"transform": "standardize"}},
        )
