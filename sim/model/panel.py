"""Customer-level output for researchers: the customers table and the review panel.

When a run is asked for its panel, each organization review takes a snapshot of
the active customers (vectorised over the population's columns, no random
draws), and the end of the run lists every customer ever present.  Nothing here
is recorded, and nothing costs anything, unless the panel is requested.

- ``customers``: one row per customer ever present: ``customer``, ``unit``,
  ``channel`` (``initial``, ``paid``, ``referral``), ``acquired_days``,
  ``exit_days`` (NaN while active at the end) and ``exit_reason`` (a defection
  reason of :data:`sim.model.loyalty.REASONS`, empty while active).
- ``panel``: one row per active customer per review: ``customer``, ``time_days``,
  ``tenure_days`` (time since joining; initial customers joined before the start),
  ``satisfaction`` (cumulative, 0-1) and ``recommend`` (the latest 0-10 rating,
  NaN if never rated).
"""

from __future__ import annotations

import numpy as np

from sim.clock import HOURS_PER_DAY
from sim.model.loyalty import REASONS
from sim.model.population import ACTIVE, CHANNELS, INITIAL, CustomerPopulation

CUSTOMER_COLUMNS = ("customer", "unit", "channel", "acquired_days", "exit_days", "exit_reason")
PANEL_COLUMNS = ("customer", "time_days", "tenure_days", "satisfaction", "recommend")

Columns = dict[str, np.ndarray]


class PanelRecorder:
    """Snapshots of the active customers, one per review, kept as numpy columns."""

    def __init__(self) -> None:
        self._snapshots: list[Columns] = []

    def snapshot(self, population: CustomerPopulation, now_hours: float) -> None:
        """Record the customers active at ``now_hours`` (after the review's changes)."""
        with population.np("status", "joined", "satisfaction", "recommend") as col:
            rows = np.flatnonzero(col["status"] == ACTIVE)
            joined = col["joined"][rows].astype(np.float64)
            rated = col["recommend"][rows]
            self._snapshots.append({
                "customer": rows.astype(np.int64),
                "time_days": np.full(rows.size, now_hours / HOURS_PER_DAY),
                "tenure_days": (now_hours - joined) / HOURS_PER_DAY,
                "satisfaction": col["satisfaction"][rows].astype(np.float64),
                "recommend": np.where(rated >= 0, rated, np.nan).astype(np.float64),
            })

    def table(self) -> Columns:
        """The panel: every snapshot's rows, in review order."""
        if not self._snapshots:
            return {name: np.empty(0) for name in PANEL_COLUMNS}
        return {name: np.concatenate([s[name] for s in self._snapshots])
                for name in PANEL_COLUMNS}


def customers_table(population: CustomerPopulation) -> Columns:
    """One row per customer ever present, with acquisition and (if any) exit."""
    with population.np("unit", "channel", "joined", "left", "status", "defect_reason") as col:
        active = col["status"] == ACTIVE
        reasons = col["defect_reason"]
        joined = col["joined"].astype(np.float64)
        # initial customers' joining time lies in the past; they were acquired at the start
        acquired = np.where(col["channel"] == INITIAL, 0.0, joined)
        return {
            "customer": np.arange(population.size, dtype=np.int64),
            "unit": col["unit"].astype(np.int64),
            "channel": np.array(CHANNELS, dtype=object)[col["channel"]],
            "acquired_days": acquired / HOURS_PER_DAY,
            "exit_days": np.where(active, np.nan,
                                  col["left"].astype(np.float64)) / HOURS_PER_DAY,
            "exit_reason": np.where(active | (reasons < 0), None,
                                    np.array(REASONS, dtype=object)[np.clip(reasons, 0, None)]),
        }


__all__ = ["CUSTOMER_COLUMNS", "PANEL_COLUMNS", "PanelRecorder", "customers_table"]
