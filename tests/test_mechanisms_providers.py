"""Unit tests of the provider-side mechanisms: learning, job satisfaction, turnover
(sim.model.providers), work pressure and corner cutting (sim.model.workload), and
money (sim.model.money).  MODEL.md sections 2, 5 and 8."""

import itertools
import math

import pytest
import simpy
from hypothesis import given
from hypothesis import strategies as st

from sim.clock import HOURS_PER_MONTH, HOURS_PER_YEAR
from sim.model import money, workload
from sim.model.providers import (
    Provider,
    adjust_towards,
    job_satisfaction_target,
    learning_curve,
    learning_time_constant,
    provider_career,
    quit_hazard,
    quit_probability,
)
from sim.model.service import ServiceDesk
from sim.scenario.schema import (
    MoneySection,
    OrganizationSection,
    ProvidersSection,
)

unit = st.floats(0.0, 1.0)
positive = st.floats(0.01, 100.0)

# ---------------------------------------------------------------------------- providers


def test_hours_per_month_and_year_are_consistent() -> None:
    assert HOURS_PER_YEAR == 365 * 24
    assert HOURS_PER_MONTH * 12 == pytest.approx(HOURS_PER_YEAR, rel=1e-3)


def test_provider_starts_as_a_novice_and_tenure_counts_from_hiring() -> None:
    p = Provider(7, 2, hired_at=100.0, competency=0.4, job_satisfaction=0.6, quality_sd=0.1)
    assert (p.id, p.unit, p.hired_at) == (7, 2, 100.0)
    assert p.competency == p.novice_competency == 0.4
    assert p.job_satisfaction == 0.6 and p.quality_sd == 0.1
    assert not p.busy and not p.leaving
    assert p.served == p.served_in_period == p.customers == p.low_reviews == 0
    assert p.tenure(100.0) == 0.0
    assert p.tenure(830.0) == 730.0


@given(novice=unit, tau=positive)
def test_learning_curve_starts_at_the_novice_level(novice: float, tau: float) -> None:
    assert learning_curve(novice, 0.0, tau) == pytest.approx(novice)


@given(novice=st.floats(0.0, 0.99), tau=positive, t1=st.floats(0, 200), dt=st.floats(0.01, 50))
def test_learning_curve_rises_towards_one(novice: float, tau: float, t1: float, dt: float) -> None:
    c1 = learning_curve(novice, t1, tau)
    c2 = learning_curve(novice, t1 + dt, tau)
    assert novice - 1e-12 <= c1 <= c2 <= 1.0
    if c1 < 1.0 - 1e-9:
        assert c2 > c1


def test_learning_curve_shape_at_one_time_constant() -> None:
    # the remaining gap shrinks to 1/e after one time constant
    assert learning_curve(0.3, 4.0, 4.0) == pytest.approx(1 - 0.7 / math.e)
    assert learning_curve(0.3, 1e6, 4.0) == pytest.approx(1.0)


def test_learning_time_constant_is_divided_by_one_plus_training() -> None:
    assert learning_time_constant(6.0, 0.0) == 6.0
    assert learning_time_constant(6.0, 1.0) == 3.0
    assert learning_time_constant(5.25, 0.5) == pytest.approx(3.5)


def test_default_learning_curve_matches_the_productivity_calibration() -> None:
    """MODEL.md section 8: a novice is about half as effective as a 12-month provider and
    reaches parity (95 %) after 8 to 12 months (De Grip, Sauermann & Sieben 2016)."""
    p = ProvidersSection()
    assert p.novice_competency == 0.5
    tau = learning_time_constant(p.learning_months, p.training)
    assert tau == pytest.approx(3.5)
    ratio = learning_curve(p.novice_competency, 0.0, tau) / learning_curve(
        p.novice_competency, 12.0, tau
    )
    assert 0.45 <= ratio <= 0.55
    months = [m / 10 for m in range(0, 241)]
    first_at_95 = next(m for m in months if learning_curve(0.5, m, tau) >= 0.95)
    assert 8.0 <= first_at_95 <= 12.0


@given(training=st.floats(0.0, 0.9), more=st.floats(0.05, 1.0), t=st.floats(0.1, 24))
def test_more_training_learns_faster(training: float, more: float, t: float) -> None:
    slow = learning_curve(0.5, t, learning_time_constant(5.25, training))
    fast = learning_curve(0.5, t, learning_time_constant(5.25, training + more))
    assert fast > slow


