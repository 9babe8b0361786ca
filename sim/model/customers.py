"""Customers of behaviour mode: who they are, when they visit, and the visit itself.

Which parts of a customer are SimPy processes, truthfully:

- Between visits a customer is not a process and not an object: they are one
  row of the typed columns of :class:`~sim.model.population.CustomerPopulation`.
- The visits of the whole population are collected by one process,
  :func:`population_visits`, a day at a time: it finds the visits due that day
  (each customer's visits are a Poisson process at their own rate), draws their
  random numbers in one batch, and hands them, in time order, to the environment's
  calendar (:class:`~sim.model.calendar.VisitCalendar`), which starts each at its
  time, between the scheduled events.
- A visit that finds a provider free is served at once: the visit itself then goes
  into SimPy's heap as its end of service, and when that comes the calendar runs the
  encounter's stages (:mod:`sim.model.encounter_stages`).
- A visit that must queue holds a ticket (:func:`wait_in_line`) whose event, when a
  provider takes it or patience runs out, calls back :func:`end_of_wait`.

No visit is a SimPy process: each is a chain of entries in SimPy's heap and the calls
they make.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from functools import partial
from typing import Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_DAY, HOURS_PER_MONTH, HOURS_PER_YEAR, MINUTES_PER_HOUR
from sim.model import cops, encounter_kinds
from sim.model import satisfaction as sat
from sim.model.calendar import VisitCalendar
from sim.model.context import RunContext
from sim.model.encounter_stages import (
    FLEX,
    PATIENCE,
    PROACTIVE,
    SERVICE,
    SPECIAL,
    VISIT_DRAWS,
    Visit,
    tenure_weight,
)
from sim.model.population import ACTIVE, INITIAL, LADDER_CELLS, CustomerPopulation
from sim.model.providers import Provider
from sim.model.service import Ticket
from sim.model.unit import Unit
from sim.streams import CounterBatch, CounterStream

SLICE_HOURS = HOURS_PER_DAY
# new customers per block of their counter-stream draws (personal traits, first visits):
# keyed by customer, so blocks give the same numbers, while the temporaries no longer
# scale with the number acquired at once (a million at the start of a large run)
ACQUISITION_BLOCK = 1 << 16


def schedule_first_visits(
    population: CustomerPopulation, rows: range, now: float, gaps: CounterStream,
    multiplier: float,
) -> None:
    """Each new customer's first visit: an exponential gap at their own rate."""
    if len(rows) == 0:
        return
    with population.np() as col:
        ids = np.arange(rows.start, rows.stop)
        rate = col["visit_rate"][ids].astype(float) * multiplier
        col["next_visit"][ids] = now + gaps.exponential(ids, 0) / rate
        col["visit_k"][ids] = 1


