"""``dataguard validate``: registered on the shared typer app (see _app.py for conventions).

Each file is validated on its own against ``--contract``, or against the contract that
``[tool.dataguard.contracts]`` of the nearest ``pyproject.toml`` maps it to (a file no pattern
matches is skipped with a note, so a pre-commit hook can pass every changed file). The exit
code is the worst over the files: 0 ok, 1 findings at or above ``--fail-on``, 2 a usage or
input error (one line on stderr, no traceback, nothing written).
"""

from __future__ import annotations

import io
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dataguard.cli._app import (
    FailOnOpt,
    _check_folder,
    _fail,
    _fail_level,
    _split,
    _write_atomic,
    app,
)
from dataguard.errors import DataguardError
from dataguard.findings import Finding, Severity

if TYPE_CHECKING:
    from dataguard.contract import Contract
    from dataguard.validation import ValidationReport

__all__ = ["app", "github_annotations", "render_validation"]


class ValidateFormat(StrEnum):
    """Output formats of ``dataguard validate``."""

    text = "text"
    json = "json"
    github = "github"


@app.command("validate")
def validate_cmd(
    paths: Annotated[
        list[str],
        typer.Argument(metavar="PATH", help="Data files (parquet file/directory, CSV, Arrow IPC)."),
    ],
    contract: Annotated[
        Path | None,
        typer.Option(
            "--contract",
            "-c",
            help="The contract (YAML); default: \\[tool.dataguard.contracts] in pyproject.toml.",
        ),
    ] = None,
    fail_on: FailOnOpt = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Codes or prefixes to check, among DG301-DG309 (comma-separated)."),
    ] = None,
    ignore: Annotated[list[str] | None, typer.Option(help="Codes or prefixes to skip.")] = None,
    fmt: Annotated[
        ValidateFormat, typer.Option("--format", "-f", help="Output format.")
    ] = ValidateFormat.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
) -> None:
    """Check data files against a contract: missing columns, types, ranges, nulls, levels,
    uniqueness, row counts, drift and transform health (DG301-DG309)."""
    from dataguard._config import load_config

    try:
        config = load_config()
        level = _fail_level(fail_on, config)
        _check_folder(output)
        jobs = _jobs(paths, contract, config)
        reports = _run(jobs, _split(select), _split(ignore))
    except DataguardError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # e.g. an unknown fail-on level from pyproject.toml
        raise _fail(str(exc)) from None
    text = _render(reports, fmt, output)
    if output is not None:
        _write_atomic(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(max((r.exit_code(level) for _, r in reports), default=0))


def _jobs(paths: list[str], contract: Path | None, config: Any) -> list[tuple[str, Path]]:
    """(data file, contract file) pairs; files no configured pattern matches are skipped."""
    from dataguard._config import contract_for

    if contract is not None:
        return [(p, contract) for p in paths]
    if config.path is None or not config.contracts:
        where = f" of {config.path}" if config.path is not None else ""
        raise _fail(
            "no contract: pass --contract FILE, or map data files to contracts in "
            f"[tool.dataguard.contracts]{where or ' of a pyproject.toml'}"
        )
    jobs = []
    for p in paths:
        found = contract_for(config, p)
        if found is None:
            sys.stderr.write(
                f"dataguard: note: {p}: no pattern of [tool.dataguard.contracts] in "
                f"{config.path} matches; skipped\n"
            )
        else:
            jobs.append((p, found))
    return jobs


def _run(
    jobs: list[tuple[str, Path]], select: list[str] | None, ignore: list[str] | None
) -> list[tuple[str, ValidationReport]]:
    from dataguard.contract import load_contract
    from dataguard.validation._validate import run_validation, validate_codes

    validate_codes(select, ignore)  # an unknown code fails before any file is read
    contracts: dict[Path, Contract] = {}
    reports = []
    for path, contract_path in jobs:
        if contract_path not in contracts:
            contracts[contract_path] = load_contract(contract_path)
        report = run_validation(
            path,
            contracts[contract_path],
            contract_path=contract_path,
            select=select,
            ignore=ignore,
        )
        reports.append((path, report))
    return reports


def _render(reports: list[tuple[str, ValidationReport]], fmt: ValidateFormat, output: Any) -> str:
    if fmt is ValidateFormat.json:
        docs = [r.to_dict() for _, r in reports]
        doc: Any = docs[0] if len(docs) == 1 else docs
        return json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if fmt is ValidateFormat.github:
        return "".join(github_annotations(r, path) for path, r in reports)
    recording = output is not None
    console = Console(record=True, width=120, file=io.StringIO()) if recording else Console()
    for i, (_, r) in enumerate(reports):
        if i:
            console.print()
        render_validation(r, console)
    return console.export_text() if recording else ""


# --------------------------------------------------------------------------- rendering

_GITHUB = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_validation(report: ValidationReport, console: Console) -> None:
    """The findings of one file, most severe first, then a one-line summary."""
    from dataguard.report._terminal import findings_table

    contract = report.contract_path or report.contract or "the contract"
    where = f" ({report.contract})" if report.contract_path and report.contract else ""
    console.print(
        f"[bold]{report.source}[/bold]: {report.n_rows:,} rows against {contract}{where}, "
        f"validated in {report.elapsed_s:.2f} s",
        soft_wrap=True,
        highlight=False,
    )
    if report.findings:
        console.print(findings_table(report.findings))
    else:
        console.print("[green]No findings: the data meets the contract.[/green]")
    counts = {s: len([f for f in report.findings if f.severity == s]) for s in Severity}
    console.print(
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info. `dataguard explain CODE` documents a rule.",
        highlight=False,
    )


def _escape_data(text: str) -> str:
    """GitHub workflow-command message escaping."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    """GitHub workflow-command property escaping (data escaping plus ``:`` and ``,``)."""
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _annotation(f: Finding, path: str) -> str:
    title = f"{f.code} {f.slug}"
    return (
        f"::{_GITHUB[f.severity]} file={_escape_property(path)},title={_escape_property(title)}"
        f"::{_escape_data(f.message)}\n"
    )


def github_annotations(report: ValidationReport, path: str) -> str:
    """One GitHub Actions workflow annotation per finding (error, warning or notice).

    >>> from dataguard.validation import ValidationReport
    >>> from dataguard.rules.contract import CONTRACT_CODES
    >>> f = CONTRACT_CODES["DG303"].finding(["p"], "Column 'p': 5% off, e.g. row 1: -9", {})
    >>> r = ValidationReport([f], "d,1.csv", "c", 3)
    >>> print(github_annotations(r, "d,1.csv"), end="")
    ::error file=d%2C1.csv,title=DG303 out-of-range::Column 'p': 5%25 off, e.g. row 1: -9 (DG303)
    """
    return "".join(_annotation(f, path) for f in report.findings)
