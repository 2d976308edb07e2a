"""What ``dataguard check-model`` needs from files: the user's model factory and the batches.

``load_factory("models.py:make_model")`` executes a Python file (as ``python models.py``
would, but with ``__name__`` set to a private module name, so an
``if __name__ == "__main__":`` block does not run) and returns the named callable.
``build_model`` calls it, with ``(n_inputs, n_outputs)`` when its signature asks for them.
``batches_from_file`` reads a seeded random sample of a data file and turns it into
``(inputs, targets)`` tensor batches, through a transforms artifact when one is given.

Every problem is an :class:`~dataguard.errors.InputError` with a one-line message naming the
file, the attribute or the column.
"""

from __future__ import annotations

import contextlib
import importlib.util
import inspect
import itertools
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import torch
from torch import nn

from dataguard.errors import InputError

__all__ = [
    "CLASSIFICATION_LOSSES",
    "LOSSES",
    "DataFacts",
    "batches_from_file",
    "build_model",
    "load_factory",
    "probe_forward",
]

#: Loss names the command line accepts; the first four are regression losses.
LOSSES = ("mse", "l1", "huber", "smooth-l1", "ce", "nll", "bce", "bce-logits")
#: Losses whose targets are class labels (ce/nll: int64 codes; bce: 0/1 floats).
CLASSIFICATION_LOSSES = ("ce", "nll", "bce", "bce-logits")
_BINARY_LOSSES = ("bce", "bce-logits")

#: Parameter names that say "the input and output sizes" even when they have defaults.
_SIZE_NAMES = (
    ("n_inputs", "n_outputs"),
    ("n_in", "n_out"),
    ("in_features", "out_features"),
    ("input_dim", "output_dim"),
    ("in_dim", "out_dim"),
    ("input_size", "output_size"),
    ("num_inputs", "num_outputs"),
    ("n_features", "n_classes"),
    ("in_size", "out_size"),
)
_SEED = 0
_counter = itertools.count()


# -- the factory ------------------------------------------------------------------------
def load_factory(spec: str) -> Callable[..., Any]:
    """The callable named by ``"path/to/file.py:name"`` (``name`` may be dotted).

    The file is executed as Python code, like ``python file.py``, under a unique module
    name (``__name__`` is not ``"__main__"``); its folder is on ``sys.path`` while it runs,
    so it can import modules next to it.
    """
    path_text, sep, name = spec.rpartition(":")
    if not sep or not path_text or not name.strip():
        raise InputError(
            f"{spec}: expected FILE.py:FACTORY (e.g. models.py:make_model), the file and the "
            "function that builds the model"
        )
    path = Path(path_text)
    if path.suffix != ".py":
        raise InputError(f"{path}: expected a Python file (.py) holding the model factory")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    module = _exec_file(path)
    obj: Any = module
    for part in name.strip().split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            public = sorted(
                n
                for n, v in vars(module).items()
                if callable(v)
                and not n.startswith("_")
                and getattr(v, "__module__", None) == module.__name__  # defined there
            )
            have = ", ".join(public[:12]) or "none"
            raise InputError(
                f"{path}: has no {name.strip()!r} (callables defined there: {have})"
            ) from None
    if not callable(obj):
        raise InputError(
            f"{path}:{name.strip()} is not callable ({type(obj).__name__}); expected the function "
            "or class that builds the model"
        )
    return obj  # type: ignore[no-any-return]


def _exec_file(path: Path) -> Any:
    resolved = path.resolve()
    mod_name = f"_dataguard_user_{_identifier(path.stem)}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(mod_name, resolved)
    if spec is None or spec.loader is None:  # pragma: no cover - a .py file always has one
        raise InputError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    sys.modules[mod_name] = module  # dataclasses and pickling look classes up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(mod_name, None)
        where = f"line {exc.lineno}" if exc.lineno else ""
        if exc.filename and Path(exc.filename) != resolved:
            where = f"{exc.filename}, {where}" if where else str(exc.filename)
        where = f" ({where})" if where else ""
        raise InputError(f"{path}: {type(exc).__name__}: {exc.msg}{where}") from None
    except (Exception, SystemExit) as exc:
        sys.modules.pop(mod_name, None)
        raise InputError(
            f"{path}: running it raised {_describe(exc, resolved)}"
            + (
                '; guard script code with `if __name__ == "__main__":`'
                if isinstance(exc, SystemExit)
                else ""
            )
        ) from None
    finally:
        if added:
            with contextlib.suppress(ValueError):  # the file removed it itself
                sys.path.remove(folder)
    return module


