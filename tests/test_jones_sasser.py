"""Jones & Sasser (1995), emergent: one-year retention by satisfaction decile, measured on
simulated customers of the default market (each customer's decile at a review after the
warm-up, and whether they are still a customer a year later; 2 replications pooled).

In a fierce market (competition 0.9) only the most satisfied stay: the top decile is kept
at least 25 pp more than the middle (5th-6th) deciles.  In a sheltered one (0.1) the curve
is flat and high: top minus middle at most 10 pp, the middle kept at least 85 %.  Nothing
in the model names deciles: the curve comes from persistent, heterogeneous satisfaction
(Bolton 1998) meeting rival offers in a logit choice (section 8.3 of the model docs).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest
from customer_memory import retention_by_decile, snapshot_run

from sim.scenario import load_scenario

REPLICATIONS = 2

pytestmark = pytest.mark.slow


def _curve(job: tuple[float, int]) -> tuple[np.ndarray, np.ndarray]:
    """(customers kept, customers seen) by decile for one replication."""
    competition, replication = job
    scenario = load_scenario("scenarios/baseline.toml",
                             ["run.years=3.0", f"market.competition={competition}"])
    snaps, _ = snapshot_run(scenario, replication)
    return retention_by_decile(snaps, scenario.params.run.warmup_years, counts=True)


@pytest.fixture(scope="module")
def curves() -> dict[float, np.ndarray]:
    jobs = [(c, r) for c in (0.1, 0.9) for r in range(REPLICATIONS)]
    with ProcessPoolExecutor(max_workers=2) as pool:
        out = list(pool.map(_curve, jobs))
    pooled: dict[float, np.ndarray] = {}
    for competition in (0.1, 0.9):
        kept = sum(k for (c, _), (k, _s) in zip(jobs, out, strict=True) if c == competition)
        seen = sum(s for (c, _), (_k, s) in zip(jobs, out, strict=True) if c == competition)
        pooled[competition] = np.asarray(kept) / np.asarray(seen)
    return pooled


def _middle(curve: np.ndarray) -> float:
    return float((curve[4] + curve[5]) / 2)


def test_in_a_fierce_market_only_the_most_satisfied_stay(curves) -> None:  # type: ignore[no-untyped-def]
    curve = curves[0.9]
    assert curve[9] - _middle(curve) >= 0.25, curve.round(3)


def test_in_a_sheltered_market_the_curve_is_flat_and_high(curves) -> None:  # type: ignore[no-untyped-def]
    curve = curves[0.1]
    assert curve[9] - _middle(curve) <= 0.10, curve.round(3)
    assert _middle(curve) >= 0.85, curve.round(3)


def test_retention_rises_with_satisfaction_in_both_markets(curves) -> None:  # type: ignore[no-untyped-def]
    for curve in curves.values():
        assert curve[9] > curve[0] and curve[5] > curve[0]
