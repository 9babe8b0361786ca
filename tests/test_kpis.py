"""The KPI registry (sim/kpis.py): complete, read by the verdicts and the docs, and the
checks of KPI names that stop a typo before anything is simulated."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from sim import api
from sim import kpis as registry
from sim.cli import main
from sim.cli_reference import main as reference_main
from sim.cli_reference import render_kpi_reference
from sim.errors import UserError
from sim.experiment.design import load_sweep
from sim.model.system import EVENT_COLUMNS, RunResult, simulate
from sim.output import flat_kpis
from sim.scenario import load_scenario
from sim.statistics.output_analysis import HIGHER_IS_BETTER, direction, verdict

ROOT = Path(__file__).resolve().parent.parent
KPI_DOC = ROOT / "docs" / "reference" / "kpis.md"
BASELINE = ROOT / "scenarios" / "baseline.toml"
MMC = ROOT / "scenarios" / "validation" / "mmc.toml"
UNITS = ROOT / "scenarios" / "units.toml"
SWEEP = ROOT / "scenarios" / "sweeps" / "reliability_empowerment.toml"
SHORT = ["run.years=0.3", "run.warmup_years=0.1", "customers.initial=200"]


# -- the registry covers every column a run produces, and nothing else ----------------------
@pytest.fixture(scope="module")
def runs() -> dict[str, RunResult]:
    """A short run of each mode, and a multi-unit one (per-unit period rows and summary)."""
    return {
        "behaviour": simulate(load_scenario(str(BASELINE), [*SHORT, "providers.count=2"]),
                              events=True),
        "queue": simulate(load_scenario(str(MMC), ["run.years=0.02"])),
        "units": simulate(load_scenario(str(UNITS), SHORT)),
    }


def _summary_columns(run: RunResult) -> set[str]:
    return set(flat_kpis(run.summary))


def test_every_summary_column_is_in_the_registry(runs: dict[str, RunResult]) -> None:
    for mode in ("behaviour", "queue"):
        unknown = _summary_columns(runs[mode]) - set(registry.summary_kpis(mode))
        assert not unknown, f"{mode} summary columns missing from sim/kpis.py: {unknown}"
    per_unit = {c for c in _summary_columns(runs["units"]) if c.startswith("by_unit.")}
    assert per_unit, "the multi-unit run has no per-unit KPIs"
    assert {c.rsplit(".", 1)[-1] for c in per_unit} == set(registry.UNIT_SUMMARY)
    assert all(registry.is_summary_kpi(c, "behaviour") for c in _summary_columns(runs["units"]))


def test_every_period_cohort_and_event_column_is_in_the_registry(
    runs: dict[str, RunResult],
) -> None:
    periods = {c for run in runs.values() for row in run.periods for c in row}
    assert {r["unit"] for r in runs["units"].periods} > {"all"}  # per-unit rows were made
    assert not periods - set(registry.TABLES["periods"])
    cohorts = {c for row in runs["behaviour"].tables["cohorts"] for c in row}
    assert cohorts == set(registry.TABLES["cohorts"])
    assert set(EVENT_COLUMNS) == set(registry.TABLES["events"])


def test_every_registry_kpi_is_produced(runs: dict[str, RunResult]) -> None:
    assert set(registry.TABLES["summary"]) == _summary_columns(runs["behaviour"])
    assert set(registry.TABLES["queue_summary"]) == _summary_columns(runs["queue"])
    periods = {c for run in runs.values() for row in run.periods for c in row}
    assert set(registry.TABLES["periods"]) == periods


def test_produced_values_lie_within_the_registry_bounds(runs: dict[str, RunResult]) -> None:
    checked = 0
    for mode, run in runs.items():
        table = "queue_summary" if mode == "queue" else "summary"
        rows: list[tuple[str, dict[str, Any]]] = [(table, flat_kpis(run.summary))]
        rows += [("periods", row) for row in run.periods]
        rows += [("cohorts", row) for row in run.tables.get("cohorts", [])]
        for name, row in rows:
            for column, value in row.items():
                if isinstance(value, bool) or not isinstance(value, int | float) \
                        or math.isnan(value):
                    continue
                kpi = registry.lookup(column, name)
                assert kpi is not None, column
                low, high = kpi.bounds
                assert low <= value <= high, f"{name} {column} = {value} outside {kpi.bounds}"
                checked += 1
    assert checked > 1000


def test_identifiers_are_listed_and_are_not_kpis() -> None:
    for name in ("scenario", "replication", "point", "seed", "unit", "period", "time_days",
                 "t_start_days", "cohort", "customer"):
        assert name in registry.IDENTIFIERS
        assert not registry.is_summary_kpi(name)
    assert not registry.IDENTIFIERS & set(registry.summary_kpis())


def test_a_name_has_one_direction_in_every_table() -> None:
    seen: dict[str, registry.Direction] = {}
    for table in registry.TABLES.values():
        for kpi in table.values():
            assert seen.setdefault(kpi.name, kpi.direction) is kpi.direction, kpi.name
            assert kpi.label and kpi.definition and kpi.bounds[0] < kpi.bounds[1]
            assert (kpi.kind is registry.OUTCOME) == (kpi.direction is not registry.NEITHER
                                                     and kpi.kind is not registry.MIX)


# -- verdicts read the registry's direction --------------------------------------------------
def test_verdict_direction_comes_from_the_registry() -> None:
    lower = [k for k in registry.summary_kpis().values() if k.direction is registry.LOWER]
    higher = [k for k in registry.summary_kpis().values() if k.direction is registry.HIGHER]
    assert {"mean_wait", "cost", "failure_rate"} <= {k.name for k in lower}
    for kpi in lower:  # the value falls: better, for an outcome
        outcome = kpi.kind is registry.OUTCOME
        assert verdict(kpi.name, -2.0, -1.0) == ("better" if outcome else "lower")
        assert verdict(kpi.name, 1.0, 2.0) == ("worse" if outcome else "higher")
        assert direction(kpi.name) is False
    for kpi in higher:
        outcome = kpi.kind is registry.OUTCOME
        assert verdict(kpi.name, -2.0, -1.0) == ("worse" if outcome else "lower")
        assert direction(kpi.name) is True
    assert verdict("utilisation", 1.0, 2.0) == "higher"  # no direction
    # a mix share moves when another does: no verdict, only which way (Goodman's sources)
    assert verdict("failures_by_source.process", -2.0, -1.0) == "lower"
    assert verdict("dissatisfaction_by_source.customer", 1.0, 2.0) == "higher"
    assert verdict("by_unit.North.mean_wait", -2.0, -1.0) == "better"
    assert HIGHER_IS_BETTER["complaint_share"] is True
    assert set(HIGHER_IS_BETTER) == {k.name for k in lower + higher}


# -- docs/reference/kpis.md is generated from the registry ---------------------------------
def test_docs_reference_kpis_md_is_up_to_date() -> None:
    assert KPI_DOC.read_text() == render_kpi_reference(), (
        "docs/reference/kpis.md is stale: run "
        "python -m sim.cli_reference --kpis > docs/reference/kpis.md"
    )


def test_kpi_reference_states_each_kpi(capsys: pytest.CaptureFixture[str]) -> None:
    assert reference_main(["--kpis"]) == 0
    text = capsys.readouterr().out
    assert text == render_kpi_reference()
    assert ("| `mean_wait` | Mean wait | total wait / services started (the Erlang C mean wait "
            "`W_q`) | hours | [0, ∞) | lower | outcome |") in text
    # nps is computed on the customers still active: marked with a dagger
    assert "| `nps` † | Net promoter score |" in text and "[−100, 100]" in text
    assert "| `retention_rate` | Retention |" in text  # the whole base: no dagger
    # encounters: served plus abandoned visits, as sim/model/kpis.py counts them
    assert "| `encounters` | Encounters | visits that ended, served or given up in the queue: " \
        "`served + abandoned` |" in text
    for name in registry.UNIT_SUMMARY:
        assert f"* `{name}`: " in text


# -- names are checked before anything runs ----------------------------------------------
def test_check_kpis_lists_close_matches() -> None:
    assert registry.check_kpis(["nps", "by_unit.North.nps"], "--kpis") == [
        "nps", "by_unit.North.nps"]
    close = r"'retention' \(did you mean retention_rate or cohort_retention\?\)"
    with pytest.raises(registry.KpiError, match=close):
        registry.check_kpis(["retention"], "--kpis")
    with pytest.raises(registry.KpiError, match=r"docs/reference/kpis\.md"):
        registry.check_kpis(["nps", "bogus_name"], "--kpis")
    with pytest.raises(registry.KpiError, match="no KPI named"):
        registry.check_kpis([], "--kpis")
    with pytest.raises(registry.KpiError, match=r"queue mode"):  # not in a queue summary
        registry.check_kpis(["retention_rate"], "--kpis", mode="queue")
    with pytest.raises(registry.KpiError):
        registry.check_kpis(["by_unit.North.arrived"], "--kpis")


def _bad_sweep(tmp_path: Path) -> Path:
    text = SWEEP.read_text().replace('"retention_rate"', '"retention_rat"')
    text = text.replace('base = "../baseline.toml"', f'base = "{BASELINE.as_posix()}"')
    path = tmp_path / "typo.toml"
    path.write_text(text)
    return path


def test_a_misspelt_kpi_in_a_sweep_file_fails_at_load_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _bad_sweep(tmp_path)
    with pytest.raises(UserError, match=r"key 'kpis'.*did you mean retention_rate"):
        load_sweep(path)
    out = tmp_path / "results"
    assert main(["sweep", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(path) in err and "key 'kpis'" in err and "'retention_rat'" in err
    assert "did you mean retention_rate or cohort_retention?" in err
    assert "docs/reference/kpis.md" in err
    assert not out.exists()  # nothing simulated, nothing left behind


def test_a_failed_sweep_leaves_no_default_results_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    path = _bad_sweep(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the default directory is results/ under the working directory
    assert main(["sweep", str(path), "--quiet"]) == 2
    assert "key 'kpis'" in capsys.readouterr().err
    assert list(work.iterdir()) == []


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", str(BASELINE), "-r", "auto", "--kpis", "retention"],
     "did you mean retention_rate or cohort_retention?"),
    (["compare", str(BASELINE), str(BASELINE), "--replications", "2",
      "--kpis", "retention,profit"], "did you mean retention_rate or cohort_retention?"),
    (["compare", str(MMC), str(MMC), "--kpis", "nps"], "queue mode"),
])
def test_unknown_or_empty_kpis_option_exits_2_before_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], expected: str,
) -> None:
    out = tmp_path / "results"
    assert main([*argv, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("spc: error: --kpis: ") and err.count("\n") == 1
    assert expected in err and "docs/reference/kpis.md" in err
    assert not out.exists()


def test_api_checks_kpis_before_running(tmp_path: Path) -> None:
    out = tmp_path / "results"
    with pytest.raises(registry.KpiError, match=r"kpis: unknown KPI 'retention'"):
        api.run(BASELINE, replications="auto", kpis=["retention"], out=out)
    assert not out.exists()


# -- the labels and units shown come from the registry ---------------------------------------
def test_shown_labels_and_units_come_from_the_registry() -> None:
    from analysis.plots.style import label, title, unit
    from analysis.teaching.format import DISPLAY, display

    assert label("mean_wait") == "Mean wait (hours)"
    assert label("profit") == "Profit (money per period)"  # a period row's money
    assert label("profit", summary=True) == "Profit (money per year)"
    assert title("by_unit.North.nps") == "Net promoter score, North"
    assert unit("by_unit.North.nps", summary=True) == "points"
    for name, kpi in registry.summary_kpis().items():
        assert title(name, summary=True) == kpi.label and unit(name, summary=True) == kpi.unit
    assert not [k for k in DISPLAY if registry.lookup(k) is None]  # teaching pages' KPIs
    assert display("mean_queue").label == "queue length"
    assert display("mean_queue").unit == "customers"


def test_spc_run_prints_each_kpi_with_its_unit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", str(MMC), "--set", "run.years=0.01", "--out", str(tmp_path / "r")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = lines[2:lines.index("")]  # after the title and the header, before the blank line
    shown = {line.split()[0]: line.split(maxsplit=2)[2] for line in rows}
    assert shown["mean_wait"] == "hours" and shown["throughput_per_hour"] == "visits per hour"
    assert set(shown) == {k for k, v in registry.TABLES["queue_summary"].items() if v.unit}


def test_per_unit_kpis_must_name_a_unit_of_the_scenario() -> None:
    units = load_scenario(str(UNITS))
    names = [u.name for u in units.params.units]
    assert len(names) > 1
    ok = [f"by_unit.{names[0]}.nps", f"by_unit.{names[-1]}.profit"]
    assert registry.check_scenario_kpis(ok, "--kpis", None, units) == ok
    with pytest.raises(registry.KpiError, match=rf"did you mean by_unit\.{names[0]}\.nps"):
        registry.check_scenario_kpis([f"by_unit.{names[0]}x.nps"], "--kpis", None, units)
    one_unit = load_scenario(str(BASELINE))  # no per-unit KPIs in its summary
    with pytest.raises(registry.KpiError):
        registry.check_scenario_kpis([f"by_unit.{names[0]}.nps"], "--kpis", None, one_unit)


def test_the_teaching_experiments_name_registry_kpis() -> None:
    import tomllib

    specs = sorted((ROOT / "scenarios" / "experiments").glob("*/experiment.toml"))
    assert specs
    for path in specs:
        named = tomllib.loads(path.read_text()).get("kpis", [])
        assert not registry.unknown_kpis(named), path
