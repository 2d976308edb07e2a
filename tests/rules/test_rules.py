"""Every data rule: one case where it fires (codes and evidence numbers checked) and
look-alikes where it must stay quiet. Synthetic data, fixed seeds, 2,000-20,000 rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataguard import Severity
from dataguard.rules import RULES

from ._helpers import N, above_info, codes, healthy_frame, one, run

SCALE_CODES = {"DG101", "DG102", "DG104", "DG105"}


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def standard_normal(seed: int, n: int = N) -> np.ndarray:
    x = rng(seed).standard_normal(n)
    return (x - x.mean()) / x.std()


def test_every_registered_code_is_covered_here() -> None:
    """A new rule needs its own ``test_dgNNN_*`` tests in this folder."""
    text = "".join(p.read_text(encoding="utf-8") for p in Path(__file__).parent.glob("test_*.py"))
    for code in RULES:
        assert f"def test_{code.lower()}_" in text, f"{code} has no test_{code.lower()}_* test"


# --- healthy data ---------------------------------------------------------------------------


@pytest.mark.parametrize("classes", [2, 3, 10])
def test_healthy_frame_raises_nothing_above_info(classes: int) -> None:
    report = run(healthy_frame(classes=classes), target="y")
    assert report.tasks == {"y": "classification"}
    assert above_info(report) == []
    assert not codes(report) & {"DG101", "DG102", "DG103", "DG108", "DG113", "DG118", "DG119"}


def test_healthy_arrow_table_raises_nothing_above_info() -> None:
    frame = healthy_frame(n=8000, seed=3, classes=4)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    report = run(table, target="y")
    assert above_info(report) == []


# --- DG101 unscaled-feature -----------------------------------------------------------------


def test_dg101_fires_on_a_feature_in_the_thousands() -> None:
    r = rng(1)
    frame = pd.DataFrame({"area": r.normal(5000.0, 1000.0, N), "z": standard_normal(2)})
    report = run(frame)
    f = one(report, "DG101", "area")
    assert f.columns == ("area",)
    assert f.severity == Severity.WARNING
    assert f.evidence["robust_scale"] == pytest.approx(1000.0, rel=0.05)
    assert f.evidence["median"] == pytest.approx(5000.0, rel=0.01)
    assert f.evidence["limit"] == 20.0
    assert f.fix == {
        "transform": "standardize",
        "center": pytest.approx(frame["area"].mean()),
        "scale": pytest.approx(frame["area"].std(ddof=0)),
    }
    assert codes(report, "z") == set()


def test_dg101_fires_on_a_large_median_with_unit_spread() -> None:
    frame = pd.DataFrame({"temp_k": rng(4).normal(300.0, 1.0, N)})
    f = one(run(frame), "DG101", "temp_k")
    assert f.evidence["robust_scale"] == pytest.approx(1.0, rel=0.05)
    assert f.evidence["median"] == pytest.approx(300.0, rel=0.01)
    assert "median 300" in f.message


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda r: r.standard_normal(N), id="normal"),
        pytest.param(lambda r: r.uniform(-1.7, 1.7, N), id="uniform"),
        pytest.param(lambda r: r.laplace(0.0, 0.7, N), id="laplace"),
        pytest.param(lambda r: r.standard_t(5, N), id="student-t5"),
        pytest.param(lambda r: r.uniform(0.0, 1.0, N), id="min-max-scaled"),
    ],
)
def test_dg101_quiet_on_standardized_data(make) -> None:  # type: ignore[no-untyped-def]
    r = rng(5)
    cols = {}
    for j in range(4):
        x = make(r) * r.uniform(1e-3, 1e4) + r.uniform(-1e4, 1e4)  # any scale and offset ...
        cols[f"x{j}"] = (x - x.mean()) / x.std()  # ... standardized away
    report = run(pd.DataFrame(cols))
    assert not codes(report) & SCALE_CODES
    assert above_info(report) == []


@pytest.mark.parametrize("n_features", [10, 20, 50])
def test_dg101_quiet_on_rows_scaled_to_unit_norm(n_features: int) -> None:
    r = rng(n_features)
    # Positive, wildly scaled raw features (counts, prices) normalized per row (L2).
    raw = r.lognormal(0.0, 1.0, (N, n_features)) * np.logspace(-3, 4, n_features)
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    assert np.allclose(np.linalg.norm(unit, axis=1), 1.0)
    report = run(pd.DataFrame(unit, columns=[f"u{j}" for j in range(n_features)]))
    assert "DG101" not in codes(report)


def test_dg101_quiet_on_signed_unit_norm_rows() -> None:
    x = rng(7).standard_normal((N, 30))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    report = run(pd.DataFrame(x, columns=[f"e{j}" for j in range(30)]))
    assert not codes(report) & SCALE_CODES
    assert above_info(report) == []


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_features=st.integers(10, 50),
    family=st.sampled_from(["normal", "lognormal", "uniform", "poisson"]),
    log_scale=st.floats(-6.0, 6.0),
)
def test_dg101_never_fires_on_unit_norm_rows(
    seed: int, n_features: int, family: str, log_scale: float
) -> None:
    """Whatever the raw features and their scale, rows scaled to unit L2 norm are unit scale."""
    r = rng(seed)
    shape = (2000, n_features)
    raw = {
        "normal": lambda: r.standard_normal(shape),
        "lognormal": lambda: r.lognormal(0.0, 1.5, shape),
        "uniform": lambda: r.uniform(0.0, 1.0, shape),
        "poisson": lambda: r.poisson(3.0, shape) + 1.0,
    }[family]() * 10.0**log_scale
    unit = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    report = run(pd.DataFrame(unit, columns=[f"u{j}" for j in range(n_features)]))
    assert "DG101" not in codes(report)


def test_dg101_quiet_on_a_column_divided_by_its_l2_norm() -> None:
    r = rng(8)
    price = r.normal(250_000.0, 60_000.0, N)
    rooms = r.poisson(4.0, N).astype(float) + 1.0
    frame = pd.DataFrame(
        {
            "price": price / np.linalg.norm(price),
            "rooms": rooms / np.linalg.norm(rooms),
            "z": standard_normal(9),
        }
    )
    report = run(frame)
    assert "DG101" not in codes(report)
    assert above_info(report) == []


def test_dg101_quiet_on_binary_and_constant_columns() -> None:
    r = rng(10)
    frame = pd.DataFrame({"flag": r.integers(0, 2, N), "const": np.full(N, 7.0)})
    assert "DG101" not in codes(run(frame))


# --- DG102 scale-disparity ------------------------------------------------------------------


def test_dg102_fires_on_thousands_next_to_thousandths() -> None:
    r = rng(11)
    frame = pd.DataFrame(
        {
            "sqft": r.normal(2500.0, 800.0, N),  # thousands
            "ratio": r.normal(0.004, 0.001, N),  # thousandths
            "z": standard_normal(12),
        }
    )
    f = one(run(frame), "DG102")
    assert f.columns == ("sqft", "ratio")
    assert f.evidence["largest"] == "sqft"
    assert f.evidence["smallest"] == "ratio"
    assert f.evidence["largest_scale"] == pytest.approx(800.0, rel=0.05)
    assert f.evidence["smallest_scale"] == pytest.approx(0.001, rel=0.05)
    assert f.evidence["ratio"] == pytest.approx(8e5, rel=0.1)
    assert list(f.evidence["scales"]) == ["sqft", "z", "ratio"]


def test_dg102_quiet_within_three_orders_of_magnitude() -> None:
    r = rng(13)
    frame = pd.DataFrame({"a": r.normal(0.0, 10.0, N), "b": r.normal(0.0, 0.1, N)})  # 100x
    assert "DG102" not in codes(run(frame))


def test_dg102_ignores_binary_and_near_constant_columns() -> None:
    r = rng(14)
    frame = pd.DataFrame(
        {
            "z": standard_normal(15),
            "flag": (r.random(N) < 0.001).astype(int),  # std 0.03, binary: not a scale
            "calib": 5.0 + r.normal(0.0, 1e-9, N),  # DG103's, not a scale
        }
    )
    assert "DG102" not in codes(run(frame))


# --- DG103 near-constant --------------------------------------------------------------------


def test_dg103_fires_on_noise_far_below_the_magnitude() -> None:
    frame = pd.DataFrame({"calib": 5.0 + rng(16).normal(0.0, 1e-9, N), "z": standard_normal(17)})
    report = run(frame)
    f = one(report, "DG103", "calib")
    assert f.severity == Severity.WARNING
    assert f.evidence["relative_std"] == pytest.approx(2e-10, rel=0.1)
    assert f.evidence["mean"] == pytest.approx(5.0)
    assert f.fix == {"transform": "drop"}
    # A near-constant column is not also reported as unscaled or offset.
    assert codes(report, "calib") == {"DG103"}


def test_dg103_fires_on_a_constant_column() -> None:
    frame = pd.DataFrame({"const": np.full(N, 3.0), "z": standard_normal(18)})
    f = one(run(frame), "DG103", "const")
    assert f.evidence["std"] == 0.0
    assert f.evidence["n_distinct"] == 1
    assert "every value is 3" in f.message


def test_dg103_info_on_a_dominant_value() -> None:
    x = np.zeros(20_000)
    x[rng(19).choice(x.size, 10, replace=False)] = 1.0
    x[:3] = 2.0  # three levels: not binary
    f = one(run(pd.DataFrame({"sparse": x})), "DG103", "sparse")
    assert f.severity == Severity.INFO
    assert f.evidence["dominant_value"] == 0.0
    assert f.evidence["dominant_share"] == pytest.approx(1 - 13 / 20_000)


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(rng(20).normal(1013.0, 10.0, N), id="pressure-1013-std-10"),
        pytest.param(rng(21).integers(1990, 2025, N), id="calendar-year"),
        pytest.param(rng(22).normal(1e5, 2.0, N), id="offset-1e5-std-2"),
    ],
)
def test_dg103_quiet_on_a_large_offset_with_real_variation(column: np.ndarray) -> None:
    report = run(pd.DataFrame({"x": column}))
    assert "DG103" not in codes(report)
    assert "DG101" in codes(report)  # legitimately not unit scale


def test_dg103_quiet_on_integer_epoch_seconds_regression() -> None:
    """Regression: integers are exact, so 1e-6 relative spread is real variation.

    Epoch seconds over one hour (std ~1,000 at 1.7e9) were called near-constant ("drop it");
    the right finding is DG105: float32 steps of 128 s cannot resolve it.
    """
    t = 1_700_000_000 + np.sort(rng(23).integers(0, 3600, N))
    report = run(pd.DataFrame({"t_s": t, "z": standard_normal(24)}))
    assert "DG103" not in codes(report)
    f = one(report, "DG105", "t_s")
    assert f.severity == Severity.WARNING
    assert f.evidence["float32_resolution"] == 128.0


# --- DG104 small-unit-feature ---------------------------------------------------------------


def test_dg104_fires_on_a_tiny_range_that_varies() -> None:
    frame = pd.DataFrame({"strain": rng(25).normal(0.0, 1e-4, N), "z": standard_normal(26)})
    report = run(frame)
    f = one(report, "DG104", "strain")
    assert f.severity == Severity.INFO
    assert f.evidence["robust_scale"] == pytest.approx(1e-4, rel=0.05)
    assert f.evidence["max_abs"] < 1e-2
    assert "DG103" not in codes(report)  # it varies meaningfully: rescale, don't drop


def test_dg104_quiet_on_small_spread_with_large_values() -> None:
    frame = pd.DataFrame({"x": rng(27).normal(0.05, 1e-4, N)})  # max |x| 0.05 > 0.01
    assert "DG104" not in codes(run(frame))


def test_dg104_quiet_on_a_unit_norm_column() -> None:
    x = rng(28).standard_normal(N)
    report = run(pd.DataFrame({"x": x / np.linalg.norm(x)}))  # spread 1/sqrt(N) = 0.014
    assert "DG104" not in codes(report)


# --- DG105 large-offset ---------------------------------------------------------------------


def test_dg105_info_when_float32_still_resolves_the_spread() -> None:
    # a small offset (DG101 is silent) that dominates a small spread
    frame = pd.DataFrame({"x": 5.0 + rng(29).normal(0.0, 1e-3, N)})
    f = one(run(frame), "DG105", "x")
    assert f.severity == Severity.INFO
    assert f.evidence["offset_ratio"] == pytest.approx(5e3, rel=0.05)
    assert f.evidence["float32_resolution"] == pytest.approx(2**-21)
    assert f.fix == {
        "transform": "center",
        "offset": pytest.approx(5.0, abs=1e-3),
        "dtype": "float64",
    }


def test_dg105_info_is_left_to_dg101_when_that_fires() -> None:
    # 1e5 +- 2: DG101 says standardize (which centers); float32 resolves it: no DG105
    frame = pd.DataFrame({"x": 1e5 + rng(29).normal(0.0, 2.0, N)})
    assert codes(run(frame), "x") == {"DG101"}


def test_dg105_warning_when_float32_cannot_resolve_the_spread() -> None:
    frame = pd.DataFrame({"x": 1e8 + rng(30).normal(0.0, 300.0, N)})
    f = one(run(frame), "DG105", "x")
    assert f.severity == Severity.WARNING
    assert f.evidence["float32_resolution"] == 8.0
    assert "float32 steps of 8" in f.message


def test_dg105_quiet_on_pressure_and_year() -> None:
    r = rng(31)
    frame = pd.DataFrame({"p": r.normal(1013.0, 10.0, N), "year": r.integers(1990, 2025, N)})
    assert "DG105" not in codes(run(frame))


# --- DG106 missing-values -------------------------------------------------------------------


def test_dg106_fires_on_five_percent_nulls_in_pandas() -> None:
    x = standard_normal(32)
    x[rng(33).choice(N, N // 20, replace=False)] = np.nan
    f = one(run(pd.DataFrame({"x": x})), "DG106", "x")
    assert f.severity == Severity.WARNING
    assert f.evidence["null_share"] == pytest.approx(0.05)
    assert f.evidence["n_null"] + f.evidence["n_nan"] == N // 20
    assert f.fix is not None
    assert f.fix["strategy"] == "median"
    assert f.fix["indicator"] is True


def test_dg106_counts_nan_and_null_apart_in_arrow() -> None:
    x = standard_normal(34).tolist()
    for i in range(0, 200, 2):
        x[i] = None
    for i in range(1, 200, 2):
        x[i] = float("nan")
    f = one(run(pa.table({"x": pa.array(x, pa.float64())})), "DG106", "x")
    assert (f.evidence["n_null"], f.evidence["n_nan"]) == (100, 100)
    assert f.evidence["null_share"] == pytest.approx(200 / N)
    assert "null and NaN" in f.message


def test_dg106_is_info_for_text_and_drops_rows_for_targets() -> None:
    r = rng(35)
    city = r.choice(["oslo", "lima", "pune"], N).astype(object)
    city[:250] = None
    y = standard_normal(36)
    y[:100] = np.nan
    report = run(pd.DataFrame({"city": city, "z": standard_normal(37), "y": y}), target="y")
    assert one(report, "DG106", "city").severity == Severity.INFO
    target = one(report, "DG106", "y")
    assert target.severity == Severity.WARNING
    assert target.fix == {"transform": "drop_rows", "where": "target is missing"}


def test_dg106_quiet_without_missing_values() -> None:
    assert "DG106" not in codes(run(healthy_frame()))


# --- DG107 non-finite -----------------------------------------------------------------------


def test_dg107_fires_on_positive_infinity() -> None:
    x = standard_normal(38)
    x[[5, 50, 500]] = np.inf
    x[7] = -np.inf
    f = one(run(pd.DataFrame({"speed": x})), "DG107", "speed")
    assert f.severity == Severity.ERROR
    assert (f.evidence["n_posinf"], f.evidence["n_neginf"]) == (3, 1)
    assert f.evidence["share"] == pytest.approx(4 / N)
    assert "+inf and -inf" in f.message


def test_dg107_quiet_on_huge_finite_values() -> None:
    x = standard_normal(39)
    x[3] = 1e15
    assert "DG107" not in codes(run(pd.DataFrame({"x": x})))


# --- DG108 outliers -------------------------------------------------------------------------


def test_dg108_fires_on_a_few_values_ten_thousand_times_the_bulk() -> None:
    x = rng(40).normal(10.0, 1.0, N)
    idx = rng(41).choice(N, N // 1000, replace=False)
    x[idx] *= 1e4  # 0.1% of values
    f = one(run(pd.DataFrame({"x": x, "z": standard_normal(42)})), "DG108", "x")
    assert f.evidence["beyond_fences_share"] == pytest.approx(0.001)
    assert f.evidence["max_abs_robust_z"] > 5e4
    assert f.evidence["median"] == pytest.approx(10.0, abs=0.1)
    assert f.fix is not None
    assert f.fix["transform"] == "clip"


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(rng(43).integers(0, 2, N), id="binary"),
        pytest.param((rng(44).random(N) < 0.002).astype(int), id="rare-binary"),
        pytest.param(rng(45).poisson(1.5, N), id="poisson-1.5"),
        pytest.param(rng(46).poisson(0.1, N), id="poisson-0.1"),
        pytest.param(rng(47).integers(0, 6, N), id="counts-0-5"),
        pytest.param(rng(48).standard_t(5, N), id="student-t5"),
        pytest.param(rng(49).lognormal(3.0, 1.0, N), id="lognormal-is-dg113s"),
    ],
)
def test_dg108_quiet_on_binary_small_counts_and_log_fixable_tails(column: np.ndarray) -> None:
    assert "DG108" not in codes(run(pd.DataFrame({"x": column})))


# --- DG113 skewed ---------------------------------------------------------------------------


def test_dg113_fires_on_a_lognormal_price() -> None:
    price = rng(50).lognormal(12.0, 1.0, N)
    report = run(pd.DataFrame({"price": price, "z": standard_normal(51)}))
    f = one(report, "DG113", "price")
    assert f.evidence["skewness"] > 2.0
    assert f.evidence["tail_ratio"] == pytest.approx(np.expm1(2.326), rel=0.15)  # e^z99 - 1
    assert f.evidence["median"] == pytest.approx(np.exp(12.0), rel=0.05)
    assert f.evidence["mass_at_min"] is False
    assert f.fix == {"transform": "log", "then": {"transform": "standardize"}}
    assert "DG108" not in codes(report)  # the log removes the far values


@pytest.mark.parametrize("rounded", [False, True], ids=["continuous", "integer-counted"])
def test_dg113_fires_on_zero_inflated_amounts_spanning_decades(rounded: bool) -> None:
    """Most rows 0, the rest lognormal over decades (capital gains): log1p is the fix."""
    r = rng(52)
    amount = np.where(r.random(N) < 0.2, r.lognormal(8.0, 1.2, N), 0.0)
    if rounded:
        amount = np.round(amount / 1000.0)  # in thousands: few levels, counted exactly
    f = one(run(pd.DataFrame({"gain": amount})), "DG113", "gain")
    assert f.evidence["mass_at_min"] is True
    assert f.evidence["tail_ratio"] > 8.0


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(standard_normal(53) + 5.0, id="normal"),
        pytest.param(rng(54).uniform(0.0, 100.0, N), id="uniform"),
        pytest.param(rng(55).poisson(0.1, N), id="rare-counts"),
        pytest.param(
            np.where(rng(56).random(N) < 0.25, rng(57).integers(1, 17, N), 0),
            id="mostly-zero-pixels-0-16",
        ),
    ],
)
def test_dg113_quiet_without_a_tail_a_log_fixes(column: np.ndarray) -> None:
    """Regression for the zero-inflated ones: digits pixels (0..16, mostly 0) and rare
    counts are skewed by moments, but their non-zero part has no long tail."""
    assert "DG113" not in codes(run(pd.DataFrame({"x": column})))


def test_dg113_quiet_on_negative_values() -> None:
    x = rng(58).lognormal(0.0, 1.0, N) - 3.0  # skewed, but not a positive magnitude
    assert "DG113" not in codes(run(pd.DataFrame({"x": x})))


# --- DG114 id-like --------------------------------------------------------------------------


def test_dg114_fires_on_a_row_counter() -> None:
    frame = pd.DataFrame({"row": np.arange(N), "z": standard_normal(59)})
    f = one(run(frame), "DG114", "row")
    assert (f.evidence["min"], f.evidence["max"]) == (0, N - 1)
    assert f.evidence["strictly_increasing"] is True
    assert f.fix == {"transform": "drop", "role": "key"}


def test_dg114_fires_on_a_counter_without_an_id_name() -> None:
    frame = pd.DataFrame({"seq": 1000 + np.arange(N), "z": standard_normal(60)})
    f = one(run(frame), "DG114", "seq")
    assert f.evidence["name_hint"] is False
    assert "row counter" in f.message


def test_dg114_silent_on_a_time_index() -> None:
    # a yearly series (statsmodels' nile: year 1871..1970): the index orders the rows
    frame = pd.DataFrame(
        {"year": 1871 + np.arange(N), "frame": np.arange(N), "z": standard_normal(62)}
    )
    assert not codes(run(frame)) & {"DG114"}


def test_dg119_float_zero_one_labels_are_only_info() -> None:
    # statsmodels' spector GRADE: 0.0/1.0 floats, what BCEWithLogitsLoss takes
    frame = healthy_frame()
    frame["y"] = (rng(63).random(N) < 0.4).astype(float)
    f = one(run(frame, target="y"), "DG119", "y")
    assert f.severity == Severity.INFO
    frame["y"] = frame["y"] * 2 + 1  # {1.0, 3.0}: wrong for every loss
    assert one(run(frame, target="y"), "DG119", "y").severity == Severity.WARNING


def test_dg114_fires_on_shuffled_unique_integers_named_like_an_id() -> None:
    ids = rng(61).choice(10**7, N, replace=False)
    f = one(run(pd.DataFrame({"customerId": ids})), "DG114", "customerId")
    assert f.evidence["name_hint"] is True
    assert "named like an identifier" in f.message


def test_dg114_fires_on_unique_text_keys() -> None:
    keys = [f"K{v:08x}" for v in rng(62).choice(16**7, N, replace=False)]
    f = one(run(pd.DataFrame({"order": keys, "z": standard_normal(63)})), "DG114", "order")
    assert f.evidence["n_distinct"] == N
    assert "DG116" not in codes(run(pd.DataFrame({"order": keys})))


@pytest.mark.parametrize("name", ["amount_paid", "humid", "is_valid", "amountPaid"])
def test_dg114_quiet_on_unique_integers_named_like_words_ending_in_id(name: str) -> None:
    """Regression: names ending in "id" ("paid", "humid") are not identifiers."""
    cents = rng(64).choice(10**8, N, replace=False)
    assert "DG114" not in codes(run(pd.DataFrame({name: cents})))


def test_dg114_quiet_on_sorted_repeated_values_and_shuffled_unnamed_integers() -> None:
    r = rng(65)
    frame = pd.DataFrame(
        {
            "age": np.sort(r.integers(18, 90, N)),  # increasing, but not strictly
            "x": r.permutation(N),  # unique, but neither a counter nor named like an id
        }
    )
    assert "DG114" not in codes(run(frame))


# --- DG115 numeric-categorical --------------------------------------------------------------


def test_dg115_fires_on_an_integer_code_named_like_one() -> None:
    zone = rng(66).choice([1, 2, 3, 5, 8], N)
    f = one(run(pd.DataFrame({"zone_code": zone})), "DG115", "zone_code")
    assert f.severity == Severity.INFO
    assert f.evidence["levels"] == [1, 2, 3, 5, 8]
    assert f.evidence["name_hint"] is True
    assert f.fix == {"transform": "one_hot", "levels": [1, 2, 3, 5, 8]}


def test_dg115_fires_on_gappy_unnamed_levels() -> None:
    f = one(run(pd.DataFrame({"x": rng(67).choice([10, 20, 30, 40], N)})), "DG115", "x")
    assert f.evidence["name_hint"] is False
    assert f.evidence["n_distinct"] == 4


@pytest.mark.parametrize(
    "column",
    [
        pytest.param(rng(68).integers(0, 6, N), id="contiguous-counts"),
        pytest.param(rng(69).integers(0, 2, N), id="binary"),
        pytest.param(rng(70).integers(1990, 2025, N), id="35-years"),
    ],
)
def test_dg115_quiet_on_counts_binary_and_many_levels(column: np.ndarray) -> None:
    assert "DG115" not in codes(run(pd.DataFrame({"x": column})))


def test_dg115_quiet_when_levels_do_not_repeat() -> None:
    """Regression: 17 distinct counts in 20 rows (linnerud's jumps) are not codes."""
    r = rng(88)
    few = pd.DataFrame({"zone_code": r.choice([1, 2, 3, 5, 8], 20, p=[0.6, 0.1, 0.1, 0.1, 0.1])})
    assert few["zone_code"].nunique() == 5
    assert "DG115" not in codes(run(few))  # 20 rows < 5 per level x 5 levels
    enough = pd.DataFrame({"zone_code": r.choice([1, 2, 3, 5, 8], 25)})
    assert "DG115" in codes(run(enough))


# --- DG116 high-cardinality -----------------------------------------------------------------


def test_dg116_fires_on_a_text_column_with_hundreds_of_levels() -> None:
    r = rng(71)
    cities = np.array([f"city_{i:03d}" for i in range(300)])
    weights = 1.0 / np.arange(1, 301)
    city = cities[r.choice(300, N, p=weights / weights.sum())]
    f = one(run(pd.DataFrame({"city": city})), "DG116", "city")
    assert f.evidence["n_distinct"] == len(set(city))
    assert f.evidence["n_distinct"] > 250
    assert f.evidence["exact"] is True
    assert f.evidence["limit"] == 100
    assert f.evidence["top"][0][0] == "city_000"


def test_dg116_quiet_on_numbers_stored_as_text_with_blank_codes() -> None:
    """Regression: 3,800 distinct amounts stored as text (blanks for new customers) are
    DG125's numbers to convert, not levels to embed."""
    r = rng(91)
    amounts = [f"{v:.2f}" for v in r.uniform(20.0, 8000.0, N)]
    for i in r.choice(N, N // 50, replace=False):
        amounts[i] = " "
    report = run(pa.table({"total_charges": pa.array(amounts, pa.string())}))
    assert one(report, "DG125", "total_charges").severity == Severity.WARNING
    assert "DG116" not in codes(report)


def test_dg116_quiet_on_fifty_levels() -> None:
    levels = np.array([f"l{i}" for i in range(50)])
    assert "DG116" not in codes(run(pd.DataFrame({"c": levels[rng(72).integers(0, 50, N)]})))


# --- DG117 target-scale ---------------------------------------------------------------------


@pytest.mark.parametrize("task", ["regression", "auto"])
def test_dg117_fires_on_a_0_to_255_target(task: str) -> None:
    frame = healthy_frame()
    frame["y"] = rng(73).integers(0, 256, N)
    report = run(frame, target="y", task=task)
    assert report.tasks == {"y": "regression"}
    f = one(report, "DG117", "y")
    assert (f.evidence["min"], f.evidence["max"]) == (0, 255)
    assert f.evidence["robust_scale"] == pytest.approx(128 / 1.349, rel=0.05)
    assert f.fix is not None
    assert f.fix["target"] is True
    assert f.fix["scale"] == pytest.approx(frame["y"].std(ddof=0))
    assert "explode" in f.message
    assert codes(report, "y") == {"DG117"}


def test_dg117_fires_on_a_tiny_target() -> None:
    frame = healthy_frame()
    frame["y"] = rng(74).normal(0.0, 1e-3, N)
    f = one(run(frame, target="y"), "DG117", "y")
    assert f.evidence["robust_scale"] == pytest.approx(1e-3, rel=0.05)
    assert "vanish" in f.message


def test_dg117_quiet_on_a_standardized_target_and_on_classification() -> None:
    frame = healthy_frame()
    frame["t"] = standard_normal(75)
    assert "DG117" not in codes(run(frame, target="t", task="regression"))
    assert "DG117" not in codes(run(frame, target="y"))  # 0..2 classes: classification


@pytest.mark.parametrize(
    ("n_rows", "levels", "task"),
    [(40, 16, "regression"), (80, 16, "classification"), (40, 3, "classification")],
)
def test_auto_task_needs_labels_that_repeat(n_rows: int, levels: int, task: str) -> None:
    """Regression: on few rows every whole-number measurement has few levels; auto takes a
    target for classes only with at least 5 rows per level on average."""
    y = 140 + np.arange(n_rows) % levels
    frame = pd.DataFrame({"x": standard_normal(90, n_rows), "y": y})
    report = run(frame, target="y")
    assert report.tasks == {"y": task}
    assert ("DG119" in codes(report)) == (task == "classification")  # labels 140.., not 0..C-1


# --- DG118 class-imbalance ------------------------------------------------------------------


def test_dg118_fires_on_a_97_3_split() -> None:
    frame = healthy_frame()
    frame["y"] = rng(76).permutation(np.r_[np.zeros(N - 150), np.ones(150)]).astype(int)
    f = one(run(frame, target="y"), "DG118", "y")
    assert f.evidence["minority"] == 1
    assert f.evidence["minority_share"] == pytest.approx(0.03)
    assert f.evidence["majority_share"] == pytest.approx(0.97)
    assert f.evidence["ratio"] == pytest.approx(150 / 4850)
    assert f.fix is not None
    assert f.fix["weights"]["1"] == pytest.approx(N / (2 * 150))


def test_dg118_quiet_on_an_80_20_split() -> None:
    frame = healthy_frame()
    frame["y"] = (np.arange(N) % 5 == 0).astype(int)
    assert "DG118" not in codes(run(frame, target="y"))


# --- DG119 label-encoding -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "problem", "mapping"),
    [
        (np.array([1, 2, 3]), "labels are {1, 2, 3}, not 0..2", {"1": 0, "2": 1, "3": 2}),
        (np.array([-1, 1]), "labels are {-1, 1}, not 0..1", {"-1": 0, "1": 1}),
        (np.array([0.0, 1.0]), "labels are stored as double", {"0.0": 0, "1.0": 1}),
        (np.array(["no", "yes"], dtype=object), "labels are text", {"no": 0, "yes": 1}),
    ],
)
def test_dg119_fires_on_labels_not_0_to_c_minus_1(
    labels: np.ndarray, problem: str, mapping: dict[str, int]
) -> None:
    frame = healthy_frame()
    frame["y"] = labels[np.arange(N) % labels.size]
    f = one(run(frame, target="y"), "DG119", "y")
    assert problem in f.message
    assert f.evidence["n_classes"] == labels.size
    assert f.fix == {"transform": "label_encode", "mapping": mapping}


@pytest.mark.parametrize(
    "labels",
    [
        pytest.param(np.arange(N) % 4, id="0..3"),
        pytest.param(np.arange(N) % 2 == 0, id="bool"),
    ],
)
def test_dg119_quiet_on_0_to_c_minus_1_and_bool(labels: np.ndarray) -> None:
    frame = healthy_frame()
    frame["y"] = labels
    report = run(frame, target="y")
    assert report.tasks == {"y": "classification"}
    assert "DG119" not in codes(report)


# --- DG120 duplicates -----------------------------------------------------------------------


def test_dg120_fires_on_duplicate_rows() -> None:
    frame = healthy_frame(n=4000)
    frame = pd.concat([frame, frame.iloc[:100]], ignore_index=True)
    f = one(run(frame, target="y"), "DG120")
    assert f.columns == ()
    assert f.evidence["duplicate_rows"] == 100
    assert f.evidence["exact"] is True
    assert f.evidence["share"] == pytest.approx(100 / 4100)


def test_dg120_fires_on_identical_columns() -> None:
    frame = healthy_frame()
    frame["f0_copy"] = frame["f0"]
    f = one(run(frame, target="y"), "DG120", "f0_copy")
    assert f.columns == ("f0", "f0_copy")
    assert f.fix == {"transform": "drop", "columns": ["f0_copy"]}


def test_dg120_quiet_on_distinct_rows_and_columns() -> None:
    frame = healthy_frame()
    frame["f0_scaled"] = frame["f0"] * 2.0  # related, not identical
    assert "DG120" not in codes(run(frame, target="y"))


# --- DG123 unprofiled-type ------------------------------------------------------------------


def test_dg123_fires_on_timestamps_and_lists() -> None:
    table = pa.table(
        {
            "when": pa.array(pd.date_range("2024-01-01", periods=N, freq="min")),
            "tags": pa.array([[1, 2]] * N, pa.list_(pa.int64())),
            "z": standard_normal(77),
        }
    )
    report = run(table)
    when = one(report, "DG123", "when")
    assert when.severity == Severity.INFO
    assert when.evidence["dtype"].startswith("timestamp")
    assert str(when.evidence["min"]).startswith("2024-01-01")
    tags = one(report, "DG123", "tags")
    assert tags.evidence["dtype"] == "list<item: int64>"


def test_dg123_quiet_on_numbers_and_text() -> None:
    frame = healthy_frame()
    frame["city"] = np.array(["a", "b", "c"])[np.arange(N) % 3]
    assert "DG123" not in codes(run(frame, target="y"))


# --- DG124 too-few-values -------------------------------------------------------------------


def test_dg124_fires_on_a_column_with_ten_values() -> None:
    x = np.full(N, np.nan)
    x[:10] = rng(78).standard_normal(10) * 1000.0
    report = run(pd.DataFrame({"rare": x, "z": standard_normal(79)}))
    f = one(report, "DG124", "rare")
    assert f.evidence == {"n_valid": 10, "min_values": 20}
    # It is not judged by the value rules, only reported as missing.
    assert codes(report, "rare") == {"DG106", "DG124"}
    # Ten values are nothing to impute a median from (regression: the fix said impute).
    assert one(report, "DG106", "rare").fix == {"transform": "drop"}


def test_dg124_quiet_with_enough_values() -> None:
    x = np.full(N, np.nan)
    x[:25] = rng(80).standard_normal(25)
    assert "DG124" not in codes(run(pd.DataFrame({"x": x})))


# --- DG125 mixed-types ----------------------------------------------------------------------


def test_dg125_fires_on_numbers_mixed_with_text_codes() -> None:
    r = rng(81)
    values = np.round(r.normal(50.0, 10.0, N), 1).astype(str).astype(object)
    values[r.choice(N, N // 10, replace=False)] = "n/a"
    f = one(run(pa.table({"reading": pa.array(values, pa.string())})), "DG125", "reading")
    assert f.severity == Severity.WARNING
    assert f.evidence["numeric_share"] == pytest.approx(0.9)
    assert f.fix == {"transform": "to_numeric", "errors": "missing"}


def test_dg125_info_on_numbers_stored_as_text() -> None:
    zips = np.array([f"{v:05d}" for v in rng(82).integers(0, 99999, N)], dtype=object)
    f = one(run(pd.DataFrame({"zip": zips})), "DG125", "zip")
    assert f.severity == Severity.INFO
    assert f.evidence["numeric_share"] == 1.0


def test_dg125_quiet_on_plain_text() -> None:
    words = np.array(["red", "green", "blue", "3rd"])[rng(83).integers(0, 4, N)]
    assert "DG125" not in codes(run(pd.DataFrame({"colour": words})))


# --- target routing -------------------------------------------------------------------------


def test_target_rules_apply_only_to_targets() -> None:
    r = rng(84)
    frame = healthy_frame()
    frame["pixel"] = r.integers(0, 256, N)  # the DG117 shape, as an input
    frame["rare"] = (r.random(N) < 0.03).astype(int)  # the DG118 shape, as an input
    frame["grade"] = r.choice([1, 2, 3], N)  # the DG119 shape, as an input
    report = run(frame, target="y")
    assert not codes(report) & {"DG117", "DG118", "DG119"}
    assert "DG101" in codes(report, "pixel")  # an input: judged as one


def test_input_rules_do_not_apply_to_targets() -> None:
    r = rng(85)
    frame = healthy_frame()
    frame["y"] = np.arange(N)  # a row counter, far from unit scale
    frame["label"] = np.where(r.random(N) < 0.5, "cat", "dog").astype(object)
    report = run(frame, target=["y", "label"], task="auto")
    assert report.tasks == {"y": "regression", "label": "classification"}
    assert codes(report, "y") == {"DG117"}
    assert codes(report, "label") == {"DG119"}  # text labels, but no DG116/DG114/DG125
    # The same columns as inputs get the input findings.
    as_inputs = run(frame)
    assert codes(as_inputs, "y") == {"DG114"}  # an identifier: drop it, not scale it
    assert not codes(as_inputs) & {"DG117", "DG118", "DG119"}


def test_findings_are_ordered_most_severe_first() -> None:
    x = standard_normal(86)
    x[0] = np.inf
    frame = pd.DataFrame({"x": x, "big": rng(87).normal(500.0, 100.0, N), "c": np.zeros(N)})
    report = run(frame)
    severities = [f.severity for f in report.findings]
    assert severities == sorted(severities, reverse=True)
    assert report.findings[0].code == "DG107"
    assert all(f.message.endswith(f"({f.code})") for f in report.findings)
