"""Reference frames (seed reason 3): DG112 global-frame.

Positions recorded in one world frame (joints of several actors, deliveries around several
stores) mostly tell *where* each entity is and which way it faces; a network then has to
learn the same pose or the same neighbourhood once per place and direction. DG112 finds
coordinate groups (``x/y/z``, ``<joint>_x/_y/_z``, ``LeftFoot.X``, ``pos_x``, ``lat/lon``) and
measures, in a second pass, the share of their variance that lies between the entities of a
key column (``--group-by``, else discovered among integer and text columns). When it
dominates, the fix is a per-entity frame: a root joint subtracted row by row, the entity's
first frame, or its centroid, plus the heading when a heading/yaw column exists.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile, Profile, SecondPass
from dataguard.profile._arrow import null_mask, to_float64, values_view
from dataguard.profile._frames import BetweenGroupsPass, KeySpec, ValueSpec
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, name_words
from dataguard.rules._thresholds import Thresholds
from dataguard.rules.types import is_date_text

__all__ = ["DG112", "PASS_NAME", "CoordinateGroup", "coordinate_groups", "global_frame", "plan"]

DG112 = RuleSpec(
    "DG112",
    "global-frame",
    "representation",
    Severity.WARNING,
    (3,),
    "coordinate groups whose variation is mostly between entities: use a per-entity frame",
)

#: Key of the second pass's result in ``Profile.passes``.
PASS_NAME = "frames"

#: The last word of a coordinate column's name: (family, axis).
_AXES: dict[str, tuple[str, str]] = {
    "x": ("xyz", "x"),
    "y": ("xyz", "y"),
    "z": ("xyz", "z"),
    "lat": ("geo", "lat"),
    "latitude": ("geo", "lat"),
    "lon": ("geo", "lon"),
    "lng": ("geo", "lon"),
    "long": ("geo", "lon"),
    "longitude": ("geo", "lon"),
}
#: Unit words that may follow the axis ("pos_x_m", "lat_deg").
_UNITS = {"m", "mm", "cm", "km", "meter", "meters", "metre", "metres", "deg", "degrees", "px"}
#: Words saying a group is not a position in the world: derivatives, sizes, directions, and
#: quantities already relative to something (they are what the fix produces).
_NOT_POSITION = {
    "vel",
    "velocity",
    "speed",
    "acc",
    "accel",
    "acceleration",
    "gyro",
    "gyr",
    "omega",
    "force",
    "torque",
    "mag",
    "magnet",
    "rot",
    "rotation",
    "euler",
    "angle",
    "quat",
    "scale",
    "size",
    "dim",
    "extent",
    "width",
    "height",
    "std",
    "var",
    "sd",
    "err",
    "error",
    "grad",
    "gradient",
    "normal",
    "norm",
    "dir",
    "direction",
    "local",
    "rel",
    "relative",
    "delta",
    "diff",
    "offset",
    "disp",
    "displacement",
}
#: Words naming the frame rather than the body part ("hips_pos_x", "root_world_x").
_FRAME_WORDS = {"pos", "position", "loc", "location", "world", "global", "coord", "coords"}
#: A root group: its name words are root words (in this order of preference) and fillers.
_ROOT_WORDS = ("root", "hips", "pelvis", "com", "cog", "base", "torso", "body", "center", "centre")
_ROOT_FILLERS = {"of", "mass", "gravity", "link", "joint"}
_HEADING_WORDS = {"heading", "yaw", "bearing"}
#: Key names that say "entity" (ranked first among candidates).
_ENTITY_WORDS = {
    "id",
    "key",
    "actor",
    "subject",
    "person",
    "player",
    "user",
    "agent",
    "entity",
    "track",
    "object",
    "vehicle",
    "device",
    "sensor",
    "store",
    "shop",
    "site",
    "station",
    "session",
    "sequence",
    "seq",
    "clip",
    "take",
    "trial",
    "episode",
    "character",
    "robot",
    "customer",
    "patient",
    "participant",
}
_TIME_WORDS = {"time", "frame", "step", "t", "ts", "tick", "hour", "day", "month", "year", "date"}
_INTEGER_DTYPES = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"}
#: Within-entity variance below this share of the total: the coordinates are a constant
#: attribute of each entity (a store's own location), not positions that move; a local
#: frame would erase them, so DG112 stays quiet.
STATIC_WITHIN_SHARE = 1e-9
#: Rows of the row sample on which the share relative to the root is estimated (its standard
#: error with k entities is well under 0.01 at this size: an estimate to choose the frame by).
AFTER_ROWS = 32_768


@dataclass(frozen=True)
class CoordinateGroup:
    """Columns naming the axes of one position: ``label`` (e.g. ``lhand``), ``family``
    (``xyz`` or ``geo``), ``axes`` (axis -> column, in axis order) and the name's words."""

    label: str
    family: str
    axes: dict[str, str]
    words: tuple[str, ...]

    @property
    def columns(self) -> list[str]:
        return list(self.axes.values())

    @property
    def body_words(self) -> tuple[str, ...]:
        """The name's words without frame words ("hips_pos" -> "hips")."""
        return tuple(w for w in self.words if w not in _FRAME_WORDS)

    def root_rank(self) -> int | None:
        """Preference as a root (lower is better), or None if not named as a root."""
        body = self.body_words
        roots = [w for w in body if w in _ROOT_WORDS]
        if (
            self.family != "xyz"
            or not roots
            or any(w not in _ROOT_WORDS and w not in _ROOT_FILLERS for w in body)
        ):
            return None
        return min(_ROOT_WORDS.index(w) for w in roots)


