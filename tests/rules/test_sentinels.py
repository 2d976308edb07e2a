"""DG109 sentinel-values and DG111 encoding-gap: where they fire (evidence numbers checked)
and the look-alikes where they must stay quiet. Synthetic data, fixed seeds; the 400,000-row
cases exceed the row sample (about 131,000 rows), so the values are judged on the sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dataguard import Severity

from ._helpers import N, codes, findings_of, one, run

#: Rows of the frames that exceed the row sample.
BIG = 400_000


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def with_code(x: np.ndarray, code: float, share: float, seed: int) -> np.ndarray:
    """``x`` (as float) with a random ``share`` of its rows replaced by ``code``."""
    out = x.astype(float)
    out[rng(seed).random(out.size) < share] = code
    return out


def hhmm(minutes: np.ndarray) -> np.ndarray:
    """Minutes since midnight as HHMM integers (545 = 05:45)."""
    return (minutes // 60) * 100 + minutes % 60


def yyyymmdd(start: str, days: np.ndarray) -> np.ndarray:
    dates = pd.Timestamp(start) + pd.to_timedelta(days, unit="D")
    return np.asarray(dates.strftime("%Y%m%d").astype(np.int64))


# --- DG109 sentinel-values ------------------------------------------------------------------


def test_dg109_fires_on_minus_999_in_ages() -> None:
    age = rng(1).integers(18, 90, N).astype(float)
    age[:100] = -999.0
    frame = pd.DataFrame({"age": age, "z": rng(2).standard_normal(N)})
    report = run(frame)
    f = one(report, "DG109", "age")
    assert f.severity == Severity.WARNING
    assert f.category == "discontinuity"
    assert f.reason == (3,)
    ev = f.evidence
    assert ev["values"] == [-999.0]
    assert ev["counts"] == [100]
    assert ev["shares"] == [pytest.approx(0.02)]
    assert ev["share"] == pytest.approx(0.02)
    assert ev["exact"] is True
    assert ev["sample_size"] == N  # every value judged
    assert ev["bulk_range"] == [18.0, 89.0]  # q01..q99 without -999: the ages' range
    assert 50 <= ev["bulk_median"] <= 56
    # (18 + 999) / (IQR ~ 36 / 1.349)
    assert ev["distance_robust_std"][0] == pytest.approx(1017 / ev["bulk_robust_scale"])
    assert 30 < ev["distance_robust_std"][0] < 45
    assert ev["sign_break"] == [False]
    assert ev["codes"] == ["negative code"]
    assert f.fix == {"transform": "sentinel_to_missing", "values": [-999.0], "indicator": True}
    assert "-999 on 2.00% of rows" in f.message
    assert "[18, 89]" in f.message
    assert "estimated" not in f.message
    assert "DG109" not in codes(report, "z")


@pytest.mark.parametrize(
    ("code", "share", "dtype", "sign_break"),
    [
        (-999, 0.005, np.float64, False),
        (-99, 0.02, np.int32, True),
        (9999, 0.10, np.int64, False),
        (99999, 0.01, np.float32, False),
        (2147483647, 0.01, np.int64, False),
        (-9, 0.05, np.int16, True),
    ],
)
def test_dg109_fires_for_other_codes_shares_and_dtypes(
    code: int, share: float, dtype: type, sign_break: bool
) -> None:
    """Weights of 50..400 (median 148, robust std about 60) with a code on 0.5%..10% of
    rows, stored as ints and floats. -99 and -9 lie within 3 robust std of the bulk's q01
    (58) but below non-negative values: sign breaks."""
    weight = np.round(rng(3).lognormal(5.0, 0.4, 20_000))
    x = with_code(weight, code, share, seed=4).astype(dtype)
    f = one(run(pd.DataFrame({"weight": x})), "DG109", "weight")
    ev = f.evidence
    assert ev["values"] == [float(code)]
    assert ev["share"] == pytest.approx(share, rel=0.3)
    assert ev["counts"][0] == round(ev["share"] * 20_000)
    assert ev["sign_break"] == [sign_break]
    assert (ev["distance_robust_std"][0] < 3) == sign_break
    assert ev["bulk_range"][0] == pytest.approx(58, abs=3)
    assert ev["bulk_robust_scale"] == pytest.approx(60, rel=0.1)
    assert f.fix == {"transform": "sentinel_to_missing", "values": [float(code)], "indicator": True}


def test_dg109_names_the_dtype_extreme() -> None:
    """int32 max as "not recorded" in a count stored as int64; uint8 255 in a percentage."""
    r = rng(5)
    visits = with_code(r.poisson(40, N), 2147483647, 0.01, seed=6).astype(np.int64)
    pct = with_code(r.integers(0, 101, N), 255, 0.02, seed=7).astype(np.uint8)
    report = run(pd.DataFrame({"visits": visits, "pct": pct}))
    assert one(report, "DG109", "visits").evidence["codes"] == ["int32 max"]
    f = one(report, "DG109", "pct")
    assert f.evidence["codes"] == ["uint8 max"]
    assert f.evidence["bulk_range"] == [1.0, 100.0]
    assert f.evidence["distance_robust_std"][0] == pytest.approx(4.1, abs=0.3)


def test_dg109_fires_on_a_negative_code_beside_non_negative_values() -> None:
    """-1 lies close to amounts of 0..200 in value, but they are never negative: a sign
    break, reported as such, with a distance below the far-outside threshold."""
    amount = with_code(np.abs(rng(8).normal(50.0, 25.0, N)), -1.0, 0.03, seed=9)
    f = one(run(pd.DataFrame({"amount": amount})), "DG109", "amount")
    assert f.evidence["values"] == [-1.0]
    assert f.evidence["sign_break"] == [True]
    assert f.evidence["distance_robust_std"][0] < 3
    assert "negative below otherwise non-negative values" in f.message


def test_dg109_lists_several_codes_in_one_finding() -> None:
    """-1 ("not applicable") and -999 ("missing") in ages; 998 and 999 side by side."""
    r = rng(10)
    age = with_code(with_code(r.integers(18, 90, N), -1, 0.03, seed=11), -999, 0.02, seed=12)
    survey = with_code(with_code(r.integers(18, 90, N), 998, 0.03, seed=13), 999, 0.02, seed=14)
    report = run(pd.DataFrame({"age": age, "survey": survey}))
    f = one(report, "DG109", "age")
    assert f.evidence["values"] == [-999.0, -1.0]
    assert f.evidence["sign_break"] == [False, True]
    assert f.evidence["share"] == pytest.approx(sum(f.evidence["shares"]))
    assert "together" in f.message
    g = one(report, "DG109", "survey")
    assert g.evidence["values"] == [998.0, 999.0]
    assert g.evidence["codes"] == ["nines code", "all nines"]


def test_dg109_estimates_on_the_row_sample_for_a_large_table() -> None:
    """400,000 rows of continuous values: the counts come from the row sample."""
    x = with_code(rng(15).normal(100.0, 15.0, BIG), -999.0, 0.005, seed=16)
    report = run(pd.DataFrame({"pressure": x}))
    f = one(report, "DG109", "pressure")
    ev = f.evidence
    assert ev["exact"] is False
    assert 100_000 < ev["sample_size"] < 140_000
    assert ev["share"] == pytest.approx(0.005, rel=0.15)
    assert ev["counts"][0] == pytest.approx(0.005 * BIG, rel=0.15)
    assert ev["bulk_range"] == [pytest.approx(65.1, abs=1.0), pytest.approx(134.9, abs=1.0)]
    assert ev["distance_robust_std"][0] == pytest.approx(71.0, rel=0.05)
    assert "(estimated on the row sample)" in f.message
    # the same code also crosses DG108's far-out fences
    assert one(report, "DG108", "pressure").evidence["max_abs_robust_z"] > 50


def _lognormal_price(n: int = N) -> np.ndarray:
    return rng(20).lognormal(3.0, 1.0, n)


def _silent_cases() -> dict[str, np.ndarray]:
    r = rng(21)
    ratings = r.choice([1, 2, 3, 4, 5], N, p=[0.05, 0.1, 0.15, 0.3, 0.4])
    mode_inside = r.normal(50.0, 10.0, N)
    mode_inside[r.random(N) < 0.1] = 50.0
    return {
        "lognormal_price": _lognormal_price(),
        "zero_inflated_amount": np.where(r.random(N) < 0.4, 0.0, r.lognormal(3.0, 1.0, N)),
        "zero_inflated_fee": np.where(r.random(N) < 0.3, 0.0, r.normal(1000.0, 30.0, N)),
        "binary": r.integers(0, 2, N).astype(float),
        "binary_pm1": r.choice([-1, 1], N),
        "small_counts": np.minimum(r.poisson(3, N), 10),
        "codes_0_10": r.integers(0, 11, N),
        "mode_inside_bulk": mode_inside,
        "ratings_many_5": ratings,
        "likert_centred": r.choice([-2, -1, 0, 1, 2], N),
        "ternary": r.choice([-1, 0, 1], N),
        "integer_temperature": np.round(r.normal(12.0, 8.0, N)),
        "income_top_coded": np.minimum(np.round(r.lognormal(11.0, 0.6, N)), 150_000),
        "saturated_pixels": np.clip(r.normal(128.0, 60.0, N), 0, 255).astype(np.uint8),
        "heavy_tail_t2": r.standard_t(2, N),
        "discrete_tail": np.minimum(r.geometric(0.02, N), 5000),
        # documented silences: 99 right above ages up to 89, -1 right beside many zeros
        "age_99": with_code(r.integers(18, 90, N), 99, 0.03, seed=22),
        "count_0_50_minus_1": with_code(r.integers(0, 51, N), -1, 0.03, seed=23),
    }


@pytest.mark.parametrize("case", sorted(_silent_cases()))
def test_dg109_silent_on_look_alikes(case: str) -> None:
    x = _silent_cases()[case]
    assert "DG109" not in codes(run(pd.DataFrame({case: x})))


def test_dg109_silent_on_a_large_long_tailed_price_in_cents() -> None:
    """400,000 prices rounded to cents: values repeat, none as a lone spike."""
    price = np.round(rng(24).lognormal(3.0, 1.0, BIG), 2)
    report = run(pd.DataFrame({"price": price}))
    assert "DG109" not in codes(report)
    assert "DG113" in codes(report)  # the tail is DG113's


def test_dg109_not_on_targets_and_threshold_override() -> None:
    age = with_code(rng(25).integers(18, 90, N), 9999, 0.02, seed=26)
    frame = pd.DataFrame({"age": age, "y": age})
    report = run(frame, target="y")
    assert {f.columns for f in findings_of(report, "DG109")} == {("age",)}
    # far outside means sentinel_min_z robust std; 9999 is about 360 robust std out
    assert one(report, "DG109", "age").evidence["distance_robust_std"][0] > 300
    assert "DG109" not in codes(run(frame, thresholds={"sentinel_min_z": 500}))
    assert "DG109" not in codes(run(frame, thresholds={"sentinel_min_share": 0.05}))
    assert "DG109" not in codes(run(frame, thresholds={"sentinel_min_count": 500}))


# --- DG111 encoding-gap ---------------------------------------------------------------------


def test_dg111_fires_on_hhmm_departure_times() -> None:
    minutes = rng(30).integers(0, 1440, N)
    frame = pd.DataFrame({"dep_time": hhmm(minutes), "z": rng(31).standard_normal(N)})
    report = run(frame)
    f = one(report, "DG111", "dep_time")
    assert f.severity == Severity.WARNING
    assert f.category == "discontinuity"
    ev = f.evidence
    assert ev["encoding"] == "HHMM"
    assert ev["impossible_share"] == 0.0
    assert ev["coverage"] == {"hours": 24, "minutes": 60}
    assert ev["coverage_of"] == {"hours": 24, "minutes": 60}
    assert ev["min"] == 0.0
    assert ev["max"] == 2359.0
    assert ev["exact"] is True  # 1,4xx distinct values, but the sample holds every row
    assert ev["sample_size"] == N
    assert ev["sentinels_excluded"] == []
    assert f.fix == {
        "transform": "hhmm_to_minutes",
        "then": {"transform": "cyclic", "period": 1440},
    }
    assert "24 of 24 hours, 60 of 60 minutes" in f.message
    assert "12:59 -> 13:00" in f.message
    assert "DG111" not in codes(report, "z")


def test_dg111_fires_on_hhmm_stored_as_float_on_the_row_sample() -> None:
    minutes = rng(32).integers(300, 1440, BIG)
    f = one(run(pd.DataFrame({"arr": hhmm(minutes).astype(float)})), "DG111", "arr")
    ev = f.evidence
    assert ev["encoding"] == "HHMM"
    assert ev["exact"] is False
    assert 100_000 < ev["sample_size"] < 140_000
    assert ev["coverage"] == {"hours": 19, "minutes": 60}
    assert ev["min"] == 500.0
    assert "in the row sample" in f.message


def test_dg111_fires_on_a_quarter_hour_schedule() -> None:
    """Departures at :00, :15, :30, :45 between 05:00 and 22:45: four minute values over
    18 hours are enough (a grid of multiples of 15 would show 60, 75 and 90)."""
    r = rng(33)
    x = r.integers(5, 23, N) * 100 + r.choice([0, 15, 30, 45], N)
    f = one(run(pd.DataFrame({"sched": x})), "DG111", "sched")
    assert f.evidence["coverage"] == {"hours": 18, "minutes": 4}
    assert f.evidence["min"] == 500.0


def test_dg111_silent_on_sparser_schedules() -> None:
    """Half-hourly {:00, :30} and hourly schedules: with under four minute values, the
    low digits cannot be told from multiples of 50 or 100 (documented)."""
    r = rng(34)
    frame = pd.DataFrame(
        {
            "half": r.integers(5, 23, N) * 100 + r.choice([0, 30], N),
            "hourly": r.integers(0, 24, N) * 100,
        }
    )
    assert "DG111" not in codes(run(frame))


def test_dg111_fires_on_hhmmss() -> None:
    sec = rng(35).integers(0, 86_400, 20_000)
    x = (sec // 3600) * 10_000 + (sec % 3600) // 60 * 100 + sec % 60
    f = one(run(pd.DataFrame({"t": x})), "DG111", "t")
    assert f.evidence["encoding"] == "HHMMSS"
    assert f.evidence["coverage"] == {"hours": 24, "minutes": 60, "seconds": 60}
    assert f.fix == {
        "transform": "hhmmss_to_seconds",
        "then": {"transform": "cyclic", "period": 86400},
    }


def test_dg111_fires_on_yyyymmdd_over_one_year() -> None:
    x = yyyymmdd("2024-01-01", rng(36).integers(0, 366, N))
    f = one(run(pd.DataFrame({"date": x})), "DG111", "date")
    ev = f.evidence
    assert ev["encoding"] == "YYYYMMDD"
    assert ev["coverage"] == {"years": 1, "months": 12, "days": 31}
    assert ev["coverage_of"] == {"months": 12, "days": 31}
    assert (ev["min"], ev["max"]) == (20240101.0, 20241231.0)
    assert f.fix == {"transform": "yyyymmdd_to_days", "epoch": "1970-01-01"}
    assert "20240101 to 20241231" in f.message


def test_dg111_fires_on_yyyymmdd_over_twenty_years_on_the_row_sample() -> None:
    x = yyyymmdd("2000-01-01", rng(37).integers(0, 7305, BIG)).astype(float)
    f = one(run(pd.DataFrame({"day": x})), "DG111", "day")
    assert f.evidence["encoding"] == "YYYYMMDD"
    assert f.evidence["exact"] is False
    assert f.evidence["coverage"] == {"years": 20, "months": 12, "days": 31}


def test_dg111_fires_on_yyyymm_and_monthly_snapshots() -> None:
    r = rng(38)
    frame = pd.DataFrame(
        {
            "period": r.integers(2000, 2024, N) * 100 + r.integers(1, 13, N),
            "snapshot": r.integers(2000, 2024, N) * 10_000 + r.integers(1, 13, N) * 100 + 1,
        }
    )
    report = run(frame)
    f = one(report, "DG111", "period")
    assert f.evidence["encoding"] == "YYYYMM"
    assert f.evidence["coverage"] == {"years": 24, "months": 12}
    assert f.fix == {"transform": "yyyymm_to_months", "epoch": "1970-01"}
    g = one(report, "DG111", "snapshot")  # the first of each month: jumps at new year
    assert g.evidence["coverage"] == {"years": 24, "months": 12, "days": 1}


def test_dg111_judges_the_column_without_its_sentinel() -> None:
    """9999 for "no departure" is DG109's; DG111 still reads the rest as HHMM."""
    x = with_code(hhmm(rng(39).integers(0, 1440, N)), 9999, 0.03, seed=40)
    report = run(pd.DataFrame({"dep": x}))
    assert one(report, "DG109", "dep").evidence["values"] == [9999.0]
    f = one(report, "DG111", "dep")
    assert f.evidence["sentinels_excluded"] == [9999.0]
    assert f.evidence["max"] == 2359.0


