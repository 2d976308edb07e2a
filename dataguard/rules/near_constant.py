"""DG103 near-constant (seed reason 1): spread too small to standardize safely."""

from __future__ import annotations

from collections.abc import Iterator

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_constant
from dataguard.rules._thresholds import Thresholds

DG103 = RuleSpec(
    "DG103",
    "near-constant",
    "near_constant",
    Severity.WARNING,
    (1,),
    "spread so small that standardizing yields inf/NaN or amplified noise",
)


def near_constant_reason(c: ColumnProfile, t: Thresholds) -> str | None:
    """Why a numeric column is (near-)constant, or None."""
    if c.kind != "numeric" or c.n_valid == 0 or c.std is None or c.mean is None:
        return None
    if is_constant(c):
        return "constant"
    if abs(c.mean) > 0 and not _exact_integers(c) and c.std < t.near_constant_rel * abs(c.mean):
        return "relative"
    floating = c.dtype.startswith(("float", "double", "halffloat"))
    if floating and c.resolution and c.std < t.near_constant_ulps * c.resolution:
        return "resolution"
    return None


def _exact_integers(c: ColumnProfile) -> bool:
    """Integer values that float64 holds exactly (|x| < 2**53): no rounding noise to amplify.

    A tiny spread relative to a large magnitude is then real variation (epoch seconds over
    an hour: std 1e3 at 1.7e9), which DG105 handles by centring, not noise to drop.
    """
    return bool(c.integral) and max(abs(c.min), abs(c.max)) < 2.0**53


def _dominant(c: ColumnProfile, t: Thresholds) -> tuple[object, float] | None:
    if not c.distinct_exact or not c.top or c.n_valid == 0:
        return None
    value, count = c.top[0]
    share = count / c.n_valid
    return (value, share) if share >= t.dominant_share and share < 1.0 else None


def near_constant(ctx: RuleContext) -> Iterator[Finding]:
    """DG103."""
    t = ctx.thresholds
    for c in ctx.numeric_inputs():
        why = near_constant_reason(c, t)
        ev = {
            "std": c.std,
            "mean": c.mean,
            "min": c.min,
            "max": c.max,
            "n_distinct": c.n_distinct,
            "resolution": c.resolution,
        }
        if why == "constant":
            yield DG103.finding(
                [c.name],
                f"Column {c.name!r}: every value is {fmt(c.min)}; a constant input "
                "carries nothing and standardizing divides by 0; drop it",
                ev,
                {"transform": "drop"},
            )
        elif why is not None:
            rel = c.std / abs(c.mean) if c.mean else float("nan")  # type: ignore[operator]
            yield DG103.finding(
                [c.name],
                f"Column {c.name!r}: std {fmt(c.std)} is {fmt(rel)} of its mean "
                f"{fmt(c.mean)} (float resolution {fmt(c.resolution)}); standardizing would "
                "amplify rounding noise; drop it or keep it unscaled",
                {**ev, "relative_std": rel},
                {"transform": "drop"},
            )
        else:
            dom = _dominant(c, t)
            if dom is not None:
                value, share = dom
                z = (1 - share) ** -0.5 if share < 1 else float("inf")
                yield DG103.finding(
                    [c.name],
                    f"Column {c.name!r}: {share:.2%} of values are {fmt(value)}; "  # type: ignore[arg-type]
                    f"standardized, the rest land near |z| = {fmt(z)}; check it is meant to be "
                    "this sparse",
                    {**ev, "dominant_value": value, "dominant_share": share},
                    None,
                    severity=Severity.INFO,
                )
