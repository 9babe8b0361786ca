"""A customer's visit: arrive, queue (or give up), be served, leave.

The visit is the only part of a customer that is a live SimPy process; it
lasts from arrival to departure.  Random draws are made at arrival, for every
arrival in the same order, so that two scenarios compared with the same seed
give the i-th visitor the same patience and the same service requirement.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import simpy

from sim.model.recording import Recorder
from sim.model.service import ServiceDesk


def queue_visit(
    env: simpy.Environment,
    desk: ServiceDesk,
    recorder: Recorder,
    service: float,
    patience: float,
) -> Generator[simpy.Event, Any, None]:
    """An anonymous visit of queue mode: wait for any provider, give up after ``patience``
    hours (0 = never), be served for ``service`` hours."""
    arrived = env.now
    recorder.tally.arrived += 1
    provider = desk.seize()
    if provider is None:
        ticket = desk.join(-1, arrived)
        if patience > 0.0:
            desk.abandonment_timer(ticket, patience, lambda: recorder.tally.abandon())
        provider = yield ticket.event
        if provider is None:
            return
    recorder.start(env.now - arrived)
    yield env.timeout(service)
    provider.served += 1
    provider.busy_time += service
    desk.release(provider)
    recorder.finish(service, env.now - arrived)


def poisson_arrivals(
    env: simpy.Environment,
    rate: float,
    exponential: Callable[[], float],
    arrive: Callable[[], None],
) -> Generator[simpy.Event, Any, None]:
    """Poisson arrivals at ``rate`` per hour from an infinite population."""
    mean_gap = 1.0 / rate
    while True:
        yield env.timeout(mean_gap * exponential())
        arrive()
