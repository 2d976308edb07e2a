"""``validate``: new data against a contract, in one streaming pass over record batches.

What is checked (codes DG301-DG309, docs/rules.md), and the decisions behind it:

* **DG301** a required column is absent (one finding per column). Columns the contract does
  not list: ``dataset.extra_columns: warn`` gives one warning naming them, ``forbid`` an
  error, ``allow`` nothing. Columns with ``role: ignore`` are listed but never checked.
* **DG302** the Arrow type *family* differs from the contract's ``dtype``: integer, floating,
  boolean, text (string, large_string, string_view, a dictionary of strings), binary,
  decimal, timestamp (the unit ignored; with and without a time zone are different
  families, the zone's name is not compared), date, time, duration. An **integer column
  satisfies a floating contract** (whole numbers are floats; a CSV of whole prices reads as
  int64), a **floating column does not satisfy an integer contract** (it is how pandas
  turns a nullable integer column into floats). An all-null column (Arrow ``null`` type)
  satisfies any type: its nulls are DG304's business. Other types compare as text.
  In a column of another family only nulls and uniqueness are checked (its values are not
  comparable).
* **DG303** values outside ``range`` (inclusive; ±inf is outside a finite bound, NaN is a
  null, not a value): count, share of rows, the first five (row, value) pairs. Rows are
  0-based positions in the data.
* **DG304** nulls and NaN (NaN counts as null, as in pandera and Great Expectations):
  any in a ``nullable: false`` column, or a share of rows above ``max_null_fraction``.
* **DG305** values outside ``levels``: counts per unknown level (the 1,000 first distinct
  ones kept) and example rows. Text is compared as text; numeric levels by value.
* **DG306** repeated non-null values in a ``unique`` column, exactly: integers and
  temporals by value, floats by their bits (-0.0 == 0.0), text by a 64-bit hash of its bytes
  (a false repeat has probability about n²/2⁶⁵). This is the one state that grows with the
  rows: 8 bytes per row of a ``unique`` column.
* **DG307** the row count outside ``dataset.rows``.
* **DG308** (a) explicit ``mean`` / ``std`` clauses (error; the mean and the sample standard
  deviation, ddof=1 as pandas, pandera and Great Expectations compute them, of the finite
  values); (b) drift against ``reference`` (warning) with :mod:`dataguard.validation._drift`'s
  effect sizes and noise-aware limits, tolerances from the column's ``drift`` or the
  defaults. Numeric columns count, per reference decile ``q``, the new values ``< q`` and
  ``<= q``: the new CDF at ``q`` is the value in ``[F(q-), F(q)]`` nearest the reference's
  level, so a value repeated across several deciles (an integer column) does not read as
  drift, while a moved atom does; tied deciles are merged into one PSI bin whose reference
  share is the span of their levels. The reference histogram gives the CDF ``P(x < edge)`` at
  its edges (``P(x <= max)`` at the last). Text columns count the reference's levels plus
  "other".
* **DG309** with ``transforms.artifact`` (relative to the contract file's folder when the
  contract came from a file), the fitted pipeline is applied to every batch; an output with
  more than 0.1% of its rows beyond ``|x| = 50``, or any non-finite output, is reported per
  input column. A pipeline that cannot be applied to the data is reported too.

Bad data is always a finding; only an unreadable input or contract (or an unknown rule
code) raises (:class:`~dataguard.errors.InputError`, :class:`~dataguard.errors.ConfigError`).

Memory stays flat in the rows (except DG306's hashes): each column keeps counts, extremes,
moments (Chan, Golub & LeVeque's pairwise merge), decile and histogram-edge counts and at
most five examples per clause. The hot path is numpy over zero-copy views of the Arrow
buffers (``dataguard.profile._arrow``) and never imports pandas.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.contract._infer import normalize_dtype
from dataguard.contract._io import load_contract
from dataguard.contract._model import ColumnContract, Contract, DriftTolerance, Range
from dataguard.engines import prefetch
from dataguard.errors import ConfigError, DataguardError
from dataguard.findings import Finding, Severity
from dataguard.io import Source, open_source
from dataguard.profile._accumulators import column_kind
from dataguard.profile._arrow import from_numpy, null_mask, temporal_ints, to_float64, values_view
from dataguard.profile._math import U64Array, splitmix64
from dataguard.rules.contract import CONTRACT_CODES
from dataguard.validation._drift import (
    DriftResult,
    categorical_drift,
    numeric_drift,
    psi,
    psi_limit,
)
from dataguard.validation._report import ValidationReport

__all__ = [
    "HEALTH_LIMIT",
    "HEALTH_SHARE",
    "MAX_EXAMPLES",
    "VALIDATE_CODES",
    "dtype_family",
    "run_validation",
    "validate",
    "validate_codes",
]

#: The codes ``validate`` emits, in order.
VALIDATE_CODES: tuple[str, ...] = tuple(c for c in CONTRACT_CODES if c.startswith("DG30"))
#: Example rows kept per clause.
MAX_EXAMPLES = 5
#: DG309: a transformed output beyond this magnitude is suspect ...
HEALTH_LIMIT = 50.0
#: ... and an output with more than this share of its rows beyond it is reported.
HEALTH_SHARE = 0.001
#: Magnitude above which squared deviations may overflow float64.
_HUGE = 1e150
#: Distinct unknown levels counted one by one (the total is always exact).
_MAX_UNKNOWN_LEVELS = 1000

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_SPEC = CONTRACT_CODES
_INTEGER = {f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64)}
_FLOATING = {"halffloat", "float", "double", "float16", "float32", "float64"}
_TEXT = {"string", "large_string", "utf8", "large_utf8", "string_view", "str"}
_BINARY = {"binary", "large_binary", "binary_view", "fixed_size_binary"}
_TEMPORAL = {
    "date32": "date",
    "date64": "date",
    "time32": "time",
    "time64": "time",
    "duration": "duration",
}


# --------------------------------------------------------------------------- entry points


def validate(
    data: Any,
    contract: Contract | str | os.PathLike[str],
    *,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    name: str | None = None,
) -> ValidationReport:
    """Check data against a contract, streaming; bad data becomes findings, never errors.

    Parameters
    ----------
    data : path or frame
        A parquet file/directory, CSV, Arrow IPC/Feather file, or a pandas, polars or Arrow
        table.
    contract : Contract or path
        The contract, or its YAML file (``transforms.artifact`` is then relative to it).
    select, ignore : list of str, optional
        Codes or prefixes (``DG30``) to run / skip, among DG301-DG309.
    name : str, optional
        What to call the data in the report (default: its path, or ``<pandas frame>``).

    Returns
    -------
    ValidationReport
        ``.findings``, ``.ok``, ``.raise_if_failed()``, ``.to_dict()``.

    Raises
    ------
    InputError
        The data or the contract file cannot be read.
    ConfigError
        The contract is malformed, or a code in ``select`` / ``ignore`` is unknown.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataguard.contract import Contract
    >>> contract = Contract.model_validate({"dataguard": 1, "columns": {
    ...     "price": {"dtype": "double", "nullable": False, "range": {"min": 0, "max": 2.5e6}},
    ...     "city": {"levels": ["Lyon", "Paris"]}}})
    >>> df = pd.DataFrame({"price": [120.0, -999.0, 310.5], "city": ["Paris", "Lyon", "Nice"]})
    >>> report = validate(df, contract)
    >>> for f in report.findings:
    ...     print(f.message)  # doctest: +NORMALIZE_WHITESPACE
    Column 'price': expected values in [0, 2.5e+06], found 1 value (33.33%) outside,
    e.g. row 1: -999; check units and sentinels (DG303)
    Column 'city': expected one of 2 levels, found 1 value (33.33%) outside them: 'Nice' (1),
    e.g. row 2: 'Nice' (DG305)
    """
    if isinstance(contract, Contract):
        return run_validation(data, contract, select=select, ignore=ignore, name=name)
    spec = load_contract(contract)
    return run_validation(
        data, spec, contract_path=Path(contract), select=select, ignore=ignore, name=name
    )


def run_validation(
    data: Any,
    contract: Contract,
    *,
    contract_path: Path | None = None,
    select: Iterable[str] | None = None,
    ignore: Iterable[str] | None = None,
    name: str | None = None,
) -> ValidationReport:
    """:func:`validate` with an already loaded contract (``contract_path``: where it was read
    from, for ``transforms.artifact`` and the report)."""
    start = time.perf_counter()
    codes = validate_codes(select, ignore)
    active = frozenset(codes)
    source = open_source(data)
    schema = source.schema
    findings = _schema_findings(contract, schema, active)
    checks = _column_checks(contract, schema, active)
    health, health_findings = _health(contract, contract_path, schema, active)
    findings += health_findings
    n_rows = _scan(source, checks, health, need_rows="DG307" in active)
    for check in checks:
        findings += check.findings(n_rows, source)
    if health is not None:
        findings += health.findings(n_rows)
    if "DG307" in active:
        findings += _row_findings(contract, n_rows)
    findings = _without_ignored(findings, contract)
    findings.sort(key=lambda f: (-f.severity, f.code, f.columns))
    return ValidationReport(
        findings=findings,
        source=name or source.name,
        contract=contract.name,
        n_rows=n_rows,
        elapsed_s=time.perf_counter() - start,
        contract_path=str(contract_path) if contract_path is not None else None,
        columns={c.name: c.summary() for c in checks},
        codes=codes,
    )


def validate_codes(
    select: Iterable[str] | None = None, ignore: Iterable[str] | None = None
) -> list[str]:
    """The codes to run: ``select`` (prefixes allowed) minus ``ignore``, among DG301-DG309.

    A code matching no rule is a :class:`ConfigError`; ignoring a known code of another
    command (``DG101``) is allowed.

    >>> validate_codes(["DG30"], ["DG308,DG309"])
    ['DG301', 'DG302', 'DG303', 'DG304', 'DG305', 'DG306', 'DG307']
    """

    def expand(items: Iterable[str], selecting: bool) -> set[str]:
        out: set[str] = set()
        for raw in items:
            for part in str(raw).split(","):
                code = part.strip().upper()
                if not code:
                    continue
                hits = {c for c in VALIDATE_CODES if c.startswith(code)}
                if not hits and (selecting or not _known_code(code)):
                    raise ConfigError(
                        f"rule code {part.strip()!r} matches no rule of `dataguard validate` "
                        "(DG301-DG309); see `dataguard explain`"
                    )
                out |= hits
        return out

    chosen = expand(select, True) if select is not None else set(VALIDATE_CODES)
    dropped = expand(ignore, False) if ignore is not None else set()
    return [c for c in VALIDATE_CODES if c in chosen and c not in dropped]


def _known_code(prefix: str) -> bool:
    from dataguard.rules import RULES

    return any(c.startswith(prefix) for c in (*RULES, *CONTRACT_CODES))


# --------------------------------------------------------------------------- dtype families


def dtype_family(dtype: pa.DataType | str) -> str:
    """The family DG302 compares: an Arrow type, or a contract's ``dtype`` text.

    >>> dtype_family("int32"), dtype_family("string (dictionary)"), dtype_family("timestamp[ms]")
    ('integer', 'text', 'timestamp')
    >>> dtype_family(pa.dictionary(pa.int32(), pa.large_string()))
    'text'
    """
    if isinstance(dtype, pa.DataType):
        if pa.types.is_dictionary(dtype):
            return dtype_family(dtype.value_type)
        dtype = str(dtype)
    text = " ".join(normalize_dtype(dtype).lower().split())
    if text.startswith("dictionary<"):
        inner = text.partition("values=")[2].split(",")[0]
        return dtype_family(inner) if inner else text
    base = text.split("[", 1)[0].split("(", 1)[0].split("<", 1)[0].strip()
    simple = {
        **dict.fromkeys(_INTEGER, "integer"),
        **dict.fromkeys(_FLOATING, "floating"),
        **dict.fromkeys(_TEXT, "text"),
        **dict.fromkeys(_BINARY, "binary"),
        **_TEMPORAL,
        "bool": "boolean",
        "boolean": "boolean",
        "null": "null",
    }
    if base in simple:
        return simple[base]
    if base == "timestamp":
        return "timestamp with time zone" if "tz=" in text else "timestamp"
    if base.startswith("decimal"):
        return "decimal"
    return text


def _dtype_ok(expected: str, actual: str) -> bool:
    return expected == actual or actual == "null" or (expected, actual) == ("floating", "integer")


def _dtype_name(dtype: pa.DataType) -> str:
    if pa.types.is_dictionary(dtype):
        return f"{dtype.value_type} (dictionary)"
    return str(dtype)


# --------------------------------------------------------------------------- schema findings


def _schema_findings(contract: Contract, schema: pa.Schema, codes: frozenset[str]) -> list[Finding]:
    names = set(schema.names)
    out: list[Finding] = []
    if "DG301" in codes:
        have = ", ".join(repr(n) for n in schema.names[:8])
        more = f", ... ({len(schema.names)} in all)" if len(schema.names) > 8 else ""
        for col, spec in contract.columns.items():
            if col not in names and spec.required and spec.role != "ignore":
                out.append(
                    _SPEC["DG301"].finding(
                        [col],
                        f"Column {col!r}: expected (the contract requires it), not found; the "
                        f"data has {have or 'no columns'}{more}",
                        {"column": col, "present": list(schema.names)},
                    )
                )
        extra = [n for n in schema.names if n not in contract.columns]
        policy = contract.dataset.extra_columns
        if extra and policy != "allow":
            shown = ", ".join(repr(n) for n in extra[:8]) + (", ..." if len(extra) > 8 else "")
            out.append(
                _SPEC["DG301"].finding(
                    extra,
                    f"Dataset: expected only the contract's columns (extra_columns: {policy}), "
                    f"found {len(extra)} unexpected column(s): {shown}; add them to the "
                    "contract or drop them",
                    {"extra_columns": extra, "policy": policy},
                    severity=Severity.ERROR if policy == "forbid" else Severity.WARNING,
                )
            )
    if "DG302" in codes:
        for col, spec in contract.columns.items():
            if col in names and spec.dtype and spec.role != "ignore":
                out += _dtype_findings(col, spec.dtype, schema.field(col).type)
    return out


def _dtype_findings(col: str, expected: str, actual: pa.DataType) -> list[Finding]:
    want, got = dtype_family(expected), dtype_family(actual)
    if _dtype_ok(want, got):
        return []
    return [
        _SPEC["DG302"].finding(
            [col],
            f"Column {col!r}: expected dtype {expected} ({want}), found {_dtype_name(actual)} "
            f"({got}); cast at the source or update the contract",
            {"expected": expected, "expected_family": want, "actual": str(actual), "family": got},
        )
    ]


def _row_findings(contract: Contract, n_rows: int) -> list[Finding]:
    lo, hi = contract.dataset.rows.min, contract.dataset.rows.max
    if (lo is None or n_rows >= lo) and (hi is None or n_rows <= hi):
        return []
    if lo is not None and hi is not None:
        want = f"between {lo:,} and {hi:,} rows"
    elif lo is not None:
        want = f"at least {lo:,} row(s)"
    else:
        want = f"at most {hi:,} rows"
    return [
        _SPEC["DG307"].finding(
            [],
            f"Dataset: expected {want}, found {n_rows:,}; check the export for truncated or "
            "duplicated files",
            {"rows": n_rows, "min": lo, "max": hi},
        )
    ]


def _without_ignored(findings: list[Finding], contract: Contract) -> list[Finding]:
    def ignored(f: Finding) -> bool:
        specs = [contract.columns.get(c) for c in f.columns]
        return bool(specs) and all(s is not None and f.code in s.ignore for s in specs)

    return [f for f in findings if not ignored(f)]


# --------------------------------------------------------------------------- the scan


def _scan(
    source: Source, checks: list[_ColumnCheck], health: _Health | None, need_rows: bool
) -> int:
    """Stream the batches once through every check; the number of rows read."""
    needed = [c.name for c in checks]
    if health is not None:
        needed += [n for n in health.inputs if n not in needed]
    if not needed:
        if source.num_rows is not None or not need_rows:
            return source.num_rows or 0
        needed = source.schema.names[:1]
    position = {n: i for i, n in enumerate(needed)}
    offset = 0
    # A reader thread decodes the next batches (pyarrow releases the GIL) while this one checks.
    for batch in prefetch(source.select(needed).batches()):
        for check in checks:
            check.update(batch.column(position[check.name]), offset)
        if health is not None:
            health.update(batch, offset)
        offset += batch.num_rows
    return offset


def _column_checks(
    contract: Contract, schema: pa.Schema, codes: frozenset[str]
) -> list[_ColumnCheck]:
    out = []
    for col, spec in contract.columns.items():
        if col not in schema.names or spec.role == "ignore":
            continue
        dtype = schema.field(col).type
        # Values of another family (DG302) are not comparable; their nulls still count.
        same = not spec.dtype or _dtype_ok(dtype_family(spec.dtype), dtype_family(dtype))
        check = _ColumnCheck(col, spec, dtype, codes if same else codes & {"DG304", "DG306"})
        if check.active:
            out.append(check)
    return out


# --------------------------------------------------------------------------- accumulators


@dataclass
class _Examples:
    """The first few (row, value) pairs of a clause, in row order."""

    rows: list[int] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)

    @property
    def full(self) -> bool:
        return len(self.rows) >= MAX_EXAMPLES

    def add(
        self,
        rows: npt.NDArray[Any],
        offset: int,
        values: Sequence[Any] | npt.NDArray[Any] | None = None,
    ) -> None:
        room = MAX_EXAMPLES - len(self.rows)
        if room <= 0:
            return
        self.rows += [int(r) + offset for r in rows[:room]]
        if values is not None:
            self.values += [_py(v) for v in list(values)[:room]]

    def to_list(self) -> list[dict[str, Any]]:
        if len(self.values) == len(self.rows):
            return [{"row": r, "value": v} for r, v in zip(self.rows, self.values, strict=True)]
        return [{"row": r} for r in self.rows]


@dataclass
class _Moments:
    """Count, mean and M2 of finite values; batches merged with Chan, Golub & LeVeque
    (1979), as ``dataguard.profile._math`` does for the profile."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0

    def add(self, x: FloatArray, huge: bool = False) -> None:
        """Merge a batch of finite values (``huge``: |x| may overflow the squares)."""
        n = int(x.size)
        if n == 0:
            return
        if huge:  # the sums overflow to inf, as the true values would (an errstate: only here)
            with np.errstate(over="ignore", invalid="ignore"):
                self._merge(n, x)
        else:
            self._merge(n, x)

    def _merge(self, n: int, x: FloatArray) -> None:
        mean = float(x.sum()) / n
        d = x - mean
        m2 = float(np.einsum("i,i->", d, d))
        if not self.n:
            self.n, self.mean, self.m2 = n, mean, m2
            return
        total = self.n + n
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.n * n / total
        self.mean += delta * n / total
        self.n = total

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof=1)."""
        return math.sqrt(self.m2 / (self.n - 1)) if self.n > 1 else math.nan

    @property
    def std0(self) -> float:
        """Population standard deviation (ddof=0, as the profile's reference)."""
        return math.sqrt(self.m2 / self.n) if self.n else math.nan


class _NumericDrift:
    """New-data counts at the reference's deciles (``< q`` and ``<= q``) and histogram edges
    (``< edge``; ``<= edge`` at the last)."""

    def __init__(self, deciles: list[tuple[float, float]], edges: list[float]) -> None:
        self.levels = np.array([p for p, _ in deciles], dtype=np.float64)
        self.deciles = np.array([q for _, q in deciles], dtype=np.float64)
        self.edges = np.array(edges, dtype=np.float64)
        self.below = np.zeros(self.deciles.size + 1, np.int64)  # bins of searchsorted right
        self.at_or_below = np.zeros(self.deciles.size + 1, np.int64)  # ... of searchsorted left
        self.edge_bins = np.zeros(self.edges.size + 1, np.int64)
        self.above_last = 0
        self.m = 0

    def add(self, x: FloatArray) -> None:
        if not x.size:
            return
        self.m += int(x.size)
        if self.deciles.size:
            k = self.deciles.size + 1
            self.below += np.bincount(np.searchsorted(self.deciles, x, "right"), minlength=k)
            self.at_or_below += np.bincount(np.searchsorted(self.deciles, x, "left"), minlength=k)
        if self.edges.size:
            bins = np.searchsorted(self.edges, x, "right")
            self.edge_bins += np.bincount(bins, minlength=self.edges.size + 1)
            self.above_last += int(np.count_nonzero(x > self.edges[-1]))

    def decile_cdf(self) -> FloatArray:
        """The new CDF at each decile: within ``[F(q-), F(q)]``, nearest the decile's level."""
        m = max(self.m, 1)
        lt = np.cumsum(self.below)[:-1] / m  # F(q-) = share < q
        le = np.cumsum(self.at_or_below)[:-1] / m  # F(q) = share <= q
        return np.clip(self.levels, lt, le)

    def edge_cdf(self) -> FloatArray:
        m = max(self.m, 1)
        cdf = np.cumsum(self.edge_bins)[:-1] / m  # share < edge
        if cdf.size:
            cdf[-1] = (self.m - self.above_last) / m  # share <= the last edge (the max)
        return cdf


class _ColumnCheck:
    """The streaming state of one contract column, and the findings it yields."""

    def __init__(
        self, name: str, spec: ColumnContract, dtype: pa.DataType, codes: frozenset[str]
    ) -> None:
        self.name = name
        self.spec = spec
        self.dtype = dtype
        self.kind = column_kind(dtype)
        numeric = self.kind == "numeric"
        text = self.kind == "categorical"
        ref = spec.reference if "DG308" in codes else None
        self.nulls = "DG304" in codes and (not spec.nullable or spec.max_null_fraction is not None)
        self.range = spec.range if "DG303" in codes and numeric and spec.range else None
        self.lo = -math.inf if self.range is None or self.range.min is None else self.range.min
        self.hi = math.inf if self.range is None or self.range.max is None else self.range.max
        levels = spec.levels if "DG305" in codes and (numeric or text) else None
        self.num_levels = _numeric_levels(levels) if levels is not None and numeric else None
        self.text_levels = [str(v) for v in levels] if levels is not None and text else None
        self.clauses = {
            k: r for k, r in (("mean", spec.mean), ("std", spec.std)) if r and "DG308" in codes
        }
        self.clauses = self.clauses if numeric else {}
        self.ref_shares = ref.shares if ref is not None and text and ref.shares else None
        self.drift = _numeric_drift_state(name, ref) if ref is not None and numeric else None
        self.ref_mean = ref.mean if ref is not None and numeric and ref.std else None
        self.unique = "DG306" in codes and spec.unique
        self.moments = _Moments() if (self.clauses or self.ref_mean is not None) else None
        self.active = bool(
            self.nulls
            or self.range
            or levels is not None
            or self.moments
            or self.ref_shares
            or self.drift
            or self.unique
        )
        # state
        self.n = 0
        self.n_missing = 0
        self.missing_rows = _Examples()
        self.min = math.inf
        self.max = -math.inf
        self.n_out = 0
        self.out_examples = _Examples()
        self.n_unknown = 0
        self.unknown: dict[Any, int] = {}
        self.unknown_examples = _Examples()
        share_slots = len(self.ref_shares) + 1 if self.ref_shares else 0
        self.share_counts = np.zeros(share_slots, np.float64)
        self.keys: list[tuple[int, U64Array, IntArray | None]] = []

    # -- updates -------------------------------------------------------------------------
    def update(self, array: pa.Array, offset: int) -> None:
        self.n += len(array)
        if not len(array):
            return
        if self.kind == "numeric":
            self._numeric(array, offset)
        elif self.kind == "categorical":
            self._text(array, offset)
        else:
            self._other(array, offset)

    def _missing(self, mask: npt.NDArray[np.bool_] | None, count: int, offset: int) -> None:
        self.n_missing += count
        if count and mask is not None and self.nulls and not self.missing_rows.full:
            self.missing_rows.add(np.flatnonzero(mask)[:MAX_EXAMPLES], offset)

    def _numeric(self, array: pa.Array, offset: int) -> None:
        x = to_float64(array)
        lo, hi = float(x.min()), float(x.max())
        valid = x
        if math.isnan(lo) or math.isnan(hi):  # nulls or NaN: the slow path
            miss = np.isnan(x)
            self._missing(miss, int(np.count_nonzero(miss)), offset)
            valid = x[~miss]
            if not valid.size:
                return
            lo, hi = float(valid.min()), float(valid.max())
        self.min, self.max = min(self.min, lo), max(self.max, hi)
        if self.range is not None and (lo < self.lo or hi > self.hi):
            bad = x < self.lo
            bad |= x > self.hi
            self._out_of_range(x, bad, offset)
        if self.num_levels is not None:
            unknown = ~np.isin(x, self.num_levels)
            unknown &= ~np.isnan(x)
            self._unknown_numbers(x, unknown, offset)
        if self.moments is not None or self.drift is not None:
            finite = valid if (lo > -math.inf and hi < math.inf) else valid[np.isfinite(valid)]
            if self.moments is not None:
                self.moments.add(finite, huge=max(-lo, hi) > _HUGE)
            if self.drift is not None:
                self.drift.add(finite)
        if self.unique:
            self._numeric_keys(array, x, offset)

    def _out_of_range(self, x: FloatArray, bad: npt.NDArray[np.bool_], offset: int) -> None:
        self.n_out += int(np.count_nonzero(bad))
        if not self.out_examples.full:
            rows = np.flatnonzero(bad)[:MAX_EXAMPLES]
            self.out_examples.add(rows, offset, x[rows])

    def _unknown_numbers(self, x: FloatArray, unknown: npt.NDArray[np.bool_], offset: int) -> None:
        k = int(np.count_nonzero(unknown))
        if not k:
            return
        self.n_unknown += k
        values, counts = np.unique(x[unknown], return_counts=True)
        for v, c in zip(values.tolist(), counts.tolist(), strict=True):
            self._count_unknown(_py(v), int(c))
        if not self.unknown_examples.full:
            rows = np.flatnonzero(unknown)[:MAX_EXAMPLES]
            self.unknown_examples.add(rows, offset, x[rows])

    def _count_unknown(self, value: Any, count: int) -> None:
        if value in self.unknown or len(self.unknown) < _MAX_UNKNOWN_LEVELS:
            self.unknown[value] = self.unknown.get(value, 0) + count

    def _numeric_keys(self, array: pa.Array, x: FloatArray, offset: int) -> None:
        t = array.type
        if pa.types.is_integer(t):
            keys: U64Array = values_view(array).astype(np.int64).view(np.uint64)
            mask = null_mask(array)
        else:
            mask = np.isnan(x)
            keys = (x + 0.0).view(np.uint64)  # -0.0 + 0.0 == +0.0: one key for both zeros
            mask = mask if mask.any() else None
        self._add_keys(keys, mask, offset)

    def _add_keys(self, keys: U64Array, mask: npt.NDArray[np.bool_] | None, offset: int) -> None:
        if mask is None:
            self.keys.append((offset, keys.copy(), None))
        else:
            keep = ~mask
            self.keys.append((offset, keys[keep], np.flatnonzero(keep)))

    def _text(self, array: pa.Array, offset: int) -> None:
        mask = null_mask(array.indices if pa.types.is_dictionary(array.type) else array)
        self._missing(mask, array.null_count, offset)
        if self.text_levels is None and self.ref_shares is None and not self.unique:
            return
        if not pa.types.is_dictionary(array.type):
            array = pc.dictionary_encode(array)
        dictionary = array.dictionary
        k = len(dictionary)
        idx = values_view(array.indices).astype(np.int64)
        if mask is not None:
            idx[mask] = k
        counts = np.bincount(idx, minlength=k + 1)[:k]
        if self.text_levels is not None:
            self._unknown_text(dictionary, idx, counts, offset)
        if self.ref_shares is not None:
            slots = _index_in(dictionary, list(self.ref_shares))
            slots[slots < 0] = len(self.ref_shares)
            self.share_counts += _slot_counts(slots, counts, self.share_counts.size)
        if self.unique:
            hashes = _hash_text(dictionary)
            keys = hashes[np.minimum(idx, max(k - 1, 0))] if k else np.zeros(idx.size, np.uint64)
            self._add_keys(keys, mask, offset)

    def _unknown_text(
        self, dictionary: pa.Array, idx: IntArray, counts: IntArray, offset: int
    ) -> None:
        assert self.text_levels is not None
        known = _index_in(dictionary, self.text_levels) >= 0
        entries = np.flatnonzero(~known & (counts > 0))
        if not entries.size:
            return
        self.n_unknown += int(counts[entries].sum())
        names = dictionary.take(from_numpy(entries)).to_pylist()
        for value, c in zip(names, counts[entries].tolist(), strict=True):
            self._count_unknown(value, int(c))
        if not self.unknown_examples.full:
            rows = np.flatnonzero(np.isin(idx, entries))[:MAX_EXAMPLES]
            values = dictionary.take(from_numpy(idx[rows])).to_pylist()
            self.unknown_examples.add(rows, offset, values)

    def _other(self, array: pa.Array, offset: int) -> None:
        mask = null_mask(array)
        self._missing(mask, array.null_count, offset)
        if not self.unique:
            return
        t = array.type
        if pa.types.is_dictionary(t):
            array = array.dictionary_decode()
            t = array.type
        if pa.types.is_temporal(t):
            ints = temporal_ints(array)
            self._add_keys(values_view(ints).view(np.uint64), mask, offset)
        elif pa.types.is_binary(t) or pa.types.is_large_binary(t):
            self._add_keys(_hash_text(array), mask, offset)

    # -- results -------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"dtype": _dtype_name(self.dtype), "n_missing": self.n_missing}
        if self.kind == "numeric" and self.min <= self.max:
            out["min"], out["max"] = self.min, self.max
        if self.moments is not None and self.moments.n:
            out["mean"], out["std"] = self.moments.mean, self.moments.std
        return out

    def findings(self, n_rows: int, source: Source) -> list[Finding]:
        out: list[Finding] = []
        if self.nulls:
            out += _null_findings(self, n_rows)
        if self.range is not None and self.n_out:
            out.append(_range_finding(self, n_rows))
        if self.n_unknown:
            out.append(_level_finding(self, n_rows))
        if self.unique:
            out += _unique_findings(self, source)
        for clause, bounds in self.clauses.items():
            out += _clause_findings(self, clause, bounds)
        out += _drift_findings(self)
        return out


def _slot_counts(slots: IntArray, counts: IntArray, size: int) -> FloatArray:
    out = np.bincount(slots, weights=counts.astype(np.float64), minlength=size)
    return np.asarray(out[:size], dtype=np.float64)


def _numeric_levels(levels: list[Any]) -> FloatArray:
    out = []
    for v in levels:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            continue  # text levels cannot match a number
    return np.array(out, dtype=np.float64)


def _numeric_drift_state(name: str, ref: Any) -> _NumericDrift | None:
    where = f"columns.{name}.reference"
    deciles = []
    for p, q in (ref.quantiles or {}).items():
        try:
            level = float(p)
        except ValueError:
            raise ConfigError(
                f"{where}.quantiles: {p!r} is not a quantile level like '0.1'"
            ) from None
        if 0 < level < 1 and math.isfinite(q):
            deciles.append((level, float(q)))
    deciles.sort()
    if any(b[1] < a[1] for a, b in pairwise(deciles)):
        raise ConfigError(f"{where}.quantiles: values must not decrease as the level grows")
    edges = [float(e) for e in ref.histogram.edges] if ref.histogram is not None else []
    if not all(math.isfinite(e) for e in edges) or len(edges) < 2:
        edges = []
    if any(b < a for a, b in pairwise(edges)):
        raise ConfigError(f"{where}.histogram: edges must not decrease")
    if not deciles and not edges and not ref.std:
        return None
    return _NumericDrift(deciles, edges)


def _text_array(values: Sequence[str]) -> pa.Array:
    """A string array built from buffers (``pa.array`` would import pandas)."""
    data = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int32)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.string(), len(data), [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(data))]
    )


