"""Finalized profiles: plain, JSON-ready statistics per column and for the dataset."""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import datasketches as ds
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dataguard.profile._accumulators import (
    KLL_K,
    Accumulator,
    CategoricalAccumulator,
    NumericAccumulator,
    TemporalAccumulator,
    column_kind,
)
from dataguard.profile._arrow import null_mask, to_float64
from dataguard.profile._dataset import DatasetAccumulator
from dataguard.profile._math import FloatArray, rank_error_bound

__all__ = ["QUANTILE_GRID", "ColumnProfile", "Profile", "finalize"]

#: Probabilities at which every numeric column's quantiles are reported.
QUANTILE_GRID: tuple[float, ...] = (
    0.001,
    0.005,
    0.01,
    0.05,
    0.1,
    0.25,
    0.5,
    0.75,
    0.9,
    0.95,
    0.99,
    0.995,
    0.999,
)
#: Tukey's "far out" fences: Q1 - 3 IQR and Q3 + 3 IQR.
FENCE_K = 3.0
HISTOGRAM_BINS = 20
#: Levels or values listed in full in the profile when there are at most this many.
LEVELS_LISTED = 1000

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
#: ISO-like dates and date-times: 2024-01-31, 2024/01/31, 2024-01-31T12:00[:00][Z|+01:00]
_DATE = re.compile(
    r"^\s*\d{4}[-/]\d{1,2}[-/]\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?)?\s*$"
)


