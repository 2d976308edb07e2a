"""Profiling: mergeable column accumulators and the finalized :class:`Profile`.

The accumulators (``zero``/``update``/``merge``) live in ``_accumulators`` and
``_dataset``; their math, with sources, in ``_math``; ``finalize`` turns states into a
:class:`Profile` of :class:`ColumnProfile` records. Engines (``dataguard.engines``) decide
how batches reach the accumulators.
"""

from dataguard.profile._accumulators import accumulator_for, accumulator_from_state, column_kind
from dataguard.profile._dataset import DatasetAccumulator, column_words, fold_words
from dataguard.profile._math import Moments, batch_moments, merge_moments
from dataguard.profile._passes import SecondPass
from dataguard.profile._profile import QUANTILE_GRID, ColumnProfile, Profile, finalize
from dataguard.profile._sequences import SequencePass

__all__ = [
    "QUANTILE_GRID",
    "ColumnProfile",
    "DatasetAccumulator",
    "Moments",
    "Profile",
    "SecondPass",
    "SequencePass",
    "accumulator_for",
    "accumulator_from_state",
    "batch_moments",
    "column_kind",
    "column_words",
    "finalize",
    "fold_words",
    "merge_moments",
]
