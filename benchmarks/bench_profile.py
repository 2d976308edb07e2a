"""Benchmark ``dataguard profile`` against a raw parquet scan, polars and pandas.

Method (the project's "How performance is measured" rules):

* Data: the synthetic 20-column training set (``_data.make_table``, seed 42) at 5,000,000 and
  1,000,000 rows, written once with ``pyarrow.parquet.write_table(..., row_group_size=262_144)``
  (a FIXED row-group size of 262,144 rows, polars' default) and cached under
  ``benchmarks/data/``. The file is read once before timing so every tool finds it in the page
  cache.
* Each measurement is a whole command in its own process, interpreter start and imports
  included:

  - ``scan``:      ``python -c`` doing ``pyarrow.parquet.read_table(path)`` (the baseline);
  - ``dataguard``: ``dataguard profile PATH -f json -o TMP.json`` (every rule on, findings and
    the JSON report written), the console script next to ``sys.executable``;
  - ``polars``:    ``pl.read_parquet(path).describe(percentiles=[.01, .25, .5, .75, .99])``;
  - ``pandas``:    ``pd.read_parquet(path).describe(percentiles=[.01, .25, .5, .75, .99])``.

* Tools are interleaved (scan dataguard polars pandas, scan dataguard ...), ``--runs`` rounds
  (default 5); each tool is compared with the scan of the same run. Reported: the median, min
  and max wall time, the median peak memory, and the ratio to the scan both as the median of
  the per-round ratios and as the ratio of the medians.
* Wall time: ``time.perf_counter`` from just before the process is spawned until it exits
  (``os.waitid``, so there is no polling delay).
* Peak memory: the peak of the SUMMED resident set size of the process tree (the command and
  all its descendants, e.g. dataguard's worker subprocess), sampled from this parent every
  ``--sample-ms`` (default 5 ms) by a thread. On Linux the tree is walked through
  ``/proc/PID/task/*/children`` and RSS read from ``/proc/PID/statm`` (about 0.05 ms a
  sample); elsewhere ``psutil.Process.children(recursive=True)`` is used (about 2.5 ms a
  sample, which would take a third of a core away from the measured command). The kernel's
  ``ru_maxrss`` of the tree (the largest single process, not the sum) is recorded as a cross
  check: a sampled sum below it means the sampler missed a short peak.
* MB means 10**6 bytes.

Acceptance checks (printed as PASS/FAIL): dataguard wall <= 1.5x the scan on the 5M file
(median of per-round ratios); dataguard peak tree RSS <= 600 MB on the 5M file; dataguard peak
tree RSS at 5M within 20% of that at 1M. Raw results are written as JSON to
``benchmarks/results/profile-<timestamp>.json``.

usage: python benchmarks/bench_profile.py [--rows 5000000,1000000] [--runs 5]
                                          [--only dataguard,scan] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import ROW_GROUP_SIZE, SEED, dataset_path, is_valid

HERE = Path(__file__).resolve().parent
DEFAULT_ROWS = (5_000_000, 1_000_000)
PERCENTILES = "[0.01, 0.25, 0.5, 0.75, 0.99]"
MB = 1_000_000
WALL_RATIO_LIMIT = 1.5
PEAK_RSS_LIMIT_MB = 600.0
RSS_SCALING_TOLERANCE = 0.20
BASELINE = "scan"

SCAN_CODE = "import sys, pyarrow.parquet as pq; t = pq.read_table(sys.argv[1])"
POLARS_CODE = (
    "import sys, polars as pl; "
    f"d = pl.read_parquet(sys.argv[1]).describe(percentiles={PERCENTILES})"
)
PANDAS_CODE = (
    "import sys, pandas as pd; "
    f"d = pd.read_parquet(sys.argv[1]).describe(percentiles={PERCENTILES})"
)


# --------------------------------------------------------------------------- process-tree RSS

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _proc_children_available() -> bool:
    tid = threading.get_native_id()
    return Path(f"/proc/{os.getpid()}/task/{tid}/children").exists()


def _children_proc(pid: int) -> list[int]:
    """Direct children of ``pid`` from /proc (every thread's ``children`` file)."""
    kids: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as fh:
                kids.extend(int(x) for x in fh.read().split())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass  # the process (or one of its threads) just exited
    return kids


def _tree_pids_proc(root: int) -> list[int]:
    pids = [root]
    i = 0
    while i < len(pids):
        pids.extend(_children_proc(pids[i]))
        i += 1
    return pids


def _rss_proc(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def _tree_rss_proc(root: int) -> tuple[int, int]:
    pids = _tree_pids_proc(root)
    return sum(_rss_proc(p) for p in pids), len(pids)


def _tree_rss_psutil(root: int) -> tuple[int, int]:
    try:
        proc = psutil.Process(root)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total, len(procs)


TreeRss = Callable[[int], tuple[int, int]]
TREE_RSS: TreeRss = _tree_rss_proc if _proc_children_available() else _tree_rss_psutil


class TreeSampler(threading.Thread):
    """Samples the summed RSS of a process tree every ``interval`` seconds until stopped."""

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.peak = 0
        self.max_pids = 0
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while True:
            self._sample()
            if self._stop_event.wait(self.interval):
                return

    def _sample(self) -> None:
        rss, n = TREE_RSS(self.root)
        self.peak = max(self.peak, rss)
        self.max_pids = max(self.max_pids, n)
        self.samples += 1

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


# --------------------------------------------------------------------------- one measured run


@dataclass
class Run:
    """One measured command."""

    rows: int
    round: int
    tool: str
    wall_s: float
    peak_tree_rss_mb: float
    kernel_maxrss_mb: float  # largest single process of the tree (ru_maxrss), not a sum
    max_pids: int
    samples: int
    returncode: int
    ok: bool
    note: str = ""


@dataclass
class Measured:
    wall_s: float
    peak: int
    kernel_maxrss: int
    max_pids: int
    samples: int
    returncode: int
    stderr_tail: str


def measure(argv: Sequence[str], interval: float) -> Measured:
    """Run ``argv`` once; wall time until exit, peak summed RSS of its process tree."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        sampler = TreeSampler(proc.pid, interval)
        sampler.start()
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)  # exited, not yet reaped
        wall = time.perf_counter() - t0
        sampler.stop()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace")
    return Measured(
        wall_s=wall,
        peak=sampler.peak,
        kernel_maxrss=usage.ru_maxrss * 1024,  # KiB on Linux
        max_pids=sampler.max_pids,
        samples=sampler.samples,
        returncode=proc.returncode,
        stderr_tail=tail,
    )


# --------------------------------------------------------------------------- tools


def dataguard_argv() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).parent / ("dataguard.exe" if os.name == "nt" else "dataguard")
    if script.exists():
        return [str(script)]
    if find_spec("dataguard.cli.__main__") is not None:
        return [sys.executable, "-m", "dataguard.cli"]
    code = "import sys; from dataguard.cli import main; sys.argv[0] = 'dataguard'; main()"
    return [sys.executable, "-c", code]


def tool_argv(tool: str, path: Path, report: Path) -> list[str]:
    py = sys.executable
    commands = {
        "scan": [py, "-c", SCAN_CODE, str(path)],
        "dataguard": [*dataguard_argv(), "profile", str(path), "-f", "json", "-o", str(report)],
        "polars": [py, "-c", POLARS_CODE, str(path)],
        "pandas": [py, "-c", PANDAS_CODE, str(path)],
    }
    return commands[tool]


TOOLS = ("scan", "dataguard", "polars", "pandas")


def check_report(report: Path) -> str:
    """Empty when dataguard wrote a parseable JSON report; otherwise what is wrong."""
    if not report.exists():
        return "no report written"
    try:
        doc = json.loads(report.read_text())
    except (OSError, ValueError) as exc:
        return f"report is not valid JSON: {exc}"
    finally:
        report.unlink(missing_ok=True)
    if not isinstance(doc, dict) or "findings" not in doc:
        return "report has no 'findings'"
    return ""


def run_tool(
    tool: str,
    path: Path,
    rows: int,
    rnd: int,
    interval: float,
    argv_for: Callable[[str, Path, Path], list[str]] | None = None,
) -> Run:
    """Measure one tool's command (``argv_for(tool, data, report)``, default ``tool_argv``);
    a ``dataguard*`` tool's JSON report is checked too."""
    with tempfile.TemporaryDirectory(prefix="dg-bench-") as tmp:
        report = Path(tmp) / "report.json"
        m = measure((argv_for or tool_argv)(tool, path, report), interval)
        is_dataguard = tool.startswith("dataguard")
        note = check_report(report) if is_dataguard and m.returncode == 0 else ""
    if m.returncode != 0:
        note = f"exit {m.returncode}: {m.stderr_tail.strip()[-500:]}"
    return Run(
        rows=rows,
        round=rnd,
        tool=tool,
        wall_s=m.wall_s,
        peak_tree_rss_mb=m.peak / MB,
        kernel_maxrss_mb=m.kernel_maxrss / MB,
        max_pids=m.max_pids,
        samples=m.samples,
        returncode=m.returncode,
        ok=m.returncode == 0 and not note,
        note=note,
    )


# --------------------------------------------------------------------------- data


def ensure_dataset(data_dir: Path, rows: int) -> Path:
    """Return the cached file for ``rows``, generating it in a child process when absent."""
    path = dataset_path(data_dir, rows)
    if is_valid(path, rows):
        return path
    print(f"generating {rows:,} rows -> {path} ...", flush=True)
    subprocess.run([sys.executable, str(HERE / "_data.py"), str(rows), str(path)], check=True)
    return path


def warm_page_cache(path: Path) -> None:
    with path.open("rb") as fh:
        while fh.read(1 << 24):
            pass


# --------------------------------------------------------------------------- summary


@dataclass
class Summary:
    rows: int
    tool: str
    n_ok: int
    median_wall_s: float
    min_wall_s: float
    max_wall_s: float
    median_peak_mb: float
    ratio_median_of_rounds: float | None
    ratio_of_medians: float | None
    kernel_maxrss_above_sampled: int = 0  # runs where the sampler missed a peak
    failures: list[str] = field(default_factory=list)


def _per_round_ratios(runs: list[Run], tool: str, baseline: str = BASELINE) -> list[float]:
    base = {r.round: r.wall_s for r in runs if r.tool == baseline and r.ok}
    return [r.wall_s / base[r.round] for r in runs if r.tool == tool and r.ok and r.round in base]


def summarize(runs: list[Run], rows: int, tool: str, baseline: str = BASELINE) -> Summary:
    mine = [r for r in runs if r.tool == tool]
    ok = [r for r in mine if r.ok]
    walls = [r.wall_s for r in ok] or [float("nan")]
    base_walls = [r.wall_s for r in runs if r.tool == baseline and r.ok]
    ratios = _per_round_ratios(runs, tool, baseline)
    med = statistics.median(walls)
    return Summary(
        rows=rows,
        tool=tool,
        n_ok=len(ok),
        median_wall_s=med,
        min_wall_s=min(walls),
        max_wall_s=max(walls),
        median_peak_mb=statistics.median([r.peak_tree_rss_mb for r in ok] or [float("nan")]),
        ratio_median_of_rounds=statistics.median(ratios) if ratios else None,
        ratio_of_medians=med / statistics.median(base_walls) if base_walls and ok else None,
        kernel_maxrss_above_sampled=sum(r.kernel_maxrss_mb > r.peak_tree_rss_mb * 1.02 for r in ok),
        failures=[f"round {r.round}: {r.note}" for r in mine if not r.ok],
    )


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_table(rows: int, summaries: list[Summary]) -> None:
    print(
        f"\n{rows:,} rows x 20 columns (row_group_size={ROW_GROUP_SIZE:,}), "
        f"ratio = wall / pyarrow read_table wall"
    )
    print_summaries(summaries)


def print_summaries(
    summaries: list[Summary], first: str = "tool", versus: str = "read_table"
) -> None:
    """The markdown table of ``summaries`` (first column headed ``first``, ratios to
    ``versus``) and failures."""
    print(
        f"| {first} | runs ok | median wall s | min s | max s | median peak tree RSS MB "
        f"| x {versus} (median of rounds) | x {versus} (ratio of medians) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for s in summaries:
        print(
            f"| {s.tool} | {s.n_ok} | {s.median_wall_s:.2f} | {s.min_wall_s:.2f} "
            f"| {s.max_wall_s:.2f} | {s.median_peak_mb:.0f} "
            f"| {_fmt_ratio(s.ratio_median_of_rounds)} | {_fmt_ratio(s.ratio_of_medians)} |"
        )
    for s in summaries:
        for f in s.failures:
            print(f"  FAILED {s.tool} {f}")
        if s.kernel_maxrss_above_sampled:
            print(
                f"  note: {s.tool}: in {s.kernel_maxrss_above_sampled} run(s) one process's "
                "kernel ru_maxrss exceeded the sampled tree peak (a short peak was missed)"
            )


# --------------------------------------------------------------------------- acceptance checks


@dataclass
class Check:
    name: str
    status: str  # PASS, FAIL or SKIP
    detail: str


def _find(summaries: list[Summary], rows: int, tool: str) -> Summary | None:
    for s in summaries:
        if s.rows == rows and s.tool == tool and s.n_ok:
            return s
    return None


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def check_wall(summaries: list[Summary], big: int) -> Check:
    name = f"dataguard wall <= {WALL_RATIO_LIMIT}x read_table ({big:,} rows)"
    dg = _find(summaries, big, "dataguard")
    if dg is None or dg.ratio_median_of_rounds is None:
        return Check(name, "SKIP", "dataguard or scan not measured")
    ratio = dg.ratio_median_of_rounds
    detail = (
        f"median of per-round ratios {ratio:.2f}x "
        f"(ratio of medians {_fmt_ratio(dg.ratio_of_medians)})"
    )
    return Check(name, _verdict(ratio <= WALL_RATIO_LIMIT), detail)


def check_peak(summaries: list[Summary], big: int) -> Check:
    name = f"dataguard peak tree RSS <= {PEAK_RSS_LIMIT_MB:.0f} MB ({big:,} rows)"
    dg = _find(summaries, big, "dataguard")
    if dg is None:
        return Check(name, "SKIP", "dataguard not measured")
    peak = dg.median_peak_mb
    return Check(name, _verdict(peak <= PEAK_RSS_LIMIT_MB), f"median peak {peak:.0f} MB")


def check_scaling(summaries: list[Summary], big: int, small: int) -> Check:
    tol = RSS_SCALING_TOLERANCE
    name = f"dataguard peak RSS at {big:,} rows within {tol:.0%} of that at {small:,} rows"
    hi, lo = _find(summaries, big, "dataguard"), _find(summaries, small, "dataguard")
    if hi is None or lo is None or big == small:
        return Check(name, "SKIP", "needs dataguard at two sizes")
    rel = hi.median_peak_mb / lo.median_peak_mb - 1.0
    detail = f"{hi.median_peak_mb:.0f} MB vs {lo.median_peak_mb:.0f} MB ({rel:+.1%})"
    return Check(name, _verdict(abs(rel) <= tol), detail)


def acceptance_checks(summaries: list[Summary], sizes: Sequence[int]) -> list[Check]:
    big, small = max(sizes), min(sizes)
    return [
        check_wall(summaries, big),
        check_peak(summaries, big),
        check_scaling(summaries, big, small),
    ]


# --------------------------------------------------------------------------- driver


def bench_size(path: Path, rows: int, tools: Sequence[str], args: argparse.Namespace) -> list[Run]:
    warm_page_cache(path)
    runs: list[Run] = []
    for rnd in range(1, args.runs + 1):
        for tool in tools:
            run = run_tool(tool, path, rows, rnd, args.sample_ms / 1000.0)
            runs.append(run)
            flag = "" if run.ok else f"  FAILED: {run.note[:200]}"
            print(
                f"  [{rows:,} rows] round {rnd}/{args.runs} {tool:<9} "
                f"{run.wall_s:7.2f} s  peak {run.peak_tree_rss_mb:7.0f} MB  "
                f"pids {run.max_pids}{flag}",
                flush=True,
            )
    return runs


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _git_state() -> dict[str, Any]:
    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=HERE, capture_output=True, text=True, check=False)
        return out.stdout.strip()

    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def environment() -> dict[str, Any]:
    return {
        "python": sys.version,
        "executable": sys.executable,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "memory_total_mb": psutil.virtual_memory().total / MB,
        "versions": {
            d: _version(d) for d in ("dataguard", "pyarrow", "polars", "pandas", "psutil")
        },
        "git": _git_state(),
        "rss_sampler": TREE_RSS.__name__,
    }


def write_results(payload: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"profile-{datetime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def _int_list(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def _tool_list(text: str) -> list[str]:
    chosen = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(chosen) - set(TOOLS))
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown tools {unknown}; choose from {list(TOOLS)}")
    return [t for t in TOOLS if t in chosen]  # keep the canonical interleaving order


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--rows", type=_int_list, default=list(DEFAULT_ROWS), help="sizes, e.g. 5000000,1000000"
    )
    p.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument(
        "--only", type=_tool_list, default=list(TOOLS), help=f"subset of {','.join(TOOLS)}"
    )
    p.add_argument("--data-dir", type=Path, default=HERE / "data", help="dataset cache")
    p.add_argument("--results-dir", type=Path, default=HERE / "results", help="JSON output folder")
    p.add_argument("--sample-ms", type=float, default=5.0, help="RSS sampling period (default 5)")
    p.add_argument("--strict", action="store_true", help="exit 1 when an acceptance check fails")
    args = p.parse_args(argv)
    if args.runs < 1:
        p.error("--runs must be >= 1")
    return args


def print_header(args: argparse.Namespace) -> None:
    path = Path("FILE.parquet")
    print(
        f"method: whole processes, interleaved {' '.join(args.only)}, {args.runs} rounds; "
        f"peak = summed RSS of the process tree sampled every {args.sample_ms:g} ms "
        f"({TREE_RSS.__name__}); MB = 10**6 bytes"
    )
    print(f"data: seed {SEED}, pyarrow write_table(row_group_size={ROW_GROUP_SIZE:,}), snappy")
    for tool in args.only:
        print(f"  {tool:<9} {subprocess.list2cmdline(tool_argv(tool, path, Path('TMP.json')))}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = sorted(set(args.rows), reverse=True)
    paths = {rows: ensure_dataset(args.data_dir, rows) for rows in sizes}
    print_header(args)
    load_before = os.getloadavg()
    runs: list[Run] = []
    summaries: list[Summary] = []
    for rows in sizes:
        size_runs = bench_size(paths[rows], rows, args.only, args)
        runs.extend(size_runs)
        summaries.extend(summarize(size_runs, rows, t) for t in args.only)
    for rows in sizes:
        print_table(rows, [s for s in summaries if s.rows == rows])
    checks = acceptance_checks(summaries, sizes)
    print("\nacceptance checks:")
    for c in checks:
        print(f"  {c.status}  {c.name}: {c.detail}")
    load = {"before": load_before, "after": os.getloadavg()}
    print(f"load average 1/5/15 min: before {load_before}, after {load['after']}")
    payload = {
        "method": __doc__,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "environment": environment(),
        "load_average": load,
        "files": {str(rows): str(p) for rows, p in paths.items()},
        "runs": [asdict(r) for r in runs],
        "summaries": [asdict(s) for s in summaries],
        "checks": [asdict(c) for c in checks],
    }
    print(f"raw results: {write_results(payload, args.results_dir)}")
    crashed = any(not r.ok for r in runs)
    failed = any(c.status == "FAIL" for c in checks)
    return 1 if crashed or (args.strict and failed) else 0


if __name__ == "__main__":
    sys.exit(main())
