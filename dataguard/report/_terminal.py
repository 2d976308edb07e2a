"""Terminal rendering with rich: findings ranked by severity, then a column summary."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console
from rich.table import Table
from rich.text import Text

from dataguard.findings import Finding, Severity
from dataguard.report._report import ProfileReport
from dataguard.rules._measures import fmt

__all__ = ["SEVERITY_STYLE", "findings_table", "render_profile"]

#: How each severity is printed, in every command's findings table.
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def findings_table(findings: Iterable[Finding], *, fix: bool = False) -> Table:
    """severity, code, finding (and the fix's transform, with ``fix``), one row each."""
    table = Table(show_header=True, header_style="bold", expand=False, box=None)
    table.add_column("severity")
    table.add_column("code")
    table.add_column("finding", overflow="fold")
    if fix:
        table.add_column("fix", overflow="fold")
    for f in findings:
        row: list[Text | str] = [
            Text(f.severity.label, style=SEVERITY_STYLE[f.severity]),
            f.code,
            f.message,
        ]
        if fix:
            row.append(str(f.fix.get("transform", "") if f.fix else ""))
        table.add_row(*row)
    return table


def render_profile(report: ProfileReport, console: Console) -> None:
    """Print the findings, then a compact table of the columns."""
    p = report.profile
    console.print(
        f"[bold]{p.source}[/bold]: {p.n_rows:,} rows x {len(p.columns)} columns, "
        f"profiled in {report.elapsed_s:.2f} s"
        + (
            f"; targets: {', '.join(f'{t} ({report.tasks.get(t)})' for t in report.targets)}"
            if report.targets
            else ""
        )
    )
    if report.findings:
        console.print(findings_table(report.findings, fix=True))
    else:
        console.print("[green]No findings.[/green]")
    console.print(_columns(report))
    counts = {s: len([f for f in report.findings if f.severity == s]) for s in Severity}
    console.print(
        f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s), "
        f"{counts[Severity.INFO]} info. `dataguard explain CODE` documents a rule."
    )


def _columns(report: ProfileReport) -> Table:
    table = Table(title="columns", show_header=True, header_style="bold", box=None)
    for name in ("column", "type", "missing", "min", "median", "max", "mean", "std", "distinct"):
        table.add_column(name, justify="left" if name in ("column", "type") else "right")
    for c in report.columns.values():
        distinct = (
            ""
            if c.n_distinct is None
            else (fmt(c.n_distinct) if c.distinct_exact else f"~{fmt(c.n_distinct)}")
        )
        if c.kind == "numeric" and c.n_valid:
            row = [fmt(c.min), fmt(c.q(0.5)), fmt(c.max), fmt(c.mean), fmt(c.std)]
        elif c.kind == "temporal":
            row = [str(c.min), "", str(c.max), "", ""]
        else:
            row = ["", "", "", "", ""]
        role = " (target)" if c.name in report.targets else ""
        table.add_row(c.name + role, c.dtype, f"{c.null_share:.1%}", *row, distinct)
    return table
