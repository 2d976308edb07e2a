"""The sequence pass: row order within groups, and wrap jumps of cyclic candidates.

Given ``order_by`` (and optionally ``group_by``), :class:`SequencePass` reads the rows in
file order and looks at each row together with the previous row *of its group*. It counts

* transitions: consecutive rows of one group whose order values are both present;
* backward steps: transitions whose order value decreases (ties are not backward), and the
  groups that have at least one;
* per candidate column of period ``P``: wrap jumps, transitions whose linear difference
  exceeds ``P / 2`` while their circular distance ``P - |d|`` is below
  ``wrap_distance * P`` (359 -> 1 in degrees: linear 358, circular 2); other jumps, linear
  differences above ``P / 2`` that are not wraps (a reset to 0 from the middle of the range);
  and the mean size of the ordinary non-zero steps and of the wraps' circular distances,
  so that a rule can tell a step across the seam from a counter reset.

Each batch is processed with numpy: the rows are grouped by a stable sort of the group keys
(skipped when the batch is already grouped, the usual layout, and without ``group_by``), so
within a group they keep their file order; the first row of each group in the batch is
paired with the state carried over from earlier batches (its group's last order value and
last candidate values). Keys may be numbers, booleans, dates or timestamps (found in a sorted
array by binary search) or text and dictionary arrays (parquet strings: hashed once per
dictionary, which a row group's batches share). Order values may be numbers, dates, times,
timestamps or durations.

Precision and bounds: the result is exact for the rows it tracks, and it depends on the row
order by design (that is what it measures). At most ``max_groups`` groups are tracked
(100,000 by default; about 40 bytes per group plus 8 per candidate); rows of groups first
seen after that (within a batch, in key or dictionary order) are counted in
``rows_untracked`` and not judged. At most ``MAX_CANDIDATES`` candidates are followed; the
others are listed in ``candidates_dropped``. Rows whose order value or group key is missing
are counted in ``rows_skipped``. Order values that are text are not supported
(``order_supported`` is false; nothing is judged).

Cost: one read of the key, order and candidate columns, plus per batch one sort of the keys
(when not already grouped) and about ten vector operations per candidate.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.profile._arrow import from_numpy, null_mask, temporal_ints, to_float64, values_view

__all__ = ["MAX_CANDIDATES", "MAX_GROUPS", "SequencePass"]

#: Groups tracked at most; later groups are counted, not followed (memory stays bounded).
MAX_GROUPS = 100_000
#: Candidate columns followed at most (each costs one float64 per tracked group).
MAX_CANDIDATES = 64

#: Keys with more than one descent per this many rows are radix-sorted (when they can be).
RADIX_RUNS = 64

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def order_values(array: pa.Array) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_]] | None:
    """Order values as int64 (integers, dates, times) or float64, with a validity mask; None
    for types that have no numeric order here (text)."""
    t = array.type
    if pa.types.is_dictionary(t):
        return order_values(array.dictionary_decode())
    if pa.types.is_temporal(t):
        ints = temporal_ints(array)
        values = values_view(ints)
        mask = null_mask(ints)
        return values, np.ones(len(values), bool) if mask is None else ~mask
    if pa.types.is_integer(t):
        values = values_view(array).astype(np.int64, copy=False)
        mask = null_mask(array)
        return values, np.ones(len(values), bool) if mask is None else ~mask
    if pa.types.is_floating(t) or pa.types.is_decimal(t) or pa.types.is_boolean(t):
        x = to_float64(array)
        return x, ~np.isnan(x)
    return None


def _render(value: Any, dtype: pa.DataType | None) -> Any:
    """An order value for the example: dates and timestamps as ISO text, numbers as they are.

    >>> _render(86_400_000, pa.timestamp("ms")), _render(3, pa.int64())
    ('1970-01-02T00:00:00.000', 3)
    """
    value = _plain(value)
    if dtype is not None and pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if dtype is None or not (pa.types.is_timestamp(dtype) or pa.types.is_date(dtype)):
        return value
    unit = "D" if pa.types.is_date32(dtype) else "ms" if pa.types.is_date64(dtype) else dtype.unit
    return str(np.int64(value).astype(f"datetime64[{unit}]"))


def _is_text(t: pa.DataType) -> bool:
    """Group keys looked up by hashing (text, binary, dictionaries), not by sorting."""
    return bool(
        pa.types.is_dictionary(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_binary(t)
        or pa.types.is_large_binary(t)
    )


def _plain(value: Any) -> Any:
    """A JSON-safe Python scalar."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)  # JSON has no inf
    return value


