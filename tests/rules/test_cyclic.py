"""DG110 cyclic-feature and DG126 unordered-sequence, and the sequence pass behind them.

Synthetic data, fixed seeds, a few thousand rows. Periodic columns come with and without
name hints, in degrees, radians, hours, months, weekdays and days of the year, with several
offsets; sequences are sampled at irregular times. The look-alikes that must stay quiet:
latitudes, bounded counts and counters, binary columns, normal values that happen to lie in
[0, 360), hours worked, degree codes, director ids, and the sin/cos twin of every example.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dataguard import Severity
from dataguard.cli import app
from dataguard.profile._sequences import SequencePass
from dataguard.rules.cyclic import name_hints

from ._helpers import N, codes, findings_of, one, run

TAU = 2 * math.pi


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def rotating(
    seed: int,
    period: float,
    offset: float,
    *,
    groups: int = 25,
    per_group: int = 200,
    turns: float = 5.0,
    whole: bool = False,
) -> pd.DataFrame:
    """Sequences ``id`` sampled at irregular times ``t`` (exponential gaps) of a value that
    turns ``turns`` times through [offset, offset + period) per sequence, with noise."""
    r = rng(seed)
    gaps = r.exponential(1.0, (groups, per_group))
    t = np.cumsum(gaps, axis=1)
    speed = turns * period / t[:, -1:]
    phase = r.uniform(0, period, (groups, 1))
    x = phase + speed * t + r.normal(0, 0.01 * period, t.shape)
    x = np.floor(x) % period if whole else np.mod(x, period)
    return pd.DataFrame(
        {
            "id": np.repeat([f"unit-{g:03d}" for g in range(groups)], per_group),
            "t": t.ravel(),
            "x": (x + offset).ravel(),
        }
    )


def shuffled_within_groups(frame: pd.DataFrame, seed: int, share: float = 1.0) -> pd.DataFrame:
    """Rows of a ``share`` of the groups in random order (the other groups untouched)."""
    r = rng(seed)
    ids = frame["id"].unique()
    picked = set(r.choice(ids, max(1, round(share * len(ids))), replace=False))
    parts = [
        g.sample(frac=1.0, random_state=seed) if key in picked else g
        for key, g in frame.groupby("id", sort=False)
    ]
    return pd.concat(parts, ignore_index=True)


# --- name hints -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("wind_dir", "angle"),
        ("windDirection", "angle"),
        ("heading_deg", "angle"),
        ("sun_azimuth", "angle"),
        ("lon", "angle"),
        ("pickup_hour", "hour"),
        ("month", "month"),
        ("dow", "weekday"),
        ("doy", "doy"),
        ("director_id", None),
        ("degree", None),
        ("hours_worked", None),
        ("dirt_level", None),
        ("longitude_bucket_count", "angle"),
    ],
)
def test_dg110_name_hints_are_whole_words(name: str, kind: str | None) -> None:
    hints = name_hints(name)
    assert (next(iter(hints)) if hints else None) == kind


# --- DG110 cyclic-feature: fires ------------------------------------------------------------


def wind_frame(seed: int = 1) -> pd.DataFrame:
    r = rng(seed)
    wind_dir = np.mod(np.cumsum(r.normal(3.0, 20.0, N)), 360.0)
    return pd.DataFrame({"wind_dir": wind_dir, "speed": r.gamma(4.0, 0.25, N)})


def test_dg110_fires_on_wind_direction_with_evidence() -> None:
    report = run(wind_frame())
    f = one(report, "DG110", "wind_dir")
    assert f.severity == Severity.WARNING
    assert f.category == "discontinuity"
    ev = f.evidence
    assert ev["period"] == 360.0
    assert ev["offset"] == 0.0
    assert ev["domain"] == "[0, 360)"
    assert ev["name_hint"] == "dir"
    assert ev["end_width"] == pytest.approx(18.0)
    assert ev["low_end_share"] == pytest.approx(0.05, abs=0.02)
    assert ev["high_end_share"] == pytest.approx(0.05, abs=0.02)
    assert ev["wraps_judged"] is False
    assert ev["wrap_jumps"] is None
    assert f.fix == {"transform": "cyclic", "period": 360.0, "offset": 0.0}
    assert "period 360" in f.message
    assert "name word 'dir'" in f.message
    assert "sin/cos" in f.message
    doc = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    (found,) = [g for g in doc["findings"] if g["code"] == "DG110"]
    assert found["evidence"]["period"] == 360.0
    assert found["evidence"]["low_end_share"] > 0.01
    assert codes(report, "speed") & {"DG110"} == set()


def test_dg110_silent_on_the_sin_cos_twin() -> None:
    frame = wind_frame()
    angle = np.deg2rad(frame.pop("wind_dir"))
    frame["wind_dir_sin"], frame["wind_dir_cos"] = np.sin(angle), np.cos(angle)
    assert "DG110" not in codes(run(frame))
    frame["t"] = np.arange(N, dtype=float)
    assert "DG110" not in codes(run(frame, order_by="t"))


@pytest.mark.parametrize(
    ("name", "make", "period", "offset"),
    [
        ("bearing", lambda r: r.uniform(-180.0, 180.0, N), 360.0, -180.0),
        ("lon", lambda r: r.uniform(-180.0, 180.0, N), 360.0, -180.0),
        ("windDirection", lambda r: r.integers(0, 360, N), 360.0, 0.0),
        ("heading_deg", lambda r: r.uniform(0.0, 360.0, N).round(1), 360.0, 0.0),
        ("phase", lambda r: r.uniform(-math.pi, math.pi, N), TAU, -math.pi),
        ("azimuth", lambda r: r.uniform(0.0, TAU, N), TAU, 0.0),
        ("hour", lambda r: r.integers(1, 25, N), 24.0, 1.0),
        ("pickup_hour", lambda r: r.uniform(0.0, 24.0, N), 24.0, 0.0),
        ("month", lambda r: r.integers(1, 13, N), 12.0, 1.0),
        ("dow", lambda r: r.integers(0, 7, N), 7.0, 0.0),
        ("weekday", lambda r: r.integers(1, 8, N), 7.0, 1.0),
        ("doy", lambda r: r.integers(1, 367, N), 366.0, 1.0),
    ],
)
def test_dg110_fires_on_named_periods_and_offsets(
    name: str, make: Any, period: float, offset: float
) -> None:
    frame = pd.DataFrame({name: make(rng(len(name)))})
    f = one(run(frame), "DG110", name)
    assert f.evidence["period"] == pytest.approx(period)
    assert f.evidence["offset"] == pytest.approx(offset)
    assert f.evidence["name_hint"] is not None
    assert f.fix == {"transform": "cyclic", "period": f.evidence["period"], "offset": offset}
    assert min(f.evidence["low_end_share"], f.evidence["high_end_share"]) >= 0.01


def test_dg110_hour_fires_but_hours_worked_does_not() -> None:
    r = rng(3)
    frame = pd.DataFrame({"hour": r.integers(0, 24, N), "hours_worked": r.integers(0, 24, N)})
    report = run(frame)
    f = one(report, "DG110", "hour")
    assert f.evidence["domain"] == "0..23"
    assert f.evidence["low_end_share"] == pytest.approx(1 / 24, abs=0.01)
    assert "at 0" in f.message
    assert "at 23" in f.message
    assert "DG110" not in codes(report, "hours_worked")


@pytest.mark.parametrize(
    ("period", "offset", "whole", "domain"),
    [
        (360.0, 0.0, False, "[0, 360)"),
        (TAU, -math.pi, False, "[-pi, pi)"),
        (360.0, -180.0, True, "[-180, 180)"),
        (24.0, 0.0, True, "0..23"),
        (12.0, 1.0, True, "1..12"),
    ],
)
def test_dg110_wrap_jumps_reveal_a_column_without_name(
    period: float, offset: float, whole: bool, domain: str
) -> None:
    frame = rotating(7, period, offset, whole=whole)
    report = run(frame, order_by="t", group_by="id")
    f = one(report, "DG110", "x")
    ev = f.evidence
    assert ev["name_hint"] is None
    assert ev["domain"] == domain
    assert ev["period"] == pytest.approx(period)
    assert ev["offset"] == pytest.approx(offset)
    assert ev["wraps_judged"] is True
    assert ev["wrap_evidence"] is True
    # 25 sequences of 5 turns: about 25 * 5 seam crossings
    assert 80 <= ev["wrap_jumps"] <= 160
    assert ev["transitions"] == 25 * 199
    assert ev["wrap_share"] == pytest.approx(ev["wrap_jumps"] / ev["transitions"])
    assert ev["other_jumps"] <= 0.2 * ev["wrap_jumps"]
    assert "wrap jumps across the seam" in f.message
    assert f.fix == {"transform": "cyclic", "period": ev["period"], "offset": ev["offset"]}
    assert "DG126" not in codes(report)
    # the values alone are not evidence: without --order-by the column is not called cyclic
    assert "DG110" not in codes(run(frame))


def test_dg110_wrap_jumps_without_group_by_in_one_sequence() -> None:
    frame = rotating(8, 360.0, 0.0, groups=1, per_group=3000, turns=30)
    f = one(run(frame.drop(columns="id"), order_by="t"), "DG110", "x")
    assert f.evidence["wrap_jumps"] >= 25


def test_dg110_out_of_order_rows_give_no_wrap_evidence() -> None:
    frame = rotating(9, 360.0, 0.0)
    frame["heading"] = frame["x"]
    mixed = shuffled_within_groups(frame, seed=9, share=0.2)
    report = run(mixed, order_by="t", group_by="id")
    assert "DG110" not in codes(report, "x")  # only the wraps spoke for it
    f = one(report, "DG110", "heading")  # the name still does
    assert f.evidence["wraps_judged"] is False
    assert f.evidence["wrap_evidence"] is False
    assert "DG126" in f.evidence["wraps_not_judged"]
    assert "wrap jumps not judged" in f.message
    one(report, "DG126")


# --- DG110: must not fire -------------------------------------------------------------------


def look_alikes(seed: int = 11, groups: int = 20, per_group: int = 250) -> pd.DataFrame:
    """Sequences of bounded, non-periodic values that a careless rule would call cyclic."""
    r = rng(seed)
    n = groups * per_group
    t = np.tile(np.arange(per_group, dtype=float), groups)
    latitude = np.clip(np.cumsum(r.normal(0, 4, n)), -90, 90)
    # days since the last service, reset at random intervals, reaching up to 359; and since
    # the last inspection, about once a year: it fits [0, 360) with mass near both ends
    service = np.concatenate([np.arange(k) for k in r.integers(30, 361, n // 30)])[:n]
    inspection = np.concatenate([np.arange(k) for k in r.integers(330, 361, n // 300)])[:n]
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(groups) * 17 + 5, per_group),
            "t": t,
            "latitude": latitude,
            "lat_uniform": r.uniform(-90, 90, n),
            "days_since_service": service.astype(np.int64),
            "days_since_inspection": inspection.astype(np.int64),
            "n_visits": r.integers(1, 366, n),  # a count bounded by 365
            "flag": r.integers(0, 2, n),
            "score": np.clip(r.normal(180, 50, n), 0, 359.9),  # happens to lie in [0, 360)
            "hours_worked": r.integers(0, 24, n),
            "degree": r.choice([1, 2, 3, 4, 5], n, p=[0.3, 0.3, 0.2, 0.15, 0.05]),
            "director_id": r.integers(0, 360, n),
            "minutes": r.integers(0, 60, n),
        }
    )


@pytest.mark.parametrize("ordered", [False, True])
def test_dg110_quiet_on_bounded_look_alikes(ordered: bool) -> None:
    frame = look_alikes()
    kwargs = {"order_by": "t", "group_by": "id"} if ordered else {}
    report = run(frame, **kwargs)
    assert findings_of(report, "DG110") == []
    if ordered:
        seq = report.profile.passes["sequences"]
        # the yearly counter fits [0, 360) and is followed: its resets cross the seam, but
        # each is a jump of many days where an ordinary step is one
        days = seq["columns"]["days_since_inspection"]
        assert days["period"] == 360.0
        assert days["mean_step"] == pytest.approx(1.0)
        assert days["wrap_jumps"] >= 3
        assert days["mean_wrap_distance"] > 5 * days["mean_step"]
        hours = seq["columns"]["hours_worked"]
        assert hours["wrap_jumps"] < 0.8 * (hours["wrap_jumps"] + hours["other_jumps"])


def test_dg110_quiet_on_healthy_data_and_sequences() -> None:
    r = rng(12)
    frame = pd.DataFrame(
        {
            "id": np.repeat(np.arange(50), 100),
            "t": np.tile(np.arange(100), 50),
            "f0": r.standard_normal(N),
            "u": r.uniform(0, 1, N),
            "stage": np.minimum(np.tile(np.arange(100), 50) // 15, 6),  # 0..6, no reset
            "rating": r.integers(1, 8, N),  # 1..7 like a weekday, but independent
        }
    )
    report = run(frame, order_by="t", group_by="id")
    assert not codes(report) & {"DG110", "DG126"}
    assert set(report.profile.passes["sequences"]["columns"]) == {"rating", "stage"}


def test_dg110_a_sawtooth_that_steps_across_the_seam_is_periodic() -> None:
    """t % 7 in steps of one: 6 -> 0 is one more step, a weekday by its behaviour."""
    t = np.arange(N)
    frame = pd.DataFrame({"t": t, "k": t % 7})
    f = one(run(frame, order_by="t"), "DG110", "k")
    assert (f.evidence["period"], f.evidence["offset"]) == (7.0, 0.0)
    assert f.evidence["mean_wrap_distance"] == f.evidence["mean_step"] == 1.0


# --- DG126 unordered-sequence ---------------------------------------------------------------


def test_dg126_fires_on_rows_out_of_order_within_groups() -> None:
    frame = rotating(21, 360.0, 0.0)
    mixed = shuffled_within_groups(frame, seed=21, share=0.2)
    expected = sum(
        int(np.count_nonzero(np.diff(g["t"].to_numpy()) < 0)) for _, g in mixed.groupby("id")
    )
    report = run(mixed, order_by="t", group_by="id")
    f = one(report, "DG126")
    assert f.severity == Severity.INFO
    assert f.category == "discontinuity"
    assert f.columns == ("id", "t")
    assert f.evidence["backward_steps"] == expected
    assert f.evidence["transitions"] == N - 25
    assert f.evidence["backward_share"] == pytest.approx(expected / (N - 25))
    assert f.evidence["groups_affected"] == 5
    assert f.evidence["groups"] == 25
    ex = f.evidence["example"]
    assert ex["group"].startswith("unit-")
    assert ex["next"] < ex["previous"]
    assert f.fix == {"transform": "sort", "by": ["id", "t"]}
    assert "within their 'id' group (in 5 of 25 groups" in f.message
    assert "wrap jumps of 'x' were not judged" in f.message


def test_dg126_quiet_on_interleaved_groups_each_in_order() -> None:
    frame = rotating(22, 360.0, 0.0).sort_values(["t", "id"], kind="stable")
    report = run(frame, order_by="t", group_by="id")
    assert "DG126" not in codes(report)
    seq = report.profile.passes["sequences"]
    assert seq["backward_steps"] == 0
    assert seq["transitions"] == N - 25
    assert seq["groups"] == 25
    one(report, "DG110", "x")  # wraps are judged across interleaved groups


def test_dg126_without_group_by_names_the_interleaving() -> None:
    frame = rotating(23, 360.0, 0.0)  # 25 sequences, one after another
    f = one(run(frame, order_by="t"), "DG126")
    assert f.columns == ("t",)
    assert f.evidence["backward_steps"] == 24  # each new sequence starts back at t ~ 0
    assert f.evidence["group_by"] is None
    assert "--group-by" in f.message
    assert f.fix == {"transform": "sort", "by": ["t"]}


def test_dg126_ties_and_missing_order_values_are_not_backward() -> None:
    t = np.repeat(np.arange(N // 5, dtype=float), 5)  # five rows per time step
    t[::97] = np.nan
    frame = pd.DataFrame({"t": t, "v": rng(24).standard_normal(N)})
    report = run(frame, order_by="t")
    assert "DG126" not in codes(report)
    seq = report.profile.passes["sequences"]
    assert seq["rows_skipped"] == int(np.isnan(t).sum())
    assert seq["transitions"] == N - int(np.isnan(t).sum()) - 1


def test_dg126_quiet_without_order_by() -> None:
    report = run(rotating(25, 360.0, 0.0).iloc[::-1])
    assert "DG126" not in codes(report)
    assert "sequences" not in report.profile.passes


# --- the sequence pass against a plain loop -------------------------------------------------


def reference(
    table: pa.Table, order_by: str, group_by: str | None, periods: dict[str, float]
) -> dict[str, Any]:
    """The pass's counts, one row at a time in Python."""
    cols = table.to_pydict()
    n = table.num_rows
    last: dict[Any, tuple[float, dict[str, float]]] = {}
    out: dict[str, Any] = {"transitions": 0, "backward": 0, "bad": set(), "skipped": 0}
    per = {c: {"pairs": 0, "wraps": 0, "other": 0, "steps": 0, "step_sum": 0.0} for c in periods}
    for i in range(n):
        g = cols[group_by][i] if group_by else None
        t = cols[order_by][i]
        if t is None or (isinstance(t, float) and math.isnan(t)) or (group_by and g is None):
            out["skipped"] += 1
            continue
        vals = {c: math.nan if cols[c][i] is None else float(cols[c][i]) for c in periods}
        if g in last:
            pt, pv = last[g]
            out["transitions"] += 1
            if t < pt:
                out["backward"] += 1
                out["bad"].add(g)
            for c, p in periods.items():
                d = abs(vals[c] - pv[c])
                if math.isnan(d):
                    continue
                s = per[c]
                s["pairs"] += 1
                if d > p / 2:
                    circ = min(d % p, p - d % p)
                    s["wraps" if circ < 0.25 * p else "other"] += 1
                elif d > 0:
                    s["steps"] += 1
                    s["step_sum"] += d
        last[g] = (t, vals)
    out["per"] = per
    out["groups"] = len(last)
    return out


