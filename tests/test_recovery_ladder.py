"""Complaints that matter (TARP 1986; Keaveney 1995; Goodman 2009): problem severity, the
grievance a problem leaves, and the repurchase ladder measured the TARP way (still a
customer 12 months after a problem that left the customer dissatisfied).

The mechanisms one by one, then the ladder on the default market with common random numbers:
the same seeds with grievances switched off give the ladder that complaint selection alone
produces, so the spread that grievances add is measured, not assumed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from shared_runs import shared_runs

from sim.model import recovery as rec
from sim.model.population import MAJOR, MINOR

BASELINE = "scenarios/baseline.toml"
REPLICATIONS = 3
SHORT = ["run.years=3.0"]  # two years of problems whose 12-month horizon ends in the run
NO_GRIEVANCE = ["recovery.grievance_minor=0.0", "recovery.grievance_major=0.0"]
LOUD = ["customers.complaint_propensity=0.04"]  # ten times the default
LADDER = ("did_not_complain", "complained_unresolved", "resolved", "resolved_quickly")


def test_severity_is_major_with_the_given_share() -> None:
    u = np.random.default_rng(3).random(100_000)
    major = np.mean([rec.severity(x, 0.2) == MAJOR for x in u])
    assert major == pytest.approx(0.2, abs=0.01)
    assert rec.severity(0.5, 0.0) == MINOR and rec.severity(0.5, 1.0) == MAJOR


def test_grievance_is_what_recovery_leaves_and_fades() -> None:
    assert rec.grievance(0.8, 1.0) == 0.8 and rec.grievance(0.8, 0.0) == 0.0
    g = rec.fade(np.array([1.0]), 3.0 * 730.0, 3.0)  # one time constant
    assert g[0] == pytest.approx(np.exp(-1.0))


@pytest.fixture(scope="module")
def runs() -> dict[str, list[dict[str, Any]]]:
    on, off = shared_runs(BASELINE, [SHORT, SHORT + NO_GRIEVANCE], REPLICATIONS)
    return {"on": [run.summary for run in on], "off": [run.summary for run in off]}


def _rung(runs: list[dict[str, Any]], ladder: str, outcome: str) -> float:
    return float(np.mean([r[ladder][outcome] for r in runs]))


def test_every_complaint_rung_keeps_more_than_silence(runs) -> None:  # type: ignore[no-untyped-def]
    """TARP 1986, the robust part of the ladder: whatever became of the complaint, the
    customers who complained are kept more often than the silent sufferers, and a quick
    recovery keeps clearly more.  The order *among* the three complaint rungs is not asserted:
    with 30 to 90 dissatisfied complainers per rung in this design the three differ by less
    than their sampling error (measured: quick 0.68, escalated 0.80, unresolved 0.76, silent
    0.57), so the design cannot order them."""
    silent = _rung(runs["on"], "repurchase_by_outcome", "did_not_complain")
    for outcome in LADDER[1:]:
        assert _rung(runs["on"], "repurchase_by_outcome", outcome) > silent, outcome
    assert _rung(runs["on"], "repurchase_by_outcome", "resolved_quickly") > silent + 0.05


def test_major_problems_cost_more_customers(runs) -> None:  # type: ignore[no-untyped-def]
    """A major problem left unrecovered loses more customers than a minor one, and a quick
    recovery keeps more than silence does, for major problems too (TARP 1986)."""
    on = runs["on"]
    minor_silent = _rung(on, "repurchase_by_outcome", "did_not_complain")
    major_silent = _rung(on, "repurchase_by_outcome_major", "did_not_complain")
    assert major_silent < minor_silent - 0.04, (major_silent, minor_silent)
    assert _rung(on, "repurchase_by_outcome_major", "resolved_quickly") > major_silent + 0.1


def test_grievances_spread_the_ladder(runs) -> None:  # type: ignore[no-untyped-def]
    """Same seeds, grievances off: silent sufferers are kept far more often and the gap to
    quickly recovered complainers shrinks, so the spread of the ladder comes from the
    grievance that recovery removes, not from the measurement."""
    gap = {
        key: _rung(runs[key], "repurchase_by_outcome", "resolved_quickly")
        - _rung(runs[key], "repurchase_by_outcome", "did_not_complain")
        for key in ("on", "off")
    }
    silent_drop = _rung(runs["off"], "repurchase_by_outcome", "did_not_complain") - _rung(
        runs["on"], "repurchase_by_outcome", "did_not_complain")
    assert silent_drop > 0.05, silent_drop
    assert gap["on"] > gap["off"], gap  # same seeds: the direction of the effect


def test_complainers_are_the_loyal_ones(runs) -> None:  # type: ignore[no-untyped-def]
    """Goodman 2009: even an unresolved complainer is kept more often than a silent
    sufferer, because the loyal are the ones who complain (minor problems: the major ones
    complained about are too few in this design to compare rung by rung)."""
    assert _rung(runs["on"], "repurchase_by_outcome", "complained_unresolved") > _rung(
        runs["on"], "repurchase_by_outcome", "did_not_complain")


def test_with_more_complainers_the_ladder_has_tarps_order() -> None:
    """The order of the whole ladder comes from recovery once complainers are not only the
    most loyal few: with ten times the complaint propensity (a quarter of the dissatisfied
    complain), silent < unresolved < resolved after escalation < resolved on the spot, as
    TARP (1986) found (measured over 2 replications: 0.56, 0.62, 0.73, 0.77).  At the default
    propensity the complaint rungs are within their sampling error of each other (above)."""
    loud, = shared_runs(BASELINE, [SHORT + LOUD], 2)
    rungs = [_rung([run.summary for run in loud], "repurchase_by_outcome", outcome)
             for outcome in LADDER]
    assert rungs == sorted(rungs) and len(set(rungs)) == len(rungs), rungs


@pytest.mark.xfail(strict=True, reason=(
    "conflicts with the defection band: about 1.6 failures per customer-year, most of them "
    "silent, so a silent rung near 37 % would lose far more than 30 % of the base a year; "
    "see docs/background/model.md section 5.4"))
def test_minor_ladder_within_15_points_of_tarp(runs) -> None:  # type: ignore[no-untyped-def]
    """TARP 1986, minor problems: 37 / 46 / 70 / 95 %."""
    targets = dict(zip(LADDER, (0.37, 0.46, 0.70, 0.95), strict=True))
    for outcome, target in targets.items():
        assert abs(_rung(runs["on"], "repurchase_by_outcome", outcome) - target) <= 0.15