def _axis_of(name: str) -> tuple[str, str, tuple[str, ...], str] | None:
    """(family, axis, prefix words, label) of a coordinate-like column name, else None."""
    words = name_words(name)
    lower = name.lower()
    end = len(lower)
    if len(words) >= 2 and words[-1] in _UNITS and words[-2] in _AXES:
        end = lower.rfind(words[-1])
        words = words[:-1]
    if not words or words[-1] not in _AXES:
        return None
    family, axis = _AXES[words[-1]]
    prefix = tuple(words[:-1])
    if set(prefix) & _NOT_POSITION:
        return None
    label = name[: lower.rfind(words[-1], 0, end)].rstrip("_.-: ")
    return family, axis, prefix, label


def coordinate_groups(profile: Profile, exclude: set[str]) -> list[CoordinateGroup]:
    """Groups of numeric columns naming two or more axes of one position.

    >>> import pyarrow as pa
    >>> from dataguard.io import open_source
    >>> from dataguard.engines import profile_source
    >>> t = pa.table({c: [0.5, 1.5] * 20 for c in ["LeftFoot.X", "LeftFoot.Y", "pos_x", "f_x"]})
    >>> [(g.label, g.columns) for g in coordinate_groups(profile_source(open_source(t)), set())]
    [('LeftFoot', ['LeftFoot.X', 'LeftFoot.Y'])]
    """
    found: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    for c in profile.columns.values():
        if c.kind != "numeric" or c.name in exclude or c.dtype == "bool" or c.n_valid == 0:
            continue
        parsed = _axis_of(c.name)
        if parsed is None:
            continue
        family, axis, prefix, label = parsed
        entry = found.setdefault((family, prefix), {"label": label, "axes": {}})
        entry["axes"].setdefault(axis, c.name)
    groups = []
    for (family, prefix), entry in found.items():
        order = "xyz" if family == "xyz" else ("lat", "lon")
        axes = {a: entry["axes"][a] for a in order if a in entry["axes"]}
        if len(axes) < 2:  # one axis alone is just a feature named x
            continue
        label = entry["label"] or "/".join(axes)
        groups.append(CoordinateGroup(label, family, axes, prefix))
    labels = [g.label for g in groups]
    return [  # "pickup_x/_y" and "pickup_lat/_lon": two groups, two labels
        g
        if labels.count(g.label) == 1
        else CoordinateGroup(f"{g.label} ({'/'.join(g.axes)})", g.family, g.axes, g.words)
        for g in groups
    ]


