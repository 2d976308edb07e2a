"""DG112 global-frame: coordinate groups whose variance lies mostly between entities.

Synthetic motion capture (actors walking in different places and directions, joints in world
coordinates, a root heading in degrees, an actor id and a frame counter) and its corrected
twin, deliveries around stores (lat/lon), look-alikes that must stay quiet, and the second
pass's sums checked against a brute-force computation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dataguard import Severity
from dataguard.cli import app
from dataguard.profile._frames import BetweenGroupsPass, KeySpec, ValueSpec

from ._helpers import codes, findings_of, one, run

#: Rest offsets from the root (x to the actor's left, y up, z forward), metres.
SKELETON = {
    "hips": (0.0, 0.0, 0.0),
    "chest": (0.0, 0.36, 0.0),
    "head": (0.0, 0.66, 0.04),
    "lhand": (0.21, -0.02, 0.02),
    "rhand": (-0.21, -0.02, 0.02),
    "lfoot": (0.10, -0.87, -0.03),
    "rfoot": (-0.10, -0.87, -0.03),
}


def mocap(
    actors: int = 6,
    frames: int = 300,
    seed: int = 0,
    irregular: bool = False,
    spread: float = 15.0,
    key: str = "actor",
    text_key: bool = False,
) -> pd.DataFrame:
    """Actors walking at 1-1.4 m/s around places ``spread`` metres apart, each in its own
    direction and curving; joints in world coordinates, heading in degrees (0 = +z)."""
    rng = np.random.default_rng(seed)
    parts = []
    for a in range(actors):
        n = int(rng.integers(frames // 3, 2 * frames)) if irregular else frames
        t = np.arange(n) / 30.0
        yaw = np.radians(rng.uniform(0, 360) + rng.choice([-1, 1]) * rng.uniform(6, 15) * t)
        step = rng.uniform(1.0, 1.4) / 30.0
        root_x = np.cumsum(step * np.sin(yaw)) + rng.uniform(-spread, spread)
        root_z = np.cumsum(step * np.cos(yaw)) + rng.uniform(-spread, spread)
        phase = 2 * np.pi * 0.9 * t + rng.uniform(0, 2 * np.pi)
        cols: dict[str, np.ndarray] = {
            key: np.full(n, f"actor-{a:02d}" if text_key else a + 1),
            "frame": np.arange(n),
            "root_heading_deg": np.degrees(yaw) % 360.0,
        }
        for joint, (ox, oy, oz) in SKELETON.items():
            side = 1.0 if joint.startswith("l") else -1.0 if joint.startswith("r") else 0.0
            lx = ox + rng.normal(0, 0.003, n)
            ly = 0.95 + oy + 0.02 * np.cos(2 * phase) + rng.normal(0, 0.003, n)
            lz = oz + 0.3 * side * np.sin(phase) + rng.normal(0, 0.003, n)
            if joint == "hips":
                lx, lz = np.zeros(n), np.zeros(n)
            cols[f"{joint}_x"] = root_x + lx * np.cos(yaw) + lz * np.sin(yaw)
            cols[f"{joint}_y"] = ly
            cols[f"{joint}_z"] = root_z - lx * np.sin(yaw) + lz * np.cos(yaw)
        parts.append(pd.DataFrame(cols))
    return pd.concat(parts, ignore_index=True)


def local_twin(frame: pd.DataFrame) -> pd.DataFrame:
    """Joints minus the root, rotated into the root's heading frame; the root dropped and the
    heading as sin/cos."""
    yaw = np.radians(frame["root_heading_deg"].to_numpy())
    c, s = np.cos(yaw), np.sin(yaw)
    out = frame[[k for k in frame.columns if not k.startswith(("hips_", "root_"))]].copy()
    out = out[[k for k in out.columns if not k.endswith(("_x", "_y", "_z"))]]
    out["root_heading_sin"], out["root_heading_cos"] = s, c
    for joint in list(SKELETON)[1:]:
        dx = frame[f"{joint}_x"] - frame["hips_x"]
        dz = frame[f"{joint}_z"] - frame["hips_z"]
        out[f"{joint}_x"] = dx * c - dz * s
        out[f"{joint}_y"] = frame[f"{joint}_y"] - frame["hips_y"]
        out[f"{joint}_z"] = dx * s + dz * c
    return out


def mean_share(frame: pd.DataFrame, key: str, columns: list[str]) -> float:
    """Brute force: the mean over coordinate groups (column name up to the axis suffix) of
    the between share pooled over each group's axes."""
    groups: dict[str, list[str]] = {}
    for col in columns:
        groups.setdefault(col[:-2], []).append(col)
    return float(np.mean([between_share(frame, key, cols) for cols in groups.values()]))