def _index_in(dictionary: pa.Array, levels: list[str]) -> IntArray:
    """Position of each dictionary entry among ``levels`` (-1: not there)."""
    value_set = _text_array(levels)
    if value_set.type != dictionary.type:
        value_set = value_set.cast(dictionary.type)
    found = pc.index_in(dictionary, value_set=value_set)
    out: IntArray = values_view(found).astype(np.int64)
    missing = null_mask(found)
    if missing is not None:
        out[missing] = -1
    return out


def _hash_text(array: pa.Array) -> U64Array:
    """64-bit hashes of the bytes of a string/binary array, vectorized: the sum over
    positions of splitmix64(byte | position << 8), then mixed with the length."""
    n = len(array)
    large = pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type)
    if not n:
        return np.empty(0, np.uint64)
    width = np.int64 if large else np.int32
    bufs = array.buffers()
    offsets = np.frombuffer(
        bufs[1], dtype=width, count=n + 1, offset=array.offset * np.dtype(width).itemsize
    ).astype(np.int64)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.empty(0, np.uint8)
    lens = np.diff(offsets)
    starts = offsets[:-1] - offsets[0]
    body = data[offsets[0] : offsets[-1]].astype(np.uint64)
    h = np.zeros(n, np.uint64)
    if body.size:
        pos = np.arange(body.size, dtype=np.int64) - np.repeat(starts, lens)
        terms = splitmix64(body | (pos.astype(np.uint64) << np.uint64(8)))
        nonempty = lens > 0
        h[nonempty] = np.add.reduceat(terms, starts[nonempty])
    return splitmix64(h ^ splitmix64(lens.astype(np.uint64)))


