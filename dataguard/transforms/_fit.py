"""Fit a plan: parameters from the profile, its row sample, and one streaming pass.

Where each fitted parameter comes from:

==========================  ==============================================================
impute median               the profile's row sample, after the column's earlier steps
clip fences                 Q1 - 3 IQR and Q3 + 3 IQR on the sample after earlier steps
robust scale                median and IQR on the sample after earlier steps
Yeo-Johnson lambda          maximum likelihood on the sample (golden-section search)
standardize                 exact mean and std: from the profile's moments when only
                            ``nonfinite``/``impute`` come before (closed form), else
                            from the streaming pass over the column's earlier steps
min-max                     exact min and max from the streaming pass
entity frame table          exact per-entity means from the streaming pass; the scaler
                            after it uses the pooled within-entity variance
==========================  ==============================================================

The streaming pass reads only the columns that need it, once (``engines.run_passes``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from dataguard.engines import run_passes
from dataguard.findings import Finding, Severity
from dataguard.io import Source
from dataguard.profile import ColumnProfile
from dataguard.report import ProfileReport
from dataguard.transforms._compile import compile_program
from dataguard.transforms._encode import Encoder
from dataguard.transforms._kernels import NumpyOps, run_program
from dataguard.transforms._plan import ColumnPlan
from dataguard.transforms._spec import NUMERIC_ORDER, SCALERS

__all__ = ["FLOAT16_MAX", "fit_plan"]

FLOAT16_MAX = 65504.0
#: A scale at or below this share of the column's magnitude counts as ~0 (never divided by).
_TINY_REL = 1e-12
_FAR = 3.0  # far-out fences: Q1 - 3 IQR, Q3 + 3 IQR (as DG108)
FloatArray = npt.NDArray[np.float64]


def _input_entry(c: ColumnProfile, p: ColumnPlan | None) -> dict[str, Any]:
    kind = (
        p.kind
        if p is not None and p.kind != "dropped"
        else ("categorical" if c.kind == "categorical" else "numeric")
    )
    entry: dict[str, Any] = {"name": c.name, "kind": kind, "dtype": c.dtype}
    if kind == "categorical":
        entry["levels"] = [_level(v) for v in (p.levels if p is not None else [])]
    return entry


def _level(v: Any) -> Any:
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


def fit_plan(
    report: ProfileReport, plans: Mapping[str, ColumnPlan], source: Source
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[Finding]]:
    """Fitted ``(inputs, columns, notes)``: the input entries, the fitted column dicts in
    column order, and findings about the fit itself (columns left unscaled)."""
    cols = {n: p for n, p in plans.items()}
    needed = _needed_inputs(cols)
    inputs = [_input_entry(report.columns[n], cols.get(n)) for n in needed]
    _key_levels(report, cols, inputs)
    notes: list[Finding] = []
    sample = report.profile.sample
    fitter = _SampleFitter(inputs, cols, sample)
    fitter.fit_impute(report)
    _fit_categorical_impute(cols)
    fitter.fit_yeo_johnson()
    fitter.fit_clip()
    fitter.fit_robust()
    _stream(report, cols, inputs, source, notes)
    columns = [_column_dict(p) for p in cols.values()]
    return inputs, columns, notes


def _fit_categorical_impute(cols: Mapping[str, ColumnPlan]) -> None:
    """A categorical ``impute`` fills with the most frequent level (levels are sorted by
    count, most frequent first)."""
    for p in cols.values():
        step = p.op("impute") if p.kind == "categorical" else None
        if step is None:
            continue
        if "value" not in step:
            if not p.levels:
                p.remove("impute")
                continue
            step["value"] = _level(p.levels[0])
        step.setdefault("strategy", "most_frequent")
        step.setdefault("indicator", False)


def _needed_inputs(cols: Mapping[str, ColumnPlan]) -> list[str]:
    """Kept columns plus the keys and roots their frames read, in column order."""
    used = {n for n, p in cols.items() if p.kind != "dropped"}
    for p in cols.values():
        f = p.op("local_frame")
        if f is not None:
            used.add(f["root"] if f["reference"] == "root" else f["key"])
    return [n for n in cols if n in used]


def _key_levels(
    report: ProfileReport, cols: Mapping[str, ColumnPlan], inputs: list[dict[str, Any]]
) -> None:
    """A text key read by an entity frame is encoded with the profile's levels."""
    keys = {
        f["key"]
        for p in cols.values()
        if (f := p.op("local_frame")) is not None and f["reference"] == "entity"
    }
    for entry in inputs:
        if entry["name"] in keys and report.columns[entry["name"]].kind == "categorical":
            c = report.columns[entry["name"]]
            entry["kind"] = "categorical"
            entry["levels"] = sorted(dict(c.values or c.top or {}), key=str)


