"""Second pass of DG112 (global frame): how much of each coordinate column's variance lies
between the entities of a key column, for a few candidate keys at once.

For every (key, value column, group) the pass keeps the count and the sum of the column's
finite values in rows whose key is valid. Sums merge by addition, exactly, in any order, so
per-batch group sums are added to running totals (and two states to one: :meth:`merge`).
The within-group sums of squares are not accumulated row by row: the first pass already
holds the column's count, mean ``m`` and ``M2 = Σ(x - m)²`` over its finite values, merged
batch by batch with Chan's formula (``_math.merge_moments``), and over the same rows

    SS_total = M2 - Q_null - B² / n,    B = Σ_g (S_g - n_g m),
    SS_between = Σ_g n_g (S_g / n_g - m - B / n)²,

where ``S_g``, ``n_g`` are a group's sum and count, ``n = Σ n_g``, and ``Q_null`` is
``Σ(x - m)²`` over the rows whose key is null (left out of every group; accumulated directly,
they are usually few). ``SS_total - SS_between`` is the pooled within-group sum of squares.
Everything is taken relative to the first pass's mean ``m``; a column whose mean is large
against its spread (``|m| > SHIFT_RATIO × std``) is shifted by ``m`` before it is summed, so
that its group sums keep the digits that differ.

Per batch and key, the rows' group codes are computed once: integer keys through a lookup
table (``value - min``, when the values are known and their range is small) or a binary
search in the known values; text keys (parquet hands them over as dictionary arrays) and
anything else through the batch dictionary, whose entries are mapped to global codes once per
batch. Then, per column, either one ``np.bincount(codes, weights=x)`` or, when the batch's
keys come in long runs (rows ordered by entity), ``np.add.reduceat`` over the runs and a
bincount of the few run sums: a bincount over sorted codes adds into one bin after another
and runs at less than half the speed.

Memory is bounded: at most ``max_groups`` groups per key (a key with more is dropped, and
the result says so), so a key costs ``(max_groups + 1) × (columns + 1)`` float64 at most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.profile._arrow import null_mask, to_float64, values_view

__all__ = ["SHIFT_RATIO", "BetweenGroupsPass", "KeySpec", "ValueSpec"]

#: Columns whose |mean| exceeds this many standard deviations are shifted by their mean before
#: summing: group sums of raw values lose about log10(ratio) digits of the group means.
SHIFT_RATIO = 1e3
#: A batch whose key changes fewer than once per this many rows is summed run by run.
_RUN_ROWS = 8
#: Integer keys whose range (max - min + 1) is at most this many times the cap are coded
#: through a lookup table indexed by ``value - min``; others by binary search.
_LUT_FACTOR = 16

IntArray = npt.NDArray[np.intp]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class KeySpec:
    """A key column and how its values become group codes.

    ``values``: the key's distinct values, sorted, when the first pass counted them exactly
    (integers); None: codes are assigned as values appear (text and anything else).
    """

    name: str
    values: tuple[int, ...] | None = None


@dataclass(frozen=True)
class ValueSpec:
    """A value column and its first-pass moments over its finite values."""

    name: str
    n: int
    mean: float
    m2: float
    #: Every row holds a finite value (no null, NaN or infinity): no mask per batch.
    complete: bool = True

    @property
    def shifted(self) -> bool:
        """Summed as ``x - mean``: the mean is large against the spread."""
        std = math.sqrt(self.m2 / self.n) if self.n else 0.0
        return abs(self.mean) > SHIFT_RATIO * std


class _Grouping:
    """One batch's rows grouped by code: per-group sums by ``np.bincount``, or, when the codes
    come in long runs, by ``np.add.reduceat`` over the runs and a bincount of the run sums."""

    def __init__(self, codes: IntArray, width: int) -> None:
        self.codes = codes
        self.width = width
        self.starts: IntArray | None = None
        if codes.size >= 2 * _RUN_ROWS:
            change = np.flatnonzero(codes[1:] != codes[:-1])
            if change.size + 1 <= codes.size // _RUN_ROWS:
                self.starts = np.concatenate(([0], change + 1))
                self.run_codes = codes[self.starts]

    def sum(self, x: FloatArray | None) -> FloatArray:
        """Per-group sums of ``x`` (row counts for None)."""
        if self.starts is None:
            return np.bincount(self.codes, x, minlength=self.width).astype(np.float64, copy=False)
        if x is None:
            runs = np.diff(np.append(self.starts, self.codes.size)).astype(np.float64)
        else:
            runs = np.add.reduceat(x, self.starts)
        return np.bincount(self.run_codes, runs, minlength=self.width).astype(
            np.float64, copy=False
        )


class _Key:
    """Running group sums of every value column under one key."""

    def __init__(self, spec: KeySpec, n_values: int, max_groups: int) -> None:
        self.spec = spec
        self.max_groups = max_groups
        self.dropped: str | None = None
        self.index: dict[Any, int] = {}  # value -> code, for keys coded as values appear
        self.lut: IntArray | None = None
        self.lo = 0
        if spec.values is not None:
            self.size = len(spec.values)
            lo, hi = (spec.values[0], spec.values[-1]) if spec.values else (0, -1)
            if self.size and hi - lo + 1 <= _LUT_FACTOR * max_groups:
                self.lo = lo
                self.lut = np.full(hi - lo + 1, self.size, dtype=np.intp)
                self.lut[np.asarray(spec.values, dtype=np.int64) - lo] = np.arange(self.size)
            self.sorted = np.asarray(spec.values, dtype=np.int64)
        else:
            self.size = max_groups
        # the last bin collects the rows whose key is null
        width = self.size + 1 if self.size <= max_groups else 0
        self.counts = np.zeros(width)
        self.sums = np.zeros((n_values, width))
        if self.size > max_groups:
            self.drop()
        self.col_counts: dict[int, FloatArray] = {}  # columns with non-finite values
        self.null_rows = 0
        self.null_n = np.zeros(n_values)
        self.null_s1 = np.zeros(n_values)  # Σ (x - mean) over finite values, key null
        self.null_s2 = np.zeros(n_values)  # Σ (x - mean)²

    def drop(self, why: str | None = None) -> None:
        self.dropped = why or f"more than {self.max_groups:,} groups (the cap): not judged"
        self.counts = np.zeros(0)
        self.sums = np.zeros((0, 0))
        self.col_counts = {}
        self.index = {}

    @property
    def n_groups(self) -> int:
        return len(self.index) if self.spec.values is None else self.size

    def codes(self, array: pa.Array) -> tuple[IntArray, IntArray | None]:
        """Group codes of one batch (null keys get the last bin), and the null positions."""
        if isinstance(array, pa.ChunkedArray):
            array = array.combine_chunks()
        null = self.size
        if self.spec.values is not None and pa.types.is_integer(array.type):
            v = values_view(array).astype(np.int64, copy=False)
            if self.lut is not None:  # the table's gaps code unknown values as null
                off = v - self.lo
                if off.size and (off.min() < 0 or off.max() >= self.lut.size):
                    inside = (off >= 0) & (off < self.lut.size)
                    codes = np.where(inside, self.lut[np.where(inside, off, 0)], null)
                else:
                    codes = self.lut[off]
            else:
                pos = np.minimum(np.searchsorted(self.sorted, v), self.size - 1)
                codes = np.where(self.sorted[pos] == v, pos, null).astype(np.intp)
            mask = null_mask(array)  # the slots under nulls hold any value
            if mask is not None:
                codes[mask] = null
            return codes, _nulls(codes, null)
        return self._dictionary_codes(array)

    def _dictionary_codes(self, array: pa.Array) -> tuple[IntArray, IntArray | None]:
        null = self.size
        if not pa.types.is_dictionary(array.type):
            array = pc.dictionary_encode(array)
        index = self.index
        lut = np.empty(len(array.dictionary) + 1, dtype=np.intp)
        for i, value in enumerate(array.dictionary.to_pylist()):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                lut[i] = null
                continue
            code = index.get(value)
            if code is None:
                code = index[value] = len(index)
            lut[i] = code
        lut[-1] = null
        if len(index) > self.max_groups:
            return np.empty(0, dtype=np.intp), None
        indices = array.indices
        raw = values_view(indices).astype(np.intp, copy=False)
        mask = null_mask(indices)
        if mask is not None:
            raw = np.where(mask, lut.size - 1, raw)
        codes = lut[raw]
        return codes, _nulls(codes, null)

    def update(self, key: pa.Array, columns: list[pa.Array], specs: list[ValueSpec]) -> None:
        if self.dropped is not None:
            return
        try:
            codes, null_rows = self.codes(key)
        except (pa.ArrowException, TypeError) as exc:  # a type without hashable values
            self.drop(f"its values cannot be grouped ({type(exc).__name__})")
            return
        if self.spec.values is None and len(self.index) > self.max_groups:
            self.drop()
            return
        if codes.size == 0:
            return
        grouping = _Grouping(codes, self.size + 1)
        self.counts += grouping.sum(None)
        if null_rows is not None:
            self.null_rows += int(null_rows.size)
        for i, (array, spec) in enumerate(zip(columns, specs, strict=True)):
            self._add(i, to_float64(array), spec, grouping, null_rows)

    def _add(
        self,
        i: int,
        x: FloatArray,
        spec: ValueSpec,
        grouping: _Grouping,
        null_rows: IntArray | None,
    ) -> None:
        """Add one column's batch: group sums, counts (if it has non-finite values), and the
        moments of its values in rows whose key is null."""
        if spec.shifted:
            x = x - spec.mean
        finite: npt.NDArray[np.bool_] | None = None
        if not spec.complete:
            finite = np.isfinite(x)
            x = np.where(finite, x, 0.0)
            counts = self.col_counts.get(i)
            if counts is None:
                counts = self.col_counts[i] = np.zeros(self.size + 1)
            counts += grouping.sum(finite.astype(np.float64))
        self.sums[i] += grouping.sum(x)
        if null_rows is not None:
            xn = x[null_rows]
            if finite is not None:
                xn = xn[finite[null_rows]]
            d = xn if spec.shifted else xn - spec.mean
            self.null_n[i] += d.size
            self.null_s1[i] += float(d.sum())
            self.null_s2[i] += float(np.einsum("i,i->", d, d))

    def merge(self, other: _Key) -> None:
        """Add ``other``'s sums (the same spec; keys coded as values appear are re-coded)."""
        if self.dropped is not None:
            return
        if other.dropped is not None:
            self.drop(other.dropped)
            return
        if self.spec.values is None:
            order = sorted(other.index.items(), key=lambda kv: kv[1])
            for value, _ in order:
                if value not in self.index:
                    self.index[value] = len(self.index)
            if len(self.index) > self.max_groups:
                self.drop()
                return
            target = np.array([self.index[v] for v, _ in order] + [self.size], dtype=np.intp)
            source = np.append(np.arange(len(order)), other.size)
        else:
            target = source = np.arange(self.size + 1)
        self.counts[target] += other.counts[source]
        self.sums[:, target] += other.sums[:, source]
        for i, counts in other.col_counts.items():
            mine = self.col_counts.setdefault(i, np.zeros(self.size + 1))
            mine[target] += counts[source]
        self.null_rows += other.null_rows
        self.null_n += other.null_n
        self.null_s1 += other.null_s1
        self.null_s2 += other.null_s2

    def result(self, specs: list[ValueSpec]) -> dict[str, Any]:
        out: dict[str, Any] = {"dropped": self.dropped}
        if self.dropped is not None:
            return out
        used = self.n_groups
        counts = self.counts[:used]
        present = counts > 0
        rows = counts[present]
        out.update(
            n_groups=int(present.sum()),
            rows=int(rows.sum()),
            null_rows=self.null_rows,
            rows_per_group=(
                [int(rows.min()), float(np.median(rows)), int(rows.max())] if rows.size else None
            ),
            columns={s.name: self._column(i, s) for i, s in enumerate(specs)},
        )
        return out

    def _column(self, i: int, spec: ValueSpec) -> dict[str, Any]:
        used = self.n_groups
        n_g = self.col_counts[i][:used] if i in self.col_counts else self.counts[:used]
        s_g = self.sums[i, :used]
        if not spec.shifted:  # relative to the first pass's mean
            s_g = s_g - n_g * spec.mean
        n = float(n_g.sum())
        if n == 0:
            return {"n": 0, "ss_between": 0.0, "ss_total": 0.0}
        b = float(s_g.sum())
        inner = n_g > 0
        dev = s_g[inner] / n_g[inner] - b / n
        ss_between = float(np.sum(n_g[inner] * dev * dev))
        ss_total = max(spec.m2 - float(self.null_s2[i]) - b * b / n, 0.0)
        return {"n": int(n), "ss_between": min(ss_between, ss_total), "ss_total": ss_total}


