"""Shared helpers of the rule tests: profiling with default settings, and finding lookups.

Every profile here runs with an empty :class:`~dataguard._config.ProjectConfig`, so a
``[tool.dataguard]`` table in a surrounding ``pyproject.toml`` cannot change the verdicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

import dataguard
from dataguard import Finding, ProfileReport, Severity
from dataguard._config import ProjectConfig

__all__ = [
    "N",
    "above_info",
    "codes",
    "findings_of",
    "healthy_frame",
    "one",
    "run",
]

#: Rows of most synthetic frames: enough for stable quantiles, small enough to be quick.
N = 5000


def run(data: Any, **kwargs: Any) -> ProfileReport:
    """``dataguard.profile`` with default thresholds and no project configuration."""
    return dataguard.profile(data, config=ProjectConfig(), **kwargs)


def codes(report: ProfileReport, column: str | None = None) -> set[str]:
    """Codes of the report's findings (only those naming ``column``, when given)."""
    return {f.code for f in report.findings if column is None or column in f.columns}


def findings_of(report: ProfileReport, code: str, column: str | None = None) -> list[Finding]:
    """The report's findings of ``code`` (naming ``column``, when given)."""
    return [
        f for f in report.findings if f.code == code and (column is None or column in f.columns)
    ]


def one(report: ProfileReport, code: str, column: str | None = None) -> Finding:
    """The single finding of ``code`` (for ``column``); fails the test if not exactly one."""
    found = findings_of(report, code, column)
    assert len(found) == 1, (code, column, [(f.code, f.columns) for f in report.findings])
    return found[0]


def above_info(report: ProfileReport) -> list[tuple[str, tuple[str, ...]]]:
    """(code, columns) of every warning and error: empty for a healthy dataset."""
    return [(f.code, f.columns) for f in report.findings if f.severity > Severity.INFO]


def healthy_frame(n: int = N, seed: int = 0, classes: int = 3) -> pd.DataFrame:
    """Standardized normal features, a binary flag and a balanced 0..C-1 class target.

    >>> df = healthy_frame(300, classes=3)
    >>> sorted(df["y"].value_counts().tolist())
    [100, 100, 100]
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 4))
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    frame = pd.DataFrame(x, columns=["f0", "f1", "f2", "f3"])
    frame["flag"] = rng.integers(0, 2, n).astype(np.int8)
    frame["y"] = rng.permutation(np.arange(n) % classes)
    return frame
