"""Work pressure, corner cutting and eroding standards (Oliva & Sterman 2001).

When demand outstrips capacity, providers cut corners: they spend less time
per customer, which raises throughput and lowers quality.  Where standards
drift is enabled, the organization's time standard follows the time actually
spent downwards (and essentially never back up), so quality erodes for good.
"""

from __future__ import annotations

import math


def work_pressure(desired_capacity: float, capacity: float) -> float:
    """``WP = (desired - capacity) / desired``: positive when understaffed."""
    if desired_capacity <= 0.0:
        return -1.0 if capacity > 0 else 0.0
    return (desired_capacity - capacity) / desired_capacity


def desired_capacity(
    visits_per_hour: float, standard_hours: float, target_utilisation: float
) -> float:
    """Providers needed to serve the demand at the standard time with planned utilisation."""
    return visits_per_hour * standard_hours / target_utilisation


def time_per_order(
    standard: float, pressure: float, sensitivity: float, ceiling: float | None = None
) -> float:
    """``TPO = standard x exp(-k WP)``.  Without a ``ceiling`` never above the standard
    (slack is not gold-plated); with one, slack lets providers take up to ``ceiling``
    (the full-quality time) even when the standard has eroded below it."""
    if ceiling is None:
        return standard * min(math.exp(-sensitivity * pressure), 1.0)
    return min(standard * math.exp(-sensitivity * pressure), max(ceiling, standard))


def drift_standard(
    standard: float, time_per_order_: float, dt_weeks: float, adjust_weeks: float,
    upward: bool = False,
) -> float:
    """The standard moves towards the time actually spent when that is lower, and never up
    (Oliva & Sterman 2001's asymmetry) unless ``upward``: then it follows both ways."""
    if time_per_order_ >= standard and not upward:
        return standard
    return time_per_order_ + (standard - time_per_order_) * math.exp(-dt_weeks / adjust_weeks)


def quality_of_time(time_spent: float, full_quality_time: float, elasticity: float) -> float:
    """Delivered quality factor in (0, 1]: falls as time per order falls below the full-quality
    time, ``(TPO / T_full) ** elasticity``."""
    if time_spent >= full_quality_time:
        return 1.0
    return (time_spent / full_quality_time) ** elasticity
