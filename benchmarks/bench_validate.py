"""Benchmark ``dataguard validate`` against pandera (and Great Expectations, for reference)
running the same 40 checks, on clean data and on a copy where 1% of rows break a range.

Method (the project's "How performance is measured" rules, with ``bench_profile.py``'s
process-tree measurement, summaries and table):

* Data: the synthetic 20-column training set (``_data.make_table``, seed 42) at 5,000,000 rows,
  row groups of 262,144 rows, cached under ``benchmarks/data/``; and a **dirty** copy, written
  once next to it (same row groups), where ``f09`` (declared in [18, 90]) is 95 in every
  100th row: 1% of the rows, 50,000 at 5M, violate one range clause. Both files are read
  once before timing (page cache).
* The checks: the 40 of the shared reference benchmarks (``bench/checks_spec.py``, copied in
  :data:`CHECKS`): 18 value ranges, 12 not-null, 4 mean-between, 4 stdev-between, 2
  value-in-set. All pass on the clean file. Each tool gets the equivalent:

  - ``dataguard``: a 40-clause contract (``range``, ``nullable: false``, ``mean``, ``std``,
    ``levels``; no reference statistics, so no drift) written as YAML, and
    ``dataguard validate FILE --contract C.yaml -f json -o TMP.json``;
  - ``pandera``: ``pandas.read_parquet`` + a ``DataFrameSchema`` built as the reference's
    ``bench_pandera.py`` does (``Check.in_range``, ``nullable``, mean/std lambda checks,
    ``Check.isin``), ``schema.validate(df, lazy=True)``; the ``SchemaErrors`` of the dirty
    file are caught and their failure cases counted (read included, as the reference);
  - ``great_expectations`` (reference only, no check): ``pandas.read_parquet``, an ephemeral
    context and a 40-expectation suite validated on the whole frame, as ``bench_ge.py``.

* Whole processes (interpreter start and imports included), interleaved ``dataguard pandera
  [great_expectations]`` for ``--runs`` rounds (default 5) per file; Great Expectations runs in
  the first ``--ge-runs`` rounds only (default 1: it takes 10-60 s a run). Each tool writes its
  verdict (a JSON report or a small verdict file), checked after every run: on the clean file
  everything passes (dataguard exits 0); on the dirty file dataguard exits 1 with a DG303 on
  ``f09`` counting exactly the broken rows, and pandera and GE report the ``f09`` range as
  failed. A run with a wrong verdict counts as failed.
* Reported per file: median/min/max wall, median peak summed RSS of the process tree, and
  the ratio to pandera (median of per-round ratios, and ratio of medians).

Acceptance check (PASS/FAIL): dataguard wall <= 0.5x pandera on both files (median of rounds).
Raw results: ``benchmarks/results/validate-<timestamp>.json``.

usage: python benchmarks/bench_validate.py [--runs 5] [--ge-runs 1] [--rows 5000000]
                                           [--data-dir DIR] [--skip-ge] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_profile
from _data import ROW_GROUP_SIZE, SEED, dataset_path
from bench_profile import (
    Check,
    Run,
    dataguard_argv,
    ensure_dataset,
    environment,
    measure,
    print_summaries,
    summarize,
    warm_page_cache,
)

HERE = Path(__file__).resolve().parent
RATIO_LIMIT = 0.5
DIRTY_COLUMN = "f09"
DIRTY_VALUE = 95.0  # above the range [18, 90]; the mean and std clauses still hold
DIRTY_EVERY = 100  # every 100th row: 1%
TOOLS = ("dataguard", "pandera", "great_expectations")

_LEVELS = [f"cat_{i:02d}" for i in range(50)]
#: The 40 checks, copied from the shared reference benchmarks' ``checks_spec.py``.
CHECKS: dict[str, Any] = {
    "ranges": {
        "f00": (-10.0, 10.0), "f01": (-1000.0, 3000.0), "f02": (0.0, 1e-3),
        "f03": (0.0, 1e4), "f04": (0.0, 1e8), "f05": (4.99, 5.01),
        "f06": (-1e6, 1e6), "f07": (-50.0, 150.0), "f08": (-10.0, 110.0),
        "f09": (18.0, 90.0), "f10": (0.0, 1e7), "f11": (-100.0, 100.0),
        "f12": (-1e5, 1e5), "f13": (0.0, 1.0), "f14": (0.0, 1e-3),
        "f15": (-1e11, 1e11), "i00": (0, 100), "i01": (0, 999_999),
    },
    "not_null": ["f00", "f01", "f02", "f03", "f04", "f05", "f06", "f08", "f09", "f10", "f13",
                 "f15"],
    "mean": {"f00": (-0.1, 0.1), "f01": (990.0, 1010.0), "f09": (53.0, 55.0),
             "f13": (0.27, 0.30)},
    "std": {"f00": (0.9, 1.1), "f01": (190.0, 210.0), "f09": (20.0, 21.5), "f13": (0.15, 0.17)},
    "in_set": {"c00": _LEVELS, "c01": _LEVELS},
}  # fmt: skip
N_CHECKS = sum(len(v) for v in CHECKS.values())
assert N_CHECKS == 40, N_CHECKS

#: pandera, as the reference's bench_pandera.py (read included); writes a verdict file.
PANDERA_CODE = """
import json, sys
import pandas as pd
import pandera.pandas as pa
spec = json.load(open(sys.argv[2]))
df = pd.read_parquet(sys.argv[1])

