"""Complaints and service recovery (Goodman 2009; TARP studies).

Most customers who suffer a failure never complain; those who do are more
often the loyal ones (bond, tenure, prior satisfaction).  A complaint is put
right on the spot with a chance that rises with empowerment, otherwise it is
escalated, resolved later with a lower chance.  A failed recovery hurts more
than the failure alone (double deviation); a good first recovery may lift
satisfaction above the no-failure level (the recovery paradox, off by
default, de Matos et al. 2007).

A failure is a minor or a major problem (TARP 1986).  One that leaves the
customer dissatisfied is a critical incident (Keaveney 1995): it adds a
grievance to the customer's defection hazard, larger for a major problem,
which recovery removes in part (after escalation) or in full (on the spot)
and which fades with time.
"""

from __future__ import annotations

import math

import numpy as np

from sim.clock import HOURS_PER_MONTH
from sim.model.population import MAJOR, MINOR, RESOLVED, RESOLVED_QUICKLY, SILENT, UNRESOLVED
from sim.scenario.schema import CustomersSection

_DEFAULT = CustomersSection()  # the scenario's defaults, defined once in the schema


def complaint_probability(
    base: float, loyalty_effect: float, bond: float, tenure_years: float, satisfaction: float,
    *,
    centre: float = _DEFAULT.complaint_satisfaction_centre,
    scale: float = _DEFAULT.complaint_satisfaction_scale,
    full_tenure: float = _DEFAULT.complaint_tenure_years,
) -> float:
    """Chance that a failed customer complains: a logit in bond, tenure and prior satisfaction.

    ``logit p = logit(base) + effect x (bond + min(tenure, T) / T + (S - centre) / scale)``
    with ``T = full_tenure`` (5 years, centre 0.75, scale 0.1 by default).

    "Complaining customers are often the loyal ones" (Goodman 2009).
    """
    if base <= 0.0:
        return 0.0
    if base >= 1.0:
        return 1.0
    logit = math.log(base / (1.0 - base))
    tenure = tenure_years if tenure_years < full_tenure else full_tenure
    logit += loyalty_effect * (bond + tenure / full_tenure + (satisfaction - centre) / scale)
    return 1.0 / (1.0 + math.exp(-logit))


def on_spot_recovery_probability(base: float, gain: float, empowerment: float) -> float:
    """Chance that the front line puts a complaint right at once: rises with empowerment."""
    return min(base + gain * empowerment, 1.0)


def recovery_outcome(
    complained: bool, u_spot: float, u_escalated: float, p_spot: float, p_escalated: float
) -> int:
    """SILENT, RESOLVED_QUICKLY, RESOLVED (after escalation) or UNRESOLVED."""
    if not complained:
        return SILENT
    if u_spot < p_spot:
        return RESOLVED_QUICKLY
    return RESOLVED if u_escalated < p_escalated else UNRESOLVED


def reliability_score(outcome: int, quick_score: float, escalated_score: float) -> float:
    """The reliability dimension of a failed encounter, by how it was recovered."""
    if outcome == RESOLVED_QUICKLY:
        return quick_score
    if outcome == RESOLVED:
        return escalated_score
    return 0.0


def satisfaction_adjustment(
    outcome: int,
    first_failure: bool,
    paradox: bool,
    paradox_bonus: float,
    double_deviation: float,
    no_failure_satisfaction: float,
    satisfaction: float,
) -> float:
    """Encounter satisfaction after recovery effects.

    Double deviation: an unresolved complaint costs ``double_deviation`` more.  Recovery
    paradox (when on): a quick recovery of a *first* failure lifts satisfaction to
    ``paradox_bonus`` above what the encounter would have given without the failure; it
    never applies after a second failure.
    """
    if outcome == UNRESOLVED:
        return max(satisfaction - double_deviation, 0.0)
    if paradox and first_failure and outcome == RESOLVED_QUICKLY:
        return min(no_failure_satisfaction + paradox_bonus, 1.0)
    return satisfaction


def severity(u: float, major_share: float) -> int:
    """MAJOR with probability ``major_share``, else MINOR (TARP 1986)."""
    return MAJOR if u < major_share else MINOR


def grievance(hazard: float, left: float) -> float:
    """The defection hazard per year a problem adds: its severity's ``hazard`` times the
    share ``left`` after recovery (1 for a silent sufferer)."""
    return hazard * left


def fade(grievance: np.ndarray, dt_hours: float, months: float) -> np.ndarray:
    """Grievances fade exponentially with time constant ``months``."""
    return grievance * math.exp(-dt_hours / (months * HOURS_PER_MONTH))
