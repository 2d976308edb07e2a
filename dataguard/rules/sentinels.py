"""Sentinels and positional encodings (seed reason 3): DG109 sentinel-values,
DG111 encoding-gap.

Both judge a numeric column by its distinct values and their counts: exact when the profile
counted them (at most 1,024 distinct values), else on the row sample (``np.unique`` of the
sampled values), and then the evidence says it was estimated.

DG109 looks for single values that carry a spike of mass far outside the bulk of the
distribution (or a negative code such as -1 or -999 below an otherwise non-negative bulk):
codes standing for "missing", "unlimited" or "not applicable" that a network would read as
real numbers. DG111 looks for numbers whose digits encode a clock time or a date (HHMM,
HHMMSS, YYYYMMDD, YYYYMM): the number line then jumps at every hour, month or year
(12:59 -> 13:00 is one minute but 41 units). DG111 judges a column without DG109's sentinels.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile
from dataguard.profile._arrow import to_float64
from dataguard.profile._math import FloatArray
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_binary
from dataguard.rules._thresholds import Thresholds

DG109 = RuleSpec(
    "DG109",
    "sentinel-values",
    "discontinuity",
    Severity.WARNING,
    (3,),
    "magic codes (-999, 9999, ...) isolated far from the bulk: map to missing + indicator",
)
DG111 = RuleSpec(
    "DG111",
    "encoding-gap",
    "discontinuity",
    Severity.WARNING,
    (3,),
    "value encodings with structural jumps (clock times as HHMM, dates as YYYYMMDD)",
)

#: Sentinels together hold less than this share: above it the "bulk" is not the bulk.
BULK_MIN_SHARE = 0.5
#: Tukey's inner fences of the whole column: candidates beyond them are suspects.
SUSPECT_FENCE_K = 1.5

#: Extremes of the integer and float types, named: a sentinel often is one.
_TYPE_EXTREMES: dict[float, str] = {
    127.0: "int8 max",
    -128.0: "int8 min",
    255.0: "uint8 max",
    32767.0: "int16 max",
    -32768.0: "int16 min",
    65535.0: "uint16 max",
    2147483647.0: "int32 max",
    -2147483648.0: "int32 min",
    4294967295.0: "uint32 max",
    float(2**63 - 1): "int64 max",
    float(-(2**63)): "int64 min",
    float(2**64 - 1): "uint64 max",
    float(np.finfo(np.float32).max): "float32 max",
    float(-np.finfo(np.float32).max): "float32 min",
    float(np.finfo(np.float64).max): "float64 max",
    float(-np.finfo(np.float64).max): "float64 min",
}


# --- value counts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """A column's distinct values (sorted) and their counts, exact or on the row sample."""

    x: FloatArray
    n: FloatArray
    exact: bool
    n_valid: int

    @property
    def total(self) -> float:
        return float(self.n.sum())

    def estimated(self, count: float) -> float:
        """A count in the judged values scaled to the column's valid values."""
        return count if self.exact else count * self.n_valid / self.total


def value_counts(ctx: RuleContext, c: ColumnProfile) -> Counts | None:
    """Exact value counts when the profile kept them, else those of the row sample."""
    if c.values is not None:
        x = np.fromiter((float(v) for v in c.values), float, len(c.values))
        n = np.fromiter((float(k) for k in c.values.values()), float, len(c.values))
        order = np.argsort(x)
        return Counts(x[order], n[order], True, c.n_valid)
    sample = ctx.profile.sample
    if sample.num_rows == 0 or c.name not in sample.column_names:
        return None
    raw = to_float64(sample.column(c.name).combine_chunks())
    raw = raw[np.isfinite(raw)]
    if raw.size == 0:
        return None
    x, k = np.unique(raw, return_counts=True)
    return Counts(x, k.astype(float), raw.size == c.n_valid, c.n_valid)


def _quantile(x: FloatArray, n: FloatArray, p: float) -> float:
    """Weighted lower quantile (the inverted CDF, as the profile's exact quantiles)."""
    cum = np.cumsum(n)
    idx = int(np.searchsorted(cum, p * cum[-1], side="left"))
    return float(x[min(idx, x.size - 1)])


