"""A contract as a pandera schema (the ``pandera.pandas`` API).

:func:`to_pandera` builds a :class:`pandera.pandas.DataFrameSchema` that passes and fails the
same pandas frames as ``dataguard validate``, clause by clause; :func:`to_pandera_script`
writes that schema as a Python script (``dataguard export --to pandera``); :func:`untranslated`
lists what it does not check.

=========================  ===============================================================
contract clause            pandera
=========================  ===============================================================
``dtype``                  ``dtype_family_in`` check: the family of the Arrow type the
                           column converts to, as DG302 compares (integer, floating, text,
                           timestamp, ...; an integer column satisfies a floating contract,
                           an all-null column any). A pandera ``dtype`` would be one exact
                           width and storage: ``int32`` or ``Int64`` would fail ``int64``.
``nullable: false``        ``Column(nullable=False)`` (NaN counts as null in both)
``max_null_fraction``      ``null_fraction_at_most``: (nulls + NaN) / rows <= the limit
``range``                  ``values_between``: inclusive, +-inf outside a finite bound,
                           NaN a null; columns dataguard does not read as numbers pass
``levels``                 ``values_in``: text compared as text, numbers by value
``unique``                 ``unique_values``: no non-null value twice (``unique=True``
                           would also fail two nulls, which dataguard allows)
``required``               ``Column(required=...)``
``mean`` / ``std``         ``mean_between`` / ``std_between``: the mean and the sample std
                           (ddof=1) of the finite values, as dataguard computes them
``dataset.rows``           ``rows_between``, a DataFrame-level check
``extra_columns: forbid``  ``DataFrameSchema(strict=True)``
=========================  ===============================================================

Two differences remain. dataguard checks nothing else on a column of the wrong type family
(DG302 alone); pandera runs the column's other checks too, and those that cannot run on it
fail with the error. And severity does not translate: DG305 (unknown level) is a warning in
dataguard, a failed check in pandera.

``DataFrameSchema.to_yaml`` and pandera's ``to_script`` cannot carry checks built from
functions (pandera drops them with a warning), so the export is a Python script written
here: it defines the check functions it uses and builds ``schema``, and needs numpy, pandas
and pandera, not dataguard.

Examples
--------
>>> import pandas as pd
>>> from dataguard.contract import Contract
>>> c = Contract.model_validate({"dataguard": 1, "columns": {
...     "x": {"dtype": "double", "nullable": False, "range": {"min": 0, "max": 1}}}})
>>> schema = to_pandera(c)
>>> schema.validate(pd.DataFrame({"x": [0.5, 1.0]})).shape
(2, 1)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from dataguard.adapters._clauses import (
    KNOWN_FAMILIES,
    accepted_families,
    checked_clauses,
    untranslated,
)
from dataguard.contract._model import ColumnContract, Contract, Range
from dataguard.errors import MissingDependencyError

try:
    import pandas as pd
    import pandera.pandas as pa
except ImportError as exc:  # pragma: no cover - pandera is an optional extra
    raise MissingDependencyError(
        "exporting a contract to pandera needs pandera, which is not installed; "
        "install it with: pip install 'dataguard[pandera]'"
    ) from exc

__all__ = ["to_pandera", "to_pandera_script", "untranslated"]


# -- the check functions (copied verbatim into the exported script) ---------------------------
def dtype_family(series: pd.Series) -> str:
    """The DG302 family of a pandas column: the family of the Arrow type it converts to."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):  # Arrow: a dictionary, with its values' family
        return dtype_family(pd.Series(dtype.categories))
    if isinstance(dtype, pd.ArrowDtype):
        from pyarrow import types

        t = dtype.pyarrow_dtype
        if types.is_timestamp(t):
            return "timestamp" if t.tz is None else "timestamp with time zone"
        tests = [
            (types.is_boolean, "boolean"),
            (types.is_integer, "integer"),
            (types.is_floating, "floating"),
            (types.is_decimal, "decimal"),
            (types.is_string, "text"),
            (types.is_large_string, "text"),
            (types.is_binary, "binary"),
            (types.is_large_binary, "binary"),
            (types.is_date, "date"),
            (types.is_time, "time"),
            (types.is_duration, "duration"),
            (types.is_null, "null"),
        ]
        return next((family for test, family in tests if test(t)), str(t))
    kind = dtype.kind
    if kind in "biuf":
        return {"b": "boolean", "i": "integer", "u": "integer", "f": "floating"}[kind]
    if kind == "M":
        return "timestamp" if getattr(dtype, "tz", None) is None else "timestamp with time zone"
    if kind == "m":
        return "duration"
    is_object = pd.api.types.is_object_dtype(dtype)
    if kind == "S":
        return "binary"
    if kind == "U" or (not is_object and pd.api.types.is_string_dtype(dtype)):
        return "text"
    if not is_object:
        return str(dtype)
    inferred = pd.api.types.infer_dtype(series, skipna=True)
    if inferred == "datetime":
        first = series.dropna().iloc[0]
        return "timestamp" if getattr(first, "tzinfo", None) is None else "timestamp with time zone"
    by_values = {
        "string": "text",
        "bytes": "binary",
        "integer": "integer",
        "floating": "floating",
        "mixed-integer-float": "floating",
        "boolean": "boolean",
        "decimal": "decimal",
        "datetime64": "timestamp",
        "date": "date",
        "time": "time",
        "timedelta": "duration",
        "timedelta64": "duration",
        "empty": "null",
    }
    return by_values.get(inferred, "text")  # mixed objects: dataguard reads them as text


