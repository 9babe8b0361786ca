"""spc calibrate: data and priors validation, and a synthetic firm recovered by ABC-SMC."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.experiment.jobs import jobs_for, run_job
from sim.experiment.observed import default_scale, load_observed
from sim.results.layout import is_spc_file
from sim.scenario import load_scenario
from sim.scenario.priors import load_priors

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "scenarios" / "baseline.toml"
#: a tiny market: 40 customers, 2 providers, three monthly periods (~0.15 s a run)
TINY = ["customers.initial=40", "providers.count=2", "run.years=0.25", "run.warmup_years=0"]
TRUTH = 0.90  # the synthetic firm's process reliability
FIRM_SEED = 7  # the firm's own random numbers (not the calibration's)
PRIOR = (0.75, 0.99)


def _sets() -> list[str]:
    return [arg for s in TINY for arg in ("--set", s)]


def _tiny():
    return load_scenario(BASE, TINY)


# -- the data file -----------------------------------------------------------------------------


def _bad_data(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> str:
    data = tmp_path / "firm.csv"
    data.write_text(text)
    priors = ROOT / "scenarios" / "priors" / "default.toml"
    out = tmp_path / "out"
    code = main(["calibrate", str(data), "--scenario", str(BASE), "--priors", str(priors),
                 "--out", str(out), *_sets()])
    err = capsys.readouterr().err
    assert code == 2, err
    assert str(data) in err and "Traceback" not in err
    assert not (out / "calibration.db").exists()  # stopped before anything ran
    return err


@pytest.mark.parametrize(("text", "expected"), [
    ("period,kpi,value\n0,npss,30\n", ["row 2, column 'kpi'", "unknown KPI 'npss'",
                                       "did you mean nps", "periods table"]),
    ("period,kpi,value\n0,nps,thirty\n", ["row 2, column 'value'", "'thirty'",
                                          "a finite number"]),
    ("period,kpi,value\n0,nps,30\n2,nps,29\n", ["KPI 'nps'", "period 1 missing",
                                                         "consecutive periods"]),
    ("period,kpi\n0,nps\n", ["column 'value'", "missing", "columns period, kpi, value"]),
    ("period,kpi,value,note\n0,nps,30,x\n", ["column 'note'", "unknown column"]),
    ("period,kpi,value\n0,nps,30\n0,nps,31\n", ["row 3", "also given in row 2"]),
    ("period,kpi,value\n7,nps,30\n", ["row 2, column 'period'", "past the scenario's horizon",
                                      "periods 0 to 2"]),
    ("period,kpi,value,se\n0,nps,30,-1\n", ["row 2, column 'se'", "a positive number"]),
    ("period,kpi,value\n0,period,30\n", ["unknown KPI 'period'"]),
])
def test_bad_data_stops_with_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         text: str, expected: list[str]) -> None:
    err = _bad_data(tmp_path, text, capsys)
    for part in expected:
        assert part in err, err


def test_data_scales_are_the_standard_errors_else_the_documented_default(
        tmp_path: Path) -> None:
    data = tmp_path / "firm.csv"
    data.write_text("period,kpi,value,se\n0,nps,30,2\n1,nps,20,\n2,nps,40,\n"
                    "0,complaints,3,\n1,complaints,5,\n2,complaints,4,\n3,complaints,8,\n")
    observed = load_observed(data, _tiny().with_overrides(["run.years=1"]))
    nps = observed.table[observed.table["kpi"] == "nps"]
    assert nps["scale"].tolist() == [2.0, 3.0, 3.0]  # se, then 10 % of the mean level (30)
    complaints = observed.table[observed.table["kpi"] == "complaints"]
    # four points: the robust noise of the changes (2, -1, 4): MAD 2 -> 1.4826 * 2 / sqrt 2
    assert complaints["scale"].iloc[0] == pytest.approx(1.4826 * 2 / 2**0.5)
    assert default_scale(pd.Series([0.0, 0.0]).to_numpy()) == 1.0


# -- the priors file ---------------------------------------------------------------------------


def test_default_priors_are_valid_on_the_baseline() -> None:
    spec = load_priors(ROOT / "scenarios" / "priors" / "default.toml", load_scenario(BASE))
    assert len(spec.priors) >= 3 and spec.description
    for prior in spec.priors:
        low, high = prior.scipy().ppf([0.0, 1.0])
        assert (low, high) == pytest.approx((prior.low, prior.high))


def test_a_loguniform_prior_is_flat_in_the_logarithm(tmp_path: Path) -> None:
    priors = tmp_path / "priors.toml"
    priors.write_text('[priors."customers.complaint_propensity"]\n'
                      'distribution = "loguniform"\nlow = 0.001\nhigh = 0.1\n')
    prior = load_priors(priors, load_scenario(BASE)).priors[0]
    assert prior.scipy().median() == pytest.approx(0.01)  # the geometric middle
    assert prior.describe() == "loguniform [0.001, 0.1]"
    assert prior.pyabc().pdf(0.01) == pytest.approx(prior.scipy().pdf(0.01))


@pytest.mark.parametrize(("body", "expected"), [
    ('[priors."organization.reliabilty"]\ndistribution = "uniform"\nlow = 0.8\nhigh = 0.9\n',
     ["not a scenario parameter", "keys of [organization]"]),
    ('[priors."organization.reliability"]\ndistribution = "uniform"\nlow = 0.8\nhigh = 1.2\n',
     ['priors."organization.reliability".high', "1.2"]),
    ('[priors."providers.count"]\ndistribution = "uniform"\nlow = 2\nhigh = 9\n',
     ["integer", "only continuous parameters"]),
    ('[priors."run.years"]\ndistribution = "uniform"\nlow = 1\nhigh = 2\n',
     ["cannot be fitted"]),
    ('[priors."organization.reliability"]\ndistribution = "normal"\nmean = 0.9\nlow = 0.8\n'
     'high = 0.95\n', ['.sd', "missing"]),
    ('[priors."organization.reliability"]\ndistribution = "beta"\nlow = 0.8\nhigh = 0.95\n',
     ["distribution", "uniform (flat on [low, high]), loguniform"]),
    ('[priors."organization.reliability"]\ndistribution = "loguniform"\nlow = 0\nhigh = 0.9\n',
     [".low", "positive bounds"]),
])
def test_bad_priors_stop_with_one_message(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          body: str, expected: list[str]) -> None:
    priors = tmp_path / "priors.toml"
    priors.write_text(body)
    data = tmp_path / "firm.csv"
    data.write_text("period,kpi,value\n0,nps,30\n")
    code = main(["calibrate", str(data), "--scenario", str(BASE), "--priors", str(priors),
                 "--out", str(tmp_path / "out"), *_sets()])
    err = capsys.readouterr().err
    assert code == 2 and str(priors) in err and "Traceback" not in err, err
    for part in expected:
        assert part in err, err


def test_force_removes_what_calibrate_wrote() -> None:
    for name in ("calibrated.toml", "calibration.db", "posterior.parquet", "intervals.csv",
                 "predictive.parquet"):
        assert is_spc_file(Path(name))


# -- a synthetic firm --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A firm simulated by the model itself at reliability 0.90 (its own seed), calibrated
    from a uniform prior on [0.75, 0.99] with 2 generations of 20 particles."""
    folder = tmp_path_factory.mktemp("calibrate")
    firm = _tiny().with_overrides([f"organization.reliability={TRUTH}",
                                   f"run.seed={FIRM_SEED}"])
    outcome = run_job(jobs_for(firm, range(1))[0])
    rows = [r for r in outcome.periods if r["unit"] == "all"]
    data = folder / "firm.csv"
    pd.DataFrame({"period": [r["period"] for r in rows], "kpi": "failures_process",
                  "value": [r["failures_process"] for r in rows]}).to_csv(data, index=False)
    priors = folder / "priors.toml"
    priors.write_text('[priors."organization.reliability"]\ndistribution = "uniform"\n'
                      f"low = {PRIOR[0]}\nhigh = {PRIOR[1]}\n")
    out = folder / "out"
    code = main(["calibrate", str(data), "--scenario", str(BASE), "--priors", str(priors),
                 "--population", "20", "--generations", "2", "--draws", "20",
                 "--executor", "sequential", "--quiet", "--out", str(out), *_sets()])
    assert code == 0
    return out