@given(isq=unit, emp=unit, wp=st.floats(-2, 3), effect=st.floats(0, 5))
def test_job_satisfaction_target_is_bounded(isq: float, emp: float, wp: float,
                                           effect: float) -> None:
    assert 0.0 <= job_satisfaction_target(isq, emp, wp, effect) <= 1.0


@given(isq=st.floats(0, 0.9), emp=st.floats(0, 0.9), wp=st.floats(0, 0.3), d=st.floats(0.05, 0.1))
def test_job_satisfaction_target_directions(isq: float, emp: float, wp: float, d: float) -> None:
    base = job_satisfaction_target(isq, emp, wp, 0.6)
    assert job_satisfaction_target(isq + d, emp, wp, 0.6) > base
    assert job_satisfaction_target(isq, emp + d, wp, 0.6) > base
    assert job_satisfaction_target(isq, emp, wp + d, 0.6) < base
    # stronger workload effect hurts more under pressure (or both are already at the floor)
    assert job_satisfaction_target(isq, emp, wp + d, 1.2) <= job_satisfaction_target(
        isq, emp, wp + d, 0.6)
    assert job_satisfaction_target(0.7, 0.5, 0.2, 1.2) < job_satisfaction_target(0.7, 0.5, 0.2, 0.6)


def test_job_satisfaction_target_ignores_slack_and_clips() -> None:
    # overstaffing (negative pressure) does not raise job satisfaction
    assert job_satisfaction_target(0.7, 0.5, -0.5, 0.6) == job_satisfaction_target(
        0.7, 0.5, 0.0, 0.6)
    assert job_satisfaction_target(0.0, 0.0, 3.0, 5.0) == 0.0
    assert job_satisfaction_target(1.0, 1.0, 0.0, 0.0) == pytest.approx(0.85)


def test_default_policies_give_turnover_in_the_calibrated_band() -> None:
    """At default policies and no work pressure, job satisfaction settles near the quit
    reference, so annual turnover is near the base rate: inside 15-25 % (Reichheld 1996)."""
    o, p = OrganizationSection(), ProvidersSection()
    target = job_satisfaction_target(o.internal_service_quality, o.empowerment, 0.0,
                                     p.workload_effect)
    hazard = quit_hazard(target, p.annual_quit_rate, p.quit_sensitivity,
                         p.job_satisfaction_reference)
    assert 0.15 <= quit_probability(hazard, HOURS_PER_YEAR) <= 0.25


@given(current=unit, target=unit, dt=st.floats(0, 100), tau=positive)
def test_adjust_towards_moves_without_overshooting(current: float, target: float, dt: float,
                                                  tau: float) -> None:
    new = adjust_towards(current, target, dt, tau)
    lo, hi = min(current, target), max(current, target)
    assert lo - 1e-12 <= new <= hi + 1e-12
    assert abs(new - target) <= abs(current - target) + 1e-12


def test_adjust_towards_converges_with_the_time_constant() -> None:
    assert adjust_towards(0.2, 0.8, 0.0, 3.0) == pytest.approx(0.2)
    assert adjust_towards(0.2, 0.8, 3.0, 3.0) == pytest.approx(0.8 - 0.6 / math.e)
    assert adjust_towards(0.2, 0.8, 300.0, 3.0) == pytest.approx(0.8)
    # two half steps equal one full step (no dependence on the review length)
    half = adjust_towards(adjust_towards(0.2, 0.8, 1.5, 3.0), 0.8, 1.5, 3.0)
    assert half == pytest.approx(adjust_towards(0.2, 0.8, 3.0, 3.0))
    # repeated monthly steps converge to the target
    value = 0.9
    for _ in range(60):
        value = adjust_towards(value, 0.4, 1.0, 3.0)
    assert value == pytest.approx(0.4, abs=1e-6)


def test_quit_hazard_at_reference_equals_base() -> None:
    assert quit_hazard(0.62, 0.2, 5.0, 0.62) == pytest.approx(0.2)
    assert quit_hazard(0.52, 0.2, 5.0, 0.62) == pytest.approx(0.2 * math.exp(0.5))
    assert quit_hazard(0.3, 0.2, 0.0, 0.62) == pytest.approx(0.2)


