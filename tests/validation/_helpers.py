"""Shared data for the validate tests: a small training table and corrupted copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import dataguard
from dataguard.contract import Contract

N = 3000
CITIES = np.array(["Lyon", "Paris", "Nice", "Lille"])


def train_table(n: int = N, seed: int = 0) -> pa.Table:
    """id (unique key), price (positive), x (normal), cnt (counts), city (4 levels), when."""
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": pa.array(np.arange(n, dtype=np.int64)),
            "price": pa.array(rng.lognormal(12.0, 0.3, n)),
            "x": pa.array(rng.normal(0.0, 1.0, n)),
            "cnt": pa.array(rng.poisson(3.0, n).astype(np.int64)),
            "city": pa.array(CITIES[rng.choice(4, n, p=[0.4, 0.3, 0.2, 0.1])].tolist()),
            "when": pa.array(
                (np.datetime64("2024-01-01T00:00") + np.arange(n).astype("timedelta64[m]")).astype(
                    "datetime64[s]"
                )
            ),
        }
    )


def write(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def inferred(path: Path) -> Contract:
    """The contract ``dataguard infer`` writes for the training table (``id`` the key)."""
    return dataguard.infer(path, group_by="id")


def replace(table: pa.Table, name: str, values: pa.Array | np.ndarray) -> pa.Table:
    column = values if isinstance(values, pa.Array) else pa.array(values)
    return table.set_column(table.schema.get_field_index(name), name, column)
