"""``dataguard check-model`` (see _app.py for the conventions).

Exit codes: 0 ok; 1 findings at or above ``--fail-on``; 2 usage or input error (one line on
stderr, no traceback, nothing written), also when torch is not installed.
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
from rich.table import Table
from rich.text import Text

from dataguard.cli._app import (
    FailOnOpt,
    Format,
    _check_folder,
    _fail,
    _fail_level,
    _write_atomic,
    app,
)
from dataguard.errors import DataguardError
from dataguard.report._terminal import findings_table

if TYPE_CHECKING:
    from dataguard.model_check import ModelReport
    from dataguard.model_check._files import DataFacts

__all__ = ["app"]

#: Per-layer rows shown in text output (head and tail of a longer table).
_MAX_LAYERS = 30


class Loss(StrEnum):
    """Losses for ``--loss``."""

    mse = "mse"
    l1 = "l1"
    huber = "huber"
    smooth_l1 = "smooth-l1"
    ce = "ce"
    nll = "nll"
    bce = "bce"
    bce_logits = "bce-logits"


class Amp(StrEnum):
    """Autocast dtypes for ``--amp``."""

    float16 = "float16"
    bfloat16 = "bfloat16"


class Checks(StrEnum):
    """Check sets for ``--checks``."""

    default = "default"
    static = "static"


class Device(StrEnum):
    """Devices for ``--device``."""

    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


_HELP = "\n\n".join(
    [
        "Check a PyTorch model, its loss, optimizer and data before training.",
        "FACTORY is FILE.py:NAME. The file is executed as Python code, as `python FILE.py` "
        'would run it, but with __name__ not equal to "__main__" (an `if __name__ == '
        '"__main__":` block is skipped): run check-model only on files you trust.',
        "NAME is called with (n_inputs, n_outputs) when it has two parameters without "
        "defaults, or when its first two parameters are named like n_inputs, n_outputs (or "
        "in_features, out_features, ...); otherwise with no arguments. It must return a "
        "torch.nn.Module.",
        "The batches come from a seeded random sample of the data (--max-rows rows): with "
        "--transforms, the artifact's outputs and its scaled target or class indices; "
        "without, the numeric columns as float32, unscaled.",
        "Exit codes: 0 ok, 1 findings at or above --fail-on, 2 bad input.",
    ]
)


@app.command("check-model", help=_HELP)
def check_model_cmd(
    factory: Annotated[
        str,
        typer.Argument(
            metavar="FACTORY",
            help="FILE.py:NAME, the function or class that builds the model "
            "(the file is executed as Python code).",
        ),
    ],
    data: Annotated[
        str, typer.Option("--data", "-d", help="Training data: parquet file/directory, CSV, IPC.")
    ],
    target: Annotated[str, typer.Option("--target", "-t", help="Target column.")],
    transforms: Annotated[
        Path | None,
        typer.Option(
            "--transforms", help="Transforms artifact from `dataguard fit`, applied to the data."
        ),
    ] = None,
    loss: Annotated[
        Loss | None,
        typer.Option(help="Loss (default: ce for a classification target, else mse)."),
    ] = None,
    lr: Annotated[
        float | None, typer.Option("--lr", help="Learning rate you plan to train with.")
    ] = None,
    optimizer: Annotated[
        str | None,
        typer.Option(help="torch.optim class by name: adam (default), adamw, sgd, rmsprop, ..."),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(
            "--batch-size",
            "-b",
            min=1,
            help="Training batch size (default 64), also the rows of each checked batch.",
        ),
    ] = None,
    clip: Annotated[
        float | None, typer.Option("--clip", help="Gradient clipping max norm you train with.")
    ] = None,
    amp: Annotated[
        Amp | None, typer.Option(help="Also check under autocast to this dtype.")
    ] = None,
    checks: Annotated[
        Checks,
        typer.Option(help="default: every check; static: only those without training steps."),
    ] = Checks.default,
    device: Annotated[Device, typer.Option(help="Where the checks run.")] = Device.auto,
    max_rows: Annotated[
        int,
        typer.Option("--max-rows", min=1, help="Rows sampled from the data (seeded, random)."),
    ] = 4096,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="Output format.")] = Format.text,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here instead of stdout.")
    ] = None,
    fail_on: FailOnOpt = None,
) -> None:
    """Check a PyTorch model before training (see _HELP)."""
    try:
        _check_folder(output)
        level = _fail_level(fail_on)
        from dataguard.model_check import check_model
        from dataguard.model_check._files import (
            batches_from_file,
            build_model,
            load_factory,
            probe_forward,
        )

        batches, facts = batches_from_file(
            data,
            target=target,
            transforms=transforms,
            batch_size=batch_size or 64,
            max_rows=max_rows,
            loss=loss.value if loss else None,
        )
        model = build_model(load_factory(factory), facts.n_inputs, facts.n_outputs)
        probe_forward(model, batches[0][0])
        report = check_model(
            model,
            batches,
            loss_fn=facts.loss,
            profile=facts.profile,
            optimizer=optimizer,
            lr=lr,
            batch_size=batch_size,
            n_train=facts.n_train,
            clip_grad_norm=clip,
            amp=amp.value if amp else None,
            checks=checks.value,
            device=device.value,
        )
    except DataguardError as exc:  # MissingDependencyError (no torch) included
        raise _fail(str(exc)) from None
    except ValueError as exc:  # e.g. an unknown fail-on level in pyproject.toml
        raise _fail(str(exc)) from None
    report.facts.setdefault("data", facts.to_dict())  # what was read, and how
    if fmt is Format.json:
        text = json.dumps(report.to_dict(), indent=2, allow_nan=False) + "\n"
    elif output is not None:
        console = Console(record=True, width=120, file=io.StringIO())
        render_model_report(report, console, model=model, data=facts)
        text = console.export_text()
    else:
        render_model_report(report, Console(), model=model, data=facts)
        text = ""
    if output is not None:
        _write_atomic(output, text)
    elif text:
        sys.stdout.write(text)
    raise typer.Exit(report.exit_code(level))


def render_model_report(
    report: ModelReport, console: Console, *, model: Any = None, data: DataFacts | None = None
) -> None:
    """Header, findings by severity, the per-layer table, the LR range test, skipped checks."""
    _header(report, console, model, data)
    if report.findings:
        console.print(findings_table(sorted(report.findings, key=lambda f: -f.severity)))
    else:
        console.print("[green]No problems found.[/green]")
    if report.layers:
        console.print(_layer_table(report))
    if report.lr_test is not None:
        console.print(_lr_line(report), soft_wrap=True, highlight=False)
    for code, why in sorted(report.skipped.items()):
        console.print(f"skipped {code}: {why}", soft_wrap=True, highlight=False)
    counts = report.severity_counts()
    console.print(
        f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s) "
        f"in {report.elapsed_s:.1f} s. `dataguard explain DG2xx` documents each check.",
        highlight=False,
        soft_wrap=True,
    )


def _header(report: ModelReport, console: Console, model: Any, data: DataFacts | None) -> None:
    facts = report.facts
    parts = []
    name = facts.get("model") or (type(model).__name__ if model is not None else None)
    n_params = facts.get("parameters")
    if n_params is None and model is not None:
        n_params = sum(p.numel() for p in model.parameters())
    if name:
        count = f" ({n_params:,} parameters)" if isinstance(n_params, int) else ""
        parts.append(f"[bold]{name}[/bold]{count}")
    parts.append(f"on {report.device}")
    if report.task:
        parts.append(f"task {report.task}")
    parts.append(f"loss {facts.get('loss') or (data.loss if data else '?')}")
    if facts.get("optimizer"):
        parts.append(f"optimizer {facts['optimizer']}")
    lr = facts.get("lr")
    parts.append(f"lr {_num(lr)}" if isinstance(lr, (int, float)) else "lr not given")
    console.print(", ".join(parts), soft_wrap=True, highlight=False)
    if data is not None:
        dropped = sum(data.dropped.values())
        console.print(
            f"data {data.source}: {data.n_rows:,} of {data.n_train:,} rows sampled, "
            f"{data.n_inputs} inputs -> {data.n_outputs} output(s), target {data.target!r}"
            + (f", {dropped:,} row(s) without a usable target dropped" if dropped else ""),
            soft_wrap=True,
            highlight=False,
        )


def _layer_table(report: ModelReport) -> Table:
    rows = report.layers
    title = "layers (forward order)"
    table = Table(title=title, show_header=True, header_style="bold", box=None)
    for name in ("layer", "kind", "act mean", "act std", "dead %", "grad norm", "w std / LeCun"):
        table.add_column(name, justify="left" if name in ("layer", "kind") else "right")
    if len(rows) > _MAX_LAYERS:
        head, tail = rows[: _MAX_LAYERS - 8], rows[-7:]
        hidden = len(rows) - len(head) - len(tail)
    else:
        head, tail, hidden = rows, [], 0
    for r in head:
        table.add_row(*_layer_cells(r))
    if hidden:
        table.add_row(Text(f"... {hidden} more (--format json lists all)", style="dim"))
    for r in tail:
        table.add_row(*_layer_cells(r))
    return table


def _layer_cells(r: Any) -> list[str | Text]:
    dead = Text("")
    if r.dead_fraction is not None:
        dead = Text(f"{100 * r.dead_fraction:.0f}", style="yellow" if r.dead_fraction > 0.5 else "")
    weights = ""
    if r.weight_std is not None:
        lecun = (r.expected_std or {}).get("lecun")
        if lecun is None and r.weight_ratio:
            lecun = r.weight_std / r.weight_ratio
        weights = _num(r.weight_std) + (f" / {_num(lecun)}" if lecun is not None else "")
    return [
        r.name,
        r.kind,
        _num(r.act_mean),
        _num(r.act_std),
        dead,
        _num(r.grad_norm),
        weights,
    ]


def _lr_line(report: ModelReport) -> str:
    t = report.lr_test
    assert t is not None
    head = f"LR range test ({t.optimizer}, {t.repeats} x {t.steps} steps): "
    if t.divergence_lr is None:
        top = t.lrs[-1] if t.lrs else None
        return head + f"no divergence up to lr {_num(top)}"
    spread = f", spread {t.spread:.2g}x over repeats" if t.spread is not None else ""
    suggested = f"; suggested lr {_num(t.suggested_lr)}" if t.suggested_lr is not None else ""
    return head + f"diverges at lr {_num(t.divergence_lr)}{spread}{suggested}"


def _num(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):  # json_safe's "nan"/"inf"
        return value
    return f"{float(value):.3g}"