def _runs(sorted_keys: npt.NDArray[Any]) -> IntArray:
    """Start positions of the runs of equal values in a sorted array."""
    change = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.concatenate([np.zeros(1, np.int64), change])


def _stable_sort(keys: npt.NDArray[Any]) -> tuple[IntArray | None, npt.NDArray[Any]]:
    """The stable sorting permutation (None when already sorted: rows grouped by key, the
    usual layout) and the sorted keys.

    Keys in a few long runs (groups interleaved in blocks) go to timsort, which merges runs;
    keys in many short runs (rows in random order) with a span below 2^16 go to numpy's
    radix sort, five times faster there.
    """
    if keys.size < 2:
        return None, keys
    descents = int(np.count_nonzero(keys[1:] < keys[:-1]))
    if descents == 0:
        return None, keys
    if descents > keys.size // RADIX_RUNS and keys.dtype.kind in "iu":
        lo = keys.min()
        if int(keys.max()) - int(lo) < 1 << 16:
            perm = np.argsort((keys - lo).astype(np.uint16), kind="stable")
            return perm, keys[perm]
    perm = np.argsort(keys, kind="stable")
    return perm, keys[perm]


def _compose(sub: IntArray | None, perm: IntArray | None) -> IntArray | None:
    """Batch rows of the sorted selection (None: all rows, in order)."""
    if perm is None:
        return sub
    return perm if sub is None else sub[perm]


class _GroupIndex:
    """Slots 0, 1, ... of group keys in order of first appearance, up to ``limit`` groups.

    Numbers (integers, floats, dates) are kept sorted and found with a binary search; text
    keys are found by hashing (Arrow's ``index_in``), once per dictionary: a parquet row
    group's dictionary serves all of its batches.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._sorted: npt.NDArray[Any] | None = None
        self._sorted_slots: IntArray = np.zeros(0, np.int64)
        self._numbers: list[npt.NDArray[Any]] = []  # keys by slot, in chunks
        self._text: pa.Array | None = None  # keys by slot
        self._dict: pa.Array | None = None
        self._dict_slots: IntArray = np.zeros(0, np.int64)

    def numeric(self, firsts: npt.NDArray[Any]) -> IntArray:
        """Slots of sorted, distinct keys; -1 for keys beyond the limit."""
        known = firsts[:0] if self._sorted is None else self._sorted
        if known.size == firsts.size and np.array_equal(known, firsts):
            return self._sorted_slots  # the same groups as before (interleaved rows)
        pos = np.searchsorted(known, firsts)
        slots = np.full(firsts.size, -1, np.int64)
        if known.size:
            at = np.minimum(pos, known.size - 1)
            hit = known[at] == firsts
            slots[hit] = self._sorted_slots[at[hit]]
        new = np.flatnonzero(slots < 0)[: self.limit - self.size]
        if new.size:
            fresh = np.arange(self.size, self.size + new.size, dtype=np.int64)
            slots[new] = fresh
            self.size += new.size
            self._sorted = np.insert(known, pos[new], firsts[new])
            self._sorted_slots = np.insert(self._sorted_slots, pos[new], fresh)
            self._numbers.append(firsts[new])
        return slots

    def text(self, dictionary: pa.Array) -> IntArray:
        """The slot of each entry of a dictionary; -1 for keys beyond the limit."""
        if self._dict is not None and (dictionary is self._dict or dictionary.equals(self._dict)):
            return self._dict_slots
        if self._text is not None and self._text.type != dictionary.type:
            dictionary = dictionary.cast(self._text.type)
        slots = np.full(len(dictionary), -1, np.int64)
        if self._text is not None and len(self._text):
            slots = _positions(pc.index_in(dictionary, value_set=self._text))
        new = np.flatnonzero(slots < 0)
        room = self.limit - self.size
        if new.size and room > 0:
            values = dictionary.take(from_numpy(new))
            distinct = pc.unique(values)  # a dictionary may hold a value twice
            distinct = distinct.slice(0, min(room, len(distinct)))
            where = _positions(pc.index_in(values, value_set=distinct))
            slots[new] = np.where(where >= 0, where + self.size, -1)
            self.size += len(distinct)
            self._text = (
                distinct if self._text is None else pa.concat_arrays([self._text, distinct])
            )
        self._dict, self._dict_slots = dictionary, slots
        return slots

    def key(self, slot: int) -> Any:
        """The key of a slot, as a JSON-safe scalar."""
        if self._text is not None:
            return _plain(self._text[slot].as_py())
        for chunk in self._numbers:
            if slot < chunk.size:
                return _plain(chunk[slot])
            slot -= chunk.size
        return None


def _positions(found: pa.Array) -> IntArray:
    """``index_in``'s answer as int64, -1 where not found."""
    values = values_view(found).astype(np.int64)
    mask = null_mask(found)
    if mask is not None:
        values[mask] = -1
    return values


