"""``[tool.dataguard.contracts]``: glob patterns mapped to contract files."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataguard._config import ProjectConfig, contract_for, load_config
from dataguard.errors import ConfigError


def _config(tmp_path: Path, table: str) -> ProjectConfig:
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    return load_config(tmp_path / "pyproject.toml")


def test_patterns_first_match_wins(tmp_path: Path) -> None:
    cfg = _config(
        tmp_path,
        "[tool.dataguard.contracts]\n"
        '"data/train/*.parquet" = "contracts/train.yaml"\n'
        '"data/**/*.parquet" = "contracts/any.yaml"\n'
        '"*.csv" = "contracts/raw.yaml"\n',
    )
    assert cfg.contracts["*.csv"] == "contracts/raw.yaml"
    root = tmp_path.resolve()

    def found(rel: str) -> str | None:
        got = contract_for(cfg, tmp_path / rel)
        return None if got is None else got.relative_to(root).as_posix()

    assert found("data/train/a.parquet") == "contracts/train.yaml"
    assert found("data/b.parquet") == "contracts/any.yaml"  # **/ may match no folder
    assert found("data/x/y/c.parquet") == "contracts/any.yaml"
    assert found("deep/down/raw.csv") == "contracts/raw.yaml"  # no '/': the file name alone
    assert found("other/d.parquet") is None
    assert contract_for(cfg, tmp_path.parent / "outside.csv") is None


def test_relative_paths_resolve_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _config(tmp_path, '[tool.dataguard.contracts]\n"data/*.csv" = "c.yaml"\n')
    (tmp_path / "data").mkdir()
    monkeypatch.chdir(tmp_path / "data")
    assert contract_for(cfg, "new.csv") == tmp_path.resolve() / "c.yaml"


def test_no_table_no_contract(tmp_path: Path) -> None:
    cfg = _config(tmp_path, '[tool.dataguard]\nfail-on = "warning"\n')
    assert cfg.contracts == {} and contract_for(cfg, tmp_path / "a.csv") is None


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ('[tool.dataguard]\ncontracts = "c.yaml"\n', "must be a table"),
        ('[tool.dataguard.contracts]\n"*.csv" = 3\n', "must map to a contract path"),
        ('[tool.dataguard.contracts]\n"*.csv" = ""\n', "must map to a contract path"),
        ("[tool.dataguard]\ncontract = {}\n", "unknown key 'contract'"),
    ],
)
def test_malformed_tables_are_config_errors(tmp_path: Path, table: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        _config(tmp_path, table)
