"""Scale rules (seed reason 1): DG101 unscaled, DG102 disparity, DG104 small unit,
DG105 large offset."""

from __future__ import annotations

from collections.abc import Iterator

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_binary, is_constant, robust_scale
from dataguard.rules.cyclic import cyclic_verdict
from dataguard.rules.near_constant import near_constant_reason
from dataguard.rules.types import identifier_reason

DG101 = RuleSpec(
    "DG101",
    "unscaled-feature",
    "scale",
    Severity.WARNING,
    (1,),
    "a numeric input whose robust spread or offset is far from unit scale",
)
DG102 = RuleSpec(
    "DG102",
    "scale-disparity",
    "scale",
    Severity.WARNING,
    (1,),
    "robust spreads of the inputs differ by orders of magnitude",
)
DG104 = RuleSpec(
    "DG104",
    "small-unit-feature",
    "scale",
    Severity.INFO,
    (1,),
    "a tiny absolute range that still varies meaningfully: rescale, don't drop",
)
DG105 = RuleSpec(
    "DG105",
    "large-offset",
    "scale",
    Severity.INFO,
    (1, 3),
    "offset dominates spread (float32/float16 precision loss): center it",
)


def _scalable(ctx: RuleContext) -> list[ColumnProfile]:
    """Numeric inputs that scaling rules judge: not binary, not (near-)constant, not an
    identifier (DG103 and DG114 say to drop those, not to scale them), not cyclic (DG110's
    sin/cos encoding replaces them)."""
    return [
        c
        for c in ctx.numeric_inputs()
        if not is_binary(c)
        and not is_constant(c)
        and near_constant_reason(c, ctx.thresholds) is None
        and identifier_reason(c, ctx.thresholds) is None
        and cyclic_verdict(ctx, c) is None
    ]


def unscaled(ctx: RuleContext) -> Iterator[Finding]:
    """DG101."""
    t = ctx.thresholds
    for c in _scalable(ctx):
        s, med = robust_scale(c), c.q(0.5)
        if max(s, abs(med)) <= t.scale_high:
            continue
        yield DG101.finding(
            [c.name],
            f"Column {c.name!r}: expected values of order 1 for gradient training, found "
            f"median {fmt(med)} and robust spread {fmt(s)} (limit {fmt(t.scale_high)}); "
            "standardize it",
            {"robust_scale": s, "median": med, "mean": c.mean, "std": c.std, "limit": t.scale_high},
            {"transform": "standardize", "center": c.mean, "scale": c.std},
        )


def disparity(ctx: RuleContext) -> Iterator[Finding]:
    """DG102: one finding naming the largest- and smallest-scale inputs."""
    cols = [(robust_scale(c), c) for c in _scalable(ctx)]
    cols = [(s, c) for s, c in cols if s > 0]
    if len(cols) < 2:
        return
    (s_lo, lo), (s_hi, hi) = min(cols, key=lambda x: x[0]), max(cols, key=lambda x: x[0])
    ratio = s_hi / s_lo
    if ratio <= ctx.thresholds.disparity_ratio:
        return
    yield DG102.finding(
        [hi.name, lo.name],
        f"Inputs {hi.name!r} (robust spread {fmt(s_hi)}) and {lo.name!r} ({fmt(s_lo)}) differ "
        f"{fmt(ratio)}x in scale, expected within {fmt(ctx.thresholds.disparity_ratio)}x; "
        "standardize every input",
        {
            "ratio": ratio,
            "largest": hi.name,
            "largest_scale": s_hi,
            "smallest": lo.name,
            "smallest_scale": s_lo,
            "scales": {c.name: s for s, c in sorted(cols, key=lambda x: -x[0])},
        },
        {"transform": "standardize", "columns": [c.name for _, c in cols]},
    )


def small_unit(ctx: RuleContext) -> Iterator[Finding]:
    """DG104."""
    t = ctx.thresholds
    for c in _scalable(ctx):
        s = robust_scale(c)
        peak = max(abs(c.min), abs(c.max))
        if 0 < s < t.small_scale and peak < t.small_max:
            yield DG104.finding(
                [c.name],
                f"Column {c.name!r}: values vary in a tiny range (robust spread {fmt(s)}, "
                f"max |x| {fmt(peak)}); rescale it rather than drop it",
                {"robust_scale": s, "max_abs": peak, "std": c.std},
                {"transform": "standardize", "center": c.mean, "scale": c.std},
            )


def large_offset(ctx: RuleContext) -> Iterator[Finding]:
    """DG105; a warning when float32 can no longer resolve the spread."""
    t = ctx.thresholds
    for c in _scalable(ctx):
        if not c.std or c.mean is None:
            continue
        ratio = abs(c.mean) / c.std
        if ratio <= t.offset_ratio:
            continue
        f32 = c.float32_resolution or 0.0
        lossy = f32 > t.float32_resolution_share * c.std
        if not lossy and max(robust_scale(c), abs(c.q(0.5))) > t.scale_high:
            continue  # DG101 already says standardize, which centers; nothing more to add
        yield DG105.finding(
            [c.name],
            f"Column {c.name!r}: offset {fmt(c.mean)} is {fmt(ratio)}x its std {fmt(c.std)}"
            + (f"; float32 steps of {fmt(f32)} cannot resolve it" if lossy else "")
            + "; subtract the offset in float64 before any cast",
            {"mean": c.mean, "std": c.std, "offset_ratio": ratio, "float32_resolution": f32},
            {"transform": "center", "offset": c.mean, "dtype": "float64"},
            severity=Severity.WARNING if lossy else None,
        )
