"""A contract's declarations in place of dataguard's guesses (``--contract`` for ``profile``
and ``fit``).

* Roles: ``target`` columns are the targets; the ``order`` column is ``--order-by``; the
  declared entity key (``semantic.entity_key``, else a non-unique ``key`` column) is
  ``--group-by``; ``key``, ``order`` and ``ignore`` columns are not features (dropped by
  ``fit``).
* Findings: a column's ``ignore`` codes and every finding on an ``ignore`` column are
  removed; a guessed DG110 period or DG109 sentinel set yields to the declared one.
* Plan (``fit``): declared cyclic periods, sentinels and encodings become steps; the
  contract's ``transforms.plan`` overrides everything for the columns it names.
* Contradictions are findings: a declared column that is absent (DG301, error), values that
  span more than one declared period (DG110), a declared sentinel that never occurs (DG109,
  info).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dataguard.contract._model import Contract
from dataguard.findings import Finding, Severity
from dataguard.profile import Profile

__all__ = ["apply_to_findings", "contract_plan", "profile_options"]

_DECODE_THEN = {"hhmm": 1440.0, "hhmmss": 86400.0}


def profile_options(contract: Contract) -> dict[str, Any]:
    """``target``, ``order_by`` and ``group_by`` as the contract declares them."""
    key = next(
        (
            c.semantic.entity_key
            for c in contract.columns.values()
            if c.semantic and c.semantic.entity_key
        ),
        None,
    )
    if key is None:
        key = next(
            (n for n, c in contract.columns.items() if c.role == "key" and not c.unique), None
        )
    return {
        "target": contract.targets() or None,
        "order_by": contract.role_of("order"),
        "group_by": key,
    }


def apply_to_findings(
    findings: list[Finding], contract: Contract, profile: Profile
) -> list[Finding]:
    """The findings with the contract's ignores applied and its contradictions added."""
    from dataguard.rules.contract import DG301

    cols = contract.columns
    declared_cyclic = {n for n, c in cols.items() if c.semantic and c.semantic.cyclic_period}
    declared_sentinel = {n for n, c in cols.items() if c.semantic and c.semantic.sentinels}
    out: list[Finding] = []
    for f in findings:
        if any(cols[c].role == "ignore" for c in f.columns if c in cols):
            continue
        if any(f.code in cols[c].ignore for c in f.columns if c in cols):
            continue
        if f.code == "DG110" and set(f.columns) <= declared_cyclic:
            continue  # the declared period is used instead of the guessed one
        if f.code == "DG109" and set(f.columns) <= declared_sentinel:
            continue
        out.append(f)
    for name, c in cols.items():
        if name not in profile.columns:
            if c.required:
                out.append(
                    DG301.finding(
                        [name],
                        f"Column {name!r}: declared in the contract, absent from the data "
                        f"(columns: {', '.join(list(profile.columns)[:8])})",
                        {"declared": name},
                    )
                )
            continue
        out.extend(_contradictions(name, c, profile))
    return out


def _contradictions(name: str, c: Any, profile: Profile) -> list[Finding]:
    from dataguard.rules.cyclic import DG110
    from dataguard.rules.sentinels import DG109

    col = profile.columns[name]
    found: list[Finding] = []
    sem = c.semantic
    if sem is None or col.kind != "numeric" or col.min is None:
        return found
    span = float(col.max) - float(col.min)
    if sem.cyclic_period and span > sem.cyclic_period:
        found.append(
            DG110.finding(
                [name],
                f"Column {name!r}: declared cyclic with period {sem.cyclic_period:g}, but its "
                f"values span {col.min:g}..{col.max:g} ({span:g}, more than one period); "
                "check the unit or the declaration",
                {"declared_period": sem.cyclic_period, "min": col.min, "max": col.max},
            )
        )
    if sem.sentinels and col.values is not None:
        absent = [v for v in sem.sentinels if v not in col.values]
        if absent and len(absent) == len(sem.sentinels):
            found.append(
                DG109.finding(
                    [name],
                    f"Column {name!r}: declared sentinel values {absent} never occur in the "
                    "data; the declaration may be stale",
                    {"declared": sem.sentinels},
                    severity=Severity.INFO,
                )
            )
    return found


def contract_plan(contract: Contract) -> dict[str, Any]:
    """The transform plan the contract declares (explicit plan over declared semantics)."""
    plan: dict[str, Any] = {}
    for name, c in contract.columns.items():
        if c.role in ("key", "order", "ignore"):
            plan[name] = "drop"
            continue
        if c.role == "target" or c.semantic is None:
            continue
        steps: list[Any] = []
        sem = c.semantic
        if sem.encoding:
            steps.append(sem.encoding)
        if sem.sentinels:
            steps.append({"op": "sentinel", "values": list(sem.sentinels)})
        period = sem.cyclic_period or _DECODE_THEN.get(sem.encoding or "")
        if period:
            steps += ["impute", {"op": "cyclic", "period": float(period), "offset": 0.0}]
        elif steps:
            steps += ["impute", "standardize"]
        if steps:
            plan[name] = steps
    explicit: Mapping[str, Any] = (contract.transforms.plan or {}) if contract.transforms else {}
    plan.update(explicit)
    return plan
