"""Second-pass accumulators: statistics that need to know, before they stream, which columns
matter (planned by the rules from the first pass's profile).

A pass declares the ``columns`` it reads; the engine (``engines.run_passes``) streams only
the union of those columns, once, in row order, and calls ``update`` with each batch
(selected to the pass's columns). ``result`` returns a JSON-safe dict, stored in
``Profile.passes[name]``. Passes are order-dependent where they say so (sequences are read
in row order) and bounded in memory (each documents its caps).
"""

from __future__ import annotations

from typing import Any, Protocol

import pyarrow as pa

__all__ = ["SecondPass"]


class SecondPass(Protocol):
    """What the engine needs of a second-pass accumulator."""

    #: Key of the result in ``Profile.passes``.
    name: str
    #: Columns it reads, in the order it wants them.
    columns: list[str]

    def update(self, batch: pa.RecordBatch) -> None:
        """Add one batch (its columns are exactly ``columns``), in row order."""

    def result(self) -> dict[str, Any]:
        """The JSON-safe result."""
