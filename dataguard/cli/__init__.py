"""The ``dataguard`` command line (typer). The only package that imports typer."""

from dataguard.cli._app import app, main

__all__ = ["app", "main"]
