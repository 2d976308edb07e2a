"""What a rule sees: the profile, the thresholds, the targets and the task."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataguard.findings import Finding, Severity
from dataguard.profile import ColumnProfile, Profile
from dataguard.rules._thresholds import Thresholds

__all__ = ["RuleContext", "RuleSpec"]


@dataclass(frozen=True)
class RuleSpec:
    """A rule's identity: what every finding it emits carries."""

    code: str
    slug: str
    category: str
    severity: Severity
    reason: tuple[int, ...]
    summary: str

    def finding(
        self,
        columns: tuple[str, ...] | list[str],
        message: str,
        evidence: Mapping[str, Any],
        fix: Mapping[str, Any] | None = None,
        severity: Severity | None = None,
    ) -> Finding:
        """A finding of this rule; the message gets the code appended."""
        return Finding(
            code=self.code,
            slug=self.slug,
            category=self.category,
            severity=self.severity if severity is None else severity,
            columns=tuple(columns),
            message=f"{message} ({self.code})",
            evidence=dict(evidence),
            reason=self.reason,
            fix=fix,
        )


@dataclass(frozen=True)
class RuleContext:
    """The profile plus what the user declared."""

    profile: Profile
    thresholds: Thresholds
    targets: tuple[str, ...]
    tasks: Mapping[str, str]  # target name -> "regression" | "classification"
    order_by: str | None = None  # rows are in this order within each group (sequences)
    group_by: str | None = None  # the entity / sequence key

    def inputs(self) -> list[ColumnProfile]:
        """Profiled non-target columns with enough values to judge."""
        return [
            c
            for c in self.profile.columns.values()
            if c.name not in self.targets and self.judgeable(c)
        ]

    def judgeable(self, col: ColumnProfile) -> bool:
        """Enough valid values for a rule to say anything."""
        return col.kind in ("numeric", "categorical") and col.n_valid >= self.thresholds.min_values

    def numeric_inputs(self) -> list[ColumnProfile]:
        """Judgeable numeric inputs."""
        return [c for c in self.inputs() if c.kind == "numeric"]
