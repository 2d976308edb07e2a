"""Derived measures the rules share (robust scale, binary, skew, ...), computed from a
:class:`~dataguard.profile.ColumnProfile`."""

from __future__ import annotations

import math
import re

from dataguard.profile import ColumnProfile

__all__ = [
    "fmt",
    "is_binary",
    "is_constant",
    "name_tokens",
    "name_words",
    "robust_scale",
    "tail_ratio",
]

_SPLIT = re.compile(r"[^0-9a-zA-Z]+|(?<=[a-z])(?=[A-Z])")


def robust_scale(col: ColumnProfile) -> float:
    """IQR / 1.349 (the std of a normal), falling back to the std when the IQR is zero."""
    iqr = col.iqr or 0.0
    if iqr > 0:
        return iqr / 1.349
    return float(col.std or 0.0)


def is_binary(col: ColumnProfile) -> bool:
    """At most two distinct values (exactly counted)."""
    return bool(col.distinct_exact and col.n_distinct is not None and col.n_distinct <= 2)


def is_constant(col: ColumnProfile) -> bool:
    """Exactly one distinct valid value."""
    return col.n_valid > 0 and col.min == col.max


def tail_ratio(col: ColumnProfile) -> float:
    """(q99 - q50) / (q50 - q01): above 1 the upper tail is longer than the lower."""
    lo, mid, hi = col.q(0.01), col.q(0.5), col.q(0.99)
    below = mid - lo
    if below <= 0:
        return math.inf if hi > mid else 1.0
    return (hi - mid) / below


def name_words(name: str) -> list[str]:
    """Lower-case words of a column name in order (snake, kebab, camel case).

    >>> name_words("amountPaid_usd")
    ['amount', 'paid', 'usd']
    """
    return [t.lower() for t in _SPLIT.split(name) if t]


def name_tokens(name: str) -> set[str]:
    """Lower-case word tokens of a column name (snake, kebab, camel case).

    >>> sorted(name_tokens("userId_hash"))
    ['hash', 'id', 'user']
    """
    return set(name_words(name))


def fmt(x: float | int | None) -> str:
    """A number for a message: 4 significant digits."""
    if x is None:
        return "n/a"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{x:.4g}"
