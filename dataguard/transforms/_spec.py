"""The transform vocabulary: step names, their fixed order, parameters and output names.

A fitted column is a plain dict (the JSON artifact holds a list of them)::

    {"name": "price", "kind": "numeric", "steps": [{"op": "impute", ...}, ...],
     "outputs": ["price", "price__missing"], "because": ["DG101", "DG106"]}

Step order on one numeric column is fixed (:data:`NUMERIC_ORDER`); a plan that lists steps
in another order is rejected. A column is exactly one of: dropped (``drop``), numeric, or
categorical (``levels`` plus ``impute``/``one_hot``/``ordinal``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from dataguard.errors import ConfigError

__all__ = [
    "CATEGORICAL_ORDER",
    "NUMERIC_ORDER",
    "SCALERS",
    "check_column",
    "check_levels",
    "output_names",
]

#: The order of steps on one numeric column.
NUMERIC_ORDER: tuple[str, ...] = (
    "hhmm",
    "hhmmss",
    "yyyymmdd",
    "yyyymm",
    "sentinel",
    "nonfinite",
    "impute",
    "local_frame",
    "log1p",
    "signed_log",
    "yeo_johnson",
    "clip",
    "standardize",
    "robust_scale",
    "minmax",
    "cyclic",
)
CATEGORICAL_ORDER: tuple[str, ...] = ("impute", "one_hot", "ordinal")
DECODERS = ("hhmm", "hhmmss", "yyyymmdd", "yyyymm")
POWERS = ("log1p", "signed_log", "yeo_johnson")
SCALERS = ("standardize", "robust_scale", "minmax")
#: Steps at most one of which may appear on a column.
_EXCLUSIVE = (DECODERS, POWERS, (*SCALERS, "cyclic"), ("one_hot", "ordinal"))

#: Required parameters of each step (beyond ``op``), with their types.
_PARAMS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "hhmm": {},
    "hhmmss": {},
    "yyyymmdd": {},
    "yyyymm": {},
    "sentinel": {"values": list},
    "nonfinite": {},
    "impute": {"strategy": str, "value": (int, float, str), "indicator": bool},
    "local_frame": {"reference": str},
    "log1p": {},
    "signed_log": {},
    "yeo_johnson": {"lambda": (int, float)},
    "clip": {"lower": (int, float), "upper": (int, float)},
    "standardize": {"center": (int, float), "scale": (int, float)},
    "robust_scale": {"center": (int, float), "scale": (int, float)},
    "minmax": {"min": (int, float), "max": (int, float)},
    "cyclic": {"period": (int, float), "offset": (int, float)},
    "one_hot": {},
    "ordinal": {},
    "drop": {},
}


def _fail(column: str, message: str) -> ConfigError:
    return ConfigError(f"transforms: column {column!r}: {message}")


def check_column(col: Mapping[str, Any]) -> None:
    """Raise :class:`ConfigError` naming the column if a fitted column dict is malformed."""
    name = col.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"transforms: a column entry has no name: {dict(col)!r:.80}")
    kind = col.get("kind")
    if kind not in ("numeric", "categorical", "dropped"):
        raise _fail(name, f"kind must be numeric, categorical or dropped, got {kind!r}")
    steps = col.get("steps")
    if not isinstance(steps, list):
        raise _fail(name, f"steps must be a list, got {type(steps).__name__}")
    ops = [s.get("op") if isinstance(s, Mapping) else None for s in steps]
    for s, op in zip(steps, ops, strict=True):
        _check_types(name, op, s)
    if kind == "dropped":
        if ops != ["drop"]:
            raise _fail(name, f"a dropped column has the single step 'drop', got {ops}")
        return
    order = NUMERIC_ORDER if kind == "numeric" else CATEGORICAL_ORDER
    if any(op not in order for op in ops):
        bad = next(op for op in ops if op not in order)
        raise _fail(name, f"step {bad!r} does not apply to a {kind} column")
    ranks = [order.index(str(op)) for op in ops]
    if ranks != sorted(ranks) or len(set(ranks)) != len(ranks):
        raise _fail(name, f"steps {ops} are not in the fixed order {[o for o in order]}")
    for group in _EXCLUSIVE:
        both = [op for op in ops if op in group]
        if len(both) > 1:
            raise _fail(name, f"steps {both} exclude each other")
    _check_params(name, steps)


def check_levels(name: str, levels: Any) -> None:
    """Raise :class:`ConfigError` unless ``levels`` is a list of distinct str/int/float."""
    if not isinstance(levels, list) or not all(
        isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in levels
    ):
        raise _fail(name, f"'levels' must be a list of strings or numbers, got {levels!r:.80}")
    if len(set(map(_level_key, levels))) != len(levels):
        raise _fail(name, "'levels' has repeated values")


def _check_types(name: str, op: Any, s: Mapping[str, Any]) -> None:
    if op not in _PARAMS:
        raise _fail(name, f"unknown step {op!r}; known: {', '.join(_PARAMS)}")
    for key, typ in _PARAMS[op].items():
        v = s.get(key)
        if (isinstance(v, bool) and typ is not bool) or not isinstance(v, typ):
            raise _fail(name, f"step {op!r} needs {key!r} ({_tname(typ)}), got {v!r}")
        if isinstance(v, float) and not math.isfinite(v):
            raise _fail(name, f"step {op!r}: {key!r} must be finite, got {v!r}")


def _check_params(name: str, steps: Sequence[Mapping[str, Any]]) -> None:
    for s in steps:
        op = s["op"]
        if op in ("standardize", "robust_scale") and not s["scale"] > 0:
            raise _fail(name, f"step {op!r}: scale must be > 0, got {s['scale']!r}")
        if op == "minmax" and not s["max"] > s["min"]:
            raise _fail(name, f"step 'minmax': max must exceed min, got {s['min']}..{s['max']}")
        if op == "clip" and not s["upper"] >= s["lower"]:
            raise _fail(name, f"step 'clip': upper < lower ({s['lower']}..{s['upper']})")
        if op == "cyclic" and not s["period"] > 0:
            raise _fail(name, f"step 'cyclic': period must be > 0, got {s['period']!r}")
        if op == "local_frame" and s["reference"] not in ("root", "entity"):
            raise _fail(name, f"step 'local_frame': reference {s['reference']!r} not root/entity")


def _tname(t: type | tuple[type, ...]) -> str:
    if isinstance(t, tuple):
        return " or ".join(x.__name__ for x in t)
    return t.__name__


def _level_key(v: Any) -> tuple[str, Any]:
    return (type(v).__name__, v)


def output_names(col: Mapping[str, Any], levels: Sequence[Any] = ()) -> list[str]:
    """The output columns a fitted column produces, in order (``levels``: a categorical
    column's levels, from its input entry)."""
    name: str = col["name"]
    ops = {s["op"]: s for s in col["steps"]}
    if col["kind"] == "dropped":
        return []
    if col["kind"] == "categorical":
        out = [f"{name}={v}" for v in levels] if "one_hot" in ops else [name]
    elif "cyclic" in ops:
        out = [f"{name}__sin", f"{name}__cos"]
    else:
        out = [name]
    imp = ops.get("impute")
    if col["kind"] == "numeric" and imp is not None and imp.get("indicator"):
        out.append(f"{name}__missing")
    return out
