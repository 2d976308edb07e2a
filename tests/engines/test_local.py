"""The local engine: one or two processes give the same exact profile; memory caps hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataguard.engines import profile_source
from dataguard.io import open_source
from dataguard.profile._dataset import DUP_HASH_CAP, DatasetAccumulator

EXACT = (
    "n_rows",
    "n_null",
    "n_nan",
    "n_posinf",
    "n_neginf",
    "n_valid",
    "min",
    "max",
    "n_distinct",
    "integral",
    "increasing",
    "strictly_increasing",
)


@pytest.fixture(scope="module")
def parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    n = 60_000
    rng = np.random.default_rng(11)
    x = rng.normal(5.0, 2.0, n)
    x[rng.random(n) < 0.01] = np.inf
    table = pa.table(
        {
            "row": np.arange(n),
            "x": pa.array(x, mask=rng.random(n) < 0.05),
            "k": rng.integers(0, 5, n),
            "c": rng.choice(["red", "green", "blue"], n),
        }
    )
    table = pa.concat_tables([table, table.slice(0, 500)])  # 500 duplicate rows at the end
    path = tmp_path_factory.mktemp("eng") / "t.parquet"
    pq.write_table(table, path, row_group_size=8192)
    return path


def test_two_processes_equal_one(parquet: Path) -> None:
    one = profile_source(open_source(parquet), workers=1)
    two = profile_source(open_source(parquet), workers=2)
    for name in one.columns:
        a, b = one.columns[name], two.columns[name]
        assert [getattr(a, f) for f in EXACT] == [getattr(b, f) for f in EXACT], name
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean, rel=1e-12)
            assert a.std == pytest.approx(b.std, rel=1e-12)
    assert one.n_rows == two.n_rows == 60_500
    assert one.duplicate_rows == two.duplicate_rows == 500
    assert one.duplicates_exact
    assert two.duplicates_exact
    # the row counter is strictly increasing only up to the duplicated tail
    assert not two.columns["row"].strictly_increasing


def test_row_sample_size_and_rate(parquet: Path) -> None:
    prof = profile_source(open_source(parquet), sample_rows=6_000, workers=2)
    expected = prof.sample_rate * prof.n_rows
    assert prof.sample_rate == pytest.approx(6_000 / 60_500)
    assert abs(prof.sample.num_rows - expected) < 5 * np.sqrt(expected)


def test_duplicate_hashes_stay_bounded_and_estimate() -> None:
    acc = DatasetAccumulator(rate=1.0)
    rng = np.random.default_rng(0)
    n_unique = 3 * DUP_HASH_CAP
    hashes = rng.integers(0, 2**64 - 1, n_unique, dtype=np.uint64, endpoint=True)
    dup = hashes[: n_unique // 10]  # 10% of rows repeated once
    for chunk in np.array_split(np.concatenate([hashes, dup]), 40):
        acc._add_hashes(chunk)
    assert acc.n_hashes <= DUP_HASH_CAP
    dups, exact = acc.duplicate_rows()
    assert not exact
    assert dups == pytest.approx(dup.size, rel=0.1)


def test_worker_error_is_an_input_error(tmp_path: Path, parquet: Path) -> None:
    from dataguard.errors import InputError

    broken = tmp_path / "gone.parquet"
    broken.write_bytes(parquet.read_bytes())
    src = open_source(broken)
    broken.write_bytes(b"PAR1 not any more")  # the workers open it again, and fail
    with pytest.raises(InputError, match=r"gone\.parquet"):
        profile_source(src, workers=2)


def test_sample_stays_bounded_for_ipc_streams_and_csv_folders(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv

    n = 40_000
    table = pa.table({"x": np.random.default_rng(2).normal(size=n)})
    with (
        pa.OSFile(str(tmp_path / "s.arrow"), "wb") as sink,
        pa.ipc.new_stream(sink, table.schema) as writer,
    ):
        writer.write_table(table, max_chunksize=5000)
    (tmp_path / "csvs").mkdir()
    pacsv.write_csv(table.slice(0, n // 2), tmp_path / "csvs" / "a.csv")
    pacsv.write_csv(table.slice(n // 2), tmp_path / "csvs" / "b.csv")
    for path in (tmp_path / "s.arrow", tmp_path / "csvs"):
        source = open_source(path)
        assert source.num_rows == n
        prof = profile_source(source, sample_rows=4_000)
        assert prof.sample.num_rows < 4_000 * 1.2, path