def between_share(frame: pd.DataFrame, key: str, columns: list[str]) -> float:
    """Brute force: SS_between / SS_total pooled over ``columns`` (rows with a valid key)."""
    between = total = 0.0
    for col in columns:
        part = frame[[key, col]].dropna()
        x = part[col].to_numpy(float)
        means = part.groupby(key)[col].transform("mean").to_numpy(float)
        between += float(np.sum((means - x.mean()) ** 2))
        total += float(np.sum((x - x.mean()) ** 2))
    return between / total


JOINT_COLUMNS = [f"{j}_{a}" for j in SKELETON for a in "xyz"]


# --- fires -----------------------------------------------------------------------------------


def test_dg112_fires_on_world_frame_mocap_with_evidence() -> None:
    frame = mocap()
    report = run(frame, group_by="actor", order_by="frame")
    f = one(report, "DG112")
    assert f.severity == Severity.WARNING
    assert set(f.columns) == set(JOINT_COLUMNS)
    ev = f.evidence
    assert ev["key"] == "actor"
    assert ev["key_source"] == "--group-by"
    assert ev["n_entities"] == 6
    assert ev["rows_per_entity"] == [300, 300.0, 300]
    assert ev["between_share"] == pytest.approx(mean_share(frame, "actor", JOINT_COLUMNS))
    assert ev["between_share"] > 0.9
    for joint in SKELETON:
        cols = [f"{joint}_{a}" for a in "xyz"]
        assert ev["group_shares"][joint] == pytest.approx(between_share(frame, "actor", cols))
    assert ev["threshold"] == 0.5
    assert ev["reference"] == "root"
    assert ev["root"] == "hips"
    assert ev["heading"] == "root_heading_deg"
    assert ev["share_after_root_sampled"] < 0.05  # the fix would work
    assert f.fix == {
        "transform": "local_frame",
        "key": "actor",
        "reference": "root",
        "root_columns": ["hips_x", "hips_y", "hips_z"],
        "heading": "root_heading_deg",
        "heading_unit": "degrees",
        "up_axis": "y",
        "columns": [c for c in JOINT_COLUMNS if not c.startswith("hips")],
        "root_reference": "first",
        "order_by": "frame",
    }
    assert "between the 6 entities of 'actor'" in f.message
    assert "subtract the root 'hips' row by row and rotate by the heading" in f.message
    assert "the root itself relative to each entity's first frame (by 'frame')" in f.message
    passes = report.profile.passes["frames"]
    assert passes["groups"]["lhand"] == ["lhand_x", "lhand_y", "lhand_z"]
    assert passes["keys"]["actor"]["n_groups"] == 6


def test_dg112_silent_on_the_corrected_twin() -> None:
    twin = local_twin(mocap())
    report = run(twin, group_by="actor", order_by="frame")
    assert "DG112" not in codes(report)
    key = report.profile.passes["frames"]["keys"]["actor"]
    cols = [c for c in twin.columns if c.endswith(("_x", "_y", "_z"))]
    share = sum(key["columns"][c]["ss_between"] for c in cols) / sum(
        key["columns"][c]["ss_total"] for c in cols
    )
    assert share == pytest.approx(between_share(twin, "actor", cols))
    assert share < 0.1


@pytest.mark.parametrize(("actors", "frames"), [(2, 900), (12, 150), (40, 60)])
def test_dg112_fires_for_other_entity_counts(actors: int, frames: int) -> None:
    frame = mocap(actors=actors, frames=frames, seed=actors, spread=40.0)
    f = one(run(frame, group_by="actor"), "DG112")
    assert f.evidence["n_entities"] == actors
    assert f.evidence["between_share"] == pytest.approx(mean_share(frame, "actor", JOINT_COLUMNS))
    assert f.fix is not None
    assert f.fix["reference"] == "root"
    assert f.fix["root_reference"] == "centroid"  # no --order-by: the entity's centroid