def build_model(
    factory: Callable[..., Any], n_inputs: int, n_outputs: int, *, seed: int | None = _SEED
) -> nn.Module:
    """Call the factory, with ``(n_inputs, n_outputs)`` when its signature asks for them.

    They are passed when the factory has two or more positional parameters without
    defaults, or when its first two parameters are named like sizes (``n_inputs`` and
    ``n_outputs``, ``in_features`` and ``out_features``, ...) even with defaults; otherwise
    it is called with no arguments. ``seed`` seeds torch's generator first, so the
    initialization (and the report) is the same from run to run.
    """
    args = (n_inputs, n_outputs) if _wants_sizes(factory) else ()
    shown = f"{_name_of(factory)}({', '.join(str(a) for a in args)})"
    if seed is not None:
        torch.manual_seed(seed)
    try:
        model = factory(*args)
    except Exception as exc:
        raise InputError(f"{shown} raised {_describe(exc, None)}") from None
    if not isinstance(model, nn.Module):
        raise InputError(
            f"{shown} returned a {type(model).__module__}.{type(model).__qualname__}, expected a "
            "torch.nn.Module"
        )
    return model


def _wants_sizes(factory: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):  # some builtins have no signature: call it bare
        return False
    positional = [
        p for p in sig.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    required = [p for p in positional if p.default is p.empty]
    kw_required = [
        p.name for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY and p.default is p.empty
    ]
    name = _name_of(factory)
    if kw_required:
        raise InputError(
            f"{name}{sig}: keyword-only parameters without defaults ({', '.join(kw_required)}) "
            "cannot be filled; the factory is called with no arguments or with (n_inputs, "
            "n_outputs)"
        )
    if len(required) > 2:
        raise InputError(
            f"{name}{sig}: needs {len(required)} arguments; the factory is called with no "
            "arguments or with (n_inputs, n_outputs): give the others defaults"
        )
    if len(required) == 2:
        return True
    if len(positional) >= 2:
        first_two = (positional[0].name.lower(), positional[1].name.lower())
        if first_two in _SIZE_NAMES:
            return True
    if len(required) == 1:
        raise InputError(
            f"{name}{sig}: needs one argument; the factory is called with no arguments or with "
            "(n_inputs, n_outputs)"
        )
    return False


def probe_forward(model: nn.Module, x: torch.Tensor) -> None:
    """Run the model once on two rows (eval mode, no grad), as a readable early error.

    The modules' training flags are restored afterwards; nothing else is changed (eval
    mode does not update batch-norm statistics).
    """
    flags = {m: m.training for m in model.modules()}
    try:
        model.eval()
        where = next(iter(model.parameters()), x).device  # a factory may move the model
        with torch.no_grad():
            model(x[:2].to(where))
    except Exception as exc:
        raise InputError(
            f"{type(model).__name__} cannot run on the data's inputs (a float32 batch of shape "
            f"{list(x.shape)}): {_describe(exc, None)}"
        ) from None
    finally:
        for m, flag in flags.items():
            m.training = flag


def _describe(exc: BaseException, path: Path | None) -> str:
    """``Type: message`` on one line, with the line of ``path`` it came from."""
    text = " ".join(str(exc).split())[:300]
    out = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    if path is not None:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename) == path]
        if frames:
            out += f" (line {frames[-1].lineno})"
    return out


def _name_of(obj: Any) -> str:
    return str(getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or obj)


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text) or "model"


