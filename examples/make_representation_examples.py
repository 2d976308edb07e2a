"""Write example datasets whose numbers misrepresent what they measure (seed reason 3), each
with a corrected twin.

Usage::

    python examples/make_representation_examples.py [FOLDER]   # default: examples/data/

numpy and pyarrow only, one fixed seed: the files are the same, byte for byte, on every run.
Six files of 3,925 to 10,920 rows, together well under 3 MB. Profile one with its keys::

    dataguard profile examples/data/mocap.parquet --order-by frame --group-by actor_id

Similar things must get similar numbers: an angle of 359 and one of 1 are neighbours, a joint
position means little in world coordinates when it should be measured from the character,
a 99999 that means "unknown" is not a very large value, and 12:59 -> 13:00 is one minute, not
41. The representation rules DG109-DG112 fire on each original and stay silent on its twin
(``tests/test_representation_examples.py`` checks both). Other rules fire too; their codes are
listed per file below as they stood when the files were made: a guide, not pinned by the test.

``mocap.parquet`` -- character motion capture: 8 takes (``actor_id`` 1..8) of an actor
    walking at 60 frames/s, 420-540 frames each (3,925 rows), rows ordered by actor then
    ``frame`` (0..n-1 within each take). Every actor walks in a different place of a 30 m x
    30 m stage (take centres on a 9 m ring around its middle) and in a different direction,
    curving at 6-15 degrees/s. 20 joints of one skeleton (retargeted: every actor has the same
    bone lengths): ``hips`` (the root), ``spine``, ``spine1``, ``chest``, ``neck``, ``head``,
    ``l_/r_shoulder``, ``l_/r_elbow``, ``l_/r_hand``, ``l_/r_hip``, ``l_/r_knee``,
    ``l_/r_foot``, ``l_/r_toe``, each as world coordinates ``<joint>_x``, ``<joint>_y`` (up),
    ``<joint>_z`` in metres (float32, as motion-capture files store them): the joint's offset
    from the root, rotated by the root heading, plus the gait (leg and arm swing, foot lift,
    pelvis sway and bob) and 2 mm marker jitter. ``root_heading_deg`` in [0, 360) (0 = +z,
    90 = +x), with a +-2 degree pelvis yaw each stride; takes 1, 2 and 7 cross 0/360 once
    each (3 wrap jumps; 9.5% of headings lie within 10 degrees of 0/360).
    Representation findings: DG112 on the joint coordinate groups (key ``actor_id``: the
    actors' places explain 91% of the coordinate variance, 92% of x and 90% of z), DG110 on
    ``root_heading_deg`` (period 360; with ``--order-by frame --group-by actor_id`` also its
    3 wrap jumps). Other codes: DG101 (``frame``, ``root_heading_deg``), DG102, DG115
    (``actor_id``).
    ``mocap_local.parquet`` -- the twin: every joint minus the root, rotated into the root's
    heading frame (x = the actor's left, y = up, z = forward), the ``hips_*`` columns dropped,
    the heading replaced by ``root_heading_sin`` and ``root_heading_cos``. Same rows and keys.
    Silent for DG109-DG112: with one skeleton, the per-actor means of the local coordinates
    hardly differ (between-actor share 0.1%); what varies is the gait, within every take.
    Other codes: DG101 (``frame``), DG102, DG115 (``actor_id``).

``weather.parquet`` -- an hourly log of 5 UK airport weather stations (``station_id`` ICAO
    text), 1 Dec 2023 to 29 Feb 2024 (10,920 rows, ordered by station then ``timestamp``, UTC,
    no zone). ``wind_dir_deg`` integer degrees 0..359 (south-westerlies with northerly spells:
    mass at both ends of the circle), ``hour`` 0..23, ``month`` 12, 1, 2 (the winter crosses
    the year's wrap), ``temperature_c`` (the target: diurnal cycle, colder in northerly spells),
    ``visibility_m`` integer metres, 280..29,670 in the bulk, with the station code 99999 =
    "not reported" on 2.6% of rows (sensor outages of a few hours to a day, and single missed
    reports), ``pressure_hpa`` 1013 +- 10.
    Representation findings: DG110 on ``wind_dir_deg`` (period 360), ``hour`` (24) and
    ``month`` (12; with ``--order-by timestamp --group-by station_id`` their wrap jumps: 450
    midnights, 5 new years); DG109 on ``visibility_m`` (value 99999, share 0.026). Other
    codes: DG101 (``pressure_hpa``, ``visibility_m``, ``wind_dir_deg``), DG102, DG113
    (``visibility_m``: the sentinel skews it), DG115 (``month``), DG123 (``timestamp``).
    ``weather_clean.parquet`` -- the twin: ``wind_dir_sin/cos`` (period 360), ``hour_sin/cos``
    (24), ``month_sin/cos`` (12) replace the three cyclic columns; ``visibility_m`` has the
    sentinel mapped to null (so DG106 missing values fires on it, as intended: the model gets
    the indicator) and ``visibility_missing`` (int8 0/1) says where. Silent for DG109-DG112.
    Other codes: DG101 (``pressure_hpa``, ``visibility_m``), DG102, DG106 (``visibility_m``),
    DG123 (``timestamp``).

``flights.parquet`` -- 10,000 scheduled flights of 6 carriers over two weeks, one time zone.
    ``flight_id`` text (unique: DG114), ``carrier`` text, ``dep_time_hhmm`` and
    ``arr_time_hhmm`` clock times as HHMM integers (545 = 05:45, 1259 -> 1300 is one minute;
    departures 05:00..23:59 at any minute, in banks; 413 late arrivals wrap past midnight),
    ``distance_km`` and the target ``dep_delay_min`` (minutes, a few early, delays grow
    through the day).
    Representation findings: DG111 on ``dep_time_hhmm`` and ``arr_time_hhmm`` (HHMM: minutes
    60..99 of each hundred never occur). Other codes: DG101 (both HHMM columns,
    ``distance_km``), DG114 (``flight_id``), DG117 (``dep_delay_min``).
    ``flights_minutes.parquet`` -- the twin: ``dep_minutes`` and ``arr_minutes`` (minutes
    since midnight, 0..1439) replace the HHMM columns, with ``dep_minutes_sin/cos`` and
    ``arr_minutes_sin/cos`` (period 1440) beside them. Silent for DG109-DG112. Other codes:
    DG101 (both minutes columns, ``distance_km``), DG114, DG117.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 20240917
DEFAULT_FOLDER = Path(__file__).resolve().parent / "data"

# --------------------------------------------------------------------------- motion capture

FPS = 60.0
ROOT_HEIGHT = 0.95  # metres: the hips above the floor
#: Rest offsets of each joint from the root (hips), in the actor's frame: x to the actor's
#: left, y up, z forward; metres. One skeleton for every actor (retargeted data).
SKELETON: dict[str, tuple[float, float, float]] = {
    "hips": (0.0, 0.0, 0.0),
    "spine": (0.0, 0.10, -0.01),
    "spine1": (0.0, 0.22, -0.01),
    "chest": (0.0, 0.36, 0.0),
    "neck": (0.0, 0.55, 0.01),
    "head": (0.0, 0.66, 0.04),
    "l_shoulder": (0.18, 0.50, 0.0),
    "l_elbow": (0.20, 0.22, -0.02),
    "l_hand": (0.21, -0.02, 0.02),
    "r_shoulder": (-0.18, 0.50, 0.0),
    "r_elbow": (-0.20, 0.22, -0.02),
    "r_hand": (-0.21, -0.02, 0.02),
    "l_hip": (0.09, -0.03, 0.0),
    "l_knee": (0.10, -0.48, 0.02),
    "l_foot": (0.10, -0.87, -0.03),
    "l_toe": (0.11, -0.93, 0.12),
    "r_hip": (-0.09, -0.03, 0.0),
    "r_knee": (-0.10, -0.48, 0.02),
    "r_foot": (-0.10, -0.87, -0.03),
    "r_toe": (-0.11, -0.93, 0.12),
}
JOINTS = tuple(SKELETON)
#: The example's takes: (start heading in degrees, turn rate in degrees/s); takes 1, 2 and 7
#: cross 359 -> 0.
EXAMPLE_COURSES = (
    (340.0, 12.0),
    (25.0, -9.0),
    (95.0, 7.0),
    (150.0, -11.0),
    (200.0, 14.0),
    (250.0, -6.0),
    (300.0, 9.0),
    (125.0, 10.0),
)
STAGE_CENTRE = (15.0, 15.0)  # the stage spans 0..30 m in x and z; world origin at a corner
PLACE_RADIUS = 9.0  # take centres lie on this ring around the stage centre


def gait_offsets(phase: np.ndarray, stride: np.ndarray) -> np.ndarray:
    """Joint offsets from the root in the actor's frame, shape (frames, joints, 3).

    ``phase`` is the gait phase in radians (one stride = 2 pi: a step of each foot),
    ``stride`` the stride length in metres. The legs swing in antiphase, each arm against the
    leg on its side; a foot lifts while it swings forward; the torso sways against the pelvis.
    """
    n = phase.size
    out = np.broadcast_to(np.array(list(SKELETON.values())), (n, len(SKELETON), 3)).copy()
    j = {name: i for i, name in enumerate(JOINTS)}
    reach = stride / 4.0  # a foot's forward/backward excursion from under the hip
    for side, leg_phase, arm_phase in (("l", phase, phase + np.pi), ("r", phase + np.pi, phase)):
        swing = np.sin(leg_phase)  # forward position of the foot, -1..1
        lift = np.clip(np.cos(leg_phase), 0.0, None) ** 2  # in the air while moving forward
        out[:, j[f"{side}_hip"], 2] += 0.03 * swing  # pelvis rotation
        out[:, j[f"{side}_knee"], 2] += 0.5 * reach * swing + 0.06 * lift
        out[:, j[f"{side}_knee"], 1] += 0.05 * lift
        out[:, j[f"{side}_foot"], 2] += reach * swing
        out[:, j[f"{side}_foot"], 1] += 0.09 * lift
        out[:, j[f"{side}_toe"], 2] += reach * swing
        out[:, j[f"{side}_toe"], 1] += 0.05 * lift
        arm = np.sin(arm_phase)
        out[:, j[f"{side}_elbow"], 2] += 0.35 * reach * arm
        out[:, j[f"{side}_hand"], 2] += 0.8 * reach * arm
        out[:, j[f"{side}_hand"], 1] += 0.04 * arm**2
    counter_sway = -0.01 * np.sin(phase)  # the torso balances the pelvis sway
    for k, name in enumerate(("spine", "spine1", "chest", "neck", "head")):
        out[:, j[name], 0] += counter_sway * (k + 1) / 5
        out[:, j[name], 2] += 0.008 * np.cos(2 * phase)  # a slight nod with each step
    return out


def _take(
    rng: np.random.Generator,
    frames: int,
    place: tuple[float, float],
    course0: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """One actor's take: (world joints (frames, joints, 3), root heading in degrees).

    ``course0`` is (start heading in degrees, turn rate in degrees/s).
    """
    t = np.arange(frames) / FPS
    speed = rng.uniform(1.0, 1.4)  # m/s
    cadence = rng.uniform(0.85, 1.0)  # strides/s
    heading0, turn = course0
    phase = 2 * np.pi * cadence * t + rng.uniform(0.0, 2 * np.pi)
    course = np.radians(heading0 + turn * t)  # the direction of travel
    yaw = course + np.radians(2.0) * np.sin(phase)  # the pelvis turns with each stride
    step = speed / FPS
    path = np.stack([np.cumsum(step * np.sin(course)), np.cumsum(step * np.cos(course))], axis=1)
    path += np.array(place) - path.mean(axis=0)  # the take is centred on its place
    local = gait_offsets(phase, np.full(frames, speed / cadence))
    local[:, :, 0] += (0.025 * np.sin(phase))[:, None]  # lateral sway of the whole body
    local[:, :, 1] += (ROOT_HEIGHT + 0.02 * np.cos(2 * phase))[:, None]  # bob, twice a stride
    cos_y, sin_y = np.cos(yaw)[:, None], np.sin(yaw)[:, None]
    world = np.empty_like(local)
    world[:, :, 0] = path[:, 0:1] + local[:, :, 0] * cos_y + local[:, :, 2] * sin_y
    world[:, :, 1] = local[:, :, 1]
    world[:, :, 2] = path[:, 1:2] - local[:, :, 0] * sin_y + local[:, :, 2] * cos_y
    world += rng.normal(0.0, 0.002, world.shape)  # marker jitter
    heading = np.round(np.degrees(yaw) % 360.0, 2) % 360.0
    return world, heading


def mocap(
    rng: np.random.Generator,
    actors: int = 8,
    frames: tuple[int, int] = (420, 540),
    courses: tuple[tuple[float, float], ...] | None = EXAMPLE_COURSES,
    dtype: type = np.float32,
) -> pa.Table:
    """Takes of actors walking in world coordinates: ``actor_id``, ``frame``,
    ``root_heading_deg`` and ``<joint>_x/_y/_z`` for the 20 joints of ``SKELETON``.

    ``frames`` bounds each take's length (inclusive). Take k is centred at angle 360 k/actors
    on the ring around the stage centre; ``courses`` gives each take's start heading and turn
    rate (None: a random heading, turning at 6-15 degrees/s either way).
    """
    ids, counters, headings, worlds = [], [], [], []
    for k in range(actors):
        angle = 2 * np.pi * k / actors
        place = (
            STAGE_CENTRE[0] + PLACE_RADIUS * np.sin(angle),
            STAGE_CENTRE[1] + PLACE_RADIUS * np.cos(angle),
        )
        n = int(rng.integers(frames[0], frames[1] + 1))
        if courses is None:
            course = (rng.uniform(0.0, 360.0), rng.choice([-1.0, 1.0]) * rng.uniform(6.0, 15.0))
        else:
            course = courses[k]
        world, heading = _take(rng, n, place, course)
        ids.append(np.full(n, k + 1, np.int32))
        counters.append(np.arange(n, dtype=np.int32))
        headings.append(heading)
        worlds.append(world)
    coords = np.concatenate(worlds).round(4).astype(dtype)
    columns: dict[str, pa.Array] = {
        "actor_id": pa.array(np.concatenate(ids)),
        "frame": pa.array(np.concatenate(counters)),
        "root_heading_deg": pa.array(np.concatenate(headings)),
    }
    for j, name in enumerate(JOINTS):
        for a, axis in enumerate("xyz"):
            columns[f"{name}_{axis}"] = pa.array(coords[:, j, a])
    return pa.table(columns)


def mocap_local(table: pa.Table) -> pa.Table:
    """The twin: joints relative to the root, in the root's heading frame; sin/cos heading."""
    heading = np.radians(table["root_heading_deg"].to_numpy())
    cos_h, sin_h = np.cos(heading), np.sin(heading)
    dtype = table["hips_x"].type.to_pandas_dtype()
    root = {a: table[f"hips_{a}"].to_numpy().astype(np.float64) for a in "xyz"}
    columns: dict[str, pa.Array] = {
        "actor_id": table["actor_id"].combine_chunks(),
        "frame": table["frame"].combine_chunks(),
        "root_heading_sin": pa.array(sin_h.round(6)),
        "root_heading_cos": pa.array(cos_h.round(6)),
    }
    for name in JOINTS[1:]:
        dx, dy, dz = (table[f"{name}_{a}"].to_numpy() - root[a] for a in "xyz")
        local = {
            "x": dx * cos_h - dz * sin_h,  # the actor's left
            "y": dy,
            "z": dx * sin_h + dz * cos_h,  # the actor's forward
        }
        for axis in "xyz":
            columns[f"{name}_{axis}"] = pa.array(local[axis].round(4).astype(dtype))
    return pa.table(columns)


