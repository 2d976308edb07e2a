"""``dataguard check-contract``: is a contract file valid and consistent with itself?

Three checks, each problem one line naming the file, the line and the clause:

1. **Schema.** The file loads with :func:`~dataguard.load_contract` (valid YAML, known keys,
   values of the right type).
2. **Fitted artifact.** When ``transforms.artifact`` is set, the file exists (a relative path
   is relative to the contract), loads with :func:`~dataguard.load_transforms`, and every
   column it reads (inputs and target) is one of the contract's columns; so are the columns
   of ``transforms.plan``.
3. **Reference statistics.** The reference (training) data must pass its own contract: the
   smallest and largest values its quantiles and histogram edges imply lie inside
   ``range``; its mean lies inside ``range`` and the ``mean`` clause; its std inside the
   ``std`` clause; the levels of its shares are among ``levels``; quantiles do not
   decrease with their level and histogram edges increase.

A YAML file without a top-level ``dataguard:`` key is not a contract: :func:`check_contract`
returns None for it, so a pre-commit hook can be given every YAML file of a repository.

Examples
--------
>>> problems = check_contract_text(
...     "dataguard: 1\\ncolumns:\\n  age:\\n    range: {min: 18, max: 90}\\n"
...     "    reference: {n: 100, mean: 40, quantiles: {'0.1': 16, '0.9': 70}}\\n",
...     "c.yaml",
... )
>>> [str(p) for p in problems]  # doctest: +NORMALIZE_WHITESPACE
["c.yaml: line 4: columns.age.range: min 18 is above the reference's smallest value 16
  (from its quantiles and histogram); the training data would fail its own contract. Lower
  min to at most 16, or correct the reference"]
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

from dataguard.contract._io import _line, contract_from_text
from dataguard.contract._model import ColumnContract, Contract, Range
from dataguard.errors import ConfigError, DataguardError, InputError

__all__ = ["ContractProblem", "check_contract", "check_contract_text", "is_contract_text"]

_TOP_KEY = re.compile(r"^dataguard\s*:", re.MULTILINE)
_SHOWN = 3


@dataclass(frozen=True)
class ContractProblem:
    """One problem of a contract file: where it is and what is wrong.

    ``str(problem)`` is the one-line message, ``path: line N: key: message``.
    """

    path: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f" line {self.line}:" if self.line else ""
        key = f" {self.key}:" if self.key else ""
        return f"{self.path}:{where}{key} {self.message}"


def is_contract_text(text: str) -> bool:
    """Whether YAML text is meant as a contract: a top-level ``dataguard:`` key.

    >>> is_contract_text("dataguard: 1\\n"), is_contract_text("repos: []\\n")
    (True, False)
    """
    return _TOP_KEY.search(text) is not None


def check_contract(path: str | os.PathLike[str]) -> list[ContractProblem] | None:
    """Check one contract file; None when the file is YAML but not a contract.

    Raises :class:`~dataguard.errors.InputError` when the file cannot be read.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputError(f"{p}: cannot read contract ({reason})") from None
    if not is_contract_text(text):
        return None
    return check_contract_text(text, str(p), p.parent)


def check_contract_text(
    text: str, name: str = "<contract>", folder: Path | None = None
) -> list[ContractProblem]:
    """Check contract YAML text; ``folder`` resolves a relative artifact path."""
    try:
        contract = contract_from_text(text, name)
    except ConfigError as exc:
        return [_from_error(str(exc), name)]
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    report = _Problems(name, node)
    _check_artifact(report, contract, folder or Path("."))
    for col_name, col in contract.columns.items():
        _check_reference(report, col_name, col)
    return report.items


def _from_error(message: str, name: str) -> ContractProblem:
    """A :class:`ConfigError` of ``load_contract`` (``name: line N: key: message``)."""
    rest = message[len(name) + 1 :] if message.startswith(f"{name}:") else message
    m = re.match(r"\s*line (\d+):\s*(.*)$", rest, re.DOTALL)
    if m:
        return ContractProblem(name, int(m.group(1)), "", m.group(2))
    return ContractProblem(name, None, "", rest.strip())


class _Problems:
    """Collects problems, each located at the line of its clause."""

    def __init__(self, name: str, node: Any) -> None:
        self.name = name
        self.node = node
        self.items: list[ContractProblem] = []

    def add(self, loc: Sequence[str], message: str) -> None:
        line = _line(self.node, list(loc)) if self.node is not None else None
        self.items.append(ContractProblem(self.name, line, ".".join(loc), message))


def _shown(names: Sequence[Any]) -> str:
    more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
    return ", ".join(repr(n) for n in names[:_SHOWN]) + more


