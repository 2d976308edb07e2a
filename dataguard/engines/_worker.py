"""Worker process of the local engine: profile some units of a source, print the states.

Run as ``python -m dataguard.engines._worker TASK`` with TASK a JSON object
(``path``, ``columns``, ``units``, ``rate``, ``seed``); writes one JSON object
``{"columns": {name: state}, "dataset": state}`` to stdout in the frame of
:func:`dataguard.engines._wire.write_frame` (a JSON header, then raw binary parts: the row
sample as Arrow IPC and the row hashes). It imports pyarrow, numpy and the sketch library
only: no pandas, typer or rich.
"""

from __future__ import annotations

import json
import sys

from dataguard.engines._local import run_units
from dataguard.engines._wire import write_frame
from dataguard.errors import DataguardError
from dataguard.io import open_source


def _report_progress(rows: int) -> None:
    sys.stderr.write(f"progress {rows}\n")
    sys.stderr.flush()


def main() -> int:
    """Read the task, profile, write the states; exit 1 with a one-line error on failure."""
    task = json.loads(sys.argv[1])
    try:
        source = open_source(task["path"], columns=task["columns"])
        accs, dataset = run_units(
            source,
            task["units"],
            task["rate"],
            task["seed"],
            _report_progress if task.get("progress") else None,
        )
    except DataguardError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    blobs: list[memoryview] = []
    header = {
        "columns": {n: a.to_state() for n, a in accs.items()},
        "dataset": dataset.to_state(blobs),
    }
    write_frame(sys.stdout.buffer, header, blobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
