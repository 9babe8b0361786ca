"""From perceived quality to satisfaction, expectation and recommendation.

Satisfaction follows disconfirmation of expectations (Oliver 1980), with
negative disconfirmation weighing more than positive (Anderson & Sullivan
1993); cumulative satisfaction is a smoothed average of encounters whose weight
on the past grows with tenure (Bolton 1998); the likelihood to recommend (0-10),
from that anchor plus each customer's lasting offset, and the
promoter/passive/detractor split follow Reichheld (2003).
"""

from __future__ import annotations

import numpy as np

DETRACTOR, PASSIVE, PROMOTER = 0, 1, 2
# the Net Promoter thresholds on the 0-10 scale (Reichheld 2003): promoters score 9 or 10,
# passives 7 or 8, detractors 0 to 6; defined here once for the whole package
PROMOTER_MIN_SCORE = 9
PASSIVE_MIN_SCORE = 7


def encounter_satisfaction(
    quality: float, expectation: float, positive_weight: float, negative_weight: float
) -> float:
    """Satisfaction with one encounter: quality adjusted by disconfirmation, asymmetrically."""
    gap = quality - expectation
    value = quality + (positive_weight if gap >= 0.0 else negative_weight) * gap
    return 0.0 if value < 0.0 else (1.0 if value > 1.0 else value)


def smooth(cumulative: float, latest: float, weight: float) -> float:
    """Exponentially smoothed update of a cumulative score."""
    return cumulative + weight * (latest - cumulative)


def anchor_weight(smoothing: float, tenure_years: float, anchor_years: float) -> float:
    """Weight of the latest encounter in cumulative satisfaction: ``smoothing / (1 + tenure /
    anchor_years)``; the longer the relationship, the more the customer's prior cumulative
    satisfaction anchors the new one (Bolton 1998).  ``anchor_years`` of 0 keeps it constant."""
    if anchor_years <= 0.0 or tenure_years <= 0.0:
        return smoothing
    return smoothing / (1.0 + tenure_years / anchor_years)


def personal_factors(normals: np.ndarray, cv: float) -> np.ndarray:
    """Customers' own lasting multipliers of a trait, lognormal with mean 1 and coefficient
    of variation ``cv``, from standard normal draws (persistent heterogeneity, Bolton 1998);
    all 1 when ``cv`` is 0."""
    if cv <= 0.0:
        return np.ones_like(normals)
    sigma = float(np.sqrt(np.log1p(cv * cv)))
    return np.exp(sigma * normals - sigma * sigma / 2.0)


def lasting_noise_sd(noise: float, persistence: float) -> float:
    """The sd of a customer's lasting offset: the ``persistence`` share of the variance of a
    noise of sd ``noise`` (the rest is drawn anew each time, :func:`fresh_noise_sd`)."""
    return noise * float(np.sqrt(persistence))


def fresh_noise_sd(noise: float, persistence: float) -> float:
    """The sd of the part of a noise of sd ``noise`` drawn anew each time: the variance the
    lasting offset (:func:`lasting_noise_sd`) leaves over."""
    return noise * float(np.sqrt(1.0 - persistence))


def recommend_score(satisfaction: float, intercept: float, slope: float, noise: float) -> int:
    """Likelihood to recommend, 0 to 10, from satisfaction with noise."""
    score = round(intercept + slope * satisfaction + noise)
    return 0 if score < 0 else (10 if score > 10 else score)


def recommend_group(score: int) -> int:
    """Promoter (9-10), passive (7-8) or detractor (0-6)."""
    if score >= PROMOTER_MIN_SCORE:
        return PROMOTER
    if score >= PASSIVE_MIN_SCORE:
        return PASSIVE
    return DETRACTOR


def net_promoter_score(scores: np.ndarray) -> tuple[float, float, float, float]:
    """(NPS, promoter share, passive share, detractor share) of rated scores (-1 = unrated)."""
    rated = scores[scores >= 0]
    if rated.size == 0:
        nan = float("nan")
        return nan, nan, nan, nan
    promoters = float(np.mean(rated >= PROMOTER_MIN_SCORE))
    detractors = float(np.mean(rated < PASSIVE_MIN_SCORE))
    passives = 1.0 - promoters - detractors
    return 100.0 * (promoters - detractors), promoters, passives, detractors
