"""Synthetic 20-column training set for the benchmarks (a copy of the reference generator).

``make_table`` is copied from the project's reference generator (``bench/gen_data.py`` in the
shared design folder, which is not present in CI): same columns, same draws in the same order,
same seed (42), so a file of N rows here is identical in content to the reference one.

20 columns:
  f00..f15  float64, varied scales; f05 near-constant, f06 heavy outliers,
            f07 and f12 have ~5% / ~1% nulls, f08 has a discontinuity (gap).
  i00, i01  int64
  c00, c01  string categoricals with 50 levels (c00 zipf-skewed, c01 uniform,
            c01 has ~2% nulls)

Unlike the reference (pyarrow defaults), the file is written with a FIXED row-group size of
262,144 rows (``ROW_GROUP_SIZE``; polars' default), snappy compression, so results are
comparable across pyarrow versions.

usage: python benchmarks/_data.py ROWS OUT.parquet
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

SEED = 42
ROW_GROUP_SIZE = 262_144  # polars' default row-group size; fixed so runs are comparable


def make_table(n: int, seed: int = SEED) -> pa.Table:
    """Return the n-row synthetic training table (copied verbatim from the reference)."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {}
    cols["f00"] = rng.standard_normal(n)  # unit scale
    cols["f01"] = rng.normal(1_000.0, 200.0, n)  # ~1e3
    cols["f02"] = rng.uniform(0.0, 1e-3, n)  # tiny scale
    cols["f03"] = rng.lognormal(0.0, 1.0, n)  # skewed
    cols["f04"] = rng.exponential(1e6, n)  # ~1e6
    cols["f05"] = 5.0 + rng.normal(0.0, 1e-9, n)  # near-constant
    f06 = rng.standard_normal(n)
    idx = rng.choice(n, size=max(1, n // 1000), replace=False)  # 0.1% outliers
    f06[idx] = rng.standard_normal(idx.size) * 1e4
    cols["f06"] = f06  # heavy outliers
    f07 = rng.normal(50.0, 10.0, n)
    cols["f07"] = f07  # nulls added below
    f08 = np.where(rng.random(n) < 0.5, rng.normal(0.0, 1.0, n), rng.normal(100.0, 1.0, n))
    cols["f08"] = f08  # bimodal / gap
    cols["f09"] = rng.uniform(18.0, 90.0, n)  # age-like
    cols["f10"] = np.round(rng.lognormal(3.0, 1.5, n), 2)  # price-like
    cols["f11"] = rng.standard_t(3, n) * 0.01  # fat tails, small
    cols["f12"] = rng.normal(-1e4, 5e3, n)  # negative big
    cols["f13"] = rng.beta(2.0, 5.0, n)  # [0,1]
    cols["f14"] = rng.gamma(2.0, 2.0, n) * 1e-6  # ~1e-6
    cols["f15"] = rng.standard_normal(n) * 1e9  # ~1e9

    arrays = {k: pa.array(v) for k, v in cols.items()}
    # nulls
    m07 = rng.random(n) < 0.05
    arrays["f07"] = pa.array(cols["f07"], mask=m07)
    m12 = rng.random(n) < 0.01
    arrays["f12"] = pa.array(cols["f12"], mask=m12)

    arrays["i00"] = pa.array(rng.poisson(3.0, n).astype(np.int64))
    arrays["i01"] = pa.array(rng.integers(0, 1_000_000, n, dtype=np.int64))

    levels = np.array([f"cat_{i:02d}" for i in range(50)], dtype=object)
    z = np.minimum(rng.zipf(1.5, n) - 1, 49)
    arrays["c00"] = pa.array(levels[z], type=pa.string())
    c01 = levels[rng.integers(0, 50, n)]
    m_c01 = rng.random(n) < 0.02
    arrays["c01"] = pa.array(c01, type=pa.string(), mask=m_c01)

    return pa.table(arrays)


def dataset_path(data_dir: Path, rows: int) -> Path:
    """Cache file name; it states the row count, the seed and the row-group size."""
    return data_dir / f"train_{rows}_seed{SEED}_rg{ROW_GROUP_SIZE}.parquet"


def is_valid(path: Path, rows: int) -> bool:
    """True when ``path`` is a finished parquet file with the expected shape."""
    try:
        md = pq.ParquetFile(path).metadata
    except (OSError, pa.ArrowInvalid):
        return False
    first_group: int = md.row_group(0).num_rows
    return bool(
        md.num_rows == rows and md.num_columns == 20 and first_group == min(rows, ROW_GROUP_SIZE)
    )


def write_dataset(rows: int, out: Path) -> None:
    """Generate and write atomically (temporary file, then rename)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    t0 = time.perf_counter()
    table = make_table(rows)
    t1 = time.perf_counter()
    pq.write_table(table, tmp, row_group_size=ROW_GROUP_SIZE)
    os.replace(tmp, out)
    md = pq.ParquetFile(out).metadata
    print(
        f"wrote {out}: rows={md.num_rows} cols={md.num_columns} "
        f"row_groups={md.num_row_groups} (row_group_size={ROW_GROUP_SIZE}) "
        f"gen={t1 - t0:.1f}s write={time.perf_counter() - t1:.1f}s",
        flush=True,
    )


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    write_dataset(int(argv[0]), Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
