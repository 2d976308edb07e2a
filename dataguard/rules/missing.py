"""Missing and non-finite values (seed reason 1): DG106, DG107; DG124 too few values."""

from __future__ import annotations

from collections.abc import Iterator

from dataguard.findings import Finding, Severity
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt

DG106 = RuleSpec(
    "DG106",
    "missing-values",
    "missing",
    Severity.WARNING,
    (1,),
    "nulls / NaN share, with an impute + indicator fix",
)
DG107 = RuleSpec(
    "DG107", "non-finite", "missing", Severity.ERROR, (1,), "+-inf present (it reaches the loss)"
)
DG124 = RuleSpec(
    "DG124",
    "too-few-values",
    "missing",
    Severity.INFO,
    (2,),
    "too few valid values for the rules to judge the column",
)


def missing(ctx: RuleContext) -> Iterator[Finding]:
    """DG106 for every column (targets included: a null label is a missing label)."""
    for c in ctx.profile.columns.values():
        if c.kind == "skipped" or c.n_rows == 0:
            continue
        n_missing = c.n_null + c.n_nan
        if n_missing == 0:
            continue
        share = n_missing / c.n_rows
        ev = {"null_share": share, "n_null": c.n_null, "n_nan": c.n_nan, "n_rows": c.n_rows}
        if share >= 1.0:
            yield DG106.finding(
                [c.name],
                f"Column {c.name!r}: every value is missing; drop it",
                ev,
                {"transform": "drop"},
            )
            continue
        is_target = c.name in ctx.targets
        fix: dict[str, object]
        if is_target:
            fix = {"transform": "drop_rows", "where": "target is missing"}
            hint = "drop those rows: a missing label cannot be trained on"
        elif share > 0.5 and c.n_valid < ctx.thresholds.min_values:  # DG124's column
            fix = {"transform": "drop"}
            hint = f"only {c.n_valid} values are left to impute from; drop it"
        elif c.kind == "numeric":
            fix = {
                "transform": "impute",
                "strategy": "median",
                "value": c.q(0.5),
                "indicator": True,
            }
            hint = "impute the median and add a missing-indicator column"
        elif c.kind == "temporal":
            fix = {"transform": "impute", "strategy": "median", "indicator": True}
            hint = "impute it (with an indicator) when deriving numbers from it"
        else:
            fix = {
                "transform": "impute",
                "strategy": "constant",
                "value": "<missing>",
                "indicator": False,
            }
            hint = "encode missing as its own level"
        kinds = " and ".join(k for k, n in (("null", c.n_null), ("NaN", c.n_nan)) if n)
        yield DG106.finding(
            [c.name],
            f"Column {c.name!r}: {share:.2%} of values are {kind_text(kinds)}; a NaN that reaches "
            f"the loss makes every gradient NaN; {hint}",
            ev,
            fix,
            severity=Severity.INFO
            if c.kind in ("categorical", "temporal") and not is_target
            else None,
        )


def kind_text(kinds: str) -> str:
    """'null', 'NaN' or 'null and NaN'."""
    return kinds or "missing"


def non_finite(ctx: RuleContext) -> Iterator[Finding]:
    """DG107."""
    for c in ctx.profile.columns.values():
        n_inf = c.n_posinf + c.n_neginf
        if c.kind != "numeric" or n_inf == 0:
            continue
        share = n_inf / c.n_rows
        signs = " and ".join(s for s, n in (("+inf", c.n_posinf), ("-inf", c.n_neginf)) if n)
        yield DG107.finding(
            [c.name],
            f"Column {c.name!r}: {share:.2%} of values ({fmt(n_inf)}) are {signs}; expected "
            "finite numbers, and a loss that sees inf becomes NaN; map them to missing",
            {"n_posinf": c.n_posinf, "n_neginf": c.n_neginf, "share": share},
            {
                "transform": "inf_to_missing",
                "then": {"transform": "impute", "strategy": "median", "indicator": True},
            },
        )


def too_few(ctx: RuleContext) -> Iterator[Finding]:
    """DG124: say so instead of guessing."""
    t = ctx.thresholds
    for c in ctx.profile.columns.values():
        if c.kind in ("numeric", "categorical") and 0 < c.n_valid < t.min_values:
            yield DG124.finding(
                [c.name],
                f"Column {c.name!r}: only {c.n_valid} valid values, fewer than the "
                f"{t.min_values} the rules need; it is not judged",
                {"n_valid": c.n_valid, "min_values": t.min_values},
            )