def test_the_truth_lies_in_the_90_percent_credible_interval(calibrated: Path) -> None:
    import analysis

    tables = analysis.load(calibrated)
    row = tables["intervals"].iloc[0]
    assert row["parameter"] == "organization.reliability"
    assert row["posterior_low"] <= TRUTH <= row["posterior_high"]
    assert row["prior_low"] == pytest.approx(PRIOR[0] + 0.05 * (PRIOR[1] - PRIOR[0]))
    assert row["narrowing"] >= 0.2 and row["identified"]  # the failures pin reliability down
    posterior = tables["posterior"]
    assert list(posterior.columns) == ["organization.reliability", "weight"]
    assert len(posterior) == 20 and posterior["weight"].sum() == pytest.approx(1.0)
    predictive = tables["predictive"]
    assert set(predictive["draws"]) == {20} and len(predictive) == 3
    assert (predictive["q005"] <= predictive["median"]).all()
    assert (predictive["median"] <= predictive["q995"]).all()


def test_the_calibrated_scenario_runs_at_the_posterior_median(calibrated: Path) -> None:
    manifest = json.loads((calibrated / "manifest.json").read_text())
    assert manifest["kind"] == "calibrate" and manifest["complete"]
    record = manifest["calibrate"]
    assert record["generations"] == 2 and record["misfit"] is None
    assert record["epsilons"][1] < record["epsilons"][0]  # the tolerance narrows
    scenario = load_scenario(calibrated / "calibrated.toml")
    median = record["posterior_median"]["organization.reliability"]
    assert scenario.params.organization.reliability == pytest.approx(median)
    assert scenario.params.customers.initial == 40  # the base's overrides are kept
    assert (calibrated / "figures" / "calibration.png").stat().st_size > 10_000