def sequence_table(seed: int, keys: str) -> pa.Table:
    r = rng(seed)
    n = 3000
    raw = r.integers(0, 40, n)
    t = r.integers(0, 50, n).astype(float)  # ties and backward steps
    t[r.random(n) < 0.02] = np.nan
    deg = r.uniform(0, 360, n)
    deg[r.random(n) < 0.03] = np.nan
    hour = r.integers(0, 24, n)
    group: pa.Array
    if keys == "int":
        group = pa.array(raw * 1_000_003 - 7, mask=r.random(n) < 0.01)
    elif keys == "str":
        group = pa.array([f"g{k}" for k in raw], mask=r.random(n) < 0.01)
    else:  # a dictionary that holds some values twice
        words = [f"g{k % 30}" for k in range(40)]
        group = pa.DictionaryArray.from_arrays(pa.array(raw, pa.int32()), pa.array(words))
    return pa.table(
        {"g": group, "t": t, "deg": deg, "hour": pa.array(hour, mask=r.random(n) < 0.02)}
    )


@pytest.mark.parametrize("keys", ["int", "str", "dict"])
@pytest.mark.parametrize("chunk", [97, 1000, 5000])
def test_dg126_sequence_pass_matches_a_plain_loop(keys: str, chunk: int) -> None:
    table = sequence_table(31, keys)
    periods = {"deg": 360.0, "hour": 24.0}
    p = SequencePass("t", "g", periods)
    for batch in table.to_batches(max_chunksize=chunk):
        p.update(batch)
    got = p.result()
    want = reference(table, "t", "g", periods)
    assert got["transitions"] == want["transitions"]
    assert got["backward_steps"] == want["backward"]
    assert got["groups_with_backward"] == len(want["bad"])
    assert got["rows_skipped"] == want["skipped"]
    assert got["groups"] == want["groups"]
    for c in periods:
        g, w = got["columns"][c], want["per"][c]
        assert (g["pairs"], g["wrap_jumps"], g["other_jumps"]) == (
            w["pairs"],
            w["wraps"],
            w["other"],
        )
        assert g["mean_step"] == pytest.approx(w["step_sum"] / w["steps"])
    json.dumps(got, allow_nan=False)