def test_dg112_discovers_the_key_with_irregular_rows_per_entity() -> None:
    frame = mocap(actors=9, frames=240, seed=5, irregular=True, key="subject_id")
    frame["device_id"] = np.random.default_rng(1).integers(0, 7, len(frame))  # a decoy key
    report = run(frame)
    f = one(report, "DG112")
    ev = f.evidence
    assert ev["key"] == "subject_id"
    assert ev["key_source"] == "discovered"
    sizes = frame.groupby("subject_id").size()
    assert ev["rows_per_entity"] == [sizes.min(), float(sizes.median()), sizes.max()]
    assert ev["between_share"] == pytest.approx(mean_share(frame, "subject_id", JOINT_COLUMNS))
    decoy = ev["candidate_keys"]["device_id"]
    assert decoy["mean_share"] == pytest.approx(mean_share(frame, "device_id", JOINT_COLUMNS))
    assert decoy["mean_share"] < 0.01
    assert f.fix is not None
    assert f.fix["key"] == "subject_id"


def test_dg112_discovers_a_text_key() -> None:
    frame = mocap(actors=5, frames=200, seed=8, text_key=True)
    f = one(run(frame), "DG112")
    assert f.evidence["key"] == "actor"
    assert f.evidence["n_entities"] == 5
    assert f.evidence["between_share"] == pytest.approx(mean_share(frame, "actor", JOINT_COLUMNS))


