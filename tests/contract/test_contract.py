"""Contracts: the format (models, JSON Schema, YAML errors), infer's policy, and --contract."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import dataguard
from dataguard._config import ProjectConfig
from dataguard.contract import Contract, contract_from_text, load_contract
from dataguard.contract._schema import SCHEMA_PATH, schema_text
from dataguard.errors import ConfigError, InputError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "schemas" / "examples"
CFG = ProjectConfig()


def test_committed_json_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "schemas/contract.schema.json is stale: run python -m dataguard.contract._schema"
    )


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_example_contracts_load_and_match_the_schema(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    contract = load_contract(path)
    assert contract.dataguard == 1 and contract.columns
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(SCHEMA_PATH.read_text()))


def _frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "age": rng.integers(18, 90, n),
            "income": rng.lognormal(10, 0.5, n),
            "temp": rng.normal(-5, 3, n),
            "gap": np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n)),
            "city": rng.choice(["a", "b", "c"], n),
            "y": rng.normal(size=n),
        }
    )


def test_infer_widens_bounds_by_the_documented_policy() -> None:
    df = _frame()
    c = dataguard.infer(df, target="y", config=CFG)
    age = c.columns["age"]
    lo, hi = df["age"].min(), df["age"].max()
    assert age.range is not None
    assert age.range.min == max(0, math.floor(lo - (hi - lo)))  # >= 0 data stays >= 0
    assert age.range.max == math.ceil(hi + (hi - lo))  # integers round outward
    temp = c.columns["temp"]
    assert temp.range is not None and temp.range.min is not None
    assert temp.range.min <= df["temp"].min() - np.ptp(df["temp"])
    assert temp.range.min > df["temp"].min() - 1.01 * np.ptp(df["temp"])
    assert age.nullable is False and age.max_null_fraction is None
    gap = c.columns["gap"]
    share = df["gap"].isna().mean()
    assert gap.nullable is True and share < (gap.max_null_fraction or 0) < share + 0.05
    assert c.columns["city"].levels == ["a", "b", "c"]
    assert c.columns["y"].role == "target"
    assert c.columns["id"].role == "key" and c.columns["id"].unique
    ref = c.columns["income"].reference
    assert ref is not None and ref.n == len(df)
    assert ref.quantiles is not None and len(ref.quantiles) == 9
    assert ref.quantiles["0.5"] == pytest.approx(df["income"].median())
    assert ref.mean == pytest.approx(df["income"].mean())
    assert c.dataset.rows.min == 1 and c.dataset.rows.max is None


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    c = dataguard.infer(_frame(), target="y", config=CFG)
    path = tmp_path / "c.yaml"
    c.save(path)
    assert load_contract(path) == c
    assert path.read_text().startswith("# dataguard contract")
    assert not list(tmp_path.glob(".c.yaml.*"))


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("dataguard: 1\ncolumns:\n  a: {range: {min: 0\n", r"line \d+: not valid YAML"),
        (
            "dataguard: 1\ncolumns:\n  a:\n    rnage: {min: 0}\n",
            r"line 4: columns\.a\.rnage: unknown key",
        ),
        (
            "dataguard: 1\ncolumns:\n  a:\n    range: {min: abc}\n",
            r"line 4: columns\.a\.range\.min: .*number",
        ),
        (
            "dataguard: 1\ncolumns:\n  a:\n    range: {min: 5, max: 1}\n",
            r"min 5.0 is above max 1.0",
        ),
        ("dataguard: 2\n", r"dataguard: .*1"),
        ("columns: {}\n", r"dataguard: Field required"),
        ("- a\n- b\n", r"YAML mapping"),
        ("dataguard: 1\ncolumns:\n  a:\n    ignore: [XX1]\n", r"rule code"),
    ],
)
def test_bad_contracts_name_file_line_and_key(text: str, pattern: str) -> None:
    with pytest.raises(ConfigError, match=pattern) as info:
        contract_from_text(text, "c.yaml")
    assert str(info.value).startswith("c.yaml")


def test_unreadable_contract_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read contract"):
        load_contract(tmp_path / "missing.yaml")


def test_profile_with_a_contract_uses_its_declarations() -> None:
    rng = np.random.default_rng(2)
    n = 3000
    df = pd.DataFrame(
        {
            "hour": rng.integers(0, 24, n),
            "level": rng.normal(0, 1, n),
            "noise_id": rng.integers(0, 5, n),
            "y": rng.normal(size=n),
        }
    )
    text = """
dataguard: 1
columns:
  hour: {semantic: {cyclic_period: 24}}
  level: {semantic: {cyclic_period: 1}, ignore: [DG101]}
  noise_id: {role: ignore}
  y: {role: target}
  missing_col: {dtype: double}
"""
    contract = contract_from_text(text)
    report = dataguard.profile(df, contract=contract, config=CFG)
    assert report.targets == ("y",)
    codes = {(f.code, f.columns) for f in report.findings}
    assert ("DG110", ("hour",)) not in codes  # declared, not guessed
    assert ("DG110", ("level",)) in codes  # values span more than the declared period
    assert ("DG301", ("missing_col",)) in codes
    assert not [f for f in report.findings if "noise_id" in f.columns]
    pipe = dataguard.fit(df, contract=contract, config=CFG)
    assert pipe.target_column == "y"
    assert [s["op"] for s in pipe.steps("hour")] == ["impute", "cyclic"]
    assert pipe.steps("hour")[-1]["period"] == 24.0
    assert "noise_id" not in pipe.input_columns


def test_cli_infer_writes_a_loadable_contract(tmp_path: Path) -> None:
    data = tmp_path / "d.parquet"
    _frame(500).to_parquet(data)
    out = tmp_path / "c.yaml"
    proc = subprocess.run(
        [sys.executable, "-m", "dataguard.cli", "infer", str(data), "-t", "y", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert isinstance(load_contract(out), Contract)
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "dataguard.cli",
            "infer",
            str(tmp_path / "no.parquet"),
            "-o",
            str(tmp_path / "x.yaml"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.yaml").exists()


def test_docs_name_every_field_of_the_format() -> None:
    doc = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    schema = json.loads(SCHEMA_PATH.read_text())
    names = set(schema["properties"])
    for definition in schema["$defs"].values():
        names |= set(definition.get("properties", {}))
    missing = sorted(n for n in names if f"`{n}`" not in doc)
    assert not missing, f"docs/contract.md does not mention: {missing}"