# -- the data ---------------------------------------------------------------------------
@dataclass
class DataFacts:
    """What :func:`batches_from_file` read, for the checker and the report header.

    ``profile`` is what to pass to ``check_model(profile=...)``: the transforms pipeline
    when one was given (and fitted with the target), else a ``ProfileReport`` of the target
    column over the whole file.
    """

    source: str
    target: str
    task: str
    loss: str
    n_inputs: int
    n_outputs: int
    n_train: int
    n_rows: int
    features: list[str]
    classes: list[Any] | None = None
    dropped: dict[str, int] = field(default_factory=dict)
    profile: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without the profile object."""
        return {
            "source": self.source,
            "target": self.target,
            "task": self.task,
            "loss": self.loss,
            "n_inputs": self.n_inputs,
            "n_outputs": self.n_outputs,
            "n_train": self.n_train,
            "n_rows_sampled": self.n_rows,
            "features": self.features,
            "classes": self.classes,
            "dropped_rows": self.dropped,
        }


Batch = tuple[torch.Tensor, torch.Tensor]


def batches_from_file(
    path: str | Path,
    *,
    target: str,
    transforms: Any = None,
    batch_size: int = 64,
    max_rows: int = 4096,
    loss: str | None = None,
    task: str | None = None,
    seed: int = _SEED,
) -> tuple[list[Batch], DataFacts]:
    """``(inputs, targets)`` batches from a seeded random sample of a data file.

    Parameters
    ----------
    path : str or Path
        A parquet file or directory, CSV or Arrow IPC file (as ``dataguard profile`` reads).
    target : str
        The target column.
    transforms : TransformPipeline or path, optional
        A fitted transforms artifact (``dataguard fit``): the inputs are its outputs, a
        regression target is scaled as it says, class labels become its class indices.
        Without it the inputs are the numeric columns other than the target, as float32,
        unscaled (a text, date or null-holding column is an error asking for transforms).
    batch_size : int
        Rows per batch; the last, shorter batch is dropped when there are full ones.
    max_rows : int
        At most this many rows are read: a random sample spread over the file (row groups
        of a large parquet file are drawn first), seeded, so reruns read the same rows.
    loss : str, optional
        The loss name; it decides the targets: ``ce``/``nll`` int64 class codes ``[N]``
        (labels in sorted order), ``bce``/``bce-logits`` 0/1 floats ``[N, 1]``, else
        float32 ``[N, 1]``. Default: ``ce`` for a classification target, else ``mse``.
    task : {"regression", "classification"}, optional
        The target's task when ``loss`` is not given (default: the transforms', else
        inferred by ``dataguard.profile``).

    Returns
    -------
    batches, facts
        The list of ``(x, y)`` tensor pairs and a :class:`DataFacts`.
    """
    from dataguard.io import open_source

    if loss is not None and loss not in LOSSES:
        raise InputError(f"loss {loss!r} is not one of: {', '.join(LOSSES)}")
    if batch_size < 1 or max_rows < 1:
        raise InputError("batch size and the number of rows to read must be at least 1")
    pipe = _as_pipeline(transforms)
    source = open_source(path)
    columns = _columns_to_read(source, pipe, target)
    table, n_train = _sample(source.select(columns), max_rows, seed)
    if table.num_rows == 0:
        raise InputError(f"{source.name}: no rows")
    fitted = pipe is not None and pipe.target is not None
    report = None if fitted else _profile_target(path, target, loss, task)
    task, loss = _task_and_loss(pipe if fitted else None, report, target, loss, task)

    if pipe is not None:
        x, features = _transformed_inputs(pipe, table), list(pipe.output_columns)
    else:
        features = [c for c in columns if c != target]
        x = _raw_inputs(table, features)
    if fitted:
        y, keep, classes = _fitted_target(pipe, table, target, loss)
    else:
        y, keep, classes = _raw_target(table, target, loss, report)
    dropped = {"target missing or an unknown class": int((~keep).sum())} if not keep.all() else {}
    x, y = x[keep], y[keep]
    if len(y) == 0:
        raise InputError(f"{source.name}: no sampled row has a usable {target!r}")
    n_outputs = len(classes) if loss in ("ce", "nll") and classes is not None else 1
    facts = DataFacts(
        source=source.name,
        target=target,
        task=task,
        loss=loss,
        n_inputs=int(x.shape[1]),
        n_outputs=n_outputs,
        n_train=n_train,
        n_rows=len(y),
        features=features,
        classes=classes,
        dropped=dropped,
        profile=pipe if fitted else report,
    )
    return _batches(x, y, batch_size), facts


def _columns_to_read(source: Any, pipe: Any, target: str) -> list[str]:
    """The transforms' inputs and the target, or the numeric columns and the target."""
    names = source.schema.names
    if target not in names:
        more = f" (+{len(names) - 30} more)" if len(names) > 30 else ""
        raise InputError(
            f"{source.name}: target column {target!r} not found; columns are: "
            f"{', '.join(names[:30])}{more}"
        )
    if pipe is None:
        return _numeric_columns(source.name, source.schema, target)
    if pipe.target_column not in (None, target):
        raise InputError(
            f"the transforms were fitted with target {pipe.target_column!r}, not {target!r}"
        )
    missing = [c for c in pipe.input_columns if c not in names]
    if missing:
        raise InputError(f"{source.name}: the transforms need column {missing[0]!r}, not found")
    return list(dict.fromkeys([*pipe.input_columns, target]))


