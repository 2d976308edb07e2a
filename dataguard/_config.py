"""``[tool.dataguard]`` in the nearest ``pyproject.toml``: the middle layer of settings.

Precedence: command-line flags and API arguments, then this table, then the defaults.

.. code-block:: toml

    [tool.dataguard]
    select = ["DG1"]
    ignore = ["DG115"]
    fail-on = "warning"

    [tool.dataguard.thresholds]
    scale-high = 50
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataguard.errors import ConfigError

__all__ = ["ProjectConfig", "find_pyproject", "load_config"]

_KEYS = {"select", "ignore", "fail-on", "thresholds"}


@dataclass(frozen=True)
class ProjectConfig:
    """Settings read from ``[tool.dataguard]`` (all optional)."""

    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] | None = None
    fail_on: str | None = None
    thresholds: dict[str, Any] = field(default_factory=dict)


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
    )