# --- DG109 ----------------------------------------------------------------------------------


def code_label(v: float) -> str | None:
    """What kind of magic number ``v`` looks like, or None.

    >>> code_label(-999.0), code_label(9999.0), code_label(998.0), code_label(2147483647.0)
    ('negative code', 'all nines', 'nines code', 'int32 max')
    >>> code_label(37.5), code_label(7.0), code_label(7300.0), code_label(1e6)
    (None, None, None, 'power of ten')
    """
    if v in _TYPE_EXTREMES:
        return _TYPE_EXTREMES[v]
    if not float(v).is_integer() or v == 0 or abs(v) >= 1e15:
        return None
    digits = str(abs(int(v)))
    if len(digits) >= 4 and digits.strip("0") == "1":
        return "power of ten"  # 10,000, 1e6, -1e9: "unlimited", "no limit" placeholders
    if v > 0 and len(digits) >= 2 and digits[:-1] == "9" * (len(digits) - 1) and digits[-1] in "78":
        return "nines code"  # 97, 98, 997, 998: "refused", "don't know" beside 99, 999
    if len(set(digits)) != 1:
        return None
    if v < 0:
        return "negative code"
    if digits[0] == "9" and len(digits) >= 2:
        return "all nines"
    return "repeated digits" if len(digits) >= 2 else None


@dataclass(frozen=True)
class Bulk:
    """The distribution without the sentinel suspects."""

    q01: float
    q50: float
    q99: float
    scale: float
    min: float
    share: float


def _bulk(counts: Counts, keep: npt.NDArray[np.bool_]) -> Bulk | None:
    x, n = counts.x[keep], counts.n[keep]
    if x.size < 2:
        return None
    q01, q25, q50, q75, q99 = (_quantile(x, n, p) for p in (0.01, 0.25, 0.5, 0.75, 0.99))
    # robust std: from the IQR, or from q01..q99 (4.653 std apart for a normal) when more
    # than half the bulk is one value; a bulk that is one value to q01..q99 has no spread
    # to stand far from (values beside a dominant one are DG103's)
    scale = (q75 - q25) / 1.349 if q75 > q25 else (q99 - q01) / 4.653
    if scale <= 0:
        return None
    return Bulk(q01, q50, q99, scale, float(x[0]), float(n.sum()) / counts.total)


@dataclass(frozen=True)
class Sentinel:
    """One sentinel value and why."""

    value: float
    count: float  # in the judged values (the sample when not exact)
    distance: float  # from the bulk's q01..q99, in robust std of the bulk
    sign_break: bool
    label: str | None


def _judge(
    counts: Counts, i: int, bulk: Bulk, codes: npt.NDArray[np.bool_], integral: bool, t: Thresholds
) -> Sentinel | None:
    """The value at index ``i`` as a sentinel of ``bulk``, or None. ``codes`` marks the
    suspects that look like codes: they are not one another's neighbours (998 beside 999)."""
    v, k = float(counts.x[i]), float(counts.n[i])
    if bulk.q01 <= v <= bulk.q99:
        return None
    gap = bulk.q01 - v if v < bulk.q01 else v - bulk.q99
    z = gap / bulk.scale
    label = code_label(v)
    if label is None:
        # a spike of an ordinary number is a real value repeated (the population of the
        # largest city, repeated for every respondent there: statsmodels' anes96 'popul'),
        # not a code standing for something else
        return None
    sign_break = label == "negative code" and bulk.min >= 0
    if z < t.sentinel_min_z and not sign_break:
        return None
    # a spike: far above every other value within half its distance from the bulk (at
    # least one integer step, so -1 must tower over the 0 beside it)
    radius = max(gap / 2, 1.0 if integral else 0.0)
    near = (np.abs(counts.x - v) <= radius) & ~codes
    near[i] = False
    neighbour = float(counts.n[near].max()) if near.any() else 0.0
    if k < max(t.sentinel_min_count, t.sentinel_spike_ratio * neighbour):
        return None
    return Sentinel(v, k, z, sign_break and z < t.sentinel_min_z, label)


