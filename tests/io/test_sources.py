"""Every input kind streams the same table: exact profile fields agree across them."""

from __future__ import annotations

import datetime as dt
import decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.feather as feather
import pyarrow.parquet as pq
import pytest

import dataguard
from dataguard.errors import InputError
from dataguard.io import open_source

EXACT = (
    "n_rows",
    "n_null",
    "n_nan",
    "n_posinf",
    "n_neginf",
    "n_valid",
    "min",
    "max",
    "n_distinct",
    "integral",
)


def _table(n: int = 3000) -> pa.Table:
    rng = np.random.default_rng(7)
    x = rng.normal(10.0, 3.0, n)
    # nulls only: a pandas float column cannot tell null from NaN (both become NaN, and
    # Arrow reads a pandas NaN as null), so NaN is tested where the input keeps it apart
    return pa.table(
        {
            "x": pa.array(x, mask=np.arange(n) % 50 == 0),
            "k": pa.array(rng.integers(0, 7, n)),
            "c": pa.array(rng.choice(["a", "b", "c"], n)),
            "f": pa.array(rng.random(n) < 0.3),
        }
    )


def _exact(report: dataguard.ProfileReport) -> dict[str, tuple]:
    return {n: tuple(getattr(c, f) for f in EXACT) for n, c in report.columns.items()}


def _means(report: dataguard.ProfileReport) -> dict[str, float | None]:
    return {n: c.mean for n, c in report.columns.items()}


def test_same_profile_from_every_input_kind(tmp_path: Path) -> None:
    table = _table()
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=700)
    feather.write_feather(table, tmp_path / "t.feather")
    reference = dataguard.profile(table)
    frame = table.to_pandas()
    inputs = [
        tmp_path / "t.parquet",
        tmp_path / "t.feather",
        frame,
        pa.Table.from_pandas(frame, preserve_index=False),
    ]
    polars = pytest.importorskip("polars")
    inputs.append(polars.from_arrow(table))
    for obj in inputs:
        report = dataguard.profile(obj)
        assert _exact(report) == _exact(reference), type(obj)
        for name, mean in _means(report).items():
            expected = _means(reference)[name]
            assert mean == (None if expected is None else pytest.approx(expected, rel=1e-12))


def test_pandas_nullable_and_categorical_dtypes() -> None:
    df = pd.DataFrame(
        {
            "i": pd.array([1, None, 3, 4] * 10, dtype="Int64"),
            "cat": pd.Categorical(["x", "y", "x", None] * 10),
            "s": pd.array(["u", "v", None, "u"] * 10, dtype="string"),
        }
    )
    cols = dataguard.profile(df).columns
    assert (cols["i"].n_null, cols["i"].kind, cols["i"].max) == (10, "numeric", 4.0)
    assert (cols["cat"].kind, cols["cat"].n_null, cols["cat"].n_distinct) == ("categorical", 10, 2)
    assert (cols["s"].kind, cols["s"].n_null) == ("categorical", 10)


def test_directory_and_hive_partitions(tmp_path: Path) -> None:
    table = _table(1200)
    pq.write_to_dataset(table, tmp_path / "ds", partition_cols=["c"])
    report = dataguard.profile(tmp_path / "ds")
    assert report.profile.n_rows == 1200
    assert report.columns["c"].n_distinct == 3  # the partition column comes back
    assert report.columns["x"].n_null == _table(1200).column("x").null_count


def test_csv_and_column_selection(tmp_path: Path) -> None:
    table = _table(500).select(["x", "k", "c"])
    pacsv.write_csv(table, tmp_path / "t.csv")
    report = dataguard.profile(tmp_path / "t.csv", columns=["k"])
    assert list(report.columns) == ["k"]
    assert report.columns["k"].n_valid == 500


def test_unknown_column_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no column 'nope'"):
        open_source(_table(10), columns=["nope"])


def test_other_types_profiled_or_reported(tmp_path: Path) -> None:
    n = 40
    table = pa.table(
        {
            "when": pa.array([dt.datetime(2024, 1, 1) + dt.timedelta(hours=i) for i in range(n)]),
            "day": pa.array([dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]),
            "price": pa.array([decimal.Decimal(f"{i}.25") for i in range(n)], pa.decimal128(10, 2)),
            "tags": pa.array([[i, i + 1] for i in range(n)]),
            "dict": pa.array(["a", "b"] * (n // 2)).dictionary_encode(),
            "flag": pa.array([True, False] * (n // 2)),
        }
    )
    pq.write_table(table, tmp_path / "t.parquet")
    report = dataguard.profile(tmp_path / "t.parquet")
    cols = report.columns
    assert cols["when"].kind == "temporal"
    assert cols["when"].min == "2024-01-01T00:00:00.000000"
    assert cols["day"].max == "2024-02-09"
    assert cols["price"].kind == "numeric"
    assert cols["price"].max == pytest.approx(39.25)
    assert cols["dict"].kind == "categorical"
    assert cols["dict"].n_distinct == 2
    assert cols["flag"].kind == "numeric"
    assert cols["flag"].mean == 0.5
    dg123 = {f.columns[0]: f for f in report.findings if f.code == "DG123"}
    assert set(dg123) == {"when", "day", "tags"}
    assert "list" in dg123["tags"].message


def test_zero_rows_and_all_null_give_findings_not_errors(tmp_path: Path) -> None:
    pq.write_table(_table(10).slice(0, 0), tmp_path / "empty.parquet")
    empty = dataguard.profile(tmp_path / "empty.parquet")
    assert empty.profile.n_rows == 0
    nulls = dataguard.profile(pa.table({"a": pa.nulls(50, pa.float64()), "b": range(50)}))
    dg106 = [f for f in nulls.findings if f.code == "DG106"]
    assert dg106
    assert dg106[0].evidence["null_share"] == 1.0
