"""The organization's periodic work: providers, workload, failure learning, the market.

At each review the organization updates its providers (learning, job
satisfaction, accountability), feeds complaints into root-cause fixes (the
failure information system of Kotelnikov),
adapts staffing if it does so, and the population's per-period changes
(rising expectations, defections, rival offers, acquisitions) are applied,
vectorised over all customers.  A weekly workload review sets work pressure
and corner cutting (Oliva & Sterman 2001).
"""

from __future__ import annotations

import math

import numpy as np

from sim.clock import HOURS_PER_MONTH, HOURS_PER_WEEK, HOURS_PER_YEAR, MINUTES_PER_HOUR
from sim.model import growth, loyalty, providers, recovery, staffing_plan, workload
from sim.model.context import RunContext
from sim.model.customers import close_due_problems, close_pending_failures
from sim.model.expectations import drift_expectations
from sim.model.population import ACTIVE, DEFECTED
from sim.model.satisfaction import PASSIVE_MIN_SCORE, PROMOTER_MIN_SCORE
from sim.model.unit import Unit
from sim.scenario.schema import OrganizationSection, ProvidersSection


def update_workload(ctx: RunContext, unit: Unit, dt_hours: float) -> None:
    """Work pressure from last week's demand; time per order, quality, standard drift."""
    pr = ctx.p.providers
    demand = unit.arrivals_since_workload / dt_hours if dt_hours > 0 else 0.0
    unit.arrivals_since_workload = 0
    capacity = sum(p.competency for p in unit.providers if not p.leaving)
    desired = workload.desired_capacity(demand, unit.standard, pr.target_utilisation)
    unit.work_pressure = workload.work_pressure(desired, capacity)
    upward = pr.standards_drift and pr.standard_recovery  # no Oliva & Sterman asymmetry
    if pr.corner_cutting:
        tpo = workload.time_per_order(unit.standard, unit.work_pressure, pr.pressure_sensitivity,
                                      unit.full_quality_time if upward else None)
    else:
        tpo = unit.standard
    if pr.standards_drift:
        unit.standard = workload.drift_standard(
            unit.standard, tpo, dt_hours / HOURS_PER_WEEK, pr.standard_adjust_weeks, upward
        )
    unit.time_factor = tpo / unit.full_quality_time
    unit.quality_factor = workload.quality_of_time(
        tpo, unit.full_quality_time, pr.quality_time_elasticity
    )


def update_providers(ctx: RunContext, unit: Unit, dt_hours: float) -> list[providers.Provider]:
    """Learning, job satisfaction and accountability; returns the low performers to remove."""
    p = ctx.p
    o = p.organization
    now = ctx.env.now
    tau = providers.learning_time_constant(p.providers.learning_months, unit.policy.training)
    target = providers.job_satisfaction_target(
        unit.policy.internal_service_quality,
        unit.policy.empowerment,
        unit.work_pressure,
        p.providers.workload_effect,
        base=p.providers.job_satisfaction_base,
        isq_weight=p.providers.job_satisfaction_isq,
        empowerment_weight=p.providers.job_satisfaction_empowerment,
    )
    js_tau = p.providers.job_satisfaction_months * HOURS_PER_MONTH
    bar = low_performer_bar(unit, o, now)
    remove = []
    for prov in list(unit.providers):
        if prov.leaving:
            continue
        prov.competency = providers.learning_curve(
            prov.novice_competency, prov.tenure(now) / HOURS_PER_MONTH, tau
        )
        own = personal_target(p.providers, target, prov, prov.period_experience(now, dt_hours))
        prov.job_satisfaction = providers.adjust_towards(
            prov.job_satisfaction, own, dt_hours, js_tau
        )
        if p.organization.accountability and prov.served_in_period:
            mean_quality = prov.quality_sum / prov.served_in_period
            seasoned = prov.tenure(now) / HOURS_PER_MONTH >= o.low_performer_min_tenure
            if seasoned and mean_quality < bar:
                prov.low_reviews += 1
            else:
                prov.low_reviews = 0
            if prov.low_reviews >= o.low_performer_reviews:
                remove.append(prov)
        prov.start_period()
    return remove