@given(js=st.floats(0, 0.95), d=st.floats(0.01, 0.05), sens=st.floats(0.1, 20))
def test_quit_hazard_rises_as_job_satisfaction_falls(js: float, d: float, sens: float) -> None:
    assert quit_hazard(js, 0.2, sens, 0.62) > quit_hazard(js + d, 0.2, sens, 0.62)


@given(rate=st.floats(0, 20), hours=st.floats(0, 2 * HOURS_PER_YEAR))
def test_quit_probability_is_exponential(rate: float, hours: float) -> None:
    p = quit_probability(rate, hours)
    assert p == pytest.approx(1 - math.exp(-rate * hours / HOURS_PER_YEAR), abs=1e-12)
    assert 0.0 <= p <= 1.0


def test_quit_probability_known_values_and_composition() -> None:
    assert quit_probability(0.0, 1000.0) == 0.0
    assert quit_probability(1.0, HOURS_PER_YEAR) == pytest.approx(1 - 1 / math.e)
    # surviving two half years = surviving one year
    half = 1 - quit_probability(0.3, HOURS_PER_YEAR / 2)
    assert half * half == pytest.approx(1 - quit_probability(0.3, HOURS_PER_YEAR))


def _desk_with(env: simpy.Environment, *providers: Provider) -> ServiceDesk:
    desk = ServiceDesk(env)
    for p in providers:
        desk.hire(p)
    return desk


def test_provider_career_quits_when_the_draw_falls_below_the_probability() -> None:
    env = simpy.Environment()
    p = Provider(1, 0, 0.0)
    desk = _desk_with(env, p)
    quits: list[tuple[float, Provider]] = []
    prob = quit_probability(2.0, 100.0)
    draws = iter([prob + 1e-9, prob + 1e-9, prob - 1e-9, 0.0])
    env.process(provider_career(env, desk, p, 100.0, lambda _p: 2.0, lambda: next(draws),
                                lambda q: quits.append((env.now, q))))
    env.run(until=1000.0)
    assert quits == [(300.0, p)]
    assert p.leaving and p not in desk.providers and p not in desk.idle


def test_provider_career_never_quits_at_zero_hazard_and_stops_when_removed() -> None:
    env = simpy.Environment()
    p = Provider(1, 0, 0.0)
    desk = _desk_with(env, p)
    quits: list[Provider] = []
    hazards: list[float] = []

    def hazard(q: Provider) -> float:
        hazards.append(env.now)
        return 0.0

    env.process(provider_career(env, desk, p, 10.0, hazard, lambda: 0.0, quits.append))
    env.run(until=55.0)
    assert quits == [] and hazards == [10.0, 20.0, 30.0, 40.0, 50.0]
    desk.dismiss(p)  # the organization removes them meanwhile
    env.run(until=200.0)
    assert quits == [] and len(hazards) == 5


def test_provider_career_quit_of_a_busy_provider_waits_for_the_encounter() -> None:
    env = simpy.Environment()
    p = Provider(1, 0, 0.0)
    desk = _desk_with(env, p)
    assert desk.seize() is p
    env.process(provider_career(env, desk, p, 10.0, lambda _p: 1e6, lambda: 0.5,
                                lambda _q: None))
    env.run(until=11.0)
    assert p.leaving and p in desk.providers and desk.busy == 1
    desk.release(p)
    assert p not in desk.providers and desk.busy == 0 and not p.busy


# ----------------------------------------------------------------------------- workload


def test_work_pressure_sign() -> None:
    assert workload.work_pressure(10.0, 8.0) == pytest.approx(0.2)  # understaffed
    assert workload.work_pressure(10.0, 10.0) == 0.0
    assert workload.work_pressure(10.0, 12.5) == pytest.approx(-0.25)  # slack
    assert workload.work_pressure(0.0, 3.0) == -1.0  # no demand at all
    assert workload.work_pressure(0.0, 0.0) == 0.0


@given(desired=st.floats(0.1, 100), capacity=st.floats(0, 100))
def test_work_pressure_falls_with_capacity(desired: float, capacity: float) -> None:
    wp = workload.work_pressure(desired, capacity)
    assert wp <= 1.0
    assert workload.work_pressure(desired, capacity + 1.0) < wp


def test_desired_capacity() -> None:
    # 9 visits/h x 25 min at 80 % utilisation
    assert workload.desired_capacity(9.0, 25 / 60, 0.8) == pytest.approx(4.6875)
    assert workload.desired_capacity(0.0, 0.5, 0.8) == 0.0