def mean_between(lo, hi):
    return pa.Check(lambda s: lo <= s.mean() <= hi, name=f"mean_between_{lo}_{hi}")

def std_between(lo, hi):
    return pa.Check(lambda s: lo <= s.std() <= hi, name=f"std_between_{lo}_{hi}")

cols = {}
for c in df.columns:
    checks = []
    if c in spec["ranges"]:
        checks.append(pa.Check.in_range(*spec["ranges"][c]))
    if c in spec["mean"]:
        checks.append(mean_between(*spec["mean"][c]))
    if c in spec["std"]:
        checks.append(std_between(*spec["std"][c]))
    if c in spec["in_set"]:
        checks.append(pa.Check.isin(spec["in_set"][c]))
    cols[c] = pa.Column(checks=checks, nullable=c not in spec["not_null"])
schema = pa.DataFrameSchema(cols)
try:
    schema.validate(df, lazy=True)
    verdict = {"ok": True, "failed": [], "failure_cases": 0}
except pa.errors.SchemaErrors as exc:
    fc = exc.failure_cases
    failed = sorted({f"{col}:{chk}" for col, chk in zip(fc["column"], fc["check"])})
    verdict = {"ok": False, "failed": failed, "failure_cases": len(fc)}
json.dump(verdict, open(sys.argv[3], "w"))
"""

#: Great Expectations 1.x, as the reference's bench_ge.py; writes a verdict file.
GE_CODE = """
import json, os, sys
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
import pandas as pd
import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context.types.base import ProgressBarsConfig
spec = json.load(open(sys.argv[2]))
df = pd.read_parquet(sys.argv[1])
ctx = gx.get_context(mode="ephemeral")
ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
ds = ctx.data_sources.add_pandas("pandas_src")
bd = ds.add_dataframe_asset("train").add_batch_definition_whole_dataframe("whole")
suite = ctx.suites.add(gx.ExpectationSuite(name="train_suite"))
for c, (lo, hi) in spec["ranges"].items():
    suite.add_expectation(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=lo, max_value=hi))
for c in spec["not_null"]:
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column=c))
for c, (lo, hi) in spec["mean"].items():
    suite.add_expectation(gxe.ExpectColumnMeanToBeBetween(column=c, min_value=lo, max_value=hi))
for c, (lo, hi) in spec["std"].items():
    suite.add_expectation(gxe.ExpectColumnStdevToBeBetween(column=c, min_value=lo, max_value=hi))
for c, levels in spec["in_set"].items():
    suite.add_expectation(gxe.ExpectColumnValuesToBeInSet(column=c, value_set=levels))
res = bd.get_batch(batch_parameters={"dataframe": df}).validate(suite)
failed = sorted(
    f"{r.expectation_config.kwargs.get('column')}:{r.expectation_config.type}"
    for r in res.results if not r.success
)
json.dump({"ok": bool(res.success), "failed": failed, "expectations": len(res.results)},
          open(sys.argv[3], "w"))
