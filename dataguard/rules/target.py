"""Target rules (seed reasons 1, 2, 7): DG117 target scale, DG118 class imbalance,
DG119 label encoding."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, robust_scale
from dataguard.rules._thresholds import Thresholds

DG117 = RuleSpec(
    "DG117",
    "target-scale",
    "target",
    Severity.WARNING,
    (1, 7),
    "regression target not unit scale (e.g. 0..255): scale it, invert at inference",
)
DG118 = RuleSpec(
    "DG118", "class-imbalance", "target", Severity.WARNING, (2,), "minority class share"
)
DG119 = RuleSpec(
    "DG119",
    "label-encoding",
    "target",
    Severity.WARNING,
    (7,),
    "labels not 0..C-1, or stored as floats/strings",
)


#: Arrow type names of non-integer numbers: labels stored as these are DG119's.
_FLOAT_TYPES = ("float", "double", "halffloat", "decimal")


def infer_task(col: ColumnProfile, t: Thresholds) -> str:
    """'classification' for text, bool and few-level integer targets, else 'regression'.

    Few levels means at most ``max_classes_auto`` levels, each holding on average at least
    ``min_rows_per_level`` rows: class labels repeat, while on a few rows every integer
    measurement has few levels (20 body weights in 16 levels are a regression target).

    >>> from dataguard.profile import ColumnProfile
    >>> infer_task(ColumnProfile("y", "string", "categorical", 10, 0), Thresholds())
    'classification'
    """
    if col.kind == "categorical" or col.dtype == "bool":
        return "classification"
    if (
        col.kind == "numeric"
        and col.integral
        and col.distinct_exact
        and col.n_distinct is not None
        and col.n_distinct <= t.max_classes_auto
        and col.n_valid >= t.min_rows_per_level * col.n_distinct
    ):
        return "classification"
    return "regression"


def _targets(ctx: RuleContext, task: str) -> list[ColumnProfile]:
    return [
        ctx.profile.columns[n]
        for n in ctx.targets
        if ctx.tasks.get(n) == task and ctx.judgeable(ctx.profile.columns[n])
    ]


def target_scale(ctx: RuleContext) -> Iterator[Finding]:
    """DG117."""
    t = ctx.thresholds
    for c in _targets(ctx, "regression"):
        if c.kind != "numeric" or c.std is None:
            continue
        s, med = robust_scale(c), c.q(0.5)
        high = max(s, abs(med)) > t.target_scale_high
        low = 0 < s < t.target_scale_low and abs(med) < t.target_scale_low
        if not (high or low):
            continue
        yield DG117.finding(
            [c.name],
            f"Target {c.name!r}: expected values of order 1, found range {fmt(c.min)}..{fmt(c.max)}"
            f" (median {fmt(med)}, robust spread {fmt(s)}); an untrained network outputs about "
            "+-1, so the first epochs only learn the scale and the gradients "
            + ("explode" if high else "vanish")
            + "; standardize the target and invert the scaling at inference",
            {
                "min": c.min,
                "max": c.max,
                "mean": c.mean,
                "std": c.std,
                "median": med,
                "robust_scale": s,
            },
            {
                "transform": "standardize",
                "target": True,
                "center": c.mean,
                "scale": c.std,
                "inverse": "x * scale + center",
            },
        )


def _class_counts(c: ColumnProfile) -> dict[object, int] | None:
    """Counts by label; integer labels as ints (the profile counts numbers as floats), so
    the class weights and label mapping are keyed ``"1"``, as ``str(label)`` of the data."""
    if c.values is None:
        return None
    if c.kind == "numeric" and not c.dtype.startswith(_FLOAT_TYPES):
        return {int(v): n for v, n in c.values.items()}
    return dict(c.values)


def imbalance(ctx: RuleContext) -> Iterator[Finding]:
    """DG118."""
    t = ctx.thresholds
    for c in _targets(ctx, "classification"):
        counts = _class_counts(c)
        if not counts or len(counts) < 2:
            continue
        total = sum(counts.values())
        (minority, n_min) = min(counts.items(), key=lambda kv: kv[1])
        (majority, n_max) = max(counts.items(), key=lambda kv: kv[1])
        ratio = n_min / n_max
        if ratio >= t.imbalance_ratio:
            continue
        weights = {str(k): total / (len(counts) * v) for k, v in counts.items()}
        yield DG118.finding(
            [c.name],
            f"Target {c.name!r}: class {minority!r} holds {n_min / total:.2%} of rows against "
            f"{n_max / total:.2%} for {majority!r} (ratio {fmt(ratio)}, expected at least "
            f"{fmt(t.imbalance_ratio)}); a network can reach "
            f"{n_max / total:.1%} accuracy by ignoring it; weight the loss or resample",
            {
                "minority": minority,
                "minority_share": n_min / total,
                "majority": majority,
                "majority_share": n_max / total,
                "ratio": ratio,
                "shares": {str(k): v / total for k, v in counts.items()},
            },
            {"transform": "class_weights", "weights": weights},
        )


def label_encoding(ctx: RuleContext) -> Iterator[Finding]:
    """DG119."""
    for c in _targets(ctx, "classification"):
        counts = _class_counts(c)
        if not counts:
            continue
        labels: list[Any] = (
            sorted(counts, key=str) if c.kind == "categorical" else sorted(counts, key=float)
        )
        severity = None
        if c.kind == "categorical":
            problem = "labels are text"
        elif c.dtype.startswith(_FLOAT_TYPES):
            problem = f"labels are stored as {c.dtype}"
            if labels == [0.0, 1.0]:  # what BCEWithLogitsLoss takes; only CE needs int64
                severity = Severity.INFO
                problem += " (fine for BCEWithLogitsLoss)"
        elif labels != list(range(len(labels))):
            problem = f"labels are {_show(labels)}, not 0..{len(labels) - 1}"
        else:
            continue
        mapping = {str(v): i for i, v in enumerate(labels)}
        yield DG119.finding(
            [c.name],
            f"Target {c.name!r}: {problem}; cross-entropy expects integer class indices "
            f"0..C-1 (C={len(labels)}); map them",
            {"labels": [str(v) for v in labels[:50]], "n_classes": len(labels), "dtype": c.dtype},
            {"transform": "label_encode", "mapping": mapping},
            severity=severity,
        )


def _show(labels: list[object]) -> str:
    shown = ", ".join(fmt(v) if isinstance(v, (int, float)) else str(v) for v in labels[:6])
    return "{" + shown + (", ..." if len(labels) > 6 else "") + "}"