def _py(v: Any) -> Any:
    """A plain Python value for evidence (numpy scalars unwrapped, whole floats kept)."""
    return v.item() if hasattr(v, "item") else v


# --------------------------------------------------------------------------- column findings


def _num(x: float) -> str:
    """A value or bound for a message: 6 significant digits (``-999``, ``2.5e+06``)."""
    return f"{x:.6g}"


def _pct(share: float) -> str:
    p = 100.0 * share
    if p == 0:
        return "0%"
    return f"{p:.2f}%" if p >= 0.01 else f"{p:.2g}%"


def _num_beside(x: float, r: Range) -> str:
    """``x`` with enough digits to differ from the bounds it is compared with."""
    bounds = [b for b in (r.min, r.max) if b is not None and b != x]
    for digits in (6, 10, 17):
        text = f"{x:.{digits}g}"
        if all(text != f"{b:.{digits}g}" for b in bounds):
            return text
    return repr(x)


def _bounds(r: Range) -> str:
    if r.min is not None and r.max is not None:
        return f"in [{_num(r.min)}, {_num(r.max)}]"
    if r.min is not None:
        return f">= {_num(r.min)}"
    return f"<= {_num(r.max)}" if r.max is not None else "unbounded"


def _value_text(v: Any) -> str:
    if isinstance(v, float):
        return _num(v)
    return repr(v) if isinstance(v, str) else str(v)


