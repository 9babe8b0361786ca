"""Recording: tallies during a review period, closed into one tidy row per period.

Counters are plain attributes bumped by the model (cheap on the hot path); the
organization's review closes a period by turning them into a row and resetting
them.  Cumulative counts travel along so that conservation can be checked at
every period.
"""

from __future__ import annotations

import math
from typing import Any

HOURS_PER_DAY = 24.0
HOURS_PER_YEAR = 8760.0


class PeriodTally:
    """What happened at the service desk during one review period."""

    __slots__ = (
        "abandoned",
        "arrived",
        "served",
        "service_sum",
        "sojourn_sum",
        "started",
        "wait_sum",
        "waited",
        "within_target",
    )

    def __init__(self) -> None:
        self.arrived = 0
        self.started = 0  # service began
        self.served = 0  # service completed
        self.abandoned = 0
        self.waited = 0  # started after a positive wait
        self.within_target = 0  # started within the wait target
        self.wait_sum = 0.0  # hours, over started
        self.service_sum = 0.0  # hours, over served
        self.sojourn_sum = 0.0  # hours in system, over served


class Recorder:
    """Collects the per-period rows of one run."""

    def __init__(self, wait_target_hours: float) -> None:
        self.wait_target = wait_target_hours
        self.tally = PeriodTally()
        self.rows: list[dict[str, Any]] = []
        self.period = 0
        self.period_start = 0.0
        self.cumulative = {"arrived": 0, "started": 0, "served": 0, "abandoned": 0}
        self.totals = {"wait_sum": 0.0, "waited": 0, "within_target": 0, "sojourn_sum": 0.0}

    # -- hot path ------------------------------------------------------------------------
    def start(self, wait: float) -> None:
        """A service began after ``wait`` hours."""
        t = self.tally
        t.started += 1
        t.wait_sum += wait
        if wait > 0.0:
            t.waited += 1
        if wait <= self.wait_target:
            t.within_target += 1

    def finish(self, service: float, sojourn: float) -> None:
        """A service of ``service`` hours ended; the customer spent ``sojourn`` hours in all."""
        t = self.tally
        t.served += 1
        t.service_sum += service
        t.sojourn_sum += sojourn

    # -- review --------------------------------------------------------------------------
    def close_period(
        self, now: float, levels: dict[str, float], extra: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Turn the period's tally into a row; ``levels`` are end-of-period and time-weighted
        levels from the desk."""
        t = self.tally
        length = now - self.period_start
        cum = self.cumulative
        cum["arrived"] += t.arrived
        cum["started"] += t.started
        cum["served"] += t.served
        cum["abandoned"] += t.abandoned
        self.totals["wait_sum"] += t.wait_sum
        self.totals["waited"] += t.waited
        self.totals["within_target"] += t.within_target
        self.totals["sojourn_sum"] += t.sojourn_sum
        row: dict[str, Any] = {
            "period": self.period,
            "t_start_days": self.period_start / HOURS_PER_DAY,
            "t_end_days": now / HOURS_PER_DAY,
            "arrived": t.arrived,
            "started": t.started,
            "served": t.served,
            "abandoned": t.abandoned,
            "waited": t.waited,
            "mean_wait": t.wait_sum / t.started if t.started else math.nan,
            "p_wait": t.waited / t.started if t.started else math.nan,
            "share_within_target": t.within_target / t.started if t.started else math.nan,
            "mean_service": t.service_sum / t.served if t.served else math.nan,
            "wait_sum": t.wait_sum,
            "sojourn_sum": t.sojourn_sum,
            "abandon_share": t.abandoned / t.arrived if t.arrived else math.nan,
            "cum_arrived": cum["arrived"],
            "cum_started": cum["started"],
            "cum_served": cum["served"],
            "cum_abandoned": cum["abandoned"],
        }
        queue_area = levels.pop("queue_area")
        busy_area = levels.pop("busy_area")
        staff_area = levels.pop("staff_area")
        row["mean_queue"] = queue_area / length if length else math.nan
        row["mean_in_system"] = (queue_area + busy_area) / length if length else math.nan
        row["utilisation"] = busy_area / staff_area if staff_area else math.nan
        row["mean_staff"] = staff_area / length if length else math.nan
        row.update(levels)
        if extra:
            row.update(extra)
        self.rows.append(row)
        self.period += 1
        self.period_start = now
        self.tally = PeriodTally()
        return row
