"""Behaviour mode's visit path, with its behaviour switched off, is a textbook queue.

Queue mode is checked against Erlang C by ``spc validate`` (tests/test_queue.py); this
checks the path every behaviour-mode visit takes (population, visit draws, the desk,
the workload review, the encounter).  Switched off: one provider of full competency
(``novice_competency = 1``) who never quits, no corner cutting (time per order stays at
the standard), no special requests and no proactive attention (no extra service time),
encounter service (no bond), no defection (nor grievances) and no acquisition (the
population stays at N), no empowered handling time, infinite patience.  N identical
customers (``visit_rate_cv = 0``) visit as Poisson processes, so arrivals are Poisson at
rate ``r (N - L)`` with L the mean number in the system (a customer in a visit does not
start another); with N = 20,000 the correction
is about 1e-4 of the rate, and it is applied.  Service is lognormal with mean
``service_time_mean`` and cv ``service_time_cv``: an M/G/1 queue, whose mean wait the
Pollaczek-Khinchine formula gives exactly (Pollaczek 1930, Khinchine 1932).  With c > 1
servers no exact formula exists for lognormal service; there the Erlang C wait scaled
by (1 + cv^2) / 2 (Lee & Longton 1959) is only an approximation (at c = 3, rho = 0.7,
cv = 1 the simulated wait lies about 3 % above it), so it is not asserted.

The simulated mean wait of R independent replications (the first quarter year of each
is warm-up) gives a 99 % Student-t interval, which must contain the exact value; the
interval must also be informative: it must exclude the exact wait of the same queue with
a service-time cv 0.25 lower or higher (a model that got the service variability wrong).
"""

from __future__ import annotations

from typing import Any

import pytest

from sim.model.system import simulate
from sim.scenario import Scenario, load_scenario
from sim.statistics.intervals import t_interval
from sim.statistics.queueing import mg1_mean_wait

pytestmark = pytest.mark.slow

BASELINE = "scenarios/baseline.toml"
CUSTOMERS = 20_000
HOURS_PER_MONTH = 730.0
SERVICE_MINUTES = 30.0
SERVICE_HOURS = SERVICE_MINUTES / 60.0
REPLICATIONS = 8
CONFIDENCE = 0.99
WRONG_CV = 0.25

DEGENERATE = [
    "run.years=1.25", "run.warmup_years=0.25",
    f"customers.initial={CUSTOMERS}", "customers.visit_rate_cv=0", "customers.patience_mean=0",
    "customers.special_request_rate=0", "customers.dissatisfaction_defection=0",
    "customers.other_defection=0", "recovery.grievance_minor=0", "recovery.grievance_major=0",
    "providers.empowered_handling=0", "providers.empowered_variability=0",
    f"providers.service_time_mean={SERVICE_MINUTES}", "providers.novice_competency=1",
    "providers.corner_cutting=false", "providers.standards_drift=false",
    "providers.annual_quit_rate=0",
    "organization.proactivity=0", "organization.service_model=encounter",
    "organization.adaptive_staffing=false", "organization.accountability=false",
    "market.offer_rate=0",
    "growth.paid_per_month=0", "growth.referral_intent=0", "growth.positive_wom=0",
]


def visits_per_month(servers: int, utilisation: float) -> float:
    """Each customer's visit rate that offers ``utilisation`` to ``servers`` providers."""
    return servers * utilisation / SERVICE_HOURS * HOURS_PER_MONTH / CUSTOMERS


def degenerate(servers: int, utilisation: float, cv: float) -> Scenario:
    """Behaviour mode reduced to an M/G/c queue at the given load and service-time cv."""
    return load_scenario(BASELINE, [
        *DEGENERATE, f"providers.count={servers}", f"providers.service_time_cv={cv}",
        f"customers.visits_per_month={visits_per_month(servers, utilisation)!r}",
    ])


def effective_arrival_rate(utilisation: float, cv: float) -> float:
    """The M/G/1 arrival rate ``r (N - L)``: customers in a visit do not start another
    (L = lambda (Wq + E[S]) by Little's law), solved by fixed-point iteration."""
    offered = utilisation / SERVICE_HOURS
    rate = offered
    for _ in range(20):
        in_system = rate * (mg1_mean_wait(rate, SERVICE_HOURS, cv) + SERVICE_HOURS)
        rate = offered * (1.0 - in_system / CUSTOMERS)
    return rate


def replications(scenario: Scenario) -> list[dict[str, Any]]:
    """The run summaries of REPLICATIONS independent replications."""
    return [simulate(scenario, replication=i).summary for i in range(REPLICATIONS)]


@pytest.fixture(scope="module", params=[(0.6, 0.5), (0.5, 1.0)], ids=["rho0.6-cv0.5",
                                                                       "rho0.5-cv1.0"])
def mg1(request: pytest.FixtureRequest) -> tuple[float, float, list[dict[str, Any]]]:
    utilisation, cv = request.param
    return utilisation, cv, replications(degenerate(1, utilisation, cv))


def test_the_degenerate_configuration_switches_the_behaviour_off(mg1) -> None:
    _, _, runs = mg1
    for s in runs:
        assert s["active_customers"] == CUSTOMERS
        assert s["provider_turnover"] == 0.0
        assert s["abandon_share"] == 0.0
        assert s["mean_competency"] == 1.0


def test_mg1_mean_wait_matches_pollaczek_khinchine(mg1) -> None:
    utilisation, cv, runs = mg1
    rate = effective_arrival_rate(utilisation, cv)
    exact = mg1_mean_wait(rate, SERVICE_HOURS, cv)
    waits = t_interval([s["mean_wait"] for s in runs], CONFIDENCE)
    assert waits.contains(exact), (exact, waits)
    # informative: the interval rules out the wait of a service cv off by 0.25 either way
    for wrong in (cv - WRONG_CV, cv + WRONG_CV):
        assert not waits.contains(mg1_mean_wait(rate, SERVICE_HOURS, wrong)), (wrong, waits)
    busy = t_interval([s["utilisation"] for s in runs], CONFIDENCE)
    assert busy.contains(rate * SERVICE_HOURS), (rate * SERVICE_HOURS, busy)


def test_the_queueing_formulas_against_known_values() -> None:
    from sim.statistics.queueing import mgc_mean_wait_approx, mmc_mean_wait

    # exponential service (cv 1): P-K is the M/M/1 wait rho / (mu - lambda)
    assert mg1_mean_wait(0.5, 1.0, 1.0) == pytest.approx(mmc_mean_wait(1, 0.5, 1.0))
    # deterministic service (cv 0): M/D/1, half the M/M/1 wait
    assert mg1_mean_wait(0.5, 1.0, 0.0) == pytest.approx(0.5)
    # the M/G/c approximation is exact for c = 1 and equals Erlang C for cv = 1
    assert mgc_mean_wait_approx(1, 1.2, 0.5, 0.5) == pytest.approx(mg1_mean_wait(1.2, 0.5, 0.5))
    assert mgc_mean_wait_approx(3, 4.2, 0.5, 1.0) == pytest.approx(mmc_mean_wait(3, 4.2, 2.0))
    with pytest.raises(ValueError):
        mg1_mean_wait(2.0, 0.5, 0.5)
