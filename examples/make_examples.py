"""Write small, realistic example datasets on which dataguard's rules fire.

Usage::

    python examples/make_examples.py [FOLDER]      # default: examples/data/ beside this file

numpy and pyarrow only, one fixed seed: the files are the same on every run. Each dataset
has a few thousand rows; together they take well under 2 MB. Profile one with its target::

    dataguard profile examples/data/house_prices.parquet --target price

The datasets, and the codes each triggers (``tests/test_examples.py`` checks the sets):

``house_prices.parquet`` -- regression, target ``price`` (3,000 sales).
    ``row_id`` 0..n-1 (DG114 row counter), ``sqft`` in the thousands, ``year_built``
    1900..2022 (a year with real variation: DG101, not DG103), ``garage_area`` with 5%
    missing (DG106), ``lot_size`` log-normal over decades (DG113), ``zone_code`` integer
    codes {10, 20, 30, 45, 60} (DG115), ``bedrooms`` 1..6 and ``bathrooms`` in halves.
    Spreads from 0.7 (bathrooms) to ~10,000 (lot size): DG102. ``price`` in the hundreds of
    thousands: DG117. Codes: DG101 DG102 DG106 DG113 DG114 DG115 DG117.

``sensor_log.parquet`` -- regression, target ``efficiency`` (0.5..1, unit scale).
    ``recorded_at`` timestamps (DG123), ``pressure_pa`` 101,325 Pa +- 8 (DG101),
    ``gps_time_s`` float epoch seconds (DG101, and DG105 as a warning: float32 steps of
    128 s), ``calib_ref`` 2.5 V + 1e-9 V noise (DG103 near-constant), ``vibration_g`` with
    0.1% spikes 10,000x the bulk (DG108), ``strain`` of order 1e-4 (DG104; 40,000x smaller
    than the GPS time's spread: DG102), ``flow_lpm`` with three +inf overflow readings
    (DG107), ``aux_probe`` with 12 readings in 3,000 rows (DG124, and DG106).
    Codes: DG101 DG102 DG103 DG104 DG105 DG106 DG107 DG108 DG123 DG124.

``churn.parquet`` -- classification, target ``churned`` stored as 'yes'/'no' (DG119) with
    a 97/3 split (DG118), 4,000 customers. ``customer_id`` text keys (DG114), ``city`` with
    ~400 levels (DG116), ``signup_date`` dates (DG123), ``tenure_months`` 0..72 and
    ``monthly_charges`` around 70 (DG101), ``monthly_fee`` a copy of ``monthly_charges`` and
    40 rows exported twice (DG120), ``total_charges`` numbers stored as text with blanks
    for new customers (DG125, as in the public Telco churn data), ``payment_method`` text
    with 2% missing (DG106, info).
    Codes: DG101 DG106 DG114 DG116 DG118 DG119 DG120 DG123 DG125.

``turbine.parquet`` -- regression, target ``power_kw`` (0..2,500 kW: DG117), 6,000 rows.
    ``wind_dir_deg`` and ``yaw_deg`` in degrees 0..360 (DG110: power follows the cosine of
    their difference, which wraps), ``rotor_rpm`` and ``pressure_pa`` in the thousands
    (DG101), ``camera_brightness`` 0..255 from an icing camera. The seed's first failure in
    one file; ``examples/train_with_dataguard.py`` trains on it.

``healthy.parquet`` -- classification, target ``label`` 0..2 with balanced classes.
    Five standardized features and a binary ``flag``: nothing above info fires (no findings).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240611
DEFAULT_FOLDER = Path(__file__).resolve().parent / "data"


def house_prices(rng: np.random.Generator, n: int = 3000) -> pa.Table:
    """Home sales: raw units, a log-normal lot size, a row id, zone codes, missing garages."""
    sqft = np.clip(rng.normal(1800.0, 500.0, n), 500.0, None).round()
    bedrooms = np.clip(np.round(sqft / 600.0 + rng.normal(0.0, 0.7, n)), 1, 6).astype(np.int64)
    bathrooms = np.clip(np.round(2 * (bedrooms / 2 + rng.normal(0.0, 0.5, n))) / 2, 1.0, 4.5)
    year_built = rng.integers(1900, 2023, n)
    lot_size = rng.lognormal(9.0, 1.1, n).round()  # square feet, over three decades
    zone_code = rng.choice(np.array([10, 20, 30, 45, 60]), n, p=[0.35, 0.3, 0.2, 0.1, 0.05])
    garage_area = np.clip(rng.normal(450.0, 150.0, n), 0.0, None).round()
    garage_missing = rng.random(n) < 0.05  # no garage recorded
    price = (
        40_000.0
        + 120.0 * sqft
        + 9_000.0 * bathrooms
        + 150.0 * np.sqrt(lot_size)
        + 600.0 * (year_built - 1900)
        + 2_000.0 * (zone_code == 60)
        + rng.normal(0.0, 30_000.0, n)
    ).round(-2)
    return pa.table(
        {
            "row_id": pa.array(np.arange(n), pa.int64()),
            "sqft": sqft,
            "bedrooms": bedrooms,
            "bathrooms": bathrooms,
            "year_built": pa.array(year_built, pa.int32()),
            "lot_size": lot_size,
            "zone_code": pa.array(zone_code, pa.int16()),
            "garage_area": pa.array(garage_area, mask=garage_missing),
            "price": price,
        }
    )


def sensor_log(rng: np.random.Generator, n: int = 3000) -> pa.Table:
    """One machine's readings every 10 s: physical units, a dead calibration channel, spikes,
    overflow readings and a probe that was almost never connected."""
    start = np.datetime64("2024-03-01T08:00:00", "s")
    recorded_at = start + np.arange(n) * np.timedelta64(10, "s")
    pressure_pa = (101_325.0 + rng.normal(0.0, 8.0, n)).round(2)
    # GPS time in float seconds since 1970: float32 steps of 128 s at 1.7e9 cannot resolve it
    gps_time_s = 1_709_280_000.0 + np.arange(n) * 10.0 + rng.uniform(0.0, 1.0, n).round(3)
    calib_ref = 2.5 + rng.normal(0.0, 1e-9, n)  # a reference voltage: only float noise varies
    vibration_g = rng.normal(0.0, 0.3, n)
    spikes = rng.choice(n, n // 1000, replace=False)
    vibration_g[spikes] *= 1e4  # a loose connector: 0.1% of readings 10,000x the bulk
    strain = rng.normal(0.0, 2e-4, n)  # dimensionless, of order 1e-4
    flow_lpm = rng.normal(12.0, 2.0, n).round(3)
    flow_lpm[rng.choice(n, 3, replace=False)] = np.inf  # the meter's overflow value
    aux_probe = np.full(n, np.nan)
    aux_probe[rng.choice(n, 12, replace=False)] = rng.normal(3.0, 0.5, 12)
    efficiency = np.clip(
        0.8 - 0.01 * (flow_lpm.clip(None, 30) - 12.0) + rng.normal(0.0, 0.05, n), 0.5, 1.0
    )
    return pa.table(
        {
            "recorded_at": pa.array(recorded_at, pa.timestamp("s")),
            "pressure_pa": pressure_pa,
            "gps_time_s": gps_time_s,
            "calib_ref": calib_ref,
            "vibration_g": vibration_g,
            "strain": strain,
            "flow_lpm": flow_lpm,
            "aux_probe": pa.array(aux_probe, from_pandas=True),  # NaN -> null
            "efficiency": efficiency,
        }
    )


def churn(rng: np.random.Generator, n: int = 4000) -> pa.Table:
    """A customer export: text ids, a long tail of cities, numbers stored as text, a copied
    column and rows exported twice; 3% of customers churned ('yes')."""
    customer_id = np.array([f"C{v:07d}" for v in rng.choice(10_000_000, n, replace=False)])
    weights = 1.0 / np.arange(1, 401) ** 0.8
    city = np.array([f"city_{i:03d}" for i in range(400)])[
        rng.choice(400, n, p=weights / weights.sum())
    ]
    signup_date = np.datetime64("2019-01-01") + rng.integers(0, 5 * 365, n).astype("timedelta64[D]")
    tenure = rng.integers(0, 73, n)
    contract = rng.choice(np.array(["month-to-month", "one-year", "two-year"]), n)
    monthly = rng.normal(70.0, 25.0, n).clip(18.0, 120.0).round(2)
    total = [f"{m * t:.2f}" if t > 0 else " " for m, t in zip(monthly, tenure, strict=True)]
    payment = rng.choice(np.array(["card", "transfer", "check"], dtype=object), n)
    payment[rng.random(n) < 0.02] = None
    churned = np.where(np.arange(n) < round(0.03 * n), "yes", "no")
    churned = churned[rng.permutation(n)]
    table = pa.table(
        {
            "customer_id": customer_id,
            "city": city,
            "signup_date": pa.array(signup_date, pa.date32()),
            "tenure_months": tenure,
            "contract": contract,
            "monthly_charges": monthly,
            "monthly_fee": monthly.copy(),  # the same column under a second name
            "total_charges": pa.array(total, pa.string()),
            "payment_method": pa.array(payment, pa.string()),
            "churned": churned,
        }
    )
    again = rng.choice(n, 40, replace=False)  # an export that repeated 40 rows
    return pa.concat_tables([table, table.take(np.sort(again))])


def healthy(rng: np.random.Generator, n: int = 3000, classes: int = 3) -> pa.Table:
    """Standardized features, a binary flag and balanced labels 0..C-1: nothing to fix."""
    label = rng.permutation(np.arange(n) % classes)
    centres = rng.normal(0.0, 1.0, (classes, 5))
    x = centres[label] + rng.normal(0.0, 1.0, (n, 5))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    columns: dict[str, object] = {f"feature_{j}": x[:, j] for j in range(5)}
    columns["flag"] = pa.array((rng.random(n) < 0.4).astype(np.int8))
    columns["label"] = pa.array(label, pa.int64())
    return pa.table(columns)


def turbine(rng: np.random.Generator, n: int = 6000) -> pa.Table:
    """Wind-turbine SCADA rows: angles in degrees, rpm and pascals in the thousands, an
    icing camera's 0..255 brightness, and power in kW (0..2,500) to predict."""
    wind = rng.weibull(2.2, n) * 9.0  # m/s
    wind_dir = rng.uniform(0.0, 360.0, n).round(1)
    misalign = rng.normal(0.0, 40.0, n)  # the nacelle lags the wind
    yaw = np.mod(wind_dir + misalign, 360.0).round(1)
    pressure = rng.normal(101_325.0, 900.0, n).round()
    density = pressure / (287.05 * 283.0)
    iced = rng.random(n) < 0.15
    brightness = np.clip(np.where(iced, rng.normal(215, 18, n), rng.normal(95, 35, n)), 0, 255)
    rated, cut_in, rated_speed = 2500.0, 3.0, 12.5
    curve = np.clip((wind - cut_in) / (rated_speed - cut_in), 0.0, 1.0) ** 3
    facing = np.cos(np.deg2rad(wind_dir - yaw)) ** 2  # cos(180 - 360 wrap) == cos
    power = rated * curve * facing * (density / 1.225) * np.where(iced, 0.55, 1.0)
    power = np.clip(power + rng.normal(0.0, 10.0, n), 0.0, None).round(1)
    rotor_rpm = (900.0 + 800.0 * np.clip(wind / rated_speed, 0.0, 1.0)).round(1)
    return pa.table(
        {
            "wind_speed_ms": wind.round(2),
            "wind_dir_deg": wind_dir,
            "yaw_deg": yaw,
            "rotor_rpm": rotor_rpm,
            "pressure_pa": pressure,
            "camera_brightness": pa.array(brightness.round().astype(np.uint8)),
            "power_kw": power,
        }
    )


DATASETS = {
    "house_prices": house_prices,
    "sensor_log": sensor_log,
    "churn": churn,
    "healthy": healthy,
    "turbine": turbine,
}


def write_all(folder: Path) -> list[Path]:
    """Write every dataset as ``<name>.parquet`` into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (name, make) in enumerate(DATASETS.items()):
        table = make(np.random.default_rng([SEED, i]))
        path = folder / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=DEFAULT_FOLDER,
        help="where to write the .parquet files (default: examples/data/)",
    )
    args = parser.parse_args(argv)
    for path in write_all(args.folder):
        print(f"{path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