def test_time_per_order_follows_oliva_sterman() -> None:
    k = ProvidersSection().pressure_sensitivity
    assert k == 0.64
    assert workload.time_per_order(0.5, 0.0, k) == 0.5
    for wp in (0.1, 0.25, 0.5, 1.0):
        assert workload.time_per_order(0.5, wp, k) == pytest.approx(0.5 * math.exp(-0.64 * wp))
    # slack is not gold-plated
    assert workload.time_per_order(0.5, -0.4, k) == 0.5


@given(standard=positive, wp=st.floats(-2, 2), k=st.floats(0, 5))
def test_time_per_order_never_above_standard(standard: float, wp: float, k: float) -> None:
    tpo = workload.time_per_order(standard, wp, k)
    assert 0.0 < tpo <= standard


def test_drift_standard_has_the_oliva_sterman_time_constant() -> None:
    weeks = ProvidersSection().standard_adjust_weeks
    assert weeks == 18.7
    new = workload.drift_standard(1.0, 0.6, weeks, weeks)
    assert (new - 0.6) / (1.0 - 0.6) == pytest.approx(1 / math.e)
    assert workload.drift_standard(1.0, 0.6, 0.0, weeks) == pytest.approx(1.0)
    assert workload.drift_standard(1.0, 0.6, 1e5, weeks) == pytest.approx(0.6)


@given(standard=positive, tpo=positive, dt=st.floats(0, 500), tau=positive)
def test_drift_standard_only_moves_down(standard: float, tpo: float, dt: float,
                                       tau: float) -> None:
    new = workload.drift_standard(standard, tpo, dt, tau)
    assert new <= standard
    if tpo >= standard:
        assert new == standard  # never upwards
    else:
        assert new >= tpo - 1e-12  # never below what is delivered


def test_quality_of_time() -> None:
    assert workload.quality_of_time(0.5, 0.5, 1.0) == 1.0
    assert workload.quality_of_time(0.7, 0.5, 1.0) == 1.0
    assert workload.quality_of_time(0.4, 0.5, 1.0) == pytest.approx(0.8)
    assert workload.quality_of_time(0.4, 0.5, 2.0) == pytest.approx(0.64)
    assert workload.quality_of_time(0.4, 0.5, 0.0) == 1.0


@given(full=positive, share=st.floats(0.01, 0.99), e=st.floats(0.1, 10))
def test_quality_falls_below_the_full_quality_time(full: float, share: float, e: float) -> None:
    q = workload.quality_of_time(share * full, full, e)
    assert 0.0 < q < 1.0
    assert workload.quality_of_time(share * full * 0.9, full, e) < q


# -------------------------------------------------------------------------------- money


def test_reliability_cost_values() -> None:
    assert money.reliability_cost(0.0, 800.0, 1.0) == 0.0
    assert money.reliability_cost(0.5, 800.0, 1.0) == pytest.approx(800.0)
    assert money.reliability_cost(0.9, 800.0, 2.0) == pytest.approx(800.0 * 9 * 2)
    assert money.reliability_cost(0.93, MoneySection().reliability_cost, 1.0) == pytest.approx(
        500 * 0.93 / 0.07)
    # finite at perfect reliability (capped at 0.999)
    assert money.reliability_cost(1.0, 800.0, 1.0) == pytest.approx(800.0 * 999)


def test_reliability_cost_rises_steeply_towards_one() -> None:
    grid = [i / 100 for i in range(0, 100)]
    cost = [money.reliability_cost(r, 1.0, 1.0) for r in grid]
    steps = [b - a for a, b in itertools.pairwise(cost)]
    assert all(s > 0 for s in steps)  # increasing
    assert all(b > a for a, b in itertools.pairwise(steps))  # convex
    # going from 90 % to 99 % reliability multiplies the cost elevenfold
    assert money.reliability_cost(0.99, 1, 1) > 10 * money.reliability_cost(0.9, 1, 1)


def test_staff_costs_arithmetic() -> None:
    wages, training, hiring = money.staff_costs(
        provider_months=16.0, wage_per_month=4500.0, training=0.5, training_cost=600.0,
        hires=3, hiring_cost=3000.0)
    assert wages == pytest.approx(72_000.0)
    assert training == pytest.approx(4_800.0)
    assert hiring == pytest.approx(9_000.0)
    assert money.staff_costs(0.0, 4500.0, 1.0, 600.0, 0, 3000.0) == (0.0, 0.0, 0.0)
