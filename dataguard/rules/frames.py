"""Placeholder: filled in by the frames detectors (issue 3)."""

from __future__ import annotations

from dataguard.profile import Profile, SecondPass
from dataguard.rules._thresholds import Thresholds


def plan(
    profile: Profile, thresholds: Thresholds, order_by: str | None, group_by: str | None
) -> list[SecondPass]:
    """Second-pass accumulators this family needs (none yet)."""
    return []
