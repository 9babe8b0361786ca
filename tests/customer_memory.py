"""Measuring customers' memory on simulated customers (a test helper).

Snapshots of every customer's cumulative satisfaction and last likelihood to recommend
are taken at each review of a behaviour-mode run; from them, the persistence targets of
Bolton (1998) and Reichheld (2003): how a customer's satisfaction correlates with their
own a year later, and how many promoters are promoters again a quarter later.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_YEAR
from sim.model.population import ACTIVE
from sim.model.satisfaction import PROMOTER_MIN_SCORE
from sim.model.system import ServiceSystem, behaviour_summary
from sim.scenario import Scenario


@dataclass
class Snapshot:
    """The customers' state at one review."""

    years: float
    active: np.ndarray
    satisfaction: np.ndarray
    recommend: np.ndarray


def snapshot_run(scenario: Scenario, replication: int = 0) -> tuple[list[Snapshot], Any]:
    """Run ``scenario`` and snapshot the population just after every review; returns the
    snapshots and the run's summary."""
    system = ServiceSystem(scenario, replication)
    ctx = system.ctx
    assert ctx is not None
    snaps: list[Snapshot] = []

    def watch() -> Generator[simpy.Event, Any, None]:
        while True:
            yield system.env.timeout(system.period_hours)
            with ctx.population.np("status", "satisfaction", "recommend") as col:
                snaps.append(Snapshot(system.env.now / HOURS_PER_YEAR,
                                      col["status"] == ACTIVE,
                                      col["satisfaction"].astype(float),
                                      col["recommend"].astype(int)))

    system.env.process(watch())
    system.env.run(until=system.review)
    return snaps, behaviour_summary(ctx)


def _pairs(snaps: list[Snapshot], lag_years: float, warmup: float) -> list[tuple[Snapshot,
                                                                               Snapshot]]:
    """Pairs of snapshots ``lag_years`` apart (nearest review), the first after warm-up."""
    times = np.array([s.years for s in snaps])
    pairs = []
    for s in snaps:
        if s.years < warmup:
            continue
        j = int(np.argmin(np.abs(times - (s.years + lag_years))))
        if abs(times[j] - s.years - lag_years) < 0.05:
            pairs.append((s, snaps[j]))
    return pairs


def satisfaction_autocorrelation(snaps: list[Snapshot], lag_years: float,
                                 warmup: float) -> float:
    """Correlation of a customer's cumulative satisfaction with their own ``lag_years``
    later, among customers active and rated at both times (pooled over pairs of reviews)."""
    x, y = [], []
    for a, b in _pairs(snaps, lag_years, warmup):
        n = a.active.size
        both = a.active & b.active[:n] & (a.recommend >= 0)
        x.append(a.satisfaction[both])
        y.append(b.satisfaction[:n][both])
    return float(np.corrcoef(np.concatenate(x), np.concatenate(y))[0, 1])


def promoters_again(snaps: list[Snapshot], lag_years: float, warmup: float) -> float:
    """Of the active promoters at one review, the share who are promoters again
    ``lag_years`` later (among those still active)."""
    again = total = 0
    for a, b in _pairs(snaps, lag_years, warmup):
        n = a.active.size
        promoters = a.active & b.active[:n] & (a.recommend >= PROMOTER_MIN_SCORE)
        total += int(promoters.sum())
        again += int((b.recommend[:n][promoters] >= PROMOTER_MIN_SCORE).sum())
    return again / total


def retention_by_decile(snaps: list[Snapshot], warmup: float,
                        counts: bool = False) -> Any:
    """One-year retention by satisfaction decile (Jones & Sasser 1995, on simulated
    customers): at every review after the warm-up that has a review a year later, each
    active customer's satisfaction decile at that review and whether they are still a
    customer a year later, pooled over reviews; returns the ten retention shares, lowest
    decile first (with ``counts``: the customers kept and seen, to pool replications)."""
    kept = np.zeros(10)
    seen = np.zeros(10)
    for a, b in _pairs(snaps, 1.0, warmup):
        n = a.active.size
        s = a.satisfaction[a.active]
        still = b.active[:n][a.active]
        edges = np.quantile(s, np.linspace(0.1, 0.9, 9))
        decile = np.searchsorted(edges, s, side="right")
        kept += np.bincount(decile, weights=still, minlength=10)
        seen += np.bincount(decile, minlength=10)
    return (kept, seen) if counts else kept / seen