"""


# --------------------------------------------------------------------------- inputs


def contract_yaml() -> str:
    """The 40 checks as a dataguard contract (YAML)."""
    import yaml

    columns: dict[str, dict[str, Any]] = {}
    for c, (lo, hi) in CHECKS["ranges"].items():
        columns.setdefault(c, {})["range"] = {"min": float(lo), "max": float(hi)}
    for c in CHECKS["not_null"]:
        columns.setdefault(c, {})["nullable"] = False
    for key in ("mean", "std"):
        for c, (lo, hi) in CHECKS[key].items():
            columns.setdefault(c, {})[key] = {"min": float(lo), "max": float(hi)}
    for c, levels in CHECKS["in_set"].items():
        columns.setdefault(c, {})["levels"] = list(levels)
    doc = {"dataguard": 1, "name": "bench-40-checks", "columns": columns}
    return yaml.safe_dump(doc, sort_keys=False)


def dirty_path(data_dir: Path, rows: int) -> Path:
    clean = dataset_path(data_dir, rows)
    return clean.with_name(clean.stem + f"_dirty{DIRTY_COLUMN}1pct.parquet")


def _dirty_ok(path: Path, rows: int) -> bool:
    try:
        md = pq.ParquetFile(path).metadata
    except (OSError, pa.ArrowInvalid):
        return False
    meta = md.metadata or {}
    return md.num_rows == rows and meta.get(b"dataguard-bench") == b"dirty-f09-every-100"


def ensure_dirty(clean: Path, data_dir: Path, rows: int) -> Path:
    """The dirty copy (cached), written by a child process (this one stays small: a fork
    inherits its memory, which would show in the measured commands' ``ru_maxrss``)."""
    path = dirty_path(data_dir, rows)
    if _dirty_ok(path, rows):
        return path
    print(f"writing the dirty copy -> {path} ...", flush=True)
    script = Path(__file__).resolve()
    subprocess.run(
        [sys.executable, str(script), "--write-dirty", str(clean), str(path)], check=True
    )
    return path


def write_dirty(clean: Path, path: Path) -> None:
    """Copy ``clean`` row group by row group with every 100th ``f09`` set out of range."""
    import numpy as np

    src = pq.ParquetFile(clean)
    schema = src.schema_arrow.with_metadata({"dataguard-bench": "dirty-f09-every-100"})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    offset = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for g in range(src.num_row_groups):
            t = src.read_row_group(g)
            x = t.column(DIRTY_COLUMN).to_numpy().copy()
            x[(np.arange(offset, offset + t.num_rows) % DIRTY_EVERY) == 0] = DIRTY_VALUE
            t = t.set_column(t.schema.get_field_index(DIRTY_COLUMN), DIRTY_COLUMN, pa.array(x))
            writer.write_table(t.replace_schema_metadata(schema.metadata), ROW_GROUP_SIZE)
            offset += t.num_rows
    os.replace(tmp, path)


def n_dirty(rows: int) -> int:
    return -(-rows // DIRTY_EVERY)


# --------------------------------------------------------------------------- one run


def tool_argv(tool: str, data: Path, folder: Path, out: Path) -> list[str]:
    spec, contract = folder / "checks.json", folder / "contract.yaml"
    if tool == "dataguard":
        dg = [*dataguard_argv(), "validate", str(data), "--contract", str(contract)]
        return [*dg, "-f", "json", "-o", str(out)]
    code = PANDERA_CODE if tool == "pandera" else GE_CODE
    return [sys.executable, "-c", code, str(data), str(spec), str(out)]


def check_verdict(tool: str, out: Path, dirty: bool, rows: int, returncode: int) -> str:
    """Empty when the tool's verdict is right for the file; otherwise what is wrong."""
    if tool == "dataguard" and returncode != (1 if dirty else 0):
        return f"exit {returncode}, expected {1 if dirty else 0}"
    if tool != "dataguard" and returncode != 0:
        return f"exit {returncode}"
    try:
        doc = json.loads(out.read_text())
    except (OSError, ValueError) as exc:
        return f"no readable verdict ({exc})"
    if tool == "dataguard":
        found = [(f["code"], f["columns"], f["evidence"].get("count")) for f in doc["findings"]]
        want = [("DG303", [DIRTY_COLUMN], n_dirty(rows))] if dirty else []
        return "" if found == want else f"findings {found}, expected {want}"
    failed = [f for f in doc["failed"] if f.startswith(f"{DIRTY_COLUMN}:")]
    wrong = dirty and (not failed or len(failed) != len(doc["failed"]))
    if doc["ok"] is dirty or wrong:
        return f"verdict {doc}"
    if dirty and tool == "pandera" and doc["failure_cases"] != n_dirty(rows):
        return f"{doc['failure_cases']} failure cases, expected {n_dirty(rows)}"
    return ""


def run_one(
    tool: str, data: Path, folder: Path, rows: int, rnd: int, dirty: bool, interval: float
) -> Run:
    out = folder / f"{tool}-out.json"
    out.unlink(missing_ok=True)
    m = measure(tool_argv(tool, data, folder, out), interval)
    note = check_verdict(tool, out, dirty, rows, m.returncode)
    if note and m.returncode not in (0, 1):
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


# --------------------------------------------------------------------------- driver


def bench_file(
    label: str, data: Path, folder: Path, rows: int, dirty: bool, args: argparse.Namespace
) -> list[Run]:
    warm_page_cache(data)
    runs: list[Run] = []
    for rnd in range(1, args.runs + 1):
        tools = [t for t in args.tools if t != "great_expectations" or rnd <= args.ge_runs]
        for tool in tools:
            run = run_one(tool, data, folder, rows, rnd, dirty, args.sample_ms / 1000.0)
            runs.append(run)
            flag = "" if run.ok else f"  FAILED: {run.note[:300]}"
            print(
                f"  [{label}] round {rnd}/{args.runs} {tool:<18} {run.wall_s:7.2f} s  "
                f"peak {run.peak_tree_rss_mb:6.0f} MB{flag}",
                flush=True,
            )
    return runs


def acceptance(summaries: dict[str, list[Any]]) -> Check:
    name = f"dataguard wall <= {RATIO_LIMIT}x pandera on clean and dirty data"
    parts, ok = [], True
    for label, sums in summaries.items():
        dg = next((s for s in sums if s.tool == "dataguard"), None)
        ratio = dg.ratio_median_of_rounds if dg is not None else None
        if ratio is None:
            return Check(name, "FAIL", f"{label}: no successful dataguard/pandera rounds")
        ok = ok and ratio <= RATIO_LIMIT
        parts.append(f"{label} {ratio:.2f}x")
    return Check(name, "PASS" if ok else "FAIL", ", ".join(parts) + " (median of rounds)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--ge-runs", type=int, default=1, help="rounds that run GE (default 1)")
    p.add_argument("--rows", type=int, default=5_000_000)
    p.add_argument("--data-dir", type=Path, default=HERE / "data")
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument("--sample-ms", type=float, default=5.0)
    p.add_argument("--skip-ge", action="store_true", help="leave Great Expectations out")
    p.add_argument("--strict", action="store_true", help="exit 1 when the check fails")
    args = p.parse_args(argv)
    args.tools = [t for t in TOOLS if not (args.skip_ge and t == "great_expectations")]
    if args.runs < 1:
        p.error("--runs must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--write-dirty"]:  # the child process of ensure_dirty
        write_dirty(Path(argv[1]), Path(argv[2]))
        return 0
    args = parse_args(argv)
    clean = ensure_dataset(args.data_dir, args.rows)
    dirty = ensure_dirty(clean, args.data_dir, args.rows)
    files = {"clean": (clean, False), "dirty": (dirty, True)}
    print(
        f"data: seed {SEED}, {args.rows:,} rows x 20 columns, row_group_size={ROW_GROUP_SIZE:,}; "
        f"dirty: {DIRTY_COLUMN} = {DIRTY_VALUE:g} in every {DIRTY_EVERY}th row "
        f"({n_dirty(args.rows):,} rows); {N_CHECKS} checks; load {os.getloadavg()}"
    )
    all_runs: list[Run] = []
    summaries: dict[str, list[Any]] = {}
    with tempfile.TemporaryDirectory(prefix="dg-bench-validate-") as tmp:
        folder = Path(tmp)
        (folder / "contract.yaml").write_text(contract_yaml(), encoding="utf-8")
        (folder / "checks.json").write_text(json.dumps(CHECKS), encoding="utf-8")
        print("commands (C.yaml: the 40 checks as a contract; CHECKS.json: the same for the rest):")
        for tool in args.tools:
            argv_ = tool_argv(tool, Path("FILE.parquet"), folder, Path("TMP.json"))
            shown = [a if "\n" not in a else "<code: see PANDERA_CODE / GE_CODE>" for a in argv_]
            print(f"  {tool:<18} {subprocess.list2cmdline(shown)}")
        for label, (path, dirty) in files.items():
            runs = bench_file(label, path, folder, args.rows, dirty, args)
            all_runs += runs
            summaries[label] = [
                summarize(runs, args.rows, t, baseline="pandera") for t in args.tools
            ]
    for label, sums in summaries.items():
        print(f"\n{label} file, {args.rows:,} rows x 20 columns, 40 checks; ratio = wall / pandera")
        print_summaries(sums, first="tool", versus="pandera")
    check = acceptance(summaries)
    print(f"\nacceptance check:\n  {check.status}  {check.name}: {check.detail}")
    env = environment()
    env["versions"].update(
        {d: bench_profile._version(d) for d in ("pandera", "great_expectations")}
    )
    payload = {
        "method": __doc__,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "environment": env,
        "load_average_after": os.getloadavg(),
        "files": {k: str(p) for k, (p, _) in files.items()},
        "runs": [asdict(r) for r in all_runs],
        "summaries": {k: [asdict(s) for s in v] for k, v in summaries.items()},
        "checks": [asdict(check)],
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"validate-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"raw results: {out}")
    crashed = any(not r.ok for r in all_runs)
    return 1 if crashed or (args.strict and check.status == "FAIL") else 0


if __name__ == "__main__":
    sys.exit(main())