def low_performer_bar(unit: Unit, o: OrganizationSection, now: float) -> float:
    """The delivered quality below which a seasoned provider counts as a low performer this
    period: the absolute floor, or the mean of the unit's seasoned providers less the
    margin, whichever is higher (the bottom of the unit, not only the hopeless)."""
    seasoned = [q.quality_sum / q.served_in_period for q in unit.providers
                if not q.leaving and q.served_in_period
                and q.tenure(now) / HOURS_PER_MONTH >= o.low_performer_min_tenure]
    if not seasoned:
        return o.low_performer_quality
    return max(o.low_performer_quality, sum(seasoned) / len(seasoned) - o.low_performer_margin)


def personal_target(pr: ProvidersSection, unit_target: float, prov: providers.Provider,
                    experience: tuple[float, float, float]) -> float:
    """Where ``prov``'s job satisfaction heads: the unit's target with their disposition, own
    workload and experiences (see :func:`sim.model.providers.personal_target`)."""
    return providers.personal_target(
        unit_target, prov.disposition, experience,
        comfortable_utilisation=pr.comfortable_utilisation,
        load_effect=pr.job_satisfaction_load,
        mood_reference=pr.job_satisfaction_mood_reference,
        mood_weight=pr.job_satisfaction_mood,
        complaint_weight=pr.job_satisfaction_complaints,
    )


def failure_information_system(unit: Unit, learning: float) -> None:
    """Each complaint about a process failure removes a share of the fixable failure rate.

    Silent sufferers never reach the system (Goodman; Kotelnikov's cross-functional
    failure information system).
    """
    if learning > 0.0 and unit.process_complaints:
        unit.process_multiplier *= (1.0 - learning) ** unit.process_complaints


REVIEW_CHUNK = 1 << 16  # customers per block of the population review (bounds its memory)


def population_review(ctx: RunContext, dt_hours: float) -> np.ndarray:
    """Rising expectations, defection (dissatisfaction, other reasons) and rival offers.

    Returns the indices of the customers who defected, with reasons recorded.  The work is
    elementwise per customer, so it runs over the candidates in blocks of
    :data:`REVIEW_CHUNK`: the float64 temporaries stay small at any population size and
    every number is the same as in one pass.
    """
    m = ctx.p.market
    years = dt_hours / HOURS_PER_YEAR
    for name in ("rival_offers", "switching", "defection"):  # the streams exist even if unused
        ctx.streams.counter(name)
    with ctx.population.np() as col:
        close_due_problems(ctx.units, col, ctx.env.now,
                           ctx.p.customers.repurchase_horizon_months * HOURS_PER_MONTH)
        candidates = np.flatnonzero(col["status"] == ACTIVE)
        candidates = candidates[col["in_visit"][candidates] == 0]
        gone = [
            review_block(ctx, col, candidates[i : i + REVIEW_CHUNK], years)
            for i in range(0, candidates.size, REVIEW_CHUNK)
        ]
        idx = np.concatenate(gone) if gone else candidates
        col["grievance"][:] = recovery.fade(col["grievance"], dt_hours,
                                            ctx.p.recovery.grievance_months)
        ctx.market.rise(m.expectation_drift * m.competition * years)
        close_pending_failures(ctx.units, col, idx)
        return idx


