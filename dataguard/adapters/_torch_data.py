"""Stream parquet row groups into torch, with or without dataguard's fitted transforms.

:class:`ParquetDataset` is a :class:`torch.utils.data.IterableDataset` that reads parquet row
groups lazily, so a training set larger than memory feeds a ``DataLoader`` directly. It is
used with ``DataLoader(dataset, batch_size=None, num_workers=k)``: the dataset batches itself.

Design
------
Units
    The data is cut into *units*: one parquet row group each, listed in a stable order
    (sorted absolute file paths, then row-group index) from the files' footers when the
    dataset is built. The dataset holds only paths and plain lists, so it pickles into worker
    processes; each worker opens the files itself.
Sharding
    Each epoch the unit list is permuted by a generator seeded with ``(seed, epoch)`` (the
    identity when ``shuffle=False``), the same permutation in every rank and worker. Unit
    ``i`` of that order goes to shard ``i % (world_size * num_workers)``, and the shard of
    worker ``w`` on rank ``r`` is ``r * num_workers + w``: every row is read exactly once per
    epoch across all ranks and workers.
Shuffling
    Within a shard, rows pass through a buffer: record batches of consecutive units are
    accumulated up to ``shuffle_buffer`` rows, the rows are permuted by a generator seeded
    with ``(seed, epoch, shard)``, full batches are emitted and the remainder is carried into
    the next buffer. The same seed and epoch give the same order; a new epoch a new one.
Transforms
    Fitted transforms run on whole record batches (up to 65,536 rows) as they are read, never
    per output batch, so the per-batch cost is a slice and ``torch.from_numpy``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.parquet as pq

from dataguard.engines import prefetch
from dataguard.errors import ConfigError, InputError, MissingDependencyError
from dataguard.profile._accumulators import column_kind
from dataguard.profile._arrow import to_float64
from dataguard.transforms import cast_saturating

try:
    import torch
    from torch.utils.data import IterableDataset, get_worker_info
except ImportError as exc:  # pragma: no cover - torch is an optional extra
    raise MissingDependencyError(
        "ParquetDataset needs torch, which is not installed; "
        "install it with: pip install -c constraints.txt 'dataguard[torch]'"
    ) from exc

__all__ = ["ParquetDataset"]

#: What one step yields: features (a packed tensor, or encoded inputs by name), then the target.
Features: TypeAlias = torch.Tensor | dict[str, torch.Tensor]
Item: TypeAlias = Features | tuple[Features, torch.Tensor]

_Block: TypeAlias = dict[str, npt.NDArray[Any]]

#: File suffixes read from a directory.
_PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
#: Rows per record batch read from a row group: transforms run on blocks this large.
_READ_ROWS = 65_536
#: The largest finite float16 value.
_FLOAT16_MAX = 65504.0
_NUMPY_FLOATS: dict[torch.dtype, type[np.floating[Any]]] = {
    torch.float16: np.float16,
    torch.float32: np.float32,
    torch.float64: np.float64,
}
_APPLY = ("worker", "device")


class _Pipeline(Protocol):
    """What :class:`ParquetDataset` uses of a fitted ``dataguard.transforms.TransformPipeline``."""

    @property
    def input_columns(self) -> list[str]: ...

    @property
    def target_column(self) -> str | None: ...

    @property
    def output_columns(self) -> list[str]: ...

    def encode(self, batch: pa.RecordBatch | pa.Table) -> dict[str, npt.NDArray[Any]]: ...

    def encode_target(self, batch: pa.RecordBatch | pa.Table) -> npt.NDArray[Any]: ...

    def apply_encoded(self, inputs: dict[str, npt.NDArray[Any]]) -> npt.NDArray[np.float64]: ...

    def transform_target_encoded(self, y: npt.NDArray[Any]) -> npt.NDArray[Any]: ...


@dataclass(frozen=True)
class _Unit:
    """One row group: the index of its file in the sorted list, its index there, its rows."""

    file: int
    group: int
    rows: int


class ParquetDataset(IterableDataset[Item]):
    """Parquet files as a sharded, shuffled stream of torch batches.

    Parameters
    ----------
    source : str, os.PathLike or sequence of them
        A parquet file, a directory (its ``*.parquet``, ``*.pq`` and ``*.parq`` files, at any
        depth, skipping names that start with ``.`` or ``_``), or a list of files and
        directories. Hive partition keys in directory names are not read as columns.
    transforms : TransformPipeline, optional
        A fitted pipeline (``dataguard.fit``). Its input columns (and target) are read and
        encoded; without it the ``columns`` are read and packed as they are.
    columns : sequence of str, optional
        Without transforms: the numeric feature columns, in order (default: every column
        but the target). Not allowed with ``transforms``, which name their own inputs.
    target : str, optional
        Without transforms: the target column, yielded as int64 when it is an integer or
        boolean column, else as ``dtype``. With transforms it must be ``None`` or the
        pipeline's own target.
    batch_size : int
        Rows per yielded batch; each shard's last batch may be shorter (see ``drop_last``).
    shuffle : bool
        Permute the row groups every epoch and the rows within the shuffle buffer.
    seed : int
        Seeds both permutations, with the epoch (and the shard for rows).
    shuffle_buffer : int
        Rows permuted together. More rows mix more row groups; memory holds about twice
        this many rows of features per worker.
    drop_last : bool
        Drop each shard's last, short batch.
    apply : {"worker", "device"}
        With transforms: ``"worker"`` applies them in the DataLoader workers and yields
        ``(features, target)``; ``"device"`` yields the encoded inputs by column name
        (float64 values, int64 category codes) for the ``pipe.to_torch()`` module to
        transform on the GPU.
    dtype : torch.dtype
        Floating dtype of features and of a regression target.
    rank, world_size : int, optional
        This process's rank among ``world_size`` (pass both or neither). By default,
        ``torch.distributed``'s when it is initialized, else 0 and 1.
    prefetch : int
        Record batches read ahead and transformed ahead (0: everything in the iterating
        thread). With prefetch, iteration is a three-stage pipeline: one thread reads
        (pyarrow decodes), one encodes and transforms (numpy), and the iterating thread
        shuffles and cuts batches; pyarrow and numpy release the GIL, so the stages, and the
        training step, overlap.

    Attributes
    ----------
    num_rows : int
        Rows in all files (from the footers).

    Notes
    -----
    **Precision.** Features (and a regression target) are cast to ``dtype`` on the worker;
    values beyond a narrower dtype's range saturate at its largest finite value, as
    ``TransformPipeline.transform_array`` does, rather than becoming inf.

    **Epochs.** Call :meth:`set_epoch` before iterating each epoch, as with
    ``DistributedSampler``. The epoch lives in shared memory, so DataLoader workers see it
    also with ``persistent_workers=True`` (the workers read it when a new DataLoader iterator
    starts). Without ``set_epoch`` every epoch repeats epoch 0's order.

    **Distributed training.** Ranks receive whole row groups, and row groups differ in size,
    so ranks (and workers) can receive different row counts and batch counts. DDP hangs when
    one rank runs more steps than another; either stop every rank after the same number of
    steps (``steps = min(ds.batches_per_rank(num_workers=k))`` with ``itertools.islice``,
    which skips a few batches per epoch, different ones each epoch), wrap the loop in
    ``torch.distributed.algorithms.join.Join([ddp_model])``, or write files whose row groups
    are equal in size and whose count is a multiple of ``world_size * num_workers``. Build
    the dataset after ``init_process_group`` (or pass ``rank`` and ``world_size``).
    A shard with no row group yields nothing: have at least ``world_size * num_workers``
    row groups.

    **Transforms on the GPU** (``apply="device"``)::

        ds = ParquetDataset("train/", transforms=pipe, apply="device")
        module = pipe.to_torch().to("cuda")
        for inputs, y in DataLoader(ds, batch_size=None, num_workers=4, pin_memory=True):
            inputs = {k: v.to("cuda", non_blocking=True) for k, v in inputs.items()}
            x = module(inputs)                  # float [batch, n_outputs]
            y = y.to("cuda", non_blocking=True)  # the target, already transformed
            loss = loss_fn(model(x), y)

    With ``apply="worker"`` a :class:`UserWarning` (once per iteration) names transformed
    features beyond the float16 range (``|x| > 65504``), which overflow under float16 mixed
    precision.

    Examples
    --------
    >>> import tempfile
    >>> import pyarrow as pa
    >>> import pyarrow.parquet as pq
    >>> from torch.utils.data import DataLoader
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = f"{tmp.name}/train.parquet"
    >>> table = pa.table({"a": [0.5, 1.5, 2.5, 3.5, 4.5], "b": [1, 2, 3, 4, 5],
    ...                   "y": [0, 1, 0, 1, 0]})
    >>> pq.write_table(table, path, row_group_size=2)
    >>> ds = ParquetDataset(path, target="y", batch_size=2, seed=7)
    >>> ds.num_rows
    5
    >>> for epoch in range(2):
    ...     ds.set_epoch(epoch)
    ...     batches = list(DataLoader(ds, batch_size=None))
    >>> [tuple(x.shape) for x, y in batches]
    [(2, 2), (2, 2), (1, 2)]
    >>> x, y = batches[0]
    >>> x.dtype, y.dtype
    (torch.float32, torch.int64)
    >>> tmp.cleanup()
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
        *,
        transforms: _Pipeline | None = None,
        columns: Sequence[str] | None = None,
        target: str | None = None,
        batch_size: int = 1024,
        shuffle: bool = True,
        seed: int = 0,
        shuffle_buffer: int = 65_536,
        drop_last: bool = False,
        apply: Literal["worker", "device"] = "worker",
        dtype: torch.dtype = torch.float32,
        rank: int | None = None,
        world_size: int | None = None,
        prefetch: int = 2,
    ) -> None:
        super().__init__()
        self.source = source
        self.transforms = transforms
        self.columns = columns
        self.target = target
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.shuffle_buffer = shuffle_buffer
        self.drop_last = drop_last
        self.apply = apply
        self.dtype = dtype
        self.rank = rank
        self.world_size = world_size
        self.prefetch = prefetch
        _check_options(self)
        self._rank, self._world_size = _ranks(rank, world_size)
        chosen, self._target = _selected_columns(transforms, columns, target)
        self._files = _parquet_files(source)
        self._units, self._features = _scan(self._files, chosen, self._target, transforms is None)
        # Shared memory: DataLoader workers, persistent ones included, see set_epoch's value.
        self._epoch = torch.zeros((), dtype=torch.int64)
        self._epoch.share_memory_()  # type: ignore[no-untyped-call]  # torch leaves it untyped

    @property
    def num_rows(self) -> int:
        """Rows in all files, from the parquet footers."""
        return sum(u.rows for u in self._units)

    @property
    def epoch(self) -> int:
        """The epoch set by :meth:`set_epoch` (0 until then)."""
        return int(self._epoch.item())

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch that seeds the next iteration's order (as in DistributedSampler).

        Examples
        --------
        >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
        >>> tmp = tempfile.TemporaryDirectory()
        >>> pq.write_table(pa.table({"x": [1.0, 2.0]}), f"{tmp.name}/t.parquet")
        >>> ds = ParquetDataset(f"{tmp.name}/t.parquet")
        >>> ds.set_epoch(3)
        >>> ds.epoch
        3
        >>> tmp.cleanup()
        """
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ConfigError(f"ParquetDataset.set_epoch: expected an int >= 0, got {epoch!r}")
        self._epoch.fill_(epoch)
        self._rank, self._world_size = _ranks(self.rank, self.world_size)

    def rows_per_rank(self, num_workers: int = 0) -> list[int]:
        """Rows each rank reads this epoch with ``num_workers`` DataLoader workers.

        Examples
        --------
        >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
        >>> tmp = tempfile.TemporaryDirectory()
        >>> pq.write_table(pa.table({"x": [1.0] * 5}), f"{tmp.name}/t.parquet", row_group_size=2)
        >>> ds = ParquetDataset(f"{tmp.name}/t.parquet", shuffle=False, rank=0, world_size=2)
        >>> ds.rows_per_rank()
        [3, 2]
        >>> tmp.cleanup()
        """
        workers = _check_workers(num_workers)
        shards = self._shard_rows(self._world_size * workers)
        return [sum(shards[r * workers : (r + 1) * workers]) for r in range(self._world_size)]

    def batches_per_rank(self, num_workers: int = 0) -> list[int]:
        """Batches each rank yields this epoch with ``num_workers`` DataLoader workers.

        For DDP, ``min(...)`` is the number of steps every rank can take (see the Notes).

        Examples
        --------
        >>> import tempfile, pyarrow as pa, pyarrow.parquet as pq
        >>> tmp = tempfile.TemporaryDirectory()
        >>> pq.write_table(pa.table({"x": [1.0] * 5}), f"{tmp.name}/t.parquet", row_group_size=2)
        >>> ds = ParquetDataset(
        ...     f"{tmp.name}/t.parquet", batch_size=2, shuffle=False, rank=0, world_size=2
        ... )
        >>> ds.batches_per_rank()
        [2, 1]
        >>> tmp.cleanup()
        """
        workers = _check_workers(num_workers)
        size = self.batch_size
        counts = [
            rows // size + int(not self.drop_last and rows % size > 0)
            for rows in self._shard_rows(self._world_size * workers)
        ]
        return [sum(counts[r * workers : (r + 1) * workers]) for r in range(self._world_size)]

    def __repr__(self) -> str:
        return (
            f"ParquetDataset({len(self._files)} file(s), {len(self._units)} row group(s), "
            f"{self.num_rows} rows, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"rank={self._rank}/{self._world_size})"
        )

    def __iter__(self) -> Iterator[Item]:
        info = get_worker_info()
        if info is None:  # the main process: torch.distributed may have started since
            self._rank, self._world_size = _ranks(self.rank, self.world_size)
            worker, workers = 0, 1
        else:
            worker, workers = info.id, info.num_workers
        epoch = self.epoch
        shards = self._world_size * workers
        shard = self._rank * workers + worker
        units = [self._units[i] for i in self._order(epoch)[shard::shards]]
        rng = np.random.default_rng([self.seed, epoch, shard]) if self.shuffle else None
        buffer_rows = max(self.shuffle_buffer, self.batch_size) if self.shuffle else 1
        watch = _Watch()
        batches = self._batches(units)
        if self.prefetch:  # a pipeline: one thread reads, one encodes and transforms
            batches = prefetch(batches, self.prefetch)
        blocks: Iterator[_Block] = (self._encode(batch, watch) for batch in batches)
        if self.prefetch:
            blocks = prefetch(blocks, self.prefetch)
        for block in _rebatch(blocks, self.batch_size, buffer_rows, rng, self.drop_last):
            yield self._item(block)

    # -- internals --------------------------------------------------------------------------

    def _order(self, epoch: int) -> npt.NDArray[np.int64]:
        n = len(self._units)
        if not self.shuffle:
            return np.arange(n, dtype=np.int64)
        return np.random.default_rng([self.seed, epoch]).permutation(n).astype(np.int64)

    def _shard_rows(self, shards: int) -> list[int]:
        order = self._order(self.epoch)
        return [sum(self._units[i].rows for i in order[s::shards]) for s in range(shards)]

    def _batches(self, units: list[_Unit]) -> Iterator[pa.RecordBatch]:
        """The units' non-empty record batches, in order."""
        columns = [*self._features, *([self._target] if self._target else [])]
        reader = _Reader(self._files)
        try:
            for unit in units:
                for batch in reader.batches(unit, columns):
                    if batch.num_rows:
                        yield batch
        finally:
            reader.close()

    def _encode(self, batch: pa.RecordBatch, watch: _Watch) -> _Block:
        np_dtype = _NUMPY_FLOATS.get(self.dtype, np.float32)  # bfloat16: cast when emitted
        pipe = self.transforms
        block: _Block = {}
        if pipe is None:
            block["x"] = _pack(batch, self._features, np_dtype)
            if self._target is not None:
                block["y"] = _raw_target(batch, self._target, np_dtype)
            return block
        if self.apply == "device":
            encoded = pipe.encode(batch)
            block.update({f"x:{name}": encoded[name] for name in pipe.input_columns})
        else:  # transformed per record batch: large blocks keep the per-batch cost low
            features = pipe.apply_encoded(pipe.encode(batch))
            block["x"] = _narrow(features, np_dtype)
            # float16 saturates at 65504 when narrowed: judge its range on the float64 values
            watch.check(features if np_dtype is np.float16 else block["x"], pipe.output_columns)
        if self._target is not None:
            y = pipe.transform_target_encoded(pipe.encode_target(batch))
            block["y"] = y.astype(np.int64) if y.dtype.kind in "iub" else _narrow(y, np_dtype)
        return block

    def _item(self, block: _Block) -> Item:
        features: Features
        if "x" in block:
            features = _tensor(block["x"], self.dtype)
        else:
            features = {k[2:]: torch.from_numpy(v) for k, v in block.items() if k[:2] == "x:"}
        if "y" not in block:
            return features
        return features, _tensor(block["y"], self.dtype)


