"""ParquetDataset: every row once per epoch across ranks and workers, seeded order, batches.

The fitted pipeline is duck-typed; ``FakePipe`` below implements the protocol the dataset
uses (``encode``, ``encode_target``, ``apply_encoded``, ``transform_target_encoded``).
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

torch = pytest.importorskip("torch")

from torch.utils.data import DataLoader  # noqa: E402

from dataguard.adapters._torch_data import ParquetDataset  # noqa: E402
from dataguard.errors import ConfigError, InputError  # noqa: E402

# Two CPUs on CI: a DataLoader with more workers than CPUs warns, which is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:This DataLoader will create:UserWarning")

N = 3000
GROUPS = [700, 300, 1000, 50, 450, 500]  # row-group sizes, deliberately unequal


def _table(start: int, stop: int) -> pa.Table:
    ids = np.arange(start, stop)
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "a": pa.array(ids * 0.25 + 1.0, pa.float64()),
            "b": pa.array(ids % 7, pa.int32()),
            "c": pa.array([("red", "green", "blue")[i % 3] for i in ids]),
            "y": pa.array(ids * 0.5, pa.float64()),
            "label": pa.array(ids % 3, pa.int64()),
        }
    )


def _write(path: Path, start: int, sizes: list[int]) -> None:
    table = _table(start, start + sum(sizes))
    with pq.ParquetWriter(path, table.schema) as writer:
        offset = 0
        for size in sizes:
            writer.write_table(table.slice(offset, size), row_group_size=size)
            offset += size


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One file of N rows in six row groups of different sizes."""
    path = tmp_path_factory.mktemp("pq") / "train.parquet"
    _write(path, 0, GROUPS)
    assert pq.ParquetFile(path).num_row_groups == len(GROUPS)
    return path


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of two files (ids 0..1999, 2000..2999) and files that must be skipped."""
    root = tmp_path_factory.mktemp("dir")
    (root / "part=1").mkdir()
    _write(root / "part=1" / "b.parquet", 2000, [600, 400])
    _write(root / "a.parquet", 0, [1200, 500, 300])
    (root / "_SUCCESS").write_text("")
    (root / ".hidden.parquet").write_text("not parquet")
    (root / "notes.txt").write_text("not data")
    return root


class FakePipe:
    """A fitted-pipeline stand-in: id passes through, a is scaled, c becomes codes."""

    def __init__(self, scale: float = 1.0, target: str | None = "y") -> None:
        self.scale = scale
        self.input_columns = ["id", "a", "c"]
        self.target_column = target
        self.output_columns = ["id", "a_scaled", "c_code"]

    def encode(self, batch: pa.RecordBatch | pa.Table) -> dict[str, np.ndarray]:
        for name in self.input_columns:
            if name not in batch.schema.names:
                raise InputError(f"Column {name!r}: missing")
        levels = {"red": 0, "green": 1, "blue": 2}
        return {
            "id": batch.column("id").to_numpy().astype(np.float64),
            "a": batch.column("a").to_numpy(),
            "c": np.array([levels[v] for v in batch.column("c").to_pylist()], np.int64),
        }

    def encode_target(self, batch: pa.RecordBatch | pa.Table) -> np.ndarray:
        assert self.target_column is not None
        return np.asarray(batch.column(self.target_column).to_numpy())

    def apply_encoded(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        a = (inputs["a"] - 1.0) * self.scale
        return np.column_stack([inputs["id"], a, inputs["c"].astype(np.float64)])

    def transform_target_encoded(self, y: np.ndarray) -> np.ndarray:
        return y * 2.0 if y.dtype.kind == "f" else y


def _ids(batches: Iterable[Any]) -> list[int]:
    """The id column of every batch, in order (column 0 of raw or transformed features)."""
    out: list[int] = []
    for item in batches:
        x = item[0] if isinstance(item, (tuple, list)) else item  # DataLoader: tuples -> lists
        column = x["id"] if isinstance(x, dict) else x[:, 0]
        out.extend(int(v) for v in column.tolist())
    return out


def _loader(ds: ParquetDataset, num_workers: int = 0, **kwargs: Any) -> DataLoader[Any]:
    return DataLoader(ds, batch_size=None, num_workers=num_workers, **kwargs)


def _raw(source: Any, **kwargs: Any) -> ParquetDataset:
    kwargs.setdefault("columns", ["id", "a", "b"])
    kwargs.setdefault("batch_size", 128)
    return ParquetDataset(source, **kwargs)


# -- every row exactly once ------------------------------------------------------------------


@pytest.mark.parametrize("num_workers", [0, 2, 4])
def test_every_row_once_per_epoch(data: Path, num_workers: int) -> None:
    ds = _raw(data, target="y")
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        ids = _ids(_loader(ds, num_workers))
        assert sorted(ids) == list(range(N)), f"epoch {epoch}, {num_workers} workers"


def test_two_ranks_are_disjoint_and_complete(data: Path) -> None:
    seen = [_ids(_loader(_raw(data, rank=r, world_size=2))) for r in (0, 1)]
    assert seen[0] and seen[1]
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == list(range(N))


def test_ranks_times_workers_cover_every_row_once(data: Path) -> None:
    seen: list[int] = []
    for rank in (0, 1):
        ds = _raw(data, rank=rank, world_size=2)
        ds.set_epoch(3)
        seen += _ids(_loader(ds, 2))
    assert sorted(seen) == list(range(N))


def test_rows_and_batches_per_rank_match_iteration(data: Path) -> None:
    for drop_last in (False, True):
        for rank in (0, 1):
            ds = _raw(data, rank=rank, world_size=2, drop_last=drop_last, batch_size=100)
            ds.set_epoch(1)
            batches = list(_loader(ds, 2))
            if not drop_last:
                assert sum(len(x) for x in batches) == ds.rows_per_rank(2)[rank]
            assert len(batches) == ds.batches_per_rank(2)[rank], f"rank {rank}"
    assert sum(_raw(data, rank=0, world_size=2).rows_per_rank(2)) == N


def test_directory_and_list_sources(folder: Path) -> None:
    ds = _raw(folder, shuffle=False)
    assert ds.num_rows == N
    assert _ids(_loader(ds)) == list(range(N))  # sorted paths: a.parquet, then part=1/b
    files = [folder / "part=1" / "b.parquet", folder / "a.parquet", folder / "a.parquet"]
    listed = _raw(files, shuffle=False)  # sorted, duplicates dropped
    assert _ids(_loader(listed)) == list(range(N))


# -- order: seeds, epochs, buffer ------------------------------------------------------------


def test_order_depends_on_seed_and_epoch_only(data: Path) -> None:
    def order(seed: int, epoch: int) -> list[int]:
        ds = _raw(data, seed=seed)
        ds.set_epoch(epoch)
        return _ids(_loader(ds))

    assert order(0, 0) == order(0, 0)
    assert order(0, 0) != order(0, 1)
    assert order(0, 0) != order(1, 0)
    assert sorted(order(1, 1)) == list(range(N))


def test_shuffle_false_gives_file_order(data: Path) -> None:
    ds = _raw(data, shuffle=False, batch_size=64)
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        assert _ids(_loader(ds)) == list(range(N))


def test_shuffle_buffer_mixes_row_groups(data: Path) -> None:
    first = next(iter(_loader(_raw(data, shuffle_buffer=N))))
    ids = first[:, 0].long()
    bounds = torch.tensor(np.cumsum(GROUPS))
    assert len(torch.bucketize(ids, bounds, right=True).unique()) > 1  # several row groups
    small = _raw(data, shuffle_buffer=10, batch_size=32)
    assert sorted(_ids(_loader(small))) == list(range(N))


def test_persistent_workers_follow_set_epoch(data: Path) -> None:
    ds = _raw(data)
    loader = _loader(ds, 2, persistent_workers=True)
    orders = []
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        orders.append(_ids(loader))
    fresh = _raw(data)
    fresh.set_epoch(1)
    assert orders[1] == _ids(_loader(fresh, 2))
    assert orders[0] != orders[1]


def test_pickled_dataset_yields_the_same(data: Path) -> None:
    ds = _raw(data, target="y")
    ds.set_epoch(2)
    copy = pickle.loads(pickle.dumps(ds))
    assert copy.epoch == 2
    assert _ids(_loader(copy)) == _ids(_loader(ds))


# -- batches and dtypes ----------------------------------------------------------------------


@pytest.mark.parametrize("num_workers", [0, 2])
def test_drop_last_keeps_only_full_batches(data: Path, num_workers: int) -> None:
    kept = [len(x) for x in _loader(_raw(data, batch_size=128, drop_last=True), num_workers)]
    assert set(kept) == {128}
    sizes = [len(x) for x in _loader(_raw(data, batch_size=128), num_workers)]
    assert sum(sizes) == N
    assert sum(s < 128 for s in sizes) <= max(num_workers, 1)  # one short batch per shard
    if num_workers == 0:
        assert sum(kept) == N - N % 128


def test_raw_columns_and_dtypes(data: Path) -> None:
    x, y = next(iter(_loader(_raw(data, target="y", shuffle=False))))
    assert x.shape == (128, 3)
    assert (x.dtype, y.dtype) == (torch.float32, torch.float32)
    assert torch.equal(x[:, 1], (x[:, 0] * 0.25 + 1.0))
    assert torch.equal(y, x[:, 0] * 0.5)
    x, y = next(iter(_loader(_raw(data, target="label", dtype=torch.float64))))
    assert (x.dtype, y.dtype) == (torch.float64, torch.int64)
    assert torch.equal(y, x[:, 0].long() % 3)
    x = next(iter(_loader(_raw(data, dtype=torch.bfloat16))))
    assert isinstance(x, torch.Tensor)
    assert x.dtype == torch.bfloat16


def test_default_columns_are_all_but_the_target(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"p": [1.0, None], "q": [True, False], "t": [3, 4]}), path)
    x, y = next(iter(_loader(ParquetDataset(path, target="t", shuffle=False))))
    assert x.shape == (2, 2)
    assert x[0, 0] == 1.0
    assert torch.isnan(x[1, 0])
    assert x[:, 1].tolist() == [1.0, 0.0]
    assert y.tolist() == [3, 4]


# -- fitted transforms -----------------------------------------------------------------------


def test_worker_transforms_yield_transformed_features_and_target(data: Path) -> None:
    ds = ParquetDataset(data, transforms=FakePipe(), batch_size=256)
    ids: list[int] = []
    for x, y in _loader(ds):
        assert (x.dtype, y.dtype) == (torch.float32, torch.float32)
        assert x.shape[1] == 3
        ident = x[:, 0].double()
        assert torch.allclose(x[:, 1].double(), ident * 0.25)
        assert torch.equal(x[:, 2].double(), ident % 3)
        assert torch.equal(y.double(), ident)  # y = id * 0.5, scaled by 2
        ids += ident.long().tolist()
    assert sorted(ids) == list(range(N))


def test_worker_transforms_classification_target_is_int64(data: Path) -> None:
    ds = ParquetDataset(data, transforms=FakePipe(target="label"), dtype=torch.float64)
    x, y = next(iter(_loader(ds, 2)))
    assert (x.dtype, y.dtype) == (torch.float64, torch.int64)
    assert torch.equal(y, x[:, 0].long() % 3)


def test_pipeline_without_target_yields_features_only(data: Path) -> None:
    ds = ParquetDataset(data, transforms=FakePipe(target=None))
    assert all(isinstance(x, torch.Tensor) for x in _loader(ds))


def test_device_mode_yields_encoded_inputs(data: Path) -> None:
    ds = ParquetDataset(data, transforms=FakePipe(), apply="device", batch_size=500)
    seen = 0
    for inputs, y in _loader(ds, 2):
        assert set(inputs) == {"id", "a", "c"}
        assert (inputs["a"].dtype, inputs["c"].dtype) == (torch.float64, torch.int64)
        assert torch.equal(y.double(), inputs["id"])
        assert torch.equal(inputs["c"], inputs["id"].long() % 3)
        seen += len(y)
    assert seen == N


def test_float16_overflow_warns_once_per_iteration(data: Path) -> None:
    ds = ParquetDataset(data, transforms=FakePipe(scale=1e5))  # a_scaled reaches ~7.5e7
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        with pytest.warns(UserWarning, match="float16") as record:
            list(_loader(ds))
        messages = [str(w.message) for w in record if "float16" in str(w.message)]
        assert len(messages) == 1
        assert "'a_scaled'" in messages[0]
        assert "'id'" not in messages[0]  # ids stay below 65504


def test_transforms_read_only_their_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    table = _table(0, 10).append_column("blob", pa.array([b"x"] * 10))
    pq.write_table(table.drop_columns(["a"]), path)
    with pytest.raises(InputError, match="no column 'a'"):
        ParquetDataset(path, transforms=FakePipe())
    pq.write_table(table, path)  # an unused binary column is never read
    x, y = next(iter(_loader(ParquetDataset(path, transforms=FakePipe(), shuffle=False))))
    assert (x.shape, y.shape) == ((10, 3), (10,))


# -- errors ----------------------------------------------------------------------------------


def test_missing_or_unreadable_source_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.parquet"
    message = re.escape(f"{missing}: no such file or directory")
    with pytest.raises(InputError, match=message) as info:
        ParquetDataset(missing)
    assert "\n" not in str(info.value)
    fake = tmp_path / "fake.parquet"
    fake.write_text("id,a\n1,2\n")
    with pytest.raises(InputError, match=re.escape(f"{fake}: not a readable parquet file")) as info:
        ParquetDataset(fake)
    assert "\n" not in str(info.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no parquet files"):
        ParquetDataset(tmp_path / "empty")
    with pytest.raises(InputError, match="empty list"):
        ParquetDataset([])


def test_non_numeric_column_without_transforms(data: Path) -> None:
    with pytest.raises(InputError, match="column 'c' is string, not numeric"):
        ParquetDataset(data, columns=["id", "c"])
    with pytest.raises(InputError, match="column 'c'"):
        ParquetDataset(data, target="y")  # default columns include c
    with pytest.raises(InputError, match="no column 'zz'"):
        ParquetDataset(data, columns=["zz"])


def test_null_integer_label_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "t": pa.array([1, None], pa.int64())}), path)
    with pytest.raises(InputError, match="Target 't': 1 null"):
        list(_loader(ParquetDataset(path, target="t")))


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"batch_size": 0}, "batch_size: expected an int >= 1, got 0"),
        ({"shuffle_buffer": -1}, "shuffle_buffer"),
        ({"seed": -3}, "seed: expected an int >= 0"),
        ({"apply": "gpu"}, "apply: expected 'worker' or 'device', got 'gpu'"),
        ({"dtype": torch.int64}, "dtype: expected a floating torch dtype"),
        ({"rank": 1}, "pass both or neither"),
        ({"rank": 2, "world_size": 2}, "0 <= rank < world_size"),
        ({"columns": ["id", "y"], "target": "y"}, "include the target 'y'"),
        ({"columns": ["id", "id"]}, "listed twice"),
        ({"columns": ["id"], "transforms": FakePipe()}, "not allowed with transforms"),
        ({"target": "label", "transforms": FakePipe()}, "fitted with target 'y'"),
    ],
)
def test_bad_options_are_config_errors(data: Path, options: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        ParquetDataset(data, **options)


def test_set_epoch_rejects_negative(data: Path) -> None:
    with pytest.raises(ConfigError, match="expected an int >= 0, got -1"):
        _raw(data).set_epoch(-1)


@pytest.mark.slow  # spawned workers import torch and dataguard afresh: seconds each
def test_spawned_persistent_workers(data: Path) -> None:
    """Workers started by spawn unpickle the dataset and still follow set_epoch."""
    ds = _raw(data, batch_size=256)
    loader = _loader(ds, 2, multiprocessing_context="spawn", persistent_workers=True)
    orders = []
    for epoch in (0, 1):
        ds.set_epoch(epoch)
        orders.append(_ids(loader))
        assert sorted(orders[-1]) == list(range(N))
    assert orders[0] != orders[1]


def test_float16_saturates_instead_of_overflowing(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": [1e6, -1e6, 1.5, float("nan")]}), path)
    x = next(iter(_loader(ParquetDataset(path, dtype=torch.float16, shuffle=False))))
    assert x.dtype == torch.float16
    assert x[:3, 0].tolist() == [65504.0, -65504.0, 1.5]
    assert torch.isnan(x[3, 0])
    wide = ParquetDataset(path.parent, transforms=_Wide(), dtype=torch.float16)
    with pytest.warns(UserWarning, match="float16"):
        f = next(iter(_loader(wide)))
    assert torch.isfinite(f).all()


class _Wide(FakePipe):
    """Passes x through: its features reach 1e6."""

    def __init__(self) -> None:
        super().__init__(target=None)
        self.input_columns = ["x"]
        self.output_columns = ["x"]

    def encode(self, batch: pa.RecordBatch | pa.Table) -> dict[str, np.ndarray]:
        return {"x": batch.column("x").to_numpy(zero_copy_only=False)}

    def apply_encoded(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return np.nan_to_num(inputs["x"])[:, None]


# -- the real fitted pipeline ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pa.Table]:
    """A skewed, a normal and a categorical input, a regression and a class target."""
    rng = np.random.default_rng(0)
    n = 2000
    table = pa.table(
        {
            "speed": rng.lognormal(3.0, 1.0, n) * 1000.0,
            "temp": rng.normal(20.0, 5.0, n),
            "color": pa.array([("red", "green", "blue")[i % 3] for i in range(n)]),
            "y": rng.normal(500.0, 100.0, n),  # unique values: they identify rows
            "kind": pa.array([("a", "b")[i % 2] for i in range(n)]),
        }
    )
    path = tmp_path_factory.mktemp("fit") / "train.parquet"
    writer_sizes = [700, 300, 1000]
    with pq.ParquetWriter(path, table.schema) as writer:
        offset = 0
        for size in writer_sizes:
            writer.write_table(table.slice(offset, size), row_group_size=size)
            offset += size
    return path, table


def test_real_pipeline_matches_transform_array(fitted: tuple[Path, pa.Table]) -> None:
    import dataguard

    path, table = fitted
    pipe = dataguard.fit(table, target="y")
    expected = pipe.transform_array(table, np.float32)
    target = pipe.transform_target(table).astype(np.float32)
    ds = ParquetDataset(path, transforms=pipe, batch_size=300, seed=5)
    batches = list(_loader(ds, 2))
    x = torch.cat([b[0] for b in batches]).numpy()
    y = torch.cat([b[1] for b in batches]).numpy()
    assert x.shape == expected.shape == (2000, len(pipe.output_columns))
    order, got = np.argsort(target), np.argsort(y)  # the target identifies each row
    np.testing.assert_array_equal(y[got], target[order])
    np.testing.assert_array_equal(x[got], expected[order])


def test_real_pipeline_classification_and_device_mode(fitted: tuple[Path, pa.Table]) -> None:
    import dataguard

    path, table = fitted
    pipe = dataguard.fit(table.drop_columns(["y"]), target="kind")
    ds = ParquetDataset(path, transforms=pipe, shuffle=False, batch_size=2000)
    (x, y) = next(iter(_loader(ds)))
    assert (x.dtype, y.dtype) == (torch.float32, torch.int64)
    np.testing.assert_array_equal(y.numpy(), pipe.transform_target(table))
    device = ParquetDataset(path, transforms=pipe, shuffle=False, batch_size=2000, apply="device")
    inputs, y2 = next(iter(_loader(device)))
    assert set(inputs) == set(pipe.input_columns)
    encoded = pipe.encode(table)
    for name, values in encoded.items():
        assert inputs[name].dtype == torch.from_numpy(values).dtype
        np.testing.assert_array_equal(inputs[name].numpy(), values)
    assert torch.equal(y2, y)


def test_real_pipeline_module_on_device_inputs(fitted: tuple[Path, pa.Table]) -> None:
    """apply="device": pipe.to_torch() on the yielded inputs gives the worker's features."""
    pytest.importorskip("dataguard.adapters.torch")
    import dataguard

    path, table = fitted
    pipe = dataguard.fit(table, target="y")
    worker = ParquetDataset(path, transforms=pipe, batch_size=512, dtype=torch.float64)
    device = ParquetDataset(
        path, transforms=pipe, batch_size=512, apply="device", dtype=torch.float64
    )
    module = pipe.to_torch()
    for (x, y), (inputs, y2) in zip(_loader(worker), _loader(device), strict=True):
        torch.testing.assert_close(module(inputs).double(), x)
        assert torch.equal(y2, y)