class SequencePass:
    """Second-pass accumulator of the sequence statistics (see the module docstring).

    Examples
    --------
    >>> import pyarrow as pa
    >>> p = SequencePass("t", "id", {"deg": 360.0})
    >>> p.columns
    ['id', 't', 'deg']
    >>> p.update(pa.record_batch({"id": [1, 2, 1, 2, 1], "t": [0, 0, 1, 1, 2],
    ...                           "deg": [350.0, 10.0, 355.0, 20.0, 2.0]}))
    >>> r = p.result()
    >>> r["transitions"], r["backward_steps"], r["columns"]["deg"]["wrap_jumps"]
    (3, 0, 1)
    """

    name = "sequences"

    def __init__(
        self,
        order_by: str,
        group_by: str | None,
        periods: Mapping[str, float],
        *,
        wrap_distance: float = 0.25,
        max_groups: int = MAX_GROUPS,
    ) -> None:
        self.order_by = order_by
        self.group_by = group_by
        keys = {order_by, group_by}
        names = [n for n in periods if n not in keys]
        self.candidates: list[str] = names[:MAX_CANDIDATES]
        self.dropped: list[str] = names[MAX_CANDIDATES:]
        self.periods = [float(periods[n]) for n in self.candidates]
        self.wrap_distance = wrap_distance
        self.max_groups = max_groups
        head = [group_by] if group_by is not None else []
        self.columns: list[str] = list(dict.fromkeys([*head, order_by, *self.candidates]))
        k = len(self.candidates)
        self._index = _GroupIndex(max_groups if group_by is not None else 1)
        # per group (slot): last order value, last candidate values (one row per candidate)
        self._last_order: npt.NDArray[Any] = np.zeros(0)
        self._last_values: FloatArray = np.zeros((k, 0))
        self._has_last = np.zeros(0, bool)
        self._backward_group = np.zeros(0, bool)
        self.order_supported = True
        self.rows = self.rows_skipped = self.rows_untracked = 0
        self.transitions = self.backward = 0
        self.example: dict[str, Any] | None = None
        self._order_type: pa.DataType | None = None
        self._pairs = np.zeros(k, np.int64)
        self._wraps = np.zeros(k, np.int64)
        self._jumps = np.zeros(k, np.int64)
        self._steps = np.zeros(k, np.int64)
        self._step_sum = np.zeros(k)
        self._wrap_sum = np.zeros(k)

    def _grow(self, size: int, order_dtype: np.dtype[Any]) -> None:
        """Room for ``size`` groups (capacity doubles); the first batch sets the order's
        type (int64 or float64)."""
        cap = self._has_last.size
        if cap == 0:
            self._last_order = np.zeros(0, order_dtype)
        if size <= cap:
            return
        more = max(size, 2 * cap, 64) - cap
        k = len(self.candidates)
        self._last_order = np.concatenate([self._last_order, np.zeros(more, order_dtype)])
        self._last_values = np.concatenate([self._last_values, np.full((k, more), np.nan)], 1)
        self._has_last = np.concatenate([self._has_last, np.zeros(more, bool)])
        self._backward_group = np.concatenate([self._backward_group, np.zeros(more, bool)])

    def update(self, batch: pa.RecordBatch) -> None:
        """Add one batch (rows in file order)."""
        n = batch.num_rows
        if n == 0 or not self.order_supported:
            return
        self.rows += n
        found = order_values(batch.column(self.order_by))
        if found is None:
            self.order_supported = False
            return
        order, keep = found
        self._order_type = batch.column(self.order_by).type
        if self.group_by is None:
            rows = None if keep.all() else np.flatnonzero(keep)
            self.rows_skipped += 0 if rows is None else n - rows.size
            starts = np.zeros(1, np.int64)
            run_slots = np.zeros(1, np.int64)
            self._index.size = 1
        else:
            rows, starts, run_slots = self._group(batch.column(self.group_by), keep)
        if rows is not None and rows.size == 0:
            return
        self._grow(self._index.size, order.dtype)
        self._consume(batch, order, rows, starts, run_slots)

    def _group(
        self, column: pa.Array, keep: npt.NDArray[np.bool_]
    ) -> tuple[IntArray | None, IntArray, IntArray]:
        """The rows to use (None: all, in order), grouped by a stable sort (file order
        within each group); the start of each group's run; the groups' slots."""
        n = len(column)
        if _is_text(column.type):
            if pa.types.is_string_view(column.type):
                column = column.cast(pa.string())
            if not pa.types.is_dictionary(column.type):
                column = pc.dictionary_encode(column)
            dict_slots = self._index.text(column.dictionary)
            codes = values_view(column.indices)
            mask = null_mask(column.indices)
            if mask is not None:  # slots under nulls hold anything: read slot 0 there
                codes = np.where(mask, 0, codes)
                keep &= ~mask
            row_slots = dict_slots[codes] if dict_slots.size else np.full(n, -1, np.int64)
            self.rows_skipped += n - int(np.count_nonzero(keep))
            tracked = keep & (row_slots >= 0)
            self.rows_untracked += int(np.count_nonzero(keep)) - int(np.count_nonzero(tracked))
            sub = None if tracked.all() else np.flatnonzero(tracked)
            keys = row_slots if sub is None else row_slots[sub]
            perm, sk = _stable_sort(keys)
            starts = _runs(sk) if sk.size else np.zeros(0, np.int64)
            return _compose(sub, perm), starts, sk[starts]
        found = order_values(column)
        assert found is not None  # numbers, booleans, dates: _is_text takes the rest
        values, valid = found
        keep &= valid
        sub = None if keep.all() else np.flatnonzero(keep)
        self.rows_skipped += 0 if sub is None else n - sub.size
        keys = values if sub is None else values[sub]
        perm, sk = _stable_sort(keys)
        starts = _runs(sk) if sk.size else np.zeros(0, np.int64)
        run_slots = self._index.numeric(sk[starts])
        rows = _compose(sub, perm)
        tracked = run_slots >= 0
        if not tracked.all():
            lengths = np.diff(np.concatenate([starts, [keys.size]]))
            self.rows_untracked += int(lengths[~tracked].sum())
            rows = (np.arange(keys.size) if rows is None else rows)[np.repeat(tracked, lengths)]
            lengths, run_slots = lengths[tracked], run_slots[tracked]
            starts = np.cumsum(lengths) - lengths
        return rows, starts, run_slots

    def _consume(
        self,
        batch: pa.RecordBatch,
        order: npt.NDArray[Any],
        rows: IntArray | None,
        starts: IntArray,
        run_slots: IntArray,
    ) -> None:
        """Pair each row with the previous row of its group; update counts and state.

        ``rows`` lists the batch rows to use, grouped (a run per group, beginning at
        ``starts``, of slot ``run_slots``) and in file order within each run; None: every
        row, one run.
        """
        o = order if rows is None else order[rows]
        m = o.size
        ends = np.empty_like(starts)
        ends[:-1] = starts[1:] - 1
        ends[-1] = m - 1
        no_prev = starts[~self._has_last[run_slots]]  # a group's first row: nothing before
        prev = np.empty_like(o)
        prev[1:] = o[:-1]
        prev[starts] = self._last_order[run_slots]
        self.transitions += m - no_prev.size
        back = o < prev
        back[no_prev] = False
        nb = int(np.count_nonzero(back))
        if nb:
            self._backward(back, nb, starts, run_slots, prev, o)
        for j, name in enumerate(self.candidates):
            x = to_float64(batch.column(name))
            self._candidate(j, x if rows is None else x[rows], starts, ends, run_slots, no_prev)
        self._last_order[run_slots] = o[ends]
        self._has_last[run_slots] = True

    def _backward(
        self,
        back: npt.NDArray[np.bool_],
        nb: int,
        starts: IntArray,
        run_slots: IntArray,
        prev: npt.NDArray[Any],
        o: npt.NDArray[Any],
    ) -> None:
        self.backward += nb
        per_run = np.add.reduceat(back, starts, dtype=np.int64)
        self._backward_group[run_slots[per_run > 0]] = True
        if self.example is None:
            i = int(np.argmax(back))
            run = int(np.searchsorted(starts, i, side="right")) - 1
            self.example = {
                "group": self._index.key(int(run_slots[run])) if self.group_by else None,
                "previous": _render(prev[i], self._order_type),
                "next": _render(o[i], self._order_type),
            }

    def _candidate(
        self,
        j: int,
        v: FloatArray,
        starts: IntArray,
        ends: IntArray,
        run_slots: IntArray,
        no_prev: IntArray,
    ) -> None:
        """Steps of candidate ``j`` between consecutive rows of a group."""
        period = self.periods[j]
        last = self._last_values[j]
        d = np.empty_like(v)
        np.subtract(v[1:], v[:-1], out=d[1:])
        d[starts] = v[starts] - last[run_slots]
        d[no_prev] = 0.0  # a group's first row: no step (not counted below)
        np.abs(d, out=d)
        total = float(d.sum())
        pairs = d.size - no_prev.size
        if not np.isfinite(total):  # a missing value on either side: no step either
            missing = np.isnan(d)
            pairs -= int(np.count_nonzero(missing))
            d[missing] = 0.0
            total = float(d.sum())
        jumps = d[d > period / 2]
        back = np.mod(jumps, period)
        circ = np.minimum(back, period - back)  # |d| in (P/2, P]: P - |d|
        wraps = circ[circ < self.wrap_distance * period]
        self._pairs[j] += pairs
        self._wraps[j] += wraps.size
        self._jumps[j] += jumps.size - wraps.size
        self._steps[j] += int(np.count_nonzero(d > 0.0)) - jumps.size
        self._step_sum[j] += total - float(jumps.sum())
        self._wrap_sum[j] += float(wraps.sum())
        last[run_slots] = v[ends]

    def result(self) -> dict[str, Any]:
        """JSON-safe counts (see the module docstring)."""
        columns = {}
        for j, name in enumerate(self.candidates):
            pairs, wraps, steps = int(self._pairs[j]), int(self._wraps[j]), int(self._steps[j])
            columns[name] = {
                "period": self.periods[j],
                "pairs": pairs,
                "wrap_jumps": wraps,
                "wrap_share": wraps / pairs if pairs else 0.0,
                "other_jumps": int(self._jumps[j]),
                "mean_step": float(self._step_sum[j] / steps) if steps else None,
                "mean_wrap_distance": float(self._wrap_sum[j] / wraps) if wraps else None,
            }
        groups = self._index.size if self.rows > self.rows_skipped else 0
        return {
            "order_by": self.order_by,
            "group_by": self.group_by,
            "order_supported": self.order_supported,
            "rows": self.rows,
            "rows_skipped": self.rows_skipped,
            "rows_untracked": self.rows_untracked,
            "groups": groups,
            "max_groups": self.max_groups,
            "groups_capped": self.rows_untracked > 0,
            "transitions": self.transitions,
            "backward_steps": self.backward,
            "backward_share": self.backward / self.transitions if self.transitions else 0.0,
            "groups_with_backward": int(np.count_nonzero(self._backward_group)),
            "first_backward": self.example,
            "wrap_distance": self.wrap_distance,
            "columns": columns,
            "candidates_dropped": self.dropped,
            "order_dependent": True,
        }
