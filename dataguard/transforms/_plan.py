"""From a profile's findings to an (unfitted) plan: which steps each column gets, and why.

Defaults, for every input column that is not dropped:

* numeric: infinities to missing, then impute the median (with a missing indicator when the
  fitting data had missing values), then standardize; binary 0/1 columns pass unscaled;
* text: one-hot with up to ``one_hot_max_levels`` levels, else ordinal codes (for an
  embedding); null and unseen values get no level (an all-zero one-hot row, ordinal code k);
* temporal: seconds since the epoch, standardized.

Findings change that (the fix each finding proposes):

====================  ===========================================================
DG103, DG106 (drop),  the column is dropped
DG114, DG120
DG109                 sentinel values to missing (before the imputation)
DG111                 decode HHMM / HHMMSS / YYYYMMDD / YYYYMM first
DG110                 sin/cos with the detected period (replaces the scaler)
DG112                 subtract the root of the same row, else the entity's centroid
DG113                 log1p (signed log with negatives; Yeo-Johnson if asked)
DG108                 clip at the far fences, then robust scale instead of standardize
DG115                 one-hot the integer codes
DG116                 ordinal codes for an embedding
====================  ===========================================================

Conflicts on one column are resolved in this order: drop wins over everything; a local frame
wins over cyclic (a longitude in a global frame becomes an offset from the reference,
wrapped into [-period/2, period/2) with the cyclic period, then standardized) and over log
and clip (they were judged on the global values); cyclic wins over log, clip and scaling.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dataguard.errors import ConfigError
from dataguard.findings import Finding
from dataguard.profile import ColumnProfile
from dataguard.report import ProfileReport
from dataguard.transforms._spec import CATEGORICAL_ORDER, NUMERIC_ORDER, POWERS, SCALERS

__all__ = ["ColumnPlan", "plan_columns"]

_DECODER = {
    "hhmm_to_minutes": "hhmm",
    "hhmmss_to_seconds": "hhmmss",
    "yyyymmdd_to_days": "yyyymmdd",
    "yyyymm_to_months": "yyyymm",
}
_SKEW = {"log": "log1p", "yeo-johnson": "yeo_johnson", "none": None}
#: Most ordinal levels kept (the profile counts up to 10,000 distinct values exactly).
MAX_ORDINAL_LEVELS = 10_000


@dataclass
class ColumnPlan:
    """The steps one column will get (parameters partly known), and the reasons."""

    name: str
    kind: str  # numeric | categorical | dropped
    steps: list[dict[str, Any]] = field(default_factory=list)
    because: list[str] = field(default_factory=list)
    levels: list[Any] = field(default_factory=list)

    def op(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.steps if s["op"] == name), None)

    def add(self, step: dict[str, Any], code: str | None = None) -> None:
        order = NUMERIC_ORDER if self.kind == "numeric" else CATEGORICAL_ORDER
        self.steps = [s for s in self.steps if s["op"] != step["op"]] + [step]
        self.steps.sort(key=lambda s: order.index(s["op"]))
        if code and code not in self.because:
            self.because.append(code)

    def remove(self, *ops: str) -> None:
        self.steps = [s for s in self.steps if s["op"] not in ops]

    def drop(self, code: str) -> None:
        self.kind, self.steps, self.levels = "dropped", [{"op": "drop"}], []
        if code not in self.because:
            self.because.append(code)


def plan_columns(
    report: ProfileReport,
    *,
    skew: str = "log",
    one_hot_max_levels: int | None = None,
    plan: Mapping[str, Any] | None = None,
) -> dict[str, ColumnPlan]:
    """The plan for every non-target column of the profile, in column order."""
    if skew not in _SKEW:
        raise ConfigError(f"skew {skew!r} is not one of: {', '.join(_SKEW)}")
    limit = one_hot_max_levels or int(report.thresholds.get("one_hot_max_levels", 100))
    by_col: dict[str, list[Finding]] = {}
    for f in report.findings:
        for col in f.columns:
            by_col.setdefault(col, []).append(f)
    plans = {
        name: _default(c, limit) for name, c in report.columns.items() if name not in report.targets
    }
    _apply_findings(report, plans, by_col, skew)
    if plan:
        _override(report, plans, plan, limit)
    return plans


def _binary(c: ColumnProfile) -> bool:
    """Only 0 and 1 (booleans, indicators): already on the scale a network wants."""
    return bool(c.values) and set(c.values or {}) <= {0.0, 1.0}


def _default(c: ColumnProfile, limit: int) -> ColumnPlan:
    p = ColumnPlan(c.name, "numeric")
    if c.kind == "numeric":
        if c.n_valid == 0:
            p.drop("DG106")
            return p
        p.add({"op": "nonfinite"})
        p.add({"op": "impute", "strategy": "median"})
        if not _binary(c):
            p.add({"op": "standardize"})
        return p
    if c.kind == "temporal" and not c.dtype.startswith(("time32", "time64")):
        p.add({"op": "impute", "strategy": "median"})
        p.add({"op": "standardize"}, "DG123")
        return p
    if c.kind == "categorical":
        p.kind = "categorical"
        counts = dict(c.values or {}) or dict(c.top or [])
        levels = sorted(counts, key=lambda v: (-counts[v], str(v)))
        if not levels:
            p.drop("DG106")
        elif (c.n_distinct or len(levels)) <= limit:
            p.levels = levels
            p.add({"op": "one_hot"})
        else:
            p.levels = levels[:MAX_ORDINAL_LEVELS]
            p.add({"op": "ordinal"}, "DG116")
        return p
    p.drop("unsupported-type")
    return p


def _apply_findings(
    report: ProfileReport,
    plans: dict[str, ColumnPlan],
    by_col: Mapping[str, list[Finding]],
    skew: str,
) -> None:
    framed: set[str] = set()
    for f in report.findings:
        if f.code == "DG112" and f.fix:
            framed |= _frame_steps(report, plans, f)
    for name, p in plans.items():  # representation first: drop, decode, sentinel, cyclic
        for f in by_col.get(name, []):
            if p.kind == "dropped":
                break
            _representation(p, f, name in framed)
    for name, p in plans.items():  # then the shape of numeric columns that stay numeric
        if p.kind != "numeric" or p.op("cyclic") or name in framed:
            continue
        for f in by_col.get(name, []):
            _shape(p, f, report.columns[name], skew)


def _representation(p: ColumnPlan, f: Finding, framed: bool) -> None:
    fix = dict(f.fix or {})
    t = fix.get("transform")
    numeric = p.kind == "numeric"
    if f.code == "DG120" and p.name not in fix.get("columns", [p.name]):
        return  # the first of identical columns is kept
    if t == "drop" and f.code in ("DG103", "DG106", "DG114", "DG120"):
        p.drop(f.code)
    elif f.code == "DG109" and numeric:
        p.add({"op": "sentinel", "values": list(fix.get("values", []))}, f.code)
    elif f.code == "DG111" and numeric and t in _DECODER:
        p.add({"op": _DECODER[str(t)]}, f.code)
        then = fix.get("then") or {}
        if then.get("transform") == "cyclic" and not framed:
            _cyclic(p, float(then["period"]), 0.0, f.code)
    elif f.code == "DG110" and numeric and fix.get("period"):
        frame = p.op("local_frame")
        if framed and frame is not None:  # a frame wins; its offsets wrap with the period
            frame["period"] = float(fix["period"])
            p.because.append(f.code)
        elif not framed:
            _cyclic(p, float(fix["period"]), float(fix.get("offset") or 0.0), f.code)
    elif f.code == "DG115" and numeric:
        p.kind, p.steps = "categorical", []
        p.levels = list(fix.get("levels", []))
        p.add({"op": "one_hot"}, f.code)


def _shape(p: ColumnPlan, f: Finding, c: ColumnProfile, skew: str) -> None:
    op = _SKEW[skew]
    if f.code == "DG113" and op is not None:
        if op == "log1p" and (c.min is None or float(c.min) < 0):
            op = "signed_log"
        p.add({"op": op}, f.code)
    elif f.code == "DG108":
        p.add({"op": "clip"}, f.code)
        p.remove(*SCALERS)
        p.add({"op": "robust_scale"})
    elif f.code in ("DG101", "DG102", "DG104", "DG105") and p.op("standardize"):
        p.because.append(f.code) if f.code not in p.because else None


def _cyclic(p: ColumnPlan, period: float, offset: float, code: str) -> None:
    p.remove(*POWERS, "clip", *SCALERS)
    p.add({"op": "cyclic", "period": period, "offset": offset}, code)


def _frame_steps(report: ProfileReport, plans: dict[str, ColumnPlan], f: Finding) -> set[str]:
    """Add the local-frame step DG112 proposes; the columns it covers."""
    from dataguard.rules.frames import coordinate_groups

    fix = dict(f.fix or {})
    movers = [c for c in fix.get("columns", []) if c in plans]
    key = fix.get("key")
    axis_of: dict[str, str] = {}
    for g in coordinate_groups(report.profile, set()):
        for axis, col in g.axes.items():
            axis_of[col] = axis
    roots = {axis_of.get(c): c for c in fix.get("root_columns", [])}
    done: set[str] = set()
    for name in movers:
        p = plans[name]
        if p.kind != "numeric":
            continue
        root = roots.get(axis_of.get(name)) if fix.get("reference") == "root" else None
        if root is not None:
            step: dict[str, Any] = {"op": "local_frame", "reference": "root", "root": root}
        elif key is not None and key in report.columns:
            step = {"op": "local_frame", "reference": "entity", "key": key}
        else:
            continue
        p.remove(*POWERS, "clip", "cyclic", *SCALERS)
        p.add(step, "DG112")
        p.add({"op": "standardize"})
        done.add(name)
    return done


def _override(
    report: ProfileReport, plans: dict[str, ColumnPlan], plan: Mapping[str, Any], limit: int
) -> None:
    """Replace the planned steps of the named columns (a contract's or the caller's plan)."""
    for name, spec in plan.items():
        if name not in report.columns or name in report.targets:
            raise ConfigError(f"plan: column {name!r} is not an input column of the data")
        steps: Sequence[Any] = [spec] if isinstance(spec, (str, Mapping)) else list(spec)
        entries = [dict(s) if isinstance(s, Mapping) else {"op": str(s)} for s in steps]
        if any("op" not in e for e in entries):
            raise ConfigError(f"plan: column {name!r}: every step needs an 'op'")
        p = plans[name]
        ops = [e["op"] for e in entries]
        if ops == ["drop"]:
            p.drop("plan")
            continue
        c = report.columns[name]
        kind = "categorical" if any(o in ("one_hot", "ordinal") for o in ops) else "numeric"
        fresh = ColumnPlan(name, kind, because=["plan"])
        if kind == "categorical":
            counts = dict(c.values or {}) or dict(c.top or [])
            fresh.levels = p.levels or sorted(counts, key=lambda v: (-counts[v], str(v)))
        order = NUMERIC_ORDER if kind == "numeric" else CATEGORICAL_ORDER
        for e in entries:
            if e["op"] not in order:
                raise ConfigError(f"plan: column {name!r}: step {e['op']!r} is not a {kind} step")
            fresh.add(e)
        plans[name] = fresh