# --------------------------------------------------------------------------- weather

STATIONS = ("EGLL", "EGPH", "EGCC", "EGBB", "EGGD")  # Heathrow, Edinburgh, Manchester, ...
STATION_TEMP_OFFSET = (1.0, -2.0, -0.5, -0.8, 0.6)  # degrees C against the regional mean
VISIBILITY_MISSING = 99_999  # the station code for "not reported"


def _ar1(rng: np.random.Generator, n: int, rho: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series with lag-one correlation ``rho`` and marginal spread ``sd``."""
    out = np.empty(n)
    out[0] = rng.normal(0.0, sd)
    shocks = rng.normal(0.0, sd * np.sqrt(1.0 - rho**2), n)
    for i in range(1, n):
        out[i] = rho * out[i - 1] + shocks[i]
    return out


def _regimes(rng: np.random.Generator, hours: int) -> np.ndarray:
    """Hourly flag of northerly spells (about a quarter of the time, 1-4 days each)."""
    northerly = np.zeros(hours, bool)
    i, north = 0, False
    while i < hours:
        length = int(rng.integers(24, 97)) if north else int(rng.integers(48, 241))
        northerly[i : i + length] = north
        i += length
        north = not north
    return northerly


def _outages(rng: np.random.Generator, hours: int) -> np.ndarray:
    """Hours a visibility sensor did not report: 3-4 outages of 3-24 h and single misses."""
    missing = rng.random(hours) < 0.006
    for start in rng.choice(hours - 24, int(rng.integers(3, 5)), replace=False):
        missing[start : start + int(rng.integers(3, 25))] = True
    return missing


def weather(rng: np.random.Generator) -> pa.Table:
    """Hourly station log: cyclic wind direction, hour and month; a visibility sentinel."""
    stamps = np.arange(
        np.datetime64("2023-12-01T00", "h"), np.datetime64("2024-03-01T00", "h")
    ).astype("datetime64[s]")
    hours = stamps.size
    hour = (stamps.astype("datetime64[h]").astype(np.int64) % 24).astype(np.int8)
    month = (stamps.astype("datetime64[M]").astype(np.int64) % 12 + 1).astype(np.int8)
    northerly = _regimes(rng, hours)
    # The regional wind: south-westerly (235) or northerly (0) around a slow wander.
    regional_dir = np.where(northerly, 0.0, 235.0) + _ar1(rng, hours, 0.97, 25.0)
    regional_temp = 5.0 - 4.0 * northerly + _ar1(rng, hours, 0.98, 2.5)
    regional_press = 1011.0 + 8.0 * northerly + _ar1(rng, hours, 0.995, 8.0)
    diurnal = 3.0 * np.cos(2 * np.pi * (hour - 14.5) / 24)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("wd", "t", "v", "p")}
    for s in range(len(STATIONS)):
        wind = regional_dir + rng.normal(0.0, 12.0) + rng.normal(0.0, 10.0, hours)
        parts["wd"].append(np.round(wind).astype(np.int64) % 360)
        temp = regional_temp + STATION_TEMP_OFFSET[s] + diurnal + rng.normal(0.0, 0.6, hours)
        parts["t"].append(temp.round(1))
        # Visibility: a latent haze level (worse at night and in south-westerly rain),
        # mapped to 200 m .. 30 km.
        haze = _ar1(rng, hours, 0.9, 1.0) + 0.4 * ~northerly - 0.3 * diurnal / 3.0
        level = 1.0 / (1.0 + np.exp(1.4 * haze - 0.6))  # 0..1, 1 = clear
        vis = np.round(200.0 * 150.0 ** (level**0.6), -1).astype(np.int32)
        vis[_outages(rng, hours)] = VISIBILITY_MISSING
        parts["v"].append(vis)
        press = regional_press - 0.3 * s + rng.normal(0.0, 0.4, hours)
        parts["p"].append(press.round(1))
    n = len(STATIONS)
    return pa.table(
        {
            "station_id": pa.array(np.repeat(np.array(STATIONS), hours), pa.string()),
            "timestamp": pa.array(np.tile(stamps, n), pa.timestamp("s")),
            "wind_dir_deg": pa.array(np.concatenate(parts["wd"]).astype(np.int16)),
            "hour": pa.array(np.tile(hour, n)),
            "month": pa.array(np.tile(month, n)),
            "temperature_c": pa.array(np.concatenate(parts["t"])),
            "visibility_m": pa.array(np.concatenate(parts["v"])),
            "pressure_hpa": pa.array(np.concatenate(parts["p"])),
        }
    )


def _sin_cos(values: np.ndarray, period: float) -> tuple[pa.Array, pa.Array]:
    angle = 2 * np.pi * np.asarray(values, np.float64) / period
    return pa.array(np.sin(angle).round(6)), pa.array(np.cos(angle).round(6))


def weather_clean(table: pa.Table) -> pa.Table:
    """The twin: sin/cos of the cyclic columns; the sentinel as null plus an indicator."""
    vis = table["visibility_m"].to_numpy()
    missing = vis == VISIBILITY_MISSING
    wind_sin, wind_cos = _sin_cos(table["wind_dir_deg"].to_numpy(), 360.0)
    hour_sin, hour_cos = _sin_cos(table["hour"].to_numpy(), 24.0)
    month_sin, month_cos = _sin_cos(table["month"].to_numpy(), 12.0)
    return pa.table(
        {
            "station_id": table["station_id"],
            "timestamp": table["timestamp"],
            "wind_dir_sin": wind_sin,
            "wind_dir_cos": wind_cos,
            "hour_sin": hour_sin,
            "hour_cos": hour_cos,
            "month_sin": month_sin,
            "month_cos": month_cos,
            "temperature_c": table["temperature_c"],
            "visibility_m": pa.array(vis, mask=missing),
            "visibility_missing": pa.array(missing.astype(np.int8)),
            "pressure_hpa": table["pressure_hpa"],
        }
    )


# --------------------------------------------------------------------------- flights

CARRIERS = ("AA", "DL", "UA", "WN", "B6", "AS")
CARRIER_SHARE = (0.22, 0.21, 0.18, 0.24, 0.08, 0.07)
#: Departure banks: (centre, spread) in minutes since midnight, and their weights.
BANKS = ((420.0, 60.0), (600.0, 90.0), (810.0, 80.0), (1060.0, 90.0), (1320.0, 60.0))
BANK_WEIGHTS = (0.25, 0.2, 0.2, 0.25, 0.1)
FIRST_DEPARTURE, LAST_DEPARTURE = 300, 1439  # 05:00 .. 23:59


def _departures(rng: np.random.Generator, n: int) -> np.ndarray:
    """Minutes since midnight, 05:00..23:59, in banks through the day."""
    out = np.empty(0, np.int64)
    while out.size < n:
        bank = rng.choice(len(BANKS), 2 * n, p=BANK_WEIGHTS)
        centre, spread = np.array(BANKS).T[:, bank]
        draw = np.floor(rng.normal(centre, spread)).astype(np.int64)
        keep = (draw >= FIRST_DEPARTURE) & (draw <= LAST_DEPARTURE)
        out = np.concatenate([out, draw[keep]])
    return out[:n]


def _hhmm(minutes: np.ndarray) -> np.ndarray:
    return (minutes // 60) * 100 + minutes % 60


def flights(rng: np.random.Generator, n: int = 10_000) -> pa.Table:
    """A two-week schedule with clock times as HHMM integers."""
    carrier = rng.choice(len(CARRIERS), n, p=CARRIER_SHARE)
    number = np.empty(n, np.int64)  # each carrier's flight numbers: one flight each
    for c in range(len(CARRIERS)):
        mine = carrier == c
        number[mine] = rng.choice(np.arange(100, 10_000), mine.sum(), replace=False)
    day = rng.integers(1, 15, n)
    flight_id = [
        f"{CARRIERS[c]}{num}-2024-03-{d:02d}"
        for c, num, d in zip(carrier, number, day, strict=True)
    ]
    dep = _departures(rng, n)
    distance = np.exp(rng.normal(np.log(900.0), 0.6, 3 * n))
    distance = distance[(distance >= 150.0) & (distance <= 4500.0)][:n].round()
    block = 30.0 + distance / 780.0 * 60.0 + rng.normal(0.0, 8.0, n)  # taxi + air time
    arr = (dep + np.round(block).astype(np.int64)) % 1440
    # Delays build up through the day; a few flights leave early.
    scale = 6.0 + 0.025 * (dep - FIRST_DEPARTURE) + 3.0 * (carrier == 3)
    delay = np.round(rng.gamma(0.7, scale) - rng.exponential(4.0, n)).astype(np.int64)
    order = np.lexsort((dep, day))
    return pa.table(
        {
            "flight_id": pa.array(np.array(flight_id)[order], pa.string()),
            "carrier": pa.array(np.array(CARRIERS)[carrier][order], pa.string()),
            "dep_time_hhmm": pa.array(_hhmm(dep)[order].astype(np.int32)),
            "arr_time_hhmm": pa.array(_hhmm(arr)[order].astype(np.int32)),
            "distance_km": pa.array(distance[order]),
            "dep_delay_min": pa.array(delay[order]),
        }
    )


def flights_minutes(table: pa.Table) -> pa.Table:
    """The twin: minutes since midnight, with their sin/cos (period 1440)."""
    columns: dict[str, pa.Array] = {
        "flight_id": table["flight_id"],
        "carrier": table["carrier"],
    }
    minutes = {}
    for which in ("dep", "arr"):
        hhmm = table[f"{which}_time_hhmm"].to_numpy()
        minutes[which] = (hhmm // 100) * 60 + hhmm % 100
        columns[f"{which}_minutes"] = pa.array(minutes[which])
    for which in ("dep", "arr"):
        sin, cos = _sin_cos(minutes[which], 1440.0)
        columns[f"{which}_minutes_sin"] = sin
        columns[f"{which}_minutes_cos"] = cos
    columns["distance_km"] = table["distance_km"]
    columns["dep_delay_min"] = table["dep_delay_min"]
    return pa.table(columns)


# --------------------------------------------------------------------------- driver


def tables() -> dict[str, pa.Table]:
    """Every dataset by file stem, originals each followed by their twin."""
    out: dict[str, pa.Table] = {}
    out["mocap"] = mocap(np.random.default_rng([SEED, 0]))
    out["mocap_local"] = mocap_local(out["mocap"])
    out["weather"] = weather(np.random.default_rng([SEED, 1]))
    out["weather_clean"] = weather_clean(out["weather"])
    out["flights"] = flights(np.random.default_rng([SEED, 2]))
    out["flights_minutes"] = flights_minutes(out["flights"])
    return out


def write_all(folder: Path) -> list[Path]:
    """Write every dataset as ``<name>.parquet`` into ``folder``; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in tables().items():
        path = folder / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd", use_byte_stream_split=True)
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