# -- options and files ----------------------------------------------------------------------


def _check_options(ds: ParquetDataset) -> None:
    """ConfigError for an option out of range; each message names the option and the value."""
    for name in ("batch_size", "shuffle_buffer"):
        value = getattr(ds, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"ParquetDataset {name}: expected an int >= 1, got {value!r}")
    for name in ("seed", "prefetch"):
        value = getattr(ds, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"ParquetDataset {name}: expected an int >= 0, got {value!r}")
    if ds.apply not in _APPLY:
        raise ConfigError(f"ParquetDataset apply: expected 'worker' or 'device', got {ds.apply!r}")
    if not isinstance(ds.dtype, torch.dtype) or not ds.dtype.is_floating_point:
        raise ConfigError(
            f"ParquetDataset dtype: expected a floating torch dtype (torch.float32, ...), "
            f"got {ds.dtype!r}"
        )


def _ranks(rank: int | None, world_size: int | None) -> tuple[int, int]:
    """The given rank and world size, else torch.distributed's, else (0, 1)."""
    if rank is None and world_size is None:
        dist = torch.distributed
        if dist.is_available() and dist.is_initialized():
            return dist.get_rank(), dist.get_world_size()
        return 0, 1
    if rank is None or world_size is None:
        raise ConfigError(
            f"ParquetDataset rank and world_size: pass both or neither, got rank={rank!r}, "
            f"world_size={world_size!r}"
        )
    if world_size < 1 or not 0 <= rank < world_size:
        raise ConfigError(
            f"ParquetDataset rank: expected 0 <= rank < world_size, got rank={rank}, "
            f"world_size={world_size}"
        )
    return rank, world_size


