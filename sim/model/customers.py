"""Customers of behaviour mode: who visits when, and the visit along the chain.

Visits of the whole population are generated a day at a time by thinning:
candidates are drawn uniformly at the population's highest visit rate and
each is kept with probability ``rate / max_rate``, which makes every
customer's visits a Poisson process at their own rate at a cost of O(visits),
not O(customers), per day.

The visit is the only part of a customer that is a live SimPy process: arrive,
queue (for anyone, or for one's own provider), give up or be served, judge the
encounter on five dimensions, perhaps suffer a failure, perhaps complain and
be recovered, update satisfaction and expectation, rate the likelihood to
recommend.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from sim.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from sim.model import encounter as enc
from sim.model import recovery as rec
from sim.model import satisfaction as sat
from sim.model.population import RESOLVED, RESOLVED_QUICKLY, UNRESOLVED, CustomerPopulation
from sim.streams import CounterBatch, CounterStream

if TYPE_CHECKING:
    from sim.model.providers import Provider
    from sim.model.system import ServiceSystem
    from sim.model.unit import Unit

SLICE_HOURS = HOURS_PER_DAY
REPURCHASE_WINDOW_HOURS = 90 * HOURS_PER_DAY
DISSATISFIED = 0.5  # encounter satisfaction below which the encounter dissatisfied

# the random numbers of one visit, in this order; each from its own counter-based stream
# keyed by (customer, visit number), so the k-th visit of a customer draws the same numbers
# in every scenario run with the same seed (common random numbers per individual)
VISIT_DRAWS: tuple[tuple[str, str], ...] = (
    ("service_time", "normal"),
    ("patience", "exponential"),
    ("special_request", "uniform"),
    ("flexibility", "uniform"),
    ("proactivity", "uniform"),
    ("failures", "uniform"),
    ("complaints", "uniform"),
    ("recovery_on_spot", "uniform"),
    ("recovery_escalated", "uniform"),
    ("quality_noise", "normal"),
    ("empathy_noise", "normal"),
    ("recommend_noise", "normal"),
)
(SERVICE, PATIENCE, SPECIAL, FLEX, PROACTIVE, FAILURE, COMPLAINT, SPOT, ESCALATED,
 QUALITY_NOISE, EMPATHY_NOISE, RECOMMEND_NOISE) = range(len(VISIT_DRAWS))


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
        while True:
            due = np.flatnonzero(next_visit < until)
            if due.size == 0:
                break
            times = next_visit[due].copy()
            counters = k[due].astype(np.int64)
            rate = col["visit_rate"][due].astype(float) * multiplier
            next_visit[due] = times + gaps.exponential(due, counters) / rate
            k[due] += 1
            who.append(due)
            when.append(times)
            number.append(counters - 1)
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
    env: simpy.Environment,
    population: CustomerPopulation,
    streams: dict[str, CounterStream],
    demand: Callable[[], float],
    start_visit: Callable[[int, list[float]], None],
) -> Generator[simpy.Event, Any, None]:
    """A day at a time: collect the visits due, draw their numbers, start each on time.

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
        for customer, at, numbers in zip(who.tolist(), when.tolist(), draws, strict=True):
            delay = at - env.now
            if delay > 0.0:
                yield env.timeout(delay)
            start_visit(customer, numbers)
        rest = day_end - env.now
        if rest > 0.0:
            yield env.timeout(rest)


class VisitConstants:
    """The scenario's numbers that every visit needs, read once (the visit is the hot path)."""

    def __init__(self, p: Any) -> None:
        c, e, r, s, o = p.customers, p.encounter, p.recovery, p.satisfaction, p.organization
        self.special_request_rate = c.special_request_rate
        self.special_request_time = e.special_request_time
        self.special_request_error = e.special_request_error
        self.proactive_time = e.proactive_time
        self.prevention = e.proactive_prevention
        self.fixable_share = o.fixable_share
        self.provider_error_rate = p.providers.error_rate
        self.customer_error_rate = c.error_rate
        self.complaint_propensity = c.complaint_propensity
        self.complaint_loyalty_effect = c.complaint_loyalty_effect
        self.escalation_success = r.escalation_success
        self.quick_score = r.quick_score
        self.escalated_score = r.escalated_score
        self.double_deviation = r.double_deviation
        self.paradox = r.paradox
        self.paradox_bonus = r.paradox_bonus
        self.compensation = r.compensation
        self.valued = (e.valued_base, e.valued_bond, e.valued_proactive, e.valued_accommodated,
                       e.valued_refusal)
        self.recognition = e.recognition
        self.bond_gain = e.bond_gain
        self.relationship_patience = e.relationship_patience
        self.bond_efficiency = e.bond_efficiency
        self.positive_weight = s.positive_weight
        self.negative_weight = s.negative_weight
        self.smoothing = s.smoothing
        self.expectation_adaptation = s.expectation_adaptation
        self.recommend = (s.recommend_intercept, s.recommend_slope, s.recommend_noise)