def _task_and_loss(
    pipe: Any, report: Any, target: str, loss: str | None, task: str | None
) -> tuple[str, str]:
    """The target's task (the transforms', else the loss's) and the loss (default: ``ce``
    for classification, else ``mse``)."""
    if loss is None:
        if pipe is not None:
            task = pipe.task
        elif task is None:
            task = report.tasks.get(target, "regression")
        loss = "ce" if task == "classification" else "mse"
    if pipe is not None:
        return str(pipe.task), loss
    # the profile was asked for the loss's task
    return ("classification" if loss in CLASSIFICATION_LOSSES else "regression"), loss


def _as_pipeline(transforms: Any) -> Any:
    if transforms is None:
        return None
    from dataguard.transforms import TransformPipeline, load_transforms

    if isinstance(transforms, TransformPipeline):
        return transforms
    return load_transforms(transforms)


def _numeric_columns(name: str, schema: pa.Schema, target: str) -> list[str]:
    """The target and the numeric columns; others are an error asking for transforms."""
    from dataguard.profile._accumulators import column_kind

    other = [
        f"{f.name} ({f.type.value_type if pa.types.is_dictionary(f.type) else f.type})"
        for f in schema
        if f.name != target and (column_kind(f.type) != "numeric" or pa.types.is_null(f.type))
    ]
    if other:
        raise InputError(
            f"{name}: non-numeric column(s) {', '.join(other[:8])}"
            + (f" (+{len(other) - 8} more)" if len(other) > 8 else "")
            + "; encode them: dataguard fit DATA --target COL -o t.json, then --transforms t.json"
        )
    features = [f.name for f in schema if f.name != target]
    if not features:
        raise InputError(f"{name}: no input columns besides the target {target!r}")
    return [*features, target]


def _sample(source: Any, max_rows: int, seed: int) -> tuple[pa.Table, int]:
    """At most ``max_rows`` rows drawn uniformly at random (bottom-k of random keys), in a
    random order, and the file's row count. Only a sample and one record batch are held."""
    rng = np.random.default_rng(seed)
    units = _units(source, max_rows, rng)
    kept: pa.Table | None = None
    keys = np.empty(0)
    seen = 0
    for batch in source.batches(units):
        n = batch.num_rows
        seen += n
        bkeys = rng.random(n)
        part = _decoded(pa.Table.from_batches([batch]))
        if kept is not None and kept.num_rows >= max_rows:
            below = np.flatnonzero(bkeys < keys.max())
            if len(below) == 0:
                continue
            part, bkeys = part.take(pa.array(below)), bkeys[below]
        cand = part if kept is None else pa.concat_tables([kept, part])
        ckeys = bkeys if kept is None else np.concatenate([keys, bkeys])
        if cand.num_rows > max_rows:
            idx = np.argpartition(ckeys, max_rows - 1)[:max_rows]
            cand, ckeys = cand.take(pa.array(idx)), ckeys[idx]
        kept, keys = cand.combine_chunks(), ckeys
    if kept is None:
        return pa.table({f.name: pa.array([], f.type) for f in source.schema}), 0
    order = np.argsort(keys, kind="stable")
    total = source.num_rows if source.num_rows is not None else seen
    return kept.take(pa.array(order)), int(total)


