"""Cyclic features and sequences (seed reason 3): DG110 cyclic-feature, DG126
unordered-sequence.

A column is called cyclic from its evidence together: its values lie in a periodic domain
(degrees, radians, hours, months, weekdays, days of the month or year) with mass near both
ends of it, *and* either its name says so (a whole word: ``wind_dir``, not ``director_id``)
or, with ``--order-by``, its sequences wrap around (359 -> 1) the way a periodic value does.
The values alone never suffice: a bounded count (days since an event, 0..364) or a latitude
fits a domain without being periodic.

With ``--order-by`` the second pass (``dataguard.profile._sequences``) also checks that rows
are in that order within each ``--group-by`` group; when they are not (DG126), wrap jumps
are not judged.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile, Profile, SecondPass, SequencePass
from dataguard.profile._arrow import to_float64
from dataguard.rules._context import RuleContext, RuleSpec
from dataguard.rules._measures import fmt, is_binary, name_words
from dataguard.rules._thresholds import Thresholds
from dataguard.rules.types import identifier_reason

DG110 = RuleSpec(
    "DG110",
    "cyclic-feature",
    "discontinuity",
    Severity.WARNING,
    (3,),
    "angles, hours, months, weekdays and other periodic values: sin/cos with the period",
)
DG126 = RuleSpec(
    "DG126",
    "unordered-sequence",
    "discontinuity",
    Severity.INFO,
    (2, 3),
    "rows are not in --order-by order within their --group-by group",
)

#: Name words (whole tokens of the column name) that say a value is periodic, by kind.
NAME_HINTS: dict[str, str] = {
    "angle": "angle",
    "deg": "angle",
    "heading": "angle",
    "bearing": "angle",
    "direction": "angle",
    "dir": "angle",
    "azimuth": "angle",
    "phase": "angle",
    "longitude": "angle",
    "lon": "angle",
    "hour": "hour",
    "month": "month",
    "weekday": "weekday",
    "dow": "weekday",
    "doy": "doy",
}


@dataclass(frozen=True)
class Domain:
    """A periodic domain: values in [lo, lo + period)."""

    label: str
    unit: str
    lo: float
    period: float
    kinds: frozenset[str]
    #: Whole-number levels lo .. lo + period - 1: a value equal to lo + period is outside.
    levels: bool = False
    #: Radians: whole numbers are never radians.
    fractional: bool = False

    def contains(self, lo: float, hi: float) -> bool:
        """Do values from ``lo`` to ``hi`` lie in the domain?"""
        tol = 1e-9 * self.period
        top = self.lo + self.period
        return lo >= self.lo - tol and (hi < top if self.levels else hi <= top + tol)


def _kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


#: Ordered by period, the smallest that fits wins (0..6 fits weekdays, not degrees).
DOMAINS: tuple[Domain, ...] = tuple(
    sorted(
        (
            Domain("[0, 2pi)", "radians", 0.0, 2 * math.pi, _kinds("angle"), fractional=True),
            Domain("[-pi, pi)", "radians", -math.pi, 2 * math.pi, _kinds("angle"), fractional=True),
            Domain("0..6", "day of week", 0.0, 7.0, _kinds("weekday"), levels=True),
            Domain("1..7", "day of week", 1.0, 7.0, _kinds("weekday"), levels=True),
            Domain("0..11", "month", 0.0, 12.0, _kinds("month"), levels=True),
            Domain("1..12", "month", 1.0, 12.0, _kinds("month"), levels=True),
            Domain("0..23", "hour of day", 0.0, 24.0, _kinds("hour"), levels=True),
            Domain("1..24", "hour of day", 1.0, 24.0, _kinds("hour"), levels=True),
            Domain("1..31", "day of month", 1.0, 31.0, _kinds(), levels=True),
            Domain("1..366", "day of year", 1.0, 366.0, _kinds("doy"), levels=True),
            Domain("[0, 360)", "degrees", 0.0, 360.0, _kinds("angle")),
            Domain("[-180, 180)", "degrees", -180.0, 360.0, _kinds("angle")),
        ),
        key=lambda d: d.period,
    )
)


@dataclass(frozen=True)
class Fit:
    """A column's periodic domain and the mass near its ends."""

    domain: Domain
    name_hint: str | None
    low_share: float
    high_share: float
    width: float
    exact: bool