@dataclass
class ColumnProfile:
    """Everything measured about one column. Fields not relevant to its kind are None.

    ``approximate`` names the fields that are estimates (sketch or sample), with
    ``quantile_rank_error`` the bound on their normalized rank error.
    """

    name: str
    dtype: str
    kind: str
    n_rows: int
    n_null: int
    n_nan: int = 0
    n_posinf: int = 0
    n_neginf: int = 0
    n_valid: int = 0
    min: Any = None
    max: Any = None
    mean: float | None = None
    std: float | None = None
    skewness: float | None = None
    kurtosis: float | None = None
    quantiles: dict[str, float] | None = None
    quantile_rank_error: float | None = None
    iqr: float | None = None
    integral: bool | None = None
    n_distinct: int | None = None
    distinct_exact: bool | None = None
    top: list[tuple[Any, int]] | None = None
    values: dict[Any, int] | None = None
    increasing: bool | None = None
    strictly_increasing: bool | None = None
    resolution: float | None = None
    float32_resolution: float | None = None
    fences: tuple[float, float] | None = None
    beyond_fences_share: float | None = None
    beyond_fences_exact: bool | None = None
    max_abs_robust_z: float | None = None
    histogram: dict[str, list[float]] | None = None
    sample_size: int | None = None
    sample_distinct_share: float | None = None
    numeric_text_share: float | None = None
    date_text_share: float | None = None
    approximate: tuple[str, ...] = ()

    @property
    def null_share(self) -> float:
        """Share of rows that are null or NaN."""
        return (self.n_null + self.n_nan) / self.n_rows if self.n_rows else 0.0

    def q(self, p: float) -> float:
        """The quantile at probability ``p`` (0 and 1 are the exact min and max)."""
        if p == 0.0:
            return float(self.min)
        if p == 1.0:
            return float(self.max)
        assert self.quantiles is not None
        return self.quantiles[_qkey(p)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out = asdict(self)
        if self.top is not None:
            out["top"] = [{"value": v, "count": c} for v, c in self.top]
        if self.values is not None:
            out["values"] = [{"value": v, "count": c} for v, c in self.values.items()]
        out["approximate"] = list(self.approximate)
        out["null_share"] = self.null_share
        return out


def _dtype_name(dtype: pa.DataType) -> str:
    """Arrow type as text; a dictionary shows its value type (parquet strings are read as
    dictionaries for speed, which is not the column's type)."""
    if pa.types.is_dictionary(dtype):
        return f"{dtype.value_type} (dictionary)"
    return str(dtype)


def _qkey(p: float) -> str:
    return f"p{p * 100:g}"


@dataclass
class Profile:
    """The profile of a dataset: columns, row count, duplicates, the row sample."""

    source: str
    n_rows: int
    columns: dict[str, ColumnProfile]
    duplicate_rows: int
    duplicates_exact: bool
    identical_columns: list[list[str]]
    sample_rate: float
    sample: pa.Table = field(repr=False)
    #: Results of second-pass accumulators (``dataguard.profile._passes``), by pass name:
    #: ``"sequences"`` (order within groups, wrap jumps), ``"frames"`` (between-entity
    #: variance of coordinate groups). JSON-safe dicts; empty when no pass ran.
    passes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the row sample stays in memory only)."""
        return {
            "source": self.source,
            "n_rows": self.n_rows,
            "n_columns": len(self.columns),
            "duplicate_rows": self.duplicate_rows,
            "duplicates_exact": self.duplicates_exact,
            "identical_columns": self.identical_columns,
            "sample_rate": self.sample_rate,
            "sample_rows": self.sample.num_rows,
            "columns": [c.to_dict() for c in self.columns.values()],
            "passes": self.passes,
        }


def finalize(
    accs: dict[str, Accumulator], dataset: DatasetAccumulator, source: str, schema: pa.Schema
) -> Profile:
    """Turn accumulator states into a :class:`Profile`."""
    sample = dataset.sample_table(schema)
    columns: dict[str, ColumnProfile] = {}
    for name, acc in accs.items():
        if isinstance(acc, NumericAccumulator):
            columns[name] = _numeric(acc, sample.column(name) if sample.num_rows else None)
        elif isinstance(acc, CategoricalAccumulator):
            columns[name] = _categorical(acc, sample.column(name) if sample.num_rows else None)
        elif isinstance(acc, TemporalAccumulator):
            columns[name] = ColumnProfile(
                name,
                _dtype_name(acc.dtype),
                acc.kind,
                acc.n_rows,
                acc.n_null,
                n_valid=acc.n_rows - acc.n_null,
                min=acc.render(acc.min),
                max=acc.render(acc.max),
            )
        else:
            columns[name] = ColumnProfile(
                name,
                _dtype_name(acc.dtype),
                acc.kind,
                acc.n_rows,
                acc.n_null,
                n_valid=acc.n_rows - acc.n_null,
            )
    dups, exact = dataset.duplicate_rows()
    return Profile(
        source=source,
        n_rows=dataset.n_rows,
        columns=columns,
        duplicate_rows=dups,
        duplicates_exact=exact,
        identical_columns=_identical(columns, sample),
        sample_rate=dataset.rate,
        sample=sample,
    )


def _identical(columns: dict[str, ColumnProfile], sample: pa.Table) -> list[list[str]]:
    """Groups of columns equal on every exact statistic and on every sampled row."""
    keyed: dict[tuple[Any, ...], list[str]] = {}
    for name, col in columns.items():
        if col.kind not in ("numeric", "categorical") or col.n_valid == 0:
            continue
        key = (
            col.kind,
            col.n_null,
            col.n_nan,
            col.n_valid,
            col.min,
            col.max,
            col.mean,
            col.std,
            col.n_distinct,
            tuple(col.top or ()),
        )
        keyed.setdefault(key, []).append(name)
    groups = []
    for names in keyed.values():
        while len(names) > 1:
            first, rest = names[0], names[1:]
            same = [n for n in rest if _sample_equal(sample, first, n)]
            if same:
                groups.append([first, *same])
            names = [n for n in rest if n not in same]
    return groups


def _nulls(array: pa.Array) -> npt.NDArray[np.bool_]:
    mask = null_mask(array)
    return np.zeros(len(array), dtype=bool) if mask is None else mask


def _sample_equal(sample: pa.Table, a: str, b: str) -> bool:
    if sample.num_rows == 0:
        return True
    x, y = sample.column(a).combine_chunks(), sample.column(b).combine_chunks()
    if column_kind(x.type) == column_kind(y.type) == "numeric":
        # NaN == NaN here (Arrow's equals says no); nulls must sit in the same rows
        same_nulls = np.array_equal(_nulls(x), _nulls(y))
        return same_nulls and bool(np.array_equal(to_float64(x), to_float64(y), equal_nan=True))
    if x.type != y.type:
        try:
            y = y.cast(x.type)
        except pa.ArrowException:
            return False
    return bool(x.equals(y))


def _numeric(acc: NumericAccumulator, sampled: pa.ChunkedArray | None) -> ColumnProfile:
    m = acc.moments
    col = ColumnProfile(
        acc.name,
        _dtype_name(acc.dtype),
        acc.kind,
        acc.n_rows,
        acc.n_null,
        n_nan=acc.n_nan,
        n_posinf=acc.n_posinf,
        n_neginf=acc.n_neginf,
        n_valid=m.n,
    )
    if m.n == 0:
        return col
    col.min, col.max = acc.min, acc.max
    col.mean, col.std = m.mean, m.std
    col.skewness = _finite_or_none(m.skewness)
    col.kurtosis = _finite_or_none(m.kurtosis)
    col.integral = acc.integral
    col.increasing, col.strictly_increasing = acc.increasing, acc.strictly_increasing
    mag = max(abs(acc.min), abs(acc.max))
    is_float = pa.types.is_floating(acc.dtype)
    ftype = (
        np.float32
        if pa.types.is_float32(acc.dtype) or pa.types.is_float16(acc.dtype)
        else np.float64
    )
    col.resolution = float(np.spacing(ftype(mag))) if is_float else 1.0
    col.float32_resolution = float(np.spacing(np.float32(min(mag, 3.0e38))))
    x = _finite(sampled)
    col.sample_size = int(x.size)
    approx: list[str] = []
    if acc.counts is not None:
        col.n_distinct, col.distinct_exact = len(acc.counts), True
        ordered = sorted(acc.counts.items(), key=lambda kv: (-kv[1], kv[0]))
        col.top = ordered[:10]
        col.values = dict(sorted(acc.counts.items()))
        col.quantiles = _exact_quantiles(acc.counts, m.n)
        col.quantile_rank_error = 0.0
    else:
        col.distinct_exact = False
        col.quantiles = {
            _qkey(p): float(v)
            for p, v in zip(QUANTILE_GRID, acc.kll.get_quantiles(list(QUANTILE_GRID)), strict=True)
        }
        eps = ds.kll_doubles_sketch.get_normalized_rank_error(KLL_K, False)
        col.quantile_rank_error = rank_error_bound(
            eps if acc.kll.is_estimation_mode() else 0.0, acc.kll.n, m.n
        )
        approx.append("quantiles")
        if x.size:
            col.sample_distinct_share = float(np.unique(x).size / x.size)
            approx.append("sample_distinct_share")
    q1, q3 = col.q(0.25), col.q(0.75)
    col.iqr = q3 - q1
    _outliers(col, acc, x, q1, q3, approx)
    col.histogram = _histogram(acc, x, m.n)
    if acc.counts is None:
        approx.append("histogram")
    col.approximate = tuple(approx)
    return col


def _outliers(
    col: ColumnProfile,
    acc: NumericAccumulator,
    x: FloatArray,
    q1: float,
    q3: float,
    approx: list[str],
) -> None:
    iqr = q3 - q1
    median = col.q(0.5)
    if iqr > 0:
        col.max_abs_robust_z = max(abs(acc.max - median), abs(acc.min - median)) / (iqr / 1.349)
        lo, hi = q1 - FENCE_K * iqr, q3 + FENCE_K * iqr
        col.fences = (lo, hi)
        if acc.counts is not None:
            beyond = sum(c for v, c in acc.counts.items() if v < lo or v > hi)
            col.beyond_fences_share, col.beyond_fences_exact = beyond / col.n_valid, True
        elif x.size:
            beyond = int(np.count_nonzero((x < lo) | (x > hi)))
            col.beyond_fences_share = beyond / x.size
            col.beyond_fences_exact = x.size == col.n_valid  # the "sample" was every row
            approx.append("beyond_fences_share")


def _histogram(acc: NumericAccumulator, x: FloatArray, n: int) -> dict[str, list[float]]:
    lo, hi = acc.min, acc.max
    if acc.counts is not None:
        values = np.fromiter(acc.counts.keys(), float)
        weights = np.fromiter(acc.counts.values(), float)
    else:
        values, weights = x, np.full(x.size, n / max(x.size, 1))
    if hi <= lo:
        return {"edges": [lo, hi], "counts": [float(n)]}
    if not np.isfinite(hi - lo):  # the range overflows float64 (|x| near 1e308): bin the
        lo, hi = lo / 2, hi / 2  # halved values, then scale the edges back
        values = values / 2
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(lo, hi), weights=weights)
        edges = edges * 2
        return {"edges": [float(e) for e in edges], "counts": [round(float(c), 1) for c in counts]}
    try:
        counts, edges = np.histogram(values, bins=HISTOGRAM_BINS, range=(lo, hi), weights=weights)
    except ValueError:  # a range of a few ulps (1e9 + 1e-7 spread) cannot hold 20 bins
        return {"edges": [lo, hi], "counts": [float(n)]}
    return {"edges": [float(e) for e in edges], "counts": [round(float(c), 1) for c in counts]}


def _exact_quantiles(counts: dict[float, int], n: int) -> dict[str, float]:
    values = np.fromiter(sorted(counts), float)
    cum = np.cumsum([counts[v] for v in values])
    out = {}
    for p in QUANTILE_GRID:
        idx = int(np.searchsorted(cum, p * n, side="left"))  # inverted CDF (lower)
        out[_qkey(p)] = float(values[min(idx, values.size - 1)])
    return out


def _finite(sampled: pa.ChunkedArray | None) -> FloatArray:
    if sampled is None or len(sampled) == 0:
        return np.empty(0)
    arr = sampled.combine_chunks() if isinstance(sampled, pa.ChunkedArray) else sampled
    x = to_float64(arr)
    return x[np.isfinite(x)]


def _finite_or_none(v: float) -> float | None:
    return v if math.isfinite(v) else None


def _categorical(acc: CategoricalAccumulator, sampled: pa.ChunkedArray | None) -> ColumnProfile:
    col = ColumnProfile(
        acc.name,
        _dtype_name(acc.dtype),
        acc.kind,
        acc.n_rows,
        acc.n_null,
        n_valid=acc.n_rows - acc.n_null,
    )
    col.n_distinct = acc.n_distinct
    col.distinct_exact = acc.counts is not None
    col.top = acc.top(10)
    if acc.counts is not None:
        if len(acc.counts) <= LEVELS_LISTED:
            col.values = dict(sorted(acc.counts.items(), key=lambda kv: -kv[1]))
        pairs: list[tuple[str, int]] = list(acc.counts.items())
    else:  # past the cap: judge the text's form on the row sample
        col.approximate = ("n_distinct", "top", "numeric_text_share", "date_text_share")
        values = [] if sampled is None else [v for v in sampled.to_pylist() if v is not None]
        pairs = [(str(v), 1) for v in values]
    total = sum(c for _, c in pairs)
    if total:
        col.numeric_text_share = sum(c for v, c in pairs if _NUMBER.match(v)) / total
        col.date_text_share = sum(c for v, c in pairs if _DATE.match(v)) / total
    return col
