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
    #: DG112: share of a coordinate group's variance (pooled over its axes) lying between the
    #: entities of a key, from which the positions say mostly *where* each entity is, not what
    #: it does: at 1/2 the entities' places vary as much as all that happens within an entity
    #: (its motion, its pose) together; beyond, the place is most of what a network sees.
    #: Local-frame data (joints relative to the root) stays near 0, and entities that share
    #: one area (each covering the range of all) near 1 / (rows per entity).
    frame_between_share: float = 0.5
    #: DG112: rows per entity a key needs on average: k groups of random rows "explain"
    #: (k - 1) / (N - 1), about 1 / (rows per entity), of any column's variance by chance;
    #: at 10 that is a tenth, far below ``frame_between_share``.
    frame_min_rows_per_entity: int = 10
    #: DG112: groups counted per key in the second pass (memory: (groups + 1) x (coordinate
    #: columns + 1) float64 per key, 2 MB for 60 columns); a key with more groups is dropped
    #: (the pass result says so). Integer keys qualify only with exactly counted values (the
    #: first pass counts up to 1,024 integer and 10,000 text levels exactly).
    frame_max_groups: int = 4096
    #: DG112: candidate keys summed in the second pass when no --group-by is given: each costs
    #: one more pass over every coordinate column's values (in memory, not read again).
    frame_max_keys: int = 4
    #: DG109: a value is a sentinel candidate when it holds at least this share of the valid
    #: values (0.1%; on the row sample when values are not counted exactly): a code for
    #: "missing" that rare hardly moves a fit, and below it single values of a long tail
    #: (a price repeated a few times) would be candidates.
    sentinel_min_share: float = 0.001
    #: DG109: ... and at least this many rows (in the sample when estimated): on small data
    #: a value seen twice is not a spike.
    sentinel_min_count: int = 5
    #: DG109: ... and at least this many times the count of the most common other value
    #: within half its distance from the bulk: a magic code is a lone spike, while a discrete
    #: tail (12 children next to 11 and 13) or a far cluster of levels repeats around it.
    sentinel_spike_ratio: float = 20.0
    #: DG109: distance beyond the bulk's q01..q99 (quantiles without the suspects), in
    #: robust std of the bulk, from which a spike counts as "far outside". 3 puts it at
    #: least 5.3 std from the median of normal data, where one draw in ten million lies
    #: (and none repeat as a spike); a capped maximum (ages up to 89 and 99 for "unknown",
    #: an income top-coded at its q99) stays within.
    sentinel_min_z: float = 3.0
    #: DG111: fewer distinct values than this are no evidence of an encoding: 16 uniform
    #: integers in 0..2359 avoid minutes 60..99 by chance with probability 0.6^16 = 3e-4.
    encoding_min_distinct: int = 16
    #: DG111 (clock times): at least this many hours, each holding at least
    #: ``encoding_min_hour_share`` of the values: years 2000..2024 read as HHMM are all
    #: hour 20, small counts all hour 0, and a few large outliers of a count are no hours.
    encoding_min_hours: int = 4
    encoding_min_hour_share: float = 0.01
    #: DG111 (clock times): at least this many distinct minute values: quarter-hour
    #: schedules (00/15/30/45) count; multiples of 50 or 100 ({00, 50}) show no minutes.
    encoding_min_minutes: int = 4
    #: DG110: each end band of a cyclic domain is this share of the period wide (18 of 360
    #: degrees; for whole numbers at least one level: hour 23 and hour 0). Values near both
    #: ends are values the linear encoding puts a period apart although they are neighbours.
    cyclic_end_band: float = 0.05
    #: DG110: each end band must hold at least this share of the values. Uniform angles hold
    #: 5% per band, uniform hours 4.2%; a normal N(180, 50) that happens to lie in [0, 360)
    #: holds 0.2%: its values never meet across the seam, so a linear encoding is harmless.
    cyclic_end_share: float = 0.01
    #: DG110 (--order-by): a wrap jump is a step whose linear difference exceeds half the
    #: period while its circular distance is below this share of the period (359 -> 1:
    #: 358 vs 2). A reset to 0 from the middle of the range (a circular distance near half
    #: the period) is not a wrap.
    cyclic_wrap_distance: float = 0.25
    #: DG110: at least this many wrap jumps count as evidence without a name hint: one or two
    #: seam crossings can be resets by chance; three that each look like an ordinary step are
    #: a pattern.
    cyclic_min_wraps: int = 3
    #: DG110: ... and at least this share of the steps longer than half the period must be
    #: wraps. Independent values spread over the domain make only 25% of their long steps
    #: wraps (|d| > 3/4 P against |d| > P/2); a periodic signal sampled often enough, nearly
    #: all of them.
    cyclic_wrap_jump_share: float = 0.8
    #: DG110: ... and the wraps' mean circular distance must be at most this many times the
    #: mean non-zero ordinary step: crossing the seam is then an ordinary step. Irregular
    #: (exponential) sampling makes seam-crossing steps about twice the mean step, since long
    #: gaps cross more often; a days-since counter that resets from 300 to 0 in steps of 1
    #: has wraps 60x its steps.
    cyclic_wrap_step_ratio: float = 5.0
    #: DG126: rows go back in --order-by within a group in more than this share of steps.
    #: Zero: one backward step means the file is not sorted by the key, and every statistic
    #: of consecutive rows (wrap jumps; lags, differences in training) mixes unrelated rows.
    sequence_backward_share: float = 0.0

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
