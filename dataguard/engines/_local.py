"""The local engine: one streaming pass over record batches, on both cores.

A source with several independently readable units (a parquet file's row groups) and enough
rows is split into contiguous runs of units, one per core. This process profiles the first
run while worker processes (``python -m dataguard.engines._worker``, which import only
pyarrow, numpy and the sketch library) profile the others and send their accumulator states
back (``_wire``: a JSON header and raw binary parts). States merge in row order, so
order-dependent fields stay right.

Why processes: threads contend for the GIL between the many short numpy calls, and two of
them ran no faster than one here. Workers get one OpenBLAS thread: spinning BLAS threads of
two processes on two cores tripled the wall time. Each process holds at most a few batches
and the read buffers of one row group, whatever the file's length, so the peak memory of the
process tree is about (processes x one process's peak) at every file size.

Within a process, a reader thread decodes the next batch (pyarrow releases the GIL while
decoding) while the caller computes on the current one. At most a few batches are held:
memory stays flat as rows grow. Smaller or unsplittable sources are profiled in-process.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from dataguard.engines._wire import read_frame
from dataguard.errors import InputError
from dataguard.io import Source
from dataguard.profile import (
    DatasetAccumulator,
    Profile,
    SecondPass,
    accumulator_for,
    accumulator_from_state,
    column_words,
    finalize,
    fold_words,
)
from dataguard.profile._accumulators import Accumulator

__all__ = ["SAMPLE_ROWS", "prefetch", "profile_source", "run_passes", "run_units"]

T = TypeVar("T")

#: Target size of the Bernoulli row sample that feeds the quantile sketches (2^17 rows).
SAMPLE_ROWS = 1 << 17
#: Fewer rows than this are profiled in one process: a worker's start-up would not pay off.
PARALLEL_MIN_ROWS = 400_000
_DONE = object()
#: The caller's run of units is this much larger than a worker's: a worker spends its first
#: ~0.3 s importing numpy and pyarrow while the caller is already reading.
FIRST_SHARE_WEIGHT = 1.2
#: Prefix of the progress lines a worker writes to stderr ("progress ROWS").
_PROGRESS = "progress "

Positions = npt.NDArray[np.int64]


def profile_source(
    source: Source,
    *,
    sample_rows: int = SAMPLE_ROWS,
    seed: int = 0,
    workers: int | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> Profile:
    """Profile every column of ``source`` in one pass.

    Parameters
    ----------
    source : Source
        From :func:`dataguard.io.open_source`.
    sample_rows : int
        Expected size of the row sample (all rows when the source has fewer).
    seed : int
        Seed of the row sample: the same seed and workers give the same sample and exact
        fields. KLL compacts at random, so sketch quantiles may differ between runs in their
        last digits (always within the stated bound).
    workers : int, optional
        Worker processes; 1 profiles in this process. Default: one per core (at most 2) for
        a splittable file of at least ``PARALLEL_MIN_ROWS`` rows, else 1.
    progress : callable, optional
        Called with the rows of each batch once it is profiled, and the total (or None).

    Examples
    --------
    >>> import pyarrow as pa
    >>> from dataguard.io import open_source
    >>> p = profile_source(open_source(pa.table({"x": [1.0, 2.0, 3.0, 4.0]})))
    >>> p.columns["x"].mean, p.n_rows
    (2.5, 4)
    """
    total = source.num_rows
    rate = 1.0 if not total or total <= sample_rows else sample_rows / total
    units = list(range(len(source.unit_rows)))
    splittable = len(units) >= 2 and source.path is not None and bool(sys.executable)
    if workers is None:
        big = (total or 0) >= PARALLEL_MIN_ROWS
        workers = min(os.cpu_count() or 1, 2) if big else 1
    workers = min(workers, len(units))
    if workers < 2 or not splittable:
        accs, dataset = run_units(source, None, rate, seed, _with_total(progress, total))
        return finalize(accs, dataset, source.name, source.schema)
    parts = _split_units(source.unit_rows, workers)
    procs = [
        _Worker(source, part, rate, seed + i, progress, total)
        for i, part in enumerate(parts[1:], start=1)
    ]
    try:
        accs, dataset = run_units(source, parts[0], rate, seed, _with_total(progress, total))
        results = [w.result() for w in procs]
    finally:
        for w in procs:
            w.stop()
    for state, blobs in results:  # in row order: the runs of units are contiguous
        for name, acc in accs.items():
            other = accumulator_from_state(name, acc.dtype, state["columns"][name])
            accs[name] = acc.merge(other)  # type: ignore[arg-type]
        dataset = dataset.merge(DatasetAccumulator.from_state(state["dataset"], blobs))
    return finalize(accs, dataset, source.name, source.schema)


def _split_units(unit_rows: Sequence[int], k: int) -> list[list[int]]:
    """``k`` contiguous runs of units (none empty); the first, profiled by this process while
    the workers start up, is ``FIRST_SHARE_WEIGHT`` times as large as each of the others.

    >>> _split_units([100] * 10, 2)
    [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]
    """
    cum = np.cumsum(unit_rows)
    weights = FIRST_SHARE_WEIGHT + (k - 1)
    bounds = [0]
    for i in range(1, k):
        share = (FIRST_SHARE_WEIGHT + i - 1) / weights
        cut = int(np.searchsorted(cum, cum[-1] * share)) + 1
        bounds.append(min(max(cut, bounds[-1] + 1), len(unit_rows) - (k - i)))
    bounds.append(len(unit_rows))
    return [list(range(a, b)) for a, b in itertools.pairwise(bounds)]


def run_passes(source: Source, passes: Sequence[SecondPass]) -> dict[str, dict[str, Any]]:
    """Stream the columns the passes need, once, in row order; their results by name."""
    if not passes:
        return {}
    needed = list(dict.fromkeys(c for p in passes for c in p.columns))
    for batch in _prefetch(source.select(needed).batches()):
        for p in passes:
            p.update(batch.select(p.columns))
    return {p.name: p.result() for p in passes}


def _with_total(
    progress: Callable[[int, int | None], None] | None, total: int | None
) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda n: progress(n, total)


def run_units(
    source: Source,
    units: Sequence[int] | None,
    rate: float,
    seed: int,
    progress: Callable[[int], None] | None = None,
) -> tuple[dict[str, Accumulator], DatasetAccumulator]:
    """Stream ``units`` of ``source`` (all if None) through fresh accumulators."""
    accs = {f.name: accumulator_for(f.name, f.type) for f in source.schema}
    group = list(accs.values())
    dataset = DatasetAccumulator(rate)
    rng = np.random.default_rng(seed)
    for batch in _prefetch(source.batches(units)):
        pos = _bernoulli_positions(rng, batch.num_rows, rate)
        h = None
        for acc in group:
            array = batch.column(acc.name)
            acc.update(array, pos)
            h = fold_words(h, column_words(array))
        dataset.update(batch, pos, [] if h is None else [h])
        if progress is not None:
            progress(batch.num_rows)
    return accs, dataset


class _Worker:
    """One worker process: its task on the command line, progress lines on stderr, the
    state frame on stdout (read by threads, so neither pipe can fill and stall it)."""

    def __init__(
        self,
        source: Source,
        units: list[int],
        rate: float,
        seed: int,
        progress: Callable[[int, int | None], None] | None,
        total: int | None,
    ) -> None:
        task = {
            "path": source.path,
            "columns": source.columns,
            "units": units,
            "rate": rate,
            "seed": seed,
            "progress": progress is not None,
        }
        self.name = source.name
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dataguard.engines._worker", json.dumps(task)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        )
        self.out = b""
        self.errors: list[str] = []
        self.readers = [
            threading.Thread(target=self._read_out, daemon=True),
            threading.Thread(target=self._read_err, args=(progress, total), daemon=True),
        ]
        for t in self.readers:
            t.start()

    def _read_out(self) -> None:
        assert self.proc.stdout is not None
        with self.proc.stdout as pipe:
            self.out = pipe.read()

    def _read_err(
        self, progress: Callable[[int, int | None], None] | None, total: int | None
    ) -> None:
        assert self.proc.stderr is not None
        with self.proc.stderr as pipe:
            for raw in pipe:
                line = raw.decode(errors="replace").strip()
                if line.startswith(_PROGRESS):
                    if progress is not None:
                        progress(int(line[len(_PROGRESS) :]), total)
                elif line:
                    self.errors.append(line)

    def result(self) -> tuple[dict[str, Any], list[Any]]:
        """Wait for the worker; its state, or an :class:`InputError` with its message."""
        code = self.proc.wait()
        for t in self.readers:
            t.join()
        if code != 0:
            raise InputError(
                self.errors[-1]
                if self.errors
                else f"{self.name}: the worker process failed (exit {code})"
            )
        return read_frame(self.out)

    def stop(self) -> None:
        """Kill the worker if it is still running (after an error elsewhere)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for t in self.readers:
            t.join()


