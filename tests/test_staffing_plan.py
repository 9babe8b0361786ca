"""The staffing rules of adaptive staffing: the Erlang C service-level plan is the fewest
providers that reach the goal, and in the simulation it keeps waits level as a sheltered
market's base grows (the congestion channel of competition disappears)."""

from __future__ import annotations

import math

import pytest

from sim.model.staffing_plan import service_level_staff
from sim.statistics.queueing import mmc_wait_within


@pytest.mark.parametrize(
    ("rate", "service", "target", "goal"),
    [(10.0, 0.5, 5 / 60, 0.8), (100.0, 0.05, 20 / 3600, 0.8), (2.0, 25 / 60, 5 / 60, 0.95),
     (0.3, 1.0, 0.1, 0.5)],
)
def test_service_level_plan_is_the_fewest_providers_reaching_the_goal(
    rate: float, service: float, target: float, goal: float
) -> None:
    c = service_level_staff(rate, service, target, goal)
    assert mmc_wait_within(c, rate, 1.0 / service, target) >= goal
    smaller = c - 1
    if smaller >= 1 and smaller > rate * service:  # a stable queue one provider smaller
        assert mmc_wait_within(smaller, rate, 1.0 / service, target) < goal


def test_service_level_plan_grows_like_square_root_staffing() -> None:
    """Larger teams reach the same service level at higher utilisation: the spare capacity
    c - a grows like the square root of the load a (Erlang; Gans, Koole & Mandelbaum 2003)."""
    spare = []
    for load in (4.0, 16.0, 64.0, 256.0):
        c = service_level_staff(load, 1.0, 0.05, 0.8)
        assert c > load
        spare.append((c - load) / math.sqrt(load))
        assert c / load > 1.0
    utilisations = [load / service_level_staff(load, 1.0, 0.05, 0.8)
                    for load in (4.0, 16.0, 64.0, 256.0)]
    assert utilisations == sorted(utilisations)
    assert max(spare) - min(spare) < 1.0  # beta of square-root staffing stays bounded


def test_no_demand_needs_one_provider() -> None:
    assert service_level_staff(0.0, 0.5, 0.1, 0.8) == 1