def name_hints(name: str) -> dict[str, str]:
    """Hint kinds named by whole words of ``name``, each with the first word naming it.

    >>> name_hints("wind_dir"), name_hints("director_id"), name_hints("hours_worked")
    ({'angle': 'dir'}, {}, {})
    """
    out: dict[str, str] = {}
    for word in name_words(name):
        kind = NAME_HINTS.get(word)
        if kind is not None:
            out.setdefault(kind, word)
    return out


def _weighted_values(
    profile: Profile, col: ColumnProfile
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], bool] | None:
    """The column's values with weights: exact counts when kept, else the row sample."""
    if col.values is not None:
        x = np.fromiter(col.values.keys(), float, len(col.values))
        w = np.fromiter(col.values.values(), float, len(col.values))
        return x, w, True
    sample = profile.sample
    if sample.num_rows == 0 or col.name not in sample.column_names:
        return None
    x = to_float64(sample.column(col.name).combine_chunks())
    x = x[np.isfinite(x)]
    return x, np.ones(x.size), bool(profile.sample_rate >= 1.0)


def _width(d: Domain, col: ColumnProfile, t: Thresholds) -> float:
    """Width of each end band: a share of the period; whole levels for whole numbers."""
    width = t.cyclic_end_band * d.period
    return max(1.0, float(round(width))) if col.integral else width


def _ends(
    d: Domain, width: float, x: npt.NDArray[np.float64], w: npt.NDArray[np.float64]
) -> tuple[float, float]:
    """Shares of the values (``x`` with weights ``w``) in the low and high end bands."""
    total = float(w.sum())
    if total <= 0:
        return 0.0, 0.0
    low = float(w[x < d.lo + width].sum()) / total
    high = float(w[x >= d.lo + d.period - width].sum()) / total
    return low, high


def fit_domain(profile: Profile, col: ColumnProfile, t: Thresholds) -> Fit | None:
    """The periodic domain the column's values fit with mass near both ends, or None.

    Domains of the name's hints are tried first, smallest period first (the hint is then
    part of the evidence); then every domain, without a hint.
    """
    if (
        col.kind != "numeric"
        or col.min is None
        or col.n_valid < t.min_values
        or is_binary(col)
        or col.min == col.max
    ):
        return None
    lo, hi = float(col.min), float(col.max)
    hints = name_hints(col.name)
    pools = (
        [
            (d, next(hints[k] for k in d.kinds if k in hints))
            for d in DOMAINS
            if d.kinds & hints.keys()
        ],
        [(d, None) for d in DOMAINS],
    )
    found = None
    for pool in pools:
        ranked = sorted(pool, key=lambda dh: (dh[0].period, abs(lo - dh[0].lo)))
        for d, hint in ranked:
            if (d.fractional and col.integral) or not d.contains(lo, hi):
                continue
            width = _width(d, col, t)
            if lo >= d.lo + width or hi < d.lo + d.period - width:
                continue  # the extremes miss an end band: no need to count
            found = found or _weighted_values(profile, col)
            if found is None:
                return None
            low, high = _ends(d, width, found[0], found[1])
            if min(low, high) >= t.cyclic_end_share:
                return Fit(d, hint, low, high, width, found[2])
    return None


def plan(
    profile: Profile, thresholds: Thresholds, order_by: str | None, group_by: str | None
) -> list[SecondPass]:
    """With ``order_by``: one :class:`SequencePass` reading the group and order columns and
    every numeric column that fits a periodic domain (named so or not)."""
    if order_by is None:
        return []
    order = profile.columns.get(order_by)
    if order is None or order.kind not in ("numeric", "temporal"):
        return []  # text order values have no numeric order here (see DG126's docs)
    if group_by is not None:
        group = profile.columns.get(group_by)
        if group is None or group.kind not in ("numeric", "categorical", "temporal"):
            return []
    named: dict[str, float] = {}  # named first: the pass follows at most MAX_CANDIDATES
    unnamed: dict[str, float] = {}
    for c in profile.columns.values():
        if c.name in (order_by, group_by):
            continue
        fit = fit_domain(profile, c, thresholds)
        if fit is not None:
            (named if fit.name_hint else unnamed)[c.name] = fit.domain.period
    periods = {**named, **unnamed}
    return [
        SequencePass(order_by, group_by, periods, wrap_distance=thresholds.cyclic_wrap_distance)
    ]