def _examples_text(ex: _Examples, limit: int = 3, beside: Range | None = None) -> str:
    if not ex.rows:
        return ""
    if len(ex.values) == len(ex.rows):
        parts = [
            f"row {r:,}: "
            + (_num_beside(v, beside) if beside and isinstance(v, float) else _value_text(v))
            for r, v in zip(ex.rows, ex.values, strict=True)
        ]
    else:
        parts = [f"row {r:,}" for r in ex.rows]
    return ", e.g. " + ", ".join(parts[:limit])


def _values(k: int) -> str:
    return f"{k:,} value" + ("" if k == 1 else "s")


def _null_findings(c: _ColumnCheck, n_rows: int) -> list[Finding]:
    k = c.n_missing
    share = k / n_rows if n_rows else 0.0
    limit = c.spec.max_null_fraction
    evidence = {
        "missing": k,
        "share": share,
        "rows": n_rows,
        "nullable": c.spec.nullable,
        "max_null_fraction": limit,
        "examples": c.missing_rows.to_list(),
    }
    ex = _examples_text(c.missing_rows)
    if not c.spec.nullable and k:
        msg = f"Column {c.name!r}: expected no nulls, found {k:,} null/NaN ({_pct(share)}){ex}"
    elif limit is not None and share > limit:
        msg = (
            f"Column {c.name!r}: expected at most {_pct(limit)} null/NaN, found {_pct(share)} "
            f"({k:,} of {n_rows:,} rows){ex}"
        )
    else:
        return []
    return [_SPEC["DG304"].finding([c.name], msg + "; fill or drop them at the source", evidence)]