def _units(source: Any, max_rows: int, rng: np.random.Generator) -> list[int] | None:
    """For a large parquet file, a random subset of its row groups holding at least eight
    times the sample (and at least eight groups): the sample need not read the whole file."""
    rows: Sequence[int] = source.unit_rows
    if len(rows) < 2 or source.num_rows is None or source.num_rows <= 8 * max_rows:
        return None
    chosen: list[int] = []
    got = 0
    for u in rng.permutation(len(rows)):
        chosen.append(int(u))
        got += rows[u]
        if got >= 8 * max_rows and len(chosen) >= min(len(rows), 8):
            break
    return sorted(chosen)


def _decoded(table: pa.Table) -> pa.Table:
    """Dictionary columns as their values (batches' dictionaries differ)."""
    if not any(pa.types.is_dictionary(f.type) for f in table.schema):
        return table
    return table.cast(
        pa.schema(
            [
                f.with_type(f.type.value_type) if pa.types.is_dictionary(f.type) else f
                for f in table.schema
            ]
        )
    )


def _column(table: pa.Table, name: str) -> pa.Array:
    col = table.column(name)
    return col.combine_chunks() if col.num_chunks != 1 else col.chunk(0)


def _raw_inputs(table: pa.Table, features: list[str]) -> npt.NDArray[np.float32]:
    from dataguard.profile._arrow import to_float64

    out = np.empty((table.num_rows, len(features)), dtype=np.float32)
    hint = (
        "; the model needs numbers everywhere: fit transforms (dataguard fit DATA --target COL "
        "-o t.json) and pass --transforms t.json"
    )
    for j, name in enumerate(features):
        v = to_float64(_column(table, name))
        bad = int(np.isnan(v).sum())
        if bad:
            raise InputError(
                f"column {name!r} has missing values (null or NaN) in {bad:,} of {len(v):,} "
                f"sampled rows{hint}"
            )
        with np.errstate(over="ignore"):
            out[:, j] = v
        if not np.isfinite(out[:, j]).all():
            raise InputError(f"column {name!r} has infinite values or values beyond float32{hint}")
    return out


def _transformed_inputs(pipe: Any, table: pa.Table) -> npt.NDArray[np.float32]:
    x: npt.NDArray[np.float32] = pipe.transform_array(table, dtype=np.float32)
    finite = np.isfinite(x)
    if not finite.all():
        j = int(np.flatnonzero(~finite.all(axis=0))[0])
        raise InputError(
            f"transformed column {pipe.output_columns[j]!r} has NaN or infinite values on the "
            "sample: refit the transforms on this data (dataguard fit)"
        )
    return x


def _profile_target(path: str | Path, target: str, loss: str | None, task: str | None) -> Any:
    """``dataguard.profile`` of the target column alone: one streaming pass over one column
    gives its exact range, class counts and the task dataguard infers."""
    from dataguard._api import profile

    if loss is not None:
        task = "classification" if loss in CLASSIFICATION_LOSSES else "regression"
    return profile(
        path,
        target=target,
        columns=[target],
        task=task or "auto",
        select=["DG117", "DG118", "DG119"],
    )