def lognormal_parameters(mean: float, cv: float) -> tuple[float, float]:
    """(mu, sigma) of the lognormal with the given mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    return math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)


def chain_visit(
    world: ServiceSystem, unit: Unit, c: int, base_service: float, patience: float,
    u: list[float],
) -> None:
    """Customer ``c`` arrives at ``unit`` for a visit along the whole chain; ``u`` holds the
    visit's random numbers (see :data:`VISIT_DRAWS`).

    A customer who finds a provider free is served at once, and the end of service is a
    timeout whose callback runs the rest of the encounter (:func:`encounter_outcome`):
    no SimPy process is needed.  One who must queue becomes a process
    (:func:`wait_in_line`) until a provider takes them or their patience runs out.
    """
    pop = world.population
    pop.in_visit[c] = 1
    arrived = world.env.now
    unit.tally.arrived += 1
    unit.arrivals_since_workload += 1
    tolerance = world.wait_tolerance
    own = world.own_provider(c) if world.relationship else None
    if own is not None:  # waiting for one's own provider (Gutek): more patient, more tolerant
        k = world.constants
        patience *= k.relationship_patience
        tolerance *= k.relationship_patience
    provider = unit.desk.seize(own)
    if provider is None:
        world.env.process(wait_in_line(
            world, unit, c, base_service, patience, tolerance, own, arrived, u
        ))
    else:
        serve(world, unit, c, provider, base_service, tolerance, own, arrived, u)


def wait_in_line(
    world: ServiceSystem, unit: Unit, c: int, base_service: float, patience: float,
    tolerance: float, own: Provider | None, arrived: float, u: list[float],
) -> Generator[simpy.Event, Any, None]:
    """Queue for a provider (one's own, in relationship service) until one is free or
    patience runs out; the abandonment is booked the moment patience ends."""
    desk = unit.desk
    ticket = desk.join(c, arrived, own)
    if patience > 0.0:
        desk.abandonment_timer(ticket, patience, lambda: unit.tally.abandon())
    provider = yield ticket.event
    if provider is None:
        world.walk_away(c, unit)
        world.population.in_visit[c] = 0
        return
    serve(world, unit, c, provider, base_service, tolerance, own, arrived, u)


def serve(
    world: ServiceSystem, unit: Unit, c: int, provider: Provider, base_service: float,
    tolerance: float, own: Provider | None, arrived: float, u: list[float],
) -> None:
    """The provider starts serving: the kind of encounter and its duration; the rest of
    the encounter runs when the service time has passed."""
    env = world.env
    k = world.constants
    wait = env.now - arrived
    # the period's tallies are fetched again at every step of the visit: a review may have
    # closed the period (and started fresh tallies) while the customer waited or was served
    unit.tally.start(wait, world.wait_target)
    chain = unit.chain
    policy = unit.policy

    # the kind of encounter (seed 002): special requests and proactive attention
    request = 0
    extra = 1.0
    if u[SPECIAL] < k.special_request_rate:
        chain.special_requests += 1
        if u[FLEX] < policy.flexibility:
            request = 1
            chain.accommodated += 1
            extra += k.special_request_time
        else:
            request = -1
            chain.refused += 1
    proactive = u[PROACTIVE] < policy.proactivity
    if proactive:
        extra += k.proactive_time
        chain.proactive += 1
    knows = 1.0
    if own is not None and provider is own:  # a provider who knows the customer is quicker
        knows -= k.bond_efficiency * world.population.bond[c]
    competency = provider.competency
    service = base_service * unit.time_factor * extra * knows / competency

    def served(_event: simpy.Event) -> None:
        encounter_outcome(world, unit, c, provider, competency, service, arrived, wait,
                          tolerance, own, request, proactive, knows, u)

    env.timeout(service).callbacks.append(served)


def encounter_outcome(
    world: ServiceSystem, unit: Unit, c: int, provider: Provider, competency: float,
    service: float, arrived: float, wait: float, tolerance: float, own: Provider | None,
    request: int, proactive: bool, knows: float, u: list[float],
) -> None:
    """The service has ended: failures and their sources, complaint and recovery, the
    five dimensions of quality, satisfaction, bond, recommendation and money."""
    env = world.env
    pop = world.population
    k = world.constants
    desk = unit.desk
    provider.served += 1
    provider.served_in_period += 1
    provider.busy_time += service
    desk.release(provider)
    now = env.now
    tally, chain = unit.tally, unit.chain
    tally.finish(service, now - arrived)

    # failures and their sources (Goodman)
    p_proc, p_prov, p_cust = enc.failure_probabilities(
        unit.process_failure_rate(k.fixable_share),
        k.provider_error_rate * knows,
        competency,
        unit.quality_factor,
        k.customer_error_rate,
        request > 0,
        k.special_request_error,
        pop.forewarned[c] == 1,
        k.prevention,
    )
    source = enc.failure_source(u[FAILURE], p_proc, p_prov, p_cust)
    pop.forewarned[c] = 1 if proactive else 0
    chain.failures_by_source[source] += 1

    # the first visit after a failure shows whether the customer came back
    pending = pop.failure_outcome[c]
    if pending >= 0:
        chain.repurchase_base[pending] += 1
        if now - pop.failure_at[c] <= REPURCHASE_WINDOW_HOURS:
            chain.repurchased[pending] += 1
        pop.failure_outcome[c] = -1

    # complaint and recovery
    satisfaction = pop.satisfaction[c]
    bond = pop.bond[c]
    outcome = -1
    complained = False
    reliability = 1.0
    if source:
        complained = u[COMPLAINT] < rec.complaint_probability(
            k.complaint_propensity,
            k.complaint_loyalty_effect,
            bond,
            (now - pop.joined[c]) / HOURS_PER_YEAR,
            satisfaction,
        )
        outcome = rec.recovery_outcome(
            complained,
            u[SPOT],
            u[ESCALATED],
            unit.on_spot_probability,
            k.escalation_success,
        )
        if complained:
            chain.complaints += 1
            pop.complaints[c] += 1
            if source == enc.PROCESS:
                unit.process_complaints += 1
            if outcome == RESOLVED_QUICKLY:
                chain.recovered_quickly += 1
                chain.compensation += k.compensation
            elif outcome == RESOLVED:
                chain.recovered_escalated += 1
                chain.compensation += k.compensation
            else:
                chain.unresolved += 1
        pop.failures[c] += 1
        pop.failure_outcome[c] = outcome
        pop.failure_at[c] = now
        reliability = rec.reliability_score(outcome, k.quick_score, k.escalated_score)

    # the five dimensions (Kotelnikov) and perceived quality
    if world.pseudo:
        bond = k.recognition if pop.provider[c] == provider.id else 0.0
        pop.provider[c] = provider.id
    v_base, v_bond, v_proactive, v_accommodated, v_refusal = k.valued
    valued = enc.feeling_valued(
        v_base, bond, v_bond, proactive, v_proactive, request, v_accommodated, v_refusal
    )
    noise_sd = provider.quality_sd
    responsiveness = enc.responsiveness(wait, tolerance)
    if outcome == RESOLVED or outcome == UNRESOLVED:  # escalation delays the answer
        responsiveness *= world.escalation_responsiveness
    scores = (
        reliability,
        responsiveness,
        enc.competency_score(competency, unit.quality_factor, noise_sd * u[QUALITY_NOISE]),
        enc.empathy(provider.job_satisfaction, noise_sd * u[EMPATHY_NOISE]),
        valued,
    )
    weights = world.weights
    quality = enc.perceived_quality(scores, weights)
    provider.quality_sum += quality

    # satisfaction from disconfirmation (Oliver), recovery effects, expectation
    own_expectation = pop.expectation[c]
    expectation = own_expectation + world.promise
    s_enc = sat.encounter_satisfaction(quality, expectation, k.positive_weight, k.negative_weight)
    if source:
        s_enc = rec.satisfaction_adjustment(
            outcome,
            pop.failures[c] == 1,
            k.paradox,
            k.paradox_bonus,
            k.double_deviation,
            sat.encounter_satisfaction(
                quality + weights[0] * (1.0 - reliability), expectation, k.positive_weight,
                k.negative_weight,
            ),
            s_enc,
        )
        if s_enc < DISSATISFIED:
            chain.dissatisfied_by_source[source] += 1
    satisfaction = sat.smooth(satisfaction, s_enc, k.smoothing)
    pop.satisfaction[c] = satisfaction
    adapted = sat.smooth(own_expectation, quality, k.expectation_adaptation)
    pop.expectation[c] = adapted if adapted < 1.0 else 1.0
    chain.quality_sum += quality
    chain.encounter_satisfaction_sum += s_enc

    # bond with one's own provider (relationship service)
    if world.relationship:  # proactive attention builds the bond twice as fast
        gain = k.bond_gain * (2.0 if proactive else 1.0)
        pop.bond[c] = bond + (gain if gain < 1.0 else 1.0) * (1.0 - bond)

    # likelihood to recommend
    intercept, slope, noise = k.recommend
    score = sat.recommend_score(satisfaction, intercept, slope, noise * u[RECOMMEND_NOISE])
    pop.recommend[c] = score
    if score >= sat.PROMOTER_MIN_SCORE and not pop.ever_promoter[c]:
        pop.ever_promoter[c] = 1
        pop.promoter_at[c] = now

    # money
    revenue = world.revenue_per_visit[pop.segment[c]]
    chain.revenue += revenue
    pop.revenue[c] += revenue
    pop.visits[c] += 1
    pop.in_visit[c] = 0
    if world.events is not None:
        world.events.append((
            now / HOURS_PER_DAY, c, provider.id, unit.index, wait, *scores, enc.SOURCES[source],
            complained, outcome == RESOLVED or outcome == RESOLVED_QUICKLY, satisfaction, score,
        ))
