"""Unit tests of the customer-side mechanisms: satisfaction and recommendation
(sim.model.satisfaction), loyalty and defection (sim.model.loyalty) and growth
(sim.model.growth).  MODEL.md sections 2, 3, 4 and 8."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import expectations, growth, loyalty
from sim.model import satisfaction as sat
from sim.scenario.schema import (
    CustomersSection,
    GrowthSection,
    MarketSection,
    SatisfactionSection,
)

unit = st.floats(0.0, 1.0)

# -------------------------------------------------------------------------- satisfaction


def test_encounter_satisfaction_values() -> None:
    # meeting expectations exactly: satisfaction is the quality
    assert sat.encounter_satisfaction(0.7, 0.7, 0.3, 1.5) == pytest.approx(0.7)
    assert sat.encounter_satisfaction(0.8, 0.7, 0.3, 1.5) == pytest.approx(0.83)
    assert sat.encounter_satisfaction(0.6, 0.7, 0.3, 1.5) == pytest.approx(0.45)
    assert sat.encounter_satisfaction(1.0, 0.0, 0.3, 1.5) == 1.0
    assert sat.encounter_satisfaction(0.1, 0.9, 0.3, 1.5) == 0.0


@given(e=st.floats(0.3, 0.7), gap=st.floats(0.01, 0.1))  # no clipping at 0 or 1
def test_negative_disconfirmation_weighs_more(e: float, gap: float) -> None:
    """Same |gap| either side of the expectation: the drop exceeds the gain (Anderson &
    Sullivan 1993), with the default weights."""
    s = SatisfactionSection()
    assert s.negative_weight > s.positive_weight
    gain = sat.encounter_satisfaction(e + gap, e, s.positive_weight, s.negative_weight) - e
    drop = e - sat.encounter_satisfaction(e - gap, e, s.positive_weight, s.negative_weight)
    assert gain > 0 and drop > gain
    assert drop - gap == pytest.approx(s.negative_weight * gap)
    assert gain - gap == pytest.approx(s.positive_weight * gap)


@given(q=unit, e=unit, d=st.floats(0.001, 0.2))
def test_encounter_satisfaction_bounded_and_monotone(q: float, e: float, d: float) -> None:
    s = sat.encounter_satisfaction(q, e, 0.3, 1.5)
    assert 0.0 <= s <= 1.0
    assert sat.encounter_satisfaction(min(q + d, 1.0), e, 0.3, 1.5) >= s  # better quality
    assert sat.encounter_satisfaction(q, min(e + d, 1.0), 0.3, 1.5) <= s  # higher expectation


def test_smooth() -> None:
    assert sat.smooth(0.5, 0.9, 0.4) == pytest.approx(0.66)
    assert sat.smooth(0.5, 0.9, 0.0) == 0.5
    assert sat.smooth(0.5, 0.9, 1.0) == pytest.approx(0.9)
    value = 0.2
    for _ in range(50):
        value = sat.smooth(value, 0.8, 0.4)
    assert value == pytest.approx(0.8)


@given(c=unit, x=unit, w=unit)
def test_smooth_stays_between(c: float, x: float, w: float) -> None:
    assert min(c, x) - 1e-12 <= sat.smooth(c, x, w) <= max(c, x) + 1e-12


def test_recommend_score_values() -> None:
    s = SatisfactionSection()
    assert sat.recommend_score(0.9, s.recommend_intercept, s.recommend_slope, 0.0) == 10  # 9.8
    assert sat.recommend_score(0.8, s.recommend_intercept, s.recommend_slope, 0.0) == 9  # 8.6
    assert sat.recommend_score(0.6, -1.5, 12.0, 0.0) == 6  # 5.7
    assert sat.recommend_score(0.6, -1.5, 12.0, 1.6) == 7  # 7.3
    assert sat.recommend_score(0.0, -1.5, 12.0, -3.0) == 0
    assert sat.recommend_score(1.0, -1.5, 12.0, 5.0) == 10
    assert isinstance(sat.recommend_score(0.7, -1.5, 12.0, np.float64(0.2)), int)


@given(s=unit, d=st.floats(0.001, 0.5), noise=st.floats(-20, 20))
def test_recommend_score_bounded_and_monotone(s: float, d: float, noise: float) -> None:
    score = sat.recommend_score(s, -1.5, 12.0, noise)
    assert 0 <= score <= 10
    assert sat.recommend_score(min(s + d, 1.0), -1.5, 12.0, noise) >= score


def test_recommend_group_thresholds() -> None:
    groups = [sat.recommend_group(score) for score in range(11)]
    assert groups == [sat.DETRACTOR] * 7 + [sat.PASSIVE] * 2 + [sat.PROMOTER] * 2


def test_net_promoter_score_on_a_known_array() -> None:
    scores = np.array([10, 9, 9, 8, 7, 6, 0, 3, -1, -1], dtype=np.int8)  # two unrated
    nps, promoters, passives, detractors = sat.net_promoter_score(scores)
    assert promoters == pytest.approx(3 / 8)
    assert passives == pytest.approx(2 / 8)
    assert detractors == pytest.approx(3 / 8)
    assert nps == pytest.approx(0.0)
    nps, *_ = sat.net_promoter_score(np.array([10, 10, 10, 2]))
    assert nps == pytest.approx(50.0)
    assert sat.net_promoter_score(np.array([6, 6]))[0] == pytest.approx(-100.0)
    assert all(math.isnan(v) for v in sat.net_promoter_score(np.array([-1, -1])))
    assert all(math.isnan(v) for v in sat.net_promoter_score(np.array([], dtype=np.int8)))


@given(st.lists(st.integers(-1, 10), min_size=1, max_size=50))
def test_net_promoter_score_shares_add_up(values: list[int]) -> None:
    nps, pro, pas, det = sat.net_promoter_score(np.array(values, dtype=np.int8))
    rated = [v for v in values if v >= 0]
    if not rated:
        assert math.isnan(nps)
        return
    assert pro + pas + det == pytest.approx(1.0)
    assert pro == pytest.approx(sum(v >= 9 for v in rated) / len(rated))
    assert nps == pytest.approx(100 * (pro - det))
    assert -100.0 <= nps <= 100.0


def test_drift_expectations_in_place_and_capped() -> None:
    e = np.array([0.5, 0.95, 0.99, 1.0], dtype=np.float32)
    view = e[:]
    expectations.drift_expectations(view, 0.02, 2.0)
    assert e == pytest.approx([0.54, 0.99, 1.0, 1.0])
    assert e.max() <= 1.0
    before = e.copy()
    expectations.drift_expectations(e, 0.0, 5.0)  # no drift in a sheltered market
    assert np.array_equal(e, before)


# ------------------------------------------------------------------------------- loyalty


def test_dissatisfaction_hazard_values() -> None:
    s = np.array([0.6, 0.5, 0.7])
    h = loyalty.dissatisfaction_hazard(s, 0.08, 14.0, 0.6)
    assert h == pytest.approx([0.08, 0.08 * math.exp(1.4), 0.08 * math.exp(-1.4)])


@given(s=unit, d=st.floats(0.01, 0.3))
def test_dissatisfaction_hazard_falls_with_satisfaction(s: float, d: float) -> None:
    h = loyalty.dissatisfaction_hazard(np.array([s, s + d]), 0.08, 14.0, 0.6)
    assert h[0] > h[1] > 0


def test_offer_rate_proportional_to_competition() -> None:
    assert loyalty.offer_rate(0.0, 2.5) == 0.0
    assert loyalty.offer_rate(0.5, 2.5) == pytest.approx(1.25)
    assert loyalty.offer_rate(1.0, 2.5) == pytest.approx(2.5)


def _switch(s: float = 0.7, bond: float = 0.0, comp: float = 0.5, tenure: float = 0.0) -> float:
    m = MarketSection()
    return float(loyalty.switch_probability(
        np.array([s]), np.array([bond]), comp, m.rival_quality, m.rival_quality_gain,
        m.switching_cost, m.bond_value, m.choice_scale, tenure, m.tenure_value)[0])


def test_switch_probability_is_a_logit() -> None:
    # offer worth exactly staying: indifferent
    p = loyalty.switch_probability(np.array([0.5]), np.array([0.0]), 0.0, 0.5, 0.2, 0.0, 0.15,
                                   0.08)
    assert p == pytest.approx([0.5])
    stay = 0.7 + 0.25 * 0.5 + 0.15 * 0.4 + 0.15 * 0.2
    offer = 0.45 + 0.55 * 0.5
    expected = 1 / (1 + math.exp(-(offer - stay) / 0.05))
    assert _switch(0.7, 0.4, 0.5, 0.2) == pytest.approx(expected)
    # extreme utilities do not overflow
    with np.errstate(all="raise"):
        extreme = loyalty.switch_probability(np.array([0.0, 1.0]), np.zeros(2), 1.0, 2.0, 2.0,
                                             0.0, 0.0, 1e-6)
    assert extreme == pytest.approx([1.0, 1.0])


@given(s=st.floats(0.3, 0.95), bond=st.floats(0, 0.9), comp=st.floats(0, 0.9),
       ten=st.floats(0, 0.9), d=st.floats(0.05, 0.1))
def test_switch_probability_directions(s: float, bond: float, comp: float, ten: float,
                                       d: float) -> None:
    p = _switch(s, bond, comp, ten)
    assert 0.0 < p < 1.0
    assert _switch(s, bond, comp + d, ten) > p  # competition raises switching
    assert _switch(s + d, bond, comp, ten) < p  # satisfaction holds customers
    assert _switch(s, bond + d, comp, ten) < p  # so does the bond
    assert _switch(s, bond, comp, ten + d) < p  # and the habit of tenure


def test_period_probability() -> None:
    assert loyalty.period_probability(0.0, 1.0) == 0.0
    assert loyalty.period_probability(1.0, 1.0) == pytest.approx(1 - 1 / math.e)
    assert loyalty.period_probability(np.array([0.12, 2.0]), 0.25) == pytest.approx(
        [1 - math.exp(-0.03), 1 - math.exp(-0.5)])
    # tiny hazards are not lost to rounding
    assert loyalty.period_probability(1e-12, 1.0) == pytest.approx(1e-12)
    # twelve monthly periods give the annual probability
    month = loyalty.period_probability(0.3, 1 / 12)
    assert 1 - (1 - month) ** 12 == pytest.approx(loyalty.period_probability(0.3, 1.0))


def _default_params() -> dict[str, float]:
    m, c = MarketSection(), CustomersSection()
    return {
        "rate": c.dissatisfaction_defection, "sensitivity": c.defection_sensitivity,
        "threshold": c.satisfied_threshold, "other": c.other_defection,
        "rival_quality": m.rival_quality, "rival_gain": m.rival_quality_gain,
        "switching_cost": m.switching_cost, "bond_value": m.bond_value,
        "scale": m.choice_scale, "offers": m.offer_rate,
    }


def test_retention_by_satisfaction_combines_the_hazards() -> None:
    params = _default_params()
    s = np.array([0.7])
    hazard = (loyalty.dissatisfaction_hazard(s, 0.04, 14.0, 0.6) + 0.04
              + loyalty.offer_rate(0.5, 2.5) * loyalty.switch_probability(
                  s, np.zeros(1), 0.5, 0.45, 0.55, 0.25, 0.15, 0.05))
    assert loyalty.retention_by_satisfaction(s, 0.5, params) == pytest.approx(np.exp(-hazard))
    # no offers in a sheltered market: only dissatisfaction and other reasons
    assert loyalty.retention_by_satisfaction(s, 0.0, params) == pytest.approx(
        np.exp(-(loyalty.dissatisfaction_hazard(s, 0.04, 14.0, 0.6) + 0.04)))


def test_jones_and_sasser_shape_with_default_parameters() -> None:
    """Jones & Sasser (1995): in an intense market only the highly satisfied stay; in a
    sheltered one even the merely satisfied do.

    Satisfaction 0.6 is the default "not satisfied" threshold, 0.95 a highly satisfied
    customer.  Intense (competition 0.9; at 1 a rival offer is worth as much as perfect
    service, so nobody is safe): retention at 0.6 must be less than half of that at 0.95 and
    at least 0.3 lower, i.e. most of the merely satisfied go.  Sheltered
    (competition 0): retention must be at least 0.85 everywhere in [0.6, 0.95] (annual
    defection below 15 %, the middle of the 10-30 % band of MODEL.md section 8) and vary
    by less than 0.1 across it: high and flat.
    """
    params = _default_params()
    s = np.linspace(0.6, 0.95, 8)
    intense = loyalty.retention_by_satisfaction(s, 0.9, params)
    sheltered = loyalty.retention_by_satisfaction(s, 0.0, params)
    assert intense[0] < 0.5 * intense[-1]
    assert intense[-1] - intense[0] > 0.3
    assert sheltered.min() >= 0.85
    assert np.ptp(sheltered) < 0.1
    assert np.ptp(sheltered) < 0.25 * np.ptp(intense)
    # retention rises with satisfaction, and competition never raises it
    middle = loyalty.retention_by_satisfaction(s, 0.5, params)
    for curve in (intense, middle, sheltered):
        assert np.all(np.diff(curve) > 0)
    assert np.all(intense < middle) and np.all(middle < sheltered)
    assert np.all(sheltered <= math.exp(-params["other"]))


# -------------------------------------------------------------------------------- growth


def test_expected_referrals_uses_kumar_action_and_conversion() -> None:
    g = GrowthSection()
    assert (g.referral_action, g.referral_conversion) == (0.4, 0.13)
    assert growth.expected_referrals(100, 1.0, g.referral_action, g.referral_conversion,
                                     1.0) == pytest.approx(5.2)
    base = growth.expected_referrals(50, 0.15, 0.4, 0.13, 1.0)
    assert base == pytest.approx(50 * 0.15 * 0.4 * 0.13)
    # multiplicative in every factor
    assert growth.expected_referrals(100, 0.15, 0.4, 0.13, 1.0) == pytest.approx(2 * base)
    assert growth.expected_referrals(50, 0.3, 0.4, 0.13, 1.0) == pytest.approx(2 * base)
    assert growth.expected_referrals(50, 0.15, 0.8, 0.13, 1.0) == pytest.approx(2 * base)
    assert growth.expected_referrals(50, 0.15, 0.4, 0.26, 1.0) == pytest.approx(2 * base)
    assert growth.expected_referrals(50, 0.15, 0.4, 0.13, 2.0) == pytest.approx(2 * base)
    assert growth.expected_referrals(0, 0.15, 0.4, 0.13, 1.0) == 0.0
    assert growth.expected_referrals(50, 0.15, 0.0, 0.13, 1.0) == 0.0


def test_word_of_mouth() -> None:
    positive, negative = growth.word_of_mouth(40, 10, 0.5, 0.3, 2.0)
    assert positive == pytest.approx(40.0)
    assert negative == pytest.approx(6.0)
    assert growth.word_of_mouth(0, 0, 0.5, 0.3, 1.0) == (0.0, 0.0)
    # promoters only talk positively, detractors only negatively
    assert growth.word_of_mouth(40, 0, 0.5, 0.3, 1.0)[1] == 0.0
    assert growth.word_of_mouth(0, 10, 0.5, 0.3, 1.0)[0] == 0.0


def test_expected_paid_acquisitions_less_deterred_prospects() -> None:
    assert growth.expected_paid_acquisitions(100.0, 1.0, 0.0, 0.05) == pytest.approx(100.0)
    assert growth.expected_paid_acquisitions(100.0, 2.0, 400.0, 0.05) == pytest.approx(180.0)
    assert growth.expected_paid_acquisitions(100.0, 1.0, 1e6, 0.05) == 0.0


@given(per=st.floats(0, 1e4), months=st.floats(0, 12), neg=st.floats(0, 1e6),
       det=st.floats(0, 100))
def test_expected_paid_acquisitions_never_negative(per: float, months: float, neg: float,
                                                   det: float) -> None:
    value = growth.expected_paid_acquisitions(per, months, neg, det)
    assert 0.0 <= value <= per * months + 1e-9
