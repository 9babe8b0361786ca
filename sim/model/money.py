"""Money: revenue, costs and profit per period (Heskett et al. 1994: the chain closes at profit).

Costs are wages, training, hiring, the cost of reliability (rising steeply as
it approaches 1), recovery compensation and marketing spend per paid
acquisition.
"""

from __future__ import annotations


def reliability_cost(reliability: float, scale_per_month: float, months: float) -> float:
    """Cost of running processes at ``reliability``: ``scale x r / (1 - r)`` per month."""
    r = min(reliability, 0.999)
    return scale_per_month * r / (1.0 - r) * months


def staff_costs(
    provider_months: float,
    wage_per_month: float,
    training: float,
    training_cost: float,
    hires: int,
    hiring_cost: float,
) -> tuple[float, float, float]:
    """(wages, training, hiring) over a period with ``provider_months`` of employment."""
    return (
        provider_months * wage_per_month,
        provider_months * training * training_cost,
        hires * hiring_cost,
    )
