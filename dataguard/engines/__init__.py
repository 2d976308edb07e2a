"""Engines run the accumulators over a source's batches and merge their states.

Only the local engine exists now: it streams record batches, decoding on one core (a
prefetch thread; pyarrow releases the GIL) while the accumulators run on the other.
"""

from dataguard.engines._local import SAMPLE_ROWS, prefetch, profile_source, run_passes

__all__ = ["SAMPLE_ROWS", "prefetch", "profile_source", "run_passes"]