def _key_rank(c: ColumnProfile) -> tuple[int, int, int]:
    words = set(name_words(c.name))
    return (
        0 if words & _ENTITY_WORDS else 1,
        1 if words & _TIME_WORDS else 0,
        -(c.n_distinct or 0),
    )


def key_candidates(
    profile: Profile,
    t: Thresholds,
    group_by: str | None,
    order_by: str | None,
    exclude: set[str],
) -> tuple[list[ColumnProfile], list[str]]:
    """The keys to measure (``--group-by``, else discovered) and those left out by the cap.

    Discovered keys are integer or text columns whose distinct values were counted exactly:
    2 to ``frame_max_groups`` of them, with at least ``frame_min_rows_per_entity`` rows each
    on average (not float measurements, not identifiers, not the --order-by column), named
    like an entity (``_ENTITY_WORDS``: actor, subject, vehicle, id, ...). A region such as
    a state or a country partitions space; its share of the coordinates' variance is the
    geography, not a frame to remove (vega's airports: 97% of lat/lon lies between states).
    """
    if group_by is not None:
        given = profile.columns[group_by]
        return ([given] if given.kind in ("numeric", "categorical", "temporal") else []), []
    found = []
    for c in profile.columns.values():
        if c.name in exclude or c.name == order_by or not c.distinct_exact or c.n_valid == 0:
            continue
        if c.kind == "numeric" and c.dtype not in _INTEGER_DTYPES:
            continue
        if c.kind == "categorical" and is_date_text(c):
            continue
        if c.kind not in ("numeric", "categorical"):
            continue
        if not (set(name_words(c.name)) & _ENTITY_WORDS):
            continue
        k = c.n_distinct or 0
        if 2 <= k <= t.frame_max_groups and c.n_valid >= t.frame_min_rows_per_entity * k:
            found.append(c)
    found.sort(key=_key_rank)
    cap = max(t.frame_max_keys, 0)
    return found[:cap], [c.name for c in found[cap:]]


def _key_spec(c: ColumnProfile) -> KeySpec:
    """Integer keys with exactly counted values below 2^53 (exact as the profile's floats)
    are coded from those values; the others as their values appear."""
    exact = c.kind == "numeric" and c.dtype in _INTEGER_DTYPES and c.distinct_exact
    if exact and c.values and max(abs(float(c.min)), abs(float(c.max))) < 2.0**53:
        return KeySpec(c.name, tuple(int(v) for v in sorted(c.values)))
    return KeySpec(c.name)


def _value_spec(c: ColumnProfile) -> ValueSpec:
    n = c.n_valid
    std = c.std or 0.0
    return ValueSpec(c.name, n, float(c.mean or 0.0), std * std * n, c.n_valid == c.n_rows)


def _heading_column(
    profile: Profile, root: CoordinateGroup | None, exclude: set[str]
) -> str | None:
    """A heading/yaw column (numeric), preferring one named after the root."""
    found = []
    for c in profile.columns.values():
        words = set(name_words(c.name))
        if c.kind == "numeric" and c.name not in exclude and c.n_valid and words & _HEADING_WORDS:
            near_root = root is not None and bool(words & (set(root.body_words) | {"root"}))
            found.append((0 if near_root else 1, c.name))
    return min(found)[1] if found else None


def _heading_unit(c: ColumnProfile) -> str:
    words = set(name_words(c.name))
    if words & {"deg", "degree", "degrees"}:
        return "degrees"
    if words & {"rad", "radian", "radians"}:
        return "radians"
    extent = max(abs(float(c.min or 0.0)), abs(float(c.max or 0.0)))
    return "degrees" if extent > 2 * math.pi + 0.1 else "radians"


def plan(
    profile: Profile, thresholds: Thresholds, order_by: str | None, group_by: str | None
) -> list[SecondPass]:
    """One pass summing the coordinate columns per group of each candidate key (or none,
    without coordinate groups or keys)."""
    keys_given = {k for k in (order_by, group_by) if k is not None}
    groups = coordinate_groups(profile, keys_given)
    if not groups:
        return []
    coords = {c for g in groups for c in g.columns}
    keys, left_out = key_candidates(profile, thresholds, group_by, order_by, coords)
    if not keys:
        return []
    values = [_value_spec(profile.columns[c]) for g in groups for c in g.columns]
    info = {
        "groups": {g.label: g.columns for g in groups},
        "key_source": "--group-by" if group_by is not None else "discovered",
        "keys_left_out": left_out,
        "max_keys": thresholds.frame_max_keys,
    }
    passes: list[SecondPass] = [
        BetweenGroupsPass(
            PASS_NAME,
            [_key_spec(k) for k in keys],
            values,
            thresholds.frame_max_groups,
            info,
        )
    ]
    return passes


