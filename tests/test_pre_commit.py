"""The pre-commit hooks (.pre-commit-hooks.yaml): a real ``pre-commit`` run in a temporary git
repository passes on a good data file and fails on a bad one.

The temporary repository uses a ``repo: local`` configuration whose hooks mirror the
manifest's (same ids, entries, file patterns and ``require_serial``) with ``language:
system`` and the entry pointing at this environment's ``dataguard``, so pre-commit installs
nothing and needs no network. A first test checks that the manifest says what this test runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

import dataguard

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

#: What the manifest must declare, and what the temporary repository runs.
HOOKS: list[dict[str, Any]] = [
    {
        "id": "dataguard-validate",
        "entry": "dataguard validate",
        "language": "python",
        "files": r"\.(parquet|csv|feather|arrow|ipc)$",
        "pass_filenames": True,
        "require_serial": True,
    },
    {
        "id": "dataguard-check-contract",
        "entry": "dataguard check-contract",
        "language": "python",
        "types": ["yaml"],
        "pass_filenames": True,
        "require_serial": False,
    },
]


def _exe(name: str) -> str | None:
    here = BIN / name
    return str(here) if here.is_file() else shutil.which(name)


GIT, PRE_COMMIT, DATAGUARD = _exe("git"), _exe("pre-commit"), _exe("dataguard")
needs_tools = pytest.mark.skipif(
    GIT is None or PRE_COMMIT is None or DATAGUARD is None,
    reason="needs the git, pre-commit and dataguard executables",
)


def test_manifest_declares_the_hooks_this_test_runs() -> None:
    manifest = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [h["id"] for h in manifest] == [h["id"] for h in HOOKS]
    for declared, expected in zip(manifest, HOOKS, strict=True):
        assert {k: declared.get(k) for k in expected} == expected
        assert declared["name"]


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x": rng.uniform(0.0, 10.0, n),
            "k": rng.integers(0, 5, n),
            "city": rng.choice(["north", "south"], n),
        }
    )


def _config() -> str:
    """The local configuration: the manifest's hooks, run with this environment's
    ``dataguard`` (the entry's first word replaced by its absolute path)."""
    hooks = []
    for h in HOOKS:
        hook = {**h, "name": h["id"], "language": "system"}
        command = h["entry"].split(" ", 1)[1]
        hook["entry"] = f"{DATAGUARD} {command}"
        hooks.append(hook)
    return yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False)


class _Repo:
    """A temporary git repository with pre-commit installed, isolated from the user's."""

    def __init__(self, root: Path) -> None:
        self.path = root / "repo"
        self.path.mkdir()
        home = root / "home"
        home.mkdir()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PRE_COMMIT"))},
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "PRE_COMMIT_HOME": str(root / "pre-commit-cache"),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "Test",
            "GIT_AUTHOR_EMAIL": "test@example.invalid",
            "GIT_COMMITTER_NAME": "Test",
            "GIT_COMMITTER_EMAIL": "test@example.invalid",
            "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
            "NO_COLOR": "1",
            "TERM": "dumb",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args,
            cwd=self.path,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def commit(self, *files: str) -> subprocess.CompletedProcess[str]:
        added = self.run(str(GIT), "add", *files)
        assert added.returncode == 0, added.stderr
        return self.run(str(GIT), "commit", "-q", "-m", "data")


@needs_tools
def test_pre_commit_passes_a_good_data_file_and_fails_a_bad_one(tmp_path: Path) -> None:
    repo = _Repo(tmp_path)
    assert repo.run(str(GIT), "init", "-q").returncode == 0
    train = tmp_path / "train.parquet"
    _frame(2000, 0).to_parquet(train, index=False)
    (repo.path / "contracts").mkdir()
    dataguard.infer(train, name="train").save(repo.path / "contracts" / "train.yaml")
    (repo.path / "data").mkdir()
    (repo.path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0"\n\n'
        '[tool.dataguard.contracts]\n"data/*.parquet" = "contracts/train.yaml"\n'
    )
    (repo.path / ".pre-commit-config.yaml").write_text(_config())
    (repo.path / "notes.yaml").write_text("owner: data-team\n")  # YAML, not a contract
    installed = repo.run(str(PRE_COMMIT), "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr

    # A good file from the same process, the contract and the rest: the commit goes through.
    _frame(300, 1).to_parquet(repo.path / "data" / "good.parquet", index=False)
    done = repo.commit(".")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "dataguard-validate" in done.stdout + done.stderr
    assert "Passed" in done.stdout + done.stderr

    # A bad file: out of range and a null where the contract allows none.
    bad = _frame(300, 2)
    bad.loc[3, "x"] = -50.0
    bad.loc[5, "x"] = None
    bad.to_parquet(repo.path / "data" / "bad.parquet", index=False)
    refused = repo.commit("data/bad.parquet")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "dataguard-validate" in out
    assert "Failed" in out
    assert "DG303" in out
    assert "DG304" in out
    log = repo.run(str(GIT), "log", "--oneline")
    assert len(log.stdout.splitlines()) == 1  # the bad file was not committed

    # A broken contract: check-contract names the file and the line.
    repo.run(str(GIT), "reset", "-q", "data/bad.parquet")
    (repo.path / "data" / "bad.parquet").unlink()
    contract = repo.path / "contracts" / "train.yaml"
    contract.write_text(contract.read_text() + "colums: {}\n")
    refused = repo.commit("contracts/train.yaml")
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0, out
    assert "dataguard-check-contract" in out
    line = len(contract.read_text().splitlines())
    assert f"contracts/train.yaml: line {line}: colums: unknown key" in out