def _column_dict(p: ColumnPlan) -> dict[str, Any]:
    out: dict[str, Any] = {"name": p.name, "kind": p.kind, "steps": p.steps}
    out["because"] = list(p.because)
    return out


def _prefix(
    inputs: Sequence[Mapping[str, Any]],
    cols: Mapping[str, ColumnPlan],
    names: Sequence[str],
    before: str,
) -> tuple[Any, list[str]]:
    """A program giving ``names``' values just before step ``before`` (steps earlier in
    the fixed order only, no indicator, no scaler), with the root columns it reads."""
    rank = NUMERIC_ORDER.index(before)
    frame_rank = NUMERIC_ORDER.index("local_frame")
    want = list(names)
    for n in names:
        f = cols[n].op("local_frame")
        if (
            f is not None
            and f["reference"] == "root"
            and rank > frame_rank
            and f["root"] not in want
        ):
            want.append(f["root"])
    colds = []
    for n in want:
        steps = []
        upto = rank if n in names else frame_rank  # a root is read as it is at its frame
        for s in cols[n].steps:
            if NUMERIC_ORDER.index(s["op"]) >= upto or s["op"] in (*SCALERS, "cyclic"):
                continue
            steps.append({**s, "indicator": False} if s["op"] == "impute" else s)
        colds.append({"name": n, "kind": "numeric", "steps": steps})
    numeric_inputs = [i for i in inputs if i["kind"] == "numeric" and i["name"] in want]
    return compile_program(numeric_inputs, colds), want


def _matrix(enc: Mapping[str, Any], names: Sequence[str]) -> FloatArray:
    """A fresh float64 matrix of encoded numeric columns."""
    X = np.empty((len(enc[names[0]]) if names else 0, len(names)), dtype=np.float64, order="F")
    for j, n in enumerate(names):
        X[:, j] = enc[n]
    return X


_NO_CODES = np.empty((0, 0), dtype=np.int64)


