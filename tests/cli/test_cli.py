"""The command line: exit codes, one-line errors, nothing written on failure, JSON schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dataguard import __version__
from dataguard.cli import app

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _good(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    path = tmp_path / "good.parquet"
    pq.write_table(
        pa.table(
            {"a": rng.normal(size=500), "b": rng.normal(size=500), "y": rng.integers(0, 2, 500)}
        ),
        path,
    )
    return path


def _bad_scale(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    path = tmp_path / "bad.parquet"
    x = rng.normal(1000, 200, 500)
    x[7] = np.inf
    pq.write_table(pa.table({"a": x, "b": rng.normal(size=500)}), path)
    return path


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataguard.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def _bad_inputs(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "emptydir").mkdir()
    (tmp_path / "zero.parquet").write_bytes(b"")
    good = _good(tmp_path).read_bytes()
    (tmp_path / "truncated.parquet").write_bytes(good[: len(good) // 2])
    corrupt = bytearray(good)  # random bytes over the first page headers and data
    corrupt[4:3000] = np.random.default_rng(1).integers(0, 256, 2996, dtype=np.uint8).tobytes()
    (tmp_path / "corrupt.parquet").write_bytes(bytes(corrupt))
    (tmp_path / "data.xlsx").write_bytes(b"PK\x03\x04not really")
    (tmp_path / "latin.csv").write_bytes(b"name,v\n\xff\xfe\xfa,1\n\xe9t\xe9,2\n")
    return {
        "missing": tmp_path / "nope.parquet",
        "no data files": tmp_path / "emptydir",
        "0-byte": tmp_path / "zero.parquet",
        "truncated": tmp_path / "truncated.parquet",
        "corrupt": tmp_path / "corrupt.parquet",
        "extension": tmp_path / "data.xlsx",
        "undecodable csv": tmp_path / "latin.csv",
    }


def test_bad_inputs_exit_2_with_one_line_and_write_nothing(tmp_path: Path) -> None:
    for label, path in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out-{label.replace(' ', '_')}.json"
        proc = _run("profile", str(path), "-f", "json", "-o", str(out))
        lines = proc.stderr.strip().splitlines()
        assert proc.returncode == 2, (label, proc.stderr)
        assert len(lines) == 1 and "Traceback" not in proc.stderr, (label, proc.stderr)
        assert lines[0].startswith("dataguard: error: ") and path.name in lines[0], label
        assert not out.exists() and not list(tmp_path.glob(f".{out.name}*")), label


def test_findings_exit_codes_follow_fail_on(tmp_path: Path) -> None:
    good, bad = _good(tmp_path), _bad_scale(tmp_path)
    assert runner.invoke(app, ["profile", str(good)]).exit_code == 0
    assert runner.invoke(app, ["profile", str(bad)]).exit_code == 1  # DG107 is an error
    assert runner.invoke(app, ["profile", str(bad), "--ignore", "DG107"]).exit_code == 0
    assert (
        runner.invoke(
            app, ["profile", str(bad), "--ignore", "DG107", "--fail-on", "warning"]
        ).exit_code
        == 1
    )
    assert runner.invoke(app, ["profile", str(bad), "--select", "DG101"]).exit_code == 0


def test_json_output_validates_against_committed_schema(tmp_path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / "profile-report.schema.json").read_text())
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["profile", str(_bad_scale(tmp_path)), "-t", "b", "-f", "json", "-o", str(out)]
    )
    assert result.exit_code == 1
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, schema)
    assert {f["code"] for f in doc["findings"]} >= {"DG101", "DG107"}
    assert doc["targets"] == [{"column": "b", "task": "regression"}]


def test_zero_rows_all_null_and_mixed_csv_are_findings(tmp_path: Path) -> None:
    pq.write_table(pa.table({"a": pa.array([], pa.float64())}), tmp_path / "z.parquet")
    pq.write_table(
        pa.table({"a": pa.nulls(30, pa.float64()), "b": np.arange(30.0)}), tmp_path / "n.parquet"
    )
    rows = ["v,w"] + [f"{i},{i % 3}" for i in range(5000)] + ["n/a,1", "missing,2"]
    (tmp_path / "m.csv").write_text("\n".join(rows) + "\n")
    for name, code in (("z.parquet", None), ("n.parquet", "DG106"), ("m.csv", "DG125")):
        result = runner.invoke(app, ["profile", str(tmp_path / name), "-f", "json"])
        assert result.exit_code in (0, 1), (name, result.output)
        doc = json.loads(result.stdout)
        if code:
            assert code in {f["code"] for f in doc["findings"]}, name


def test_text_output_ranks_findings_and_lists_columns(tmp_path: Path) -> None:
    result = runner.invoke(app, ["profile", str(_bad_scale(tmp_path))])
    out = result.output
    assert out.index("DG107") < out.index("DG101")  # errors before warnings
    assert "columns" in out
    assert "1 error(s)" in out


def test_explain_version_and_unknown_code() -> None:
    assert runner.invoke(app, ["--version"]).output.strip() == f"dataguard {__version__}"
    explained = runner.invoke(app, ["explain", "DG101"])
    assert explained.exit_code == 0
    assert explained.output.startswith("## DG101 unscaled-feature")
    listing = runner.invoke(app, ["explain"]).output
    assert "DG125" in listing
    proc = _run("explain", "DG999")
    assert proc.returncode == 2
    assert "DG999" in proc.stderr


def test_unknown_rule_and_target_are_usage_errors(tmp_path: Path) -> None:
    good = str(_good(tmp_path))
    for args in (["--select", "XX1"], ["--target", "nope"]):
        proc = _run("profile", good, *args)
        assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, args