# --- the rule --------------------------------------------------------------------------------


def _shares(
    key: dict[str, Any], groups: dict[str, list[str]]
) -> dict[str, tuple[float, float, float]]:
    """Per coordinate group: (between share, SS_between, SS_total), pooled over its axes."""
    out = {}
    for label, cols in groups.items():
        stats = [key["columns"][c] for c in cols if c in key["columns"]]
        between = sum(s["ss_between"] for s in stats)
        total = sum(s["ss_total"] for s in stats)
        if total > 0:
            out[label] = (between / total, between, total)
    return out


def _mean_share(shares: dict[str, tuple[float, float, float]]) -> float:
    """The mean of the groups' shares: free of units (metres and degrees of latitude)."""
    return sum(s[0] for s in shares.values()) / len(shares) if shares else 0.0


def _judged_keys(
    ctx: RuleContext, result: dict[str, Any], groups: dict[str, list[str]]
) -> dict[str, dict[str, Any]]:
    """Candidate keys with their shares, or the reason they are not judged."""
    t = ctx.thresholds
    out: dict[str, dict[str, Any]] = {}
    for name, key in result["keys"].items():
        row: dict[str, Any] = {"n_entities": key.get("n_groups")}
        if key.get("dropped"):
            row["not_judged"] = key["dropped"]
        elif name in ctx.targets:
            row["not_judged"] = "a target"
        elif (key.get("n_groups") or 0) < 2:
            row["not_judged"] = "fewer than 2 entities"
        elif key["rows"] < t.frame_min_rows_per_entity * key["n_groups"]:
            row["not_judged"] = (
                f"{fmt(key['rows'] / key['n_groups'])} rows per entity, fewer than "
                f"{t.frame_min_rows_per_entity}: chance alone explains ~1/rows of the variance"
            )
        else:
            shares = _shares(key, groups)
            row["mean_share"] = _mean_share(shares)
            row["group_shares"] = {g: s[0] for g, s in shares.items()}
            row["_shares"] = shares
            row["rows_per_entity"] = key["rows_per_group"]
        out[name] = row
    return out


def global_frame(ctx: RuleContext) -> Iterator[Finding]:
    """DG112."""
    result = ctx.profile.passes.get(PASS_NAME)
    if not result or not result.get("keys"):
        return
    t = ctx.thresholds
    groups = {
        label: [c for c in cols if c not in ctx.targets] for label, cols in result["groups"].items()
    }
    groups = {label: cols for label, cols in groups.items() if len(cols) >= 2}
    judged = _judged_keys(ctx, result, groups)
    ranked = sorted(
        (row["mean_share"], name) for name, row in judged.items() if "mean_share" in row
    )
    if not ranked:
        return
    key = ranked[-1][1]
    chosen = judged[key]
    shares: dict[str, tuple[float, float, float]] = chosen["_shares"]
    dominant = [
        g
        for g, (share, between, total) in shares.items()
        if share >= t.frame_between_share and (total - between) > STATIC_WITHIN_SHARE * total
    ]
    if not dominant:
        return
    yield _finding(ctx, result, key, judged, dominant, groups)


@dataclass(frozen=True)
class _Frame:
    """The per-entity frame DG112 proposes."""

    reference: str  # "root" | "first" | "centroid"
    own: str  # the entity's own frame ("first" with --order-by, else "centroid")
    root: CoordinateGroup | None
    movers: list[str]  # the dominant groups made relative to the root (all, without one)
    heading: str | None
    heading_unit: str | None
    up: str | None
    after: float | None  # between share relative to the root, on the row sample


