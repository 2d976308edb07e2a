"""``dataguard validate``: exit codes, formats (text, json, github), project-config lookup."""

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

import dataguard
from dataguard.cli import app
from dataguard.cli._validate import _escape_data, _escape_property

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _table(n: int = 2000, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "price": rng.lognormal(12.0, 0.3, n),
            "rooms": rng.poisson(3.0, n).astype(np.int64),
            "city": rng.choice(["Lyon", "Paris", "Nice"], n).tolist(),
        }
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with train.parquet and its inferred contract (contract.yaml)."""
    pq.write_table(_table(), tmp_path / "train.parquet")
    dataguard.infer(tmp_path / "train.parquet").save(tmp_path / "contract.yaml")
    return tmp_path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataguard.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )


def _corrupt(project: Path, name: str, table: pa.Table) -> str:
    pq.write_table(table, project / name)
    return str(project / name)


def _codes(stdout: str) -> set[str]:
    return {f["code"] for f in json.loads(stdout)["findings"]}


def test_inferred_contract_passes_on_its_own_file(project: Path) -> None:
    c = str(project / "contract.yaml")
    result = runner.invoke(app, ["validate", str(project / "train.parquet"), "--contract", c])
    assert result.exit_code == 0, result.output
    assert "No findings" in result.stdout
    result = runner.invoke(
        app, ["validate", str(project / "train.parquet"), "-c", c, "--fail-on", "info"]
    )
    assert result.exit_code == 0


def test_corrupted_copies_exit_1_and_name_the_code(project: Path) -> None:
    t = _table()
    rng = np.random.default_rng(1)
    cases = {
        "units.parquet": (
            t.set_column(0, "price", pa.array(t["price"].to_numpy() * 1000)),
            "DG303",
        ),
        "level.parquet": (t.set_column(2, "city", pa.array(["Mars"] * 2000)), "DG305"),
        "dropped.parquet": (t.drop_columns(["rooms"]), "DG301"),
        "nulls.parquet": (
            t.set_column(1, "rooms", pa.array(t["rooms"].to_numpy(), mask=rng.random(2000) < 0.1)),
            "DG304",
        ),
    }
    c = str(project / "contract.yaml")
    for name, (table, code) in cases.items():
        path = _corrupt(project, name, table)
        result = runner.invoke(
            app, ["validate", path, "-c", c, "-f", "json", "--fail-on", "warning"]
        )
        assert result.exit_code == 1, (name, result.output)
        assert code in _codes(result.stdout), name
    level = str(project / "level.parquet")  # DG305 is a warning: passes at the default level
    assert runner.invoke(app, ["validate", level, "-c", c, "--select", "DG305"]).exit_code == 0


def test_json_output_file_matches_the_schema(project: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / "validation-report.schema.json").read_text())
    bad = _corrupt(project, "bad.parquet", _table().drop_columns(["city"]))
    out = project / "report.json"
    args = ["validate", bad, str(project / "train.parquet"), "-c", str(project / "contract.yaml")]
    result = runner.invoke(app, [*args, "-f", "json", "-o", str(out)])
    assert result.exit_code == 1  # the worst over the files
    assert result.stdout == ""
    docs = json.loads(out.read_text())
    jsonschema.validate(docs, schema)
    assert [d["source"] for d in docs] == [bad, str(project / "train.parquet")]
    assert [d["ok"] for d in docs] == [False, True]


def test_text_output_to_a_file(project: Path) -> None:
    bad = _corrupt(project, "bad.parquet", _table().drop_columns(["city"]))
    out = project / "report.txt"
    result = runner.invoke(
        app, ["validate", bad, "-c", str(project / "contract.yaml"), "-o", str(out)]
    )
    assert result.exit_code == 1
    text = out.read_text()
    assert "DG301" in text and "Column 'city'" in text and "1 error(s)" in text


def test_github_annotations_escape_data_and_properties(tmp_path: Path) -> None:
    contract = dataguard.contract.Contract.model_validate(
        {
            "dataguard": 1,
            "columns": {"50%": {"range": {"max": 1}}, "b": {"levels": ["x"]}},
        }
    )
    contract.save(tmp_path / "c.yaml")
    data = tmp_path / "day,1:2.parquet"
    pq.write_table(pa.table({"50%": [0.5, 7.0], "b": ["x", "y"]}), data)
    proc = _run("validate", data.name, "-c", "c.yaml", "-f", "github", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == (
        "::error file=day%2C1%3A2.parquet,title=DG303 out-of-range::Column '50%25': expected "
        "values <= 1, found 1 value (50.00%25) outside, e.g. row 1: 7; check units and "
        "sentinels (DG303)"
    )
    assert lines[1].startswith(
        "::warning file=day%2C1%3A2.parquet,title=DG305 unknown-level::Column 'b':"
    )
    assert _escape_data("a%b\r\nc:d,e") == "a%25b%0D%0Ac:d,e"
    assert _escape_property("a%b\r\nc:d,e") == "a%25b%0D%0Ac%3Ad%2Ce"


def test_contracts_from_pyproject_and_skipped_files(project: Path) -> None:
    (project / "data").mkdir()
    (project / "contracts").mkdir()
    (project / "contract.yaml").rename(project / "contracts" / "train.yaml")
    (project / "pyproject.toml").write_text(
        '[tool.dataguard.contracts]\n"data/*.parquet" = "contracts/train.yaml"\n',
        encoding="utf-8",
    )
    pq.write_table(_table(), project / "data" / "good.parquet")
    _corrupt(project, "data/bad.parquet", _table().drop_columns(["rooms"]))
    (project / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    good = _run("validate", "data/good.parquet", "notes.csv", "-f", "json", cwd=project)
    assert good.returncode == 0, good.stderr
    assert good.stderr.strip() == (
        f"dataguard: note: notes.csv: no pattern of [tool.dataguard.contracts] in "
        f"{project.resolve() / 'pyproject.toml'} matches; skipped"
    )
    assert json.loads(good.stdout)["contract"]["path"].endswith("contracts/train.yaml")
    both = _run("validate", "data/good.parquet", "data/bad.parquet", "-f", "json", cwd=project)
    assert both.returncode == 1
    assert [_codes(json.dumps(d)) for d in json.loads(both.stdout)] == [set(), {"DG301"}]
    sub = _run("validate", "good.parquet", cwd=project / "data")  # the nearest pyproject
    assert sub.returncode == 0, sub.stderr


def test_no_contract_anywhere_is_a_usage_error(tmp_path: Path) -> None:
    pq.write_table(_table(), tmp_path / "t.parquet")
    (tmp_path / "pyproject.toml").write_text("[tool.dataguard]\n", encoding="utf-8")
    proc = _run("validate", "t.parquet", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "no contract: pass --contract FILE" in proc.stderr
    assert proc.stdout == ""


def test_input_errors_exit_2_with_one_line_and_write_nothing(project: Path) -> None:
    (project / "bad.yaml").write_text("dataguard: 1\ncolumns: {a: {range: {min: x}}}\n")
    data, contract = "train.parquet", "contract.yaml"
    cases = {
        "missing data": ("nope.parquet", "-c", contract),
        "missing contract": (data, "-c", "nope.yaml"),
        "malformed contract": (data, "-c", "bad.yaml"),
        "unknown code": (data, "-c", contract, "--select", "DG399"),
        "good then missing": (data, "nope.parquet", "-c", contract),
    }
    for label, args in cases.items():
        proc = _run("validate", *args, "-f", "json", "-o", "out.json", cwd=project)
        assert proc.returncode == 2, (label, proc.stderr)
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("dataguard: error: ")
        assert "Traceback" not in proc.stderr
        assert not (project / "out.json").exists(), label
