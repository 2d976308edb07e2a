"""Planning the second pass: which extra statistics the rules need, from the first profile.

Each rule family that needs them contributes a ``plan`` function returning second-pass
accumulators (``dataguard.profile.SecondPass``); the API runs them all in one pass.
"""

from __future__ import annotations

from collections.abc import Collection

from dataguard.profile import Profile, SecondPass
from dataguard.rules import cyclic, frames
from dataguard.rules._thresholds import Thresholds

__all__ = ["plan_passes"]


def plan_passes(
    profile: Profile,
    thresholds: Thresholds,
    order_by: str | None,
    group_by: str | None,
    codes: Collection[str] | None = None,
) -> list[SecondPass]:
    """The second-pass accumulators the selected rules (all if None) need (often none)."""

    def wanted(*needs: str) -> bool:
        return codes is None or any(c in codes for c in needs)

    passes: list[SecondPass] = []
    if wanted("DG110", "DG126"):
        passes += cyclic.plan(profile, thresholds, order_by, group_by)
    if wanted("DG112"):
        passes += frames.plan(profile, thresholds, order_by, group_by)
    return passes
