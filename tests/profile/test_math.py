"""Merge laws and exactness of the numeric accumulator (property tests).

Input domain: finite float64 values with |x| <= 1e9 (plus, where stated, nulls, NaN and
+-inf), lists of 0-300 values split into up to 6 batches at arbitrary points.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataguard.profile import Moments, batch_moments, merge_moments
from dataguard.profile._accumulators import NumericAccumulator

FINITE = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
VALUE = st.one_of(FINITE, st.none(), st.just(math.nan), st.just(math.inf), st.just(-math.inf))


def _acc(values: list[float | None]) -> NumericAccumulator:
    acc = NumericAccumulator("x", pa.float64())
    arr = pa.array(values, type=pa.float64(), from_pandas=False)
    acc.update(arr, np.arange(len(values), dtype=np.int64))
    return acc


def _split(values: list, cuts: list[int]) -> list[list]:
    points = sorted({min(c, len(values)) for c in cuts})
    out, start = [], 0
    for p in [*points, len(values)]:
        out.append(values[start:p])
        start = p
    return out


def _fold(parts: list[list], order: list[int] | None = None) -> NumericAccumulator:
    accs = [_acc(p) for p in parts]
    if order is not None:
        accs = [accs[i] for i in order]
    total = NumericAccumulator("x", pa.float64())
    for a in accs:
        total = total.merge(a)
    return total


def _reference(values: list[float | None]) -> tuple[float, float]:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    mean = math.fsum(finite) / len(finite)
    var = math.fsum((v - mean) ** 2 for v in finite) / len(finite)
    return mean, math.sqrt(var)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUE, max_size=300), st.lists(st.integers(0, 300), max_size=5))
def test_exact_fields_match_numpy_for_any_batching(values: list, cuts: list[int]) -> None:
    acc = _fold(_split(values, cuts))
    arr = np.array([np.nan if v is None else v for v in values], dtype=float)
    finite = arr[np.isfinite(arr)]
    assert acc.n_rows == len(values)
    assert acc.n_null == sum(v is None for v in values)
    assert acc.n_nan == sum(v is not None and math.isnan(v) for v in values)
    assert acc.n_posinf == int(np.sum(arr == np.inf))
    assert acc.n_neginf == int(np.sum(arr == -np.inf))
    assert acc.moments.n == finite.size
    if finite.size:
        assert acc.min == finite.min()
        assert acc.max == finite.max()


@settings(max_examples=300, deadline=None)
@given(st.lists(FINITE, min_size=1, max_size=300), st.lists(st.integers(0, 300), max_size=5))
def test_mean_and_std_match_fsum_within_1e_12_of_max_abs(values: list, cuts: list[int]) -> None:
    acc = _fold(_split(values, cuts))
    mean, std = _reference(values)
    tol = 1e-12 * max(abs(v) for v in values)
    assert abs(acc.moments.mean - mean) <= tol
    assert abs(acc.moments.std - std) <= tol


@settings(max_examples=200, deadline=None)
@given(
    st.lists(FINITE, min_size=1, max_size=200),
    st.lists(st.integers(0, 200), max_size=5),
    st.randoms(use_true_random=False),
)
def test_merge_is_commutative_in_any_order(values: list, cuts: list[int], rnd) -> None:
    parts = _split(values, cuts)
    order = list(range(len(parts)))
    rnd.shuffle(order)
    a, b = _fold(parts), _fold(parts, order)
    tol = 1e-12 * max(abs(v) for v in values)
    assert (a.moments.n, a.min, a.max, a.n_rows) == (b.moments.n, b.min, b.max, b.n_rows)
    assert abs(a.moments.mean - b.moments.mean) <= tol
    assert abs(a.moments.std - b.moments.std) <= tol
    assert a.counts == b.counts


@given(st.lists(VALUE, max_size=100))
def test_empty_accumulator_is_the_identity(values: list) -> None:
    acc = _acc(values)
    zero = NumericAccumulator("x", pa.float64())
    for merged in (zero.merge(acc), acc.merge(zero)):
        assert merged.to_state()["moments"] == acc.to_state()["moments"]
        assert (merged.n_rows, merged.n_null, merged.min, merged.max) == (
            acc.n_rows,
            acc.n_null,
            acc.min,
            acc.max,
        )


@given(st.lists(FINITE, min_size=3, max_size=200))
def test_higher_moments_match_two_pass_reference(values: list) -> None:
    x = np.array(values)
    m = merge_moments(batch_moments(x[: len(x) // 2]), batch_moments(x[len(x) // 2 :]))
    d = x - x.mean()
    scale = max(1.0, float(np.max(np.abs(x)))) ** 3 * len(x)
    assert m.m3 == pytest.approx(float(np.sum(d**3)), rel=1e-6, abs=1e-9 * scale)
    assert m.m4 == pytest.approx(float(np.sum(d**4)), rel=1e-6, abs=1e-9 * scale * 1e9)


def test_state_round_trip_is_exact() -> None:
    acc = _acc([1.0, 2.0, None, math.inf, 2.0, 7.5])
    back = NumericAccumulator.from_state("x", pa.float64(), acc.to_state())
    assert back.to_state() == acc.to_state()


def test_sequence_fields_follow_row_order() -> None:
    first, second = _acc([0.0, 1.0, 2.0]), _acc([3.0, 4.0])
    assert first.merge(second).strictly_increasing
    assert not second.merge(first).strictly_increasing


def test_moments_of_constant_batch_have_no_spread() -> None:
    m = batch_moments(np.full(1000, 5.0))
    assert (m.m2, m.variance) == (0.0, 0.0)
    assert math.isnan(m.skewness)
    assert math.isnan(Moments().std)