class _SampleFitter:
    """Fits the shape parameters on the profile's row sample, in step order."""

    def __init__(
        self, inputs: list[dict[str, Any]], cols: Mapping[str, ColumnPlan], sample: pa.Table
    ) -> None:
        self.inputs = inputs
        self.cols = cols
        self.sample = sample
        self.encoder = Encoder([i for i in inputs if i["kind"] == "numeric"])
        self._enc: dict[str, Any] | None = None

    def values(self, names: Sequence[str], before: str) -> dict[str, FloatArray]:
        if self._enc is None:
            self._enc = self.encoder.encode(self.sample)
        prog, want = _prefix(self.inputs, self.cols, names, before)
        X = _matrix(self._enc, prog.numeric_inputs)
        out = run_program(NumpyOps, prog, prog.arrays, X, _NO_CODES)
        return {n: out[:, want.index(n)] for n in names}

    def having(self, op: str) -> list[str]:
        return [n for n, p in self.cols.items() if p.kind == "numeric" and p.op(op)]

    def fit_impute(self, report: ProfileReport) -> None:
        names = self.having("impute")
        vals = self.values(names, "impute") if names and self.sample.num_rows else {}
        for n in names:
            step = self.cols[n].op("impute")
            assert step is not None
            c = report.columns[n]
            plain = not any(
                s["op"] in ("hhmm", "hhmmss", "yyyymmdd", "yyyymm", "sentinel")
                for s in self.cols[n].steps
            )
            x = vals.get(n, np.empty(0))
            x = x[np.isfinite(x)]
            if "value" in step:
                pass
            elif x.size:  # the row sample: every row of data up to 2^17 rows (exact)
                step["value"] = float(np.median(x))
            elif plain and c.quantiles and c.kind == "numeric":
                step["value"] = float(c.q(0.5))
            else:
                step["value"] = 0.0
            step.setdefault("strategy", "median")
            missing = c.n_rows - c.n_valid if c.kind == "numeric" else c.n_null
            step.setdefault("indicator", bool(missing) or not plain)

    def fit_yeo_johnson(self) -> None:
        names = [
            n
            for n in self.having("yeo_johnson")
            if "lambda" not in (self.cols[n].op("yeo_johnson") or {})
        ]
        if not names:
            return
        vals = self.values(names, "yeo_johnson")
        for n in names:
            step = self.cols[n].op("yeo_johnson")
            assert step is not None
            step["lambda"] = yeo_johnson_lambda(vals[n])

    def fit_clip(self) -> None:
        names = [n for n in self.having("clip") if "lower" not in (self.cols[n].op("clip") or {})]
        if not names:
            return
        vals = self.values(names, "clip")
        for n in names:
            step = self.cols[n].op("clip")
            assert step is not None
            x = vals[n][np.isfinite(vals[n])]
            if not x.size:
                self.cols[n].remove("clip")
                continue
            q1, q3 = np.quantile(x, [0.25, 0.75])
            lo, hi = q1 - _FAR * (q3 - q1), q3 + _FAR * (q3 - q1)
            if not hi > lo:  # no spread between the quartiles: clip nothing
                lo, hi = float(x.min()), float(x.max())
            step["lower"], step["upper"] = float(lo), float(hi)

    def fit_robust(self) -> None:
        names = [
            n
            for n in self.having("robust_scale")
            if "center" not in (self.cols[n].op("robust_scale") or {})
        ]
        if not names:
            return
        vals = self.values(names, "robust_scale")
        for n in names:
            step = self.cols[n].op("robust_scale")
            assert step is not None
            x = vals[n][np.isfinite(vals[n])]
            if not x.size:
                step["center"], step["scale"] = 0.0, 1.0
                continue
            q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
            tiny = _TINY_REL * max(1.0, abs(float(med)))
            scale = float(q3 - q1)
            if not scale > tiny:
                with np.errstate(over="ignore", invalid="ignore"):
                    scale = float(np.std(x))  # quartiles tie (zero-inflated): the std instead
            if not math.isfinite(scale):  # squares overflowed (values near 1e300)
                scale = float(np.max(np.abs(x)))
            step["center"] = float(med)
            step["scale"] = scale if tiny < scale < math.inf else 1.0


