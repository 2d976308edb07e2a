"""The numerical math of the profile, in one place, with its sources.

* Moments. Per batch, the mean and the central sums ``M2 = Σ(x-m)²``, ``M3``, ``M4`` are
  computed two-pass (mean first, then centred powers), and batches are merged with the
  pairwise update of Chan, Golub & LeVeque (1979) for ``M2`` and its extension to the third
  and fourth moments by Pébay (2008), "Formulas for robust, one-pass parallel computation of
  covariances and arbitrary-order statistical moments", Sandia SAND2008-6212, eq. 2.1-2.3.
  The merge is exact in real arithmetic, commutative and associative; in floating point it
  is numerically stable (no catastrophic cancellation of ``Σx²`` against ``n·m²``).
* Quantiles. Apache DataSketches KLL (Karnin, Lang & Liberty 2016, "Optimal quantile
  approximation in streams"), fed a Bernoulli sample of rate ``r`` of the finite values.
  The normalized rank error is at most ``eps_kll(k)`` (the library's own 99%-confidence
  figure) plus the Dvoretzky-Kiefer-Wolfowitz bound for the sample,
  ``sqrt(ln(2/delta) / (2 n_s))`` with ``delta = 0.01`` (Massart 1990), where ``n_s`` is the
  sample size: :func:`rank_error_bound`.
* Hashing. splitmix64 (Steele, Lea & Flood 2014) mixes 64-bit words for row hashes.

Examples
--------
>>> import numpy as np
>>> a, b = np.array([1.0, 2.0, 4.0]), np.array([8.0, 16.0])
>>> ma, mb = batch_moments(a), batch_moments(b)
>>> m = merge_moments(ma, mb)
>>> bool(np.isclose(m.mean, np.mean(np.r_[a, b])))
True
>>> bool(np.isclose(m.m2 / m.n, np.var(np.r_[a, b])))
True
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "DKW_DELTA",
    "Moments",
    "batch_moments",
    "dkw_bound",
    "merge_moments",
    "rank_error_bound",
    "splitmix64",
]

FloatArray = npt.NDArray[np.float64]
U64Array = npt.NDArray[np.uint64]

#: Failure probability of the stated quantile bounds (both sketch and sampling parts).
DKW_DELTA = 0.01


@dataclass(frozen=True)
class Moments:
    """Count, mean and central sums of powers of deviations of finite values."""

    n: int = 0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0

    @property
    def variance(self) -> float:
        """Population variance (ddof=0); NaN when empty."""
        return self.m2 / self.n if self.n else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation (ddof=0)."""
        return math.sqrt(self.variance) if self.n else math.nan

    @property
    def skewness(self) -> float:
        """Fisher-Pearson coefficient g1 = sqrt(n) M3 / M2^1.5; NaN if no spread."""
        if self.n < 3 or not 0 < self.m2 < math.inf:
            return math.nan
        try:  # sums of cubes of values near 1e300 overflow: no shape measure then
            return float(math.sqrt(self.n) * self.m3 / self.m2**1.5)
        except (OverflowError, ZeroDivisionError):
            return math.nan

    @property
    def kurtosis(self) -> float:
        """Excess kurtosis g2 = n M4 / M2^2 - 3; NaN if no spread."""
        if self.n < 4 or not 0 < self.m2 < math.inf:
            return math.nan
        try:
            return self.n * self.m4 / (self.m2 * self.m2) - 3.0
        except (OverflowError, ZeroDivisionError):
            return math.nan


def batch_moments(x: FloatArray, huge: bool = False) -> Moments:
    """Two-pass moments of one batch of finite float64 values.

    The mean is a pairwise sum (numpy), the central sums are ``einsum`` reductions of the
    centred values: six passes over the batch, all in cache. (Not ``np.dot``: OpenBLAS
    spins up threads for it, and two processes' spinning threads tripled the wall time.)
    """
    n = int(x.size)
    if n == 0:
        return Moments()
    if huge:  # |x| near 1e300: powers overflow to inf (an errstate costs 20 us: only here)
        with np.errstate(over="ignore", invalid="ignore"):
            return _centred_moments(x, n)
    return _centred_moments(x, n)


_SCRATCH = threading.local()


def _scratch(n: int) -> tuple[FloatArray, FloatArray]:
    """Two reusable float64 buffers of length n (per thread): no allocation per batch."""
    bufs: tuple[FloatArray, FloatArray] | None = getattr(_SCRATCH, "bufs", None)
    if bufs is None or bufs[0].size < n:
        bufs = (np.empty(n), np.empty(n))
        _SCRATCH.bufs = bufs
    return bufs[0][:n], bufs[1][:n]


def _centred_moments(x: FloatArray, n: int) -> Moments:
    mean = float(x.sum()) / n
    d, d2 = _scratch(n)
    np.subtract(x, mean, out=d)
    np.multiply(d, d, out=d2)
    m2 = float(d2.sum())
    return Moments(n, mean, m2, float(np.einsum("i,i->", d2, d)), float(np.einsum("i,i->", d2, d2)))


def merge_moments(a: Moments, b: Moments) -> Moments:
    """Pébay's pairwise merge (commutative and associative)."""
    if a.n == 0:
        return b
    if b.n == 0:
        return a
    n = a.n + b.n
    delta = b.mean - a.mean
    da = delta * b.n / n  # the shift of a's mean
    # The mean moves towards the larger side: computing from the larger keeps it stable.
    mean = a.mean + da if a.n >= b.n else b.mean - delta * a.n / n
    na_nb = a.n * b.n
    m2 = a.m2 + b.m2 + delta * delta * na_nb / n
    m3 = (
        a.m3
        + b.m3
        + delta**3 * na_nb * (a.n - b.n) / (n * n)
        + 3.0 * delta * (a.n * b.m2 - b.n * a.m2) / n
    )
    m4 = (
        a.m4
        + b.m4
        + delta**4 * na_nb * (a.n * a.n - na_nb + b.n * b.n) / (n**3)
        + 6.0 * delta * delta * (a.n * a.n * b.m2 + b.n * b.n * a.m2) / (n * n)
        + 4.0 * delta * (a.n * b.m3 - b.n * a.m3) / n
    )
    return Moments(n, mean, m2, m3, m4)


def dkw_bound(n_sample: int, delta: float = DKW_DELTA) -> float:
    """DKW/Massart bound on the sup-distance between sample and population CDFs.

    >>> round(dkw_bound(131072), 4)
    0.0045
    """
    if n_sample <= 0:
        return 1.0
    return math.sqrt(math.log(2.0 / delta) / (2.0 * n_sample))


def rank_error_bound(kll_eps: float, n_sample: int, n_total: int) -> float:
    """Normalized rank error bound of a quantile: sketch plus sampling (0 if not sampled)."""
    sampling = 0.0 if n_sample >= n_total else dkw_bound(n_sample)
    return kll_eps + sampling


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64(x: U64Array) -> U64Array:
    """The splitmix64 finaliser, vectorised (uint64 array arithmetic wraps silently)."""
    z = x + _GOLDEN
    z ^= z >> np.uint64(30)
    z *= _M1
    z ^= z >> np.uint64(27)
    z *= _M2
    z ^= z >> np.uint64(31)
    return z