def _fitted_target(
    pipe: Any, table: pa.Table, target: str, loss: str
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_], list[Any] | None]:
    """Targets through the transforms: scaled values, or the pipeline's class indices."""
    if pipe.task == "regression":
        if loss in CLASSIFICATION_LOSSES:
            raise InputError(
                f"--loss {loss} needs class labels, but the transforms fitted {target!r} as a "
                "regression target"
            )
        y = pipe.transform_target_encoded(pipe.encode_target(table))
        keep = np.isfinite(y)
        return y.astype(np.float32).reshape(-1, 1), keep, None
    classes = list(pipe.target["classes"])
    codes = pipe.encode_target(table)
    keep = (codes >= 0) & (codes < len(classes))
    return _encode_codes(codes, classes, loss, target), keep, classes


def _raw_target(
    table: pa.Table, target: str, loss: str, report: Any
) -> tuple[npt.NDArray[Any], npt.NDArray[np.bool_], list[Any] | None]:
    """Targets from the raw column: floats for regression, sorted-label codes for classes."""
    from dataguard.profile._accumulators import column_kind
    from dataguard.profile._arrow import to_float64

    col = _column(table, target)
    kind = column_kind(col.type)
    if loss not in CLASSIFICATION_LOSSES:
        if kind != "numeric":
            raise InputError(
                f"target {target!r} is {col.type}, not numeric: use a classification loss (--loss "
                "ce) or encode it"
            )
        v = to_float64(col)
        if np.isinf(v).any():
            raise InputError(f"target {target!r} has infinite values")
        return v.astype(np.float32).reshape(-1, 1), ~np.isnan(v), None
    if kind not in ("numeric", "categorical"):
        raise InputError(f"target {target!r} is {col.type}: expected class labels")
    labels = col.to_pylist()
    keep = np.array([v is not None and v == v for v in labels], dtype=bool)  # v == v: not NaN
    present = {_label_key(v) for v, k in zip(labels, keep, strict=True) if k}
    if any(isinstance(v, float) and not v.is_integer() for v in present):
        raise InputError(
            f"--loss {loss} needs class labels, but target {target!r} has fractional values (a "
            "regression target: use --loss mse)"
        )
    prof = report.columns.get(target) if report is not None else None
    known = (
        {_label_key(v) for v in prof.values}
        if prof is not None and prof.values is not None and prof.distinct_exact
        else set()
    )
    classes = sorted(present | known)
    index = {c: i for i, c in enumerate(classes)}
    codes = np.array(
        [index[_label_key(v)] if k else 0 for v, k in zip(labels, keep, strict=True)],
        dtype=np.int64,
    )
    shown = [int(c) if isinstance(c, float) else c for c in classes]
    return _encode_codes(codes, shown, loss, target), keep, shown


def _label_key(v: Any) -> Any:
    """Labels compared by value: 1, 1.0 and True are one class; text stays text."""
    if isinstance(v, (bool, int, float, np.integer, np.floating)):
        return float(v)
    return str(v)


def _encode_codes(
    codes: npt.NDArray[np.int64], classes: list[Any], loss: str, target: str
) -> npt.NDArray[Any]:
    if loss not in _BINARY_LOSSES:
        if loss not in CLASSIFICATION_LOSSES:  # a regression loss on class indices
            return codes.astype(np.float32).reshape(-1, 1)
        return codes
    if len(classes) > 2:
        raise InputError(
            f"--loss {loss} needs a binary target, but {target!r} has {len(classes)} classes (use "
            "--loss ce)"
        )
    if len(classes) == 1 and classes[0] in (0, 1, True, False):  # one class: keep its value
        return np.full((len(codes), 1), float(classes[0]), dtype=np.float32)
    return codes.astype(np.float32).reshape(-1, 1)


def _batches(x: npt.NDArray[Any], y: npt.NDArray[Any], batch_size: int) -> list[Batch]:
    xt, yt = torch.from_numpy(np.ascontiguousarray(x)), torch.from_numpy(np.ascontiguousarray(y))
    n = len(xt)
    if n <= batch_size:
        return [(xt, yt)]
    return [
        (xt[i : i + batch_size], yt[i : i + batch_size])
        for i in range(0, n - batch_size + 1, batch_size)
    ]