def dtype_family_in(series: pd.Series, families: list[str]) -> bool:
    """The column's DG302 family is one of ``families``."""
    return dtype_family(series) in families


def numeric_values(series: pd.Series) -> pd.Series | None:
    """The column as float64 (nulls as NaN), or None if dataguard does not read it as numbers."""
    if dtype_family(series) not in ("integer", "floating", "boolean", "decimal", "null"):
        return None
    return series.astype("float64")


def null_fraction_at_most(series: pd.Series, limit: float) -> bool:
    """At most ``limit`` of the rows are null or NaN (no rows: passes)."""
    return len(series) == 0 or int(series.isna().sum()) / len(series) <= limit


def values_between(series: pd.Series, lo: float | None, hi: float | None) -> pd.Series | bool:
    """Each value lies in ``[lo, hi]``: inclusive, +-inf outside a finite bound, nulls and
    NaN pass (they are nulls); a column that is not numeric passes, as in dataguard."""
    x = numeric_values(series)
    if x is None:
        return True
    ok = x.isna()
    if lo is not None:
        ok |= x >= lo if hi is None else (x >= lo) & (x <= hi)
    else:
        ok |= x <= hi
    return ok


def values_in(series: pd.Series, levels: list[str | int | float]) -> pd.Series | bool:
    """Each non-null value is one of ``levels``: text compared as text, numbers by value;
    other columns pass, as in dataguard."""
    if dtype_family(series) == "text":
        return series.isna() | series.isin([str(v) for v in levels])
    x = numeric_values(series)
    if x is None:
        return True
    numbers = []
    for v in levels:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            continue  # a text level cannot match a number
    return x.isna() | x.isin(numbers)


def unique_values(series: pd.Series) -> pd.Series:
    """No non-null value occurs twice (nulls and NaN are not values: they never repeat)."""
    return series.isna() | ~series.duplicated(keep=False)


def mean_between(series: pd.Series, lo: float | None, hi: float | None) -> bool:
    """The mean of the finite values lies in ``[lo, hi]`` (none, or not numeric: passes)."""
    x = numeric_values(series)
    if x is None:
        return True
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return True
    mean = float(x.mean())
    return (lo is None or mean >= lo) and (hi is None or mean <= hi)


def std_between(series: pd.Series, lo: float | None, hi: float | None) -> bool:
    """The sample std (ddof=1) of the finite values lies in ``[lo, hi]`` (fewer than two
    values, or not numeric: passes)."""
    x = numeric_values(series)
    if x is None:
        return True
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return True
    std = float(x.std(ddof=1))
    return (lo is None or std >= lo) and (hi is None or std <= hi)


def rows_between(frame: pd.DataFrame, lo: int | None, hi: int | None) -> bool:
    """The frame's row count lies in ``[lo, hi]``."""
    n = len(frame)
    return (lo is None or n >= lo) and (hi is None or n <= hi)


#: The check functions by name, in the order the script defines them.
_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "dtype_family": dtype_family,
    "dtype_family_in": dtype_family_in,
    "numeric_values": numeric_values,
    "null_fraction_at_most": null_fraction_at_most,
    "values_between": values_between,
    "values_in": values_in,
    "unique_values": unique_values,
    "mean_between": mean_between,
    "std_between": std_between,
    "rows_between": rows_between,
}
#: The functions each one calls.
_CALLS: dict[str, tuple[str, ...]] = {
    "dtype_family_in": ("dtype_family",),
    "numeric_values": ("dtype_family",),
    "values_between": ("numeric_values",),
    "values_in": ("dtype_family", "numeric_values"),
    "mean_between": ("numeric_values",),
    "std_between": ("numeric_values",),
}


