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
from dataguard.findings import Finding, FindingsVerdict, json_safe

__all__ = ["SCHEMA_VERSION", "ValidationReport"]

#: Version of the JSON document (schemas/validation-report.schema.json). Bumped on any
#: incompatible change; new optional fields keep it.
SCHEMA_VERSION = "1.0"


@dataclass
class ValidationReport(FindingsVerdict):
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

    def _failure_prefix(self) -> str:
        return f"{self.source}: "

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``schemas/validation-report.schema.json``)."""
        counts = self.severity_counts()
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
