"""The exceptions dataguard raises when it cannot run.

Bad *data* is never an exception: it is a :class:`~dataguard.Finding`. An exception means
dataguard could not do its job (an unreadable file, a bad option, a missing extra), or the
caller asked for one with ``report.raise_if_failed()``::

    DataguardError                          base of everything raised here
    ├── InputError(ValueError)              a path or frame that cannot be read as a table
    ├── ConfigError(ValueError)             a bad option, threshold or [tool.dataguard] entry
    ├── MissingDependencyError(ImportError) an optional extra is not installed
    └── FindingsError                       raise_if_failed(): findings at or above a level

Each mixes in the builtin it replaces, so ``except ValueError`` keeps working for callers
that do not know dataguard.

Examples
--------
>>> from dataguard.errors import InputError
>>> issubclass(InputError, ValueError)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataguard.findings import Finding

__all__ = [
    "ConfigError",
    "DataguardError",
    "FindingsError",
    "InputError",
    "MissingDependencyError",
]


class DataguardError(Exception):
    """Base class of every exception dataguard raises."""


class InputError(DataguardError, ValueError):
    """An input that cannot be read as a table: missing, empty, corrupt or unsupported."""


class ConfigError(DataguardError, ValueError):
    """An option, threshold or ``[tool.dataguard]`` entry that is not valid."""


class MissingDependencyError(DataguardError, ImportError):
    """An optional dependency is needed; the message names the extra that installs it."""


class FindingsError(DataguardError):
    """Raised by ``raise_if_failed()`` when findings reach the requested severity."""

    def __init__(self, message: str, findings: list[Finding]) -> None:
        super().__init__(message)
        self.findings = findings