# -- the plan: one description, built as objects or written as source --------------------------
@dataclass(frozen=True)
class _CheckSpec:
    """``pa.Check(partial(function, **params), name=function, error=error)``."""

    function: str
    params: dict[str, Any]
    error: str
    ignore_na: bool = True


@dataclass
class _ColumnSpec:
    nullable: bool = True
    required: bool = True
    checks: list[_CheckSpec] = field(default_factory=list)


@dataclass
class _SchemaSpec:
    name: str | None
    columns: dict[str, _ColumnSpec]
    checks: list[_CheckSpec]
    strict: bool


def _plan(contract: Contract) -> _SchemaSpec:
    columns = {name: _column_plan(name, col) for name, col in contract.columns.items()}
    checks = []
    rows = contract.dataset.rows
    if rows.min is not None or rows.max is not None:
        checks.append(
            _CheckSpec(
                "rows_between",
                {"lo": rows.min, "hi": rows.max},
                f"dataset: row count must lie in {_interval(rows.min, rows.max)} (DG307)",
            )
        )
    return _SchemaSpec(
        name=contract.name,
        columns=columns,
        checks=checks,
        strict=contract.dataset.extra_columns == "forbid",
    )


def _column_plan(name: str, col: ColumnContract) -> _ColumnSpec:
    clauses = checked_clauses(col)
    spec = _ColumnSpec(nullable="nullable" not in clauses, required="required" in clauses)
    add = spec.checks.append
    subject = f"column {name!r}"
    if "dtype" in clauses and col.dtype is not None:
        families = accepted_families(col.dtype)
        if families[0] in KNOWN_FAMILIES:
            add(
                _CheckSpec(
                    "dtype_family_in",
                    {"families": families},
                    f"{subject}: expected dtype {col.dtype} ({' or '.join(families[:-1])}; an "
                    "all-null column passes) (DG302)",
                )
            )
    if "max_null_fraction" in clauses and col.max_null_fraction is not None:
        add(
            _CheckSpec(
                "null_fraction_at_most",
                {"limit": col.max_null_fraction},
                f"{subject}: at most {col.max_null_fraction:g} of the rows may be null or NaN "
                "(DG304)",
                ignore_na=False,
            )
        )
    if "range" in clauses and col.range is not None:
        add(
            _CheckSpec(
                "values_between",
                {"lo": col.range.min, "hi": col.range.max},
                f"{subject}: values must lie in {_interval(col.range.min, col.range.max)} (DG303)",
            )
        )
    if "levels" in clauses and col.levels is not None:
        add(
            _CheckSpec(
                "values_in",
                {"levels": list(col.levels)},
                f"{subject}: values must be one of the {len(col.levels)} levels (DG305)",
            )
        )
    if "unique" in clauses:
        add(
            _CheckSpec(
                "unique_values", {}, f"{subject}: values must be unique (DG306)", ignore_na=False
            )
        )
    for clause in ("mean", "std"):
        bounds: Range | None = getattr(col, clause)
        if clause in clauses and bounds is not None:
            add(
                _CheckSpec(
                    f"{clause}_between",
                    {"lo": bounds.min, "hi": bounds.max},
                    f"{subject}: {clause} must lie in {_interval(bounds.min, bounds.max)} (DG308)",
                )
            )
    return spec


def _interval(lo: float | None, hi: float | None) -> str:
    left = "-inf" if lo is None else f"{lo:g}"
    right = "inf" if hi is None else f"{hi:g}"
    return f"[{left}, {right}]"


# -- building the objects ---------------------------------------------------------------------
def to_pandera(contract: Contract) -> pa.DataFrameSchema:
    """The contract as a ``pandera.pandas.DataFrameSchema``.

    Parameters
    ----------
    contract : Contract
        The contract; clauses listed by ``untranslated(contract, "pandera")`` are not
        checked.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Validate with ``schema.validate(df, lazy=True)`` to see every failure at once.

    Examples
    --------
    >>> import pandas as pd
    >>> from dataguard.contract import Contract
    >>> c = Contract.model_validate({"dataguard": 1, "dataset": {"rows": {"min": 3}},
    ...     "columns": {"city": {"levels": ["a", "b"]}}})
    >>> import pandera.errors
    >>> try:
    ...     to_pandera(c).validate(pd.DataFrame({"city": ["a", "c"]}), lazy=True)
    ... except pandera.errors.SchemaErrors as exc:
    ...     print(sorted(exc.failure_cases["check"]))  # doctest: +NORMALIZE_WHITESPACE
    ["column 'city': values must be one of the 2 levels (DG305)",
     'dataset: row count must lie in [3, inf] (DG307)']
    """
    spec = _plan(contract)
    columns = {
        name: pa.Column(
            None,
            nullable=c.nullable,
            required=c.required,
            checks=[_check(s) for s in c.checks],
            name=name,
        )
        for name, c in spec.columns.items()
    }
    return pa.DataFrameSchema(
        columns,
        checks=[_check(s) for s in spec.checks],
        strict=spec.strict,
        name=spec.name,
    )


