"""The definitions of the retention and promoter KPIs, recomputed from a run's period rows
and customers: whole-base retention, cohort retention and 12-month promoter conversion."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shared_runs import shared_runs

from sim.clock import HOURS_PER_DAY, HOURS_PER_YEAR
from sim.model.population import ACTIVE, INITIAL
from sim.model.system import ServiceSystem
from sim.scenario import load_scenario

SMALL = ["run.years=2.5", "run.warmup_years=0.5"]


class Run:
    """A finished run with its customers: the system and its result."""

    def __init__(self, overrides: list[str]) -> None:
        self.sim = ServiceSystem(load_scenario("scenarios/baseline.toml", overrides), 0)
        self.result = self.sim.run()
        assert self.sim.ctx is not None
        self.p, self.env, self.ctx = self.sim.p, self.sim.env, self.sim.ctx


@pytest.fixture(scope="module")
def system() -> Run:
    return Run([*SMALL, "customers.initial=2000"])


def _window(sim: Run) -> tuple[float, float]:
    return sim.p.run.warmup_years * HOURS_PER_YEAR, sim.env.now


def test_retention_is_the_whole_base_hazard_from_rows_and_customer_years(system: Run) -> None:
    """D from the period rows after the warm-up, E customer by customer: exp(-D / E)."""
    s = system.result.summary
    start, end = _window(system)
    warmup_days = start / HOURS_PER_DAY
    rows = [r for r in system.result.periods
            if r["unit"] == "all" and r["t_start_days"] >= warmup_days - 1e-9]
    defections = sum(r["defected"] for r in rows)
    assert defections == s["defected"] > 0
    customer_hours = 0.0
    with system.ctx.population.np() as col:
        for joined, left in zip(col["joined"].tolist(), col["left"].tolist(), strict=True):
            until = end if math.isnan(left) else min(left, end)
            customer_hours += max(until - max(joined, start), 0.0)
        gone = col["left"].astype(float)
        assert np.count_nonzero((gone > start) & (gone <= end)) == defections
    expected = math.exp(-defections / (customer_hours / HOURS_PER_YEAR))
    assert s["retention_rate"] == pytest.approx(expected, rel=1e-9)
    assert s["annual_defection"] == 1.0 - s["retention_rate"]
    # the hazard is per customer-year: far from the share of the cohort that survived
    years = (end - start) / HOURS_PER_YEAR
    mean_active = np.mean([r["active_customers"] for r in rows])
    assert -math.log(s["retention_rate"]) == pytest.approx(
        defections / years / mean_active, rel=0.05)


def test_cohort_retention_is_the_survival_of_the_warm_up_cohort(system: Run) -> None:
    s = system.result.summary
    start, end = _window(system)
    with system.ctx.population.np() as col:
        joined = col["joined"].astype(float)
        left = col["left"].astype(float)
        cohort = (joined <= start) & (np.isnan(left) | (left > start))
        kept = np.count_nonzero(cohort & (col["status"] == ACTIVE)) / np.count_nonzero(cohort)
    assert s["cohort_retention"] == kept ** (HOURS_PER_YEAR / (end - start))
    assert s["cohort_retention"] != s["retention_rate"]


def test_promoter_conversion_counts_12_month_promoters_of_the_new_cohort(system: Run) -> None:
    s = system.result.summary
    start, end = _window(system)
    dt = system.p.run.review_days * HOURS_PER_DAY
    with system.ctx.population.np() as col:
        joined = col["joined"].astype(float)
        new = (col["channel"] != INITIAL) & (joined >= start - 1.0)
        due = new & (joined + HOURS_PER_YEAR <= end + dt / 2)
        rating = col["rating_12m"]
        # recorded exactly for those whose 12-month review came within the run
        assert np.all(rating[due] >= -1) and np.all(rating[new & ~due] == -2)
        # those who left well before their anniversary count as not promoters
        left = col["left"].astype(float)
        early = due & (left < joined + HOURS_PER_YEAR - dt)
        assert early.any() and np.all(rating[early] == -1)
        promoters = np.count_nonzero(due & (rating >= 9))
        ever = np.count_nonzero(due & (col["ever_promoter"] == 1))
        assert s["promoter_conversion"] == promoters / np.count_nonzero(due)
    assert 0.0 < s["promoter_conversion"] <= ever / np.count_nonzero(due) < 1.0


def test_more_outside_defection_lowers_retention_by_about_its_hazard() -> None:
    """Common random numbers (same seed): + 0.10 per year of outside defection hazard."""
    (low,), (high,) = [[run.summary for run in runs] for runs in shared_runs(
        "scenarios/baseline.toml",
        [["run.years=3.0", f"customers.other_defection={h}"] for h in (0.04, 0.14)], 1)]
    drop = math.log(low["retention_rate"]) - math.log(high["retention_rate"])
    assert 0.06 <= drop <= 0.13, drop
    assert high["annual_defection"] > low["annual_defection"]
