"""Planning the second pass: which extra statistics the rules need, from the first profile.

Each rule family that needs them contributes a ``plan`` function returning second-pass
accumulators (``dataguard.profile.SecondPass``); the API runs them all in one pass.
"""

from __future__ import annotations

from dataguard.profile import Profile, SecondPass
from dataguard.rules import cyclic, frames
from dataguard.rules._thresholds import Thresholds

__all__ = ["plan_passes"]


def plan_passes(
    profile: Profile, thresholds: Thresholds, order_by: str | None, group_by: str | None
) -> list[SecondPass]:
    """The second-pass accumulators the rules need for this profile (often none)."""
    return [
        *cyclic.plan(profile, thresholds, order_by, group_by),
        *frames.plan(profile, thresholds, order_by, group_by),
    ]