def _check(spec: _CheckSpec) -> pa.Check:
    return pa.Check(
        partial(_FUNCTIONS[spec.function], **spec.params),
        name=spec.function,
        error=spec.error,
        ignore_na=spec.ignore_na,
    )


# -- writing the script ---------------------------------------------------------------------
def to_pandera_script(contract: Contract, *, source: str | None = None) -> str:
    """The contract as a Python script that builds the same pandera schema, named ``schema``.

    Parameters
    ----------
    contract : Contract
        The contract.
    source : str, optional
        Where the contract came from (a path), named in the script's docstring.

    Returns
    -------
    str
        Python source that needs numpy, pandas and pandera (not dataguard): the check
        functions it uses, then ``schema = pa.DataFrameSchema(...)``. Its docstring lists
        the clauses that are not translated.

    Examples
    --------
    >>> from dataguard.contract import Contract
    >>> c = Contract.model_validate({"dataguard": 1, "columns": {"x": {"range": {"min": 0}}}})
    >>> scope: dict = {}
    >>> exec(to_pandera_script(c), scope)
    >>> scope["schema"].columns["x"].checks
    [<Check values_between: column 'x': values must lie in [0, inf] (DG303)>]
    """
    spec = _plan(contract)
    used = {s.function for c in spec.columns.values() for s in c.checks}
    used |= {s.function for s in spec.checks}
    while True:
        more = {callee for u in used for callee in _CALLS.get(u, ())} - used
        if not more:
            break
        used |= more
    specs = [*(s for c in spec.columns.values() for s in c.checks), *spec.checks]
    lines = _script_header(contract, source)
    if any(s.params for s in specs):
        lines += ["from functools import partial", ""]
    if used & {"mean_between", "std_between"}:
        lines += ["import numpy as np"]
    if used:
        lines += ["import pandas as pd"]
    lines += ["import pandera.pandas as pa", ""]
    for name, fn in _FUNCTIONS.items():
        if name in used:
            lines += ["", inspect.getsource(fn).rstrip("\n"), ""]
    lines += [""] if used else []  # two blank lines after functions, one after imports
    lines += ["schema = pa.DataFrameSchema(", "    {"]
    for name, c in spec.columns.items():
        lines += _column_source(name, c)
    lines += ["    },"]
    if spec.checks:
        lines += ["    checks=["]
        for s in spec.checks:
            lines += _check_source(s, 8)
        lines += ["    ],"]
    lines += [f"    strict={spec.strict!r},", f"    name={spec.name!r},", ")", ""]
    return "\n".join(lines)


def _script_header(contract: Contract, source: str | None) -> list[str]:
    what = f"contract {contract.name!r}" if contract.name else "a dataguard contract"
    where = f" ({source})" if source else ""
    doc = [
        f"pandera schema for {what}{where}, written by `dataguard export`.",
        "",
        "Validate with: schema.validate(df, lazy=True)",
    ]
    gaps = untranslated(contract, "pandera")
    if gaps:
        doc += ["", "Not translated (checked only by `dataguard validate`):", ""]
        doc += [f"- {g}" for g in gaps]
    text = "\n".join(doc).replace("\\", "\\\\").replace('"""', '\\"\\"\\"')
    return [f'"""{text}', '"""', ""]


def _column_source(name: str, c: _ColumnSpec) -> list[str]:
    head = f"        {name!r}: pa.Column("
    args = ["None", f"nullable={c.nullable!r}", f"required={c.required!r}"]
    if not c.checks:
        return [f"{head}{', '.join(args)}),"]
    out = [head, *(f"            {a}," for a in args), "            checks=["]
    for s in c.checks:
        out += _check_source(s, 16)
    return [*out, "            ],", "        ),"]


def _check_source(spec: _CheckSpec, indent: int) -> list[str]:
    """``pa.Check(...)``, one argument a line."""
    params = ", ".join(f"{k}={_literal(v)}" for k, v in spec.params.items())
    args = [
        f"partial({spec.function}, {params})" if params else spec.function,
        f"name={spec.function!r}",
        f"error={spec.error!r}",
        *([] if spec.ignore_na else ["ignore_na=False"]),
    ]
    pad = " " * indent
    return [f"{pad}pa.Check(", *(f"{pad}    {a}," for a in args), f"{pad}),"]


def _literal(value: Any) -> str:
    """Python source for a contract value (``float('inf')`` for infinities)."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float({str(value)!r})"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)