def _check_workers(num_workers: int) -> int:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ConfigError(f"ParquetDataset num_workers: expected an int >= 0, got {num_workers!r}")
    return max(num_workers, 1)


def _selected_columns(
    pipe: _Pipeline | None, columns: Sequence[str] | None, target: str | None
) -> tuple[list[str] | None, str | None]:
    """The feature columns to read (None: all but the target) and the target column."""
    if pipe is not None:
        if columns is not None:
            raise ConfigError(
                "ParquetDataset columns: not allowed with transforms, which read their own "
                f"input columns; got columns={list(columns)!r}"
            )
        if target is not None and target != pipe.target_column:
            raise ConfigError(
                f"ParquetDataset target: the transforms were fitted with target "
                f"{pipe.target_column!r}, got target={target!r}; leave target=None"
            )
        return list(pipe.input_columns), pipe.target_column
    if columns is None:
        return None, target
    chosen = [columns] if isinstance(columns, str) else list(columns)
    if not chosen:
        raise ConfigError("ParquetDataset columns: an empty list; expected feature columns")
    repeated = sorted({c for c in chosen if chosen.count(c) > 1})
    if repeated:
        raise ConfigError(f"ParquetDataset columns: column {repeated[0]!r} is listed twice")
    if target is not None and target in chosen:
        raise ConfigError(
            f"ParquetDataset columns: include the target {target!r}; a model would see "
            "its own label. Drop it from columns"
        )
    return chosen, target


