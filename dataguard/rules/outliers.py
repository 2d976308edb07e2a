"""Outliers and skew (seed reasons 1, 6): DG108 outliers, DG113 skewed."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.profile._arrow import to_float64
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_binary, tail_ratio
from dataguard.rules._thresholds import Thresholds
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


def is_skewed(c: ColumnProfile, t: Thresholds) -> bool:
    """Non-negative, skewed by moments and by quantiles (so not one outlier's doing)."""
    return bool(
        c.min is not None
        and c.min >= 0
        and c.skewness is not None
        and c.skewness > t.skew
        and tail_ratio(c) > t.tail_ratio
        and not is_binary(c)
    )


def _log_space_clean(ctx: RuleContext, c: ColumnProfile) -> bool:
    """On the row sample: after the log, do (almost) no values cross the far-out fences?"""
    sample = ctx.profile.sample
    if sample.num_rows == 0 or c.name not in sample.column_names:
        return False
    x = to_float64(sample.column(c.name).combine_chunks())
    x = x[np.isfinite(x)]
    x = np.log(x) if x.size and x.min() > 0 else np.log1p(x)
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
        if is_skewed(c, t) and _log_space_clean(ctx, c):
            continue  # DG113's log transform removes them
        lo, hi = c.fences or (math.nan, math.nan)
        approx = "" if c.beyond_fences_exact else " (estimated on the row sample)"
        yield DG108.finding(
            [c.name],
            f"Column {c.name!r}: {c.beyond_fences_share:.3%} of values{approx} lie beyond the "
            f"far-out fences [{fmt(lo)}, {fmt(hi)}], the extreme {fmt(c.max_abs_robust_z)} "
            "robust std from the median; they will dominate the loss; clip at the 0.1%/99.9% "
            "quantiles or use a robust scaler",
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
                "transform": "clip",
                "lower": c.q(0.001),
                "upper": c.q(0.999),
                "then": {"transform": "robust_scale", "center": c.q(0.5), "scale": c.iqr},
            },
        )


def skewed(ctx: RuleContext) -> Iterator[Finding]:
    """DG113."""
    t = ctx.thresholds
    for c in ctx.numeric_inputs():
        if not is_skewed(c, t):
            continue
        ratio = tail_ratio(c)
        yield DG113.finding(
            [c.name],
            f"Column {c.name!r}: non-negative and strongly right-skewed (skewness "
            f"{fmt(c.skewness)}, upper tail {fmt(ratio)}x the lower); expected roughly "
            "symmetric inputs; apply log1p, then standardize",
            {
                "skewness": c.skewness,
                "tail_ratio": ratio,
                "q01": c.q(0.01),
                "median": c.q(0.5),
                "q99": c.q(0.99),
                "min": c.min,
                "max": c.max,
            },
            {"transform": "log1p", "then": {"transform": "standardize"}},
        )
