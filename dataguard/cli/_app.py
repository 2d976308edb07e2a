"""``dataguard profile``, ``dataguard explain``, ``dataguard --version``.

Exit codes: 0 ok; 1 findings at or above ``--fail-on``; 2 usage or input error (one line on
stderr naming the file and the problem, no traceback, nothing written).
"""

from __future__ import annotations

import io
import json
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dataguard._version import __version__
from dataguard.errors import DataguardError
from dataguard.findings import Severity

if TYPE_CHECKING:
    from dataguard._config import ProjectConfig

__all__ = ["app", "main"]

app = typer.Typer(
    name="dataguard",
    help="Catch the data mistakes that stop neural networks from converging.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


class Format(StrEnum):
    """Output formats of ``dataguard profile``."""

    text = "text"
    json = "json"


class Level(StrEnum):
    """Severity levels for ``--fail-on``."""

    info = "info"
    warning = "warning"
    error = "error"


class Task(StrEnum):
    """Tasks for ``--task``."""

    auto = "auto"
    regression = "regression"
    classification = "classification"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"dataguard {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """dataguard: profile training data for the mistakes that stop gradient training."""


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"dataguard: error: {message}\n")
    return typer.Exit(2)


def _split(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


class _Progress:
    """A progress bar on stderr, shown only once a run has taken more than a second."""

    def __init__(self) -> None:
        self.done = 0
        self.start = time.perf_counter()
        self.bar: Any = None
        self.task: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, rows: int, total: int | None) -> None:
        self.done += rows
        if not self.enabled:
            return
        if self.bar is None and time.perf_counter() - self.start > 1.0:
            from rich.progress import Progress

            self.bar = Progress(console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("profiling", total=total)
        if self.bar is not None:
            self.bar.update(self.task, completed=self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _thresholds(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise _fail(f"--threshold {item!r}: expected NAME=VALUE, e.g. scale-high=50")
        out[name.strip()] = value.strip()
    return out


def _check_folder(output: Path | None) -> None:
    """Refuse an output whose folder does not exist, before any work is done."""
    if output is not None and output.parent and not output.parent.exists():
        raise _fail(f"{output}: folder {output.parent} does not exist")


def _fail_level(fail_on: Level | None, config: ProjectConfig | None = None) -> Severity:
    """``--fail-on``, else ``fail-on`` in ``[tool.dataguard]``, else error (a bad level in
    the configuration raises ValueError, which the commands report as a one-line error)."""
    if fail_on is not None:
        return Severity.parse(fail_on.value)
    if config is None:
        from dataguard._config import load_config

        config = load_config()
    return Severity.parse(config.fail_on or "error")


def _write_atomic(path: Path, text: str) -> None:
    """``dataguard.io.write_text_atomic``, imported when a command writes (not at start-up)."""
    from dataguard.io import write_text_atomic

    write_text_atomic(path, text)


#: Options the commands share.
FailOnOpt = Annotated[
    Level | None,
    typer.Option(
        "--fail-on",
        help="Exit 1 when findings reach this severity "
        "(default: error, or fail-on in \\[tool.dataguard]).",
    ),
]
OrderBy = Annotated[
    str | None,
    typer.Option("--order-by", help="Column ordering the rows of each sequence."),
]
GroupBy = Annotated[
    str | None,
    typer.Option("--group-by", help="Column naming the entity or sequence of each row."),
]
ContractOpt = Annotated[
    Path | None,
    typer.Option(
        "--contract",
        help="Use a contract's declarations (roles, targets, periods, sentinels, ignores).",
    ),
]
ThresholdOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--threshold",
        help="Override a rule threshold, NAME=VALUE (repeatable); see docs/rules.md.",
    ),
]


@app.command("profile")
def profile_cmd(
    path: Annotated[str, typer.Argument(help="Parquet file/directory, CSV or Arrow IPC file.")],
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Target column (repeatable).")
    ] = None,
    task: Annotated[Task, typer.Option(help="Task of the targets.")] = Task.auto,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Rule codes or prefixes to run (comma-separated or repeated)."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Rule codes or prefixes to skip.")
    ] = None,
    fail_on: FailOnOpt = None,
    threshold: ThresholdOpt = None,
    order_by: OrderBy = None,
    group_by: GroupBy = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(help="Profile only these columns (comma-separated or repeated)."),
    ] = None,
    contract: ContractOpt = None,
) -> None:
    """Profile a training set: ranked findings with evidence and fixes."""
    from dataguard._api import profile
    from dataguard._config import load_config

    try:
        config = load_config()
        level = _fail_level(fail_on, config)
        _check_folder(output)
        progress = _Progress()
        try:
            report = profile(
                path,
                thresholds=_thresholds(threshold),
                order_by=order_by,
                group_by=group_by,
                target=target,
                task=task.value,
                columns=_split(columns),
                select=_split(select),
                ignore=_split(ignore),
                config=config,
                progress=progress,
                contract=contract,
            )
        finally:
            progress.close()
    except DataguardError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:  # e.g. an unknown --fail-on level from pyproject.toml
        raise _fail(str(exc)) from None
    if fmt is Format.json:
        text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    else:
        from dataguard.report._terminal import render_profile

        if output is not None:
            console = Console(record=True, width=120, file=io.StringIO())
            render_profile(report, console)
            text = console.export_text()
        else:
            render_profile(report, Console())
            text = ""
    if output is not None:
        _write_atomic(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code(level))


class Skew(StrEnum):
    """Fixes for skewed columns (``--skew``)."""

    log = "log"
    yeo_johnson = "yeo-johnson"
    none = "none"


@app.command("fit")
def fit_cmd(
    path: Annotated[str, typer.Argument(help="Parquet file/directory, CSV or Arrow IPC file.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the transforms (JSON).")
    ],
    target: Annotated[str | None, typer.Option("--target", "-t", help="Target column.")] = None,
    task: Annotated[Task, typer.Option(help="Task of the target.")] = Task.auto,
    skew: Annotated[Skew, typer.Option(help="Fix for strongly skewed columns.")] = Skew.log,
    select: Annotated[list[str] | None, typer.Option(help="Rule codes or prefixes to run.")] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Rule codes or prefixes to skip.")
    ] = None,
    threshold: ThresholdOpt = None,
    order_by: OrderBy = None,
    group_by: GroupBy = None,
    columns: Annotated[
        list[str] | None, typer.Option(help="Use only these columns (comma-separated).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
    contract: ContractOpt = None,
) -> None:
    """Plan transforms from the findings, fit them, and write them as one JSON artifact."""
    import warnings

    from dataguard._config import load_config
    from dataguard.transforms import fit

    try:
        _check_folder(output)
        progress = _Progress()
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                pipe = fit(
                    path,
                    target=target,
                    task=task.value,
                    skew=skew.value,
                    thresholds=_thresholds(threshold),
                    order_by=order_by,
                    group_by=group_by,
                    columns=_split(columns),
                    select=_split(select),
                    ignore=_split(ignore),
                    config=load_config(),
                    progress=progress,
                    contract=contract,
                )
        finally:
            progress.close()
    except DataguardError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    pipe.save(output)
    if not quiet:
        _render_transforms(pipe, output, Console(stderr=True))
        for w in caught:
            sys.stderr.write(f"dataguard: warning: {w.message}\n")


def _step_text(step: dict[str, Any]) -> str:
    op = str(step["op"])
    if op == "impute":
        return f"impute({step.get('strategy', '')})"
    if op == "cyclic":
        return f"cyclic({step['period']:g})"
    if op == "local_frame":
        return f"local_frame({step.get('root') or step.get('key')})"
    if op == "sentinel":
        return f"sentinel({', '.join(f'{v:g}' for v in step['values'][:3])})"
    return op


def _render_transforms(pipe: Any, output: Path, console: Console) -> None:
    """The fitted steps per column, on stderr."""
    from rich.table import Table

    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("column")
    table.add_column("steps", overflow="fold")
    table.add_column("outputs", justify="right")
    table.add_column("because")
    for c in pipe.columns:
        steps = " -> ".join(_step_text(s) for s in c["steps"] if s["op"] != "nonfinite")
        outs = len(pipe.outputs_of(c["name"]))
        table.add_row(c["name"], steps, str(outs), ", ".join(c.get("because", [])))
    console.print(table)
    t = pipe.target
    if t is not None:
        how = (
            f"standardize (center {t['scale']['center']:.6g}, scale {t['scale']['scale']:.6g})"
            if t["task"] == "regression"
            else f"{len(t['classes'])} classes -> 0..{len(t['classes']) - 1}"
        )
        console.print(f"target [bold]{t['name']}[/bold] ({t['task']}): {how}", soft_wrap=True)
    console.print(
        f"wrote {output}: {len(pipe.input_columns)} inputs -> {len(pipe.output_columns)} outputs",
        soft_wrap=True,
        highlight=False,
    )


@app.command("infer")
def infer_cmd(
    path: Annotated[str, typer.Argument(help="Parquet file/directory, CSV or Arrow IPC file.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the contract (YAML).")
    ],
    target: Annotated[
        list[str] | None, typer.Option("--target", "-t", help="Target column (repeatable).")
    ] = None,
    task: Annotated[Task, typer.Option(help="Task of the targets.")] = Task.auto,
    order_by: OrderBy = None,
    group_by: GroupBy = None,
    name: Annotated[str | None, typer.Option(help="A name for the contract.")] = None,
    columns: Annotated[
        list[str] | None, typer.Option(help="Use only these columns (comma-separated).")
    ] = None,
) -> None:
    """Infer a contract (YAML) from a training set: widened bounds, levels, reference stats."""
    from dataguard._config import load_config
    from dataguard.contract import infer

    try:
        _check_folder(output)
        progress = _Progress()
        try:
            contract = infer(
                path,
                target=target,
                task=task.value,
                order_by=order_by,
                group_by=group_by,
                name=name,
                columns=_split(columns),
                config=load_config(),
                progress=progress,
            )
        finally:
            progress.close()
        contract.save(output)
    except DataguardError as exc:
        raise _fail(str(exc)) from None
    except ValueError as exc:
        raise _fail(str(exc)) from None
    n = len(contract.columns)
    sys.stderr.write(f"wrote {output}: {n} columns, rows >= {contract.dataset.rows.min}\n")


@app.command("explain")
def explain_cmd(
    code: Annotated[str | None, typer.Argument(help="Rule code, e.g. DG101.")] = None,
) -> None:
    """Print the documentation of a rule (all rules' codes without an argument)."""
    from dataguard.rules import RULES
    from dataguard.rules._docs import rule_doc
    from dataguard.rules.contract import CONTRACT_CODES
    from dataguard.rules.model import MODEL_CODES

    specs = {c: spec for c, (spec, _) in RULES.items()} | CONTRACT_CODES | MODEL_CODES
    if code is None:
        for spec in sorted(specs.values(), key=lambda s: s.code):
            typer.echo(f"{spec.code}  {spec.slug:<24} {spec.severity.label:<8} {spec.summary}")
        return
    key = code.strip().upper()
    if key not in specs:
        raise _fail(f"rule {code!r} is not known; `dataguard explain` lists the codes")
    try:
        typer.echo(rule_doc(key))
    except KeyError:
        raise _fail(f"rule {key} has no section in docs/rules.md") from None


def main() -> None:
    """Console-script entry point."""
    app()
