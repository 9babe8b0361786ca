"""The encounter at the end of service, as a sequence of named stages.

When a provider finishes serving a customer, :func:`encounter_outcome` runs the
stages in order, each a short function:

1. :func:`end_service`: the provider is free again; the desk's tallies.
2. :func:`failure_stage`: did the encounter fail, and whose failure was it
   (process, provider, customer: Goodman 2009).
3. :func:`recovery_stage`: does the failed customer complain, and is the
   complaint put right on the spot, after escalation, or not at all.
4. :func:`judgement_stage`: the five dimensions of quality (reliability,
   responsiveness, competency, empathy, feeling valued; Kotelnikov) and perceived
   quality with the SERVQUAL weights (Parasuraman, Zeithaml & Berry 1988).
5. :func:`customer_update_stage`: encounter and cumulative satisfaction (Oliver
   1980) anchored more by the past the longer the tenure (Bolton 1998), adapted
   expectation, bond, likelihood to recommend with the customer's own lasting
   offset (Reichheld 2003); a problem that leaves the customer dissatisfied
   leaves a grievance unless recovered (:func:`problem_stage`; Keaveney 1995,
   TARP 1986).
6. :func:`bookkeeping_stage`: revenue and the encounter log.

A :class:`Visit` carries what the stages need to know of the visit so far.
"""

from __future__ import annotations

from typing import Any

from sim.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from sim.model import cops, expectations
from sim.model import encounter as enc
from sim.model import recovery as rec
from sim.model import satisfaction as sat
from sim.model.context import RunContext
from sim.model.population import RESOLVED, RESOLVED_QUICKLY, SILENT, UNRESOLVED, ladder_cell
from sim.model.providers import PARITY, Provider
from sim.model.unit import Unit

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
    ("severity", "uniform"),
    ("unprompted_recovery", "uniform"),
)
(SERVICE, PATIENCE, SPECIAL, FLEX, PROACTIVE, FAILURE, COMPLAINT, SPOT, ESCALATED,
 QUALITY_NOISE, EMPATHY_NOISE, RECOMMEND_NOISE, SEVERITY, UNPROMPTED) = range(len(VISIT_DRAWS))


class Visit:
    """One visit of one customer from arrival to the end of the encounter; the visit is
    also what the calendar schedules as its end of service
    (:meth:`~sim.model.calendar.VisitCalendar.end_after`, when service begins)."""

    __slots__ = (
        "arrived", "competency", "covered", "customer", "ended", "knows", "own", "proactive",
        "provider",
        "request", "service", "tolerance", "u", "unit", "unprompted", "wait",
    )

    # set when service begins (sim.model.customers.serve), read by the stages after it
    provider: Provider  # who serves
    wait: float  # hours waited
    request: int  # encounter_kinds: NO_REQUEST, ACCOMMODATED or REFUSED
    proactive: bool  # proactive attention
    knows: float  # service-time factor of a provider who knows the customer
    competency: float  # the provider's competency when service began
    service: float  # hours of service
    ended: float  # when the service ended (the encounter's time; encounter_outcome)

    def __init__(self, unit: Unit, customer: int, arrived: float, own: Provider | None,
                 u: list[float]) -> None:
        self.unit = unit
        self.customer = customer
        self.arrived = arrived
        # hours of waiting the customer tolerates (sim.model.customers.wait_in_line sets it
        # for a customer who must wait; one served at once has waited 0 hours, which any
        # tolerance meets with full responsiveness)
        self.tolerance = 0.0
        self.own = own  # own provider (relationship service), or None
        self.covered = False  # served by a colleague covering for the busy own provider
        self.u = u  # the visit's random numbers, see VISIT_DRAWS
        self.unprompted = False  # a silent failure the provider noticed and put right


def encounter_outcome(ctx: RunContext, v: Visit) -> None:
    """The service has ended: run the encounter's stages in order (bound to the run, the
    calendar's handler of visit ends, :meth:`~sim.model.calendar.VisitCalendar.on_end`)."""
    provider = v.provider
    v.ended = ctx.env.now
    end_service(ctx, v, provider)
    source = failure_stage(ctx, v, provider)
    outcome, complained, reliability = recovery_stage(ctx, v, source)
    scores, quality = judgement_stage(ctx, v, provider, outcome, reliability)
    satisfaction, score = customer_update_stage(ctx, v, source, outcome, reliability, quality)
    bookkeeping_stage(ctx, v, provider, source, outcome, complained, scores, satisfaction,
                      score)


def end_service(ctx: RunContext, v: Visit, provider: Provider) -> None:
    """The provider is free again (or takes the next in line); the desk's tallies."""
    unit = v.unit
    provider.served += 1
    provider.served_in_period += 1
    provider.busy_time += v.service
    unit.desk.release(provider)
    unit.tally.finish(v.service, v.ended - v.arrived)