def _range_finding(c: _ColumnCheck, n_rows: int) -> Finding:
    assert c.range is not None
    share = c.n_out / n_rows if n_rows else 0.0
    return _SPEC["DG303"].finding(
        [c.name],
        f"Column {c.name!r}: expected values {_bounds(c.range)}, found {_values(c.n_out)} "
        f"({_pct(share)}) outside{_examples_text(c.out_examples, 1, c.range)}; "
        "check units and sentinels",
        {
            "range": c.range.model_dump(),
            "count": c.n_out,
            "share": share,
            "rows": n_rows,
            "min": c.min,
            "max": c.max,
            "examples": c.out_examples.to_list(),
        },
    )


def _level_finding(c: _ColumnCheck, n_rows: int) -> Finding:
    levels = c.spec.levels or []
    top = sorted(c.unknown.items(), key=lambda kv: (-kv[1], str(kv[0])))
    shown = ", ".join(f"{_value_text(v)} ({n:,})" for v, n in top[:3])
    more = f" and {len(top) - 3:,} more levels" if len(top) > 3 else ""
    share = c.n_unknown / n_rows if n_rows else 0.0
    return _SPEC["DG305"].finding(
        [c.name],
        f"Column {c.name!r}: expected one of {len(levels):,} levels, found "
        f"{_values(c.n_unknown)} ({_pct(share)}) outside them: {shown}{more}"
        f"{_examples_text(c.unknown_examples, 1)}",
        {
            "count": c.n_unknown,
            "share": share,
            "unknown": [{"value": v, "count": n} for v, n in top[:50]],
            "n_unknown_levels": len(top),
            "examples": c.unknown_examples.to_list(),
        },
    )


