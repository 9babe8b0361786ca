"""Recording: tallies during a review period, closed into one tidy row per period.

Counters are plain attributes bumped by the model (cheap on the hot path); the
organization's review closes a period by turning them into a row and resetting
them.  Cumulative counts travel along so that conservation can be checked at
every period.
"""

from __future__ import annotations

import math
from typing import Any

from sim.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from sim.model.population import LADDER_CELLS

__all__ = ["HOURS_PER_DAY", "HOURS_PER_YEAR", "ChainTally", "PeriodTally", "Recorder"]


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

    def start(self, wait: float, target: float) -> None:
        """A service began after ``wait`` hours (``target``: the wait target, hours)."""
        self.started += 1
        self.wait_sum += wait
        if wait > 0.0:
            self.waited += 1
        if wait <= target:
            self.within_target += 1

    def abandon(self) -> None:
        """A waiting customer gave up."""
        self.abandoned += 1

    def finish(self, service: float, sojourn: float) -> None:
        """A service of ``service`` hours ended; the customer spent ``sojourn`` hours in all."""
        self.served += 1
        self.service_sum += service
        self.sojourn_sum += sojourn

    def merge(self, other: PeriodTally) -> None:
        """Add ``other``'s counts to this one."""
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


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

    # -- hot path (queue mode) -------------------------------------------------------------
    def start(self, wait: float) -> None:
        """A service began after ``wait`` hours."""
        self.tally.start(wait, self.wait_target)

    def finish(self, service: float, sojourn: float) -> None:
        """A service of ``service`` hours ended; the customer spent ``sojourn`` hours in all."""
        self.tally.finish(service, sojourn)

    # -- review --------------------------------------------------------------------------
    def close_period(
        self,
        now: float,
        levels: dict[str, float],
        extra: dict[str, Any] | None = None,
        tally: PeriodTally | None = None,
    ) -> dict[str, Any]:
        """Turn the period's tally (the recorder's own, or ``tally``) into a row; ``levels``
        are end-of-period and time-weighted levels from the desk(s)."""
        t = self.tally if tally is None else tally
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


class ChainTally:
    """What happened along the service-profit chain in one unit during one review period."""

    __slots__ = (
        "accommodated",
        "compensation",
        "complaints",
        "dissatisfied_by_source",
        "encounter_satisfaction_sum",
        "failures_by_source",
        "proactive",
        "quality_sum",
        "recovered_escalated",
        "recovered_quickly",
        "recovered_unprompted",
        "refused",
        "repurchase_base",
        "repurchased",
        "revenue",
        "special_requests",
        "unresolved",
    )

    def __init__(self) -> None:
        self.failures_by_source = [0, 0, 0, 0]  # none, process, provider, customer
        self.dissatisfied_by_source = [0, 0, 0, 0]
        self.complaints = 0
        self.recovered_quickly = 0
        self.recovered_escalated = 0
        self.recovered_unprompted = 0  # silent failures put right without a complaint
        self.unresolved = 0
        self.compensation = 0.0
        self.special_requests = 0
        self.accommodated = 0
        self.refused = 0
        self.proactive = 0
        self.quality_sum = 0.0
        self.encounter_satisfaction_sum = 0.0
        self.revenue = 0.0
        # problems that left the customer dissatisfied, by ladder cell (severity and outcome:
        # sim.model.population.ladder_cell), whose horizon passed or whose customer left; of
        # which the customer was still active
        self.repurchase_base = [0] * LADDER_CELLS
        self.repurchased = [0] * LADDER_CELLS

    def merge(self, other: ChainTally) -> None:
        """Add ``other``'s counts to this one."""
        for name in self.__slots__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, list):
                for i, v in enumerate(theirs):
                    mine[i] += v
            else:
                setattr(self, name, mine + theirs)
