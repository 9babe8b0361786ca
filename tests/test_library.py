"""The scenario library: every file is short, says what it tests, and runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sim.model.system import simulate
from sim.scenario import load_scenario
from sim.scenario.loader import flatten

ROOT = Path(__file__).resolve().parent.parent
#: the markets: the default and its scaled copy; every other file of the library is a policy
#: or market variation on the default
MARKETS = ("baseline.toml", "small_market.toml")
LIBRARY = sorted(p for p in (ROOT / "scenarios").glob("*.toml") if p.name not in MARKETS)
SHORT = ["run.years=0.6", "run.warmup_years=0.1"]


def test_the_library_covers_what_the_issue_names() -> None:
    names = {p.stem for p in LIBRARY}
    for required in ("reliability_low", "reliability_high", "empowerment_low",
                     "empowerment_high", "competition_sheltered", "competition_intense",
                     "cops_encounter", "cops_relationship", "cops_pseudo_relationship",
                     "encounter_first_kind", "encounter_second_kind", "encounter_third_kind",
                     "units", "demand_surge", "high_turnover"):
        assert required in names


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_each_file_extends_the_baseline_and_states_its_expectation(path: Path) -> None:
    data = tomllib.loads(path.read_text())
    assert data["extends"] == "baseline.toml"
    assert "Expect" in data["description"], "the description says which direction is expected"
    overridden = [k for k in flatten({k: v for k, v in data.items()
                                      if k not in ("name", "description", "extends", "units")})]
    assert 1 <= len(overridden) + len(data.get("units", [])) <= 6, "short: only what it studies"
    scenario = load_scenario(path)
    baseline = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert scenario.hash != baseline.hash or path.stem == "cops_encounter"


def _short_run(path: Path) -> dict[str, Any]:
    return simulate(load_scenario(path, SHORT)).summary


@pytest.fixture(scope="module")
def summaries() -> dict[str, dict[str, Any]]:
    with ProcessPoolExecutor(max_workers=2) as pool:
        return dict(zip((p.stem for p in LIBRARY), pool.map(_short_run, LIBRARY), strict=True))


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_each_file_runs(summaries, path: Path) -> None:  # type: ignore[no-untyped-def]
    s = summaries[path.stem]
    assert s["encounters"] > 10_000
    assert 0 < s["retention_rate"] <= 1
    assert 0 <= s["satisfaction_index"] <= 100


def test_units_report_each_branch_and_the_struggling_one_trails(summaries) -> None:  # type: ignore[no-untyped-def]
    by_unit = summaries["units"]["by_unit"]
    assert set(by_unit) == {"flagship", "standard", "struggling"}
    assert by_unit["flagship"]["failure_rate"] < by_unit["struggling"]["failure_rate"]
    assert (by_unit["flagship"]["provider_job_satisfaction"]
            > by_unit["struggling"]["provider_job_satisfaction"])


def test_relationship_customers_follow_departing_providers(summaries) -> None:  # type: ignore[no-untyped-def]
    assert summaries["cops_relationship"]["defections_by_reason"]["followed_provider"] > 0
    assert summaries["cops_encounter"]["defections_by_reason"]["followed_provider"] == 0


def test_demand_surge_cuts_corners_and_erodes_the_standard() -> None:
    """Oliva & Sterman: under the surge time per order falls; with standards drift the
    standard follows it down and stays down after the surge."""
    result = simulate(load_scenario(ROOT / "scenarios" / "demand_surge.toml",
                                    ["run.years=2.3", "run.warmup_years=0.5"]))
    rows = [r for r in result.periods if r["unit"] == "all"]
    before = [r for r in rows if r["t_end_days"] <= 1.5 * 365]
    during = [r for r in rows if 1.5 * 365 + 30 <= r["t_start_days"] < 1.5 * 365 + 120]
    after = [r for r in rows if r["t_start_days"] >= 1.5 * 365 + 150]
    assert max(r["work_pressure"] for r in during) > 0
    assert min(r["time_factor"] for r in during) < 0.95 * min(r["time_factor"] for r in before)
    assert min(r["quality_factor"] for r in during) < 1.0
    standard_before = before[-1]["standard_minutes"]
    assert after[-1]["standard_minutes"] < standard_before - 0.5  # eroded, not restored
    assert after[-1]["quality_factor"] < 1.0


def test_cli_runs_a_library_file(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "sim", "run", "scenarios/competition_intense.toml", "--json",
         "--out", str(tmp_path / "r"), "--set", "run.years=0.3", "--set",
         "run.warmup_years=0.05", "--set", "customers.initial=500", "--set",
         "providers.count=2"],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    payload = json.loads(out.stdout)
    assert payload["scenario"] == "competition_intense"
    for kpi in ("retention_rate", "promoter_share", "passive_share", "detractor_share", "nps",
                "promoter_conversion", "time_to_promoter", "satisfaction_index",
                "share_not_satisfied", "defections_by_reason", "failures_by_source",
                "complaint_share", "recovery_rate", "provider_turnover",
                "provider_job_satisfaction", "mean_competency", "utilisation", "mean_wait",
                "revenue", "cost", "profit", "clv", "active_customers", "acquired", "defected"):
        assert kpi in payload["kpis"], kpi
