"""Train the same small MLP twice on turbine data: raw tensors vs dataguard's DataLoader path.

The dataset (``examples/data/turbine.parquet``, from ``examples/make_examples.py``) shows the
seed's first failure: wind direction and nacelle yaw in degrees (the power follows the
cosine of their difference, which wraps at 360), rotor rpm and air pressure in the thousands,
an icing camera's 0..255 brightness, and the power to predict in kW (0..2,500). dataguard
finds DG101, DG110 and DG117 and plans: standardize, sin/cos, and a standardized target.

Both runs use the same network, optimizer, learning rate, batch size, number of steps and
seed; only the data path differs:

* **raw**: the columns as float32 tensors, the power as it is;
* **dataguard**: ``dataguard.fit`` on the training split, then ``ParquetDataset`` streams the
  transformed features and the standardized power through a ``DataLoader``.

Both validation losses are printed on the original scale (dataguard's predictions through
``module.inverse``), as MSE in kW^2 and RMSE in kW.

Usage::

    python examples/train_with_dataguard.py [--steps 2000] [--seed 0]

Needs torch (``pip install -c constraints.txt 'dataguard[torch]'``). Runs on the CPU in
well under a minute.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import torch
from torch import nn
from torch.utils.data import DataLoader

import dataguard
from dataguard.adapters.torch import ParquetDataset, encode_batch

DATA = Path(__file__).resolve().parent / "data" / "turbine.parquet"
TARGET = "power_kw"
BATCH = 64
LR = 1e-3


def mlp(n_inputs: int, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(n_inputs, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 1)
    )


def split(folder: Path, seed: int) -> tuple[Path, Path]:
    """80/20 split of the rows, written as parquet with small row groups (for sharding)."""
    table = pq.read_table(DATA)
    order = np.random.default_rng(seed).permutation(table.num_rows)
    cut = int(0.8 * table.num_rows)
    paths = folder / "train.parquet", folder / "valid.parquet"
    pq.write_table(table.take(pa.array(order[:cut])), paths[0], row_group_size=256)
    pq.write_table(table.take(pa.array(order[cut:])), paths[1], row_group_size=256)
    return paths


def raw_tensors(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    df = pq.read_table(path).to_pandas()
    x = df.drop(columns=[TARGET]).fillna(0.0).to_numpy(dtype=np.float32)
    y = df[TARGET].to_numpy(dtype=np.float32)[:, None]
    return torch.from_numpy(x), torch.from_numpy(y)


def train_raw(train: Path, valid: Path, steps: int, seed: int) -> float:
    x, y = raw_tensors(train)
    model = mlp(x.shape[1], seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(0, len(x), (BATCH,), generator=gen)
        loss = nn.functional.mse_loss(model(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    xv, yv = raw_tensors(valid)
    with torch.no_grad():
        return float(nn.functional.mse_loss(model(xv).double(), yv.double()))


def train_dataguard(train: Path, valid: Path, steps: int, seed: int) -> float:
    pipe = dataguard.fit(train, target=TARGET)
    ds = ParquetDataset(train, transforms=pipe, batch_size=BATCH, seed=seed, drop_last=True)
    loader = DataLoader(ds, batch_size=None, num_workers=0)
    model = mlp(len(pipe.output_columns), seed)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    done, epoch = 0, 0
    while done < steps:
        ds.set_epoch(epoch)
        for x, y in loader:
            loss = nn.functional.mse_loss(model(x), y[:, None].float())
            opt.zero_grad()
            loss.backward()
            opt.step()
            done += 1
            if done == steps:
                break
        epoch += 1
    module = pipe.to_torch()
    table = pq.read_table(valid)
    inputs = encode_batch(pipe, table)
    y_true = torch.as_tensor(pipe.encode_target(table))
    with torch.no_grad():
        power = module.inverse(model(module(inputs)).double()[:, 0])  # back to kW
        return float(nn.functional.mse_loss(power, y_true))


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        train, valid = split(Path(tmp), args.seed)
        start = time.perf_counter()
        raw = train_raw(train, valid, args.steps, args.seed)
        mid = time.perf_counter()
        guarded = train_dataguard(train, valid, args.steps, args.seed)
        end = time.perf_counter()
    print(f"turbine power, {args.steps} Adam steps (lr {LR}, batch {BATCH}), same MLP and seed")
    print(
        f"raw tensors : validation MSE {raw:10.4g} kW^2 (RMSE {raw**0.5:6.1f} kW)  "
        f"{mid - start:.1f} s"
    )
    print(
        f"dataguard   : validation MSE {guarded:10.4g} kW^2 (RMSE {guarded**0.5:6.1f} kW)  "
        f"{end - mid:.1f} s"
    )
    print(f"dataguard's validation loss is {raw / guarded:.1f}x lower")
    return {"raw": raw, "dataguard": guarded}


if __name__ == "__main__":
    main()