# -- the fitted artifact ----------------------------------------------------------------------
def _check_artifact(report: _Problems, contract: Contract, folder: Path) -> None:
    ref = contract.transforms
    if ref is None:
        return
    declared = set(contract.columns)
    if ref.plan:
        unknown = [c for c in ref.plan if c not in declared]
        if unknown:
            report.add(
                ("transforms", "plan"),
                f"plans steps for {_shown(unknown)}, which the contract does not declare; "
                "expected only columns under 'columns'. Add them, or remove the plan entries",
            )
    if ref.artifact is None:
        return
    from dataguard.transforms import load_transforms

    path = Path(ref.artifact)
    path = path if path.is_absolute() else folder / path
    loc = ("transforms", "artifact")
    if not path.is_file():
        report.add(
            loc,
            f"{ref.artifact!r} does not exist (looked for {path}); expected the JSON "
            "written by `dataguard fit`. Fit it, or correct the path (relative to the contract)",
        )
        return
    try:
        pipe = load_transforms(path)
    except DataguardError as exc:
        report.add(loc, f"{ref.artifact!r} does not load: {exc}")
        return
    reads = [*pipe.input_columns, *([pipe.target_column] if pipe.target_column else [])]
    unknown = [c for c in reads if c not in declared]
    if unknown:
        report.add(
            loc,
            f"{ref.artifact!r} reads {_shown(unknown)}, which the contract does not declare "
            f"({len(unknown)} of its {len(reads)} columns); expected every column it reads "
            "under 'columns'. Infer the contract and fit the transforms on the same data",
        )


# -- the reference statistics -----------------------------------------------------------------
def _check_reference(report: _Problems, name: str, col: ColumnContract) -> None:
    ref = col.reference
    if ref is None:
        return
    at = ("columns", name)
    _check_order(report, name, col)
    values = [
        *(ref.quantiles or {}).values(),
        *(ref.histogram.edges if ref.histogram else []),
    ]
    finite = [v for v in values if math.isfinite(v)]
    if col.range is not None and finite:
        lo, hi = min(finite), max(finite)
        if col.range.min is not None and lo < col.range.min:
            report.add(
                (*at, "range"),
                f"min {col.range.min:g} is above the reference's smallest value {lo:g} (from "
                "its quantiles and histogram); the training data would fail its own contract. "
                f"Lower min to at most {lo:g}, or correct the reference",
            )
        if col.range.max is not None and hi > col.range.max:
            report.add(
                (*at, "range"),
                f"max {col.range.max:g} is below the reference's largest value {hi:g} (from "
                "its quantiles and histogram); the training data would fail its own contract. "
                f"Raise max to at least {hi:g}, or correct the reference",
            )
    if ref.mean is not None:
        for clause, bounds in (("range", col.range), ("mean", col.mean)):
            problem = _outside(ref.mean, bounds)
            if problem:
                report.add(
                    (*at, "reference", "mean"),
                    f"the reference mean {ref.mean:g} is {problem} of the '{clause}' clause; "
                    "expected inside it, as the training data must pass its own contract",
                )
    if ref.std is not None:
        problem = _outside(ref.std, col.std)
        if problem:
            report.add(
                (*at, "reference", "std"),
                f"the reference std {ref.std:g} is {problem} of the 'std' clause; expected "
                "inside it, as the training data must pass its own contract",
            )
    _check_levels(report, name, col)


def _outside(value: float, bounds: Range | None) -> str | None:
    if bounds is None:
        return None
    if bounds.min is not None and value < bounds.min:
        return f"below the min {bounds.min:g}"
    if bounds.max is not None and value > bounds.max:
        return f"above the max {bounds.max:g}"
    return None


def _check_order(report: _Problems, name: str, col: ColumnContract) -> None:
    ref = col.reference
    assert ref is not None
    if ref.quantiles:
        try:
            pairs = sorted((float(k), v) for k, v in ref.quantiles.items())
        except ValueError:
            bad = next(k for k in ref.quantiles if not _is_number(k))
            report.add(
                ("columns", name, "reference", "quantiles"),
                f"level {bad!r} is not a number; expected levels like '0.1'",
            )
            pairs = []
        for (p0, v0), (p1, v1) in pairwise(pairs):
            if v1 < v0:
                report.add(
                    ("columns", name, "reference", "quantiles"),
                    f"the {p1:g} quantile {v1:g} is below the {p0:g} quantile {v0:g}; "
                    "expected values that do not decrease with the level",
                )
                break
    edges = ref.histogram.edges if ref.histogram else []
    if any(b <= a for a, b in pairwise(edges)):
        report.add(
            ("columns", name, "reference", "histogram", "edges"),
            "edges do not increase; expected strictly increasing bin edges",
        )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _check_levels(report: _Problems, name: str, col: ColumnContract) -> None:
    ref = col.reference
    if ref is None or not ref.shares or col.levels is None:
        return
    allowed = {_level_key(v) for v in col.levels}
    outside = [lv for lv in ref.shares if _level_key(lv) not in allowed]
    if outside:
        share = sum(ref.shares[lv] for lv in outside)
        report.add(
            ("columns", name, "levels"),
            f"the reference has levels {_shown(outside)} ({share:.1%} of its values) that "
            f"'levels' does not list ({len(col.levels)} levels); the training data would "
            "fail its own contract. Add them to 'levels', or correct the reference",
        )


def _level_key(value: Any) -> Any:
    """Levels compared by value: ``1``, ``1.0`` and ``'1'`` are the same level."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