def _parquet_files(source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str]:
    """The parquet files of ``source``, as sorted, de-duplicated absolute paths."""
    items = [source] if isinstance(source, (str, os.PathLike)) else list(source)
    if not items:
        raise InputError("ParquetDataset source: an empty list; expected parquet file paths")
    files: set[str] = set()
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = [
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in _PARQUET_SUFFIXES
                and not any(part.startswith((".", "_")) for part in p.relative_to(path).parts)
            ]
            if not found:
                raise InputError(
                    f"{path}: directory holds no parquet files ({', '.join(_PARQUET_SUFFIXES)})"
                )
            files.update(os.path.abspath(p) for p in found)
        elif path.is_file():
            files.add(os.path.abspath(path))
        else:
            raise InputError(f"{path}: no such file or directory")
    return sorted(files)


def _scan(
    files: list[str], features: list[str] | None, target: str | None, raw: bool
) -> tuple[list[_Unit], list[str]]:
    """The row groups of every file and the feature columns (None: all the first file has
    but the target); checks that every file has the needed columns (numeric ones if ``raw``).
    """
    units: list[_Unit] = []
    for index, path in enumerate(files):
        try:
            with pq.ParquetFile(path) as pf:
                schema = pf.schema_arrow
                rows = [pf.metadata.row_group(g).num_rows for g in range(pf.num_row_groups)]
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: not a readable parquet file ({_one_line(exc)})") from exc
        if features is None:
            features = [n for n in schema.names if n != target]
        needed = [*features, *([target] if target else [])]
        missing = [c for c in needed if c not in schema.names]
        if missing:
            have = ", ".join(schema.names[:20])
            raise InputError(f"{path}: no column {missing[0]!r}; columns are: {have}")
        if raw:
            _check_numeric(path, schema, needed)
        units.extend(_Unit(index, g, n) for g, n in enumerate(rows) if n > 0)
    return units, features or []


