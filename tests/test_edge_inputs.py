"""Bad data is a finding, never a crash: odd types and degenerate columns profile cleanly."""

from __future__ import annotations

import datetime as dt
import decimal
import json
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import dataguard

N = 30
CASES: dict[str, tuple[Any, set[str]]] = {
    "no columns": (pd.DataFrame(), set()),
    "zero rows": (pd.DataFrame({"a": pd.Series([], dtype=float)}), set()),
    "all +inf": (pa.table({"a": [np.inf] * N}), {"DG107"}),
    "all NaN": (pa.table({"a": [np.nan] * N}), {"DG106"}),
    "one row": (pa.table({"a": [1.0], "s": ["x"]}), {"DG124"}),
    "all-null text": (pa.table({"s": pa.array([None] * N, pa.string())}), {"DG106"}),
    "int64 extremes": (pa.table({"a": pa.array([2**63 - 1, -(2**63), 0] * 10)}), {"DG101"}),
    "uint64 max": (pa.table({"a": pa.array([2**64 - 1, 0, 5] * 10, pa.uint64())}), {"DG101"}),
    "float16": (pa.table({"a": pa.array(np.linspace(-1, 1, N).astype(np.float16))}), set()),
    "large_string": (pa.table({"a": pa.array(list("xyz") * 10, pa.large_string())}), set()),
    "string_view": (pa.table({"a": pa.array(list("xyz") * 10, pa.string_view())}), set()),
    "struct": (pa.table({"a": pa.array([{"x": i} for i in range(N)])}), {"DG123"}),
    "binary": (pa.table({"a": pa.array([bytes([i]) for i in range(N)])}), {"DG123"}),
    "duration": (pa.table({"a": pa.array([dt.timedelta(seconds=i) for i in range(N)])}), {"DG123"}),
    "time of day": (pa.table({"a": pa.array([dt.time(1, i) for i in range(N)])}), {"DG123"}),
    "decimal256": (
        pa.table(
            {"a": pa.array([decimal.Decimal(i) / 10 for i in range(N)], pa.decimal256(40, 2))}
        ),
        set(),
    ),
    "map": (
        pa.table({"a": pa.array([[("k", i)] for i in range(N)], pa.map_(pa.string(), pa.int64()))}),
        {"DG123"},
    ),
    "tz timestamps": (
        pa.table(
            {
                "a": pa.array(
                    [dt.datetime(2024, 1, 1, i % 24) for i in range(N)],
                    pa.timestamp("ms", tz="UTC"),
                )
            }
        ),
        {"DG123"},
    ),
    "null type": (pa.table({"a": pa.nulls(N)}), {"DG106"}),
    "mixed objects": (
        pd.DataFrame({"a": [1, "x", 2.5, None] * 10, "i": range(40)}),
        {"DG125", "DG106"},
    ),
    "integer column names": (
        pd.DataFrame({0: np.linspace(0, 1, 40), 1: np.linspace(1, 0, 40)}),
        set(),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_profiles_without_error_and_reports_expected_codes(name: str) -> None:
    data, expected = CASES[name]
    report = dataguard.profile(data)
    json.dumps(report.to_dict(), allow_nan=False)  # the document is valid JSON
    codes = {f.code for f in report.findings} - {"DG120"}  # repeated test rows are duplicates
    assert expected <= codes, codes