def _clause_findings(c: _ColumnCheck, clause: str, bounds: Range) -> list[Finding]:
    m = c.moments
    if m is None or not m.n:
        return []
    actual = m.mean if clause == "mean" else m.std
    lo = -math.inf if bounds.min is None else bounds.min
    hi = math.inf if bounds.max is None else bounds.max
    if math.isnan(actual) or lo <= actual <= hi:  # inf: sums of |x| ~ 1e300 overflow
        return []
    return [
        _SPEC["DG308"].finding(
            [c.name],
            f"Column {c.name!r}: expected {clause} {_bounds(bounds)}, found {_num(actual)} "
            f"(over {m.n:,} finite values); investigate the source",
            {"clause": clause, "min": bounds.min, "max": bounds.max, "actual": actual, "n": m.n},
            severity=Severity.ERROR,
        )
    ]


def _drift_findings(c: _ColumnCheck) -> list[Finding]:
    ref = c.spec.reference
    if ref is None or not ref.n:
        return []
    tol = (c.spec.drift or DriftTolerance()).model_dump()
    if c.ref_shares is not None:
        names = [*c.ref_shares, "\x00other"]
        counts = {n: int(v) for n, v in zip(names, c.share_counts.tolist(), strict=True)}
        result = categorical_drift(c.ref_shares, counts, ref.n, tol)
        m = sum(counts.values())
    elif c.drift is not None or c.ref_mean is not None:
        result, m = _numeric_result(c, ref, tol)
    else:
        return []
    if not result.drifted:
        return []
    return [
        _SPEC["DG308"].finding(
            [c.name],
            f"Column {c.name!r}: expected the distribution of the contract's reference, "
            f"found {_drift_text(result)}; investigate the source, refit and retrain if it "
            "is real",
            {**result.to_dict(), "n_reference": ref.n, "n_new": m},
        )
    ]


