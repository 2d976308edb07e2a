"""``ValidationReport``: ok, severity filters, the exception bridge, exit codes, JSON schema."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from dataguard import Severity
from dataguard.contract import Contract
from dataguard.errors import FindingsError
from dataguard.validation import ValidationReport, validate

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "validation-report.schema.json"


def _report() -> ValidationReport:
    c = Contract.model_validate(
        {
            "dataguard": 1,
            "name": "toy",
            "dataset": {"extra_columns": "warn"},
            "columns": {
                "x": {"nullable": False, "range": {"min": 0, "max": 10}, "mean": {"max": 100}},
                "city": {"levels": ["a", "b"]},
            },
        }
    )
    t = pa.table(
        {
            "x": [1.0, float("inf"), 3.0, float("nan")],
            "city": ["a", "c", "b", None],
            "extra": [1, 2, 3, 4],
        }
    )
    return validate(t, c)


def test_ok_levels_and_exit_codes() -> None:
    report = _report()
    assert [f.code for f in report.findings] == ["DG303", "DG304", "DG301", "DG305"]
    assert [f.severity for f in report.findings] == sorted(
        (f.severity for f in report.findings), reverse=True
    )
    assert not report.ok
    assert {f.code for f in report.at_or_above("warning")} == {"DG301", "DG303", "DG304", "DG305"}
    assert report.exit_code() == 1 and report.exit_code(Severity.ERROR) == 1
    only_warnings = ValidationReport(report.at_or_above("warning")[2:], "s", None, 4)
    assert only_warnings.ok and only_warnings.exit_code() == 0
    assert only_warnings.exit_code("warning") == 1


def test_raise_if_failed_is_the_only_bridge_to_an_exception() -> None:
    report = _report()
    with pytest.raises(FindingsError, match=r"2 finding\(s\) at or above error") as info:
        report.raise_if_failed()
    assert [f.code for f in info.value.findings] == ["DG303", "DG304"]
    ValidationReport([], "s", None, 0).raise_if_failed("info")  # nothing to raise


def test_to_dict_is_json_and_matches_the_committed_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = _report().to_dict()
    text = json.dumps(doc, allow_nan=False)  # inf and nan are strings
    jsonschema.validate(json.loads(text), schema)
    jsonschema.validate([doc, doc], schema)  # several files: an array of reports
    assert doc["schema_version"] == "1.0"
    assert doc["contract"] == {"name": "toy", "path": None}
    assert doc["summary"] == {"info": 0, "warning": 2, "error": 2}
    assert doc["ok"] is False and doc["n_rows"] == 4
    x = next(c for c in doc["columns"] if c["name"] == "x")
    assert x["n_missing"] == 1 and x["max"] == "inf"
    assert doc["rules"] == [f"DG30{i}" for i in range(1, 10)]
    bad = dict(doc, findings=[{"code": "nope"}])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)
