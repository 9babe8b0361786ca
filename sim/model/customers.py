"""Customers of behaviour mode: visits drawn from the population, and the visit itself.

Visits of the whole population are generated slice by slice (a day at a time)
by thinning: candidates are drawn uniformly at the population's highest visit
rate and each is kept with probability ``rate / max_rate``, which makes every
customer's visits a Poisson process at their own rate while costing only
O(visits), not O(customers), per slice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.model.population import ACTIVE, CustomerPopulation
from sim.model.service import ServiceDesk
from sim.recording import Recorder

SLICE_HOURS = 24.0


def population_visits(
    env: simpy.Environment,
    population: CustomerPopulation,
    rng: np.random.Generator,
    start_visit: Callable[[int], None],
) -> Generator[simpy.Event, Any, None]:
    """Each day, draw who visits when (Poisson per customer, by thinning) and start the visits."""
    while True:
        slice_start = env.now
        n = population.size
        rates = population.view("visit_rate")
        max_rate = float(rates.max()) if n else 0.0
        if max_rate > 0.0:
            candidates = rng.poisson(n * max_rate * SLICE_HOURS)
            who = rng.integers(0, n, size=candidates)
            keep = rng.random(candidates) * max_rate < rates[who]
            who = who[keep]
            when = np.sort(rng.random(who.size)) * SLICE_HOURS + slice_start
            for customer, at in zip(who.tolist(), when.tolist(), strict=True):
                delay = at - env.now
                if delay > 0.0:
                    yield env.timeout(delay)
                start_visit(customer)
        rest = slice_start + SLICE_HOURS - env.now
        if rest > 0.0:
            yield env.timeout(rest)


def lognormal_parameters(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def customer_visit(
    env: simpy.Environment,
    desk: ServiceDesk,
    recorder: Recorder,
    population: CustomerPopulation,
    customer: int,
    service: float,
    patience: float,
) -> Generator[simpy.Event, Any, None]:
    """One visit of customer ``customer``: queue with their patience, be served, go home."""
    in_visit = population.in_visit
    in_visit[customer] = True
    arrived = env.now
    recorder.tally.arrived += 1
    provider = desk.seize()
    if provider is None:
        ticket = desk.join(customer, arrived)
        if patience > 0.0:
            desk.abandonment_timer(ticket, patience)
        provider = yield ticket.event
        if provider is None:
            recorder.tally.abandoned += 1
            in_visit[customer] = False
            return
    recorder.start(env.now - arrived)
    yield env.timeout(service)
    provider.served += 1
    provider.busy_time += service
    desk.release(provider)
    population.visits[customer] += 1
    population.last_visit[customer] = env.now
    in_visit[customer] = False
    recorder.finish(service, env.now - arrived)


def is_available(population: CustomerPopulation, customer: int) -> bool:
    """An active customer who is not already on a visit."""
    return bool(population.status[customer] == ACTIVE and not population.in_visit[customer])
