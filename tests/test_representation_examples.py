"""examples/make_representation_examples.py: it runs, its files are small and the same on every
run, each original raises the representation findings (DG109-DG112) its docstring promises,
with the evidence numbers the generator put there, and each corrected twin raises none.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataguard
from dataguard._config import ProjectConfig
from dataguard.findings import Finding
from dataguard.report import ProfileReport

SCRIPT = Path(__file__).resolve().parents[1] / "examples" / "make_representation_examples.py"
REPRESENTATION = ("DG109", "DG110", "DG111", "DG112")
MB = 1_000_000

#: Per file: (target, order_by, group_by) as the profile is asked for it.
KEYS: dict[str, tuple[str | None, str | None, str | None]] = {
    "mocap": (None, "frame", "actor_id"),
    "mocap_local": (None, "frame", "actor_id"),
    "weather": ("temperature_c", "timestamp", "station_id"),
    "weather_clean": ("temperature_c", "timestamp", "station_id"),
    "flights": ("dep_delay_min", None, None),
    "flights_minutes": ("dep_delay_min", None, None),
}
ORIGINALS = ("mocap", "weather", "flights")
TWINS = ("mocap_local", "weather_clean", "flights_minutes")

JOINTS = (
    "hips",
    "spine",
    "spine1",
    "chest",
    "neck",
    "head",
    "l_shoulder",
    "l_elbow",
    "l_hand",
    "r_shoulder",
    "r_elbow",
    "r_hand",
    "l_hip",
    "l_knee",
    "l_foot",
    "l_toe",
    "r_hip",
    "r_knee",
    "r_foot",
    "r_toe",
)
COORDS = tuple(f"{j}_{a}" for j in JOINTS for a in "xyz")


# --------------------------------------------------------------------------- fixtures


def _generate(folder: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("representation") / "data"
    _generate(folder)
    return folder


Profiler = Callable[..., ProfileReport]


@pytest.fixture(scope="module")
def profiled(data_dir: Path) -> Profiler:
    """``profiled(name, keys=True)``: the report of one file, computed once per module."""
    cache: dict[tuple[str, bool], ProfileReport] = {}

    def get(name: str, keys: bool = True) -> ProfileReport:
        if (name, keys) not in cache:
            target, order_by, group_by = KEYS[name]
            cache[name, keys] = dataguard.profile(
                data_dir / f"{name}.parquet",
                target=target,
                order_by=order_by if keys else None,
                group_by=group_by if keys else None,
                config=ProjectConfig(),
            )
        return cache[name, keys]

    return get


def _table(data_dir: Path, name: str) -> pa.Table:
    return pq.read_table(data_dir / f"{name}.parquet")


def _findings(report: ProfileReport, code: str) -> list[Finding]:
    return [f for f in report.findings if f.code == code]


def _by_column(report: ProfileReport, code: str) -> dict[str, Finding]:
    """One-column findings of ``code`` by their column."""
    out = {}
    for f in _findings(report, code):
        assert len(f.columns) == 1, f"{code} names {f.columns}, expected one column"
        out[f.columns[0]] = f
    return out


def _evidence(f: Finding, name: str) -> Any:
    """``f.evidence[name]``, populated."""
    assert f.evidence.get(name) is not None, f"{f.code} {f.columns}: no {name!r} in {f.evidence}"
    return f.evidence[name]


def _wrap_jumps(values: np.ndarray, groups: np.ndarray, period: float) -> int:
    """Steps between consecutive rows of a group across the seam of the period: linearly more
    than half the period, around the circle less than a quarter of it (359 -> 1 in degrees)."""
    same = groups[1:] == groups[:-1]
    linear = np.abs(np.diff(values.astype(np.float64)))
    circular = np.minimum(linear, period - linear)
    return int(((linear > period / 2) & (circular < period / 4) & same).sum())


def _between_share(table: pa.Table, columns: tuple[str, ...], key: str) -> float:
    """Share of the summed variance of ``columns`` explained by the per-``key`` means."""
    groups = table[key].to_numpy()
    _, inverse = np.unique(groups, return_inverse=True)
    total = within = 0.0
    for c in columns:
        x = table[c].to_numpy().astype(np.float64)
        means = np.bincount(inverse, x) / np.bincount(inverse)
        total += float(((x - x.mean()) ** 2).sum())
        within += float(((x - means[inverse]) ** 2).sum())
    return 1.0 - within / total


# --------------------------------------------------------------------------- the files


def test_generator_writes_six_small_files(data_dir: Path) -> None:
    assert sorted(p.name for p in data_dir.iterdir()) == sorted(f"{n}.parquet" for n in KEYS)
    assert sum(p.stat().st_size for p in data_dir.iterdir()) < 3 * MB
    for path in data_dir.iterdir():
        assert 2_000 <= pq.read_metadata(path).num_rows <= 30_000, path.name


def test_generator_is_deterministic(data_dir: Path, tmp_path: Path) -> None:
    _generate(tmp_path)
    for path in sorted(data_dir.iterdir()):
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_mocap_is_what_the_docstring_says(data_dir: Path) -> None:
    world = _table(data_dir, "mocap")
    assert world.column_names == ["actor_id", "frame", "root_heading_deg", *COORDS]
    actor = world["actor_id"].to_numpy()
    frame = world["frame"].to_numpy()
    assert sorted(set(actor.tolist())) == list(range(1, 9))
    assert np.all(np.diff(actor) >= 0)  # ordered by actor, then frame 0..n-1
    starts = np.r_[True, actor[1:] != actor[:-1]]
    assert np.all(frame[starts] == 0)
    assert np.all(np.diff(frame)[~starts[1:]] == 1)
    heading = world["root_heading_deg"].to_numpy()
    assert heading.min() >= 0.0
    assert heading.max() < 360.0
    assert _wrap_jumps(heading, actor, 360.0) == 3
    assert _between_share(world, COORDS, "actor_id") > 0.85

    local = _table(data_dir, "mocap_local")
    local_coords = COORDS[3:]  # the hips are the origin, dropped
    assert local.column_names == [
        "actor_id",
        "frame",
        "root_heading_sin",
        "root_heading_cos",
        *local_coords,
    ]
    assert local.num_rows == world.num_rows
    sin, cos = local["root_heading_sin"].to_numpy(), local["root_heading_cos"].to_numpy()
    np.testing.assert_allclose(sin**2 + cos**2, 1.0, atol=1e-5)
    error = (np.degrees(np.arctan2(sin, cos)) - heading + 180.0) % 360.0 - 180.0
    assert np.abs(error).max() < 1e-3
    assert _between_share(local, local_coords, "actor_id") < 0.05
    assert abs(float(np.mean(local["head_y"].to_numpy())) - 0.66) < 0.01  # above the hips
    assert abs(float(np.mean(local["l_shoulder_x"].to_numpy())) - 0.18) < 0.01  # to the left


def test_weather_is_what_the_docstring_says(data_dir: Path) -> None:
    raw, clean = _table(data_dir, "weather"), _table(data_dir, "weather_clean")
    assert raw.num_rows == clean.num_rows == 5 * 91 * 24
    assert pa.types.is_timestamp(raw.schema.field("timestamp").type)
    assert set(raw["month"].to_numpy().tolist()) == {12, 1, 2}
    assert set(raw["hour"].to_numpy().tolist()) == set(range(24))
    wind = raw["wind_dir_deg"].to_numpy()
    assert wind.min() >= 0
    assert wind.max() <= 359
    assert ((wind < 30) | (wind >= 330)).mean() > 0.1  # mass at both ends of the circle
    vis = raw["visibility_m"].to_numpy()
    sentinel = vis == 99_999
    assert 0.02 < sentinel.mean() < 0.04
    assert vis[~sentinel].min() >= 200
    assert vis[~sentinel].max() <= 30_000
    assert clean["visibility_m"].null_count == sentinel.sum()
    np.testing.assert_array_equal(clean["visibility_missing"].to_numpy(), sentinel)
    angle = np.radians(wind)
    np.testing.assert_allclose(clean["wind_dir_sin"].to_numpy(), np.sin(angle), atol=1e-6)
    np.testing.assert_allclose(clean["wind_dir_cos"].to_numpy(), np.cos(angle), atol=1e-6)
    hour = 2 * np.pi * raw["hour"].to_numpy() / 24
    np.testing.assert_allclose(clean["hour_sin"].to_numpy(), np.sin(hour), atol=1e-6)
    for gone in ("wind_dir_deg", "hour", "month"):
        assert gone not in clean.column_names


def test_flights_are_what_the_docstring_says(data_dir: Path) -> None:
    raw, twin = _table(data_dir, "flights"), _table(data_dir, "flights_minutes")
    assert raw.num_rows == twin.num_rows == 10_000
    assert len(set(raw["flight_id"].to_pylist())) == raw.num_rows
    dep, arr = raw["dep_time_hhmm"].to_numpy(), raw["arr_time_hhmm"].to_numpy()
    assert dep.min() >= 500
    assert dep.max() <= 2359
    assert (dep % 100).max() == (arr % 100).max() == 59  # minutes 60..99 never occur
    assert (arr < 500).sum() > 100  # late arrivals wrap past midnight
    minutes = twin["dep_minutes"].to_numpy()
    np.testing.assert_array_equal(minutes, dep // 100 * 60 + dep % 100)
    angle = 2 * np.pi * minutes / 1440
    np.testing.assert_allclose(twin["dep_minutes_cos"].to_numpy(), np.cos(angle), atol=1e-6)
    assert not {"dep_time_hhmm", "arr_time_hhmm"} & set(twin.column_names)


# --------------------------------------------------------------------------- the findings


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
def test_mocap_global_frame(data_dir: Path, profiled: Profiler, keys: bool) -> None:
    """DG112 on the joint coordinates, key actor_id (given, or discovered without keys)."""
    report = profiled("mocap", keys)
    found = _findings(report, "DG112")
    assert found, "no DG112 on world-coordinate joints"
    named = {c for f in found for c in f.columns}
    assert named <= set(COORDS)
    horizontal = {c for c in COORDS if c.endswith(("_x", "_z"))}
    assert horizontal <= named, sorted(horizontal - named)
    for f in found:
        assert _evidence(f, "key") == "actor_id"
        share = float(_evidence(f, "between_share"))
        assert 0.85 <= share <= 1.0, (f.columns, share)


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
def test_mocap_cyclic_heading(data_dir: Path, profiled: Profiler, keys: bool) -> None:
    """DG110 on root_heading_deg (name hint + [0, 360)); wrap jumps with the keys."""
    report = profiled("mocap", keys)
    cyclic = _by_column(report, "DG110")
    assert set(cyclic) == {"root_heading_deg"}
    f = cyclic["root_heading_deg"]
    assert float(_evidence(f, "period")) == pytest.approx(360.0)
    if keys:
        world = _table(data_dir, "mocap")
        expected = _wrap_jumps(
            world["root_heading_deg"].to_numpy(), world["actor_id"].to_numpy(), 360.0
        )
        assert expected == 3
        assert int(_evidence(f, "wrap_jumps")) == expected


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
def test_weather_cyclic_columns(data_dir: Path, profiled: Profiler, keys: bool) -> None:
    """DG110 on wind direction (360), hour (24) and month (12); nothing else cyclic."""
    report = profiled("weather", keys)
    cyclic = _by_column(report, "DG110")
    periods = {"wind_dir_deg": 360.0, "hour": 24.0, "month": 12.0}
    assert set(cyclic) == set(periods)
    for column, period in periods.items():
        assert float(_evidence(cyclic[column], "period")) == pytest.approx(period), column
    if keys:
        raw = _table(data_dir, "weather")
        station = raw["station_id"].to_numpy()
        wraps = {c: _wrap_jumps(raw[c].to_numpy(), station, p) for c, p in periods.items()}
        assert wraps["hour"] == 5 * 90  # every midnight but the first, at 5 stations
        assert wraps["month"] == 5  # December -> January
        assert wraps["wind_dir_deg"] > 0
        for column, n in wraps.items():
            assert int(_evidence(cyclic[column], "wrap_jumps")) == n, column


def test_weather_sentinel(data_dir: Path, profiled: Profiler) -> None:
    """DG109 on visibility_m: the value 99999 and its share; no other sentinel."""
    report = profiled("weather")
    sentinels = _by_column(report, "DG109")
    assert set(sentinels) == {"visibility_m"}
    f = sentinels["visibility_m"]
    assert _evidence(f, "values") == [99_999]
    missing = _table(data_dir, "weather")["visibility_m"].to_numpy() == 99_999
    assert _evidence(f, "counts") == [missing.sum()]
    assert float(_evidence(f, "share")) == pytest.approx(missing.mean())
    low, high = _evidence(f, "bulk_range")
    assert 200 <= low < high <= 30_000  # the bulk, without the code


def test_flights_encoding_gap(profiled: Profiler) -> None:
    """DG111 on both HHMM clock-time columns, naming the HHMM encoding."""
    report = profiled("flights")
    gaps = _by_column(report, "DG111")
    assert set(gaps) == {"dep_time_hhmm", "arr_time_hhmm"}
    for column, f in gaps.items():
        assert _evidence(f, "encoding") == "HHMM", column
        assert _evidence(f, "impossible_share") == 0.0  # minutes 60..99 never occur
    assert _evidence(gaps["dep_time_hhmm"], "min") == 500
    assert _evidence(gaps["arr_time_hhmm"], "max") <= 2359


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("mocap", {"DG110", "DG112"}),
        ("weather", {"DG109", "DG110"}),
        ("flights", {"DG111"}),
    ],
)
def test_originals_raise_only_their_representation_codes(
    profiled: Profiler, name: str, expected: set[str]
) -> None:
    for keys in (True, False):
        codes = {f.code for f in profiled(name, keys).findings if f.code in REPRESENTATION}
        assert codes == expected, (name, keys)


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "no-keys"])
@pytest.mark.parametrize("name", TWINS)
def test_twins_raise_no_representation_findings(profiled: Profiler, name: str, keys: bool) -> None:
    found = [
        (f.code, f.columns, f.message)
        for f in profiled(name, keys).findings
        if f.code in REPRESENTATION
    ]
    assert found == []


@pytest.mark.parametrize("name", [n for n in KEYS if KEYS[n][1] is not None])
def test_rows_in_order_raise_no_unordered_sequence(profiled: Profiler, name: str) -> None:
    """The sequences are written in --order-by order within each --group-by group."""
    assert _findings(profiled(name), "DG126") == []
