"""Benchmark fitted transforms: ``dataguard fit`` against ``dataguard profile``, and the torch
dataset with transforms against the same dataset yielding the untransformed packed tensor.

Issue 4's performance bounds:

1. ``dataguard fit`` on the 5M x 20 benchmark file, from scratch, takes at most 1.5x
   ``dataguard profile`` of the same file;
2. iterating ``ParquetDataset`` with the transforms applied costs at most 25% more than the
   same dataset yielding the untransformed packed tensor (CPU, batch 1024, 0 workers); the
   figure for batch 8192 is printed too.

Method (the project's "How performance is measured" rules, as in ``bench_profile.py``, whose
process-tree measurement this script reuses):

* Data: the synthetic 20-column training set of ``bench_profile.py`` (``_data.make_table``,
  seed 42) at 5,000,000 rows, row groups of 262,144 rows, cached under ``benchmarks/data/``
  and read once before timing (page cache).
* Part 1, whole commands in their own processes (interpreter start and imports included),
  interleaved ``profile fit profile fit ...`` for ``--runs`` rounds:

  - ``profile``: ``dataguard profile PATH -f json -o TMP.json`` (every rule, JSON written);
  - ``fit``:     ``dataguard fit PATH -o TMP.json -q`` (the same profile, the plan, the fit with
    its streaming pass, and the artifact written).

  Reported: median/min/max wall, median peak summed RSS of the process tree, and fit / profile
  as the median of per-round ratios and the ratio of medians.
* Part 2, one process per measurement (``python -c``, timing only the epoch, not the start):
  a ``ParquetDataset`` over the same file and the pipeline's 18 numeric input columns
  (transforms fitted once beforehand with ``dataguard.fit(PATH, columns=...)`` and loaded from
  JSON), ``DataLoader(ds, batch_size=None, num_workers=0)``, shuffling on (buffer 65,536 rows,
  seed 0), one full epoch (5,000,000 rows):

  - ``raw``:         ``ParquetDataset(path, columns=inputs, batch_size=B)`` -- the packed
    float32 tensor of the input columns, untransformed;
  - ``transformed``: ``ParquetDataset(path, transforms=pipe, batch_size=B)`` -- the same
    columns through the fitted transforms (impute, log, clip, scalers, indicators), float32.

  Interleaved raw/transformed for ``--runs`` rounds at B = 1024 and B = 8192. Reported: the
  median epoch time, rows per second, microseconds per batch, and transformed / raw (median of
  per-round ratios).

Acceptance checks (PASS/FAIL): fit <= 1.5x profile (median of rounds); transformed <= 1.25x raw
at batch 1024 (median of rounds). Raw results go to
``benchmarks/results/transforms-<timestamp>.json``.

usage: python benchmarks/bench_transforms.py [--runs 5] [--rows 5000000] [--data-dir DIR]
                                             [--skip-fit] [--skip-iter] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_profile
from _data import ROW_GROUP_SIZE
from bench_profile import (
    Check,
    Run,
    dataguard_argv,
    ensure_dataset,
    environment,
    measure,
    summarize,
    warm_page_cache,
)

HERE = Path(__file__).resolve().parent
FIT_RATIO_LIMIT = 1.5
ITER_RATIO_LIMIT = 1.25
BATCHES = (1024, 8192)

#: One epoch of the dataset, timed inside the process; prints JSON on stdout.
ITER_CODE = """
import json, sys, time
import torch
from torch.utils.data import DataLoader
import dataguard
from dataguard.adapters.torch import ParquetDataset
path, artifact, mode, batch = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.set_num_threads(1)
pipe = dataguard.load_transforms(artifact)
if mode == "raw":
    ds = ParquetDataset(path, columns=pipe.input_columns, batch_size=batch, seed=0)
else:
    ds = ParquetDataset(path, transforms=pipe, batch_size=batch, seed=0)
