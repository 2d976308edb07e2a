"""Fitted transforms as a ``torch.nn.Module``: encoded inputs in, model features out.

:class:`TransformModule` runs a fitted :class:`~dataguard.transforms.TransformPipeline` on
tensors, on any device, inside the training step: the same kernels as the numpy reference
path (``pipe.apply_encoded``), driven by :class:`TorchOps` instead of ``NumpyOps``. Every
fitted parameter is a persistent buffer, so ``.to(device)`` moves it and ``state_dict``
saves it.

Design
------
Precision
    The kernels compute in float64 (offsets near 1e9, epoch seconds and the like lose their
    digits in float32), and only the result is cast to the module's ``dtype`` (float32 by
    default), saturating at that type's range: finite input never becomes ``inf``.
    ``module.to(torch.float32)`` (or ``.half()``, ``.double()``...) therefore sets that
    output ``dtype`` and leaves the float64 parameters as they are.
Scalars and tensors
    The kernels pass :class:`TorchOps` either tensors or Python floats (``where(c, x, nan)``,
    ``maximum(x, 0.0)``); every operation accepts both, and nothing creates a tensor without
    the device of its inputs, so the module runs unchanged on CUDA.
Compilation
    ``forward`` has no data-dependent Python control flow: ``torch.compile(module,
    fullgraph=True)`` traces it in one graph (the input checks depend only on the keys,
    shapes, dtypes and devices of the inputs, which the compiled graph guards on). A bad
    input raises :class:`~dataguard.errors.InputError` eagerly and under ``torch.compile``;
    with ``fullgraph=True`` dynamo reports it as ``torch._dynamo.exc.Unsupported`` quoting
    the InputError's message, since a full graph may not leave the graph even to raise.

Examples
--------
>>> import pandas as pd, torch, dataguard
>>> from dataguard.adapters.torch import encode_batch
>>> df = pd.DataFrame({"size": [800.0 + 20 * i for i in range(50)],
...                    "city": ["a", "b"] * 25,
...                    "price": [1e5 + 3e3 * i for i in range(50)]})
>>> pipe = dataguard.fit(df, target="price")
>>> module = pipe.to_torch()
>>> module.output_columns
['size', 'city=a', 'city=b']
>>> features = module(encode_batch(pipe, df.head(3)))
>>> features.shape, features.dtype
(torch.Size([3, 3]), torch.float32)
>>> y = module.transform_target(torch.tensor(df["price"].to_numpy()))
>>> bool(torch.allclose(module.inverse(y), torch.tensor(df["price"].to_numpy())))
True
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from dataguard.errors import ConfigError, InputError, MissingDependencyError
from dataguard.transforms._kernels import run_program

try:
    import torch
    from torch import Tensor, nn
except ImportError as exc:  # pragma: no cover - torch is an optional extra
    raise MissingDependencyError(
        "dataguard.adapters.torch needs torch, which is not installed; "
        "install it with: pip install -c constraints.txt 'dataguard[torch]'"
    ) from exc

from dataguard.adapters._torch_data import ParquetDataset

if TYPE_CHECKING:
    from typing import Self

    from dataguard.transforms import TransformPipeline

__all__ = ["ParquetDataset", "TorchOps", "TransformModule", "encode_batch"]

_F64 = torch.float64
_F64_MAX = float(torch.finfo(torch.float64).max)


class TorchOps:
    """The operations the transform kernels use (``NumpyOps``' names), for torch tensors.

    Parameters
    ----------
    device : torch.device or str, optional
        Where :meth:`cat` creates its empty result when there are no blocks (the device of
        the working matrices); every other operation follows its tensor arguments.

    Notes
    -----
    The kernels pass some operations a Python float instead of a tensor: ``where`` takes
    either or both, ``maximum``/``minimum``/``clip`` take a float or a tensor that
    broadcasts against ``x``. NaN propagates as in numpy (``sign(nan)`` is NaN, not 0).

    Examples
    --------
    >>> import torch
    >>> ops = TorchOps("cpu")
    >>> x = torch.tensor([[-2.0, float("nan")]], dtype=torch.float64)
    >>> ops.maximum(x, 0.0)
    tensor([[0., nan]], dtype=torch.float64)
    >>> ops.where(ops.isnan(x), 1.0, 0.0)
    tensor([[0., 1.]], dtype=torch.float64)
    >>> ops.cat([], 2).shape
    torch.Size([2, 0])
    """

    def __init__(self, device: torch.device | str | None = None) -> None:
        self.device = device

    @staticmethod
    def where(cond: Tensor, a: Any, b: Any) -> Tensor:
        """``a`` where ``cond`` else ``b``; two Python scalars give a float64 tensor."""
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = torch.as_tensor(a, dtype=_F64, device=cond.device)
        return torch.where(cond, a, b)

    @staticmethod
    def isnan(x: Tensor) -> Tensor:
        return torch.isnan(x)

    @staticmethod
    def isfinite(x: Tensor) -> Tensor:
        return torch.isfinite(x)

    @staticmethod
    def log1p(x: Tensor) -> Tensor:
        return torch.log1p(x)

    @staticmethod
    def expm1(x: Tensor) -> Tensor:
        return torch.expm1(x)

    @staticmethod
    def sin(x: Tensor) -> Tensor:
        return torch.sin(x)

    @staticmethod
    def cos(x: Tensor) -> Tensor:
        return torch.cos(x)

    @staticmethod
    def floor(x: Tensor) -> Tensor:
        return torch.floor(x)

    @staticmethod
    def abs(x: Tensor) -> Tensor:
        return torch.abs(x)

    @staticmethod
    def sign(x: Tensor) -> Tensor:
        """-1, 0 or 1, and NaN for NaN (as ``np.sign``; ``torch.sign(nan)`` is 0)."""
        return torch.where(torch.isnan(x), x, torch.sign(x))

    @staticmethod
    def fmod(x: Tensor, p: Any) -> Tensor:
        return torch.fmod(x, p)

    @staticmethod
    def maximum(x: Tensor, lo: Any) -> Tensor:
        """Elementwise max with a tensor (broadcast) or a Python number; NaN propagates."""
        if isinstance(lo, Tensor):
            return torch.maximum(x, lo)
        return torch.clamp_min(x, lo)

    @staticmethod
    def minimum(x: Tensor, hi: Any) -> Tensor:
        """Elementwise min with a tensor (broadcast) or a Python number; NaN propagates."""
        if isinstance(hi, Tensor):
            return torch.minimum(x, hi)
        return torch.clamp_max(x, hi)

    @staticmethod
    def clip(x: Tensor, lo: Any, hi: Any) -> Tensor:
        """``minimum(maximum(x, lo), hi)``, exactly as ``NumpyOps.clip``."""
        return TorchOps.minimum(TorchOps.maximum(x, lo), hi)

    @staticmethod
    def any_last(x: Tensor) -> Tensor:
        return x.any(dim=-1)

    @staticmethod
    def to_float(x: Tensor) -> Tensor:
        return x.to(_F64)

    def cat(self, blocks: Sequence[Tensor], n: int) -> Tensor:
        """The blocks side by side; no blocks: an empty float64 ``[n, 0]`` on the device."""
        if not blocks:
            return torch.empty((n, 0), dtype=_F64, device=self.device)
        return torch.cat(list(blocks), dim=1)

    @staticmethod
    def fill_nonfinite(x: Tensor, fill: Tensor) -> Tensor:
        return torch.where(torch.isfinite(x), x, fill)

    @staticmethod
    def affine(x: Tensor, center: Tensor, inv: Tensor) -> Tensor:
        """``(x - center) * inv`` saturating at +-F64_MAX, as ``NumpyOps.affine``."""
        return ((x - center) * inv).clamp(-_F64_MAX, _F64_MAX)

    @staticmethod
    def take_cols(x: Tensor, idx: list[int]) -> Tensor:
        return x[:, idx]

    @staticmethod
    def put_cols(x: Tensor, idx: list[int], values: Tensor) -> None:
        x[:, idx] = values

    @staticmethod
    def searchsorted(sorted_keys: Tensor, values: Tensor) -> Tensor:
        return torch.searchsorted(sorted_keys, values.contiguous())

    @staticmethod
    def clamp_index(idx: Tensor, hi: int) -> Tensor:
        return idx.clamp(max=hi)


class TransformModule(nn.Module):
    """A fitted pipeline as a module: a dict of encoded input tensors -> a 2-D tensor.

    Build it with ``pipe.to_torch()`` (or ``TransformModule(pipe)``). The inputs are what
    ``pipe.encode`` (or :func:`encode_batch`) gives: per input column a 1-D tensor of
    values (any real dtype; cast to float64) or, for a categorical column, int64 codes
    (``0..k-1`` for the fitted levels, ``k`` for null or unseen values).

    Parameters
    ----------
    pipe : TransformPipeline
        A fitted pipeline (``dataguard.fit`` or ``dataguard.load_transforms``).
    dtype : torch.dtype, default torch.float32
        The floating dtype of the output. The arithmetic is float64 whatever it is; values
        beyond its range saturate at its largest finite value.

    Attributes
    ----------
    input_columns, numeric_inputs, categorical_inputs : list of str
        The columns ``forward`` reads: all of them, the numeric ones (stacked into the
        float64 working matrix in this order) and the categorical ones (int64 codes).
    output_columns : list of str
        The columns of the output, in order (``pipe.output_columns``).
    target_column : str or None
        The target the pipeline was fitted with.
    task : {"regression", "classification"} or None
        How the target is encoded: scaled (regression) or class indices.

    Notes
    -----
    Each parameter array of the compiled program is a persistent buffer named
    ``prog_<array key>``; a regression target adds ``target_center`` and ``target_scale``.
    ``.to(device)`` moves them; ``.to(dtype)`` (and ``.float()``, ``.half()``, ...) sets
    the output ``dtype`` and keeps the buffers in float64.

    Examples
    --------
    >>> import numpy as np, pandas as pd, torch, dataguard
    >>> df = pd.DataFrame({"t": 1e9 + np.arange(40.0), "y": np.arange(40.0) % 3})
    >>> module = dataguard.fit(df, target="y").to_torch()
    >>> out = module({"t": torch.tensor([1e9, 1e9 + 39.0], dtype=torch.float64)})
    >>> [round(v, 4) for v in out[:, 0].tolist()]
    [-1.6893, 1.6893]
    >>> module.to(torch.float64)(
    ...     {"t": torch.tensor([1e9 + 19.5], dtype=torch.float64)}).dtype
    torch.float64
    """

    target_center: Tensor
    target_scale: Tensor

    def __init__(self, pipe: TransformPipeline, *, dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        program = pipe.program
        self.numeric_inputs: list[str] = list(program.numeric_inputs)
        self.categorical_inputs: list[str] = list(program.categorical_inputs)
        self.input_columns: list[str] = list(pipe.input_columns)
        self.output_columns: list[str] = list(pipe.output_columns)
        self.target_column: str | None = pipe.target_column
        self.task: str | None = pipe.task
        self.dtype = _floating(dtype)
        # The stages without their numpy arrays: forward reads the buffers instead.
        self._program = dataclasses.replace(program, arrays={})
        self._buffer_of: dict[str, str] = {}
        for key, value in program.arrays.items():
            name = _buffer_name(key, taken=set(self._buffer_of.values()))
            self.register_buffer(name, torch.tensor(np.asarray(value)), persistent=True)
            self._buffer_of[key] = name
        self._perm_buffer = self._buffer_of[program.perm_key]
        if self.task == "regression" and pipe.target is not None:
            scale = pipe.target["scale"]
            self.register_buffer("target_center", torch.tensor(float(scale["center"]), dtype=_F64))
            self.register_buffer("target_scale", torch.tensor(float(scale["scale"]), dtype=_F64))

    # -- forward -------------------------------------------------------------------------
    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """The output columns, ``[n, len(output_columns)]`` in ``dtype``.

        Parameters
        ----------
        inputs : dict of str to Tensor
            Per input column a 1-D tensor of ``n`` values, on the module's device.

        Raises
        ------
        InputError
            A column is missing, not 1-D, of another length, on another device, or a
            categorical column holds floats instead of integer codes.
        """
        X, C = self._pack(inputs)
        arrays = {key: getattr(self, name) for key, name in self._buffer_of.items()}
        out = run_program(TorchOps(X.device), self._program, arrays, X, C)
        return _cast_saturating(out, self.dtype)

    def _pack(self, inputs: Mapping[str, Tensor]) -> tuple[Tensor, Tensor]:
        """Fresh float64 ``X`` and int64 ``C`` working matrices (the kernels write them)."""
        device = self.device
        n = _check_inputs(inputs, self.input_columns, device)
        for name in self.categorical_inputs:
            if inputs[name].is_floating_point() or inputs[name].is_complex():
                raise InputError(
                    f"TransformModule: column {name!r}: expected integer category codes, got "
                    f"{inputs[name].dtype}; encode it with pipe.encode or encode_batch"
                )
        if self.numeric_inputs:
            X = torch.stack([inputs[c].to(_F64) for c in self.numeric_inputs], dim=1)
        else:
            X = torch.empty((n, 0), dtype=_F64, device=device)
        if self.categorical_inputs:
            C = torch.stack([inputs[c].to(torch.int64) for c in self.categorical_inputs], dim=1)
        else:
            C = torch.empty((n, 0), dtype=torch.int64, device=device)
        return X, C

    # -- target --------------------------------------------------------------------------
    def transform_target(self, y: Tensor) -> Tensor:
        """The model-side target from raw target values (as ``pipe.transform_target``).

        Regression: ``(y - center) / scale`` in float64, returned in ``y``'s dtype when it
        is floating (saturating), else in the module's ``dtype``. Classification: ``y``
        (class indices, ``pipe.encode_target``) unchanged.
        """
        if self._target_task() == "classification":
            return y
        out = (y.to(_F64) - self.target_center) / self.target_scale
        return _cast_saturating(out, y.dtype if y.is_floating_point() else self.dtype)

    def inverse(self, t: Tensor) -> Tensor:
        """Raw target values from model-side ones: the inverse of :meth:`transform_target`.

        Regression: ``t * scale + center`` in float64, returned in ``t``'s dtype when it is
        floating (float64 in, float64 out), else float64. Classification: ``t`` (class
        indices) unchanged; ``pipe.inverse_transform_target`` maps them to labels.
        """
        if self._target_task() == "classification":
            return t
        out = t.to(_F64) * self.target_scale + self.target_center
        return _cast_saturating(out, t.dtype if t.is_floating_point() else _F64)

    def _target_task(self) -> str:
        if self.task is None:
            raise ConfigError(
                "TransformModule: the pipeline was fitted without a target; pass "
                "target=... to dataguard.fit to scale one"
            )
        return self.task

    # -- device and dtype ----------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        """The device of the buffers (where inputs must be)."""
        return self.get_buffer(self._perm_buffer).device

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """Move the buffers to a device; a floating dtype sets the output ``dtype`` instead
        of casting the float64 parameters."""
        device, dtype, non_blocking, _ = torch._C._nn._parse_to(*args, **kwargs)
        if dtype is not None:
            self.dtype = _floating(dtype)
        if device is not None:
            super().to(device=device, non_blocking=non_blocking)
        return self

    def float(self) -> Self:
        """Output float32 (the parameters stay float64)."""
        return self.to(torch.float32)

    def double(self) -> Self:
        """Output float64."""
        return self.to(_F64)

    def half(self) -> Self:
        """Output float16, saturating at +-65504."""
        return self.to(torch.float16)

    def bfloat16(self) -> Self:
        """Output bfloat16."""
        return self.to(torch.bfloat16)

    def extra_repr(self) -> str:
        t = f", target={self.target_column!r}" if self.target_column is not None else ""
        return (
            f"{len(self.input_columns)} inputs -> {len(self.output_columns)} outputs, "
            f"dtype={self.dtype}{t}"
        )


def encode_batch(
    pipe: TransformPipeline, table: Any, device: torch.device | str | None = None
) -> dict[str, Tensor]:
    """The module's inputs from a frame or Arrow table: ``pipe.encode`` as tensors.

    Parameters
    ----------
    pipe : TransformPipeline
        The fitted pipeline.
    table : DataFrame, Arrow table or record batch, or dict of arrays
        Rows holding the pipeline's input columns.
    device : torch.device or str, optional
        Where to put the tensors (default: CPU, sharing memory with the encoded arrays).

    Returns
    -------
    dict of str to Tensor
        Per input column float64 values or int64 category codes.

    Examples
    --------
    >>> import pandas as pd, dataguard
    >>> df = pd.DataFrame({"x": [0.5 * i for i in range(30)], "c": ["a", "b", "c"] * 10,
    ...                    "y": [0.0, 1.0] * 15})
    >>> encode_batch(dataguard.fit(df, target="y"), df.head(2))
    {'x': tensor([0.0000, 0.5000], dtype=torch.float64), 'c': tensor([0, 1])}
    """
    out: dict[str, Tensor] = {}
    for name, values in pipe.encode(table).items():
        arr = values if values.flags.writeable else values.copy()
        t = torch.from_numpy(np.ascontiguousarray(arr))
        out[name] = t.to(device) if device is not None else t
    return out


def _check_inputs(inputs: Mapping[str, Tensor], names: Sequence[str], device: torch.device) -> int:
    """The common length of the input columns; :class:`InputError` naming a bad one."""
    n: int | None = None
    for name in names:
        if name not in inputs:
            raise InputError(
                f"TransformModule: input column {name!r} is missing; the module needs: "
                f"{', '.join(names)}"
            )
        t = inputs[name]
        if t.dim() != 1:
            raise InputError(
                f"TransformModule: column {name!r}: expected a 1-D tensor, got shape "
                f"{tuple(t.shape)}"
            )
        if t.device != device:
            raise InputError(
                f"TransformModule: column {name!r} is on {t.device}, the module on {device}; "
                f"move the batch with .to({str(device)!r})"
            )
        if n is None:
            n = t.shape[0]
        elif t.shape[0] != n:
            raise InputError(
                f"TransformModule: input columns differ in length: {names[0]!r} has {n} "
                f"rows, {name!r} has {t.shape[0]}"
            )
    return 0 if n is None else n


def _cast_saturating(out: Tensor, dtype: torch.dtype) -> Tensor:
    """``out`` in ``dtype``, finite values beyond its range becoming its max (not inf)."""
    if dtype == out.dtype:
        return out
    hi = torch.finfo(dtype).max
    return out.clamp(-hi, hi).to(dtype)


def _floating(dtype: torch.dtype) -> torch.dtype:
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ConfigError(
            f"TransformModule: dtype must be a floating torch dtype (torch.float32, ...), "
            f"got {dtype!r}"
        )
    return dtype


def _buffer_name(key: str, taken: set[str]) -> str:
    """``prog_<key>`` made an identifier (no dots), unique among ``taken``."""
    base = "prog_" + re.sub(r"\W", "_", key)
    name, i = base, 1
    while name in taken:
        name, i = f"{base}_{i}", i + 1
    return name
