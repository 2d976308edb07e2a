"""``dataguard fit``: the artifact, the summary, and one-line errors with nothing written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import dataguard

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "transforms.schema.json"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dataguard.cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def _data(tmp_path: Path) -> Path:
    rng = np.random.default_rng(5)
    n = 2000
    path = tmp_path / "train.parquet"
    pq.write_table(
        pa.table(
            {
                "sqft": rng.normal(1800, 400, n),
                "lot": rng.lognormal(9, 1.1, n),
                "heading_deg": rng.uniform(0, 360, n).round(1),
                "zone": rng.choice(["a", "b", "c"], n),
                "price": rng.normal(3e5, 6e4, n),
            }
        ),
        path,
        row_group_size=500,
    )
    return path


def test_fit_writes_a_valid_artifact_and_a_summary(tmp_path: Path) -> None:
    data = _data(tmp_path)
    out = tmp_path / "t.json"
    proc = _run("fit", str(data), "--target", "price", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    assert f"wrote {out}" in proc.stderr
    assert "lot" in proc.stderr and "DG113" in proc.stderr
    doc = json.loads(out.read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    pipe = dataguard.load_transforms(out)
    assert pipe.target_column == "price"
    assert {"zone=a", "heading_deg__sin", "heading_deg__cos"} <= set(pipe.output_columns)
    same = dataguard.fit(data, target="price")
    assert same.to_dict()["columns"] == doc["columns"]  # CLI and Python fit the same


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["fit", "{tmp}/missing.parquet", "-o", "{tmp}/t.json"], "missing.parquet"),
        (["fit", "{data}", "--target", "nope", "-o", "{tmp}/t.json"], "'nope'"),
        (["fit", "{data}", "-o", "{tmp}/no/such/dir/t.json"], "does not exist"),
        (["fit", "{data}", "--threshold", "bogus", "-o", "{tmp}/t.json"], "NAME=VALUE"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    data = _data(tmp_path)
    argv = [a.format(tmp=tmp_path, data=data) for a in args]
    proc = _run(*argv)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dataguard: error:"), proc.stderr
    assert needle in lines[0]
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "t.json").exists()
    assert not list(tmp_path.glob(".t.json.*"))