loader = DataLoader(ds, batch_size=None, num_workers=0)
ds.set_epoch(0)
rows = batches = 0
width = None
start = time.perf_counter()
for item in loader:
    x = item[0] if isinstance(item, (tuple, list)) else item
    rows += x.shape[0]
    batches += 1
    width = x.shape[1]
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "rows": rows, "batches": batches, "width": width}))
"""


def profile_argv(path: Path, out: Path) -> list[str]:
    return [*dataguard_argv(), "profile", str(path), "-f", "json", "-o", str(out)]


def fit_argv(path: Path, out: Path) -> list[str]:
    return [*dataguard_argv(), "fit", str(path), "-o", str(out), "-q"]


def run_command(tool: str, path: Path, rows: int, rnd: int, interval: float) -> Run:
    with tempfile.TemporaryDirectory(prefix="dg-bench-") as tmp:
        out = Path(tmp) / "out.json"
        argv = profile_argv(path, out) if tool == "profile" else fit_argv(path, out)
        m = measure(argv, interval)
        note = "" if m.returncode == 0 and out.exists() else f"exit {m.returncode}"
        if m.returncode != 0:
            note += f": {m.stderr_tail.strip()[-500:]}"
    return Run(
        rows=rows,
        round=rnd,
        tool=tool,
        wall_s=m.wall_s,
        peak_tree_rss_mb=m.peak / bench_profile.MB,
        kernel_maxrss_mb=m.kernel_maxrss / bench_profile.MB,
        max_pids=m.max_pids,
        samples=m.samples,
        returncode=m.returncode,
        ok=not note,
        note=note,
    )


def bench_fit(path: Path, rows: int, args: argparse.Namespace) -> tuple[list[Run], Check]:
    runs: list[Run] = []
    for rnd in range(args.runs):
        for tool in ("profile", "fit"):
            run = run_command(tool, path, rows, rnd, args.sample_ms / 1000)
            runs.append(run)
            print(f"  round {rnd}: {tool:<8} {run.wall_s:6.2f} s  {run.peak_tree_rss_mb:5.0f} MB")
    summaries = [summarize(runs, rows, t, baseline="profile") for t in ("profile", "fit")]
    print(f"\n{rows:,} rows x 20 columns, ratio = wall / `dataguard profile` wall")
    bench_profile.print_summaries(summaries, first="command", versus="profile")
    fit = summaries[1]
    ratio = fit.ratio_median_of_rounds
    ok = ratio is not None and ratio <= FIT_RATIO_LIMIT
    check = Check(
        "fit <= 1.5x profile",
        "PASS" if ok else "FAIL",
        f"{ratio:.2f}x (median of rounds; ratio of medians {fit.ratio_of_medians:.2f}x)"
        if ratio is not None
        else "no successful rounds",
    )
    return runs, check


def fit_numeric_pipeline(path: Path, folder: Path) -> Path:
    """Transforms over the numeric columns, fitted once before timing."""
    import pyarrow.parquet as pq

    import dataguard

    schema = pq.read_schema(path)
    numeric = [f.name for f in schema if f.type.num_fields == 0 and str(f.type) != "string"]
    pipe = dataguard.fit(path, columns=numeric)
    out = folder / "numeric-transforms.json"
    pipe.save(out)
    print(
        f"transforms: {len(pipe.input_columns)} numeric inputs -> "
        f"{len(pipe.output_columns)} outputs; steps: "
        + ", ".join(sorted({s["op"] for c in pipe.columns for s in c["steps"]}))
    )
    return out


@dataclass
class Epoch:
    batch: int
    mode: str
    round: int
    seconds: float
    rows: int
    batches: int
    width: int | None
    ok: bool
    note: str = ""


def run_epoch(path: Path, artifact: Path, mode: str, batch: int, rnd: int) -> Epoch:
    proc = subprocess.run(
        [sys.executable, "-c", ITER_CODE, str(path), str(artifact), mode, str(batch)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    if proc.returncode != 0:
        return Epoch(batch, mode, rnd, float("nan"), 0, 0, None, False, proc.stderr[-500:])
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    return Epoch(batch, mode, rnd, got["seconds"], got["rows"], got["batches"], got["width"], True)


def bench_iteration(
    path: Path, rows: int, args: argparse.Namespace
) -> tuple[list[Epoch], list[Check]]:
    epochs: list[Epoch] = []
    checks: list[Check] = []
    with tempfile.TemporaryDirectory(prefix="dg-bench-") as tmp:
        artifact = fit_numeric_pipeline(path, Path(tmp))
        for batch in BATCHES:
            for rnd in range(args.runs):
                for mode in ("raw", "transformed"):
                    e = run_epoch(path, artifact, mode, batch, rnd)
                    epochs.append(e)
                    print(
                        f"  batch {batch:>5} round {rnd}: {mode:<11} {e.seconds:6.2f} s"
                        + ("" if e.ok else f"  FAILED {e.note}")
                    )
    print(
        f"\nParquetDataset, one epoch of {rows:,} rows, 0 workers, CPU, shuffle buffer 65,536; "
        "ratio = transformed / raw"
    )
    print("| batch | mode | width | median s | rows/s | us/batch | x raw (median of rounds) |")
    print("|---|---|---|---|---|---|---|")
    for batch in BATCHES:
        mine = [e for e in epochs if e.batch == batch and e.ok]
        raw = {e.round: e.seconds for e in mine if e.mode == "raw"}
        ratios = [
            e.seconds / raw[e.round] for e in mine if e.mode == "transformed" and e.round in raw
        ]
        for mode in ("raw", "transformed"):
            es = [e for e in mine if e.mode == mode]
            if not es:
                continue
            med = statistics.median(e.seconds for e in es)
            ratio = "1.00x" if mode == "raw" else f"{statistics.median(ratios):.2f}x"
            print(
                f"| {batch} | {mode} | {es[0].width} | {med:.2f} | {es[0].rows / med:,.0f} "
                f"| {1e6 * med / es[0].batches:.0f} | {ratio} |"
            )
        if batch == BATCHES[0]:
            r = statistics.median(ratios) if ratios else None
            ok = r is not None and r <= ITER_RATIO_LIMIT
            checks.append(
                Check(
                    "transformed <= 1.25x raw at batch 1024",
                    "PASS" if ok else "FAIL",
                    f"{r:.2f}x (median of rounds)" if r is not None else "no successful rounds",
                )
            )
    return epochs, checks


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--data-dir", type=Path, default=HERE / "data")
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument("--sample-ms", type=float, default=5.0)
    p.add_argument("--skip-fit", action="store_true")
    p.add_argument("--skip-iter", action="store_true")
    p.add_argument("--strict", action="store_true", help="exit 1 when a check fails")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    path = ensure_dataset(args.data_dir, args.rows)
    warm_page_cache(path)
    print(f"data: {path.name}, row_group_size={ROW_GROUP_SIZE:,}; load {os.getloadavg()}")
    runs: list[Run] = []
    epochs: list[Epoch] = []
    checks: list[Check] = []
    if not args.skip_fit:
        runs, check = bench_fit(path, args.rows, args)
        checks.append(check)
    if not args.skip_iter:
        epochs, more = bench_iteration(path, args.rows, args)
        checks += more
    print("\nacceptance checks:")
    for c in checks:
        print(f"  {c.status}  {c.name}: {c.detail}")
    payload: dict[str, Any] = {
        "method": __doc__,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "environment": environment(),
        "load_average_after": os.getloadavg(),
        "file": str(path),
        "runs": [asdict(r) for r in runs],
        "epochs": [asdict(e) for e in epochs],
        "checks": [asdict(c) for c in checks],
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"transforms-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"raw results: {out}")
    failed = any(c.status == "FAIL" for c in checks)
    crashed = any(not r.ok for r in runs) or any(not e.ok for e in epochs)
    return 1 if crashed or (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
