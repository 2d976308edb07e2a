"""``dataguard compare``: registered on the shared typer app (see _app.py for conventions)."""

from __future__ import annotations

from dataguard.cli._app import app

__all__ = ["app"]
