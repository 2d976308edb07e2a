"""The transform kernels, written once for numpy and torch.

A fitted pipeline compiles to a :class:`Program`: a fixed sequence of *stages*, each applying
one operation to a set of columns of a float64 working matrix ``X`` (numeric inputs) or an
int64 code matrix ``C`` (categorical inputs), with one parameter vector entry per column.
Stages run in the documented step order (``STEP_ORDER``), so a column's steps run in that
order and columns sharing an operation are processed together, vectorised.

The kernels only call the operations of an ``ops`` object (:class:`NumpyOps` here; the torch
adapter supplies its own with the same names), so the numpy reference path, the
scikit-learn estimator and the torch module run the same arithmetic by construction.

Every kernel maps finite input to finite output on its own (no final ``nan_to_num``):
``log1p`` clamps at its fitted floor 0, Yeo-Johnson caps its exponent at 700, the affine
scalers saturate at the largest finite double (their arithmetic can overflow only for
inputs near 1e308), and the periodic kernels reduce with ``fmod`` first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["F64_MAX", "NumpyOps", "Program", "Stage", "run_program"]

F64_MAX = float(np.finfo(np.float64).max)
#: Largest exponent Yeo-Johnson may pass to ``expm1`` (e**700 ~ 1e304: finite after dividing
#: by any exponent >= 1e-4, and exponents below that cannot reach it).
_YJ_MAX_EXP = 700.0
_TAU = 2.0 * math.pi


@dataclass(frozen=True)
class Stage:
    """One operation on some columns: ``idx`` into X (or C for ``cat_*``/``one_hot``/
    ``ordinal``); ``arrays`` maps a parameter name to the key of its array in the program."""

    op: str
    idx: tuple[int, ...]
    arrays: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Program:
    """A compiled pipeline: input layout, stages, output layout and parameter arrays."""

    numeric_inputs: list[str]
    categorical_inputs: list[str]
    stages: list[Stage]
    n_outputs: int
    arrays: dict[str, np.ndarray[Any, Any]]
    #: The output column names, in order (the blocks' slot order).
    output_columns: list[str] = field(default_factory=list)
    #: An array every program has (``arange(n_outputs)``); adapters use it to find the device.
    perm_key: str = "perm"


class NumpyOps:
    """The operations the kernels use, for numpy arrays."""

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return np.where(cond, a, b)

    isnan = staticmethod(np.isnan)
    isfinite = staticmethod(np.isfinite)

    @staticmethod
    def log1p(x: Any) -> Any:
        return np.log1p(x, out=x)  # in place: the kernels pass arrays they own

    expm1 = staticmethod(np.expm1)
    sin = staticmethod(np.sin)
    cos = staticmethod(np.cos)
    floor = staticmethod(np.floor)
    abs = staticmethod(np.abs)
    sign = staticmethod(np.sign)
    fmod = staticmethod(np.fmod)

    # The kernels pass a first argument they own (a fresh array): these may overwrite it,
    # which saves an allocation (and its page faults) per operation on large blocks.

    @staticmethod
    def maximum(x: Any, lo: Any) -> Any:
        return np.maximum(x, lo, out=x)

    @staticmethod
    def minimum(x: Any, hi: Any) -> Any:
        return np.minimum(x, hi, out=x)

    @staticmethod
    def clip(x: Any, lo: Any, hi: Any) -> Any:
        np.maximum(x, lo, out=x)
        return np.minimum(x, hi, out=x)

    @staticmethod
    def affine(x: Any, center: Any, inv: Any) -> Any:
        """``(x - center) * inv``, saturating at +-F64_MAX (x - center and the product may
        overflow only for |x| near 1e308; the check is one read, the clamp rarely runs)."""
        np.subtract(x, center, out=x)
        np.multiply(x, inv, out=x)
        if np.isinf(x).any():
            np.clip(x, -F64_MAX, F64_MAX, out=x)
        return x

    @staticmethod
    def fill_nonfinite(x: Any, fill: Any) -> Any:
        """``x`` with its NaN and +-inf replaced by ``fill`` (per column)."""
        bad = ~np.isfinite(x)
        cols = np.flatnonzero(bad.any(axis=0))  # usually few columns have anything to fill
        for j in cols.tolist():
            np.copyto(x[:, j], fill[j], where=bad[:, j])
        return x

    @staticmethod
    def any_last(x: Any) -> Any:
        return x.any(axis=-1)

    @staticmethod
    def to_float(x: Any) -> Any:
        return x.astype(np.float64)

    @staticmethod
    def take_cols(x: Any, idx: list[int]) -> Any:
        """Columns ``idx``: row gathers of the transpose, fast for column-major ``x``."""
        return x.T[idx].T

    @staticmethod
    def put_cols(x: Any, idx: list[int], values: Any) -> None:
        x.T[idx] = values.T

    @staticmethod
    def cat(blocks: Sequence[Any], n: int) -> Any:
        """The blocks side by side, as a column-major ``[n, k]`` array (each output column
        contiguous: the blocks are column-major too, so every copy is a contiguous one)."""
        out = np.empty((sum(b.shape[1] for b in blocks), n), dtype=np.float64)
        j = 0
        for b in blocks:
            out[j : j + b.shape[1]] = b.T
            j += b.shape[1]
        return out.T

    @staticmethod
    def searchsorted(sorted_keys: Any, values: Any) -> Any:
        return np.searchsorted(sorted_keys, values)

    @staticmethod
    def clamp_index(idx: Any, hi: int) -> Any:
        return np.minimum(idx, hi)


#: Where each output block goes: scaled numbers, missing indicators, sin/cos, one-hot, codes.
SLOTS = {"output": 0, "indicator": 1, "cyclic": 2, "one_hot": 3, "ordinal": 4}


def run_program(ops: Any, prog: Program, arrays: Mapping[str, Any], X: Any, C: Any) -> Any:
    """Apply ``prog`` to the working matrices; a float64 ``[n, n_outputs]`` result.

    ``X`` (float64 ``[n, len(numeric_inputs)]``, best column-major for numpy) and ``C`` are
    modified in place: pass copies. The output blocks are concatenated in slot order
    (``SLOTS``), which is the pipeline's output column order: no column gather at the end.
    """
    n = X.shape[0] if len(prog.numeric_inputs) else C.shape[0]
    blocks: list[tuple[int, Any]] = []
    for st in prog.stages:
        idx = list(st.idx)
        a = {k: arrays[v] for k, v in st.arrays.items()}
        op = st.op
        slot = SLOTS.get(op, -1)
        if op == "output":
            blocks.append((slot, X if st.extra.get("all") else ops.take_cols(X, idx)))
        elif op == "indicator":  # null, NaN, +-inf (and sentinels, already NaN) alike
            blocks.append((slot, ops.to_float(~ops.isfinite(ops.take_cols(X, idx)))))
        elif op == "cyclic":
            x = ops.take_cols(X, idx)
            r = ops.fmod(x - a["offset"], a["period"]) * (_TAU / a["period"])
            blocks.append((slot, ops.sin(r)))
            blocks.append((slot, ops.cos(r)))
        elif op == "one_hot":
            c = C[:, idx[0] : idx[0] + 1]
            blocks.append((slot, ops.to_float(c == a["levels"])))
        elif op == "ordinal":
            blocks.append((slot, ops.to_float(C[:, idx])))
        elif op == "cat_impute":
            c = C[:, idx]
            C[:, idx] = ops.where(c == a["unknown"], a["fill"], c)
        elif st.extra.get("all"):  # every numeric column, in order: no gather or scatter
            X = _numeric(ops, op, X, X, a, st.extra, C)
        else:
            ops.put_cols(X, idx, _numeric(ops, op, X, ops.take_cols(X, idx), a, st.extra, C))
    blocks.sort(key=lambda b: b[0])  # stable: stage order within a slot
    return ops.cat([b for _, b in blocks], n)


def _numeric(
    ops: Any, op: str, X: Any, x: Any, a: Mapping[str, Any], extra: Mapping[str, Any], C: Any
) -> Any:
    """The new values of the stage's columns ``x`` (``X``/``C`` for reading other columns)."""
    kernel = _KERNELS.get(op)
    if kernel is None:
        raise ValueError(f"transform program: unknown operation {op!r}")
    return kernel(ops, x, a, extra, X, C)


