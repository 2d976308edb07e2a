"""Worker process of the local engine: profile some units of a source, print the states.

Run as ``python -m dataguard.engines._worker TASK`` with TASK a JSON object
(``path``, ``columns``, ``units``, ``rate``, ``seed``); writes one JSON object
``{"columns": {name: state}, "dataset": state}`` to stdout. It imports pyarrow, numpy and
the sketch library only: no pandas, typer or rich.
"""

from __future__ import annotations

import json
import sys

from dataguard.engines._local import run_units
from dataguard.errors import DataguardError
from dataguard.io import open_source


def main() -> int:
    """Read the task, profile, write the states; exit 1 with a one-line error on failure."""
    task = json.loads(sys.argv[1])
    try:
        source = open_source(task["path"], columns=task["columns"])
        accs, dataset = run_units(source, task["units"], task["rate"], task["seed"])
    except DataguardError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    out = {"columns": {n: a.to_state() for n, a in accs.items()}, "dataset": dataset.to_state()}
    sys.stdout.write(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
