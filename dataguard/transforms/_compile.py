"""Compile fitted column dicts into a vectorised :class:`~._kernels.Program`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from dataguard.errors import ConfigError
from dataguard.transforms._kernels import _KERNELS, SLOTS, Program, Stage

__all__ = ["compile_program"]


#: Numeric operations that may run on the whole matrix when they cover every column (the
#: frames read other columns, so they always gather).
_WHOLE = (frozenset(_KERNELS) - {"frame_root", "frame_table"}) | {"output"}


class _Builder:
    def __init__(self, n_numeric: int) -> None:
        self.n_numeric = n_numeric
        self.stages: list[Stage] = []
        self.arrays: dict[str, np.ndarray[Any, Any]] = {}
        self.produced: dict[int, list[str]] = {slot: [] for slot in SLOTS.values()}

    def outputs(self, op: str, names: list[str]) -> None:
        self.produced[SLOTS[op]] += names

    def add(
        self,
        op: str,
        idx: Sequence[int],
        arrays: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        keys: dict[str, str] = {}
        for name, value in (arrays or {}).items():
            key = f"s{len(self.stages)}_{name}"
            self.arrays[key] = np.asarray(value)
            keys[name] = key
        extra = dict(extra or {})
        if self.n_numeric and list(idx) == list(range(self.n_numeric)) and op in _WHOLE:
            extra["all"] = True  # the kernel runs on the whole matrix
        self.stages.append(Stage(op, tuple(idx), keys, extra))


def _sentinels(steps: list[Mapping[str, Any]]) -> dict[str, Any]:
    vals = [[float(v) for v in s["values"]] for s in steps]
    mat = np.full((len(vals), max(1, *(len(v) for v in vals))), np.nan)
    for i, v in enumerate(vals):
        mat[i, : len(v)] = v
    return {"values": mat}


def _vector(*keys: tuple[str, str]) -> Callable[[list[Mapping[str, Any]]], dict[str, Any]]:
    """Parameter arrays: ``(array name, step key)`` pairs, one entry per column."""
    return lambda steps: {a: np.array([float(s[k]) for s in steps]) for a, k in keys}


#: Numeric stages before the frame, and between the frame and the scaler, in order, with
#: the parameter arrays of each (None: no parameters).
_BEFORE_FRAME: tuple[
    tuple[str, Callable[[list[Mapping[str, Any]]], dict[str, Any]] | None], ...
] = (
    ("hhmm", None),
    ("hhmmss", None),
    ("yyyymmdd", None),
    ("yyyymm", None),
    ("sentinel", _sentinels),
)
_AFTER_FRAME: tuple[tuple[str, Callable[[list[Mapping[str, Any]]], dict[str, Any]] | None], ...] = (
    ("log1p", None),
    ("signed_log", None),
    ("yeo_johnson", _vector(("lam", "lambda"))),
    ("clip", _vector(("lo", "lower"), ("hi", "upper"))),
)


def compile_program(
    inputs: Sequence[Mapping[str, Any]], columns: Sequence[Mapping[str, Any]]
) -> Program:
    """The program that turns encoded inputs into the output columns, in their order."""
    numeric = [i["name"] for i in inputs if i["kind"] == "numeric"]
    categorical = [i["name"] for i in inputs if i["kind"] == "categorical"]
    levels = {i["name"]: i.get("levels", []) for i in inputs}
    nx = {n: j for j, n in enumerate(numeric)}
    nc = {n: j for j, n in enumerate(categorical)}
    num_cols = [c for c in columns if c["kind"] == "numeric"]
    cat_cols = [c for c in columns if c["kind"] == "categorical"]
    for cols, index, kind in ((num_cols, nx, "numeric"), (cat_cols, nc, "categorical")):
        for c in cols:
            if c["name"] not in index:
                raise ConfigError(f"transforms: column {c['name']!r} has no {kind} input entry")
    steps = {c["name"]: {s["op"]: s for s in c["steps"]} for c in num_cols + cat_cols}
    b = _Builder(len(numeric))

    def having(op: str) -> list[Mapping[str, Any]]:
        return [c for c in num_cols if op in steps[c["name"]]]

    def stages(table: Sequence[tuple[str, Any]]) -> None:
        for op, params in table:
            if cols := having(op):
                own = [steps[c["name"]][op] for c in cols]
                b.add(op, [nx[c["name"]] for c in cols], params(own) if params else None)

    stages(_BEFORE_FRAME)
    # nonfinite then impute is one stage, "impute_finite": non-finite values take the fill
    if cols := [c for c in having("nonfinite") if "impute" not in steps[c["name"]]]:
        b.add("nonfinite", [nx[c["name"]] for c in cols])
    if cols := [c for c in having("impute") if steps[c["name"]]["impute"].get("indicator")]:
        b.add("indicator", [nx[c["name"]] for c in cols])
        b.outputs("indicator", [f"{c['name']}__missing" for c in cols])
    for op, cols in (
        ("impute_finite", [c for c in having("impute") if "nonfinite" in steps[c["name"]]]),
        ("impute", [c for c in having("impute") if "nonfinite" not in steps[c["name"]]]),
    ):
        if cols:
            fill = [float(steps[c["name"]]["impute"]["value"]) for c in cols]
            b.add(op, [nx[c["name"]] for c in cols], {"fill": np.array(fill)})
    _frames(b, having("local_frame"), steps, nx, nc, levels)
    stages(_AFTER_FRAME)
    _scale_and_output(b, num_cols, steps, nx)
    _categorical(b, cat_cols, steps, nc, levels)
    order = [name for slot in sorted(b.produced) for name in b.produced[slot]]
    b.arrays["perm"] = np.arange(len(order), dtype=np.int64)
    return Program(numeric, categorical, b.stages, len(order), b.arrays, order)


def _scale_and_output(
    b: _Builder,
    num_cols: list[Mapping[str, Any]],
    steps: Mapping[str, Mapping[str, Mapping[str, Any]]],
    nx: Mapping[str, int],
) -> None:
    """The affine scalers (all three at once), the plain outputs, then sin/cos."""
    pairs = {c["name"]: _scaler(steps[c["name"]]) for c in num_cols}
    scaled = [(c["name"], p) for c in num_cols if (p := pairs[c["name"]]) is not None]
    if scaled:
        center = np.array([p[0] for _, p in scaled])
        inv = 1.0 / np.array([p[1] for _, p in scaled])
        b.add(
            "affine",
            [nx[n] for n, _ in scaled],
            {"center": center, "inv": inv},
        )
    if plain := [c["name"] for c in num_cols if "cyclic" not in steps[c["name"]]]:
        b.add("output", [nx[n] for n in plain])
        b.outputs("output", plain)
    if cyc := [c["name"] for c in num_cols if "cyclic" in steps[c["name"]]]:
        own = [steps[n]["cyclic"] for n in cyc]
        b.add(
            "cyclic", [nx[n] for n in cyc], _vector(("period", "period"), ("offset", "offset"))(own)
        )
        b.outputs("cyclic", [f"{n}__sin" for n in cyc] + [f"{n}__cos" for n in cyc])


def _scaler(steps: Mapping[str, Mapping[str, Any]]) -> tuple[float, float] | None:
    """(center, scale) of the column's affine scaler, if any."""
    if "standardize" in steps:
        s = steps["standardize"]
        return float(s["center"]), float(s["scale"])
    if "robust_scale" in steps:
        s = steps["robust_scale"]
        return float(s["center"]), float(s["scale"])
    if "minmax" in steps:
        s = steps["minmax"]
        return float(s["min"]), float(s["max"]) - float(s["min"])
    return None