def _sequences(ctx: RuleContext) -> dict[str, Any] | None:
    """The sequence pass's result, when it ran for this context's --order-by."""
    res = ctx.profile.passes.get("sequences")
    if ctx.order_by is None or not res or res.get("order_by") != ctx.order_by:
        return None
    return res if res.get("order_supported") else None


def _in_order(res: dict[str, Any], t: Thresholds) -> bool:
    return bool(res["backward_steps"] == 0 or res["backward_share"] <= t.sequence_backward_share)


@dataclass(frozen=True)
class _Wraps:
    """Wrap-jump evidence of one column from the sequence pass."""

    judged: bool  # rows in order: the counts mean something
    why_not: str | None
    stats: dict[str, Any] | None

    def evidence(self, t: Thresholds) -> bool:
        """Do the wraps alone show a periodic value?"""
        s = self.stats
        if not self.judged or s is None:
            return False
        wraps, other = s["wrap_jumps"], s["other_jumps"]
        step, dist = s["mean_step"], s["mean_wrap_distance"]
        return bool(
            wraps >= t.cyclic_min_wraps
            and wraps >= t.cyclic_wrap_jump_share * (wraps + other)
            and step is not None
            and dist is not None
            and dist <= t.cyclic_wrap_step_ratio * step
        )


def _wraps(ctx: RuleContext, col: ColumnProfile, fit: Fit) -> _Wraps:
    res = _sequences(ctx)
    if res is None:
        return _Wraps(False, "no --order-by" if ctx.order_by is None else "not measured", None)
    stats = res["columns"].get(col.name)
    if stats is None or not math.isclose(stats["period"], fit.domain.period):
        return _Wraps(False, "not measured", None)
    if not _in_order(res, ctx.thresholds):
        return _Wraps(False, f"rows are not in {ctx.order_by!r} order (DG126)", stats)
    return _Wraps(True, None, stats)


def _shown(x: float) -> str:
    """A domain bound for a message (pi-multiples by name)."""
    for k, label in ((2, "2pi"), (1, "pi"), (-1, "-pi")):
        if math.isclose(x, k * math.pi):
            return label
    return fmt(x)


def _ends_text(fit: Fit) -> str:
    """'4.2% at 0 and 4.1% at 23', '5.0% within 18 of 0 and 4.9% within 18 of 360'."""
    d, w = fit.domain, fit.width
    top = d.lo + d.period
    if not d.levels:
        return (
            f"{fit.low_share:.1%} within {fmt(w)} of {_shown(d.lo)} and {fit.high_share:.1%} "
            f"within {fmt(w)} of {_shown(top)}"
        )
    k = int(w)
    low = fmt(d.lo) if k == 1 else f"{fmt(d.lo)}..{fmt(d.lo + k - 1)}"
    high = fmt(top - 1) if k == 1 else f"{fmt(top - k)}..{fmt(top - 1)}"
    return f"{fit.low_share:.1%} at {low} and {fit.high_share:.1%} at {high}"


def cyclic_verdict(ctx: RuleContext, c: ColumnProfile) -> tuple[Fit, _Wraps, bool] | None:
    """(domain fit, wrap evidence, whether the wraps decided) when ``c`` is cyclic, else None.

    The scale rules skip such columns: DG110's sin/cos encoding replaces them.
    """
    t = ctx.thresholds
    if identifier_reason(c, t) is not None:
        return None
    fit = fit_domain(ctx.profile, c, t)
    if fit is None:
        return None
    wraps = _wraps(ctx, c, fit)
    by_wraps = wraps.evidence(t)
    if fit.name_hint is None and not by_wraps:
        return None  # bounded values alone are not evidence of a period
    return fit, wraps, by_wraps


def cyclic_feature(ctx: RuleContext) -> Iterator[Finding]:
    """DG110."""
    for c in ctx.numeric_inputs():
        verdict = cyclic_verdict(ctx, c)
        if verdict is not None:
            yield _finding(c, *verdict)


