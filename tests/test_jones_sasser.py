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

import numpy as np
import pytest
from customer_memory import retention_by_decile
from shared_runs import shared_runs

from sim.scenario import load_scenario

REPLICATIONS = 2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def curves() -> dict[float, np.ndarray]:
    """One-year retention by decile, pooled over the replications, at each competition
    (the runs, watched, are shared with tests/test_competition_channels.py)."""
    designs = [["run.years=3.0", f"market.competition={c}"] for c in (0.1, 0.9)]
    made = shared_runs("scenarios/baseline.toml", designs, REPLICATIONS, snapshots=True)
    warmup = load_scenario("scenarios/baseline.toml", designs[0]).params.run.warmup_years
    pooled: dict[float, np.ndarray] = {}
    for competition, runs in zip((0.1, 0.9), made, strict=True):
        counts = [retention_by_decile(run.snapshots or [], warmup, counts=True)
                  for run in runs]
        kept = sum(k for k, _ in counts)
        seen = sum(s for _, s in counts)
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