def _numeric_result(c: _ColumnCheck, ref: Any, tol: dict[str, float]) -> tuple[DriftResult, int]:
    d = c.drift
    mean_new = c.moments.mean if c.moments is not None and c.moments.n else None
    if d is None or not d.m:
        m = c.moments.n if c.moments is not None else 0
        if not m:
            return DriftResult(), 0
        result = numeric_drift(
            [], [m], ref.n, tol, mean_ref=ref.mean, std_ref=ref.std, mean_new=mean_new
        )
        result.measures.pop("psi", None)
        return result, m
    dec = d.decile_cdf()
    bins = np.diff(np.concatenate([[0.0], dec, [1.0]])) * d.m
    ref_edges: list[float] = []
    if d.edges.size and ref.histogram is not None:
        counts = np.asarray(ref.histogram.counts, dtype=np.float64)
        total = counts.sum()
        ref_edges = list(np.concatenate([[0.0], np.cumsum(counts)]) / total) if total else []
    edge_new = d.edge_cdf() if ref_edges else np.empty(0)
    result = numeric_drift(
        d.deciles.tolist(),
        bins,
        ref.n,
        tol,
        cdf_points=[*d.deciles.tolist(), *(d.edges.tolist() if ref_edges else [])],
        ref_cdf=[*d.levels.tolist(), *ref_edges],
        new_cdf=[*dec.tolist(), *edge_new.tolist()],
        mean_ref=ref.mean,
        std_ref=ref.std,
        mean_new=mean_new,
    )
    if not d.deciles.size:
        result.measures.pop("psi", None)
    else:
        _psi_over_distinct_deciles(result, d, dec, ref.n, tol)
    return result, d.m


def _psi_over_distinct_deciles(
    result: DriftResult, d: _NumericDrift, dec: FloatArray, n_ref: int, tol: dict[str, float]
) -> None:
    """PSI with tied deciles merged into one bin (a value repeated across deciles, as in an
    integer column): the reference share of a merged bin is the span of its levels, so an
    empty zero-width bin does not read as drift. Without ties it is numeric_drift's PSI."""
    q = d.deciles
    ends = np.flatnonzero(np.r_[q[1:] != q[:-1], True])
    if ends.size == q.size:
        return
    expected = np.diff(np.concatenate([[0.0], d.levels[ends], [1.0]]))
    actual = np.diff(np.concatenate([[0.0], dec[ends], [1.0]]))
    result.measures["psi"] = psi(expected, actual, n_ref, d.m)
    result.limits["psi"] = psi_limit(tol.get("psi", 0.2), int(expected.size), n_ref, d.m)


def _drift_text(result: DriftResult) -> str:
    labels = {"psi": "PSI", "ks": "KS", "js": "JS distance"}
    parts = []
    for k, v in result.measures.items():
        limit = result.limits.get(k, math.nan)
        if k == "mean_z":
            parts.append(f"mean shifted by {v:.2f} std (limit {limit:.2f})")
        else:
            parts.append(f"{labels.get(k, k)} {v:.3g} (limit {limit:.3g})")
    return ", ".join(parts)


def _unique_findings(c: _ColumnCheck, source: Source) -> list[Finding]:
    if not c.keys:
        return []
    keys = np.concatenate([k for _, k, _ in c.keys])
    order = np.argsort(keys, kind="stable")
    ordered = keys[order]
    dup = np.flatnonzero(ordered[1:] == ordered[:-1])
    if not dup.size:
        return []
    later, earlier = order[dup + 1], order[dup]
    pick = np.argsort(later, kind="stable")[:MAX_EXAMPLES]
    rows_later = _rows_of(c, later[pick])
    rows_earlier = _rows_of(c, earlier[pick])
    values = _key_values(c, keys[later[pick]], rows_later, source)
    pairs = [
        {"row": int(r), "repeats_row": int(e), "value": v}
        for r, e, v in zip(rows_later, rows_earlier, values, strict=True)
    ]
    n_valid = keys.size
    first = pairs[0]
    return [
        _SPEC["DG306"].finding(
            [c.name],
            f"Column {c.name!r}: expected unique values, found {dup.size:,} repeated "
            f"({_pct(dup.size / n_valid)} of {n_valid:,} non-null values), e.g. row "
            f"{first['row']:,} repeats row {first['repeats_row']:,}: {_value_text(first['value'])}",
            {"repeated": int(dup.size), "non_null": int(n_valid), "examples": pairs},
        )
    ]


