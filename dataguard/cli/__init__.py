"""The ``dataguard`` command line (typer). The only package that imports typer."""

from dataguard.cli import _check_model, _compare, _export, _validate  # noqa: F401  (register their commands)
from dataguard.cli._app import app, main

__all__ = ["app", "main"]
