"""Money: revenue, costs, profit and lifetime value (Heskett et al. 1994: the chain closes at
profit).

Costs are wages, training (with the selection and training that empowerment
needs), hiring, the cost of reliability (rising steeply as it approaches 1),
recovery compensation and empowered give-aways, and marketing spend per paid
acquisition.  A customer's lifetime value is the revenue of their expected lifetime less
what their acquisition cost.
"""

from __future__ import annotations

import math

from sim.scenario.schema import MoneySection

_DEFAULT = MoneySection()  # the scenario's defaults, defined once in the schema


def reliability_cost(
    reliability: float, scale_per_month: float, months: float, cap: float = _DEFAULT.reliability_cap
) -> float:
    """Cost of running processes at ``reliability``: ``scale x r / (1 - r)`` per month, with
    ``r`` at most ``cap`` (the scenario's ``money.reliability_cap``)."""
    r = min(reliability, cap)
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


def lifetime_value(
    revenue_per_customer_year: float, annual_defection: float, acquisition_per_customer: float
) -> float:
    """Customer lifetime value: a year's revenue over the annual defection rate (the expected
    lifetime in years, Reichheld & Sasser 1990), less the acquisition spend per customer;
    NaN without defections."""
    if not annual_defection or math.isnan(annual_defection):
        return math.nan
    return revenue_per_customer_year / annual_defection - acquisition_per_customer


def empowered_service_time(
    mean: float, cv: float, empowerment: float, handling: float, variability: float
) -> tuple[float, float]:
    """(mean, cv) of the service time of empowered providers: both rise in proportion to
    empowerment, by ``handling`` and ``variability`` at full empowerment (Bowen & Lawler
    1992: slower, less consistent service)."""
    return mean * (1.0 + handling * empowerment), cv * (1.0 + variability * empowerment)


def empowerment_cost(provider_months: float, empowerment_squared: float,
                     cost_per_month: float) -> float:
    """Selection and training that empowerment needs: ``cost_per_month`` per provider at full
    empowerment, rising with the square of empowerment (Bowen & Lawler 1992)."""
    return provider_months * empowerment_squared * cost_per_month
