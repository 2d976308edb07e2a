"""The validation report: what ``dataguard.validate`` returns and ``dataguard
validate`` prints.

It mirrors :class:`~dataguard.report.ProfileReport`: findings ranked by severity, ``ok``,
``at_or_above``, ``raise_if_failed`` (the one bridge to an exception), ``exit_code`` and a
JSON-safe ``to_dict`` (``schemas/validation-report.schema.json``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dataguard._version import __version__
from dataguard.errors import FindingsError
from dataguard.findings import Finding, Severity, json_safe

__all__ = ["SCHEMA_VERSION", "ValidationReport"]

#: Version of the JSON document (schemas/validation-report.schema.json). Bumped on any
#: incompatible change; new optional fields keep it.
SCHEMA_VERSION = "1.0"


@dataclass
class ValidationReport:
    """New data checked against a contract: the findings and what was measured.

    Parameters
    ----------
    findings : list of Finding
        Contract violations (DG301-DG309), most severe first.
    source : str
        What was validated (a path, or ``<pandas frame>``).
    contract : str or None
        The contract's ``name`` (None when it has none).
    n_rows : int
        Rows read.
    elapsed_s : float
        Seconds the validation took.
    contract_path : str or None
        The contract file, when it came from one.
    columns : dict
        Column -> what was measured on it (type, missing, min, max, mean, std).
    codes : list of str
        The rule codes that ran (after ``select`` / ``ignore``).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from dataguard.contract import Contract
    >>> from dataguard.validation import validate
    >>> c = Contract.model_validate({"dataguard": 1, "columns": {"x": {"range": {"min": 0}}}})
    >>> report = validate(pa.table({"x": [1.0, -2.0, 3.0]}), c)
    >>> report.ok, [f.code for f in report.findings]
    (False, ['DG303'])
    >>> report.to_dict()["schema_version"]
    '1.0'
    """

    findings: list[Finding]
    source: str
    contract: str | None
    n_rows: int
    elapsed_s: float = 0.0
    contract_path: str | None = None
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)

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
        bad = self.at_or_above(level)
        if bad:
            raise FindingsError(
                f"{self.source}: {len(bad)} finding(s) at or above "
                f"{Severity.parse(level).label}; first: {bad[0].message}",
                bad,
            )

    def exit_code(self, fail_on: Severity | str = Severity.ERROR) -> int:
        """0 when no finding reaches ``fail_on``, else 1 (the CLI's convention)."""
        return 1 if self.at_or_above(fail_on) else 0

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``schemas/validation-report.schema.json``)."""
        counts = {s.label: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.label] += 1
        doc: dict[str, Any] = json_safe(
            {
                "schema_version": SCHEMA_VERSION,
                "dataguard_version": __version__,
                "source": self.source,
                "contract": {"name": self.contract, "path": self.contract_path},
                "n_rows": self.n_rows,
                "ok": self.ok,
                "summary": counts,
                "findings": [f.to_dict() for f in self.findings],
                "columns": [{"name": n, **c} for n, c in self.columns.items()],
                "rules": list(self.codes),
                "elapsed_s": round(self.elapsed_s, 3),
            }
        )
        return doc
