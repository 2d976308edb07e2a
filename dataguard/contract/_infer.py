"""``dataguard.infer``: a contract from a profile and its findings.

The widening policy (docs/contract.md), so that new data from the same process passes and a
different process fails:

* **range**: the observed span ``[min, max]`` widened by its own width on each side (by
  ``|value|`` for a constant column, by 1 if that is 0); a lower bound is not widened below
  0 when every observed value is >= 0; bounds round outward (integers, and 6 significant
  digits). The range catches unit, sign and sentinel errors; the extremes of a fresh sample
  of a heavy-tailed column move a lot (on random 70/30 splits of real datasets, half a span
  was not enough), and finer shifts are DG308's (drift against the reference statistics).
* **nulls**: no null or NaN in at least 1,000 rows -> ``nullable: false``; otherwise
  ``max_null_fraction`` is the observed share plus three standard errors (with the rule of
  three's 3/n when none was seen) plus 1 point.
* **levels**: text (and DG115 integer codes) with at most 1,000 exactly counted levels and a
  Good-Turing chance of an unseen level (levels seen once / rows) of at most 0.1% -> the
  allowed set; otherwise no set clause (names, free text and rare codes keep growing).
* **unique**: only keys (DG114 identifiers, ``--group-by``) observed without repeats.
* **rows**: at least 1; no upper bound (splits and batches vary in size).
* **reference**: the profile's exact count, mean and std, its deciles, histogram, and, for
  text, the shares of the 50 most frequent levels; drift tolerances at their defaults.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from dataguard.contract._model import (
    ColumnContract,
    Contract,
    DatasetContract,
    Histogram,
    Range,
    Reference,
    RowCount,
    Semantic,
    TransformsRef,
)
from dataguard.findings import Finding
from dataguard.profile import ColumnProfile
from dataguard.report import ProfileReport

__all__ = ["MAX_LEVELS", "contract_from_report", "infer", "normalize_dtype"]

#: Most levels an inferred contract lists as an allowed set.
MAX_LEVELS = 1000
_WIDEN = 1.0
#: Rows from which a column never seen null is declared ``nullable: false`` (by the rule of
#: three, a null rate under 3/1000 is then all the data can rule out).
NOT_NULL_MIN_ROWS = 1000
#: Largest Good-Turing estimate of the chance that a new row has an unseen level (levels
#: seen once / rows) for which the observed levels are declared a closed set.
CLOSED_SET_MAX_UNSEEN = 0.001
_DECILES = tuple(round(0.1 * i, 1) for i in range(1, 10))
_DECODER = {
    "hhmm_to_minutes": "hhmm",
    "hhmmss_to_seconds": "hhmmss",
    "yyyymmdd_to_days": "yyyymmdd",
    "yyyymm_to_months": "yyyymm",
}


def normalize_dtype(dtype: str) -> str:
    """The profile's type text without the dictionary note: ``string (dictionary)`` ->
    ``string``."""
    return dtype.replace(" (dictionary)", "").strip()


def infer(
    data: Any,
    *,
    target: str | Sequence[str] | None = None,
    task: str = "auto",
    order_by: str | None = None,
    group_by: str | None = None,
    name: str | None = None,
    profile: Callable[..., ProfileReport] | None = None,
    **options: Any,
) -> Contract:
    """Infer a contract for data like ``data`` (a path or a frame).

    Examples
    --------
    >>> import pandas as pd, dataguard
    >>> df = pd.DataFrame({"age": [20 + i % 50 for i in range(500)],
    ...                    "city": ["a", "b"] * 250})
    >>> c = dataguard.infer(df)
    >>> c.columns["age"].range.min, c.columns["age"].range.max, c.columns["city"].levels
    (0.0, 118.0, ['a', 'b'])
    """
    if profile is None:
        from dataguard._api import profile as profile_fn

        profile = profile_fn
    report = profile(
        data, target=target, task=task, order_by=order_by, group_by=group_by, **options
    )
    return contract_from_report(report, name=name, order_by=order_by, group_by=group_by)


def contract_from_report(
    report: ProfileReport,
    *,
    name: str | None = None,
    order_by: str | None = None,
    group_by: str | None = None,
) -> Contract:
    """The contract of a profiled dataset (see the module docstring for the policy)."""
    by_col: dict[str, list[Finding]] = {}
    for f in report.findings:
        for c in f.columns:
            by_col.setdefault(c, []).append(f)
    columns: dict[str, ColumnContract] = {}
    sample = report.profile.sample
    for col_name, prof in report.columns.items():
        role = _role(col_name, report, by_col.get(col_name, []), order_by, group_by)
        col = _column(prof, role, by_col.get(col_name, []))
        if col.reference is not None and prof.kind == "numeric" and sample.num_rows:
            col.reference.quantiles = _deciles(sample.column(col_name)) or col.reference.quantiles
        columns[col_name] = col
    return Contract(
        dataguard=1,
        name=name,
        source=report.profile.source,
        dataset=DatasetContract(rows=RowCount(min=1), extra_columns="warn"),
        columns=columns,
        transforms=None,
    )


def _role(
    name: str,
    report: ProfileReport,
    findings: list[Finding],
    order_by: str | None,
    group_by: str | None,
) -> str:
    if name in report.targets:
        return "target"
    if name == order_by:
        return "order"
    if name == group_by or any(f.code == "DG114" for f in findings):
        return "key"
    return "feature"


def _column(c: ColumnProfile, role: str, findings: list[Finding]) -> ColumnContract:
    missing = c.n_null + c.n_nan  # NaN counts as null, as in pandera and GX
    share = missing / c.n_rows if c.n_rows else 0.0
    col = ColumnContract(dtype=normalize_dtype(c.dtype), role=role)  # type: ignore[arg-type]
    if missing == 0 and c.n_rows >= NOT_NULL_MIN_ROWS:
        col.nullable = False
    elif c.n_rows:  # three standard errors, with the rule of three when none was seen
        se = math.sqrt((share * (1 - share) + 1 / c.n_rows) / c.n_rows)
        col.max_null_fraction = min(1.0, round(share + 3 * se + 0.01, 6))
    if c.kind == "numeric" and c.min is not None and c.max is not None:
        col.range = _range(float(c.min), float(c.max), bool(c.integral))
    levels = _levels(c, findings)
    if levels is not None:
        col.levels = levels
    distinct = bool(c.distinct_exact and c.n_distinct == c.n_valid) or bool(c.strictly_increasing)
    if role == "key" and distinct and c.n_null == 0:
        col.unique = True
    col.semantic = _semantic(findings)
    col.reference = _reference(c)
    return col


def _range(lo: float, hi: float, integral: bool) -> Range:
    span = hi - lo
    pad = _WIDEN * span if span > 0 else (_WIDEN * abs(hi) or 1.0)
    new_lo, new_hi = lo - pad, hi + pad
    if lo >= 0:
        new_lo = max(new_lo, 0.0)
    if integral:
        new_lo, new_hi = float(math.floor(new_lo)), float(math.ceil(new_hi))
    if not (math.isfinite(new_lo) and math.isfinite(new_hi)):
        return Range(min=lo, max=hi)
    return Range(min=_tidy(new_lo, lower=True), max=_tidy(new_hi, lower=False))


def _tidy(x: float, lower: bool) -> float:
    """``x`` at 6 significant digits, rounded outward (down for a lower bound, up for an
    upper one), so that tidying never cuts into the data.

    >>> _tidy(4.9999999988, lower=True), _tidy(73.91, lower=False)
    (4.99999, 73.91)
    """
    if x == 0 or not math.isfinite(x):
        return x
    step = 10.0 ** (math.floor(math.log10(abs(x))) - 5)
    q = math.floor(x / step) if lower else math.ceil(x / step)
    out = float(f"{q * step:.6g}")
    return out if (out <= x if lower else out >= x) else x


def _levels(c: ColumnProfile, findings: list[Finding]) -> list[Any] | None:
    codes = next((f for f in findings if f.code == "DG115"), None)
    exact = c.distinct_exact and c.values is not None and len(c.values) <= MAX_LEVELS
    if exact and c.values is not None and c.n_valid:
        singletons = sum(1 for v in c.values.values() if v == 1)
        if singletons / c.n_valid > CLOSED_SET_MAX_UNSEEN:
            return None  # new rows would bring new levels: not a closed set
    if c.kind == "categorical" and exact and c.values is not None:
        return sorted(c.values, key=str)
    if codes is not None and c.values is not None and len(c.values) <= MAX_LEVELS:
        return [int(v) if float(v).is_integer() else v for v in sorted(c.values)]
    return None


def _semantic(findings: list[Finding]) -> Semantic | None:
    sem = Semantic()
    for f in findings:
        fix: Mapping[str, Any] = f.fix or {}
        if f.code == "DG110" and fix.get("period"):
            sem.cyclic_period = float(fix["period"])
        elif f.code == "DG109" and fix.get("values"):
            sem.sentinels = [float(v) for v in fix["values"]]
        elif f.code == "DG111" and fix.get("transform") in _DECODER:
            sem.encoding = _DECODER[str(fix["transform"])]  # type: ignore[assignment]
        elif f.code == "DG112":
            sem.entity_key = fix.get("key")
            groups = f.evidence.get("dominant_groups") or []
            sem.frame_group = str(groups[0]) if groups else None
    return sem if sem.model_dump(exclude_none=True) else None


def _reference(c: ColumnProfile) -> Reference | None:
    if c.kind == "numeric" and c.n_valid:
        quantiles = None
        if c.quantiles:
            quantiles = {
                f"{p:g}": float(c.q(p)) for p in _DECILES if f"p{p * 100:g}" in c.quantiles
            }
        hist = None
        if (
            c.histogram
            and len(c.histogram.get("edges", [])) == len(c.histogram.get("counts", [])) + 1
        ):
            hist = Histogram(edges=list(c.histogram["edges"]), counts=list(c.histogram["counts"]))
        return Reference(
            n=c.n_valid,
            mean=_finite(c.mean),
            std=_finite(c.std),
            quantiles=quantiles or None,
            histogram=hist,
        )
    if c.kind == "categorical" and c.n_valid:
        counts = dict(c.values or {}) or dict(c.top or [])
        total = c.n_valid
        top = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:50]
        return Reference(n=total, shares={str(k): v / total for k, v in top})
    return None


def _deciles(column: Any) -> dict[str, float] | None:
    """Deciles of a numeric column of the profile's row sample (every row up to 2^17)."""
    import numpy as np

    from dataguard.profile._arrow import to_float64

    chunks = column.chunks if hasattr(column, "chunks") else [column]
    x = np.concatenate([to_float64(ch) for ch in chunks]) if chunks else np.empty(0)
    x = x[np.isfinite(x)]
    if not x.size:
        return None
    qs = np.quantile(x, _DECILES)
    return {f"{p:g}": float(v) for p, v in zip(_DECILES, qs, strict=True)}


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def with_transforms(
    contract: Contract, artifact: str | None, plan: Mapping[str, Any] | None
) -> Contract:
    """The contract with a transforms reference (a fitted artifact path and/or a plan)."""
    contract.transforms = TransformsRef(artifact=artifact, plan=dict(plan) if plan else None)
    return contract
