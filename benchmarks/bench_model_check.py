"""Benchmark ``dataguard.check_model`` on a small MLP against a hand-written LR range test.

Issue 6's performance target: the default checks on a 3x256 MLP with a 256-row batch finish in
under 10 s on CPU, the LR range test included.

Method (the project's "How performance is measured" rules: one process per measurement,
interleaved rounds, medians):

* Data: scikit-learn's bundled diabetes set (``load_diabetes``: 442 rows, 10 features),
  features and target standardized (z-scores over all 442 rows), the first 256 rows as the
  batch (float32, target ``[256, 1]``). Loaded once by the parent and handed to each child as
  an ``.npz`` file, so no child pays for importing scikit-learn.
* Model: ``Sequential(Linear(10, 256), ReLU, Linear(256, 256), ReLU, Linear(256, 256), ReLU,
  Linear(256, 1))`` (132,609 parameters), built after ``torch.manual_seed(0)``.
* Modes, each a whole ``python`` process running this script with ``--child MODE``:

  - ``check``:  ``check_model(model, (x, y), loss_fn="mse", optimizer="adam", lr=1e-3,
    batch_size=64, n_train=442, checks="default", device="cpu")``;
  - ``static``: the same with ``checks="static"`` (no training of copies);
  - ``hand``:   what a user would write for an LR range test: one forward/backward of the
    batch, then 3 repeats x 60 steps of an exponential LR sweep from 1e-7 to 10 with Adam on
    fresh copies of the model (each step on a random 192-row subset, as the checker does; all
    60 steps run unless the loss turns non-finite), with torch's default thread count (or
    ``--threads``);
  - ``hand1``:  the same sweep on one intra-op thread, which is what ``check_model`` itself
    uses for models under 2M parameters (it restores the count afterwards). Left out when
    ``--threads 1``.

  In every mode the child times the work itself (from just before the call to after it) and
  the parent times the whole process (interpreter start and imports included) and samples the
  peak summed RSS of its process tree (``bench_profile.measure``). ``check`` and ``static``
  also return ``report.elapsed_s``, ``report.timings`` (observe, backward, lr_range_test,
  clipping, overfit, train_step: whichever ran), the findings and the LR range test's result.
* One untimed warm-up process first (page cache for torch's libraries), then ``--runs``
  rounds of ``check static hand hand1``.

Reported: median/min/max of the in-process seconds and of the whole process, median peak RSS,
per-phase medians, findings seen on the (healthy) MLP, and ratios to the hand-written sweep as
the median of per-round ratios. Acceptance check (PASS/FAIL): ``check_model`` with the default
checks < 10 s (median of the in-process seconds). Raw results go to
``benchmarks/results/model-check-<timestamp>.json``.

Note: the first ``torch.optim`` optimizer built in a process imports ``torch._dynamo`` (about
2 s on a slow machine); both ``check`` and ``hand`` pay it inside the timed call (for
``check`` it lands in ``lr_range_test``), ``hand`` reports it as ``first_optimizer_s``.

usage: python benchmarks/bench_model_check.py [--runs 5] [--threads N] [--strict]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

T_SCRIPT = time.perf_counter()  # the child's "imports" clock starts here

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LIMIT_S = 10.0
MODES = ("check", "static", "hand", "hand1")
LABELS = {
    "check": 'check_model(checks="default")',
    "static": 'check_model(checks="static")',
    "hand": "hand-written LR sweep (torch threads)",
    "hand1": "hand-written LR sweep (1 thread)",
}
BATCH_ROWS = 256
SWEEP = (1e-7, 10.0, 60, 3)  # lr_min, lr_max, steps, repeats: the checker's DG213 sweep


# ---------------------------------------------------------------------------- the child


def _child_model(n_in: int) -> Any:
    import torch
    from torch import nn

    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(n_in, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 1),
    )


def _hand_sweep(model: Any, x: Any, y: Any) -> dict[str, Any]:
    """One forward/backward, then the exponential LR sweep a user would write."""
    import copy
    import math

    import torch
    from torch.nn import functional as F

    lo, hi, steps, repeats = SWEEP
    lrs = [lo * (hi / lo) ** (i / (steps - 1)) for i in range(steps)]
    t0 = time.perf_counter()
    work = copy.deepcopy(model)
    loss = F.mse_loss(work(x), y)
    loss.backward()
    loss0 = float(loss.detach())
    first_opt_s = None
    ran = 0
    curves = []
    for r in range(repeats):
        torch.manual_seed(1000 + r)
        gen = torch.Generator().manual_seed(2000 + r)
        net = copy.deepcopy(model).train()
        mark = time.perf_counter()
        opt = torch.optim.Adam(net.parameters(), lr=lrs[0])
        if first_opt_s is None:
            first_opt_s = time.perf_counter() - mark
        curve = []
        for lr in lrs:
            for group in opt.param_groups:
                group["lr"] = lr
            idx = torch.randperm(x.shape[0], generator=gen)[: (3 * x.shape[0]) // 4]
            opt.zero_grad(set_to_none=True)
            loss = F.mse_loss(net(x[idx]), y[idx])
            value = float(loss.detach())
            if not math.isfinite(value):
                break
            loss.backward()
            opt.step()
            curve.append(value)
            ran += 1
        curves.append(curve)
    return {
        "seconds": time.perf_counter() - t0,
        "loss_at_init": loss0,
        "steps_run": ran,
        "first_optimizer_s": first_opt_s,
        "final_losses": [c[-1] if c else None for c in curves],
    }


def engine_fingerprint() -> str:
    """A short hash of ``dataguard/model_check/*.py`` as this process read them: runs made
    while the checker's sources were being edited show more than one fingerprint."""
    import hashlib

    h = hashlib.sha1()
    for path in sorted((ROOT / "dataguard" / "model_check").glob("*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def child(mode: str, data: Path, out: Path, threads: int | None) -> int:
    import numpy as np
    import torch

    if mode in ("check", "static"):
        from dataguard.model_check import check_model
    imports_s = time.perf_counter() - T_SCRIPT
    engine = engine_fingerprint()
    if threads is not None:
        torch.set_num_threads(threads)
    if mode == "hand1":
        torch.set_num_threads(1)
    arrays = np.load(data)
    x = torch.from_numpy(arrays["x"])
    y = torch.from_numpy(arrays["y"])
    model = _child_model(x.shape[1])
    threads_before = torch.get_num_threads()
    result: dict[str, Any] = {
        "mode": mode,
        "imports_s": imports_s,
        "threads": threads_before,
        "engine": engine,
    }
    if mode in ("check", "static"):
        dynamo_before = "torch._dynamo" in sys.modules
        t0 = time.perf_counter()
        report = check_model(
            model,
            (x, y),
            loss_fn="mse",
            optimizer="adam",
            lr=1e-3,
            batch_size=64,
            n_train=442,
            checks="default" if mode == "check" else "static",
            device="cpu",
        )
        seconds = time.perf_counter() - t0
        test = report.lr_test
        result.update(
            seconds=seconds,
            elapsed_s=report.elapsed_s,
            timings=dict(report.timings),
            device=report.device,
            findings=[
                {"code": f.code, "severity": f.severity.name.lower(), "message": f.message}
                for f in report.findings
            ],
            skipped=report.skipped,
            threads_after=torch.get_num_threads(),
            dynamo_imported_before=dynamo_before,
            lr_test=None
            if test is None
            else {
                "divergence_lrs": test.divergence_lrs,
                "divergence_lr": test.divergence_lr,
                "suggested_lr": test.suggested_lr,
                "steps_run": sum(len(c) for c in test.losses),
                "elapsed_s": test.elapsed_s,
            },
        )
    else:
        result.update(_hand_sweep(model, x, y))
        result["threads_after"] = torch.get_num_threads()
    out.write_text(json.dumps(result))
    return 0


# ---------------------------------------------------------------------------- the parent


@dataclass
class Run:
    mode: str
    round: int
    ok: bool
    process_s: float
    seconds: float | None = None
    peak_tree_rss_mb: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    note: str = ""


def write_data(folder: Path) -> tuple[Path, dict[str, Any]]:
    """Diabetes, standardized, first 256 rows, as float32 arrays in an .npz file."""
    import numpy as np
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    X = (d.data - d.data.mean(0)) / d.data.std(0)
    y = (d.target - d.target.mean()) / d.target.std()
    path = folder / "diabetes-256.npz"
    np.savez(
        path,
        x=X[:BATCH_ROWS].astype(np.float32),
        y=y[:BATCH_ROWS, None].astype(np.float32),
    )
    info = {"rows": BATCH_ROWS, "features": X.shape[1], "source": "sklearn load_diabetes"}
    return path, info


def child_argv(mode: str, data: Path, out: Path, threads: int | None) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child", mode]
    argv += ["--data", str(data), "--out", str(out)]
    if threads is not None:
        argv += ["--threads", str(threads)]
    return argv


def run_one(mode: str, rnd: int, data: Path, threads: int | None, interval: float) -> Run:
    from bench_profile import MB, measure

    with tempfile.TemporaryDirectory(prefix="dg-bench-mc-") as tmp:
        out = Path(tmp) / "result.json"
        m = measure(child_argv(mode, data, out, threads), interval)
        if m.returncode != 0 or not out.exists():
            note = f"exit {m.returncode}: {m.stderr_tail.strip()[-800:]}"
            return Run(mode, rnd, False, m.wall_s, note=note)
        result = json.loads(out.read_text())
    return Run(mode, rnd, True, m.wall_s, result["seconds"], m.peak / MB, result)


def _med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def _fmt(v: float | None, spec: str = ".2f") -> str:
    return "-" if v is None else format(v, spec)


def summarize(runs: list[Run], modes: list[str]) -> list[dict[str, Any]]:
    rows = []
    by_round = {(r.mode, r.round): r for r in runs if r.ok}
    for mode in modes:
        mine = [r for r in runs if r.mode == mode and r.ok]
        secs = [r.seconds for r in mine if r.seconds is not None]
        procs = [r.process_s for r in mine]
        row: dict[str, Any] = {
            "mode": mode,
            "label": LABELS[mode],
            "n_ok": len(mine),
            "n_failed": sum(1 for r in runs if r.mode == mode and not r.ok),
            "seconds": {
                "median": _med(secs),
                "min": min(secs, default=None),
                "max": max(secs, default=None),
            },
            "process_s": {
                "median": _med(procs),
                "min": min(procs, default=None),
                "max": max(procs, default=None),
            },
            "peak_tree_rss_mb": _med([r.peak_tree_rss_mb for r in mine if r.peak_tree_rss_mb]),
        }
        for base in ("hand", "hand1"):
            ratios = [
                r.seconds / by_round[(base, r.round)].seconds
                for r in mine
                if (base, r.round) in by_round and r.seconds and by_round[(base, r.round)].seconds
            ]
            row[f"ratio_vs_{base}"] = _med(ratios)
        rows.append(row)
    return rows


def phase_medians(runs: list[Run], mode: str) -> dict[str, float]:
    mine = [r for r in runs if r.mode == mode and r.ok]
    phases: dict[str, list[float]] = {}
    for r in mine:
        for k, v in r.result.get("timings", {}).items():
            phases.setdefault(k, []).append(v)
    return {k: statistics.median(v) for k, v in phases.items()}


def findings_seen(runs: list[Run]) -> dict[str, dict[str, Any]]:
    """code/severity -> runs it appeared in and one message."""
    seen: dict[str, dict[str, Any]] = {}
    for r in runs:
        for f in r.result.get("findings", []):
            key = f"{r.mode} {f['code']} {f['severity']}"
            entry = seen.setdefault(key, {"runs": 0, "message": f["message"]})
            entry["runs"] += 1
    return seen


def print_report(
    runs: list[Run], summary: list[dict[str, Any]], threads: int | None
) -> tuple[str, str]:
    print(
        "\n| mode | ok | call s median | min | max | process s median | min | max "
        "| peak RSS MB | x hand | x hand1 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for row in summary:
        s, p = row["seconds"], row["process_s"]
        print(
            f"| {row['label']} | {row['n_ok']}/{row['n_ok'] + row['n_failed']} "
            f"| {_fmt(s['median'])} | {_fmt(s['min'])} | {_fmt(s['max'])} "
            f"| {_fmt(p['median'])} | {_fmt(p['min'])} | {_fmt(p['max'])} "
            f"| {_fmt(row['peak_tree_rss_mb'], '.0f')} "
            f"| {_fmt(row['ratio_vs_hand'])} | {_fmt(row['ratio_vs_hand1'])} |"
        )
    print(
        "call s: timed inside the process, from just before the call to after it; process s: "
        "the whole process (interpreter start and imports included); x hand / x hand1: median "
        "of per-round ratios of call seconds"
    )
    for mode in ("check", "static"):
        ph = phase_medians(runs, mode)
        if ph:
            print(
                f"per-phase medians, {LABELS[mode]}: "
                + ", ".join(f"{k} {v:.3f} s" for k, v in ph.items())
            )
    hands = [r for r in runs if r.ok and r.mode in ("hand", "hand1")]
    for mode in ("hand", "hand1"):
        mine = [r for r in hands if r.mode == mode]
        if mine:
            first = _med([r.result["first_optimizer_s"] for r in mine])
            print(
                f"{LABELS[mode]}: threads {mine[0].result['threads']}, steps run "
                f"{mine[0].result['steps_run']} (+1 forward/backward), first Adam() "
                f"{_fmt(first, '.3f')} s (median; torch._dynamo's lazy import)"
            )
    checks = [r for r in runs if r.ok and r.mode == "check"]
    if checks:
        threads_seen = sorted({(r.result["threads"], r.result["threads_after"]) for r in checks})
        outcomes: dict[str, list[int]] = {}
        for r in checks:
            lr = r.result.get("lr_test") or {}
            key = (
                f"steps {lr.get('steps_run')}, divergence LRs "
                f"{[_fmt(v, '.3g') for v in lr.get('divergence_lrs') or []]}, suggested "
                f"{_fmt(lr.get('suggested_lr'), '.3g')}"
            )
            outcomes.setdefault(key, []).append(r.round)
        print(
            f"check_model: device {checks[0].result['device']}; torch threads before/after "
            f"{threads_seen}; LR range test (rounds):"
        )
        for key, rounds in outcomes.items():
            print(f"  {key} {rounds}")
    engines = sorted({r.result.get("engine", "?") for r in runs if r.ok})
    if len(engines) > 1:
        by = {
            e: [f"{r.mode}/r{r.round}" for r in runs if r.ok and r.result.get("engine") == e]
            for e in engines
        }
        print(f"WARNING: dataguard/model_check changed during the run: {by}")
    else:
        print(f"dataguard/model_check sources: {engines[0] if engines else '?'} (sha1, every run)")
    seen = findings_seen([r for r in runs if r.ok])
    print("findings on the healthy MLP (mode code severity: runs):")
    for key, entry in sorted(seen.items()):
        print(f"  {key}: {entry['runs']}  {entry['message'][:160]}")
    above = {k: v for k, v in seen.items() if not k.endswith(" info")}
    note = "none above info" if not above else "ABOVE INFO: " + ", ".join(sorted(above))
    print(f"  -> {note}")
    med = next((r["seconds"]["median"] for r in summary if r["mode"] == "check"), None)
    ok = med is not None and med < LIMIT_S
    status = "PASS" if ok else "FAIL"
    detail = f"median {_fmt(med)} s" if med is not None else "no successful runs"
    if threads is not None:
        detail += f" (--threads {threads})"
    return status, detail


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--runs", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch.set_num_threads(N) in every child (default: torch's own default); "
        "check_model itself runs models under 2M parameters on one thread",
    )
    p.add_argument("--results-dir", type=Path, default=HERE / "results")
    p.add_argument("--sample-ms", type=float, default=5.0, help="RSS sampling period")
    p.add_argument("--no-warmup", action="store_true", help="skip the untimed warm-up process")
    p.add_argument("--strict", action="store_true", help="exit 1 when the check fails")
    p.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        return child(args.child, args.data, args.out, args.threads)
    sys.path.insert(0, str(HERE))
    from bench_profile import environment

    modes = [m for m in MODES if not (m == "hand1" and args.threads == 1)]
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="dg-bench-mc-") as tmp:
        data, data_info = write_data(Path(tmp))
        print(
            f"data: {data_info['source']}, {BATCH_ROWS} rows x {data_info['features']} features, "
            f"standardized; MLP 3x256; load {os.getloadavg()}"
        )
        print("command: " + " ".join(child_argv("MODE", data, Path("OUT.json"), args.threads)))
        if not args.no_warmup:
            w = run_one("check", -1, data, args.threads, args.sample_ms / 1000)
            print(
                f"  warm-up: check {_fmt(w.seconds)} s (process {w.process_s:.2f} s)"
                + ("" if w.ok else f"  FAILED {w.note}")
            )
        for rnd in range(args.runs):
            for mode in modes:
                r = run_one(mode, rnd, data, args.threads, args.sample_ms / 1000)
                runs.append(r)
                print(
                    f"  round {rnd}: {mode:<6} call {_fmt(r.seconds):>6} s  "
                    f"process {r.process_s:6.2f} s" + ("" if r.ok else f"  FAILED {r.note}")
                )
    summary = summarize(runs, modes)
    status, detail = print_report(runs, summary, args.threads)
    print("\nacceptance check:")
    print(f"  {status}  check_model (default checks, 3x256 MLP, 256 rows, CPU) < 10 s: {detail}")
    import torch

    env = environment()
    env["versions"]["torch"] = torch.__version__
    env["torch_default_threads"] = torch.get_num_threads()
    payload: dict[str, Any] = {
        "method": __doc__,
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "environment": env,
        "load_average_after": os.getloadavg(),
        "data": data_info,
        "runs": [asdict(r) for r in runs],
        "summary": summary,
        "phase_medians": {m: phase_medians(runs, m) for m in ("check", "static")},
        "findings": findings_seen([r for r in runs if r.ok]),
        "checks": [{"name": "check_model < 10 s (median)", "status": status, "detail": detail}],
    }
    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"model-check-{datetime.now():%Y%m%dT%H%M%S}.json"
    out.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"raw results: {out}")
    crashed = any(not r.ok for r in runs)
    return 1 if crashed or (args.strict and status == "FAIL") else 0


if __name__ == "__main__":
    sys.exit(main())
