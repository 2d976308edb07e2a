"""Open any supported input as a :class:`Source` of Arrow record batches."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from dataguard.errors import InputError
from dataguard.io._frames import frame_to_table, is_frame

__all__ = ["DATA_SUFFIXES", "Source", "open_source"]

#: File suffixes dataguard reads, by format.
DATA_SUFFIXES: dict[str, str] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".parq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".arrow": "ipc",
    ".feather": "ipc",
    ".ipc": "ipc",
}

#: Rows per record batch: small enough to stay in cache, large enough to amortise Python.
BATCH_ROWS = 65_536
_READ_BUFFER = 1 << 18


@dataclass
class Source:
    """A readable table: name, schema, row count if known, and a batch stream.

    ``unit_rows`` lists the rows of each independently readable unit (a parquet file's row
    groups); engines may hand units to different processes. ``path`` and ``columns`` let a
    worker process open the same source again.

    Examples
    --------
    >>> import pyarrow as pa
    >>> src = open_source(pa.table({"x": [1.0, 2.0, 3.0]}))
    >>> src.num_rows, [b.num_rows for b in src.batches()]
    (3, [3])
    """

    name: str
    schema: pa.Schema
    num_rows: int | None
    _open: _Opener
    unit_rows: tuple[int, ...] = ()
    path: str | None = None

    def batches(self, units: Sequence[int] | None = None) -> Iterator[pa.RecordBatch]:
        """Stream the record batches (of ``units`` only, if given).

        Read errors become :class:`InputError` naming the source.
        """
        try:
            yield from self._open(units)
        except pa.ArrowException as exc:
            raise InputError(f"{self.name}: cannot be read ({_one_line(exc)})") from exc
        except OSError as exc:
            raise InputError(f"{self.name}: cannot be read ({_one_line(exc)})") from exc

    def select(self, columns: Sequence[str]) -> Source:
        """The same source, reading only ``columns`` (an unknown name is an InputError)."""
        return _select(self, list(columns))

    @property
    def columns(self) -> list[str] | None:
        """The selected columns (None: all)."""
        return self._open.columns


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


def open_source(
    obj: Any, columns: Sequence[str] | None = None, batch_rows: int = BATCH_ROWS
) -> Source:
    """Open a path or an in-memory frame as a :class:`Source`.

    Parameters
    ----------
    obj : str, os.PathLike, pandas/polars DataFrame, pyarrow Table/RecordBatch
        What to read. A directory is read as a (possibly hive-partitioned) dataset.
    columns : sequence of str, optional
        Read only these columns; an unknown name is an :class:`InputError`.
    batch_rows : int
        Rows per record batch.
    """
    if isinstance(obj, (str, os.PathLike)):
        source = _open_path(Path(obj), batch_rows)
    elif is_frame(obj):
        name = f"<{type(obj).__module__.split('.')[0]} frame>"
        source = _open_table(frame_to_table(obj), name, batch_rows)
    else:
        raise InputError(
            f"<{type(obj).__name__}>: expected a path, a pandas or polars DataFrame, "
            "or an Arrow table"
        )
    if columns is not None:
        source = _select(source, list(columns))
    return source


def _select(source: Source, columns: list[str]) -> Source:
    missing = [c for c in columns if c not in source.schema.names]
    if missing:
        have = ", ".join(source.schema.names[:20])
        raise InputError(f"{source.name}: no column {missing[0]!r}; columns are: {have}")
    schema = pa.schema([source.schema.field(c) for c in columns])
    return Source(
        source.name,
        schema,
        source.num_rows,
        source._open.with_columns(columns),
        source.unit_rows,
        source.path,
    )


class _Opener:
    """A re-startable batch stream with column push-down."""

    def __init__(
        self,
        fn: Callable[[list[str] | None, Sequence[int] | None], Iterator[pa.RecordBatch]],
        columns: list[str] | None = None,
    ) -> None:
        self.fn = fn
        self.columns = columns

    def __call__(self, units: Sequence[int] | None = None) -> Iterator[pa.RecordBatch]:
        return self.fn(self.columns, units)

    def with_columns(self, columns: list[str]) -> _Opener:
        return _Opener(self.fn, columns)


def _open_table(table: pa.Table, name: str, batch_rows: int) -> Source:
    views = {pa.string_view(): pa.large_string(), pa.binary_view(): pa.large_binary()}
    if any(f.type in views for f in table.schema):  # few kernels take the view types yet
        table = table.cast(
            pa.schema([f.with_type(views.get(f.type, f.type)) for f in table.schema])
        )

    def batches(columns: list[str] | None, units: Sequence[int] | None) -> Iterator[pa.RecordBatch]:
        t = table.select(columns) if columns is not None else table
        yield from t.to_batches(max_chunksize=batch_rows)

    return Source(name, table.schema, table.num_rows, _Opener(batches), (table.num_rows,))


def _open_path(path: Path, batch_rows: int) -> Source:
    name = str(path)
    if not path.exists():
        raise InputError(f"{name}: no such file or directory")
    if path.is_dir():
        return _open_directory(path, batch_rows)
    kind = _kind_of(path)
    if path.stat().st_size == 0:
        raise InputError(f"{name}: file is empty (0 bytes); expected a {kind} file")
    opener = {"parquet": _open_parquet, "csv": _open_csv, "ipc": _open_ipc}[kind]
    return opener(path, batch_rows)


def _kind_of(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".zst") and len(suffixes) > 1:
        suffixes = suffixes[:-1]  # compressed CSV: pyarrow decompresses by suffix
    suffix = suffixes[-1] if suffixes else ""
    if suffix not in DATA_SUFFIXES:
        known = ", ".join(sorted(DATA_SUFFIXES))
        shown = suffix or "(no suffix)"
        raise InputError(f"{path}: unsupported file type {shown!r}; expected one of {known}")
    return DATA_SUFFIXES[suffix]


def _open_parquet(path: Path, batch_rows: int) -> Source:
    name = str(path)
    try:
        meta = pq.ParquetFile(path)
        schema = meta.schema_arrow
        num_rows = meta.metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: not a readable parquet file ({_one_line(exc)})") from exc
    strings = [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]

    def batches(columns: list[str] | None, units: Sequence[int] | None) -> Iterator[pa.RecordBatch]:
        # Strings stay dictionary-encoded, as stored: counting levels then costs no hashing.
        # Buffered, un-prebuffered reads hold a fraction of a row group: memory stays flat.
        # One decoding thread: the engine already runs one reader per core.
        pf = pq.ParquetFile(
            path, read_dictionary=strings, pre_buffer=False, buffer_size=_READ_BUFFER
        )
        yield from pf.iter_batches(
            batch_size=batch_rows, columns=columns, use_threads=False, row_groups=units
        )

    if strings:
        schema = pa.schema(
            [
                pa.field(f.name, pa.dictionary(pa.int32(), f.type)) if f.name in strings else f
                for f in schema
            ]
        )
    groups = tuple(meta.metadata.row_group(i).num_rows for i in range(meta.num_row_groups))
    return Source(name, schema, num_rows, _Opener(batches), groups, str(path))


_CSV_BAD_COLUMN = re.compile(r"In CSV column #(\d+)")


def _open_csv(path: Path, batch_rows: int) -> Source:
    """Read a CSV whole (pyarrow's parallel reader), then stream it as batches.

    pyarrow infers each column's type from the first block; a later value of another type
    fails the conversion, and the column is read again as text (the profile then reports the
    mixed types). CSV is read into memory: convert large CSVs to parquet first.
    """
    import pyarrow.csv as pacsv  # imported on use: it costs start-up time

    name = str(path)
    delimiter = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else ","
    forced: dict[str, pa.DataType] = {}
    while True:
        try:
            table = pacsv.read_csv(
                path,
                parse_options=pacsv.ParseOptions(delimiter=delimiter),
                convert_options=pacsv.ConvertOptions(column_types=forced),
            )
            break
        except pa.ArrowInvalid as exc:
            match = _CSV_BAD_COLUMN.search(str(exc))
            if match is None:
                raise InputError(f"{name}: not a readable CSV file ({_one_line(exc)})") from exc
            bad = _csv_header(path, delimiter)[int(match.group(1))]
            if bad in forced:
                raise InputError(f"{name}: not a readable CSV file ({_one_line(exc)})") from exc
            forced[bad] = pa.string()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{name}: not a readable CSV file ({_one_line(exc)})") from exc
    undecodable = [f.name for f in table.schema if pa.types.is_binary(f.type)]
    if undecodable:  # pyarrow falls back to binary for text that is not valid UTF-8
        raise InputError(
            f"{name}: cannot be decoded as UTF-8 (column {undecodable[0]!r}); "
            "re-save the file as UTF-8"
        )
    return _open_table(table, name, batch_rows)


def _csv_header(path: Path, delimiter: str) -> list[str]:
    import pyarrow.csv as pacsv

    reader = pacsv.open_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    return list(reader.schema.names)


def _open_ipc(path: Path, batch_rows: int) -> Source:
    name = str(path)
    try:
        with pa.memory_map(str(path)) as src:
            file_reader = pa.ipc.open_file(src)
            schema, num_rows = file_reader.schema, file_reader.num_record_batches
            num_rows = sum(file_reader.get_batch(i).num_rows for i in range(num_rows))
        stream = False
    except pa.ArrowInvalid:
        try:
            with pa.memory_map(str(path)) as src:  # a stream: count rows (memory-mapped)
                reader = pa.ipc.open_stream(src)
                schema, stream = reader.schema, True
                num_rows = sum(b.num_rows for b in reader)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{name}: not a readable Arrow IPC/Feather file ({_one_line(exc)})"
            ) from exc

    def batches(columns: list[str] | None, units: Sequence[int] | None) -> Iterator[pa.RecordBatch]:
        with pa.memory_map(str(path)) as src:
            if stream:
                it: Iterator[pa.RecordBatch] = iter(pa.ipc.open_stream(src))
            else:
                fr = pa.ipc.open_file(src)
                it = (fr.get_batch(i) for i in range(fr.num_record_batches))
            for batch in it:
                batch = batch.select(columns) if columns else batch
                for off in range(0, max(batch.num_rows, 1), batch_rows):
                    yield batch.slice(off, batch_rows)

    return Source(name, schema, num_rows, _Opener(batches), (), str(path))


def _open_directory(path: Path, batch_rows: int) -> Source:
    name = str(path)
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and not p.name.startswith((".", "_"))
        and any(s.lower() in DATA_SUFFIXES for s in p.suffixes)
    )
    if not files:
        known = ", ".join(sorted(DATA_SUFFIXES))
        raise InputError(f"{name}: directory holds no data files ({known})")
    kinds = {_kind_of(p) for p in files}
    if len(kinds) > 1:
        raise InputError(f"{name}: directory mixes file formats ({', '.join(sorted(kinds))})")
    fmt = {"parquet": "parquet", "csv": "csv", "ipc": "arrow"}[kinds.pop()]
    import pyarrow.dataset as pads  # imported on use: it pulls in pandas (0.4 s)

    try:
        dataset = pads.dataset(
            [str(p) for p in files], format=fmt, partitioning="hive", partition_base_dir=str(path)
        )
        schema = dataset.schema
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: not a readable {fmt} dataset ({_one_line(exc)})") from exc
    # The row count sets the sampling rate: parquet footers give it; CSV/IPC take a pass.
    try:
        num_rows = (
            sum(pq.ParquetFile(p).metadata.num_rows for p in files)
            if fmt == "parquet"
            else dataset.count_rows()
        )
    except (pa.ArrowException, OSError) as exc:
        raise InputError(f"{name}: holds an unreadable {fmt} file ({_one_line(exc)})") from exc

    def batches(columns: list[str] | None, units: Sequence[int] | None) -> Iterator[pa.RecordBatch]:
        yield from dataset.to_batches(columns=columns, batch_size=batch_rows, use_threads=True)

    return Source(name, schema, num_rows, _Opener(batches), (), str(path))
