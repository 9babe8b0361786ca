"""Unit tests of the concept modules and the encounter's named stages: the clock, the COPS
service models, the encounter kinds, expectations, lifetime value, and the coefficients
that became scenario parameters (their defaults reproduce the former constants)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim import clock
from sim.model import cops, encounter_kinds, expectations, money
from sim.model import encounter as enc
from sim.model import recovery as rec
from sim.model.context import VisitSettings
from sim.model.providers import job_satisfaction_target
from sim.model.satisfaction import (
    DETRACTOR,
    PASSIVE,
    PASSIVE_MIN_SCORE,
    PROMOTER,
    PROMOTER_MIN_SCORE,
    recommend_group,
)
from sim.scenario.schema import ScenarioParameters

unit = st.floats(0.0, 1.0)


def test_clock_conversions_agree() -> None:
    assert clock.HOURS_PER_DAY * clock.DAYS_PER_YEAR == clock.HOURS_PER_YEAR == 8760.0
    assert clock.HOURS_PER_MONTH * clock.MONTHS_PER_YEAR == clock.HOURS_PER_YEAR
    assert clock.HOURS_PER_WEEK == 168.0 and clock.HOURS_PER_MONTH == 730.0


def test_nps_thresholds_split_the_scale() -> None:
    groups = [recommend_group(s) for s in range(11)]
    assert groups == [DETRACTOR] * PASSIVE_MIN_SCORE + [PASSIVE] * (
        PROMOTER_MIN_SCORE - PASSIVE_MIN_SCORE) + [PROMOTER] * (11 - PROMOTER_MIN_SCORE)
    assert (PROMOTER_MIN_SCORE, PASSIVE_MIN_SCORE) == (9, 7)


@given(bond=unit, gain=unit)
def test_bond_grows_towards_one_and_faster_with_proactive_attention(
    bond: float, gain: float
) -> None:
    plain = cops.grow_bond(bond, gain, False, 2.0)
    proactive = cops.grow_bond(bond, gain, True, 2.0)
    assert bond <= plain <= proactive <= 1.0
    assert cops.grow_bond(bond, gain, True, 1.0) == plain


def test_pseudo_relationship_promise_and_recognition() -> None:
    assert cops.pseudo_promise(cops.PSEUDO_RELATIONSHIP, 0.3, 0.5) == pytest.approx(0.15)
    assert cops.pseudo_promise(cops.RELATIONSHIP, 0.3, 0.5) == 0.0
    assert cops.pseudo_recognition(7, 7, 0.4) == 0.4
    assert cops.pseudo_recognition(6, 7, 0.4) == 0.0


def test_assign_providers_balances_and_handles_no_staff() -> None:
    from sim.model.providers import Provider

    staff = [Provider(0, 0, 0.0), Provider(1, 0, 0.0)]
    staff[0].customers = 2
    assert cops.assign_providers(staff, 4).tolist() == [1, 1, 0, 1]
    assert (staff[0].customers, staff[1].customers) == (3, 3)
    assert cops.assign_providers([], 3).tolist() == [-1, -1, -1]


def test_encounter_kinds() -> None:
    kind = encounter_kinds.encounter_kind
    # no request (the draw is above the customer's rate), no proactive attention
    assert kind(0.9, 0.0, 0.3, 0.15, 1.0, 0.3, 0.5, 0.25) == (encounter_kinds.NO_REQUEST,
                                                             False, 1.0)
    # a request the unit bends for, with proactive attention: both take extra time
    assert kind(0.1, 0.2, 0.2, 0.15, 0.5, 0.3, 0.5, 0.25) == (encounter_kinds.ACCOMMODATED,
                                                             True, 1.75)
    # a refused request takes no extra time
    assert kind(0.1, 0.7, 0.9, 0.15, 0.5, 0.3, 0.5, 0.25) == (encounter_kinds.REFUSED,
                                                             False, 1.0)
    # a fully flexible unit accommodates every request; none is made at a rate of 0
    assert kind(0.0, 0.999, 0.9, 0.15, 1.0, 0.0, 0.5, 0.25)[0] == encounter_kinds.ACCOMMODATED
    assert kind(0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.5, 0.25) == (encounter_kinds.NO_REQUEST,
                                                             False, 1.0)


@given(e=unit, q=unit, rate=unit)
def test_adapted_expectation_moves_towards_quality_and_stays_in_range(
    e: float, q: float, rate: float
) -> None:
    adapted = expectations.adapt_expectation(e, q, rate)
    assert min(e, q) - 1e-12 <= adapted <= max(e, q) + 1e-12 and adapted <= 1.0


def test_market_expectation_rises_and_is_capped() -> None:
    market = expectations.MarketExpectation(0.95)
    market.rise(0.03)
    assert market.value == pytest.approx(0.98)
    market.rise(0.1)
    assert market.value == 1.0


def test_lifetime_value() -> None:
    assert money.lifetime_value(100.0, 0.25, 50.0) == pytest.approx(350.0)
    assert math.isnan(money.lifetime_value(100.0, 0.0, 50.0))
    assert math.isnan(money.lifetime_value(100.0, math.nan, 50.0))


def test_coefficient_defaults_reproduce_the_former_constants_bit_for_bit() -> None:
    p = ScenarioParameters()
    for isq, emp, wp in [(0.7, 0.5, 0.0), (0.33, 0.91, 0.2), (1.0, 1.0, 0.0)]:
        assert job_satisfaction_target(isq, emp, wp, 0.6) == min(
            max(0.2 + 0.45 * isq + 0.2 * emp - 0.6 * max(wp, 0.0), 0.0), 1.0)
    args = (0.01, 0.05, 0.6, 0.03, 0.02, False, 0.1, False, 0.5)
    assert enc.failure_probabilities(*args)[1] == 0.05 * (1.0 - 0.7 * 0.6) / 0.05
    for s in (0.3, 0.75, 0.9):
        logit = math.log(0.004 / 0.996) + 2.0 * (0.4 + 3.0 / 5.0 + (s - 0.75) / 0.1)
        assert rec.complaint_probability(0.004, 2.0, 0.4, 3.0, s) == 1.0 / (1.0 + math.exp(-logit))
    k = VisitSettings(p)
    assert k.escalation_responsiveness == 1.0 / (1.0 + p.recovery.escalation_days / 28.0)
    assert k.grievance == (p.recovery.grievance_minor, p.recovery.grievance_major)
    assert k.grievance_left == (1.0, 1.0, 0.5, 0.0)
    assert (k.dissatisfied, k.proactive_bond_factor, k.walk_away_quality) == (0.5, 2.0, 1.0)
    assert money.reliability_cost(1.0, 1.0, 1.0) == 0.999 / (1.0 - 0.999)


def test_coefficients_as_parameters_change_the_mechanisms() -> None:
    base = rec.complaint_probability(0.004, 2.0, 0.0, 1.0, 0.8)
    assert rec.complaint_probability(0.004, 2.0, 0.0, 1.0, 0.8, centre=0.9) < base
    assert rec.complaint_probability(0.004, 2.0, 0.0, 1.0, 0.8, full_tenure=1.0) > base
    args = (0.0, 0.05, 0.6, 0.01, 0.0, False, 0.0, False, 0.0)
    assert enc.failure_probabilities(*args, quality_floor=0.2)[1] < enc.failure_probabilities(
        *args)[1]
    assert enc.failure_probabilities(*args, competency_effect=0.0)[1] == pytest.approx(
        0.05 / 0.05)
    assert job_satisfaction_target(0.5, 0.5, 0.0, 0.6, base=0.3) == pytest.approx(
        job_satisfaction_target(0.5, 0.5, 0.0, 0.6) + 0.1)
    assert money.reliability_cost(1.0, 1.0, 1.0, cap=0.99) == pytest.approx(99.0)


def test_population_review_in_blocks_gives_the_same_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's blocks bound its memory; any block size gives identical numbers."""
    from pathlib import Path

    from sim.model import organization
    from sim.model.system import simulate
    from sim.scenario import load_scenario

    scenario = load_scenario(
        Path(__file__).resolve().parent.parent / "scenarios" / "baseline.toml",
        overrides=["customers.initial=400", "providers.count=2", "run.years=0.6",
                   "run.warmup_years=0.1", "growth.paid_per_month=10"],
    )
    whole = simulate(scenario)
    monkeypatch.setattr(organization, "REVIEW_CHUNK", 7)
    blocks = simulate(scenario)
    assert blocks.periods == whole.periods
    assert blocks.tables == whole.tables
    assert repr(blocks.summary) == repr(whole.summary)
    assert sum(r["defected"] for r in whole.periods) > 0