def _period(step: Mapping[str, Any]) -> float:
    p = step.get("period")
    return float(p) if p else 0.0


def _frames(
    b: _Builder,
    cols: list[Mapping[str, Any]],
    steps: Mapping[str, Mapping[str, Mapping[str, Any]]],
    nx: Mapping[str, int],
    nc: Mapping[str, int],
    levels: Mapping[str, Sequence[Any]],
) -> None:
    roots = [c for c in cols if steps[c["name"]]["local_frame"]["reference"] == "root"]
    if roots:
        fs = [steps[c["name"]]["local_frame"] for c in roots]
        for c, f in zip(roots, fs, strict=True):
            if f.get("root") not in nx:
                raise ConfigError(
                    f"transforms: column {c['name']!r}: local_frame root {f.get('root')!r} "
                    "is not a numeric input"
                )
        period = np.array([_period(f) for f in fs])
        b.add(
            "frame_root",
            [nx[c["name"]] for c in roots],
            {"period": period},
            {"roots": tuple(nx[f["root"]] for f in fs), "wrap": bool((period > 0).any())},
        )
    groups: dict[tuple[str, tuple[Any, ...]], list[Mapping[str, Any]]] = {}
    for c in cols:
        f = steps[c["name"]]["local_frame"]
        if f["reference"] == "entity":
            groups.setdefault((f["key"], tuple(f["keys"])), []).append(c)
    for (key, keys), members in groups.items():
        if key in nx:
            kind, kpos = "numeric", nx[key]
            kvals = np.array([float(k) for k in keys])
        elif key in nc:
            kind, kpos = "categorical", nc[key]
            code = {v: i for i, v in enumerate(levels[key])}
            missing = [k for k in keys if k not in code]
            if missing:
                raise ConfigError(
                    f"transforms: local_frame key {key!r}: entity {missing[0]!r} is not "
                    "among the key column's levels"
                )
            kvals = np.array([float(code[k]) for k in keys])
        else:
            raise ConfigError(f"transforms: local_frame key {key!r} is not an input column")
        table = np.array(
            [[float(v) for v in steps[c["name"]]["local_frame"]["offsets"]] for c in members]
        ).T.reshape(len(kvals), len(members))
        if not len(kvals):  # no entity in the fitting data: one key that never matches
            kvals, table = np.array([np.nan]), np.zeros((1, len(members)))
        order = np.argsort(kvals, kind="stable")
        default = np.array([float(steps[c["name"]]["local_frame"]["default"]) for c in members])
        period = np.array([_period(steps[c["name"]]["local_frame"]) for c in members])
        b.add(
            "frame_table",
            [nx[c["name"]] for c in members],
            {
                "keys": kvals[order],
                "table": table[order],
                "default": default,
                "period": period,
            },
            {"key": kpos, "key_kind": kind, "wrap": bool((period > 0).any())},
        )


