"""Customer-level output: ``spc run --panel`` writes the customers table and the panel."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis
from sim.model.loyalty import REASONS
from sim.model.population import CHANNELS

FAST = ["--set", "run.years=1.5", "--set", "customers.initial=250", "--set",
        "providers.count=3"]
CUSTOMERS = ["customer", "unit", "channel", "acquired_days", "exit_days", "exit_reason"]
PANEL = ["customer", "time_days", "tenure_days", "satisfaction", "recommend"]
IDS = ["scenario", "point", "replication"]


def _run(out: Path, *extra: str, scenario: str = "scenarios/baseline.toml") -> Path:
    subprocess.run([sys.executable, "-m", "sim", "run", scenario, "--quiet", "--out", str(out),
                    *FAST, *extra], check=True)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("panel")
    return {
        "panel": _run(root / "panel", "--panel"),
        "again": _run(root / "again", "--panel"),
        "plain": _run(root / "plain"),
        "replicated": _run(root / "replicated", "--panel", "--replications", "2"),
        "units": _run(root / "units", "--panel", scenario="scenarios/units.toml"),
    }


def _check_conservation(tables: dict[str, pd.DataFrame]) -> None:
    """Each customer once; panel rows only for customers active then; the panel's rows at
    a review number the organization's active customers of that period."""
    customers, panel, periods = tables["customers"], tables["panel"], tables["periods"]
    org = periods[periods["unit"] == "all"] if "unit" in periods else periods
    for (scenario, point, rep), own in customers.groupby(IDS):
        assert own["customer"].is_unique
        assert own["customer"].tolist() == list(range(len(own)))
        rows = panel[(panel["scenario"] == scenario) & (panel["point"] == point)
                     & (panel["replication"] == rep)]
        merged = rows.merge(own, on="customer", how="left", validate="many_to_one")
        assert merged["channel"].notna().all()
        assert (merged["acquired_days"] <= merged["time_days"] + 1e-6).all()
        still = merged["exit_days"].isna() | (merged["exit_days"] > merged["time_days"])
        assert still.all()
        counts = rows.groupby("time_days").size()
        own_periods = org[(org["scenario"] == scenario) & (org["point"] == point)
                          & (org["replication"] == rep)]
        assert np.allclose(counts.index.to_numpy(), own_periods["t_end_days"].to_numpy())
        assert counts.tolist() == own_periods["active_customers"].tolist()
        last = set(rows.loc[rows["time_days"] == rows["time_days"].max(), "customer"])
        active_at_end = set(own.loc[own["exit_days"].isna(), "customer"])
        assert last == active_at_end


def test_a_run_with_panel_writes_both_tables_with_their_columns(runs: dict[str, Path]) -> None:
    tables = analysis.load(runs["panel"])
    assert list(tables["customers"].columns) == IDS + CUSTOMERS
    assert list(tables["panel"].columns) == IDS + PANEL
    assert (runs["panel"] / "customers.parquet").is_file()
    assert (runs["panel"] / "panel.parquet").is_file()
    customers = tables["customers"]
    assert set(customers["channel"]) <= set(CHANNELS)
    assert {"initial", "paid"} <= set(customers["channel"])
    assert (customers["channel"] == "initial").sum() == 250
    assert set(customers["exit_reason"].dropna()) <= set(REASONS)
    assert customers["exit_reason"].notna().any() and customers["exit_reason"].isna().any()
    panel = tables["panel"]
    assert panel["satisfaction"].between(0, 1).all()
    rated = panel["recommend"].dropna()
    assert rated.between(0, 10).all() and (rated == rated.round()).all()
    assert (panel["tenure_days"] >= 0).all()
    # initial customers joined before the start: positive tenure at the first review
    first = panel[panel["time_days"] == panel["time_days"].min()]
    assert (first["tenure_days"] > first["time_days"] + 1).any()


def test_exit_days_are_empty_exactly_for_the_customers_still_active(
        runs: dict[str, Path]) -> None:
    customers = analysis.load(runs["panel"])["customers"]
    assert (customers["exit_days"].isna() == customers["exit_reason"].isna()).all()
    exited = customers.dropna(subset=["exit_days"])
    assert (exited["exit_days"] >= exited["acquired_days"]).all()
    assert (exited["exit_days"] <= 1.5 * 365 + 1e-6).all()


@pytest.mark.parametrize("name", ["panel", "replicated", "units"])
def test_panel_conservation(runs: dict[str, Path], name: str) -> None:
    _check_conservation(analysis.load(runs[name]))


def test_replicated_runs_carry_scenario_and_replication(runs: dict[str, Path]) -> None:
    tables = analysis.load(runs["replicated"])
    for name in ("customers", "panel"):
        assert sorted(tables[name]["replication"].unique()) == [0, 1]
        assert set(tables[name]["scenario"]) == set(tables["summary"]["scenario"])
    a, b = (tables["panel"][tables["panel"]["replication"] == r] for r in (0, 1))
    assert len(a) != len(b) or not np.array_equal(a["satisfaction"], b["satisfaction"])


