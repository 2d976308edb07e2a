"""``[tool.dataguard]`` in the nearest ``pyproject.toml``: the middle layer of settings.

Precedence: command-line flags and API arguments, then this table, then the defaults.

.. code-block:: toml

    [tool.dataguard]
    select = ["DG1"]
    ignore = ["DG115"]
    fail-on = "warning"

    [tool.dataguard.thresholds]
    scale-high = 50

    [tool.dataguard.contracts]   # ``dataguard validate`` without --contract
    "data/train/*.parquet" = "contracts/train.yaml"
    "*.csv" = "contracts/raw.yaml"

``contracts`` maps glob patterns to contract files, both relative to the ``pyproject.toml``'s
folder. A data file's path relative to that folder (POSIX form) is matched against the
patterns in order, first match wins (:func:`contract_for`): ``fnmatch`` semantics, where
``*`` also crosses ``/``; a pattern without ``/`` is also tried against the file name alone,
and a ``**/`` in a pattern may match no folder at all (``data/**/*.csv`` matches
``data/a.csv``).
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataguard.errors import ConfigError

__all__ = ["ProjectConfig", "contract_for", "find_pyproject", "load_config"]

_KEYS = {"select", "ignore", "fail-on", "thresholds", "contracts"}


@dataclass(frozen=True)
class ProjectConfig:
    """Settings read from ``[tool.dataguard]`` (all optional)."""

    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    fail_on: str | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)
    contracts: dict[str, str] = field(default_factory=dict)


def find_pyproject(start: Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` (default: the working folder)."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(path: Path | None = None) -> ProjectConfig:
    """Read ``[tool.dataguard]``; a malformed table is a :class:`ConfigError`."""
    path = path or find_pyproject()
    if path is None:
        return ProjectConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read as TOML ({exc})") from exc
    table = data.get("tool", {}).get("dataguard", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.dataguard] must be a table")
    unknown = set(table) - _KEYS - {k.replace("-", "_") for k in _KEYS}
    if unknown:
        raise ConfigError(
            f"{path}: [tool.dataguard] has unknown key {sorted(unknown)[0]!r}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )

    def codes(key: str) -> list[str] | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{path}: [tool.dataguard] {key} must be a list of rule codes")
        return value

    fail_on = table.get("fail-on", table.get("fail_on"))
    thresholds = table.get("thresholds", {})
    if not isinstance(thresholds, dict):
        raise ConfigError(f"{path}: [tool.dataguard.thresholds] must be a table")
    return ProjectConfig(
        path,
        codes("select"),
        codes("ignore"),
        None if fail_on is None else str(fail_on),
        dict(thresholds),
        contracts=_contracts(path, table.get("contracts", {})),
    )


def _contracts(path: Path, table: Any) -> dict[str, str]:
    """``[tool.dataguard.contracts]``: glob pattern -> contract path, both text."""
    if not isinstance(table, dict):
        raise ConfigError(
            f"{path}: [tool.dataguard.contracts] must be a table of "
            '"glob pattern" = "contract path", e.g. "data/*.parquet" = "contract.yaml"'
        )
    for pattern, target in table.items():
        if not isinstance(target, str) or not target.strip():
            raise ConfigError(
                f"{path}: [tool.dataguard.contracts] {pattern!r} must map to a contract path "
                f"(text), got {target!r}"
            )
    return dict(table)


def contract_for(config: ProjectConfig, data: str | os.PathLike[str]) -> Path | None:
    """The contract ``[tool.dataguard.contracts]`` assigns to a data file (first matching
    pattern), or None when no pattern matches or the file lies outside the project.

    Examples
    --------
    >>> cfg = ProjectConfig(Path("/repo/pyproject.toml"), contracts={"data/*.csv": "c.yaml"})
    >>> contract_for(cfg, "/repo/data/new.csv").as_posix()
    '/repo/c.yaml'
    >>> contract_for(cfg, "/repo/other/new.csv") is None
    True
    """
    if config.path is None or not config.contracts:
        return None
    root = config.path.parent.resolve()
    try:
        rel = Path(data).resolve().relative_to(root).as_posix()
    except ValueError:  # outside the project's folder
        return None
    for pattern, target in config.contracts.items():
        if _matches(rel, pattern):
            return root / target
    return None


def _matches(rel: str, pattern: str) -> bool:
    pattern = pattern.strip().removeprefix("./")
    candidates = {pattern, pattern.replace("**/", "")}
    if "/" not in pattern:
        return any(fnmatch.fnmatchcase(rel.rsplit("/", 1)[-1], p) for p in candidates)
    return any(fnmatch.fnmatchcase(rel, p) for p in candidates)
