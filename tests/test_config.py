"""Settings precedence: command-line flags, then [tool.dataguard], then defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import dataguard
from dataguard._config import load_config
from dataguard.cli import app
from dataguard.errors import ConfigError

runner = CliRunner()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    rng = np.random.default_rng(5)
    pq.write_table(
        pa.table({"age": rng.uniform(18, 90, 400), "z": rng.normal(size=400)}),
        tmp_path / "t.parquet",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _codes(args: list[str]) -> set[str]:
    import json

    result = runner.invoke(app, ["profile", "t.parquet", "-f", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return {f["code"] for f in json.loads(result.stdout)["findings"]}


def test_defaults_then_pyproject_then_flags(project: Path) -> None:
    assert "DG101" in _codes([])  # defaults: age (robust spread ~26) is unscaled
    (project / "pyproject.toml").write_text(
        "[tool.dataguard.thresholds]\nscale-high = 100\n", encoding="utf-8"
    )
    assert "DG101" not in _codes([])  # pyproject raised the threshold
    assert "DG101" in _codes(["--threshold", "scale-high=10"])  # the flag wins over pyproject
    (project / "pyproject.toml").write_text(
        '[tool.dataguard]\nignore = ["DG101"]\nfail-on = "info"\n', encoding="utf-8"
    )
    assert "DG101" not in _codes([])
    assert "DG101" in _codes(["--ignore", "DG102"])  # a flag replaces the project's lists
    result = runner.invoke(app, ["profile", "t.parquet", "--select", "DG101"])
    assert result.exit_code == 1  # fail-on = "info" from pyproject; DG101 fires again
    assert (
        runner.invoke(
            app, ["profile", "t.parquet", "--select", "DG101", "--fail-on", "error"]
        ).exit_code
        == 0
    )


def test_bad_config_is_a_config_error(project: Path) -> None:
    (project / "pyproject.toml").write_text("[tool.dataguard]\nbogus = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="bogus"):
        load_config()
    (project / "pyproject.toml").write_text(
        "[tool.dataguard.thresholds]\nscale-high = 'x'\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="scale-high"):
        dataguard.profile("t.parquet")
    result = runner.invoke(app, ["profile", "t.parquet"])
    assert result.exit_code == 2