def _choose_frame(
    ctx: RuleContext, key: str, dominant: list[str], groups: dict[str, list[str]]
) -> _Frame:
    """Root (a root group is present, and relative to it the entities' places vanish on the
    row sample), else the entity's first frame (--order-by) or centroid; plus the heading."""
    p = ctx.profile
    found = coordinate_groups(p, {k for k in (ctx.order_by, ctx.group_by) if k})
    by_label = {g.label: g for g in found if g.label in groups}
    roots = sorted(
        (rank, g.label) for g in by_label.values() if (rank := g.root_rank()) is not None
    )
    root = by_label[roots[0][1]] if roots else None
    own = "first" if ctx.order_by else "centroid"
    heading = None
    if any(by_label[g].family == "xyz" for g in dominant):  # no heading for lat/lon
        heading = _heading_column(p, root, set(ctx.targets) | {c for g in found for c in g.columns})
    spatial = [by_label[g] for g in dominant if len(by_label[g].axes) == 3]
    up = _up_axis(p, root if root is not None else spatial[0]) if root or spatial else None
    movers = [g for g in dominant if root is None or g != root.label]
    if root is None or not movers:
        return _Frame(own, own, None, dominant, heading, _unit(p, heading), up, None)
    after = _share_after_root(p, key, [by_label[g] for g in movers], root, heading, up)
    if after is not None and after >= ctx.thresholds.frame_between_share:
        # relative to the root the entities still differ: it does not carry their places
        return _Frame(own, own, None, dominant, heading, _unit(p, heading), up, after)
    return _Frame("root", own, root, movers, heading, _unit(p, heading), up, after)


def _unit(p: Profile, heading: str | None) -> str | None:
    return _heading_unit(p.columns[heading]) if heading is not None else None


def _finding(
    ctx: RuleContext,
    result: dict[str, Any],
    key: str,
    judged: dict[str, dict[str, Any]],
    dominant: list[str],
    groups: dict[str, list[str]],
) -> Finding:
    t = ctx.thresholds
    chosen = judged[key]
    frame = _choose_frame(ctx, key, dominant, groups)
    share = _mean_share({g: chosen["_shares"][g] for g in dominant})
    columns = [c for g in dominant for c in groups[g]]
    root = frame.root
    evidence = {
        "key": key,
        "key_source": result.get("key_source"),
        "n_entities": chosen["n_entities"],
        "rows_per_entity": chosen["rows_per_entity"],
        "between_share": share,
        "group_shares": chosen["group_shares"],
        "dominant_groups": dominant,
        "candidate_keys": {
            k: {kk: vv for kk, vv in row.items() if not kk.startswith("_")}
            for k, row in judged.items()
        },
        "keys_left_out": result.get("keys_left_out", []),
        "threshold": t.frame_between_share,
        "reference": frame.reference,
        "root": root.label if root is not None else None,
        "heading": frame.heading,
        "share_after_root_sampled": frame.after,
    }
    fix: dict[str, Any] = {
        "transform": "local_frame",
        "key": key,
        "reference": frame.reference,
        "root_columns": root.columns if root is not None else [],
        "heading": frame.heading,
        "columns": [c for g in frame.movers for c in groups[g]],
    }
    if frame.heading is not None:
        fix["heading_unit"] = frame.heading_unit
        fix["up_axis"] = frame.up
    if root is not None and root.label in dominant:
        fix["root_reference"] = frame.own  # the root itself: relative to the entity's own frame
    if frame.own == "first" and "first" in (frame.reference, fix.get("root_reference")):
        fix["order_by"] = ctx.order_by
    message = _message(ctx, key, chosen["n_entities"], dominant, columns, share, frame)
    return DG112.finding(columns, message, evidence, fix)