def _rows_of(c: _ColumnCheck, positions: IntArray) -> list[int]:
    """Rows of positions in the concatenated key arrays."""
    sizes = np.array([k.size for _, k, _ in c.keys], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    out = []
    for p in positions.tolist():
        b = int(np.searchsorted(starts, p, "right")) - 1
        offset, _, rows = c.keys[b]
        local = p - int(starts[b])
        out.append(offset + (int(rows[local]) if rows is not None else local))
    return out


def _key_values(c: _ColumnCheck, keys: U64Array, rows: list[int], source: Source) -> list[Any]:
    t = c.dtype.value_type if pa.types.is_dictionary(c.dtype) else c.dtype
    if pa.types.is_integer(t):
        return [int(v) for v in keys.view(np.int64).tolist()]
    if c.kind == "numeric":
        return [float(v) for v in keys.view(np.float64).tolist()]
    return _values_at(source, c.name, rows)


def _values_at(source: Source, column: str, rows: list[int]) -> list[Any]:
    """The values of a few rows of one column (a second, one-column pass)."""
    wanted = sorted(set(rows))
    found: dict[int, Any] = {}
    offset = 0
    for batch in source.select([column]).batches():
        n = batch.num_rows
        here = [r for r in wanted if offset <= r < offset + n]
        if here:
            col = batch.column(0)
            taken = col.take(from_numpy(np.array(here, dtype=np.int64) - offset)).to_pylist()
            found.update(zip(here, taken, strict=True))
        offset += n
        if len(found) == len(wanted):
            break
    return [found.get(r) for r in rows]


# --------------------------------------------------------------------------- DG309


class _Health:
    """The fitted transforms applied to every batch: outputs beyond |x| = 50, non-finite."""

    def __init__(self, pipe: Any, artifact: str) -> None:
        self.pipe = pipe
        self.artifact = artifact
        self.inputs: list[str] = list(pipe.input_columns)
        self.outputs: list[str] = list(pipe.output_columns)
        k = len(self.outputs)
        self.big = np.zeros(k, np.int64)
        self.nonfinite = np.zeros(k, np.int64)
        self.max_abs = np.zeros(k, np.float64)
        self.first_row = np.full(k, -1, np.int64)
        self.error: str | None = None

    def update(self, batch: pa.RecordBatch, offset: int) -> None:
        if self.error is not None or not batch.num_rows:
            return
        try:
            out = self.pipe.apply_encoded(self.pipe.encode(batch))
        except DataguardError as exc:
            self.error = str(exc)
            return
        finite = np.isfinite(out)
        self.nonfinite += out.shape[0] - np.count_nonzero(finite, axis=0)
        mag = np.abs(np.where(finite, out, 0.0))
        big = mag > HEALTH_LIMIT
        counts = np.count_nonzero(big, axis=0)
        self.big += counts
        self.max_abs = np.maximum(self.max_abs, mag.max(axis=0))
        for j in np.flatnonzero((counts > 0) & (self.first_row < 0)).tolist():
            self.first_row[j] = offset + int(np.argmax(big[:, j]))

    def findings(self, n_rows: int) -> list[Finding]:
        spec = _SPEC["DG309"]
        if self.error is not None:
            return [
                spec.finding(
                    [],
                    f"Transforms {self.artifact}: expected data they can be applied to, found "
                    f"an error: {self.error}",
                    {"artifact": self.artifact, "error": self.error},
                )
            ]
        out = []
        for col in self.inputs:
            bad = self._bad_outputs(col, n_rows)
            if bad:
                out.append(self._finding(col, bad))
        return out

    def _bad_outputs(self, col: str, n_rows: int) -> dict[str, dict[str, Any]]:
        try:
            names = self.pipe.outputs_of(col)
        except KeyError:  # a key or root column: read, not transformed itself
            return {}
        where = {n: j for j, n in enumerate(self.outputs)}
        bad = {}
        for name in names:
            j = where[name]
            share = self.big[j] / n_rows if n_rows else 0.0
            if share > HEALTH_SHARE or self.nonfinite[j]:
                bad[name] = {
                    "beyond": int(self.big[j]),
                    "share": float(share),
                    "nonfinite": int(self.nonfinite[j]),
                    "max_abs": float(self.max_abs[j]),
                    "first_row": int(self.first_row[j]) if self.first_row[j] >= 0 else None,
                }
        return bad

    def _finding(self, col: str, bad: dict[str, dict[str, Any]]) -> Finding:
        name, worst = max(bad.items(), key=lambda kv: (kv[1]["share"], kv[1]["nonfinite"]))
        what = []
        if worst["beyond"]:
            what.append(
                f"{_pct(worst['share'])} (max |x| {_num(worst['max_abs'])}, first at row "
                f"{worst['first_row']:,})"
            )
        if worst["nonfinite"]:
            what.append(f"{worst['nonfinite']:,} non-finite values")
        others = f" (and {len(bad) - 1} more outputs)" if len(bad) > 1 else ""
        return _SPEC["DG309"].finding(
            [col],
            f"Column {col!r}: expected at most {_pct(HEALTH_SHARE)} of transformed output "
            f"{name!r} beyond |x| = {HEALTH_LIMIT:g} and all finite, found "
            f"{' and '.join(what)}{others}; the transforms were fitted on other data: refit "
            "them, or fix the data",
            {"artifact": self.artifact, "limit": HEALTH_LIMIT, "share_limit": HEALTH_SHARE}
            | {"outputs": bad},
        )


def _health(
    contract: Contract, contract_path: Path | None, schema: pa.Schema, codes: frozenset[str]
) -> tuple[_Health | None, list[Finding]]:
    """The DG309 state (None when not asked for), or a finding when it cannot run."""
    ref = contract.transforms
    if "DG309" not in codes or ref is None or not ref.artifact:
        return None, []
    from dataguard.transforms import load_transforms

    path = Path(ref.artifact)
    if not path.is_absolute() and contract_path is not None:
        path = contract_path.parent / path
    pipe = load_transforms(path)
    missing = [n for n in pipe.input_columns if n not in schema.names]
    if missing:
        return None, [
            _SPEC["DG309"].finding(
                [],
                f"Transforms {path}: expected their input columns, found {missing[0]!r} "
                f"missing ({len(missing)} of {len(pipe.input_columns)} missing); they cannot be "
                "applied",
                {"artifact": str(path), "missing": missing},
            )
        ]
    return _Health(pipe, str(path)), []