def _dg111_silent_cases() -> dict[str, np.ndarray]:
    r = rng(41)
    return {
        "uniform_0_2359": r.integers(0, 2360, N),
        "years_1900_2024": r.integers(1900, 2025, N),
        "years_1990_2024": r.integers(1990, 2025, N),
        "years_2000_2024": r.integers(2000, 2025, N),  # valid HHMM, but all hour 20
        "small_counts": r.poisson(3, N),
        "counts_0_59": r.integers(0, 60, N),
        "counts_with_outliers": np.concatenate([r.poisson(20, N - 3), [1005, 1120, 2210]]),
        "multiples_of_50": r.integers(0, 47, N) * 50,
        "multiples_of_25": r.integers(0, 94, N) * 25,
        "geometric_counts": np.minimum(r.geometric(0.02, N), 2359),
        "yearly_snapshots": r.integers(2000, 2024, N) * 10_000 + 101,
        "one_month_of_dates": yyyymmdd("2024-03-01", r.integers(0, 28, N)),
        "ids_8_digits": r.integers(10_000_000, 99_999_999, N),
        "ids_6_digits": r.integers(190_001, 210_012, N),
        "float_times": r.integers(0, 1440, N) / 60.0,  # hours as fractions: not integral
    }


@pytest.mark.parametrize("case", sorted(_dg111_silent_cases()))
def test_dg111_silent_on_look_alikes(case: str) -> None:
    x = _dg111_silent_cases()[case]
    assert "DG111" not in codes(run(pd.DataFrame({case: x})))


def test_dg111_threshold_override() -> None:
    """Requiring minute spread beyond four values silences the quarter-hour schedule."""
    r = rng(42)
    x = r.integers(5, 23, N) * 100 + r.choice([0, 15, 30, 45], N)
    frame = pd.DataFrame({"sched": x})
    assert "DG111" not in codes(run(frame, thresholds={"encoding_min_minutes": 5}))
    assert "DG111" not in codes(run(frame, thresholds={"encoding_min_hours": 20}))


def test_dg109_silent_on_a_repeated_ordinary_value_in_a_long_tail() -> None:
    # statsmodels' anes96 'popul': the population (thousands) of each respondent's place;
    # the largest city, 7,300, repeats for every respondent there (2%). A real value.
    rng = np.random.default_rng(13)
    popul = np.round(rng.lognormal(3.0, 1.5, 5000)).clip(0, 2800)
    popul[rng.choice(5000, 100, replace=False)] = 7300.0
    assert "DG109" not in codes(run(pd.DataFrame({"popul": popul})))