def test_resume_of_a_complete_calibration_simulates_nothing(calibrated: Path) -> None:
    import analysis

    before = analysis.load(calibrated)["posterior"]
    stamp = (calibrated / "calibration.db").stat().st_mtime_ns
    code = main(["calibrate", str(calibrated.parent / "firm.csv"), "--scenario", str(BASE),
                 "--priors", str(calibrated.parent / "priors.toml"), "--population", "20",
                 "--generations", "2", "--draws", "20", "--quiet", "--no-figure",
                 "--resume", "--out", str(calibrated), *_sets()])
    assert code == 0
    pd.testing.assert_frame_equal(analysis.load(calibrated)["posterior"], before)
    assert (calibrated / "calibration.db").stat().st_mtime_ns == stamp


def test_misfit_is_flagged_when_the_model_cannot_reach_the_data(calibrated: Path) -> None:
    from sim.experiment.calibrate import misfit_statement

    predictive = pd.read_parquet(calibrated / "predictive.parquet")
    assert misfit_statement(predictive) is None
    far = predictive.assign(observed=predictive["q995"] * 3 + 10, outside_99=True)
    said = misfit_statement(far)
    assert said is not None and "100% of the observed points" in said
    assert "failures_process (3)" in said


def test_the_misfit_check_allows_for_the_number_of_predictive_draws() -> None:
    """A correct model leaves about 2 / (n + 1) of its points outside the range of n draws,
    so a 99 % band from few draws is not held to 1 %: 28 % of points outside 10 draws'
    bands is what a synthetic firm of the model itself gave (no warning), 40 % is not;
    the distance check needs at least 19 draws (a false alarm at most 1 in 20)."""
    from sim.experiment.calibrate import DISTANCE_DRAWS, expected_outside, misfit_statement

    assert expected_outside(10) == pytest.approx(2 / 11)
    assert expected_outside(50) == pytest.approx(2 / 51)
    assert expected_outside(1000) == pytest.approx(0.01)
    points = pd.DataFrame({"kpi": "complaints", "draws": 10,
                           "outside_99": [True] * 20 + [False] * 52})  # 28 %
    assert misfit_statement(points) is None
    worse = points.assign(outside_99=[True] * 29 + [False] * 43)  # 40 %
    said = misfit_statement(worse)
    assert said is not None and "more than 28%" in said and "band of 10 draws" in said
    fine = points.assign(outside_99=False)
    assert misfit_statement(fine, p_value=0.0) is None  # 10 draws: 1 in 11 by chance
    many = fine.assign(draws=DISTANCE_DRAWS)
    said = misfit_statement(many, p_value=0.0)
    assert said is not None and f"every one of the {DISTANCE_DRAWS} simulations" in said