def failure_stage(ctx: RunContext, v: Visit, provider: Provider) -> int:
    """Whether and from which source the encounter failed (Goodman 2009); a proactive provider
    forewarns the customer for the next visit."""
    k = ctx.settings
    pop = ctx.population
    unit, c = v.unit, v.customer
    p_proc, p_prov, p_cust = enc.failure_probabilities(
        unit.process_failure_rate(k.fixable_share),
        k.provider_error_rate * v.knows,
        v.competency,
        unit.quality_factor,
        k.customer_error_rate,
        v.request > 0,
        k.special_request_error,
        pop.forewarned[c] == 1,
        k.prevention,
        competency_effect=k.error_competency_effect,
        quality_floor=k.quality_floor,
    )
    source = enc.failure_source(v.u[FAILURE], p_proc, p_prov, p_cust)
    pop.forewarned[c] = 1 if v.proactive else 0
    chain = unit.chain
    chain.failures_by_source[source] += 1
    return source


def recovery_stage(ctx: RunContext, v: Visit, source: int) -> tuple[int, bool, float]:
    """Complaint and recovery of a failed encounter: (outcome, complained, reliability score);
    (-1, False, 1.0) when nothing failed."""
    if not source:
        return -1, False, 1.0
    k = ctx.settings
    pop = ctx.population
    unit, c, u = v.unit, v.customer, v.u
    now = v.ended
    complained = u[COMPLAINT] < rec.complaint_probability(
        k.complaint_propensity,
        k.complaint_loyalty_effect,
        pop.bond[c],
        (now - pop.joined[c]) / HOURS_PER_YEAR,
        pop.satisfaction[c],
        centre=k.complaint_centre,
        scale=k.complaint_scale,
        full_tenure=k.complaint_tenure,
    )
    outcome = rec.recovery_outcome(
        complained, u[SPOT], u[ESCALATED], unit.on_spot_probability, k.escalation_success
    )
    if not complained and u[UNPROMPTED] < unit.unprompted_probability:
        # an empowered provider notices the silent failure and puts it right at once
        v.unprompted = True
        outcome = RESOLVED_QUICKLY
        unit.chain.recovered_unprompted += 1
        unit.chain.compensation += k.compensation
    if complained:
        book_complaint(unit, source, outcome, k.compensation)
        # the provider lives the complaint they handle
        if outcome == RESOLVED_QUICKLY:
            v.provider.complaints_won += 1
        else:
            v.provider.complaints_lost += 1
    pop.failures[c] += 1
    return outcome, complained, rec.reliability_score(outcome, k.quick_score,
                                                      k.escalated_score)


def book_complaint(unit: Unit, source: int, outcome: int, compensation: float) -> None:
    """Count a complaint and how it was recovered; root-cause learning counts process
    complaints."""
    chain = unit.chain
    chain.complaints += 1
    if source == enc.PROCESS:
        unit.process_complaints += 1
    if outcome == RESOLVED_QUICKLY:
        chain.recovered_quickly += 1
        chain.compensation += compensation
    elif outcome == RESOLVED:
        chain.recovered_escalated += 1
        chain.compensation += compensation
    else:
        chain.unresolved += 1


def judgement_stage(
    ctx: RunContext, v: Visit, provider: Provider, outcome: int, reliability: float
) -> tuple[tuple[float, float, float, float, float], float]:
    """The five dimensions of quality and perceived quality: (scores, quality)."""
    k = ctx.settings
    pop = ctx.population
    c, u, unit = v.customer, v.u, v.unit
    bond = 0.0 if v.covered else pop.bond[c]  # a covering colleague does not know them
    if k.pseudo:
        bond = cops.pseudo_recognition(pop.provider[c], provider.id, k.recognition)
        pop.provider[c] = provider.id
    v_base, v_bond, v_proactive, v_accommodated, v_refusal = k.valued
    valued = enc.feeling_valued(
        v_base, bond, v_bond, v.proactive, v_proactive, v.request, v_accommodated, v_refusal
    )
    noise_sd = provider.quality_sd
    responsiveness = enc.responsiveness(v.wait, v.tolerance)
    if outcome == RESOLVED or outcome == UNRESOLVED:  # escalation delays the answer
        responsiveness *= k.escalation_responsiveness
    scores = (
        reliability,
        responsiveness,
        enc.competency_score(v.competency, unit.quality_factor, noise_sd * u[QUALITY_NOISE]),
        enc.empathy(provider.job_satisfaction, noise_sd * u[EMPATHY_NOISE]),
        valued,
    )
    quality = enc.perceived_quality(scores, k.weights)
    provider.quality_sum += quality
    if v.competency >= PARITY:  # the quality of the experienced front line
        unit.seasoned_quality += quality
        unit.seasoned_served += 1
    return scores, quality