def _check_numeric(path: str, schema: pa.Schema, columns: list[str]) -> None:
    for name in columns:
        dtype = schema.field(name).type
        if column_kind(dtype) != "numeric" or pa.types.is_dictionary(dtype):
            raise InputError(
                f"{path}: column {name!r} is {dtype}, not numeric; without transforms "
                "ParquetDataset packs numeric columns only. Pass columns=[...] without it, "
                "or fit transforms that encode it (dataguard.fit)"
            )


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


class _Reader:
    """Reads units, keeping the current file open while consecutive units share it."""

    def __init__(self, files: list[str]) -> None:
        self._files = files
        self._index = -1
        self._file: pq.ParquetFile | None = None

    def batches(self, unit: _Unit, columns: list[str]) -> Iterator[pa.RecordBatch]:
        path = self._files[unit.file]
        try:
            if unit.file != self._index or self._file is None:
                self.close()
                self._file = pq.ParquetFile(path, pre_buffer=False)
                self._index = unit.file
            yield from self._file.iter_batches(
                batch_size=_READ_ROWS, row_groups=[unit.group], columns=columns, use_threads=False
            )
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{path}: cannot be read ({_one_line(exc)})") from exc

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file, self._index = None, -1


# -- blocks, batches, tensors ---------------------------------------------------------------