def test_dg126_sequence_pass_without_groups_matches_a_plain_loop() -> None:
    table = sequence_table(32, "int").drop_columns(["g"])
    p = SequencePass("t", None, {"deg": 360.0})
    for batch in table.to_batches(max_chunksize=333):
        p.update(batch)
    got, want = p.result(), reference(table, "t", None, {"deg": 360.0})
    assert (got["transitions"], got["backward_steps"]) == (want["transitions"], want["backward"])
    assert got["columns"]["deg"]["wrap_jumps"] == want["per"]["deg"]["wraps"]


def test_dg126_sequence_pass_caps_the_groups_it_tracks() -> None:
    table = sequence_table(33, "int")
    p = SequencePass("t", "g", {"deg": 360.0}, max_groups=10)
    for batch in table.to_batches(max_chunksize=500):
        p.update(batch)
    got = p.result()
    assert got["groups"] == 10
    assert got["groups_capped"] is True
    assert got["rows_untracked"] > 0
    used = got["rows"] - got["rows_skipped"] - got["rows_untracked"]
    assert got["transitions"] == used - 10  # the first row of each tracked group has no step


def test_dg126_sequence_pass_orders_by_timestamps() -> None:
    ts = pa.array(np.array([3, 1, 2, 5], "datetime64[s]"))
    p = SequencePass("ts", None, {})
    p.update(pa.record_batch({"ts": ts}))
    got = p.result()
    assert (got["transitions"], got["backward_steps"]) == (3, 1)
    assert got["first_backward"] == {
        "group": None,
        "previous": "1970-01-01T00:00:03",
        "next": "1970-01-01T00:00:01",
    }