def customer_update_stage(
    ctx: RunContext, v: Visit, source: int, outcome: int, reliability: float, quality: float
) -> tuple[float, int]:
    """Satisfaction from disconfirmation (Oliver 1980) with recovery effects, the adapted
    expectation, the bond and the likelihood to recommend: (satisfaction, score)."""
    k = ctx.settings
    pop = ctx.population
    c, chain = v.customer, v.unit.chain
    satisfaction = pop.satisfaction[c]
    own_expectation = pop.expectation[c]
    expectation = own_expectation + k.promise
    s_enc = sat.encounter_satisfaction(quality, expectation, k.positive_weight,
                                       k.negative_weight)
    if source:
        s_enc = rec.satisfaction_adjustment(
            outcome,
            pop.failures[c] == 1,
            k.paradox,
            k.paradox_bonus,
            k.double_deviation,
            sat.encounter_satisfaction(
                quality + k.weights[0] * (1.0 - reliability), expectation, k.positive_weight,
                k.negative_weight,
            ),
            s_enc,
        )
        if s_enc < k.dissatisfied:
            chain.dissatisfied_by_source[source] += 1
    weight = tenure_weight(ctx, c, v.ended)
    if source:
        problem_stage(ctx, v, outcome, sat.smooth(satisfaction, sat.encounter_satisfaction(
            quality - k.weights[0] * reliability, expectation, k.positive_weight,
            k.negative_weight), weight))
    satisfaction = sat.smooth(satisfaction, s_enc, weight)
    pop.satisfaction[c] = satisfaction
    pop.expectation[c] = expectations.adapt_expectation(own_expectation,
                                                        quality + pop.standard[c],
                                                        k.expectation_adaptation)
    chain.quality_sum += quality
    chain.encounter_satisfaction_sum += s_enc
    v.provider.mood_sum += s_enc  # the customer's mood reaches the provider's job satisfaction
    if k.relationship and not v.covered:  # proactive attention builds the bond faster
        pop.bond[c] = cops.grow_bond(pop.bond[c], k.bond_gain, v.proactive,
                                     k.proactive_bond_factor)
    intercept, slope, noise = k.recommend
    score = sat.recommend_score(satisfaction, intercept, slope,
                                pop.recommend_offset[c] + noise * v.u[RECOMMEND_NOISE])
    pop.recommend[c] = score
    if score >= sat.PROMOTER_MIN_SCORE and not pop.ever_promoter[c]:
        pop.ever_promoter[c] = 1
        pop.promoter_at[c] = v.ended
    return satisfaction, score


def problem_stage(ctx: RunContext, v: Visit, outcome: int, unrecovered: float) -> None:
    """A failure is a problem of some severity (TARP 1986); one that leaves the customer
    dissatisfied (``unrecovered``, their cumulative satisfaction had it not been recovered,
    below the satisfied threshold) is a critical incident that adds a grievance to their
    defection hazard (Keaveney 1995), less what recovery removes; it enters the repurchase
    ladder unless an earlier problem of the customer is still pending there."""
    k = ctx.settings
    if unrecovered >= k.satisfied:
        return
    pop, c = ctx.population, v.customer
    severity = rec.severity(v.u[SEVERITY], k.major_share)
    pop.grievance[c] += rec.grievance(k.grievance[severity], k.grievance_left[outcome])
    if pop.failure_outcome[c] < 0:  # the ladder is by complaint outcome (TARP 1986)
        pop.failure_outcome[c] = ladder_cell(severity, SILENT if v.unprompted else outcome)
        pop.failure_at[c] = v.ended


def tenure_weight(ctx: RunContext, customer: int, now: float) -> float:
    """Weight of the latest encounter in the customer's cumulative satisfaction, falling with
    their tenure (Bolton 1998; see :func:`sim.model.satisfaction.anchor_weight`).  The
    starting population's cumulative satisfaction is an assumed initial value, not
    experience, so their tenure counts from the start of the run here."""
    k = ctx.settings
    joined = ctx.population.joined[customer]
    tenure = (now - (joined if joined > 0.0 else 0.0)) / HOURS_PER_YEAR
    return sat.anchor_weight(k.smoothing, tenure, k.anchor_years)


def bookkeeping_stage(
    ctx: RunContext, v: Visit, provider: Provider, source: int, outcome: int, complained: bool,
    scores: tuple[float, float, float, float, float], satisfaction: float, score: int,
) -> None:
    """Revenue of the visit, the customer is free to visit again, and the encounter log."""
    pop = ctx.population
    c, unit = v.customer, v.unit
    revenue = ctx.settings.revenue_per_visit[pop.segment[c]]
    unit.chain.revenue += revenue
    unit.chain.compensation += revenue * unit.giveaway  # empowered give-aways
    pop.revenue[c] += revenue
    pop.visits[c] += 1
    pop.in_visit[c] = 0
    if ctx.events is not None:
        ctx.events.append(event_row(v.ended, v, provider, source, outcome, complained,
                                    scores, satisfaction, score))


def event_row(
    now: float, v: Visit, provider: Provider, source: int, outcome: int, complained: bool,
    scores: tuple[float, float, float, float, float], satisfaction: float, score: int,
) -> tuple[Any, ...]:
    """One row of the encounter log (the columns of ``EVENT_COLUMNS``)."""
    return (
        now / HOURS_PER_DAY, v.customer, provider.id, v.unit.index, v.wait, *scores,
        enc.SOURCES[source], complained, outcome == RESOLVED or outcome == RESOLVED_QUICKLY,
        satisfaction, score,
    )