def review_block(
    ctx: RunContext, col: dict[str, np.ndarray], candidates: np.ndarray, years: float
) -> np.ndarray:
    """The population review of one block of ``candidates``: returns those who defected."""
    m, c = ctx.p.market, ctx.p.customers
    counter = ctx.streams.counter
    period = len(ctx.recorder.rows)
    now = ctx.env.now
    expectation = col["expectation"][candidates]
    drift_expectations(expectation, m.expectation_drift * m.competition, years)
    col["expectation"][candidates] = expectation
    s = col["satisfaction"][candidates].astype(float)
    bond = col["bond"][candidates].astype(float)
    tenure_share = np.minimum(
        (now - col["joined"][candidates].astype(float))
        / (m.tenure_horizon_years * HOURS_PER_YEAR), 1.0
    )
    # counter-based draws keyed by (customer, period): common random numbers per customer
    u_offer = counter("rival_offers").uniform(candidates, period)
    u_switch = counter("switching").uniform(candidates, period)
    u_defect = counter("defection").uniform(candidates, period)
    has_offer = u_offer < loyalty.period_probability(
        loyalty.offer_rate(m.competition, m.offer_rate), years
    )
    switch = u_switch < loyalty.switch_probability(
        s, bond, m.competition, m.rival_quality, m.rival_quality_gain, m.switching_cost,
        m.bond_value, m.choice_scale, tenure_share, m.tenure_value,
    )
    h_dis = loyalty.dissatisfaction_hazard(
        s, c.dissatisfaction_defection, c.defection_sensitivity, c.satisfied_threshold
    )
    h_dis = h_dis + col["grievance"][candidates]  # unrecovered critical incidents
    total = h_dis + c.other_defection
    p_leave = loyalty.period_probability(total, years)
    leave = u_defect < p_leave
    with np.errstate(invalid="ignore", divide="ignore"):
        dis_share = np.where(total > 0, h_dis / total, 0.0)
    reason = np.where(u_defect < p_leave * dis_share, loyalty.DISSATISFACTION, loyalty.OTHER)
    rival = has_offer & switch
    reason = np.where(rival, loyalty.RIVAL_OFFER, reason)
    gone = rival | leave
    idx = candidates[gone]
    col["status"][idx] = DEFECTED
    col["defect_reason"][idx] = reason[gone]
    col["left"][idx] = now
    col["next_visit"][idx] = np.inf
    return idx


def acquisitions(ctx: RunContext, dt_hours: float) -> dict[str, float]:
    """How many new customers come by paid acquisition (less negative word of mouth) and by
    referral, and the word of mouth of the period; the caller adds the customers."""
    g = ctx.p.growth
    months = dt_hours / HOURS_PER_MONTH
    with ctx.population.np() as col:
        active = col["status"] == ACTIVE
        rated = col["recommend"]
        promoters = int(np.count_nonzero(active & (rated >= PROMOTER_MIN_SCORE)))
        detractors = int(np.count_nonzero(active & (rated >= 0) & (rated < PASSIVE_MIN_SCORE)))
    positive, negative = growth.word_of_mouth(
        promoters, detractors, g.positive_wom, g.negative_wom, months
    )
    rng = ctx.streams.generator("acquisition")
    referrals = int(rng.poisson(growth.expected_referrals(
        promoters, g.referral_intent, g.referral_action, g.referral_conversion, months
    )))
    paid = int(rng.poisson(growth.expected_paid_acquisitions(
        g.paid_per_month, months, negative, g.wom_deterrence
    )))
    return {
        "acquired_paid": paid,
        "acquired_referral": referrals,
        "wom_positive": positive,
        "wom_negative": negative,
    }


def staffing_gap(ctx: RunContext, unit: Unit) -> int:
    """Adaptive staffing: providers to hire (positive) or release (negative) to plan.

    The plan follows ``organization.staffing_rule``: planned utilisation, or the fewest
    providers whose Erlang C service level reaches the goal
    (:func:`staffing_plan.service_level_staff`).
    """
    pr, o = ctx.p.providers, ctx.p.organization
    present = [p for p in unit.providers if not p.leaving]
    mean_competency = (sum(p.competency for p in present) / len(present)) if present else 1.0
    mean_competency = max(mean_competency, 0.05)
    demand = unit.tally.arrived / max(ctx.env.now - ctx.recorder.period_start, 1e-9)
    if o.staffing_rule == "service_level":  # planned at the period's mean handling time
        tally = unit.tally
        handling = (tally.service_sum / tally.served if tally.served
                    else unit.full_quality_time / mean_competency)
        needed = staffing_plan.service_level_staff(
            demand, handling,
            o.wait_target / MINUTES_PER_HOUR, o.service_level,
        )
    else:
        # planned at the (possibly eroded) standard: management reads a lower time per
        # customer as higher productivity (Oliva & Sterman 2001)
        capacity = workload.desired_capacity(demand, unit.standard, pr.target_utilisation)
        needed = max(1, math.ceil(capacity / mean_competency))
    return needed - (len(present) + unit.vacancies)
