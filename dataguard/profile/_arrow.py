"""Arrow <-> numpy without pyarrow's Python-object conversion.

``pa.array``, ``pa.scalar`` and ``Array.to_numpy`` import pandas the first time they run
(0.26-0.4 s of start-up on these machines), and ``to_numpy`` copies any array that carries a
validity bitmap. The profile's hot path therefore reads and builds Arrow buffers directly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = ["from_numpy", "null_mask", "temporal_ints", "to_float64", "values_view"]

_NUMPY: dict[pa.DataType, type[np.generic]] = {
    pa.float64(): np.float64,
    pa.float32(): np.float32,
    pa.float16(): np.float16,
    pa.int64(): np.int64,
    pa.int32(): np.int32,
    pa.int16(): np.int16,
    pa.int8(): np.int8,
    pa.uint64(): np.uint64,
    pa.uint32(): np.uint32,
    pa.uint16(): np.uint16,
    pa.uint8(): np.uint8,
}
_ARROW = {np.dtype(v): k for k, v in _NUMPY.items()}


def values_view(array: pa.Array) -> npt.NDArray[Any]:
    """The values buffer of a fixed-width primitive array, without copying.

    Slots under nulls hold whatever the writer left there; see :func:`null_mask`.

    >>> import pyarrow as pa
    >>> values_view(pa.array([1.5, 2.5]).slice(1)).tolist()
    [2.5]
    """
    if array.type not in _NUMPY:
        raise TypeError(f"values_view: no numpy view of Arrow type {array.type}")
    dtype = np.dtype(_NUMPY[array.type])
    buf = array.buffers()[1]
    if buf is None or len(array) == 0:
        return np.zeros(len(array), dtype=dtype)
    return np.frombuffer(buf, dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize)


def null_mask(array: pa.Array) -> npt.NDArray[np.bool_] | None:
    """Boolean mask of the nulls, or None when there are none."""
    if not array.null_count:
        return None
    if pa.types.is_null(array.type):
        return np.ones(len(array), dtype=bool)
    validity = array.buffers()[0]
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + len(array)] == 0  # type: ignore[no-any-return]


def _bools(array: pa.Array) -> npt.NDArray[np.bool_]:
    bits = np.unpackbits(np.frombuffer(array.buffers()[1], dtype=np.uint8), bitorder="little")
    return bits[array.offset : array.offset + len(array)].astype(bool)


def to_float64(array: pa.Array) -> npt.NDArray[np.float64]:
    """Values as float64 with nulls as NaN (a view when the array is null-free float64).

    Booleans become 0/1, decimals and other numbers are converted by value.

    >>> import pyarrow as pa
    >>> to_float64(pa.array([1, None, 3])).tolist()
    [1.0, nan, 3.0]
    """
    t = array.type
    if pa.types.is_dictionary(t):
        return to_float64(array.dictionary_decode())
    if pa.types.is_null(t):
        return np.full(len(array), np.nan)
    if pa.types.is_boolean(t):
        x = _bools(array).astype(np.float64)
    elif t in _NUMPY:
        x = values_view(array)
        if x.dtype != np.float64:
            x = x.astype(np.float64)
    else:  # decimals and the rest: Arrow's own cast
        x = values_view(array.cast(pa.float64(), safe=False))
    mask = null_mask(array)
    if mask is not None:
        x = np.where(mask, np.nan, x)
    return x


def temporal_ints(array: pa.Array) -> pa.Array:
    """A date/time/timestamp/duration array as int64 counts of its unit (nulls kept)."""
    width = array.type.bit_width
    storage = pa.int64() if width == 64 else pa.int32()
    ints = array.view(storage) if array.offset == 0 else array.cast(storage)
    return ints.cast(pa.int64()) if width != 64 else ints


def from_numpy(x: npt.NDArray[Any]) -> pa.Array:
    """A null-free Arrow array over a contiguous numpy array's memory.

    >>> from_numpy(np.arange(3)).to_pylist()
    [0, 1, 2]
    """
    x = np.ascontiguousarray(x)
    return pa.Array.from_buffers(_ARROW[x.dtype], len(x), [None, pa.py_buffer(x)])
