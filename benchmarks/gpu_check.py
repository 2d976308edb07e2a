"""One short run on a CUDA machine: the model checker and the fitted transforms on the GPU.

Prints everything a closing note needs, compactly (the machine is scarce and billed):

0. torch / CUDA / device information;
1. ``check_model(device="auto")`` on models built on the CPU (the checker should pick CUDA):
   a 3x256 MLP (regression, MSE; run twice: the first call pays CUDA's lazy start), the same
   MLP already on CUDA, a small CNN with BatchNorm on 64x1x28x28 random-normal images (CE, 10
   classes), a small ``TransformerEncoder`` (batch_first, d_model 64, CE, 3 classes), and the
   MLP with ``amp="float16"`` and ``amp="bfloat16"``. Each line: ``report.device``, elapsed,
   per-phase timings, ``torch.cuda.max_memory_allocated`` during the call, the findings
   (codes and severities; healthy models should show nothing above info, anything above is
   printed with its message and flagged ATTENTION) and whether the user's model stayed on its
   device with an unchanged ``state_dict`` and no gradients (a failure if not);
2. host<->device traffic of one observed forward/backward (``checks="static"`` on the MLP),
   counted with ``torch.profiler``: ``cudaStreamSynchronize`` / device-to-host copies against
   the number of layers ("statistics on the device, summaries to the host");
3. the fitted transforms on the GPU: ``dataguard.fit(examples/data/turbine.parquet,
   target="power_kw")``; ``pipe.to_torch().to("cuda")`` applied to 1M rows of encoded inputs
   (``encode_batch`` of the table repeated; median of 5, ``torch.cuda.synchronize`` around
   each) against the numpy path (``pipe.apply_encoded`` on the CPU, median of 5) and the torch
   module on the CPU (median of 3), with the outputs compared (float32 tolerance); then one
   epoch of ``ParquetDataset(turbine, transforms=pipe, apply="device")`` through the CUDA
   module against ``apply="worker"`` (same rows, same values);
4. with ``--with-tests``: ``pytest tests/adapters/test_torch_module.py tests/model_check -q -x
   -p no:cacheprovider -m "not slow"``.

Every part is wrapped: an exception is printed and the next part runs. Exit code 1 when any
part failed (an exception, a wrong device, a changed model, outputs that disagree), else 0.

Without CUDA it says so and runs the same parts as a tiny dry run on the CPU (small models and
10,000 rows), so CI and development can check the script itself; it exits 0 when that works.
``--force-cpu`` runs the full sizes on the CPU.

usage: python benchmarks/gpu_check.py [--with-tests] [--force-cpu] [--rows 1000000]
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout: import dataguard from the working tree
TURBINE = ROOT / "examples" / "data" / "turbine.parquet"

FAILED: list[str] = []
ATTENTION: list[str] = []


def part(name: str, fn: Callable[..., Any], *args: Any) -> Any:
    """Run one part; print and record an exception instead of stopping."""
    print(f"== {name}", flush=True)
    t0 = time.perf_counter()
    try:
        out = fn(*args)
    except Exception as exc:  # report and go on: every part is independent
        FAILED.append(name)
        tb = traceback.format_exc().strip().splitlines()
        print(f"   FAILED {type(exc).__name__}: {str(exc)[:400]}")
        print("   " + "\n   ".join(tb[-6:-1]))
        return None
    print(f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    return out


def fail(name: str, why: str) -> None:
    FAILED.append(name)
    print(f"   FAIL {name}: {why}")


# ------------------------------------------------------------------------------- 0. info


def info(dev: str) -> None:
    import torch

    print(
        f"   python {platform.python_version()}, torch {torch.__version__}, "
        f"CUDA build {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
        f"cpu threads {torch.get_num_threads()}, os.cpu_count {os.cpu_count()}"
    )
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        print(
            f"   device 0: {p.name}, cc {p.major}.{p.minor}, {p.multi_processor_count} SMs, "
            f"{p.total_memory / 2**30:.1f} GiB; devices {torch.cuda.device_count()}; "
            f"bf16 {torch.cuda.is_bf16_supported()}"
        )
    elif dev == "cpu" and not torch.cuda.is_available():
        print("   CUDA is NOT available: dry run on the CPU (checks the script, not the GPU)")
    try:
        import dataguard

        print(f"   dataguard {dataguard.__version__} from {Path(dataguard.__file__).parent}")
    except ImportError as exc:
        raise ImportError(
            f"{exc} -- dataguard's dependencies are missing here; carry wheels (see "
            "benchmarks/README.md, 'GPU check')"
        ) from exc
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    print(f"   run on {dev}; git {commit or 'n/a'}")


# --------------------------------------------------------------------- 1. check_model


def mlp(n_in: int, width: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Linear(n_in, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, width),
        nn.ReLU(),
        nn.Linear(width, 1),
    )


def cnn(ch: int) -> Any:
    from torch import nn

    return nn.Sequential(
        nn.Conv2d(1, ch, 3, padding=1),
        nn.BatchNorm2d(ch),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(ch, 2 * ch, 3, padding=1),
        nn.BatchNorm2d(2 * ch),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(2 * ch * 7 * 7, 10),
    )


def transformer(d_model: int, layers: int) -> Any:
    import torch
    from torch import nn

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.proj = nn.Linear(8, d_model)
            layer = nn.TransformerEncoderLayer(
                d_model, nhead=4, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True
            )
            self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
            self.head = nn.Linear(d_model, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.encoder(self.proj(x)).mean(1))

    return Encoder()


def cases(small: bool) -> list[tuple[str, Callable[[], Any], Any, dict[str, Any]]]:
    import torch

    g = torch.Generator().manual_seed(0)
    rows = 64 if small else 256
    x = torch.randn(rows, 10, generator=g)
    y = x @ torch.randn(10, 1, generator=g) + 0.1 * torch.randn(rows, 1, generator=g)
    y = (y - y.mean()) / y.std()
    imgs = 16 if small else 64
    xi = torch.randn(imgs, 1, 28, 28, generator=g)
    yi = torch.randint(0, 10, (imgs,), generator=g)
    xs = torch.randn(16 if small else 64, 16, 8, generator=g)
    ys = torch.randint(0, 3, (xs.shape[0],), generator=g)
    width = 32 if small else 256
    reg = {"loss_fn": "mse", "lr": 1e-3, "batch_size": 64, "n_train": 442}
    ce = {"loss_fn": "ce", "lr": 1e-3, "batch_size": 64, "n_train": 60_000}

    def seeded(build: Callable[[], Any]) -> Callable[[], Any]:
        def make() -> Any:
            torch.manual_seed(0)
            return build()

        return make

    return [
        ("mlp", seeded(lambda: mlp(10, width)), (x, y), reg),
        ("mlp-again", seeded(lambda: mlp(10, width)), (x, y), reg),
        ("mlp-on-device", seeded(lambda: mlp(10, width)), (x, y), {**reg, "_move": True}),
        ("cnn-bn", seeded(lambda: cnn(4 if small else 16)), (xi, yi), ce),
        (
            "transformer",
            seeded(lambda: transformer(32 if small else 64, 1 if small else 2)),
            (xs, ys),
            ce,
        ),
        ("mlp-amp-fp16", seeded(lambda: mlp(10, width)), (x, y), {**reg, "amp": "float16"}),
        ("mlp-amp-bf16", seeded(lambda: mlp(10, width)), (x, y), {**reg, "amp": "bfloat16"}),
    ]


def one_check(
    name: str, build: Callable[[], Any], batch: Any, kw: dict[str, Any], dev: str
) -> None:
    import torch

    from dataguard.model_check import check_model

    kw = dict(kw)
    model = build()
    if kw.pop("_move", False):
        model = model.to(dev)
    home = {p.device for p in model.parameters()}
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    cuda = dev.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base_mem = torch.cuda.memory_allocated()
    device = "auto" if cuda else "cpu"
    t0 = time.perf_counter()
    report = check_model(model, batch, device=device, **kw)
    wall = time.perf_counter() - t0
    peak = (
        f"peak +{(torch.cuda.max_memory_allocated() - base_mem) / 2**20:6.1f} MiB"
        if cuda
        else "peak n/a"
    )
    ph = " ".join(f"{k[:8]} {v:.2f}" for k, v in report.timings.items())
    found = " ".join(f"{f.code}:{f.severity.name.lower()}" for f in report.findings) or "-"
    print(f"   {name:<14} {report.device:<7} {wall:5.2f} s  {peak}  [{ph}]  findings {found}")
    lr = report.lr_test
    if lr is not None:
        print(
            f"   {'':<14} lr test: divergence {lr.divergence_lrs}, suggested "
            f"{lr.suggested_lr}; skipped {sorted(report.skipped)}"
        )
    for f in report.at_or_above("warning"):
        ATTENTION.append(f"{name} {f.code}")
        print(f"   ATTENTION {f.code} {f.severity.name.lower()}: {f.message[:300]}")
    if cuda and not report.device.startswith("cuda"):
        fail(name, f"device='auto' chose {report.device}, not CUDA")
    after = model.state_dict()
    changed = [k for k, v in before.items() if not torch.equal(v, after[k].detach())]
    moved = {p.device for p in model.parameters()} != home
    grads = [n for n, p in model.named_parameters() if p.grad is not None]
    if changed or moved or grads:
        fail(name, f"user model touched: changed {changed[:5]}, moved {moved}, grads {grads[:5]}")


def check_models(dev: str, small: bool) -> None:
    for name, build, batch, kw in cases(small):
        try:
            one_check(name, build, batch, kw, dev)
        except Exception as exc:  # one model's failure must not hide the others
            FAILED.append(f"check_model {name}")
            print(f"   {name:<14} FAILED {type(exc).__name__}: {str(exc)[:400]}")


# ---------------------------------------------------------- 2. host<->device traffic


def syncs(dev: str, small: bool) -> None:
    import torch
    from torch.profiler import ProfilerActivity, profile

    from dataguard.model_check import check_model

    cuda = dev.startswith("cuda")
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    device = "auto" if cuda else "cpu"
    name, build, batch, kw = cases(small)[0]
    model = build()
    check_model(model, batch, device=device, checks="static", **kw)  # warm
    with profile(activities=activities) as prof:
        report = check_model(model, batch, device=device, checks="static", **kw)
        if cuda:
            torch.cuda.synchronize()
    counts: dict[str, int] = {}
    for ev in prof.events():
        key = ev.name
        if key in ("cudaStreamSynchronize", "cudaDeviceSynchronize", "cudaEventSynchronize"):
            counts["sync"] = counts.get("sync", 0) + 1
        elif key == "aten::_local_scalar_dense":  # .item(), float(t), bool(t): one sync each
            counts["item()"] = counts.get("item()", 0) + 1
        elif key == "cudaMemcpyAsync":
            counts["cudaMemcpyAsync"] = counts.get("cudaMemcpyAsync", 0) + 1
        elif "Memcpy DtoH" in key or "Memcpy D2H" in key:
            counts["DtoH copies"] = counts.get("DtoH copies", 0) + 1
        elif "Memcpy HtoD" in key or "Memcpy H2D" in key:
            counts["HtoD copies"] = counts.get("HtoD copies", 0) + 1
    print(
        f"   checks='static' on {name} ({report.device}): {len(report.layers)} layer rows, elapsed "
        f"{report.elapsed_s:.3f} s; profiler counts {counts}"
    )


# --------------------------------------------------------------------- 3. transforms


def _median_time(fn: Callable[[], Any], n: int, sync: Callable[[], None]) -> tuple[float, Any]:
    out = fn()  # warm-up (kernels, caches)
    sync()
    times = []
    for _ in range(n):
        sync()
        t0 = time.perf_counter()
        out = fn()
        sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def transforms(dev: str, rows: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    import torch

    import dataguard
    from dataguard.adapters.torch import encode_batch

    cuda = dev.startswith("cuda")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    pipe = dataguard.fit(TURBINE, target="power_kw")
    print(f"   {pipe!r}; outputs {pipe.output_columns}")
    table = pq.read_table(TURBINE)
    big = pa.concat_tables([table] * math.ceil(rows / table.num_rows)).slice(0, rows)
    enc_np = pipe.encode(big)
    t_np, ref = _median_time(lambda: pipe.apply_encoded(enc_np), 5, lambda: None)
    enc_cpu = encode_batch(pipe, big)
    module_cpu = pipe.to_torch()
    t_cpu, out_cpu = _median_time(lambda: module_cpu(enc_cpu), 3, lambda: None)
    module = pipe.to_torch().to(dev)
    t_h2d, enc_dev = _median_time(lambda: {k: v.to(dev) for k, v in enc_cpu.items()}, 5, sync)
    t_dev, out_dev = _median_time(lambda: module(enc_dev), 5, sync)
    ref32 = ref.astype(np.float32)
    worst = {}
    for label, out in (("torch-cpu", out_cpu), (dev, out_dev)):
        got = out.detach().cpu().numpy()
        diff = np.abs(got.astype(np.float64) - ref32.astype(np.float64))
        diff = diff[np.isfinite(diff)]
        worst[label] = float(diff.max()) if diff.size else 0.0
        if got.shape != ref32.shape or not np.allclose(
            got, ref32, rtol=1e-5, atol=1e-6, equal_nan=True
        ):
            fail(
                f"transforms {label}",
                f"disagrees with the numpy path (max |diff| "
                f"{worst[label]:.3g}, shapes {got.shape} vs {ref32.shape})",
            )
    print(
        f"   {rows:,} rows x {len(pipe.input_columns)} inputs -> {ref.shape[1]} outputs: "
        f"numpy {t_np * 1e3:.1f} ms, torch-cpu {t_cpu * 1e3:.1f} ms, {dev} module "
        f"{t_dev * 1e3:.2f} ms (+ host->device copy {t_h2d * 1e3:.1f} ms); numpy/{dev} "
        f"{t_np / t_dev:.1f}x; max |diff| vs numpy (float32) {worst}"
    )
    dataset_epoch(pipe, module, dev, sync)


def dataset_epoch(pipe: Any, module: Any, dev: str, sync: Callable[[], None]) -> None:
    import numpy as np
    import torch
    from torch.utils.data import DataLoader

    from dataguard.adapters.torch import ParquetDataset

    results = {}
    for apply in ("device", "worker"):
        ds = ParquetDataset(TURBINE, transforms=pipe, apply=apply, batch_size=1024, shuffle=False)
        loader = DataLoader(ds, batch_size=None, num_workers=0, pin_memory=dev.startswith("cuda"))
        xs, ys = [], []
        sync()
        t0 = time.perf_counter()
        for inputs, y in loader:
            if apply == "device":
                x = module({k: v.to(dev, non_blocking=True) for k, v in inputs.items()})
            else:
                x = inputs.to(dev, non_blocking=True)
            xs.append(x)
            ys.append(y.to(dev, non_blocking=True))
        sync()
        seconds = time.perf_counter() - t0
        results[apply] = (torch.cat(xs).cpu().numpy(), torch.cat(ys).cpu().numpy(), seconds)
    xd, yd, sd = results["device"]
    xw, yw, sw = results["worker"]
    same = xd.shape == xw.shape and np.allclose(xd, xw, rtol=1e-5, atol=1e-6, equal_nan=True)
    same_y = yd.shape == yw.shape and np.allclose(yd, yw, rtol=1e-5, atol=1e-6, equal_nan=True)
    print(
        f"   ParquetDataset epoch ({xd.shape[0]:,} rows, batch 1024): apply='device' + "
        f"{dev} module {sd:.3f} s, apply='worker' {sw:.3f} s; features agree {same}, "
        f"targets agree {same_y}"
    )
    if not (same and same_y):
        fail("ParquetDataset apply='device'", "disagrees with apply='worker'")


# -------------------------------------------------------------------------- 4. tests


def tests(timeout: int) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/adapters/test_torch_module.py",
        "tests/model_check",
        "-q",
        "-x",
        "-p",
        "no:cacheprovider",
        "-m",
        "not slow",
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    print("   " + "\n   ".join(lines[-15:]))
    if proc.returncode != 0:
        fail("4 pytest", f"pytest exited {proc.returncode}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--with-tests", action="store_true", help="also run the torch/model tests")
    p.add_argument("--tests-timeout", type=int, default=150, help="seconds for pytest")
    p.add_argument("--force-cpu", action="store_true", help="full sizes on the CPU")
    p.add_argument("--rows", type=int, default=None, help="rows for the transforms timing")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    import torch

    cuda = torch.cuda.is_available() and not args.force_cpu
    dev = "cuda" if cuda else "cpu"
    small = not cuda and not args.force_cpu
    rows = args.rows or (10_000 if small else 1_000_000)
    part("0 info", info, dev)
    part(
        "1 check_model (device='auto'; model built on the CPU unless noted)",
        check_models,
        dev,
        small,
    )
    part("2 host<->device traffic (torch.profiler)", syncs, dev, small)
    part("3 transforms on the device", transforms, dev, rows)
    if args.with_tests:
        part("4 pytest", tests, args.tests_timeout)
    print(
        f"== summary ({time.perf_counter() - t0:.0f} s, {dev}{', dry run' if small else ''}): "
        f"failed {FAILED or 'none'}; above info on healthy models {ATTENTION or 'none'}"
    )
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