def _message(
    ctx: RuleContext,
    key: str,
    n_entities: int,
    dominant: list[str],
    columns: list[str],
    share: float,
    frame: _Frame,
) -> str:
    named = ", ".join(repr(g) for g in dominant[:4])
    more = f" and {len(dominant) - 4} more" if len(dominant) > 4 else ""
    noun = "group" if len(dominant) == 1 else "groups"
    own = (
        f"each entity's first frame (by {ctx.order_by!r})"
        if frame.own == "first"
        else "each entity's centroid"
    )
    if frame.root is not None:
        hint = f"subtract the root {frame.root.label!r} row by row"
        if frame.heading is not None:
            hint += f" and rotate by the heading {frame.heading!r}"
        if frame.root.label in dominant:
            hint += f"; the root itself relative to {own}"
    else:
        hint = f"express them relative to {own}"
        if frame.heading is not None:
            hint += f", rotated by the heading {frame.heading!r}"
    faces = " and which way it faces" if frame.heading is not None else ""
    return (
        f"Coordinate {noun} {named}{more} ({len(columns)} columns): {share:.1%} of their "
        f"variance lies between the {fmt(n_entities)} entities of {key!r} (expected under "
        f"{ctx.thresholds.frame_between_share:.0%} for positions a network compares across "
        f"entities); they mostly say where each entity is{faces}, so the same pose or path "
        f"must be learned once per place; {hint}"
    )


def _up_axis(p: Profile, root: CoordinateGroup) -> str | None:
    """The root's axis with the least spread (height varies least) when it has three."""
    if len(root.axes) < 3:
        return None
    spread = {a: p.columns[c].std or 0.0 for a, c in root.axes.items()}
    return min(spread, key=lambda a: spread[a])


def _share_after_root(
    p: Profile,
    key: str,
    movers: list[CoordinateGroup],
    root: CoordinateGroup,
    heading: str | None,
    up: str | None,
) -> float | None:
    """Between-entity share of the movers relative to the root (rotated by the heading, the
    better of both senses), estimated on at most ``AFTER_ROWS`` rows of the row sample (every
    k-th: they span the whole file); None without rows."""
    sample = p.sample
    if sample.num_rows < 2 or key not in sample.column_names:
        return None
    stride = -(-sample.num_rows // AFTER_ROWS)
    codes = _sample_codes(sample.column(key))[::stride]

    def floats(name: str) -> npt.NDArray[np.float64]:
        return to_float64(sample.column(name).combine_chunks())[::stride]

    rootx = {a: floats(c) for a, c in root.axes.items()}
    turns: list[tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None] = [None]
    if heading is not None:
        h = floats(heading)
        rad = np.radians(h) if _heading_unit(p.columns[heading]) == "degrees" else h
        cos, sin = np.cos(rad), np.sin(rad)
        turns = [(cos, sin), (cos, -sin)]  # both senses of rotation
    locals_ = []
    for g in movers:
        local = {a: floats(c) - rootx[a] for a, c in g.axes.items() if a in rootx}
        locals_.append((local, [a for a in "xyz" if a in local and a != up][:2]))
    best = None
    for turn in turns:
        between = total = 0.0
        for local, plane in locals_:
            xs = dict(local)
            if turn is not None and len(plane) == 2:
                u, v = xs[plane[0]], xs[plane[1]]
                xs[plane[0]], xs[plane[1]] = u * turn[0] - v * turn[1], u * turn[1] + v * turn[0]
            for x in xs.values():
                b, tot = _between_total(codes, x)
                between, total = between + b, total + tot
        if total > 0:
            best = between / total if best is None else min(best, between / total)
    return best


def _sample_codes(column: pa.ChunkedArray) -> npt.NDArray[np.intp]:
    """Group codes of the sample's key (-1 for nulls)."""
    encoded = pc.dictionary_encode(column.combine_chunks())
    codes = values_view(encoded.indices).astype(np.intp)
    mask = null_mask(encoded.indices)
    if mask is not None:
        codes[mask] = -1
    return codes


def _between_total(codes: npt.NDArray[np.intp], x: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(SS_between, SS_total) of ``x`` by ``codes`` (rows with a code and a finite value)."""
    ok = (codes >= 0) & np.isfinite(x)
    c, v = codes[ok], x[ok]
    if v.size < 2:
        return 0.0, 0.0
    d = v - v.mean()
    n = np.bincount(c).astype(np.float64)
    s = np.bincount(c, d)
    has = n > 0
    return float(np.sum(s[has] ** 2 / n[has])), float(np.einsum("i,i->", d, d))