def _hhmm(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    h = ops.floor(x / 100.0)
    return h * 60.0 + (x - h * 100.0)


def _hhmmss(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    h = ops.floor(x / 10000.0)
    rest = x - h * 10000.0
    m = ops.floor(rest / 100.0)
    return h * 3600.0 + m * 60.0 + (rest - m * 100.0)


def _yyyymmdd(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    y = ops.floor(x / 10000.0)
    m = ops.floor((x - y * 10000.0) / 100.0)
    d = x - y * 10000.0 - m * 100.0
    return _days_from_civil(ops, y, m, d)


def _yyyymm(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    y = ops.floor(x / 100.0)
    m = x - y * 100.0
    return (y - 1970.0) * 12.0 + (m - 1.0)


def _sentinel(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    hit = ops.any_last(x[:, :, None] == a["values"])
    return ops.where(hit, math.nan, x)


def _nonfinite(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return ops.where(ops.isfinite(x), x, math.nan)


def _impute(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return ops.where(ops.isnan(x), a["fill"], x)


def _impute_finite(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    """``nonfinite`` then ``impute`` in one pass."""
    return ops.fill_nonfinite(x, a["fill"])


def _frame_root(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    d = x - ops.take_cols(X, list(extra["roots"]))
    return _wrap(ops, d, a["period"]) if extra["wrap"] else d


def _frame_table(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    """Subtract the fitted offset of the row's entity (the default for unseen entities)."""
    numeric_key = extra["key_kind"] == "numeric"
    key = X[:, extra["key"]] if numeric_key else ops.to_float(C[:, extra["key"]])
    keys = a["keys"]
    pos = ops.clamp_index(ops.searchsorted(keys, key), keys.shape[0] - 1)
    found = keys[pos] == key
    ref = ops.where(found[:, None], a["table"][pos], a["default"])
    d = x - ref
    return _wrap(ops, d, a["period"]) if extra["wrap"] else d


def _log1p(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return ops.log1p(ops.maximum(x, 0.0))  # fitted on values >= 0: below 0 clamps to 0


def _signed_log(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return ops.sign(x) * ops.log1p(ops.abs(x))


def _yj(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return _yeo_johnson(ops, x, a["lam"])


def _clip(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    return ops.clip(x, a["lo"], a["hi"])


def _affine(ops: Any, x: Any, a: Any, extra: Any, X: Any, C: Any) -> Any:
    """``(x - center) * inv`` saturating at +-F64_MAX: finite for every finite ``x``."""
    return ops.affine(x, a["center"], a["inv"])


_KERNELS = {
    "hhmm": _hhmm,
    "hhmmss": _hhmmss,
    "yyyymmdd": _yyyymmdd,
    "yyyymm": _yyyymm,
    "sentinel": _sentinel,
    "nonfinite": _nonfinite,
    "impute": _impute,
    "impute_finite": _impute_finite,
    "frame_root": _frame_root,
    "frame_table": _frame_table,
    "log1p": _log1p,
    "signed_log": _signed_log,
    "yeo_johnson": _yj,
    "clip": _clip,
    "affine": _affine,
}


def _wrap(ops: Any, d: Any, period: Any) -> Any:
    """Differences of a periodic quantity into [-period/2, period/2) (period 0: unchanged)."""
    p = ops.where(period > 0, period, 1.0)
    r = ops.fmod(d, p)
    r = ops.where(r >= p / 2, r - p, ops.where(r < -p / 2, r + p, r))
    return ops.where(period > 0, r, d)


def _days_from_civil(ops: Any, y: Any, m: Any, d: Any) -> Any:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y = y - ops.where(m <= 2.0, 1.0, 0.0)
    era = ops.floor(y / 400.0)
    yoe = y - era * 400.0
    mp = ops.where(m > 2.0, m - 3.0, m + 9.0)
    doy = ops.floor((153.0 * mp + 2.0) / 5.0) + d - 1.0
    doe = yoe * 365.0 + ops.floor(yoe / 4.0) - ops.floor(yoe / 100.0) + doy
    return era * 146097.0 + doe - 719468.0


def _yeo_johnson(ops: Any, x: Any, lam: Any) -> Any:
    """Yeo-Johnson with one lambda per column, via ``expm1(a * log1p(|x|)) / a``."""
    pos = x >= 0
    lp = ops.log1p(ops.abs(x))
    a = ops.where(pos, lam, 2.0 - lam)
    small = ops.abs(a) < 1e-12
    safe = ops.where(small, 1.0, a)
    val = ops.where(small, lp, ops.expm1(ops.minimum(a * lp, _YJ_MAX_EXP)) / safe)
    return ops.where(pos, val, -val)


def yeo_johnson_inverse(y: np.ndarray[Any, Any], lam: float) -> np.ndarray[Any, Any]:
    """Inverse Yeo-Johnson for one column (numpy; used for target inverses and tests)."""
    out = np.empty_like(y)
    pos = y >= 0
    if abs(lam) < 1e-12:
        out[pos] = np.expm1(y[pos])
    else:
        out[pos] = np.exp(np.log1p(lam * y[pos]) / lam) - 1
    if abs(2 - lam) < 1e-12:
        out[~pos] = -np.expm1(-y[~pos])
    else:
        out[~pos] = 1 - np.exp(np.log1p(-(2 - lam) * y[~pos]) / (2 - lam))
    return out
