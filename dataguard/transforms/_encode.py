"""Arrow columns to the kernels' inputs: float64 values and int64 category codes.

Numeric, boolean and decimal columns become float64 with nulls as NaN; temporal columns become
float64 seconds since the epoch (dates: midnight UTC); categorical columns (text, dictionary,
or numbers declared categorical) become int64 codes, ``0..k-1`` for the fitted levels and
``k`` for null and for values never seen in fitting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.errors import InputError
from dataguard.profile._accumulators import column_kind
from dataguard.profile._arrow import from_numpy, null_mask, temporal_ints, to_float64, values_view

__all__ = ["Encoder"]

_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


class Encoder:
    """Encodes the input columns of a fitted pipeline (``inputs``: its input entries)."""

    def __init__(self, inputs: Sequence[Mapping[str, Any]]) -> None:
        self.inputs = [dict(i) for i in inputs]
        self.numeric = [i["name"] for i in inputs if i["kind"] == "numeric"]
        self.categorical = [i["name"] for i in inputs if i["kind"] == "categorical"]
        self._levels = {i["name"]: list(i.get("levels", [])) for i in inputs}
        self._fitted = {i["name"]: i.get("dtype", "?") for i in inputs}
        self._value_sets: dict[tuple[str, pa.DataType], pa.Array] = {}

    def column(self, table: pa.Table | pa.RecordBatch, name: str) -> pa.Array:
        """The column as one Arrow array; :class:`InputError` naming it when absent."""
        try:
            col = table.column(name)
        except KeyError:
            raise InputError(
                f"transforms: input column {name!r} is missing; the pipeline needs: "
                f"{', '.join(self.numeric + self.categorical)}"
            ) from None
        if isinstance(col, pa.ChunkedArray):
            return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)
        return col

    def numeric_values(self, name: str, array: pa.Array) -> npt.NDArray[np.float64]:
        kind = column_kind(array.type)
        if kind == "numeric":
            return to_float64(array)
        if kind == "temporal" and not pa.types.is_time(array.type):
            return _seconds(array)
        raise InputError(
            f"transforms: column {name!r}: expected a numeric column (fitted on "
            f"{self._fitted[name]}), got {array.type}"
        )

    def codes(self, name: str, array: pa.Array) -> npt.NDArray[np.int64]:
        levels = self._levels[name]
        k = len(levels)
        kind = column_kind(array.type)
        textual = bool(levels) and all(isinstance(v, str) for v in levels)
        if pa.types.is_dictionary(array.type):
            dict_codes = self.codes(name, array.dictionary)
            idx = values_view(array.indices).astype(np.int64)
            nulls = null_mask(array.indices)
            if nulls is not None:
                idx[nulls] = -1
            out = np.where(idx >= 0, dict_codes[np.maximum(idx, 0)] if len(dict_codes) else k, k)
            return out.astype(np.int64)
        if kind not in ("categorical", "numeric") or (textual and kind != "categorical"):
            want = "text" if textual else "text or numeric codes"
            raise InputError(
                f"transforms: column {name!r}: expected {want} (fitted on "
                f"{self._fitted[name]}), got {array.type}"
            )
        if not levels:
            return np.full(len(array), k, dtype=np.int64)
        found = pc.index_in(array, value_set=self._value_set(name, array.type))
        codes: npt.NDArray[np.int64] = values_view(found).astype(np.int64)
        missing = null_mask(found)  # null in, or not among the levels
        if missing is not None:
            codes[missing] = k
        return codes

    def _value_set(self, name: str, dtype: pa.DataType) -> pa.Array:
        """The levels as an Arrow array of ``dtype`` (built from buffers: ``pa.array``
        imports pandas, 0.3-0.7 s, which the streaming paths never otherwise need)."""
        key = (name, dtype)
        if key not in self._value_sets:
            levels = self._levels[name]
            if all(isinstance(v, str) for v in levels):
                vs = _strings(levels).cast(dtype)
            elif pa.types.is_floating(dtype):
                vs = from_numpy(np.array([float(v) for v in levels])).cast(dtype)
            else:  # integer codes: non-integral levels can never match
                whole = [int(v) for v in levels if float(v).is_integer()]
                vs = from_numpy(np.array(whole, dtype=np.int64)).cast(dtype, safe=False)
                if len(whole) != len(levels):  # keep positions: index_in returns them
                    vs = from_numpy(np.array([float(v) for v in levels])).cast(pa.float64())
            self._value_sets[key] = vs
        return self._value_sets[key]

    def encode(self, table: pa.Table | pa.RecordBatch) -> dict[str, npt.NDArray[Any]]:
        """Column name -> float64 values or int64 codes."""
        out: dict[str, npt.NDArray[Any]] = {}
        for name in self.numeric:
            out[name] = self.numeric_values(name, self.column(table, name))
        for name in self.categorical:
            out[name] = self.codes(name, self.column(table, name))
        return out

    def pack(
        self, inputs: Mapping[str, npt.NDArray[Any]]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """The working matrices (fresh copies) from encoded inputs."""
        n = _rows(inputs, self.numeric + self.categorical)
        X = np.empty((n, len(self.numeric)), dtype=np.float64, order="F")  # see run_program
        for j, name in enumerate(self.numeric):
            X[:, j] = _get(inputs, name)
        C = np.empty((n, len(self.categorical)), dtype=np.int64)
        for j, name in enumerate(self.categorical):
            C[:, j] = _get(inputs, name)
        return X, C


def _get(inputs: Mapping[str, npt.NDArray[Any]], name: str) -> npt.NDArray[Any]:
    try:
        return np.asarray(inputs[name])
    except KeyError:
        raise InputError(f"transforms: input column {name!r} is missing") from None


def _rows(inputs: Mapping[str, npt.NDArray[Any]], names: Sequence[str]) -> int:
    sizes = {len(_get(inputs, n)) for n in names}
    if len(sizes) > 1:
        raise InputError(f"transforms: input columns have different lengths {sorted(sizes)}")
    return sizes.pop() if sizes else 0


def _strings(values: Sequence[str]) -> pa.Array:
    """A string array from Python strings, without ``pa.array``."""
    data = [v.encode("utf-8") for v in values]
    offsets = np.zeros(len(data) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in data], out=offsets[1:])
    return pa.Array.from_buffers(
        pa.large_string(),
        len(data),
        [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(b"".join(data))],
    )


def _seconds(array: pa.Array) -> npt.NDArray[np.float64]:
    """A date/timestamp/duration array as float64 seconds (since the epoch), nulls NaN."""
    t = array.type
    ints = temporal_ints(array)
    x = to_float64(ints).copy()
    if pa.types.is_date32(t):
        x *= 86400.0
    elif pa.types.is_date64(t):
        x *= 1e-3
    else:
        x *= _SECONDS.get(getattr(t, "unit", "s"), 1.0)
    return x