def _bernoulli_positions(rng: np.random.Generator, n: int, rate: float) -> Positions:
    """Sorted positions of a Bernoulli(rate) sample of ``range(n)`` (geometric skips)."""
    if rate >= 1.0:
        return np.arange(n, dtype=np.int64)
    expected = n * rate
    size = int(expected + 6 * np.sqrt(expected) + 16)
    pos = np.cumsum(rng.geometric(rate, size=size)) - 1
    while pos[-1] < n:  # vanishingly rare: draw more gaps
        more = np.cumsum(rng.geometric(rate, size=size)) + pos[-1]
        pos = np.concatenate([pos, more])
    return pos[pos < n].astype(np.int64)


def prefetch(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Produce the next ``depth`` items in a thread while the caller works on this one.

    An exception in the producer is re-raised in the consumer; closing the generator early
    stops the producer.
    """
    q: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for b in items:
                if stop.is_set():
                    return
                q.put(b)
        except BaseException as exc:  # handed to the consumer, re-raised there
            q.put(_Raised(exc))
            return
        q.put(_DONE)

    thread = threading.Thread(target=produce, name="dataguard-read", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is _DONE:
                return
            if isinstance(item, _Raised):
                raise item.exc
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(0.01)


class _Raised:
    """An exception from the producer (wrapped: an exception object is also an item)."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_prefetch = prefetch
