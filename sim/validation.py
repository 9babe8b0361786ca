"""`spc validate`: the simulated queue against the exact M/M/c (Erlang C) results.

Each check runs ``scenarios/validation/mmc.toml`` in queue mode at one load and
size, long enough for about ``customers`` arrivals, cuts the run into review
periods used as batches, drops the first periods as warm-up, and forms a 95%
batch-means confidence interval for the mean wait and the probability of
waiting.  A check passes when the exact value lies inside the interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sim.model.recording import HOURS_PER_DAY, HOURS_PER_YEAR
from sim.model.system import simulate
from sim.scenario import Scenario, load_scenario
from sim.statistics.intervals import batch_means_interval, lag1_autocorrelation
from sim.statistics.queueing import mmc_mean_wait, mmc_wait_probability

# (providers, utilisation): from one server to fifty, from light to heavy load
DEFAULT_CASES: tuple[tuple[int, float], ...] = (
    (1, 0.5),
    (2, 0.8),
    (5, 0.9),
    (10, 0.7),
    (20, 0.85),
    (50, 0.95),
)


@dataclass(frozen=True)
class Check:
    """One comparison of an observed statistic with its exact value."""

    name: str
    observed: float
    expected: float
    ci_low: float
    ci_high: float
    passed: bool
    lag1: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "observed": self.observed,
            "expected": self.expected,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "passed": self.passed,
        }


def case_scenario(
    base: Scenario,
    servers: int,
    utilisation: float,
    customers: int,
    batches: int,
    warmup_batches: int,
) -> Scenario:
    """``base`` with ``servers`` providers at ``utilisation``, sized for ``customers`` arrivals."""
    service_rate = base.params.queue.service_rate
    arrival_rate = utilisation * servers * service_rate
    horizon_hours = customers / arrival_rate
    period_hours = horizon_hours / (batches + warmup_batches)
    return base.with_overrides(
        [
            f"providers.count={servers}",
            f"queue.arrival_rate={arrival_rate!r}",
            "queue.patience_mean=0",
            f"run.years={horizon_hours / HOURS_PER_YEAR!r}",
            f"run.review_days={period_hours / HOURS_PER_DAY!r}",
        ]
    )


def check_case(
    scenario: Scenario, warmup_batches: int, confidence: float = 0.95
) -> list[Check]:
    """Run one queue-mode scenario and compare mean wait and P(wait) with Erlang C."""
    p = scenario.params
    c, lam, mu = p.providers.count, p.queue.arrival_rate, p.queue.service_rate
    rows = simulate(scenario).periods[warmup_batches:]
    # the last period may be a sliver left by rounding: keep full-length batches only
    full = max(r["t_end_days"] - r["t_start_days"] for r in rows)
    rows = [r for r in rows if r["t_end_days"] - r["t_start_days"] > 0.5 * full]
    label = f"M/M/{c} rho={lam / (c * mu):.2f}"
    out = []
    for stat, key, exact in (
        ("mean_wait", "mean_wait", mmc_mean_wait(c, lam, mu)),
        ("p_wait", "p_wait", mmc_wait_probability(c, lam, mu)),
    ):
        series = np.array([r[key] for r in rows], dtype=float)
        ci = batch_means_interval(series, confidence)
        out.append(
            Check(
                name=f"{label} {stat}",
                observed=ci.mean,
                expected=exact,
                ci_low=ci.low,
                ci_high=ci.high,
                passed=bool(ci.contains(exact)),
                lag1=lag1_autocorrelation(series),
            )
        )
    return out


def validate(
    scenario_path: str | Path,
    cases: tuple[tuple[int, float], ...] = DEFAULT_CASES,
    customers: int = 200_000,
    batches: int = 30,
    warmup_batches: int = 2,
    overrides: list[str] | None = None,
) -> list[Check]:
    """All M/M/c checks; see the module docstring."""
    base = load_scenario(scenario_path, overrides)
    checks: list[Check] = []
    for servers, utilisation in cases:
        sc = case_scenario(base, servers, utilisation, customers, batches, warmup_batches)
        checks.extend(check_case(sc, warmup_batches))
    return checks