def _finding(c: ColumnProfile, fit: Fit, wraps: _Wraps, by_wraps: bool) -> Finding:
    d = fit.domain
    top = d.lo + d.period
    said = [f"name word {fit.name_hint!r}"] if fit.name_hint else []
    said.append(f"values in {d.label} ({d.unit}) with {_ends_text(fit)}")
    s = wraps.stats
    if by_wraps and s is not None:
        said.append(
            f"{fmt(s['wrap_jumps'])} wrap jumps across the seam in {fmt(s['pairs'])} ordered "
            f"steps ({s['wrap_share']:.2%})"
        )
    elif wraps.why_not and wraps.why_not.startswith("rows are not"):
        said.append(f"wrap jumps not judged: {wraps.why_not}")
    if d.levels:
        last = top - 1
        apart = f"{fmt(last)} and {fmt(d.lo)}, neighbours on the cycle, lie {fmt(last - d.lo)}"
    else:
        apart = (
            f"values just below {_shown(top)} and just above {_shown(d.lo)}, neighbours on "
            f"the circle, lie almost {_shown(d.period)}"
        )
    message = (
        f"Column {c.name!r}: periodic with period {_shown(d.period)} ({'; '.join(said)}); "
        f"expected an encoding in which the ends of the period meet, found one number on "
        f"which {apart} apart; encode it as sin/cos with period {_shown(d.period)}"
    )
    evidence = {
        "period": d.period,
        "offset": d.lo,
        "domain": d.label,
        "unit": d.unit,
        "name_hint": fit.name_hint,
        "low_end_share": fit.low_share,
        "high_end_share": fit.high_share,
        "end_width": fit.width,
        "ends_exact": fit.exact,
        "min": c.min,
        "max": c.max,
        "wraps_judged": wraps.judged,
        "wraps_not_judged": wraps.why_not,
        "wrap_evidence": by_wraps,
        "wrap_jumps": None if s is None else s["wrap_jumps"],
        "transitions": None if s is None else s["pairs"],
        "wrap_share": None if s is None else s["wrap_share"],
        "other_jumps": None if s is None else s["other_jumps"],
        "mean_step": None if s is None else s["mean_step"],
        "mean_wrap_distance": None if s is None else s["mean_wrap_distance"],
    }
    return DG110.finding(
        [c.name], message, evidence, {"transform": "cyclic", "period": d.period, "offset": d.lo}
    )


def _unjudged(res: dict[str, Any]) -> str:
    """What the disorder costs: the wrap jumps of the followed columns are not judged."""
    names = list(res["columns"])
    if not names:
        return ""
    shown = ", ".join(repr(n) for n in names[:3]) + (", ..." if len(names) > 3 else "")
    return f"; wrap jumps of {shown} were not judged"


def _value(x: Any) -> str:
    """An order value of the example: numbers formatted, dates as they are."""
    return fmt(x) if isinstance(x, int | float) else str(x)


def unordered_sequence(ctx: RuleContext) -> Iterator[Finding]:
    """DG126."""
    res = _sequences(ctx)
    if res is None or _in_order(res, ctx.thresholds):
        return
    order, group = ctx.order_by, ctx.group_by
    assert order is not None
    back, steps, share = res["backward_steps"], res["transitions"], res["backward_share"]
    ex = res.get("first_backward") or {}
    if group is not None:
        where = (
            f" within their {group!r} group (in {fmt(res['groups_with_backward'])} of "
            f"{fmt(res['groups'])} groups; e.g. group {ex.get('group')!r}: "
            f"{_value(ex.get('next'))} after {_value(ex.get('previous'))})"
        )
        expected = f"rows sorted by {group!r}, then {order!r}"
        hint = f"sort the rows by ({group!r}, {order!r})"
    else:
        where = f" (e.g. {_value(ex.get('next'))} after {_value(ex.get('previous'))})"
        expected = f"rows sorted by {order!r}"
        hint = (
            f"sort the rows by {order!r}, or name the key of interleaved sequences with --group-by"
        )
    yield DG126.finding(
        [c for c in (group, order) if c is not None],
        f"Rows: {fmt(back)} of {fmt(steps)} steps ({share:.2%}) go back in {order!r}{where}; "
        f"expected {expected}{_unjudged(res)}; {hint}",
        {
            "backward_steps": back,
            "transitions": steps,
            "backward_share": share,
            "groups_affected": res["groups_with_backward"],
            "groups": res["groups"],
            "groups_capped": res["groups_capped"],
            "rows_untracked": res["rows_untracked"],
            "example": res.get("first_backward"),
            "order_by": order,
            "group_by": group,
        },
        {"transform": "sort", "by": [c for c in (group, order) if c is not None]},
    )