def _suspects(counts: Counts, c: ColumnProfile, t: Thresholds) -> list[int]:
    """Indices of the candidates (share and count above the minimum, not 0) that lie beyond
    the column's inner fences, or are negative codes."""
    share = counts.n / counts.total
    cand = (share >= t.sentinel_min_share) & (counts.n >= t.sentinel_min_count) & (counts.x != 0)
    q1, q3 = _quantile(counts.x, counts.n, 0.25), _quantile(counts.x, counts.n, 0.75)
    iqr = q3 - q1
    out = (counts.x < q1 - SUSPECT_FENCE_K * iqr) | (counts.x > q3 + SUSPECT_FENCE_K * iqr)
    return [
        int(i)
        for i in np.flatnonzero(cand)
        if out[i] or code_label(float(counts.x[i])) == "negative code"
    ]


def find_sentinels(
    ctx: RuleContext, c: ColumnProfile, counts: Counts | None = None
) -> tuple[list[Sentinel], Bulk] | None:
    """The column's sentinel values and the bulk without them, or None.

    Suspects are tested against the bulk without all of them; those that fail rejoin the
    bulk and the rest are tested again, until none fails.
    """
    if c.kind != "numeric" or is_binary(c):
        return None
    counts = counts or value_counts(ctx, c)
    if counts is None or counts.x.size < 3:
        return None
    t = ctx.thresholds
    suspects = _suspects(counts, c, t)
    while suspects:
        keep = np.ones(counts.x.size, dtype=bool)
        keep[suspects] = False
        bulk = _bulk(counts, keep)
        if bulk is None or bulk.share < BULK_MIN_SHARE:
            return None
        codes = np.zeros(counts.x.size, dtype=bool)
        codes[[i for i in suspects if code_label(float(counts.x[i]))]] = True
        found = [(i, _judge(counts, i, bulk, codes, bool(c.integral), t)) for i in suspects]
        passed = [(i, s) for i, s in found if s is not None]
        if len(passed) == len(suspects):
            return [s for _, s in passed], bulk
        suspects = [i for i, _ in passed]
    return None


def _describe(s: Sentinel, counts: Counts, bulk: Bulk) -> str:
    what = f"{fmt(s.value)} on {s.count / counts.total:.2%} of rows"
    if s.label:
        what += f" ({s.label})"
    if s.sign_break:
        return what + ", negative below otherwise non-negative values"
    side = "below" if s.value < bulk.q01 else "above"
    return what + f", {fmt(s.distance)} robust std {side} the bulk"


def sentinel_values(ctx: RuleContext) -> Iterator[Finding]:
    """DG109."""
    for c in ctx.numeric_inputs():
        counts = value_counts(ctx, c)
        found = find_sentinels(ctx, c, counts)
        if found is None or counts is None:
            continue
        sentinels, bulk = found
        values = [s.value for s in sentinels]
        shares = [s.count / counts.total for s in sentinels]
        approx = "" if counts.exact else " (estimated on the row sample)"
        listed = "; ".join(_describe(s, counts, bulk) for s in sentinels)
        spikes, them = ("lone spikes", "them") if len(sentinels) > 1 else ("a lone spike", "it")
        together = f" (together {sum(shares):.2%} of rows)" if len(sentinels) > 1 else ""
        yield DG109.finding(
            [c.name],
            f"Column {c.name!r}: expected values continuous with the bulk "
            f"[{fmt(bulk.q01)}, {fmt(bulk.q99)}] (q01..q99 without the spikes), found "
            f"{spikes}{approx}: {listed}{together}; a code for missing, not applicable or "
            f"unlimited would be read as a real number; map {them} to missing and add an "
            "indicator column",
            {
                "values": values,
                "counts": [round(counts.estimated(s.count)) for s in sentinels],
                "shares": shares,
                "share": sum(shares),
                "exact": counts.exact,
                "sample_size": int(counts.total),  # values judged: all of them when exact
                "bulk_range": [bulk.q01, bulk.q99],
                "bulk_median": bulk.q50,
                "bulk_robust_scale": bulk.scale,
                "distance_robust_std": [s.distance for s in sentinels],
                "sign_break": [s.sign_break for s in sentinels],
                "codes": [s.label for s in sentinels],
            },
            {"transform": "sentinel_to_missing", "values": values, "indicator": True},
        )


