"""A contract as a Great Expectations suite (GX 1.x, pandas data).

:func:`to_great_expectations` builds an :class:`~great_expectations.core.ExpectationSuite`
that fails the same pandas frames as ``dataguard validate``, clause by clause, where Great
Expectations can say it; :func:`untranslated` lists the rest. The suite needs no data
context; add it to one (``context.suites.add(suite)``) to run it. ``dataguard export --to
great-expectations`` writes it as JSON.

=========================  ===============================================================
contract clause            Great Expectations
=========================  ===============================================================
``dtype``                  ``expect_column_values_to_be_in_type_list``: every pandas dtype
                           of the DG302 family (``int8`` ... ``UInt64Dtype`` for integer;
                           floating adds the floats; ``datetime64[s|ms|us|ns]`` for a
                           timestamp). Text, decimal, date, time, zoned timestamps: not
                           translated (no type-list name matches pandas' default ``str``)
``nullable: false``        ``expect_column_values_to_not_be_null`` (NaN counts as null)
``max_null_fraction``      the same with ``mostly = 1 - max_null_fraction`` (less 8 ulps,
                           so the share at exactly the limit passes, as in dataguard)
``range``                  ``expect_column_values_to_be_between`` (inclusive; an infinite
                           bound is no bound)
``levels``                 ``expect_column_values_to_be_in_set``, severity ``warning``
                           (DG305 is a warning); text levels as text for a text dtype
``unique``                 ``expect_column_values_to_be_unique`` (nulls ignored, as in
                           dataguard)
``required``               ``expect_column_to_exist``
``mean`` / ``std``         ``expect_column_mean_to_be_between`` /
                           ``expect_column_stdev_to_be_between``: the sample std, ddof=1,
                           as dataguard computes it
``dataset.rows``           ``expect_table_row_count_to_be_between``
``extra_columns``          ``expect_table_columns_to_match_set`` with ``exact_match``:
                           severity ``critical`` for ``forbid``, ``warning`` for ``warn``
=========================  ===============================================================

Each expectation's ``meta`` names its clause and code (``{"dataguard": "price: range
(DG303)"}``); the suite's ``meta["dataguard"]["untranslated"]`` lists what is not translated.

Differences that remain: dataguard computes the mean and std over finite values, Great
Expectations over all non-null ones (one ``inf`` makes them infinite, and the expectation
fails); dataguard checks nothing else on a column of the wrong type family (DG302 alone),
while Great Expectations runs the column's other expectations, and those that cannot run on
it (a range on text) fail with an exception; and an exact column set also fails when an
optional column is absent (listed by :func:`untranslated`).

Examples
--------
>>> from dataguard.contract import Contract
>>> c = Contract.model_validate({"dataguard": 1, "columns": {
...     "x": {"dtype": "double", "nullable": False, "range": {"min": 0, "max": 1}}}})
>>> [e.expectation_type for e in to_great_expectations(c).expectations]
['expect_column_to_exist', 'expect_column_values_to_be_in_type_list', \
'expect_column_values_to_not_be_null', 'expect_column_values_to_be_between']
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from dataguard.adapters._clauses import CLAUSE_CODES, checked_clauses, untranslated
from dataguard.contract._model import ColumnContract, Contract
from dataguard.errors import MissingDependencyError
from dataguard.validation import dtype_family

try:
    with warnings.catch_warnings():
        # GX's file-path data connector imports the deprecated sre_constants / sre_parse
        warnings.filterwarnings(
            "ignore", message="module 'sre_.*' is deprecated", category=DeprecationWarning
        )
        from great_expectations.core import ExpectationSuite
        from great_expectations.expectations.core.expect_column_mean_to_be_between import (
            ExpectColumnMeanToBeBetween,
        )
        from great_expectations.expectations.core.expect_column_stdev_to_be_between import (
            ExpectColumnStdevToBeBetween,
        )
        from great_expectations.expectations.core.expect_column_to_exist import ExpectColumnToExist
        from great_expectations.expectations.core.expect_column_values_to_be_between import (
            ExpectColumnValuesToBeBetween,
        )
        from great_expectations.expectations.core.expect_column_values_to_be_in_set import (
            ExpectColumnValuesToBeInSet,
        )
        from great_expectations.expectations.core.expect_column_values_to_be_in_type_list import (
            ExpectColumnValuesToBeInTypeList,
        )
        from great_expectations.expectations.core.expect_column_values_to_be_unique import (
            ExpectColumnValuesToBeUnique,
        )
        from great_expectations.expectations.core.expect_column_values_to_not_be_null import (
            ExpectColumnValuesToNotBeNull,
        )
        from great_expectations.expectations.core.expect_table_columns_to_match_set import (
            ExpectTableColumnsToMatchSet,
        )
        from great_expectations.expectations.core.expect_table_row_count_to_be_between import (
            ExpectTableRowCountToBeBetween,
        )
        from great_expectations.expectations.expectation import Expectation
        from great_expectations.expectations.metadata_types import FailureSeverity
except ImportError as exc:  # pragma: no cover - great-expectations is an optional extra
    raise MissingDependencyError(
        "exporting a contract to Great Expectations needs great-expectations, which is not "
        "installed; install it with: pip install 'dataguard[ge]'"
    ) from exc

__all__ = ["TYPE_LISTS", "to_great_expectations", "untranslated"]

_SEVERITY = {"forbid": FailureSeverity.CRITICAL, "warn": FailureSeverity.WARNING}
_INTEGERS = [
    *(f"{s}int{b}" for s in ("", "u") for b in (8, 16, 32, 64)),
    *(f"{s}Int{b}Dtype" for s in ("", "U") for b in (8, 16, 32, 64)),
    "int",
]
_UNITS = ("s", "ms", "us", "ns")

#: DG302 family -> the pandas type names Great Expectations accepts for it. A family that is
#: not here is not translated (see :func:`untranslated`).
TYPE_LISTS: dict[str, list[str]] = {
    "integer": _INTEGERS,
    "floating": [
        "float16",
        "float32",
        "float64",
        "Float32Dtype",
        "Float64Dtype",
        "float",
        *_INTEGERS,
    ],
    "boolean": ["bool", "BooleanDtype"],
    "timestamp": [f"datetime64[{u}]" for u in _UNITS],
    "duration": [f"timedelta64[{u}]" for u in _UNITS],
    "binary": ["bytes"],
}


def to_great_expectations(contract: Contract) -> ExpectationSuite:
    """The contract as a Great Expectations ``ExpectationSuite``.

    Parameters
    ----------
    contract : Contract
        The contract; clauses listed by ``untranslated(contract, "great_expectations")``
        are not checked.

    Returns
    -------
    great_expectations.core.ExpectationSuite
        Named after the contract (``dataguard_contract`` when it has no name), with the
        untranslated clauses in ``meta["dataguard"]["untranslated"]``.

    Examples
    --------
    >>> from dataguard.contract import Contract
    >>> c = Contract.model_validate({"dataguard": 1, "name": "houses",
    ...     "dataset": {"rows": {"min": 1}}, "columns": {"city": {"levels": ["a", "b"]}}})
    >>> suite = to_great_expectations(c)
    >>> suite.name, [(e.expectation_type, e.severity.value) for e in suite.expectations]
    ('houses', [('expect_table_row_count_to_be_between', 'critical'), \
('expect_column_to_exist', 'critical'), ('expect_column_values_to_be_in_set', 'warning')])
    """
    expectations: list[Expectation] = []
    rows = contract.dataset.rows
    if rows.min is not None or rows.max is not None:
        expectations.append(
            ExpectTableRowCountToBeBetween(
                min_value=rows.min, max_value=rows.max, meta=_meta("dataset", "rows", "DG307")
            )
        )
    policy = contract.dataset.extra_columns
    if policy != "allow":
        expectations.append(
            ExpectTableColumnsToMatchSet(
                column_set=list(contract.columns),
                exact_match=True,
                severity=FailureSeverity.CRITICAL
                if policy == "forbid"
                else FailureSeverity.WARNING,
                meta=_meta("dataset", f"extra_columns={policy}", "DG301"),
            )
        )
    for name, col in contract.columns.items():
        expectations += _column_expectations(name, col)
    return ExpectationSuite(
        name=contract.name or "dataguard_contract",
        expectations=expectations,
        meta={
            "dataguard": {
                "contract": contract.name,
                "untranslated": untranslated(contract, "great_expectations"),
            }
        },
    )


def _column_expectations(name: str, col: ColumnContract) -> list[Expectation]:
    clauses = checked_clauses(col)
    out: list[Expectation] = []

    def meta(clause: str) -> dict[str, Any]:
        return _meta(name, clause, CLAUSE_CODES[clause])

    if "required" in clauses:
        out.append(ExpectColumnToExist(column=name, meta=meta("required")))
    if "dtype" in clauses and col.dtype is not None:
        types = TYPE_LISTS.get(dtype_family(col.dtype))
        if types is not None:
            out.append(
                ExpectColumnValuesToBeInTypeList(
                    column=name, type_list=list(types), meta=meta("dtype")
                )
            )
    if "nullable" in clauses:
        out.append(ExpectColumnValuesToNotBeNull(column=name, meta=meta("nullable")))
    elif "max_null_fraction" in clauses and col.max_null_fraction is not None:
        out.append(
            ExpectColumnValuesToNotBeNull(
                column=name, mostly=_mostly(col.max_null_fraction), meta=meta("max_null_fraction")
            )
        )
    lo, hi = (_bound(col.range.min), _bound(col.range.max)) if col.range else (None, None)
    if "range" in clauses and (lo is not None or hi is not None):  # [-inf, inf]: always true
        out.append(
            ExpectColumnValuesToBeBetween(
                column=name, min_value=lo, max_value=hi, meta=meta("range")
            )
        )
    if "levels" in clauses and col.levels is not None:
        out.append(
            ExpectColumnValuesToBeInSet(
                column=name,
                value_set=_levels(col),
                severity=FailureSeverity.WARNING,
                meta=meta("levels"),
            )
        )
    if "unique" in clauses:
        out.append(ExpectColumnValuesToBeUnique(column=name, meta=meta("unique")))
    for clause, expectation in (
        ("mean", ExpectColumnMeanToBeBetween),
        ("std", ExpectColumnStdevToBeBetween),
    ):
        bounds = getattr(col, clause)
        lo, hi = (_bound(bounds.min), _bound(bounds.max)) if bounds else (None, None)
        if clause in clauses and (lo is not None or hi is not None):
            out.append(expectation(column=name, min_value=lo, max_value=hi, meta=meta(clause)))
    return out


def _meta(subject: str, clause: str, code: str) -> dict[str, Any]:
    return {"dataguard": f"{subject}: {clause} ({code})"}


def _mostly(limit: float) -> float:
    """GX's ``mostly`` for a null-share limit, so that ``(n - k) / n >= mostly`` holds exactly
    when dataguard's ``k / n <= limit`` does: ``1 - limit`` less 8 ulps, which absorbs the
    rounding of the two quotients (checked for n up to 10^9 and limits with up to 6 decimals;
    a true excess is at least 1/n, far above 8 ulps).

    >>> _mostly(0.0) < 1.0, _mostly(0.059) < 0.941, (1000 - 59) / 1000 >= _mostly(0.059)
    (True, True, True)
    """
    mostly = 1.0 - limit
    for _ in range(8):
        mostly = math.nextafter(mostly, 0.0)
    return max(mostly, 0.0)


def _bound(value: float | None) -> float | None:
    """An infinite bound is no bound (``inf <= inf``: dataguard passes it too)."""
    return value if value is not None and math.isfinite(value) else None


def _levels(col: ColumnContract) -> list[Any]:
    """Levels as dataguard compares them: as text on a text column, by value on numbers."""
    levels = list(col.levels or [])
    family = dtype_family(col.dtype) if col.dtype is not None else None
    if family == "text":
        return [str(v) for v in levels]
    if family in ("integer", "floating", "boolean", "decimal"):
        out = []
        for v in levels:
            try:
                number = float(v)
            except (TypeError, ValueError):
                continue  # a text level cannot match a number
            out.append(int(number) if number.is_integer() else number)
        return out
    return levels
