"""Every threshold the data rules use, in one place, each with its reason.

Precedence: ``--threshold NAME=VALUE`` on the command line (``thresholds=`` in Python), then
``[tool.dataguard.thresholds]`` in the nearest ``pyproject.toml``, then these defaults.
``docs/rules.md`` cites these names.

Examples
--------
>>> t = Thresholds().replace(scale_high=50.0)
>>> t.scale_high, Thresholds().scale_high
(50.0, 20.0)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from dataguard.errors import ConfigError

__all__ = ["Thresholds"]


@dataclass(frozen=True)
class Thresholds:
    """Thresholds of the data rules. Field docs say why each default is what it is."""

    #: DG101: robust scale (IQR/1.349) or |median| above this is "not unit scale". Inputs
    #: of order 20+ saturate tanh/sigmoid units at init and dominate the first layer's
    #: gradient; standardized data (1) and unit-norm data (<1) stay far below.
    scale_high: float = 20.0
    #: DG102: largest / smallest robust scale among inputs above this (three orders of
    #: magnitude): one learning rate cannot suit both.
    disparity_ratio: float = 1000.0
    #: DG103: std / |mean| below this: the values agree in their first 8 significant digits
    #: and differ in what is usually instrument or rounding noise (5 + N(0, 1e-9)). Set
    #: below float32's 6e-8 so a real spread under a large offset (float epoch seconds with
    #: a std of minutes: 1.7e9 + N(0, 100)) is DG105's (center it), not "drop it".
    #: Not applied to integer columns (exact in float64): their steps are real (timestamps).
    near_constant_rel: float = 1e-8
    #: DG103: std below this many steps of the column's own float type (float32 or float64)
    #: at its magnitude: standardized, the column has under 16 levels per unit, so the
    #: rounding of the stored values, not the data, sets what the network sees.
    near_constant_ulps: float = 16.0
    #: DG103 (info): one value holding at least this share: the rest standardize to |z|>30.
    dominant_share: float = 0.999
    #: DG104: robust scale and max |x| below these: a small-unit feature (rescale, keep it).
    small_scale: float = 1e-3
    small_max: float = 1e-2
    #: DG105: |mean| / std above this: the offset dominates; center in float64 first.
    offset_ratio: float = 1000.0
    #: DG105 (warning): float32 spacing at the column's largest |x| above this share of the
    #: std: float32 keeps fewer than 100 steps per std there.
    float32_resolution_share: float = 0.01
    #: DG108: far-out fences (Q1 - 3 IQR, Q3 + 3 IQR) crossed by the extremes by this many
    #: robust standard deviations from the median: a few points will dominate the loss.
    outlier_z: float = 50.0
    #: DG113: Fisher skewness above this, for non-negative values ...
    skew: float = 2.0
    #: DG113: ... and (q99 - q50) / (q50 - q1) above this (robust: not one outlier's doing).
    #: With half the values at the minimum (q1 == q50, zero inflation) it is measured on the
    #: values above the minimum as (q99 - q50) / (q50 - min): mostly-zero pixels 0..16 or rare
    #: counts 0..3 are not a tail a log fixes; zero-inflated amounts spanning decades are.
    tail_ratio: float = 8.0
    #: DG114: text columns with distinct/non-null above this share are identifiers.
    id_distinct_share: float = 0.95
    #: DG115: integer codes with at most this many levels may be categories.
    categorical_max_levels: int = 20
    #: DG116: text levels above this count are too many for one-hot.
    one_hot_max_levels: int = 100
    #: DG117: a regression target whose robust scale or |median| exceeds this, or whose
    #: robust scale is below ``target_scale_low``, is off unit scale.
    target_scale_high: float = 10.0
    target_scale_low: float = 1e-2
    #: DG118: minority / majority class share below this.
    imbalance_ratio: float = 0.1
    #: Classification is assumed for integer targets with at most this many levels ...
    max_classes_auto: int = 20
    #: ... and at least this many rows per level on average (also for DG115's codes): labels
    #: and codes repeat, while on a few rows any integer measurement has few levels
    #: (sklearn's linnerud: 20 body weights in 16 levels, 20 sit-up counts in 16).
    min_rows_per_level: int = 5
    #: DG124: fewer valid values than this and a column is not judged.
    min_values: int = 20
    #: DG125: text columns with this share (but not all) of numeric-looking values.
    mixed_numeric_share: float = 0.5

    def replace(self, **changes: Any) -> Thresholds:
        """A copy with some thresholds changed; unknown names are a :class:`ConfigError`."""
        known = {f.name: f for f in fields(self)}
        clean: dict[str, Any] = {}
        for key, value in changes.items():
            name = key.replace("-", "_")
            if name not in known:
                raise ConfigError(f"threshold {key!r} is not known; known: {', '.join(known)}")
            kind = type(getattr(self, name))
            try:
                clean[name] = kind(value)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"threshold {key!r}: expected a {kind.__name__}, got {value!r}"
                ) from None
        return dataclasses.replace(self, **clean)

    def to_dict(self) -> dict[str, Any]:
        """All thresholds by name."""
        return dataclasses.asdict(self)