def test_a_resumed_calibration_continues_exactly_as_an_uninterrupted_one(
        calibrated: Path, tmp_path: Path) -> None:
    """Generation 1 after a stop at generation 0 (run_abc with --resume) is the generation 1
    of a run that never stopped: the same particles and weights (tiny: 6 particles)."""
    import numpy as np

    from sim.experiment.calibrate import run_abc
    from sim.experiment.executors import SequentialExecutor

    base = _tiny()
    priors = load_priors(calibrated.parent / "priors.toml", base)
    observed = load_observed(calibrated.parent / "firm.csv", base)
    runner = SequentialExecutor()
    whole = run_abc(base, priors, observed, runner, tmp_path / "whole.db", 6, 2, False)
    run_abc(base, priors, observed, runner, tmp_path / "part.db", 6, 1, False)
    resumed = run_abc(base, priors, observed, runner, tmp_path / "part.db", 6, 2, True)
    (a, wa), (b, wb) = (h.get_distribution(m=0, t=1) for h in (whole, resumed))
    assert np.array_equal(a.to_numpy(), b.to_numpy()) and np.array_equal(wa, wb)


def test_parallel_batches_give_the_particles_of_the_one_at_a_time_sampler(
        calibrated: Path, tmp_path: Path) -> None:
    """Candidates simulated in batches by two worker processes and by a local Dask cluster
    of two workers, then judged in the order drawn: the particles, weights, tolerances and
    counts of simulations are those of pyabc's SingleCoreSampler (one candidate at a
    time), generation by generation."""
    import numpy as np
    import pyabc

    from sim.experiment.calibrate import run_abc
    from sim.experiment.executors import DaskExecutor, ProcessExecutor, SequentialExecutor

    base = _tiny()
    priors = load_priors(calibrated.parent / "priors.toml", base)
    observed = load_observed(calibrated.parent / "firm.csv", base)
    single = run_abc(base, priors, observed, SequentialExecutor(), tmp_path / "single.db", 8,
                     3, False, sampler=pyabc.sampler.SingleCoreSampler())
    for name, executor in (("processes", ProcessExecutor(2)), ("dask", DaskExecutor(2))):
        with executor:
            parallel = run_abc(base, priors, observed, executor, tmp_path / f"{name}.db", 8,
                               3, False)
        for t in range(3):
            (a, wa), (b, wb) = (h.get_distribution(m=0, t=t) for h in (parallel, single))
            assert np.array_equal(a.to_numpy(), b.to_numpy()), name
            assert np.array_equal(wa, wb), name
        pa, pb = (h.get_all_populations() for h in (parallel, single))
        assert pa["epsilon"].tolist() == pb["epsilon"].tolist(), name
        assert pa["samples"].tolist() == pb["samples"].tolist(), name