def _categorical(
    b: _Builder,
    cols: list[Mapping[str, Any]],
    steps: Mapping[str, Mapping[str, Mapping[str, Any]]],
    nc: Mapping[str, int],
    levels: Mapping[str, Sequence[Any]],
) -> None:
    """Codes are 0..k-1 for the levels and k for null or unseen values."""
    imputed = [c for c in cols if "impute" in steps[c["name"]]]
    if imputed:
        unknown = [len(levels[c["name"]]) for c in imputed]
        fill = []
        for c in imputed:
            value = steps[c["name"]]["impute"]["value"]
            lv = list(levels[c["name"]])
            if value not in lv:
                raise ConfigError(
                    f"transforms: column {c['name']!r}: impute value {value!r} is not a level"
                )
            fill.append(lv.index(value))
        b.add(
            "cat_impute",
            [nc[c["name"]] for c in imputed],
            {"unknown": np.array(unknown, dtype=np.int64), "fill": np.array(fill, dtype=np.int64)},
        )
    for c in cols:
        if "one_hot" in steps[c["name"]]:
            k = len(levels[c["name"]])
            b.add("one_hot", [nc[c["name"]]], {"levels": np.arange(k, dtype=np.int64)})
            b.outputs("one_hot", [f"{c['name']}={v}" for v in levels[c["name"]]])
    if cols := [c for c in cols if "one_hot" not in steps[c["name"]]]:
        b.add("ordinal", [nc[c["name"]] for c in cols])
        b.outputs("ordinal", [c["name"] for c in cols])
