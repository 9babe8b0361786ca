"""The service-profit chain as a whole: conservation and directions of effect.

Directions of effect are tested the way a strategist would compare policies:
common random numbers (the same replication seeds for both scenarios), paired
differences, and a 95 % t interval that must exclude zero.  Seeds are fixed,
so the tests are deterministic.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from shared_runs import Run, shared_runs

from sim.scenario import load_scenario
from sim.statistics.intervals import t_interval

# the default market over a shorter horizon: fast enough to replicate (a much smaller
# front line would let single quits dominate the outcome and drown the policy effects).
# The horizon, the levels and the replications are those of tests/test_empowerment_costs.py,
# whose runs of the same scenarios on the same seeds are shared (tests/shared_runs.py).
# Measured paired differences, 95 % t intervals over these 3 replications (over 6 they
# narrow to within these): reliability 0.85 -> 0.99, retention +3.7 pp [1.6, 5.8], promoter
# conversion +4.5 pp [1.9, 7.0]; empowerment 0 -> 1, retention +4.7 pp [3.7, 5.7], promoter
# conversion +8.0 pp [2.4, 13.5], quick recoveries +38 pp [29, 46].
SMALL = ["run.years=3.0"]
REPLICATIONS = 3

CONTRASTS: dict[str, tuple[list[str], list[str]]] = {
    "reliability": (["organization.reliability=0.85"], ["organization.reliability=0.99"]),
    "empowerment": (["organization.empowerment=0.0"], ["organization.empowerment=1.0"]),
}


@pytest.fixture(scope="module")
def contrasts() -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    made = shared_runs("scenarios/baseline.toml",
                       [SMALL + overrides for pair in CONTRASTS.values() for overrides in pair],
                       REPLICATIONS)
    summaries = [[run.summary for run in runs] for runs in made]
    return {name: (summaries[2 * i], summaries[2 * i + 1]) for i, name in enumerate(CONTRASTS)}


def _paired(low: list[dict[str, Any]], high: list[dict[str, Any]], kpi: str):  # type: ignore[no-untyped-def]
    return t_interval([h[kpi] - lo[kpi] for lo, h in zip(low, high, strict=True)])


@pytest.mark.parametrize("lever", ["reliability", "empowerment"])
@pytest.mark.parametrize("kpi", ["retention_rate", "promoter_conversion"])
def test_better_policy_raises_retention_and_promoter_conversion(contrasts, lever, kpi) -> None:  # type: ignore[no-untyped-def]
    """More reliability, more empowerment: both KPIs rise, significantly.  (Less competition
    and the COPS service models have their own tests: tests/test_competition_channels.py
    and tests/test_cops.py.)"""
    low, high = contrasts[lever]
    ci = _paired(low, high, kpi)
    assert ci.low > 0, f"{lever} {kpi}: paired difference {ci}"


def test_empowerment_raises_quick_recoveries(contrasts) -> None:  # type: ignore[no-untyped-def]
    low, high = contrasts["empowerment"]
    assert _paired(low, high, "recovery_rate").low > 0


# -- conservation ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run() -> Run:
    return shared_runs("scenarios/baseline.toml", [SMALL], 1)[0][0]


def test_customers_acquired_equal_active_plus_defected_at_every_period(run) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in run.periods if r["unit"] == "all"]
    assert len(rows) == 36
    for row in rows:
        assert row["cum_acquired"] == row["active_customers"] + row["cum_defected"]
        assert row["acquired"] == row["acquired_paid"] + row["acquired_referral"]
        assert row["defected"] == sum(
            row[f"defected_{r}"]
            for r in ("dissatisfaction", "rival_offer", "followed_provider", "other")
        )


def test_visits_are_conserved_at_every_period(run) -> None:  # type: ignore[no-untyped-def]
    for row in run.periods:
        in_system = row["in_queue"] + row["in_service"]
        assert row["cum_arrived"] == row["cum_served"] + row["cum_abandoned"] + in_system
        assert row["failures"] == (row["failures_process"] + row["failures_provider"]
                                   + row["failures_customer"])
        assert row["complaints"] == (row["recovered_quickly"] + row["recovered_escalated"]
                                     + row["unresolved"])
        assert row["complaints"] <= row["failures"]


def test_money_adds_up(run) -> None:  # type: ignore[no-untyped-def]
    for row in run.periods:
        parts = ("wages", "training", "hiring", "reliability", "compensation", "acquisition")
        assert row["cost"] == pytest.approx(sum(row[f"cost_{p}"] for p in parts))
        assert row["profit"] == pytest.approx(row["revenue"] - row["cost"])
    s = run.summary
    assert s["profit"] == pytest.approx(s["revenue"] - s["cost"])
    # revenue is earned per served visit: standard and premium prices only
    p = load_scenario("scenarios/baseline.toml", SMALL).params.money
    for row in run.periods:
        assert p.revenue_per_visit * row["served"] - 1e-6 <= row["revenue"]
        assert row["revenue"] <= p.revenue_per_visit * p.premium_factor * row["served"] + 1e-6


def test_summary_kpis_are_in_range(run) -> None:  # type: ignore[no-untyped-def]
    s = run.summary
    for share in ("retention_rate", "promoter_share", "passive_share", "detractor_share",
                  "promoter_conversion", "share_not_satisfied", "complaint_share",
                  "recovery_rate", "utilisation", "p_wait", "abandon_share"):
        assert 0.0 <= s[share] <= 1.0, share
    assert s["promoter_share"] + s["passive_share"] + s["detractor_share"] == pytest.approx(1)
    assert s["nps"] == pytest.approx(100 * (s["promoter_share"] - s["detractor_share"]))
    assert 0 <= s["satisfaction_index"] <= 100
    assert sum(s["failures_by_source"].values()) == pytest.approx(1)
    assert not math.isnan(s["clv"])
