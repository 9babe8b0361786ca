"""Output statistics: confidence intervals for means of replications or batches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """A mean with its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = 0.95) -> Interval:
    """Student-t confidence interval for the mean of independent observations.

    NaN values are dropped; with fewer than two observations the interval is NaN.
    """
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = int(x.size)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, n)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    h = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * sem
    return Interval(mean, mean - h, mean + h, n)


def within(interval: Interval, bounds: tuple[float, float]) -> Interval:
    """``interval`` truncated to ``bounds``, the range the quantity can take.

    The true value lies within its bounds, so the truncated interval contains it whenever
    the untruncated one does: its coverage is at least the nominal one, and it no longer
    shows impossible values (a share above 1, a negative wait).
    """
    low, high = bounds
    if math.isnan(interval.low):
        return interval
    return Interval(interval.mean, min(max(interval.low, low), high),
                    max(min(interval.high, high), low), interval.n)


def difference_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    """The range of a difference of two values of a quantity with ``bounds``."""
    low, high = bounds
    span = high - low
    return -span, span


def batch_means_interval(
    values: Sequence[float] | np.ndarray, confidence: float = 0.95
) -> Interval:
    """Confidence interval from batch means of one long run (batches treated as independent).

    The batches must be long compared with the output's correlation time; callers
    check this with :func:`lag1_autocorrelation`.
    """
    return t_interval(values, confidence)


def lag1_autocorrelation(values: Sequence[float] | np.ndarray) -> float:
    """Lag-1 autocorrelation of a series (near 0 when batches are long enough)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    if x.size < 3:
        return math.nan
    d = x - x.mean()
    denom = float(d @ d)
    return float(d[:-1] @ d[1:]) / denom if denom else 0.0