def test_the_python_api_returns_the_intervals(calibrated: Path) -> None:
    """sim.api.calibrate on the fixture's files, resumed in its directory: nothing is
    simulated again, and the intervals table comes back with the results directory."""
    from sim.api import calibrate

    table = calibrate(calibrated.parent / "firm.csv", BASE, calibrated.parent / "priors.toml",
                      overrides=TINY, out=calibrated, population=20, generations=2,
                      draws=20, resume=True, quiet=True)
    assert table["parameter"].tolist() == ["organization.reliability"]
    assert table.attrs["results"] == str(calibrated)
    expected = pd.read_parquet(calibrated / "intervals.parquet")
    pd.testing.assert_frame_equal(table.reset_index(drop=True), expected)


def test_a_firm_the_model_cannot_produce_gets_the_misspecification_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """500 process failures a month among 40 customers: no reliability in the prior makes
    the model do that; the command says so (tiny: 6 particles, one generation; 19
    predictive draws, the fewest for the distance check)."""
    data = tmp_path / "firm.csv"
    data.write_text("period,kpi,value\n0,failures_process,500\n1,failures_process,520\n"
                    "2,failures_process,510\n")
    priors = tmp_path / "priors.toml"
    priors.write_text('[priors."organization.reliability"]\ndistribution = "uniform"\n'
                      "low = 0.9\nhigh = 0.99\n")
    out = tmp_path / "out"
    code = main(["calibrate", str(data), "--scenario", str(BASE), "--priors", str(priors),
                 "--population", "6", "--generations", "1", "--draws", "19", "--no-figure",
                 "--out", str(out), *_sets()])
    said = capsys.readouterr().out
    assert code == 0
    assert "warning: 100% of the observed points lie outside" in said
    assert "misspecification" in said and "predictive p-value 0" in said
    record = json.loads((out / "manifest.json").read_text())["calibrate"]
    assert record["predictive_p_value"] == 0.0 and record["outside_99_share"] == 1.0


def test_report_plot_and_export_cover_a_calibration(calibrated: Path) -> None:
    from openpyxl import load_workbook

    from analysis import load
    from analysis.plots import figure_makers

    tables = load(calibrated)
    assert {"posterior", "intervals", "predictive"} <= set(tables)
    manifest = json.loads((calibrated / "manifest.json").read_text())
    stems = [stem for stem, _, _ in figure_makers(tables, manifest)]
    assert stems[0] == "calibration"  # the answer before the generic figures
    report = calibrated.parent / "calibration-report.html"
    assert main(["report", str(calibrated), "--out", str(report), "--quiet"]) == 0
    html = report.read_text(encoding="utf-8")
    assert html.index('id="calibration"') < html.index('id="figures"')
    assert 'id="calibration-intervals"' in html
    assert all(p in html for p in manifest["calibrate"]["posterior_median"])
    book = calibrated.parent / "calibration.xlsx"
    assert main(["export", str(calibrated), "--out", str(book), "--quiet"]) == 0
    assert load_workbook(book).sheetnames[:3] == ["intervals", "posterior", "predictive"]


def test_a_calibration_leaves_numpys_global_generator_as_it_found_it() -> None:
    """pyabc draws from numpy's global generator; the caller's state is restored."""
    import numpy as np

    from sim.experiment.calibrate import numpy_global_state_kept

    np.random.seed(12345)  # noqa: NPY002 (the caller's own global draws)
    expected = np.random.random(3)  # noqa: NPY002
    np.random.seed(12345)  # noqa: NPY002
    with numpy_global_state_kept():
        np.random.seed(1)  # noqa: NPY002 (as the fit does per generation)
        np.random.random(10)  # noqa: NPY002
    assert (np.random.random(3) == expected).all()  # noqa: NPY002
