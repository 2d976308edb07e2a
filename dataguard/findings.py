"""The one result type every stage of dataguard emits.

A :class:`Finding` is a fact about the data (or, later, the model) that matters for
gradient training: it names the columns, says what was expected and what was measured,
carries the numbers as ``evidence``, cites the seed reason, and proposes a fix as a
transform spec (a plain dict a later stage can fit).

Examples
--------
>>> f = Finding(
...     code="DG107", slug="non-finite", category="missing", severity=Severity.ERROR,
...     columns=("speed",), message="Column 'speed': 0.8% of values are +inf.",
...     evidence={"posinf_share": 0.008}, reason=(1,), fix={"transform": "inf_to_missing"},
... )
>>> f.severity >= Severity.WARNING
True
>>> f.to_dict()["severity"]
'error'
"""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CATEGORIES", "Finding", "FindingsVerdict", "Severity", "json_safe"]

#: The fixed category names; the JSON carries them (schemas/profile-report.schema.json).
CATEGORIES: tuple[str, ...] = (
    "scale",
    "near_constant",
    "outliers",
    "discontinuity",
    "representation",
    "target",
    "missing",
    "types",
    "drift",
    "contract",
    "model_output",
    "init",
    "gradients",
    "capacity",
    "regularization",
    "batch_size",
    "learning_rate",
    "training_loop",
)


class Severity(enum.IntEnum):
    """How much a finding is expected to hurt gradient training; ordered."""

    INFO = 0
    WARNING = 1
    ERROR = 2

    @classmethod
    def parse(cls, value: str | Severity) -> Severity:
        """Read ``"info"``, ``"warning"`` or ``"error"`` (any case).

        >>> Severity.parse("Warning")
        <Severity.WARNING: 1>
        """
        if isinstance(value, Severity):
            return value
        try:
            return cls[value.strip().upper()]
        except KeyError:
            names = ", ".join(s.label for s in cls)
            raise ValueError(f"severity {value!r} is not one of: {names}") from None

    @property
    def label(self) -> str:
        """The lower-case name used in JSON and on the command line."""
        return self.name.lower()


def json_safe(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, non-finite floats to strings.

    >>> json_safe({"a": float("inf"), "b": [1.5, float("nan")]})
    {'a': 'inf', 'b': [1.5, 'nan']}
    """
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


@dataclass(frozen=True)
class Finding:
    """One problem (or note) about the data, with its evidence and its fix.

    Parameters
    ----------
    code : str
        Stable rule code, e.g. ``"DG101"``; ``dataguard explain CODE`` documents it.
    slug : str
        Readable name of the rule, e.g. ``"unscaled-feature"``.
    category : str
        One of :data:`CATEGORIES`.
    severity : Severity
        Expected harm to training.
    columns : tuple of str
        The columns it concerns (empty for dataset-level findings).
    message : str
        One line: subject, expectation, actual value, then the hint.
    evidence : dict
        The numbers behind the message.
    reason : tuple of int
        Seed reasons (1-11) it comes from.
    fix : dict or None
        A transform spec, e.g. ``{"transform": "standardize"}``.
    """

    code: str
    slug: str
    category: str
    severity: Severity
    columns: tuple[str, ...]
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    reason: tuple[int, ...] = ()
    fix: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"finding {self.code}: category {self.category!r} is not known")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (numpy scalars converted, inf/nan as strings)."""
        return {
            "code": self.code,
            "slug": self.slug,
            "category": self.category,
            "severity": self.severity.label,
            "columns": list(self.columns),
            "message": self.message,
            "evidence": json_safe(dict(self.evidence)),
            "reason": list(self.reason),
            "fix": json_safe(dict(self.fix)) if self.fix is not None else None,
        }


class FindingsVerdict:
    """The verdict API every report shares: ``ok``, ``at_or_above``, ``raise_if_failed``,
    ``exit_code`` and ``severity_counts``, over the report's ``findings``."""

    findings: list[Finding]

    def _failure_prefix(self) -> str:
        """What a :class:`~dataguard.errors.FindingsError` message starts with."""
        return ""

    @property
    def ok(self) -> bool:
        """No finding at error severity."""
        return not self.at_or_above(Severity.ERROR)

    def at_or_above(self, level: Severity | str) -> list[Finding]:
        """Findings at or above a severity."""
        level = Severity.parse(level)
        return [f for f in self.findings if f.severity >= level]

    def raise_if_failed(self, level: Severity | str = Severity.ERROR) -> None:
        """Raise :class:`~dataguard.errors.FindingsError` if findings reach ``level``."""
        from dataguard.errors import FindingsError

        bad = self.at_or_above(level)
        if bad:
            raise FindingsError(
                f"{self._failure_prefix()}{len(bad)} finding(s) at or above "
                f"{Severity.parse(level).label}; first: {bad[0].message}",
                bad,
            )

    def exit_code(self, fail_on: Severity | str = Severity.ERROR) -> int:
        """0 when no finding reaches ``fail_on``, else 1 (the CLI's convention)."""
        return 1 if self.at_or_above(fail_on) else 0

    def severity_counts(self) -> dict[str, int]:
        """Findings per severity label."""
        counts = {s.label: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.label] += 1
        return counts