def test_units_are_recorded_per_customer(runs: dict[str, Path]) -> None:
    customers = analysis.load(runs["units"])["customers"]
    assert customers["unit"].nunique() > 1


def test_same_seed_gives_identical_panel_tables(runs: dict[str, Path]) -> None:
    for table in ("customers", "panel"):
        a = (runs["panel"] / f"{table}.parquet").read_bytes()
        b = (runs["again"] / f"{table}.parquet").read_bytes()
        assert a == b, table


def test_the_panel_changes_no_other_table(runs: dict[str, Path]) -> None:
    for table in ("summary", "periods", "cohorts"):
        a = (runs["panel"] / f"{table}.parquet").read_bytes()
        b = (runs["plain"] / f"{table}.parquet").read_bytes()
        assert a == b, table
    assert not (runs["plain"] / "panel.parquet").exists()
    assert "panel" not in analysis.load(runs["plain"])


def test_csv_panel_reads_back(tmp_path: Path) -> None:
    out = _run(tmp_path / "csv", "--panel", "--format", "csv", "--set", "run.years=0.4", "--set",
               "run.warmup_years=0.1")
    tables = analysis.load(out)
    customers = tables["customers"]
    assert list(customers.columns) == IDS + CUSTOMERS
    assert (customers["exit_days"].isna() == customers["exit_reason"].isna()).all()
    _check_conservation(tables)


def test_the_satisfaction_retention_figure_draws_the_simulated_customers(
        runs: dict[str, Path]) -> None:
    import json

    from analysis.plots.loyalty import panel_retention, satisfaction_retention

    tables = analysis.load(runs["panel"])
    bands = panel_retention(tables)
    assert len(bands) == 10 and bands["n"].sum() > 0
    assert bands["satisfaction"].is_monotonic_increasing
    assert ((bands["low"] <= bands["retention"]) & (bands["retention"] <= bands["high"])).all()
    # by hand: rows at reviews a year or more before the end, kept a year later
    panel, customers = tables["panel"], tables["customers"]
    rows = panel[panel["time_days"] <= panel["time_days"].max() - 365 + 1e-6]
    rows = rows.merge(customers[["customer", "exit_days"]], on="customer")
    kept = rows["exit_days"].isna() | (rows["exit_days"] > rows["time_days"] + 365)
    assert bands["n"].sum() == len(rows)
    assert np.isclose((bands["retention"] * bands["n"]).sum(), kept.sum())
    manifest = json.loads((runs["panel"] / "manifest.json").read_text())
    fig = satisfaction_retention(tables, manifest)
    assert fig is not None
    assert fig.findobj(lambda a: a.get_gid() == "panel baseline")
    plain = analysis.load(runs["plain"])
    assert panel_retention(plain).empty
    fig = satisfaction_retention(plain, manifest)
    assert fig is not None and not fig.findobj(lambda a: a.get_gid() == "panel baseline")


def test_compare_and_sweep_write_the_panel_of_every_run(runs: dict[str, Path],
                                                         tmp_path: Path) -> None:
    """``spc compare --panel`` and ``spc sweep --panel``: every run's customers and panel,
    identified by scenario, design point and replication; the base's runs of a comparison
    are exactly those of ``spc run --panel -r 2`` (same scenario, same seeds)."""
    compare = tmp_path / "compare"
    subprocess.run([sys.executable, "-m", "sim", "compare", "scenarios/baseline.toml",
                    "scenarios/reliability_high.toml", "-r", "2", "--panel", "--quiet",
                    "--out", str(compare), *FAST], check=True)
    tables = analysis.load(compare)
    alone = analysis.load(runs["replicated"])
    for name in ("customers", "panel"):
        assert set(tables[name]["scenario"]) == {"baseline", "reliability_high"}
        base = tables[name][tables[name]["scenario"] == "baseline"].reset_index(drop=True)
        pd.testing.assert_frame_equal(base, alone[name].reset_index(drop=True))
    _check_conservation(tables)
    sweep = tmp_path / "two.toml"
    sweep.write_text(
        f'name = "two"\nbase = "{Path("scenarios/baseline.toml").resolve()}"\n'
        'design = "factorial"\nreplications = 1\nkpis = ["retention_rate"]\n'
        f"overrides = {[a.split()[0] for a in FAST[1::2]]!r}\n".replace("'", '"')
        + '[factors]\n"organization.reliability" = { levels = [0.9, 0.97] }\n')
    out = tmp_path / "sweep"
    subprocess.run([sys.executable, "-m", "sim", "sweep", str(sweep), "--panel", "--quiet",
                    "--out", str(out)], check=True)
    tables = analysis.load(out)
    for name in ("customers", "panel"):
        assert sorted(tables[name]["point"].unique()) == [0, 1]
    _check_conservation(tables)