def deliveries(stores: int = 7, seed: int = 2, radius: float = 0.02) -> pd.DataFrame:
    """Delivery addresses (lat/lon) around stores spread over a region, irregular counts."""
    rng = np.random.default_rng(seed)
    parts = []
    for s in range(stores):
        n = int(rng.integers(80, 600))
        lat0, lon0 = 48.1 + rng.uniform(-0.5, 0.5), 11.5 + rng.uniform(-0.8, 0.8)
        parts.append(
            pd.DataFrame(
                {
                    "store_id": s + 100,
                    "dropoff_lat": lat0 + rng.normal(0, radius, n),
                    "dropoff_lon": lon0 + rng.normal(0, radius * 1.5, n),
                    "weight_kg": rng.gamma(2.0, 2.0, n),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_dg112_fires_on_lat_lon_around_stores() -> None:
    frame = deliveries()
    f = one(run(frame, group_by="store_id"), "DG112")
    assert f.columns == ("dropoff_lat", "dropoff_lon")
    cols = ["dropoff_lat", "dropoff_lon"]
    assert f.evidence["group_shares"] == {
        "dropoff": pytest.approx(between_share(frame, "store_id", cols))
    }
    assert f.evidence["n_entities"] == 7
    assert f.fix is not None
    assert f.fix["reference"] == "centroid"
    assert f.fix["root_columns"] == []
    assert f.fix["heading"] is None
    assert "relative to each entity's centroid" in f.message


def test_dg112_reference_is_the_first_frame_without_a_root() -> None:
    frame = mocap(actors=4, frames=300, seed=3)
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("hips_")])
    f = one(run(frame, group_by="actor", order_by="frame"), "DG112")
    assert f.fix is not None
    assert f.fix["reference"] == "first"
    assert f.fix["order_by"] == "frame"
    assert f.fix["root_columns"] == []
    assert "first frame (by 'frame')" in f.message


def test_dg112_finds_named_axes_in_other_spellings() -> None:
    rng = np.random.default_rng(4)
    n, k = 3000, 6
    actor = np.repeat(np.arange(k), n // k)
    place = rng.uniform(-30, 30, (k, 3))[actor]
    frame = pd.DataFrame({"actor": actor})
    for i, axis in enumerate("XYZ"):
        frame[f"LeftFoot.{axis}"] = place[:, i] + rng.normal(0, 0.5, n)
        frame[f"hips_pos_{axis.lower()}"] = place[:, i] + rng.normal(0, 0.5, n)
    frame["x"], frame["y"] = place[:, 0] + rng.normal(0, 1, n), place[:, 1] + rng.normal(0, 1, n)
    report = run(frame, group_by="actor")
    groups = report.profile.passes["frames"]["groups"]
    assert groups == {
        "LeftFoot": ["LeftFoot.X", "LeftFoot.Y", "LeftFoot.Z"],
        "hips_pos": ["hips_pos_x", "hips_pos_y", "hips_pos_z"],
        "x/y": ["x", "y"],
    }
    f = one(report, "DG112")
    assert f.evidence["root"] == "hips_pos"
    assert f.fix is not None
    assert f.fix["root_columns"] == ["hips_pos_x", "hips_pos_y", "hips_pos_z"]


# --- quiet -----------------------------------------------------------------------------------


def test_dg112_silent_when_each_entity_spans_the_common_area() -> None:
    rng = np.random.default_rng(6)
    n, k = 6000, 20
    user = rng.integers(0, k, n)
    centre = rng.normal(0, 0.5, (k, 2))[user]  # each user moves over more than the offsets
    frame = pd.DataFrame(
        {
            "user_id": user,
            "pos_x": centre[:, 0] + rng.normal(0, 1, n),
            "pos_y": centre[:, 1] + rng.normal(0, 1, n),
        }
    )
    report = run(frame, group_by="user_id")
    assert "DG112" not in codes(report)
    key = report.profile.passes["frames"]["keys"]["user_id"]
    share = sum(key["columns"][c]["ss_between"] for c in ("pos_x", "pos_y")) / sum(
        key["columns"][c]["ss_total"] for c in ("pos_x", "pos_y")
    )
    assert share == pytest.approx(between_share(frame, "user_id", ["pos_x", "pos_y"]))
    assert 0.1 < share < 0.35
    shuffled = frame.assign(user_id=rng.permutation(frame["user_id"].to_numpy()))
    report = run(shuffled)  # discovered, no entity effect at all
    assert "DG112" not in codes(report)
    assert report.profile.passes["frames"]["keys"]["user_id"]["columns"]["pos_x"]["n"] == n


def test_dg112_silent_on_a_lone_x_feature_and_without_keys() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    frame = pd.DataFrame({"x": rng.normal(0, 1, n), "group": rng.integers(0, 5, n)})
    frame["x"] += frame["group"] * 10.0  # an "x" feature that depends on a group: not a place
    report = run(frame)
    assert report.profile.passes == {}
    assert "DG112" not in codes(report)
    both = pd.DataFrame({"pos_x": rng.normal(0, 1, n), "pos_y": rng.normal(0, 1, n)})
    assert run(both).profile.passes == {}  # coordinates but no key: no second pass


def test_dg112_silent_on_constant_locations_per_entity() -> None:
    frame = deliveries()
    stores = frame.groupby("store_id")[["dropoff_lat", "dropoff_lon"]].transform("first")
    frame = frame.assign(store_lat=stores["dropoff_lat"], store_lon=stores["dropoff_lon"])
    frame = frame.drop(columns=["dropoff_lat", "dropoff_lon"])
    report = run(frame, group_by="store_id")
    assert "DG112" not in codes(report)  # an attribute of the store: a local frame erases it


def test_dg112_silent_on_velocities_and_too_few_rows_per_entity() -> None:
    rng = np.random.default_rng(9)
    n, k = 3000, 10
    track = np.repeat(np.arange(k), n // k)
    drift = rng.uniform(-20, 20, (k, 2))[track]
    frame = pd.DataFrame({"track": track})
    frame["vel_x"], frame["vel_y"] = drift[:, 0] + rng.normal(0, 1, n), drift[:, 1]
    assert "DG112" not in codes(run(frame, group_by="track"))
    pairs = pd.DataFrame({"pair": np.repeat(np.arange(n // 3), 3)})  # 3 rows per entity
    pairs["x"], pairs["y"] = rng.normal(0, 1, n), rng.normal(0, 1, n)
    report = run(pairs, group_by="pair")
    assert "DG112" not in codes(report)
    assert report.profile.passes["frames"]["keys"]["pair"]["n_groups"] == n // 3


def test_dg112_key_over_the_group_cap_is_dropped_and_said() -> None:
    frame = mocap(actors=8, frames=100, seed=11)
    report = run(frame, group_by="actor", thresholds={"frame_max_groups": 5})
    assert "DG112" not in codes(report)
    key = report.profile.passes["frames"]["keys"]["actor"]
    assert key["dropped"] == "more than 5 groups (the cap): not judged"
    assert report.profile.passes["frames"]["max_groups"] == 5
    text = mocap(actors=8, frames=100, seed=11, text_key=True)  # coded as values appear
    key = run(text, group_by="actor", thresholds={"frame_max_groups": 5}).profile.passes
    assert key["frames"]["keys"]["actor"]["dropped"].startswith("more than 5 groups")


def test_dg112_key_candidates_are_capped() -> None:
    frame = mocap(actors=6, frames=200, seed=12)
    rng = np.random.default_rng(0)
    for i in range(5):  # entity-named decoys (regions and codes are not candidates)
        frame[f"trial_{i}"] = rng.integers(0, 4 + i, len(frame))
    report = run(frame)
    result = report.profile.passes["frames"]
    assert len(result["keys"]) == 4
    assert "actor" in result["keys"]  # named like an entity: ranked first
    assert len(result["keys_left_out"]) == 2
    f = one(report, "DG112")
    assert f.evidence["keys_left_out"] == result["keys_left_out"]


def test_dg112_targets_are_neither_keys_nor_coordinates() -> None:
    frame = mocap(actors=6, frames=200, seed=13)
    report = run(frame, target="actor")
    assert "DG112" not in codes(report)


# --- the second pass -------------------------------------------------------------------------


def _brute(key: np.ndarray, key_null: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    ok = ~key_null & np.isfinite(x)
    part = pd.DataFrame({"k": key[ok], "x": x[ok]})
    means = part.groupby("k")["x"].transform("mean").to_numpy()
    m = part["x"].mean()
    return float(np.sum((means - m) ** 2)), float(np.sum((part["x"] - m) ** 2))


def _pass_over(table: pa.Table, keys: list[KeySpec], parts: int = 1) -> dict:
    from dataguard.profile._math import batch_moments

    values = []
    for name in ("a", "b", "big"):
        x = table[name].to_numpy(zero_copy_only=False).astype(float)
        fin = x[np.isfinite(x)]
        m = batch_moments(fin)
        values.append(ValueSpec(name, m.n, m.mean, m.m2, bool(fin.size == x.size)))
    cols = [k.name for k in keys] + ["a", "b", "big"]
    states = []
    for rows in np.array_split(np.arange(table.num_rows), parts):
        p = BetweenGroupsPass("frames", keys, values, max_groups=64)
        sub = table.take(pa.array(rows)).select(cols)
        for batch in sub.to_batches(max_chunksize=97):
            p.update(batch)
        states.append(p)
    for other in states[1:]:
        states[0].merge(other)
    return states[0].result()


@pytest.mark.parametrize("parts", [1, 3])
def test_dg112_pass_sums_match_brute_force_with_nulls_and_offsets(parts: int) -> None:
    rng = np.random.default_rng(14)
    n = 3000
    k = rng.integers(0, 23, n)
    k[: n // 2] = np.sort(k[: n // 2])  # runs in the first half, interleaved in the second
    k_null = rng.random(n) < 0.05
    a = rng.normal(k * 0.5, 1.0)
    b = rng.normal(3.0, 1.0, n) + k
    b[rng.random(n) < 0.03] = np.nan
    big = 1.7e9 + rng.normal(0, 100, n) + 30 * k  # shifted by its mean before summing
    names = np.array([f"k{v:02d}" for v in k], dtype=object)
    table = pa.table(
        {
            "int_key": pa.array(k * 7919 + 10**12, mask=k_null),  # binary search coding
            "small_key": pa.array(k.astype(np.int16), mask=k_null),  # lookup table coding
            "text_key": pa.array(names, mask=k_null).dictionary_encode(),
            "plain_text": pa.array(names, mask=k_null),
            "a": a,
            "b": pa.array(b, mask=np.isnan(b) & (rng.random(n) < 0.5)),
            "big": big,
        }
    )
    values = sorted({int(v) for v in k})
    keys = [
        KeySpec("int_key", tuple(v * 7919 + 10**12 for v in values)),
        KeySpec("small_key", tuple(values)),
        KeySpec("text_key"),
        KeySpec("plain_text"),
    ]
    assert ValueSpec("big", 1, 1.7e9, 1e4).shifted
    result = _pass_over(table, keys, parts)
    for name in ("int_key", "small_key", "text_key", "plain_text"):
        got = result["keys"][name]
        assert got["n_groups"] == len(values)
        assert got["null_rows"] == int(k_null.sum())
        assert got["rows"] == n - int(k_null.sum())
        for col, x in (("a", a), ("b", b), ("big", big)):
            between, total = _brute(k, k_null, x)
            assert got["columns"][col]["ss_between"] == pytest.approx(between, rel=1e-9)
            assert got["columns"][col]["ss_total"] == pytest.approx(total, rel=1e-9)
            assert got["columns"][col]["n"] == int((~k_null & np.isfinite(x)).sum())
    json.dumps(result)  # JSON-safe


# --- end to end ------------------------------------------------------------------------------


def test_dg112_cli_json_carries_the_pass(tmp_path: Path) -> None:
    path = tmp_path / "mocap.parquet"
    pq.write_table(pa.Table.from_pandas(mocap(text_key=True), preserve_index=False), path)
    result = CliRunner().invoke(app, ["profile", str(path), "--group-by", "actor", "-f", "json"])
    assert result.exit_code in (0, 1), result.output
    doc = json.loads(result.stdout)
    frames = doc["passes"]["frames"]
    assert frames["key_source"] == "--group-by"
    actor = frames["keys"]["actor"]
    assert actor["n_groups"] == 6
    assert actor["rows"] == 1800
    assert set(actor["columns"]) == set(JOINT_COLUMNS)
    found = [f for f in doc["findings"] if f["code"] == "DG112"]
    assert len(found) == 1
    assert found[0]["evidence"]["key"] == "actor"
    assert found[0]["evidence"]["between_share"] > 0.9
    assert found[0]["fix"]["transform"] == "local_frame"


def test_dg112_one_finding_names_the_entity_columns_only() -> None:
    frame = mocap(actors=5, frames=200, seed=15)
    frame["speed"] = np.random.default_rng(2).normal(1.2, 0.1, len(frame))
    found = findings_of(run(frame, group_by="actor"), "DG112")
    assert len(found) == 1
    assert "speed" not in found[0].columns
    assert "actor" not in found[0].columns


def test_dg112_groups_of_two_families_keep_apart_and_units_do_not_weigh() -> None:
    rng = np.random.default_rng(16)
    n, k = 3000, 6
    store = rng.integers(0, k, n)
    place = rng.uniform(-50, 50, (k, 2))[store]
    frame = pd.DataFrame(
        {
            "store": store,
            "pickup_x": place[:, 0] + rng.normal(0, 1, n),  # metres: large variances
            "pickup_y": place[:, 1] + rng.normal(0, 1, n),
            "pickup_lat": 48 + rng.normal(0, 0.01, n),  # degrees: no entity effect
            "pickup_lon": 11 + rng.normal(0, 0.01, n),
        }
    )
    report = run(frame)
    assert list(report.profile.passes["frames"]["groups"]) == ["pickup (x/y)", "pickup (lat/lon)"]
    f = one(report, "DG112")
    assert f.columns == ("pickup_x", "pickup_y")
    shares = f.evidence["group_shares"]
    assert shares["pickup (x/y)"] > 0.99
    assert shares["pickup (lat/lon)"] < 0.01
    assert f.evidence["candidate_keys"]["store"]["mean_share"] == pytest.approx(
        (shares["pickup (x/y)"] + shares["pickup (lat/lon)"]) / 2
    )


def test_dg112_silent_on_places_grouped_by_region() -> None:
    # vega's airports: one row per airport, lat/lon grouped by state. A region partitions
    # space: 97% of the variance between states is the geography, not a frame to remove.
    rng = np.random.default_rng(12)
    parts = []
    for s in range(30):
        n = int(rng.integers(20, 120))
        lat0, lon0 = rng.uniform(25, 48), rng.uniform(-120, -70)
        parts.append(
            pd.DataFrame(
                {
                    "state": f"S{s:02d}",
                    "latitude": lat0 + rng.normal(0, 1, n),
                    "longitude": lon0 + rng.normal(0, 1.5, n),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    assert "DG112" not in codes(run(frame))
    # named explicitly, the user says the rows belong to entities: then it is judged
    assert "DG112" in codes(run(frame, group_by="state"))
