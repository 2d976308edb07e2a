"""In-memory frames (pandas, polars, Arrow) as Arrow tables.

polars is never imported here: a polars frame is recognised by its module and converted with
its own ``to_arrow()``, so the core installs and runs without it.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from dataguard.errors import InputError


def is_frame(obj: Any) -> bool:
    """True for the in-memory tables dataguard reads."""
    module = type(obj).__module__
    return (
        isinstance(obj, (pa.Table, pa.RecordBatch, pa.RecordBatchReader))
        or module.startswith("pandas")
        or module.startswith("polars")
    )


def frame_to_table(obj: Any) -> pa.Table:
    """Convert a pandas/polars frame or Arrow object to a :class:`pyarrow.Table`."""
    if isinstance(obj, pa.Table):
        return obj
    if isinstance(obj, pa.RecordBatch):
        return pa.Table.from_batches([obj])
    if isinstance(obj, pa.RecordBatchReader):
        return obj.read_all()
    module = type(obj).__module__
    if module.startswith("polars"):
        if hasattr(obj, "collect"):  # a LazyFrame
            obj = obj.collect()
        return obj.to_arrow()
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(obj, pd.Series):
            obj = obj.to_frame()
        if not isinstance(obj, pd.DataFrame):
            raise InputError(f"<{type(obj).__name__}>: expected a pandas DataFrame")
        if not all(isinstance(c, str) for c in obj.columns):
            obj = obj.rename(columns=str)
        try:
            return pa.Table.from_pandas(obj, preserve_index=False)
        except (pa.ArrowException, TypeError, ValueError) as exc:
            # object columns holding mixed Python types: read them as text, profile the text
            mixed = [c for c in obj.columns if obj[c].dtype == object]
            if not mixed:
                raise InputError(f"<pandas.DataFrame>: cannot convert to Arrow ({exc})") from exc
            fixed = obj.astype({c: "string" for c in mixed})
            return pa.Table.from_pandas(fixed, preserve_index=False)
    raise InputError(
        f"<{type(obj).__name__}>: expected a path, a pandas or polars DataFrame, or an Arrow table"
    )
