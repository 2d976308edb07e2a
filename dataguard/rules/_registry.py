"""The registry: every data rule, by code, in one literal dict a reader can open.

A rule is a :class:`RuleSpec` (identity) plus a check ``ctx -> Iterator[Finding]``. Target
rules apply to ``--target`` columns, input rules to the others; the split lives in each check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from dataguard.findings import Finding
from dataguard.rules import (
    cyclic,
    frames,
    missing,
    near_constant,
    outliers,
    scale,
    sentinels,
    target,
    types,
)
from dataguard.rules._context import RuleContext, RuleSpec

__all__ = ["RULES", "Check"]

Check = Callable[[RuleContext], Iterator[Finding]]

RULES: dict[str, tuple[RuleSpec, Check]] = {
    "DG101": (scale.DG101, scale.unscaled),
    "DG102": (scale.DG102, scale.disparity),
    "DG103": (near_constant.DG103, near_constant.near_constant),
    "DG104": (scale.DG104, scale.small_unit),
    "DG105": (scale.DG105, scale.large_offset),
    "DG106": (missing.DG106, missing.missing),
    "DG107": (missing.DG107, missing.non_finite),
    "DG108": (outliers.DG108, outliers.outliers),
    "DG109": (sentinels.DG109, sentinels.sentinel_values),
    "DG110": (cyclic.DG110, cyclic.cyclic_feature),
    "DG111": (sentinels.DG111, sentinels.encoding_gap),
    "DG112": (frames.DG112, frames.global_frame),
    "DG113": (outliers.DG113, outliers.skewed),
    "DG114": (types.DG114, types.id_like),
    "DG115": (types.DG115, types.numeric_categorical),
    "DG116": (types.DG116, types.high_cardinality),
    "DG117": (target.DG117, target.target_scale),
    "DG118": (target.DG118, target.imbalance),
    "DG119": (target.DG119, target.label_encoding),
    "DG120": (types.DG120, types.duplicates),
    "DG123": (types.DG123, types.unprofiled),
    "DG124": (missing.DG124, missing.too_few),
    "DG125": (types.DG125, types.mixed),
    "DG126": (cyclic.DG126, cyclic.unordered_sequence),
}
