"""Loyalty and defection: dissatisfaction, rival offers, and other reasons.

Vectorised over the whole population at each review.  Defection has a hazard
that falls with satisfaction, a hazard of reasons outside the firm's control,
and switching to rivals: competition intensity drives how often rival offers
arrive and how good they are, and each customer compares the offer with
satisfaction plus switching cost plus bond in a logit choice, so that in an
intense market only the highly satisfied stay while in a sheltered one even
the indifferent do (Jones & Sasser 1995).
"""

from __future__ import annotations

import numpy as np

DISSATISFACTION, RIVAL_OFFER, FOLLOWED_PROVIDER, OTHER = 0, 1, 2, 3
REASONS = ("dissatisfaction", "rival_offer", "followed_provider", "other")


def dissatisfaction_hazard(
    satisfaction: np.ndarray, rate: float, sensitivity: float, threshold: float
) -> np.ndarray:
    """Annual hazard ``rate x exp(-sensitivity x (S - threshold))``: falls with satisfaction."""
    return rate * np.exp(-sensitivity * (satisfaction - threshold))


def offer_rate(competition: float, offers_at_full: float) -> float:
    """Rival offers per customer per year: proportional to competition intensity."""
    return offers_at_full * competition


def switch_probability(
    satisfaction: np.ndarray,
    bond: np.ndarray,
    competition: float,
    rival_quality: float,
    rival_gain: float,
    switching_cost: float,
    bond_value: float,
    scale: float,
    tenure_share: np.ndarray | float = 0.0,
    tenure_value: float = 0.0,
) -> np.ndarray:
    """Logit choice between a rival offer and staying.

    Staying is worth satisfaction + switching cost (which competition erodes) + bond +
    habit of tenure (``tenure_share``: tenure / tenure_horizon_years, capped at 1; Reichheld's
    loyalty effect); the offer is worth the rival's quality, which competition raises.
    """
    stay = (
        satisfaction
        + switching_cost * (1.0 - competition)
        + bond_value * bond
        + tenure_value * tenure_share
    )
    offer = rival_quality + rival_gain * competition
    z = np.clip((offer - stay) / scale, -50.0, 50.0)
    return 1.0 / (1.0 + np.exp(-z))


def period_probability(annual_hazard: np.ndarray | float, years: float) -> np.ndarray:
    """Chance of at least one event in ``years`` at a constant annual hazard."""
    return -np.expm1(-np.asarray(annual_hazard) * years)


def retention_by_satisfaction(
    satisfaction: np.ndarray,
    competition: float,
    params: dict[str, float],
) -> np.ndarray:
    """Expected one-year retention at each satisfaction level (no bond): the
    satisfaction-loyalty curve of Jones & Sasser at this competition intensity."""
    hazard = dissatisfaction_hazard(
        satisfaction, params["rate"], params["sensitivity"], params["threshold"]
    )
    hazard = hazard + params["other"]
    switch = switch_probability(
        satisfaction,
        np.zeros_like(satisfaction),
        competition,
        params["rival_quality"],
        params["rival_gain"],
        params["switching_cost"],
        params["bond_value"],
        params["scale"],
        params.get("tenure_share", 0.0),
        params.get("tenure_value", 0.0),
    )
    hazard = hazard + offer_rate(competition, params["offers"]) * switch
    return np.exp(-hazard)
