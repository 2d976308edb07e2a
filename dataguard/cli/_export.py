"""``dataguard export``: a contract as a pandera schema or a Great Expectations suite.

Registered on the shared typer app (see _app.py for conventions): exit 0 when written, 2 for
an unreadable or invalid contract, a missing extra or a missing output folder (one line on
stderr, nothing written).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from dataguard.cli._app import _check_folder, _fail, _write_atomic, app
from dataguard.errors import DataguardError

__all__ = ["Target", "app", "export_cmd"]


class Target(StrEnum):
    """What ``dataguard export --to`` writes."""

    pandera = "pandera"
    great_expectations = "great-expectations"


_HELP = "\n\n".join(
    [
        "Translate a contract into a pandera schema or a Great Expectations suite.",
        "pandera: a Python script that defines `schema`, a pandera.pandas DataFrameSchema, "
        "and needs numpy, pandas and pandera only. A script rather than pandera's YAML: the "
        "YAML cannot hold the function checks (dtype families, null share, range, levels, "
        "uniqueness, mean, std, row count) that judge as dataguard does.",
        "great-expectations: the ExpectationSuite as JSON; load it with "
        "ExpectationSuite(**json.load(f)).",
        "Clauses with no counterpart are printed on stderr as 'not translated: ...' lines "
        "and listed in the output (the script's docstring, the suite's meta).",
    ]
)


@app.command("export", help=_HELP)
def export_cmd(
    contract: Annotated[Path, typer.Argument(help="Contract YAML file.")],
    to: Annotated[Target, typer.Option("--to", help="The tool to export to.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write here instead of stdout."),
    ] = None,
) -> None:
    """Translate a contract into a pandera schema or a Great Expectations suite."""
    from dataguard.contract._io import load_contract

    try:
        spec = load_contract(contract)
        _check_folder(output)
        if to is Target.pandera:
            from dataguard.adapters.pandera import to_pandera_script, untranslated

            text = to_pandera_script(spec, source=str(contract))
            gaps = untranslated(spec, "pandera")
        else:
            from dataguard.adapters.great_expectations import (
                to_great_expectations,
                untranslated,
            )

            suite = to_great_expectations(spec)
            text = json.dumps(suite.to_json_dict(), indent=2, allow_nan=False) + "\n"
            gaps = untranslated(spec, "great_expectations")
    except DataguardError as exc:  # unreadable or invalid contract, missing extra
        raise _fail(str(exc)) from None
    except ValueError as exc:  # a NaN level has no JSON spelling
        raise _fail(f"{contract}: cannot write the suite as JSON ({exc})") from None
    if output is not None:
        _write_atomic(output, text)
    else:
        sys.stdout.write(text)
    for line in gaps:
        sys.stderr.write(f"not translated: {line}\n")
