"""Eroding standards after a temporary demand surge, and the asymmetry that makes the erosion
permanent (Oliva & Sterman 2001): with the asymmetry the standard and delivered quality stay
below the same market without the surge, without it they come back.  Common random numbers:
replication r of every arm runs on the same seed."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import pytest

from sim.model.system import simulate
from sim.scenario import load_scenario

SURGE = "scenarios/demand_surge.toml"


def _end_of_run(args: tuple[list[str], int]) -> dict[str, float]:
    overrides, replication = args
    last = simulate(load_scenario(SURGE, overrides), replication).periods[-1]
    return {k: last[k] for k in ("standard_minutes", "quality_factor")}


@pytest.fixture(scope="module")
def surge_runs() -> dict[str, list[dict[str, float]]]:
    """demand_surge.toml moved to start at 1 year; the run ends two years after the surge."""
    common = ["surge.start_years=1.0", "run.years=3.34", "run.warmup_years=0.5"]
    arms = {
        "steady": [*common, "surge.months=0"],
        "surge": common,
        "recovering": [*common, "providers.standard_recovery=true"],
    }
    jobs = [(overrides, r) for overrides in arms.values() for r in range(2)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        ends = list(pool.map(_end_of_run, jobs))
    return {name: ends[2 * i: 2 * i + 2] for i, name in enumerate(arms)}


@pytest.mark.slow
def test_a_temporary_surge_erodes_the_standard_for_good(surge_runs) -> None:  # type: ignore[no-untyped-def]
    for steady, surge in zip(surge_runs["steady"], surge_runs["surge"], strict=True):
        for key in ("standard_minutes", "quality_factor"):
            assert surge[key] < 0.99 * steady[key], (key, surge, steady)


@pytest.mark.slow
def test_without_the_asymmetry_the_standard_and_quality_recover(surge_runs) -> None:  # type: ignore[no-untyped-def]
    for steady, back in zip(surge_runs["steady"], surge_runs["recovering"], strict=True):
        for key in ("standard_minutes", "quality_factor"):
            assert back[key] == pytest.approx(steady[key], rel=0.002), (key, back, steady)
