"""Expectations: each customer's adaptation to the quality received, and the market's rise.

A customer's expected quality moves towards the quality of each encounter
(adaptation level, Helson 1964; Oliver 1980), never above 1.  The market's
expectation rises constantly with competition (Kotelnikov: "customers' expectations
rise"): every active customer's expectation drifts up at each review, and new
customers arrive with the market's current expectation.
"""

from __future__ import annotations

import numpy as np

from sim.model.satisfaction import smooth


def adapt_expectation(expectation: float, quality: float, rate: float) -> float:
    """The expectation after an encounter of ``quality``: smoothed towards it, capped at 1."""
    adapted = smooth(expectation, quality, rate)
    return adapted if adapted < 1.0 else 1.0


def drift_expectations(expectation: np.ndarray, drift_per_year: float, years: float) -> None:
    """Market expectations rise constantly: in place, capped at 1."""
    if drift_per_year:
        np.minimum(expectation + drift_per_year * years, 1.0, out=expectation)


class MarketExpectation:
    """The expectation new customers bring: starts at the scenario's initial expectation and
    rises by the market drift at every review, capped at 1."""

    __slots__ = ("value",)

    def __init__(self, initial: float) -> None:
        self.value = initial

    def rise(self, drift: float) -> None:
        """One review's rise of ``drift``."""
        self.value = min(self.value + drift, 1.0)
