"""The queue core against queueing theory: Erlang C, Little's law, conservation."""

import math

import pytest

from sim.model.system import simulate
from sim.scenario import load_scenario
from sim.statistics.queueing import erlang_b, erlang_c, mmc_mean_wait, mmc_wait_probability
from sim.validation import DEFAULT_CASES, validate

MMC = "scenarios/validation/mmc.toml"


def test_erlang_formulas_against_known_values() -> None:
    # M/M/1: P(wait) = rho, Wq = rho / (mu - lambda)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)
    assert mmc_mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)
    # textbook value: c=2, a=1 -> C = 1/3
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    # Erlang B: B(1, a) = a / (1 + a)
    assert erlang_b(1, 3.0) == pytest.approx(0.75)
    # large c stays finite and in (0, 1)
    assert 0 < erlang_c(500, 495.0) < 1
    with pytest.raises(ValueError):
        erlang_c(3, 3.0)


@pytest.fixture(scope="module")
def checks():  # type: ignore[no-untyped-def]
    return validate(MMC)


def test_validate_covers_the_required_range(checks) -> None:  # type: ignore[no-untyped-def]
    servers = [c for c, _ in DEFAULT_CASES]
    loads = [r for _, r in DEFAULT_CASES]
    assert min(servers) == 1 and max(servers) == 50
    assert min(loads) == 0.5 and max(loads) == 0.95
    assert len(checks) == 2 * len(DEFAULT_CASES)


def test_exact_values_fall_inside_the_intervals(checks) -> None:  # type: ignore[no-untyped-def]
    for check in checks:
        assert check.ci_low <= check.expected <= check.ci_high, check
        assert check.passed


def test_intervals_are_informative(checks) -> None:  # type: ignore[no-untyped-def]
    # an interval so wide it would contain anything proves nothing
    for check in checks:
        assert (check.ci_high - check.ci_low) < 0.5 * check.expected, check


def _run(overrides: list[str]):  # type: ignore[no-untyped-def]
    return simulate(load_scenario(MMC, overrides))


def test_littles_law() -> None:
    result = _run(["run.years=3", "providers.count=5", "queue.arrival_rate=4.0"])
    s = result.summary
    # L = lambda W, with lambda the observed arrival rate and W the observed time in system
    assert s["mean_in_system"] == pytest.approx(s["arrival_rate_per_hour"] * s["mean_sojourn"],
                                                rel=0.01)
    # and W agrees with theory: Wq + 1/mu
    assert s["mean_sojourn"] == pytest.approx(mmc_mean_wait(5, 4.0, 1.0) + 1.0, rel=0.05)
    assert s["p_wait"] == pytest.approx(mmc_wait_probability(5, 4.0, 1.0), abs=0.02)
    assert s["utilisation"] == pytest.approx(0.8, abs=0.01)


@pytest.mark.parametrize("patience", [0.0, 0.5])
def test_conservation_at_every_period(patience: float) -> None:
    result = _run(["run.years=0.5", "run.review_days=3", f"queue.patience_mean={patience}",
                   "queue.arrival_rate=11"])
    assert len(result.periods) > 50
    for row in result.periods:
        in_system = row["in_queue"] + row["in_service"]
        assert row["cum_arrived"] == row["cum_served"] + row["cum_abandoned"] + in_system
        assert row["cum_started"] == row["cum_served"] + row["in_service"]
        assert 0 <= row["in_service"] <= 10
    if patience:
        assert result.summary["abandoned"] > 0
    else:
        assert result.summary["abandoned"] == 0


def test_abandonment_matches_mm1_plus_m_closed_form() -> None:
    # M/M/1+M with theta = mu: the number in system is then Poisson-like (birth-death with
    # death rate k*mu), so P(abandon) = 1 - (1 - p0)/rho with p0 = exp(-rho)
    lam = 0.8
    result = _run(["run.years=30", "providers.count=1", f"queue.arrival_rate={lam}",
                   "queue.patience_mean=1.0"])
    p0 = math.exp(-lam)
    expected = 1 - (1 - p0) / lam
    assert result.summary["abandon_share"] == pytest.approx(expected, abs=0.006)


def test_queue_mode_is_deterministic_and_seed_sensitive() -> None:
    a = _run(["run.years=0.2"]).periods
    b = _run(["run.years=0.2"]).periods
    c = _run(["run.years=0.2", "run.seed=2"]).periods
    assert a == b
    assert a != c