def _pack(
    batch: pa.RecordBatch, columns: list[str], dtype: type[np.floating[Any]]
) -> npt.NDArray[Any]:
    """The numeric columns as one [rows, columns] matrix; nulls become NaN."""
    out = np.empty((batch.num_rows, len(columns)), dtype=dtype)
    for j, name in enumerate(columns):
        out[:, j] = _narrow(to_float64(batch.column(name)), dtype)
    return out


def _raw_target(
    batch: pa.RecordBatch, name: str, dtype: type[np.floating[Any]]
) -> npt.NDArray[Any]:
    """An integer or boolean target as int64 labels, any other numeric one as ``dtype``."""
    column = batch.column(name)
    if pa.types.is_integer(column.type) or pa.types.is_boolean(column.type):
        if column.null_count:
            raise InputError(
                f"Target {name!r}: {column.null_count} null value(s) in an integer label "
                "column; an int64 label cannot hold them. Drop or fill those rows"
            )
        return np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
    return _narrow(to_float64(column), dtype)


def _narrow(values: npt.NDArray[Any], dtype: type[np.floating[Any]]) -> npt.NDArray[Any]:
    """Floats as ``dtype`` (keeping the layout: a transform's column-major output stays
    column-major; measured, a row-major copy here costs the transforming thread more than
    the iterating thread's shuffle saves), saturating at its largest finite value (as
    ``transform_array``) rather than becoming inf."""
    if dtype is np.float64:
        return values.astype(np.float64, copy=False)
    with np.errstate(over="ignore"):
        narrow = values.astype(dtype)  # the clamp only when something overflowed
    if np.isinf(narrow).any():
        narrow = cast_saturating(np.asarray(values, dtype=np.float64), np.dtype(dtype))
    return narrow


