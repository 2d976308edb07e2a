"""The profile report: what ``dataguard.profile`` returns and ``dataguard profile`` prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataguard._version import __version__
from dataguard.findings import Finding, FindingsVerdict, json_safe
from dataguard.profile import ColumnProfile, Profile

__all__ = ["SCHEMA_VERSION", "ProfileReport"]

#: Version of the JSON document (schemas/profile-report.schema.json). Bumped on any
#: incompatible change; new optional fields keep it.
SCHEMA_VERSION = "1.0"


@dataclass
class ProfileReport(FindingsVerdict):
    """A profiled dataset and its findings.

    Examples
    --------
    >>> import pyarrow as pa
    >>> import dataguard
    >>> report = dataguard.profile(pa.table({"x": [i / 20 - 1 for i in range(40)]}))
    >>> report.ok, [f.code for f in report.findings]
    (True, [])
    >>> report.to_dict()["schema_version"]
    '1.0'
    """

    profile: Profile
    findings: list[Finding]
    targets: tuple[str, ...] = ()
    tasks: dict[str, str] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)
    elapsed_s: float = 0.0

    @property
    def columns(self) -> dict[str, ColumnProfile]:
        """Column profiles by name."""
        return self.profile.columns

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``schemas/profile-report.schema.json``)."""
        counts = self.severity_counts()
        doc: dict[str, Any] = json_safe(
            {
                "schema_version": SCHEMA_VERSION,
                "dataguard_version": __version__,
                "source": self.profile.source,
                "n_rows": self.profile.n_rows,
                "n_columns": len(self.profile.columns),
                "targets": [{"column": t, "task": self.tasks.get(t)} for t in self.targets],
                "summary": counts,
                "findings": [f.to_dict() for f in self.findings],
                "dataset": {
                    "duplicate_rows": self.profile.duplicate_rows,
                    "duplicates_exact": self.profile.duplicates_exact,
                    "identical_columns": self.profile.identical_columns,
                    "sample_rate": self.profile.sample_rate,
                    "sample_rows": self.profile.sample.num_rows,
                },
                "columns": [c.to_dict() for c in self.profile.columns.values()],
                "passes": self.profile.passes,
                "rules": self.codes,
                "thresholds": self.thresholds,
                "elapsed_s": round(self.elapsed_s, 3),
            }
        )
        return doc