def _nulls(codes: IntArray, null: int) -> IntArray | None:
    """Positions of the rows in the null bin, or None when there are none."""
    where = np.flatnonzero(codes == null)
    return where if where.size else None


class BetweenGroupsPass:
    """Between-group and total sums of squares of value columns under candidate keys.

    ``info`` (JSON-safe) is copied into the result, so the result says what was planned.

    Examples
    --------
    >>> import pyarrow as pa
    >>> x = [0.0, 2.0, 10.0, 12.0]
    >>> p = BetweenGroupsPass(
    ...     "frames", [KeySpec("k")], [ValueSpec("x", 4, 6.0, 104.0)], max_groups=10
    ... )
    >>> p.update(pa.record_batch({"k": ["a", "a", "b", "b"], "x": x}))
    >>> col = p.result()["keys"]["k"]["columns"]["x"]
    >>> col["ss_between"], col["ss_total"]
    (100.0, 104.0)
    """

    def __init__(
        self,
        name: str,
        keys: list[KeySpec],
        values: list[ValueSpec],
        max_groups: int,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.keys = keys
        self.values = values
        self.max_groups = max_groups
        self.info = dict(info or {})
        names = [k.name for k in keys] + [v.name for v in values]
        self.columns = list(dict.fromkeys(names))
        self._position = {c: i for i, c in enumerate(self.columns)}
        self._state = [_Key(k, len(values), max_groups) for k in keys]

    def update(self, batch: pa.RecordBatch) -> None:
        """Add one batch (columns as in ``self.columns``)."""
        if batch.num_rows == 0:
            return
        cols = [batch.column(self._position[v.name]) for v in self.values]
        for key in self._state:
            key.update(batch.column(self._position[key.spec.name]), cols, self.values)

    def merge(self, other: BetweenGroupsPass) -> BetweenGroupsPass:
        """Add ``other``'s state (the same keys and columns) to this one; returns self."""
        for mine, theirs in zip(self._state, other._state, strict=True):
            mine.merge(theirs)
        return self

    def result(self) -> dict[str, Any]:
        """JSON-safe: per key, its group count and per column ``n``, ``ss_between``,
        ``ss_total`` (or why the key was dropped)."""
        return {
            **self.info,
            "max_groups": self.max_groups,
            "keys": {k.spec.name: k.result(self.values) for k in self._state},
        }