class _Watch:
    """Warns once per iteration when transformed features leave the float16 range."""

    def __init__(self) -> None:
        self.warned = False

    def check(self, features: npt.NDArray[Any], names: list[str]) -> None:
        """Warn (once per iteration) about columns beyond the float16 range."""
        if self.warned or features.size == 0:
            return
        # per column, NaN-ignoring and warning-free; two reductions, no |x| temporary
        peak = np.fmax(np.fmax.reduce(features, axis=0), -np.fmin.reduce(features, axis=0))
        over = np.flatnonzero(peak > _FLOAT16_MAX)
        if over.size == 0:
            return
        self.warned = True
        shown = ", ".join(
            f"{names[j] if j < len(names) else f'#{j}'!r} reaches {peak[j]:.3g}" for j in over[:5]
        )
        more = f" and {over.size - 5} more" if over.size > 5 else ""
        warnings.warn(
            f"ParquetDataset: transformed features exceed the float16 range (|x| <= 65504): "
            f"{shown}{more}; float16 mixed-precision training will overflow them to inf. "
            "Scale these columns in the transforms, or train in bfloat16 or float32",
            UserWarning,
            stacklevel=2,
        )


def _rows(block: _Block) -> int:
    return len(next(iter(block.values())))


def _merge(parts: list[_Block], rng: np.random.Generator | None) -> _Block:
    """One block from several (always a fresh, writable copy), rows permuted by ``rng``."""
    keys = parts[0].keys()
    if rng is None:
        return {k: np.concatenate([p[k] for p in parts]) for k in keys}
    order = rng.permutation(sum(_rows(p) for p in parts))
    merged = {
        k: parts[0][k] if len(parts) == 1 else np.concatenate([p[k] for p in parts]) for k in keys
    }
    return {k: np.take(v, order, axis=0) for k, v in merged.items()}  # rows: 4x fancy indexing


def _split(block: _Block, end: int, size: int) -> Iterator[_Block]:
    for start in range(0, end, size):
        yield {k: v[start : start + size] for k, v in block.items()}


def _rebatch(
    blocks: Iterator[_Block],
    batch_size: int,
    buffer_rows: int,
    rng: np.random.Generator | None,
    drop_last: bool,
) -> Iterator[_Block]:
    """Batches of ``batch_size`` rows from the blocks, permuted ``buffer_rows`` at a time.

    Each full buffer is permuted and cut into full batches; the remainder is carried into
    the next buffer. At the end the last, short batch is kept unless ``drop_last``.
    """
    pending: list[_Block] = []
    rows = 0
    for block in blocks:
        pending.append(block)
        rows += _rows(block)
        if rows < buffer_rows:
            continue
        merged = _merge(pending, rng)
        full = rows - rows % batch_size
        yield from _split(merged, full, batch_size)
        pending = [{k: v[full:].copy() for k, v in merged.items()}] if full < rows else []
        rows -= full
    if rows:
        merged = _merge(pending, rng)
        yield from _split(merged, rows - rows % batch_size if drop_last else rows, batch_size)


def _tensor(values: npt.NDArray[Any], dtype: torch.dtype) -> torch.Tensor:
    """The array as a row-major tensor (sharing its memory when it already is one); floats
    cast to ``dtype`` when they differ."""
    tensor = torch.from_numpy(np.ascontiguousarray(values))
    if tensor.is_floating_point() and tensor.dtype != dtype:
        tensor = tensor.to(dtype)
    return tensor