def yeo_johnson_lambda(x: FloatArray, lo: float = -3.0, hi: float = 5.0) -> float:
    """Maximum-likelihood Yeo-Johnson lambda of ``x`` (finite values), in ``[lo, hi]``.

    >>> rng = np.random.default_rng(0)
    >>> x = np.expm1(rng.normal(3.0, 0.5, 5000))  # log(1 + x) is normal: lambda ~ 0
    >>> abs(yeo_johnson_lambda(x)) < 0.05
    True
    """
    from dataguard.transforms._kernels import _yeo_johnson

    x = x[np.isfinite(x)]
    if x.size < 3 or np.ptp(x) == 0:
        return 1.0
    lp = np.sign(x) * np.log1p(np.abs(x))
    jac = float(lp.sum())

    def nll(lam: float) -> float:
        y = _yeo_johnson(NumpyOps, x, np.float64(lam))
        var = float(np.var(y))
        if not var > 0 or not math.isfinite(var):
            return math.inf
        return 0.5 * x.size * math.log(var) - (lam - 1.0) * jac

    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = nll(c), nll(d)
    for _ in range(60):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = nll(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = nll(d)
    return round((a + b) / 2, 6)


class _MomentPass:
    """Exact moments (and min/max) of some columns' pre-scale values, and per-entity moments
    of entity-framed columns' pre-frame values: the streaming half of the fit."""

    name = "transform-fit"

    def __init__(
        self,
        inputs: list[dict[str, Any]],
        cols: Mapping[str, ColumnPlan],
        moment_cols: list[str],
        entity_cols: list[str],
    ) -> None:
        self.moment_cols, self.entity_cols = moment_cols, entity_cols
        self.progs = []
        if moment_cols:
            self.progs.append(_prefix(inputs, cols, moment_cols, "standardize"))
        if entity_cols:
            self.progs.append(_prefix(inputs, cols, entity_cols, "local_frame"))
        self.keys = {n: cols[n].op("local_frame")["key"] for n in entity_cols}  # type: ignore[index]
        reads = [n for _, want in self.progs for n in want] + list(self.keys.values())
        entries = {i["name"]: i for i in inputs}
        self.encoder = Encoder([entries[n] for n in dict.fromkeys(reads)])
        self.columns = list(dict.fromkeys(reads))
        k = len(moment_cols)
        self.n = np.zeros(k)
        self.mean = np.zeros(k)
        self.m2 = np.zeros(k)
        self.lo = np.full(k, np.inf)
        self.hi = np.full(k, -np.inf)
        self.groups: dict[str, dict[Any, list[float]]] = {n: {} for n in entity_cols}

    def update(self, batch: pa.RecordBatch) -> None:
        enc = self.encoder.encode(batch)
        i = 0
        if self.moment_cols:
            prog, want = self.progs[0]
            X = _matrix(enc, prog.numeric_inputs)
            out = run_program(NumpyOps, prog, prog.arrays, X, _NO_CODES)
            self._moments(out[:, [want.index(n) for n in self.moment_cols]])
            i = 1
        if self.entity_cols:
            prog, want = self.progs[i]
            X = _matrix(enc, prog.numeric_inputs)
            out = run_program(NumpyOps, prog, prog.arrays, X, _NO_CODES)
            for n in self.entity_cols:
                self._entity(n, enc[self.keys[n]], out[:, want.index(n)])

    def _moments(self, x: FloatArray) -> None:
        ok = np.isfinite(x)
        nb = ok.sum(axis=0).astype(np.float64)
        xs = np.where(ok, x, 0.0)
        sb = xs.sum(axis=0)
        mb = np.divide(sb, nb, out=np.zeros_like(sb), where=nb > 0)
        m2b = (np.where(ok, x - mb, 0.0) ** 2).sum(axis=0)
        tot = self.n + nb
        delta = mb - self.mean
        w = np.divide(nb, tot, out=np.zeros_like(nb), where=tot > 0)
        self.mean = self.mean + delta * w
        self.m2 = self.m2 + m2b + delta**2 * self.n * w
        self.n = tot
        self.lo = np.minimum(self.lo, np.where(ok, x, np.inf).min(axis=0, initial=np.inf))
        self.hi = np.maximum(self.hi, np.where(ok, x, -np.inf).max(axis=0, initial=-np.inf))

    def _entity(self, name: str, key: Any, x: FloatArray) -> None:
        ok = np.isfinite(x) & ~_nan_key(key)
        keys, inv = np.unique(np.asarray(key)[ok], return_inverse=True)
        xv = x[ok]
        cnt = np.bincount(inv, minlength=len(keys)).astype(np.float64)
        s = np.bincount(inv, weights=xv, minlength=len(keys))
        mean = s / np.maximum(cnt, 1)
        m2 = np.bincount(inv, weights=(xv - mean[inv]) ** 2, minlength=len(keys))
        table = self.groups[name]
        for k, nb, mb, m2b in zip(keys.tolist(), cnt, mean, m2, strict=True):
            if k in table:
                na, ma, m2a = table[k]
                tot = na + nb
                d = mb - ma
                table[k] = [tot, ma + d * nb / tot, m2a + m2b + d * d * na * nb / tot]
            else:
                table[k] = [nb, mb, m2b]

    def result(self) -> dict[str, Any]:
        return {}


def _nan_key(key: Any) -> Any:
    k = np.asarray(key)
    return np.isnan(k) if k.dtype.kind == "f" else np.zeros(len(k), dtype=bool)


def _closed_form(p: ColumnPlan, c: ColumnProfile) -> tuple[float, float] | None:
    """(mean, std) after ``nonfinite``/``impute`` from the profile's exact moments."""
    before = [s["op"] for s in p.steps if s["op"] not in (*SCALERS, "cyclic")]
    if set(before) - {"nonfinite", "impute"} or c.kind != "numeric" or c.mean is None:
        return None
    imp = p.op("impute")
    n_fin = c.n_valid
    m = (c.n_rows - n_fin) if imp is not None and "nonfinite" in before else c.n_null
    if imp is None and c.n_rows != n_fin:
        return None
    std = c.std or 0.0
    if not m or imp is None:
        return c.mean, std
    v = float(imp["value"])
    n = n_fin + m
    mean = (n_fin * c.mean + m * v) / n
    var = (n_fin * std**2 + n_fin * (c.mean - mean) ** 2 + m * (v - mean) ** 2) / n
    return mean, math.sqrt(max(var, 0.0))


def _stream(
    report: ProfileReport,
    cols: Mapping[str, ColumnPlan],
    inputs: list[dict[str, Any]],
    source: Source,
    notes: list[Finding],
) -> None:
    """Fit the scalers (and entity tables): closed form where the profile's moments
    suffice, else from one streaming pass over the columns that need it."""
    moment_cols, closed = _moment_columns(report, cols)
    entity_cols = [
        n
        for n, p in cols.items()
        if (f := p.op("local_frame")) is not None and f["reference"] == "entity" and "keys" not in f
    ]
    stats: dict[str, tuple[float, float, float, float]] = {
        n: (m, s, math.nan, math.nan) for n, (m, s) in closed.items()
    }
    if moment_cols or entity_cols:
        mp = _MomentPass(inputs, cols, moment_cols, entity_cols)
        run_passes(source.select(mp.columns), [mp])
        for j, n in enumerate(moment_cols):
            std = math.sqrt(mp.m2[j] / mp.n[j]) if mp.n[j] else 0.0
            stats[n] = (float(mp.mean[j]), std, float(mp.lo[j]), float(mp.hi[j]))
        for n in entity_cols:
            _entity_table(n, cols[n], mp.groups[n], stats, inputs)
    for n, p in cols.items():
        _set_scaler(n, p, stats.get(n, (0.0, 0.0, math.nan, math.nan)), notes)


def _moment_columns(
    report: ProfileReport, cols: Mapping[str, ColumnPlan]
) -> tuple[list[str], dict[str, tuple[float, float]]]:
    """Columns whose scaler needs the streaming pass, and closed-form (mean, std) of the rest."""
    moment_cols: list[str] = []
    closed: dict[str, tuple[float, float]] = {}
    for n, p in cols.items():
        if p.kind != "numeric":
            continue
        st, mm, frame = p.op("standardize"), p.op("minmax"), p.op("local_frame")
        if st is not None and "center" not in st:
            cf = _closed_form(p, report.columns[n]) if frame is None else None
            if cf is not None:
                closed[n] = cf
            elif frame is None or frame["reference"] == "root":
                moment_cols.append(n)
        if mm is not None and "min" not in mm and n not in moment_cols:
            moment_cols.append(n)
    return moment_cols, closed


def _set_scaler(
    n: str, p: ColumnPlan, stat: tuple[float, float, float, float], notes: list[Finding]
) -> None:
    mean, std, lo, hi = stat
    if not math.isfinite(std):  # squares of values near 1e300 overflow: use the magnitude
        big = max(abs(lo), abs(hi)) if math.isfinite(lo) and math.isfinite(hi) else math.nan
        std = big if math.isfinite(big) else abs(mean)
    if not math.isfinite(mean):
        mean = 0.0
    st = p.op("standardize")
    if st is not None and "center" not in st:
        st["center"] = float(mean)
        if std > _TINY_REL * max(1.0, abs(mean)) and math.isfinite(std):
            st["scale"] = float(std)
        else:  # never divide by ~0: centre only, and say so
            st["scale"] = 1.0
            notes.append(_unscaled(n, mean, std))
    mm = p.op("minmax")
    if mm is not None and "min" not in mm:
        if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
            notes.append(_unscaled(n, lo, 0.0))
            lo = lo if math.isfinite(lo) else 0.0
            hi = lo + max(1.0, 4 * math.ulp(lo))  # a unit range (that still exceeds lo)
        mm["min"], mm["max"] = float(lo), float(hi)


def _entity_table(
    n: str,
    p: ColumnPlan,
    groups: Mapping[Any, list[float]],
    stats: dict[str, tuple[float, float, float, float]],
    inputs: list[dict[str, Any]],
) -> None:
    f = p.op("local_frame")
    assert f is not None
    entries = {i["name"]: i for i in inputs}
    key_entry = entries[f["key"]]
    items = sorted(groups.items())
    if key_entry["kind"] == "categorical":
        levels = key_entry["levels"]
        f["keys"] = [levels[int(k)] for k, _ in items if int(k) < len(levels)]
        items = [(k, v) for k, v in items if int(k) < len(levels)]
    else:
        f["keys"] = [_level(float(k)) for k, _ in items]
    f["offsets"] = [float(v[1]) for _, v in items]
    total = sum(v[0] for _, v in items)
    f["default"] = float(sum(v[0] * v[1] for _, v in items) / total) if total else 0.0
    f["unseen"] = "global_mean"
    within = math.sqrt(sum(v[2] for _, v in items) / total) if total else 0.0
    st = p.op("standardize")
    if st is not None and "center" not in st:
        stats[n] = (0.0, within, 0.0, 0.0)


def _unscaled(name: str, mean: float, std: float) -> Finding:
    return Finding(
        code="DG103",
        slug="near-constant",
        category="near_constant",
        severity=Severity.WARNING,
        columns=(name,),
        message=(
            f"Column {name!r}: expected a spread to scale by, found std {std:.3g} around "
            f"{mean:.6g} after the earlier steps; left unscaled (centred only) instead of "
            "dividing by ~0; drop it if it carries nothing"
        ),
        evidence={"mean": mean, "std": std},
        reason=(1,),
        fix={"transform": "drop"},
    )


def check_float16(names: Sequence[str], out: FloatArray) -> None:
    """Warn when transformed values exceed the float16 range (mixed precision overflows)."""
    if not out.size:
        return
    big = np.nanmax(np.abs(np.where(np.isfinite(out), out, 0.0)), axis=0)
    over = [(n, float(v)) for n, v in zip(names, big, strict=True) if v > FLOAT16_MAX]
    if over:
        shown = ", ".join(f"{n!r} (max |x| {v:.3g})" for n, v in over[:5])
        warnings.warn(
            f"transforms: output columns exceed the float16 range ({FLOAT16_MAX:g}): {shown}; "
            "float16 mixed-precision training will overflow them to inf",
            UserWarning,
            stacklevel=3,
        )