def due_visits(
    population: CustomerPopulation, until: float, gaps: CounterStream, multiplier: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customers whose visits fall before ``until``, their visit times and visit numbers,
    in time order; each visitor's next visit is scheduled (Poisson at their own rate)."""
    who, when, number = [], [], []
    with population.np("next_visit", "visit_k", "visit_rate") as col:
        next_visit, k = col["next_visit"], col["visit_k"]
        due = np.flatnonzero(next_visit < until)
        while due.size:
            times = next_visit[due]
            counters = k[due].astype(np.int64)
            rate = col["visit_rate"][due].astype(float) * multiplier
            later = times + gaps.exponential(due, counters) / rate
            next_visit[due] = later
            k[due] += 1
            who.append(due)
            when.append(times)
            number.append(counters - 1)
            due = due[later < until]  # only they can have another visit before ``until``
    if not who:
        empty = np.empty(0, dtype=np.int64)
        return empty, np.empty(0), empty
    c, t, n = np.concatenate(who), np.concatenate(when), np.concatenate(number)
    order = np.lexsort((c, t))
    return c[order], t[order], n[order]


def visit_batch(streams: dict[str, CounterStream]) -> CounterBatch:
    """The visit streams of :data:`VISIT_DRAWS`, drawn together."""
    return CounterBatch([(streams[name], kind) for name, kind in VISIT_DRAWS])


def population_visits(
    env: VisitCalendar,
    population: CustomerPopulation,
    streams: dict[str, CounterStream],
    demand: Callable[[], float],
    start_visit: Callable[[int, list[float]], None],
) -> Generator[simpy.Event, Any, None]:
    """A day at a time: collect the visits due, draw their numbers, and hand them to the
    environment's calendar, which starts each on time.

    ``demand()`` is the current multiplier of every visit rate (a surge); when it
    changes, the time to everyone's next visit is rescaled, which keeps the visits
    Poisson at the new rates (memorylessness).
    """
    gaps = streams["visit_gaps"]
    batch = visit_batch(streams)
    multiplier = demand()
    while True:
        day_end = env.now + SLICE_HOURS
        current = demand()
        if current != multiplier:
            with population.np("next_visit") as col:
                pending = np.isfinite(col["next_visit"])
                col["next_visit"][pending] = env.now + (
                    col["next_visit"][pending] - env.now) * (multiplier / current)
            multiplier = current
        who, when, number = due_visits(population, day_end, gaps, multiplier)
        draws = batch.draw(who, number).tolist() if who.size else []
        env.plan(when.tolist(), who.tolist(), draws, start_visit)
        yield env.timeout(day_end - env.now)


def lognormal_parameters(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def visit_rates(rng: np.random.Generator, count: int, mean: float, cv: float) -> np.ndarray:
    """Customers' visit rates: gamma distributed with the given mean and coefficient of
    variation (heavy and light users), all equal when ``cv`` is 0."""
    if cv <= 0.0:
        return np.full(count, mean)
    shape = 1.0 / (cv * cv)
    return rng.gamma(shape, mean / shape, size=count)


def add_customers(ctx: RunContext, count: int, channel: int) -> None:
    """Acquire ``count`` customers through ``channel``, with their initial state; they bring
    the market's current expectation, and each gets a unit (and, in relationship service,
    an own provider).

    The sequential draws of the ``new_customers`` stream come in a fixed order (segment,
    expectation, satisfaction, unit, the starting population's tenure, visit rate), and
    each is written to its column as soon as it is drawn, so that at most one of them is
    held at a time: with a million customers every such array is 8 MB."""
    if count <= 0:
        return
    c = ctx.p.customers
    now = ctx.env.now
    pop = ctx.population
    rng = ctx.streams.generator("new_customers")
    rows = pop.add(count, now, channel=channel, cohort=len(ctx.recorder.rows),
                   patience=c.patience_mean / MINUTES_PER_HOUR)
    new = slice(rows.start, rows.stop)
    with pop.np("segment", "expectation", "satisfaction", "unit", "joined",
                "visit_rate") as col:
        premium = rng.random(count) < c.premium_share
        col["segment"][new] = premium
        col["expectation"][new] = np.clip(
            ctx.market.value + c.premium_expectation * premium
            + c.heterogeneity * rng.standard_normal(count), 0.0, 1.0,
        )
        del premium
        col["satisfaction"][new] = np.clip(
            c.satisfaction_initial + c.heterogeneity * rng.standard_normal(count), 0.0, 1.0
        )
        col["unit"][new] = np.searchsorted(ctx.unit_cdf, rng.random(count), side="right").clip(
            0, len(ctx.units) - 1
        )
        if channel == INITIAL:  # the starting population has been around for a while
            col["joined"][new] += -rng.random(count) * c.initial_tenure_years * HOURS_PER_YEAR
        col["visit_rate"][new] = visit_rates(rng, count, c.visits_per_month / HOURS_PER_MONTH,
                                             c.visit_rate_cv)
    multiplier = ctx.demand_multiplier()
    for first in range(rows.start, rows.stop, ACQUISITION_BLOCK):
        block = range(first, min(first + ACQUISITION_BLOCK, rows.stop))
        draw_personal_traits(ctx, block)
        schedule_first_visits(pop, block, now, ctx.visit_streams["visit_gaps"], multiplier)
    if ctx.settings.relationship:
        with pop.np("unit", "provider") as col:
            units = col["unit"][new]
            for unit in ctx.units:
                mine = np.flatnonzero(units == unit.index) + rows.start
                col["provider"][mine] = cops.assign_providers(unit.staff(), mine.size)


def draw_personal_traits(ctx: RunContext, rows: range) -> None:
    """Each new customer's own lasting traits, drawn at acquisition and kept (persistent
    heterogeneity; Bolton 1998): the standard their expectation adapts to, tolerance for
    waiting, propensity for special requests and offset of the likelihood to recommend
    (Reichheld 2003).  Each comes from a counter stream
    keyed by customer id, so a customer has the same traits in every scenario run with the
    same seed."""
    c, s = ctx.p.customers, ctx.p.satisfaction
    ids = np.arange(rows.start, rows.stop)
    streams = ctx.streams
    request = c.special_request_rate * sat.personal_factors(
        streams.counter("personal_requests").normal(ids, 0), c.request_spread)
    with ctx.population.np("tolerance", "request_rate", "recommend_offset", "standard") as col:
        col["standard"][ids] = c.expectation_spread * streams.counter(
            "personal_standard").normal(ids, 0)
        col["tolerance"][ids] = sat.personal_factors(
            streams.counter("personal_tolerance").normal(ids, 0), c.tolerance_spread)
        col["request_rate"][ids] = np.minimum(request, 1.0)
        col["recommend_offset"][ids] = sat.lasting_noise_sd(
            s.recommend_noise, s.recommend_persistence) * streams.counter(
            "personal_recommend").normal(ids, 0)


def close_pending_failures(units: list[Unit], col: dict[str, np.ndarray],
                           gone: np.ndarray) -> None:
    """Customers who leave while a problem of theirs is pending in the repurchase ladder
    did not stay: count them in its base, not among those kept."""
    book_problems(units, col, gone, kept=False)


def book_problems(units: list[Unit], col: dict[str, np.ndarray], who: np.ndarray,
                  kept: bool) -> None:
    """Close the pending problems of the customers ``who`` into the repurchase ladder
    (severity x outcome), as still a customer (``kept``) or not."""
    pending = col["failure_outcome"][who]
    for unit in units:
        in_unit = col["unit"][who] == unit.index
        counts = np.bincount(pending[in_unit & (pending >= 0)], minlength=LADDER_CELLS)
        for k in range(LADDER_CELLS):
            unit.chain.repurchase_base[k] += int(counts[k])
            if kept:
                unit.chain.repurchased[k] += int(counts[k])
    col["failure_outcome"][who] = -1


def close_due_problems(units: list[Unit], col: dict[str, np.ndarray], now: float,
                       horizon_hours: float) -> None:
    """Pending problems whose horizon has passed with the customer still active: kept."""
    due = np.flatnonzero((col["failure_outcome"] >= 0) & (col["status"] == ACTIVE)
                         & (col["failure_at"].astype(float) + horizon_hours <= now))
    book_problems(units, col, due, kept=True)


def chain_visit(ctx: RunContext, c: int, u: list[float]) -> None:
    """Customer ``c``'s visit along the whole chain, with its random numbers ``u`` (see
    :data:`VISIT_DRAWS`): an active customer not already visiting arrives at their unit.

    A customer who finds a provider free is served at once (:func:`serve`); one who must
    queue waits in line (:func:`wait_in_line`) until a provider takes them or their
    patience runs out.
    """
    pop = ctx.population
    if pop.status[c] != ACTIVE or pop.in_visit[c]:
        return
    unit = ctx.units[pop.unit[c]]
    mu, sigma = unit.service_shape
    base_service = math.exp(mu + sigma * u[SERVICE])
    pop.in_visit[c] = 1
    unit.tally.arrived += 1
    unit.arrivals_since_workload += 1
    env = ctx.env
    own = ctx.own_provider(c) if ctx.settings.relationship else None
    visit = Visit(unit, c, env.now, own, u)
    provider = unit.desk.seize(own)
    if provider is None:
        wait_in_line(ctx, visit, base_service)
    else:
        serve(ctx, visit, provider, base_service)


def wait_in_line(ctx: RunContext, visit: Visit, base_service: float) -> None:
    """Queue for a provider (one's own, in relationship service) until one is free or
    patience runs out (:func:`end_of_wait`); the abandonment is booked the moment patience
    ends.  Only a customer who must wait needs their patience and tolerance for waiting."""
    k, pop, c = ctx.settings, ctx.population, visit.customer
    patience = pop.patience[c] * visit.u[PATIENCE]
    tolerance = k.wait_tolerance * pop.tolerance[c]
    if visit.own is not None:  # waiting for one's own provider (Gutek): more patient, more tolerant
        patience *= k.relationship_patience
        tolerance *= k.relationship_patience
    visit.tolerance = tolerance
    unit = visit.unit
    desk = unit.desk
    ticket = desk.join(c, visit.arrived, visit.own)
    if patience > 0.0:
        # the tally is fetched when patience ends: a review may have started a new period
        desk.abandonment_timer(ticket, patience, lambda: unit.tally.abandon())
    cover = k.relationship_cover
    if not ticket.shared and cover > 0.0:  # a colleague covers after a while
        desk.cover_timer(ticket, cover)
    ticket.event.callbacks.append(partial(end_of_wait, ctx, visit, base_service, ticket))


def end_of_wait(ctx: RunContext, visit: Visit, base_service: float, ticket: Ticket,
                event: simpy.Event) -> None:
    """The wait is over (the ticket's event): served by the provider who took the ticket, or
    walked away (no provider)."""
    provider = event.value
    if provider is None:
        walk_away(ctx, visit.customer)
        ctx.population.in_visit[visit.customer] = 0
        return
    visit.covered = ticket.covered and provider is not visit.own
    serve(ctx, visit, provider, base_service)


def walk_away(ctx: RunContext, customer: int) -> None:
    """A customer gave up waiting: an encounter with no reliability or responsiveness."""
    pop, k = ctx.population, ctx.settings
    expectation = float(pop.expectation[customer]) + k.promise
    quality = (1.0 - k.weights[0] - k.weights[1]) * expectation * k.walk_away_quality
    s_enc = sat.encounter_satisfaction(quality, expectation, k.positive_weight,
                                       k.negative_weight)
    pop.satisfaction[customer] = sat.smooth(float(pop.satisfaction[customer]), s_enc,
                                            tenure_weight(ctx, customer, ctx.env.now))


def serve(ctx: RunContext, visit: Visit, provider: Provider, base_service: float) -> None:
    """The provider starts serving: the kind of encounter and its duration; the rest of
    the encounter runs when the service time has passed (the calendar schedules the visit's
    end, whose handler runs the stages: :func:`~sim.model.encounter_stages.encounter_outcome`)."""
    k, env = ctx.settings, ctx.env
    unit, u = visit.unit, visit.u
    visit.provider = provider
    visit.wait = wait = env.now - visit.arrived
    # the period's tallies are fetched again at every step of the visit: a review may have
    # closed the period (and started fresh tallies) while the customer waited or was served
    unit.tally.start(wait, k.wait_target)
    chain, policy = unit.chain, unit.policy
    request, proactive, extra = encounter_kinds.encounter_kind(
        u[SPECIAL], u[FLEX], u[PROACTIVE], ctx.population.request_rate[visit.customer],
        policy.flexibility,
        policy.proactivity, k.special_request_time, k.proactive_time,
    )
    visit.request = request
    visit.proactive = proactive
    if request:
        chain.special_requests += 1
        if request == encounter_kinds.ACCOMMODATED:
            chain.accommodated += 1
        else:
            chain.refused += 1
    if proactive:
        chain.proactive += 1
    knows = 1.0
    if visit.own is not None and provider is visit.own:  # who knows the customer is quicker
        knows -= k.bond_efficiency * ctx.population.bond[visit.customer]
    visit.knows = knows
    visit.competency = competency = provider.competency
    visit.service = service = base_service * unit.time_factor * extra * knows / competency
    env.end_after(visit, service)  # the stages run then (encounter_stages.encounter_outcome)
