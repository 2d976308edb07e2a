"""``dataguard compare`` and ``dataguard check-contract`` (see _app.py for the conventions).

Exit codes: 0 ok; 1 findings at or above ``--fail-on`` (compare) or a contract with a problem
(check-contract); 2 usage or input error (one line on stderr, nothing written).
"""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from dataguard.cli._app import (
    FailOnOpt,
    Format,
    _check_folder,
    _fail,
    _fail_level,
    _split,
    _write_atomic,
    app,
)
from dataguard.errors import DataguardError
from dataguard.findings import Severity
from dataguard.report._terminal import findings_table

if TYPE_CHECKING:
    from dataguard.validation._check_contract import ContractProblem
    from dataguard.validation._compare import CompareReport

__all__ = ["app"]


@app.command("compare")
def compare_cmd(
    reference: Annotated[str, typer.Argument(help="The training split (parquet, CSV, IPC).")],
    other: Annotated[str, typer.Argument(help="The validation, test or new data.")],
    key: Annotated[
        str | None, typer.Option("--key", help="Entity column: entities in both are leakage.")
    ] = None,
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help="Label column: same inputs, different labels."),
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(help="Compare only these columns (comma-separated or repeated)."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    fail_on: FailOnOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
) -> None:
    """Compare two splits: drift per column (DG121) and leakage between them (DG122)."""
    from dataguard.validation._compare import compare

    try:
        _check_folder(output)
        level = _fail_level(fail_on)
        report = compare(reference, other, key=key, target=target, columns=_split(columns))
    except DataguardError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # e.g. an unknown fail-on level in pyproject.toml
        raise _fail(str(exc)) from None
    if fmt is Format.json:
        text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    elif output is not None:
        console = Console(record=True, width=120, file=io.StringIO())
        render_compare(report, console)
        text = console.export_text()
    else:
        render_compare(report, Console())
        text = ""
    if output is not None:
        _write_atomic(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code(level))


def render_compare(report: CompareReport, console: Console) -> None:
    """The findings, then the drift measures per column against their limits."""
    console.print(
        f"[bold]{report.other}[/bold] ({report.n_other:,} rows) vs reference "
        f"[bold]{report.reference}[/bold] ({report.n_reference:,} rows): "
        f"{len(report.columns)} columns compared in {report.elapsed_s:.2f} s",
        soft_wrap=True,
        highlight=False,
    )
    if report.findings:
        console.print(findings_table(report.findings))
    else:
        console.print("[green]No drift, no leakage.[/green]")
    if report.drift:
        console.print(_drift_table(report))
    for name, why in report.skipped.items():
        console.print(f"not compared: {name} ({why})", highlight=False, soft_wrap=True)
    counts = {s: len([f for f in report.findings if f.severity == s]) for s in Severity}
    console.print(
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s). "
        "`dataguard explain DG121` / `DG122` document the checks."
    )


def _drift_table(report: CompareReport) -> Table:
    table = Table(title="drift (measure / limit)", show_header=True, header_style="bold", box=None)
    for name in ("column", "kind", "psi", "ks", "js", "mean_z"):
        table.add_column(name, justify="left" if name in ("column", "kind") else "right")
    for col, d in report.drift.items():
        cells = []
        for m in ("psi", "ks", "js", "mean_z"):
            if m not in d["measures"]:
                cells.append(Text(""))
                continue
            value, limit = d["measures"][m], d["limits"][m]
            style = "bold yellow" if value > limit else ""
            cells.append(Text(f"{value:.3g} / {limit:.3g}", style=style))
        table.add_row(col, d["kind"], *cells)
    return table


class ProblemFormat(StrEnum):
    """Output formats of ``dataguard check-contract``."""

    text = "text"
    github = "github"


@app.command("check-contract")
def check_contract_cmd(
    files: Annotated[
        list[Path], typer.Argument(help="Contract files (YAML without 'dataguard:' is skipped).")
    ],
    fmt: Annotated[
        ProblemFormat,
        typer.Option("--format", "-f", help="text, or GitHub Actions annotations."),
    ] = ProblemFormat.text,
) -> None:
    """Check contracts: valid, consistent with their reference statistics and artifact."""
    from dataguard.validation._check_contract import check_contract

    checked = bad = unreadable = 0
    for path in files:
        try:
            problems = check_contract(path)
        except DataguardError as exc:
            sys.stderr.write(f"dataguard: error: {exc}\n")
            unreadable += 1
            continue
        if problems is None:  # YAML, but not a contract
            continue
        checked += 1
        bad += bool(problems)
        for p in problems:
            sys.stdout.write(_problem_line(p, fmt) + "\n")
    if bad or unreadable:
        sys.stderr.write(
            f"dataguard: {bad} of {checked} contract(s) with problems"
            + (f", {unreadable} file(s) unreadable" if unreadable else "")
            + "\n"
        )
    raise typer.Exit(2 if unreadable else 1 if bad else 0)


def _problem_line(problem: ContractProblem, fmt: ProblemFormat) -> str:
    if fmt is ProblemFormat.github:
        line = f",line={problem.line}" if problem.line else ""
        message = f"{problem.key}: {problem.message}" if problem.key else problem.message
        path = _escape(problem.path).replace(":", "%3A").replace(",", "%2C")
        return f"::error file={path}{line},title=dataguard check-contract::{_escape(message)}"
    return str(problem)


def _escape(text: str) -> str:
    """GitHub workflow-command escaping of a message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
