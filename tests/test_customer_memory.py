"""Customers who remember (Bolton 1998; Oliver 1980; Anderson & Sullivan 1993; Reichheld
2003): the mechanisms one by one, traits drawn per customer id, and the persistence of
satisfaction and recommendation measured on simulated customers."""

from __future__ import annotations

import numpy as np
import pytest
from customer_memory import promoters_again, satisfaction_autocorrelation, snapshot_run
from hypothesis import given
from hypothesis import strategies as st

from sim.model import satisfaction as sat
from sim.model.system import ServiceSystem
from sim.scenario import load_scenario
from sim.scenario.schema import CustomersSection, SatisfactionSection

BASELINE = "scenarios/baseline.toml"
FORGETFUL = [
    "satisfaction.anchor_years=0.0", "satisfaction.recommend_persistence=0.0",
    "customers.expectation_spread=0.0", "customers.tolerance_spread=0.0",
    "customers.request_spread=0.0",
]


@given(tenure=st.floats(0.0, 50.0), more=st.floats(0.01, 10.0))
def test_weight_on_the_past_grows_with_tenure(tenure: float, more: float) -> None:
    """Bolton 1998: the longer the relationship, the less one encounter moves the anchor."""
    assert sat.anchor_weight(0.4, tenure + more, 1.0) < sat.anchor_weight(0.4, tenure, 1.0)


def test_anchor_weight_values() -> None:
    assert sat.anchor_weight(0.4, 0.0, 2.0) == 0.4
    assert sat.anchor_weight(0.4, 2.0, 2.0) == pytest.approx(0.2)  # halved at anchor_years
    assert sat.anchor_weight(0.4, 7.0, 0.0) == 0.4  # switched off: constant smoothing


def test_personal_factors_have_mean_one_and_the_given_spread() -> None:
    z = np.random.default_rng(1).standard_normal(200_000)
    f = sat.personal_factors(z, 0.5)
    assert f.min() > 0.0
    assert f.mean() == pytest.approx(1.0, abs=0.01)
    assert f.std() / f.mean() == pytest.approx(0.5, abs=0.02)
    assert np.all(sat.personal_factors(z, 0.0) == 1.0)


@given(noise=st.floats(0.0, 10.0), share=st.floats(0.0, 1.0))
def test_recommend_noise_split_keeps_its_variance(noise: float, share: float) -> None:
    """The lasting offset and the per-rating noise together have the scenario's variance."""
    lasting = sat.lasting_noise_sd(noise, share)
    fresh = sat.fresh_noise_sd(noise, share)
    assert lasting**2 + fresh**2 == pytest.approx(noise**2, abs=1e-9)
    assert sat.fresh_noise_sd(noise, 0.0) == noise


def test_new_parameters_are_documented_with_bounds() -> None:
    for section, name in [(SatisfactionSection, "anchor_years"),
                          (SatisfactionSection, "recommend_persistence"),
                          (CustomersSection, "expectation_spread"),
                          (CustomersSection, "tolerance_spread"),
                          (CustomersSection, "request_spread")]:
        field = section.model_fields[name]
        assert field.description and "unit" in (field.json_schema_extra or {})


def _traits(overrides: list[str]) -> dict[str, np.ndarray]:
    system = ServiceSystem(load_scenario(BASELINE, overrides))
    names = ("tolerance", "request_rate", "recommend_offset", "standard")
    with system.population.np(*names) as col:
        return {name: col[name].copy() for name in names}


def test_traits_are_drawn_per_customer_id() -> None:
    """Common random numbers per customer: a customer's traits do not depend on how many
    others there are."""
    small = _traits(["customers.initial=300"])
    large = _traits(["customers.initial=500"])
    for name, values in small.items():
        assert values.size == 300
        assert np.array_equal(values, large[name][:300]), name
        assert np.unique(values).size > 250, name  # every customer has their own


def test_zero_spreads_give_everyone_the_same_traits() -> None:
    traits = _traits(["customers.initial=300", *FORGETFUL])
    assert np.all(traits["tolerance"] == 1.0)
    assert np.all(traits["request_rate"] == np.float32(CustomersSection().special_request_rate))
    assert np.all(traits["recommend_offset"] == 0.0)
    assert np.all(traits["standard"] == 0.0)


@pytest.fixture(scope="module")
def default_market() -> tuple[float, float]:
    """(satisfaction a year later, promoters again a quarter later) in the default market."""
    scenario = load_scenario(BASELINE, ["run.years=3.0"])
    snaps, _ = snapshot_run(scenario)
    w = scenario.params.run.warmup_years
    return satisfaction_autocorrelation(snaps, 1.0, w), promoters_again(snaps, 0.25, w)


@pytest.mark.slow
def test_promoters_stay_promoters(default_market: tuple[float, float]) -> None:
    """Target of the issue: of the promoters at one review, at least 60 % are promoters
    again a quarter later (the forgetful model: about 43 %)."""
    assert default_market[1] >= 0.60


@pytest.mark.slow
def test_satisfaction_persists_more_than_in_a_forgetful_market(
    default_market: tuple[float, float],
) -> None:
    """A customer's satisfaction a year later: the forgetful model has none (about 0.0)."""
    scenario = load_scenario(BASELINE, ["run.years=3.0", *FORGETFUL])
    snaps, _ = snapshot_run(scenario)
    forgetful = satisfaction_autocorrelation(snaps, 1.0, scenario.params.run.warmup_years)
    assert forgetful < 0.1
    assert default_market[0] > forgetful + 0.1


@pytest.mark.slow
def test_satisfaction_a_year_later_reaches_the_target(
    default_market: tuple[float, float],
) -> None:
    """Target of the issue: in the default market a customer's satisfaction correlates at
    least 0.5 with their own a year later (Bolton 1998; the forgetful model: about 0.0)."""
    assert default_market[0] >= 0.5
