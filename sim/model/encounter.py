"""The service encounter: failures and their sources, and quality on five dimensions.

Quality is judged on the five dimensions of customer care (Kotelnikov):
reliability, responsiveness, feeling valued, empathy, competency,
combined with SERVQUAL importance weights (Parasuraman, Zeithaml & Berry).
Failures come from three sources (Goodman 2009): the organization's
processes and products, the provider, and the customer.
"""

from __future__ import annotations

import math

from sim.scenario.schema import ProvidersSection

_DEFAULT = ProvidersSection()  # the scenario's defaults, defined once in the schema

NO_FAILURE, PROCESS, PROVIDER, CUSTOMER = 0, 1, 2, 3
SOURCES = ("none", "process", "provider", "customer")


def failure_probabilities(
    process_rate: float,
    provider_error_rate: float,
    competency: float,
    quality_factor: float,
    customer_error_rate: float,
    accommodated: bool,
    special_request_error: float,
    forewarned: bool,
    prevention: float,
    *,
    competency_effect: float = _DEFAULT.error_competency_effect,
    quality_floor: float = _DEFAULT.quality_factor_floor,
) -> tuple[float, float, float]:
    """Chances that the encounter fails for each source (process, provider, customer).

    Process failures follow the organization's reliability (less what root-cause
    fixes removed); provider errors fall with competency and rise when corners are
    cut or a special request is accommodated; customer errors are the customer's
    own. Proactive attention on the last visit prevents part of the process and
    customer risk (Kotelnikov, third kind of encounter).  Provider errors are
    ``error_rate x (1 - competency_effect x competency) / max(quality_factor, quality_floor)``.
    """
    p_process = process_rate
    p_customer = customer_error_rate
    if forewarned:
        p_process *= 1.0 - prevention
        p_customer *= 1.0 - prevention
    p_provider = provider_error_rate * (1.0 - competency_effect * competency) / (
        quality_factor if quality_factor > quality_floor else quality_floor
    )
    if accommodated:
        p_provider += special_request_error
    return p_process, (p_provider if p_provider < 1.0 else 1.0), p_customer


def failure_source(u: float, p_process: float, p_provider: float, p_customer: float) -> int:
    """Which source (if any) made the encounter fail, from one uniform draw."""
    if u < p_process:
        return PROCESS
    u -= p_process
    if u < p_provider:
        return PROVIDER
    u -= p_provider
    if u < p_customer:
        return CUSTOMER
    return NO_FAILURE


def responsiveness(wait_hours: float, tolerance_hours: float) -> float:
    """Responsiveness falls exponentially with the wait against the customer's tolerance
    (1 without a wait: most visits find a provider free)."""
    if wait_hours <= 0.0:
        return 1.0
    return math.exp(-wait_hours / tolerance_hours)


def feeling_valued(
    base: float,
    bond: float,
    bond_weight: float,
    proactive: bool,
    proactive_lift: float,
    request: int,
    accommodated_lift: float,
    refusal_cost: float,
) -> float:
    """Recognition: the bond with the provider, proactive attention, minus refusals.

    ``request`` is 0 (no special request), 1 (accommodated) or -1 (refused: "we don't do
    this", "Service Encounters of the Third Kind", 2011).
    """
    value = base + bond_weight * bond
    if proactive:
        value += proactive_lift
    if request > 0:
        value += accommodated_lift
    elif request < 0:
        value -= refusal_cost
    return clip01(value)


def empathy(job_satisfaction: float, noise: float) -> float:
    """Empathy shows the provider's job satisfaction ("love what you do"), with noise.

    Employee satisfaction reaches customers only through the encounter (Brown & Lam 2008).
    """
    return clip01(job_satisfaction + noise)


def competency_score(competency: float, quality_factor: float, noise: float) -> float:
    """The provider's competency as delivered: less when corners are cut, with noise."""
    return clip01(competency * quality_factor + noise)


def perceived_quality(
    scores: tuple[float, float, float, float, float],
    weights: tuple[float, float, float, float, float],
) -> float:
    """Weighted quality of the five dimensions (reliability, responsiveness, competency,
    empathy, valued)."""
    s0, s1, s2, s3, s4 = scores
    w0, w1, w2, w3, w4 = weights
    return s0 * w0 + s1 * w1 + s2 * w2 + s3 * w3 + s4 * w4


def clip01(value: float) -> float:
    """``value`` limited to [0, 1]."""
    return 0.0 if value < 0.0 else (1.0 if value > 1.0 else value)
