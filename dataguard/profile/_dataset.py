"""Dataset-level accumulators: the shared row sample, duplicate rows, identical columns.

* Row sample: a Bernoulli sample of rate ``rate`` of whole rows (the same rows for every
  column). Merging two samples of different rates thins the denser one to the lower rate,
  so the merge is a sample of the union at that rate (equal in distribution, not bitwise).
* Duplicate rows: 64-bit row hashes, kept only below a threshold (hash-coordinated
  sampling: every copy of a row has the same hash, so duplicates are sampled together).
  The threshold halves whenever more than :data:`DUP_HASH_CAP` hashes are held, which
  bounds memory; the duplicate count is exact while no halving happened (``dup_rate == 1``)
  and an unbiased estimate afterwards. Hash collisions (probability ~n²/2⁶⁵) are ignored.
* Row hashes are folded from per-column words (:func:`column_words`) by the engine, in
  column groups (:func:`fold_words`), and combined here (:meth:`DatasetAccumulator.update`).
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.profile._arrow import (
    from_numpy,
    null_mask,
    temporal_ints,
    to_float64,
    values_view,
)
from dataguard.profile._math import U64Array, splitmix64

__all__ = ["DUP_HASH_CAP", "DatasetAccumulator", "column_words", "fold_words"]

#: Row hashes held for duplicate detection before the sampling threshold halves (2 MiB).
DUP_HASH_CAP = 1 << 18
_NULL_WORD = np.uint64(0x6A09E667F3BCC908)
_MUL = np.uint64(0x100000001B3)


def _hash_strings(values: list[str | None]) -> U64Array:
    out = np.empty(len(values), dtype=np.uint64)
    for i, v in enumerate(values):
        b = hashlib.blake2b(str(v).encode(), digest_size=8).digest()
        out[i] = int.from_bytes(b, "little")
    return out


def column_words(array: pa.Array) -> U64Array:
    """One uint64 word per row that is equal for equal values (nulls share one word)."""
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t):
        array = pc.dictionary_encode(array)
        t = array.type
    if pa.types.is_dictionary(t):
        dict_words = _hash_strings(array.dictionary.to_pylist())
        idx = values_view(array.indices)
        mask = null_mask(array.indices)
        if mask is not None:
            idx = np.where(mask, 0, idx)
        words = dict_words[idx] if len(dict_words) else np.zeros(len(array), np.uint64)
    elif pa.types.is_floating(t):
        words = to_float64(array).view(np.uint64)
    elif pa.types.is_integer(t) or pa.types.is_temporal(t) or pa.types.is_boolean(t):
        if pa.types.is_boolean(t):
            words = to_float64(array).view(np.uint64)
        else:
            if pa.types.is_temporal(t):
                array = temporal_ints(array)
            words = values_view(array).astype(np.int64, copy=False).view(np.uint64)
    else:
        words = _hash_strings([str(v) for v in array.to_pylist()])
    mask = null_mask(array)
    if mask is not None and not pa.types.is_floating(t):
        words = np.where(mask, _NULL_WORD, words)
    return words


def fold_words(h: U64Array | None, words: U64Array) -> U64Array:
    """Fold one column's words into a running row hash (FNV-style multiply-xor), in place.

    uint64 array arithmetic wraps silently; no ``errstate`` needed (it costs 20 us a call).
    """
    if h is None:
        out = words * _MUL
        out ^= _NULL_WORD
        return out
    h ^= words
    h *= _MUL
    return h


class DatasetAccumulator:
    """Row count, row sample, duplicate-row hashes and column fingerprints.

    Examples
    --------
    >>> import pyarrow as pa
    >>> acc = DatasetAccumulator(rate=1.0)
    >>> batch = pa.record_batch({"a": [1, 1, 2]})
    >>> acc.update(batch, np.arange(3), [fold_words(None, column_words(batch["a"]))])
    >>> acc.duplicate_rows()
    (1, True)
    """

    def __init__(self, rate: float) -> None:
        self.n_rows = 0
        self.rate = rate
        self.sample: list[pa.RecordBatch] = []
        self.dup_threshold = np.uint64(np.iinfo(np.uint64).max)
        self.dup_rate = 1.0
        self.hashes: list[U64Array] = []
        self.n_hashes = 0

    def update(
        self, batch: pa.RecordBatch, sample: npt.NDArray[np.int64], partial_hashes: list[U64Array]
    ) -> None:
        """Add one batch: its sampled positions and the row hashes of each column group."""
        self.n_rows += batch.num_rows
        if sample.size:
            self.sample.append(batch.take(from_numpy(sample)))
        if not partial_hashes:
            return
        h = partial_hashes[0]
        with np.errstate(over="ignore"):
            for part in partial_hashes[1:]:
                h = (h * _MUL) ^ part
        self._add_hashes(splitmix64(h))

    def _add_hashes(self, h: U64Array) -> None:
        if self.dup_rate < 1.0:
            h = h[h <= self.dup_threshold]
        self.hashes.append(h)
        self.n_hashes += h.size
        while self.n_hashes > DUP_HASH_CAP:
            self.dup_threshold = np.uint64(int(self.dup_threshold) // 2)
            self.dup_rate /= 2.0
            self.hashes = [a[a <= self.dup_threshold] for a in self.hashes]
            self.n_hashes = sum(a.size for a in self.hashes)

    def merge(self, other: DatasetAccumulator) -> DatasetAccumulator:
        """Combine two states over disjoint rows (commutative up to sample thinning)."""
        out = DatasetAccumulator(min(self.rate, other.rate))
        out.n_rows = self.n_rows + other.n_rows
        rng = np.random.default_rng(out.n_rows)
        for part in (self, other):
            keep = out.rate / part.rate if part.rate else 0.0
            for b in part.sample:
                if keep >= 1.0:
                    out.sample.append(b)
                else:
                    out.sample.append(
                        b.take(from_numpy(np.flatnonzero(rng.random(b.num_rows) < keep)))
                    )
        out.dup_threshold = min(self.dup_threshold, other.dup_threshold)
        out.dup_rate = min(self.dup_rate, other.dup_rate)
        for part in (self, other):
            for a in part.hashes:
                out._add_hashes(a[a <= out.dup_threshold])
        return out

    def duplicate_rows(self) -> tuple[int, bool]:
        """(number of rows that repeat an earlier row, whether the count is exact)."""
        if not self.hashes:
            return 0, True
        allh = np.sort(np.concatenate(self.hashes))
        dups = int(np.count_nonzero(allh[1:] == allh[:-1]))
        exact = self.dup_rate >= 1.0
        return (dups if exact else round(dups / self.dup_rate)), exact

    def to_state(self, blobs: list[Any] | None = None) -> dict[str, Any]:
        """The whole state as a dict: the sample as Arrow IPC, the hashes as raw bytes.

        With ``blobs`` (a list), the two binary parts are appended to it and the dict holds
        their indices (the worker protocol); without, they are base64 text (pure JSON).
        """
        sink = pa.BufferOutputStream()
        if self.sample:
            with pa.ipc.new_stream(sink, self.sample[0].schema) as writer:
                for b in self.sample:
                    writer.write_batch(b)
        hashes = np.concatenate(self.hashes) if self.hashes else np.empty(0, np.uint64)
        parts = [sink.getvalue(), hashes.view(np.uint8).data]
        if blobs is None:
            refs: list[Any] = [base64.b64encode(bytes(p)).decode("ascii") for p in parts]
        else:
            refs = [{"blob": len(blobs)}, {"blob": len(blobs) + 1}]
            blobs.extend(parts)
        return {
            "n_rows": self.n_rows,
            "rate": self.rate,
            "sample": refs[0],
            "dup_threshold": int(self.dup_threshold),
            "dup_rate": self.dup_rate,
            "hashes": refs[1],
        }

    @classmethod
    def from_state(
        cls, state: dict[str, Any], blobs: list[Any] | None = None
    ) -> DatasetAccumulator:
        """Rebuild from :meth:`to_state` output (and its ``blobs``, if it used them)."""

        def part(ref: Any) -> Any:
            return blobs[ref["blob"]] if isinstance(ref, dict) and blobs else base64.b64decode(ref)

        out = cls(state["rate"])
        out.n_rows = state["n_rows"]
        raw = part(state["sample"])
        if len(raw):
            out.sample = list(pa.ipc.open_stream(pa.py_buffer(raw)))
        out.dup_threshold = np.uint64(state["dup_threshold"])
        out.dup_rate = state["dup_rate"]
        hashes = np.frombuffer(part(state["hashes"]), dtype=np.uint64)
        out.hashes = [hashes] if hashes.size else []
        out.n_hashes = int(hashes.size)
        return out

    def sample_table(self, schema: pa.Schema) -> pa.Table:
        """The sampled rows as one table."""
        if not self.sample:
            return schema.empty_table()
        return pa.Table.from_batches(self.sample, schema=self.sample[0].schema)