# --- DG111 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One digit field of an encoding: ``(x // div) % mod`` in ``low..high``."""

    name: str
    div: int
    mod: int
    low: int
    high: int
    levels: int  # how many values it can take (the coverage's "of"; 0: unbounded years)


@dataclass(frozen=True)
class Encoding:
    """A positional encoding: its range and digit fields, largest first."""

    name: str
    lo: int
    hi: int
    fields: tuple[Field, ...]
    what: str  # "clock times" / "dates"
    jump: str  # what the jump looks like, for the message
    hint: str
    fix: dict[str, Any]

    def field_values(self, x: FloatArray) -> dict[str, npt.NDArray[np.int64]]:
        xi = x.astype(np.int64)
        return {f.name: (xi // f.div) % f.mod for f in self.fields}

    def impossible(self, x: FloatArray) -> npt.NDArray[np.bool_]:
        """Values with a digit field out of range; 24:00 (2400, 240000) is allowed, as
        transport data write midnight at the end of the day."""
        bad = np.zeros(x.size, dtype=bool)
        for f, v in zip(self.fields, self.field_values(x).values(), strict=True):
            bad |= (v < f.low) | (v > f.high)
            if f.name == "hours":
                bad |= (v == 24) & (x % f.div != 0)
        return bad


_YEARS = Field("years", 1, 10**9, 1900, 2100, 0)
_MONTHS = Field("months", 1, 100, 1, 12, 12)
_MINUTES = Field("minutes", 1, 100, 0, 59, 60)
_SECONDS = Field("seconds", 1, 100, 0, 59, 60)
_HOURS = Field("hours", 1, 10**9, 0, 24, 24)


def _at(f: Field, div: int) -> Field:
    return Field(f.name, div, f.mod, f.low, f.high, f.levels)


#: Checked in this order; the first that fits wins (the ranges of YYYYMM and HHMMSS
#: overlap, their digit fields do not).
ENCODINGS: tuple[Encoding, ...] = (
    Encoding(
        "YYYYMMDD",
        19000101,
        21001231,
        (_at(_YEARS, 10000), _at(_MONTHS, 100), Field("days", 1, 100, 1, 31, 31)),
        "dates",
        "jumps 70 from the 31st to the next 1st and 8,870 from December 31 to January 1",
        "convert to days since an epoch",
        {"transform": "yyyymmdd_to_days", "epoch": "1970-01-01"},
    ),
    Encoding(
        "YYYYMM",
        190001,
        210012,
        (_at(_YEARS, 100), _MONTHS),
        "months",
        "jumps 89 from December to January",
        "convert to months since an epoch",
        {"transform": "yyyymm_to_months", "epoch": "1970-01"},
    ),
    Encoding(
        "HHMMSS",
        0,
        240000,
        (_at(_HOURS, 10000), _at(_MINUTES, 100), _SECONDS),
        "clock times",
        "jumps 41 at every minute and 4,041 at every hour (12:59:59 -> 13:00:00 is one second)",
        "convert to seconds since midnight, then encode it cyclically (sin/cos, period 86,400)",
        {"transform": "hhmmss_to_seconds", "then": {"transform": "cyclic", "period": 86400}},
    ),
    Encoding(
        "HHMM",
        0,
        2400,
        (_at(_HOURS, 100), _MINUTES),
        "clock times",
        "jumps 41 at every hour (12:59 -> 13:00 is one minute)",
        "convert to minutes since midnight, then encode it cyclically (sin/cos, period 1,440)",
        {"transform": "hhmm_to_minutes", "then": {"transform": "cyclic", "period": 1440}},
    ),
)


@dataclass(frozen=True)
class EncodingFit:
    """A column's values fitting an encoding."""

    encoding: Encoding
    coverage: dict[str, int]
    lo: float
    hi: float


def _time_spread(counts: Counts, fields: dict[str, npt.NDArray[np.int64]], t: Thresholds) -> bool:
    """Several hours that each hold some of the values, and several minute values."""
    held = np.bincount(fields["hours"], weights=counts.n, minlength=25) / counts.total
    return bool(
        np.count_nonzero(held >= t.encoding_min_hour_share) >= t.encoding_min_hours
        and np.unique(fields["minutes"]).size >= t.encoding_min_minutes
    )


def _date_spread(enc: Encoding, x: FloatArray, fields: dict[str, npt.NDArray[np.int64]]) -> bool:
    """A jump inside the data: two values of a field under one value of the field above it
    and two values of that one (days in two months, or months in two years). Yearly
    snapshots (every value on January 1) step evenly and have none."""
    xi = x.astype(np.int64)
    for upper, lower in pairwise(enc.fields):
        if np.unique(fields[lower.name]).size >= 2 and np.unique(xi // upper.div).size >= 2:
            return True
    return False


def fit_encoding(counts: Counts, t: Thresholds) -> EncodingFit | None:
    """The first encoding whose range, digit fields and spread the values fit."""
    x = counts.x
    if x.size < t.encoding_min_distinct or x[0] < 0 or not np.all(np.floor(x) == x):
        return None
    lo, hi = float(x[0]), float(x[-1])
    for enc in ENCODINGS:
        if not (enc.lo <= lo and hi <= enc.hi) or enc.impossible(x).any():
            continue
        fields = enc.field_values(x)
        spread = (
            _time_spread(counts, fields, t)
            if enc.what == "clock times"
            else _date_spread(enc, x, fields)
        )
        if spread:
            coverage = {name: int(np.unique(v).size) for name, v in fields.items()}
            return EncodingFit(enc, coverage, lo, hi)
    return None


def _without_sentinels(
    ctx: RuleContext, c: ColumnProfile, counts: Counts
) -> tuple[Counts, list[float]]:
    """The counts without DG109's sentinels (a 9999 or -1 for "no time"), and those."""
    found = find_sentinels(ctx, c, counts)
    if found is None:
        return counts, []
    values = [s.value for s in found[0]]
    drop = np.isin(counts.x, values)
    return Counts(counts.x[~drop], counts.n[~drop], counts.exact, c.n_valid), values


def _coverage_text(fit: EncodingFit) -> str:
    return ", ".join(
        f"{fit.coverage[f.name]} of {f.levels} {f.name}"
        for f in fit.encoding.fields
        if f.name != "years"
    )


def encoding_gap(ctx: RuleContext) -> Iterator[Finding]:
    """DG111."""
    for c in ctx.numeric_inputs():
        if not c.integral or not 0 <= c.q(0.5) <= ENCODINGS[0].hi or is_binary(c):
            continue
        counts = value_counts(ctx, c)
        if counts is None:
            continue
        counts, sentinels = _without_sentinels(ctx, c, counts)
        fit = fit_encoding(counts, ctx.thresholds)
        if fit is None:
            continue
        enc = fit.encoding
        approx = " in the row sample" if not counts.exact else ""
        yield DG111.finding(
            [c.name],
            f"Column {c.name!r}: expected a number whose steps mean the same everywhere, found "
            f"{enc.what} stored as {enc.name} digits ({fit.lo:.0f} to {fit.hi:.0f}; "
            f"{_coverage_text(fit)} occur{approx}, none out of range); the number line "
            f"{enc.jump}; {enc.hint}",
            {
                "encoding": enc.name,
                "impossible_share": 0.0,
                "coverage": fit.coverage,
                "coverage_of": {f.name: f.levels for f in enc.fields if f.name != "years"},
                "min": fit.lo,
                "max": fit.hi,
                "n_distinct": int(counts.x.size),
                "exact": counts.exact,
                "sample_size": int(counts.total),
                "sentinels_excluded": sentinels,
            },
            enc.fix,
        )