# --- end to end: the CLI --------------------------------------------------------------------


def test_dg110_and_dg126_through_the_cli_json(tmp_path: Path) -> None:
    runner = CliRunner()
    frame = rotating(41, 360.0, 0.0)  # no name hint: only the wraps tell
    path = tmp_path / "tracks.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=700)
    args = ["profile", str(path), "--order-by", "t", "--group-by", "id", "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    seq = doc["passes"]["sequences"]
    assert (seq["order_by"], seq["group_by"]) == ("t", "id")
    assert seq["groups"] == 25
    assert seq["transitions"] == N - 25
    assert seq["backward_steps"] == 0
    assert seq["columns"]["x"]["period"] == 360.0
    assert seq["columns"]["x"]["wrap_jumps"] >= 80
    (f,) = [g for g in doc["findings"] if g["code"] == "DG110"]
    assert f["columns"] == ["x"]
    assert f["evidence"]["wrap_jumps"] == seq["columns"]["x"]["wrap_jumps"]
    assert f["evidence"]["period"] == 360.0
    assert f["fix"] == {"transform": "cyclic", "period": 360.0, "offset": 0.0}
    assert not [g for g in doc["findings"] if g["code"] == "DG126"]

    mixed = shuffled_within_groups(frame, seed=41, share=0.2)
    pq.write_table(pa.Table.from_pandas(mixed, preserve_index=False), path, row_group_size=700)
    doc = json.loads(runner.invoke(app, args).stdout)
    (u,) = [g for g in doc["findings"] if g["code"] == "DG126"]
    assert u["evidence"]["groups_affected"] == 5
    assert u["evidence"]["backward_steps"] == doc["passes"]["sequences"]["backward_steps"] > 0
    assert not [g for g in doc["findings"] if g["code"] == "DG110"]
