"""spc optimize: KN selection, the search on a planted problem, levers files, the command."""

from __future__ import annotations

import itertools
import json
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.errors import UserError
from sim.experiment.optimize import pareto_front, search_and_certify
from sim.scenario import load_scenario
from sim.scenario.levers import Lever, LeversSpec
from sim.statistics.selection import kn_eta, kn_select

# -- KN --------------------------------------------------------------------------------------


def test_kn_eta_is_kim_and_nelson_formula() -> None:
    # eta = ((2 alpha / (k - 1)) ** (-2 / (n0 - 1)) - 1) / 2
    assert kn_eta(0.05, 2, 10) == pytest.approx(0.5 * (0.1 ** (-2 / 9) - 1))
    assert kn_eta(0.05, 5, 3) == pytest.approx(0.5 * (1 / 0.025 - 1))


def _normal_alternatives(means: list[float], sd: float, seed: int) -> tuple[np.ndarray, Any]:
    rng = np.random.default_rng(seed)

    def more(alive: list[int], r: int) -> list[float]:
        return [float(means[i] + rng.normal(0, sd)) for i in alive]

    first = np.array([[m + rng.normal(0, sd) for _ in range(10)] for m in means])
    return first, more


def test_kn_selects_the_best_of_clearly_separated_alternatives() -> None:
    first, more = _normal_alternatives([0.0, 0.0, 1.0, 3.0], 1.0, 1)
    sel = kn_select(first, more, delta=0.5, alpha=0.05)
    assert sel.chosen == 3 and sel.complete
    assert sel.eliminated_at[3] is None
    assert all(sel.eliminated_at[i] is not None for i in range(3))
    # minimizing picks the lowest mean
    first, more = _normal_alternatives([0.0, 2.0, 4.0], 1.0, 2)
    assert kn_select(first, more, delta=0.5, alpha=0.05, maximize=False).chosen == 0


def test_kn_probability_of_correct_selection_in_the_slippage_configuration() -> None:
    """Best mean delta above k - 1 equal others (KN's least favourable case): the best is
    chosen in at least 1 - alpha of 200 macro-replications."""
    hits = 0
    for seed in range(200):
        first, more = _normal_alternatives([0.0, 0.0, 0.0, 1.0], 1.0, 100 + seed)
        hits += kn_select(first, more, delta=1.0, alpha=0.1).chosen == 3
    assert hits >= 0.9 * 200 - 8  # 0.9 minus a binomial allowance of 2 standard errors


def test_kn_budget_stops_early_and_says_so() -> None:
    first, more = _normal_alternatives([0.0, 0.01], 5.0, 3)
    sel = kn_select(first, more, delta=0.01, alpha=0.05, budget=6)
    assert not sel.complete
    assert sel.evaluations - 20 <= 6


# -- the procedure on a planted problem ------------------------------------------------------

PLANTED = LeversSpec(path=Path("planted.toml"), description="", levers=(
    Lever(path="x", kind="integer", low=0, high=19),
    Lever(path="y", kind="integer", low=0, high=9),
    Lever(path="c", kind="categorical", choices=("a", "b", "c")),
))
BONUS = {"a": 0.0, "b": 3.0, "c": -2.0}
BEST = 103.0  # at x = 13, y = 4, c = "b"
SD_COMMON, SD_OWN = 3.0, 1.0  # noise shared by a replication (CRN), and each candidate's own
DELTA, N0, BUDGET = 1.0, 4, 240


def planted(p: dict[str, Any]) -> float:
    return 100 - 0.5 * (p["x"] - 13) ** 2 - (p["y"] - 4) ** 2 + BONUS[p["c"]]


def planted_evaluator(macro: int) -> Any:
    """Replication r of every candidate shares a N(0, 3) draw (common random numbers) plus
    its own N(0, 1) draw; every draw from a generator seeded by (macro, r[, candidate])."""

    def evaluate(points: list[dict[str, Any]], reps: range) -> list[dict[str, list[float]]]:
        out = []
        for p in points:
            tag = zlib.crc32(repr(sorted(p.items())).encode())
            out.append({"obj": [planted(p)
                                + np.random.default_rng([macro, r]).normal(0, SD_COMMON)
                                + np.random.default_rng([macro, r, tag]).normal(0, SD_OWN)
                                for r in reps]})
        return out

    return evaluate


@pytest.mark.slow
def test_planted_optimum_found_within_delta_with_a_quarter_of_the_grid() -> None:
    """The issue's validation: within delta of the planted best in >= 95 of 100
    macro-replications, using at most 25 % of an exhaustive grid's evaluations (every
    point of the grid on the same n0 replications)."""
    grid_evaluations = PLANTED.grid_size() * N0
    assert grid_evaluations == 20 * 10 * 3 * N0
    hits, most = 0, 0
    for macro in range(100):
        opt = search_and_certify(PLANTED, planted_evaluator(macro), "obj", True, n0=N0,
                                 budget_runs=BUDGET, candidates=5, delta=DELTA, alpha=0.05,
                                 seed=macro)
        hits += BEST - planted(opt.candidates[opt.chosen].params) <= DELTA
        most = max(most, opt.evaluations)
    assert hits >= 95
    assert most <= 0.25 * grid_evaluations


def test_search_is_reproducible_and_reports_categorical_values() -> None:
    runs = [search_and_certify(PLANTED, planted_evaluator(7), "obj", n0=N0, budget_runs=80,
                               candidates=3, delta=DELTA, seed=11) for _ in range(2)]
    assert runs[0].trials.equals(runs[1].trials)
    assert runs[0].chosen == runs[1].chosen
    assert set(runs[0].trials["c"]) <= {"a", "b", "c"}  # values, not indices
    assert len(runs[0].candidates) * N0 == runs[0].search_runs <= 80


def test_first_stage_tops_up_the_certified_candidates_before_kn() -> None:
    """--first-stage: the certified candidates get replications n0 .. first_stage - 1 (the
    next seeds, counted as certification runs) before KN's first elimination; the search
    is untouched, and KN's constant shrinks with the longer first stage."""
    kwargs: dict[str, Any] = {"n0": 3, "budget_runs": 60, "candidates": 3, "delta": DELTA,
                              "seed": 5}
    plain = search_and_certify(PLANTED, planted_evaluator(3), "obj", **kwargs)
    topped = search_and_certify(PLANTED, planted_evaluator(3), "obj", first_stage=10, **kwargs)
    assert plain.first_stage == 3 and topped.first_stage == 10
    assert topped.trials.equals(plain.trials) and topped.search_runs == plain.search_runs
    assert topped.certified == plain.certified
    assert topped.eta < plain.eta  # KN's constant for n0 = 10 against n0 = 3
    for i in topped.certified:
        values = topped.candidates[i].values["obj"]
        assert len(values) >= 10
        # replication r of a candidate is the same whoever asks for it (the next seeds)
        assert values[:10] == planted_evaluator(3)([topped.candidates[i].params],
                                                   range(10))[0]["obj"]
    kn_runs = sum(len(topped.candidates[i].values["obj"]) - 10 for i in topped.certified)
    assert topped.certify_runs == 3 * (10 - 3) + kn_runs
    with pytest.raises(UserError, match="--first-stage 2"):
        search_and_certify(PLANTED, planted_evaluator(3), "obj", first_stage=2, **kwargs)


# -- levers files and bad input ----------------------------------------------------------------

TINY = ["--set", "customers.initial=300", "--set", "providers.count=2", "--set",
        "run.years=0.5", "--set", "run.warmup_years=0"]
LEVERS = """
[levers]
"providers.count" = { low = 1, high = 3 }
"organization.service_model" = { choices = ["encounter", "relationship"] }
"""


def _levers(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "levers.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("text", "expected"), [
    ('[levers]\n"providers.cont" = { low = 1, high = 3 }',
     ["levers.\"providers.cont\"", "not a scenario parameter", "keys of [providers]"]),
    ('[levers]\n"organization.reliability" = { low = 0.5, high = 1.5 }',
     ["levers.\"organization.reliability\".high", "allowed"]),
    ('[levers]\n"organization.service_model" = { low = 0, high = 1 }',
     ["categorical", "choices"]),
    ('[levers]\n"organization.service_model" = { choices = ["encounter", "shop"] }',
     ["choices", "'encounter'"]),
    ('[levers]\n"run.seed" = { low = 1, high = 3 }', ["replications own the seeds"]),
    ('[levers]\n"providers.count" = { low = 1, hi = 3 }', ["unknown key", "keys of a lever"]),
    ('[levers]\n"providers.count" = { low = 1, high = 3, step = 0.5 }', ["step"]),
])
def test_bad_levers_file_names_file_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            text: str, expected: list[str]) -> None:
    levers = _levers(tmp_path, text)
    out = tmp_path / "out"
    code = main(["optimize", "scenarios/baseline.toml", "--levers", str(levers), "--out",
                 str(out), *TINY])
    err = capsys.readouterr().err
    assert code == 2
    assert str(levers) in err and err.count("\n") == 1
    for part in expected:
        assert part in err
    assert not out.exists()


@pytest.mark.parametrize(("flags", "expected"), [
    (["--objective", "profitt"], "--objective"),
    (["--constraint", "retention>=0.5"], "--constraint"),
    (["--objective", "cost_wages"], "--objective"),
    (["--objective", "profit", "--objective", "retention_ratee"], "retention_ratee"),
    (["--objective", "profit,cost_wages"], "cost_wages"),
    (["--objective", "profit,retention_rate,profit"], "given twice"),
    (["--objective", ",nps"], "an empty name"),
    (["-r", "3", "--first-stage", "2"], "--first-stage 2"),
    (["-r", "3", "--first-stage", "10", "--candidates", "4", "--certify-runs", "20"],
     "--certify-runs 20"),
])
def test_bad_objective_or_constraint_stops_before_running(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
        expected: str) -> None:
    out = tmp_path / "out"
    code = main(["optimize", "scenarios/baseline.toml", "--levers",
                 str(_levers(tmp_path, LEVERS)), "--out", str(out), *TINY, *flags])
    assert code == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (out / "shards").exists()


def test_pareto_front_on_a_hand_made_table() -> None:
    """Each objective in its own direction; ties are not domination; an infeasible or
    incomplete row neither is on the front nor dominates."""
    means = pd.DataFrame({"profit": [10.0, 8.0, 10.0, 12.0, 9.0, 20.0, 11.0, 7.0],
                          "wait": [5.0, 3.0, 5.0, 6.0, 4.0, 1.0, np.nan, 3.0]})
    feasible = [True, True, True, True, True, False, True, True]
    front = pareto_front(means, {"profit": True, "wait": False}, feasible)
    # 0 and 2 tie (neither dominates the other), 1 has the least wait, 3 the most profit;
    # 4 (profit 9, wait 4) is beaten by neither 0 (waits longer) nor 1 (less profit);
    # 5 would dominate all but fails a constraint; 6 has no wait; 7 is dominated by 1
    assert front.tolist() == [True, True, True, True, True, False, False, False]
    assert front.name == "pareto" and front.index.equals(means.index)
    # both maximized: only the rows that nothing beats on both
    both = pareto_front(means.fillna(0.0), {"profit": True, "wait": True})
    assert both.tolist() == [False, False, False, True, False, True, False, False]
    # one objective: the front is the best rows
    assert pareto_front(means[["profit"]], {"profit": True}).tolist() == \
        [False, False, False, False, False, True, False, False]


# -- the command on the simulation -------------------------------------------------------------


@pytest.fixture(scope="module")
def optimized(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One tiny optimization, sequential, on two processes and on a local Dask cluster of
    two workers, then resumed."""
    tmp = tmp_path_factory.mktemp("opt")
    levers = _levers(tmp, LEVERS)
    args = ["optimize", "scenarios/baseline.toml", "--levers", str(levers), *TINY, "-r", "2",
            "--budget-runs", "6", "--candidates", "2", "--certify-runs", "2", "--quiet",
            "--constraint", "retention_rate>=0"]
    seq, par, dask = tmp / "seq", tmp / "par", tmp / "dask"
    assert main([*args, "--out", str(seq), "--executor", "sequential"]) == 0
    assert main([*args, "--out", str(par), "--executor", "processes", "--workers", "2"]) == 0
    assert main([*args, "--out", str(dask), "--executor", "dask", "--workers", "2"]) == 0
    shards = sorted(p.stat().st_mtime_ns for p in seq.rglob("r*.parquet"))
    assert main([*args, "--out", str(seq), "--executor", "sequential", "--resume"]) == 0
    return {"seq": seq, "par": par, "dask": dask, "shards": shards}


def test_optimize_writes_a_chosen_scenario_that_loads(optimized: dict[str, Any]) -> None:
    seq = optimized["seq"]
    manifest = json.loads((seq / "manifest.json").read_text())
    record = manifest["optimize"]
    assert manifest["kind"] == "optimize"
    chosen = load_scenario(seq / "chosen.toml")
    flat = chosen.flat()
    for key, value in record["chosen_params"].items():
        assert flat[key] == value
    assert flat["customers.initial"] == 300 and flat["run.years"] == 0.5
    cands = pd.read_parquet(seq / "candidates.parquet")
    assert cands["chosen"].sum() == 1
    assert set(cands["organization.service_model"]) <= {"encounter", "relationship"}
    assert record["search_runs"] == 2 * len(cands) <= 6


def test_optimize_same_result_whatever_the_executor_and_after_resume(
        optimized: dict[str, Any]) -> None:
    seq = optimized["seq"]
    for other in (optimized["par"], optimized["dask"]):
        for name in ("candidates", "trials"):
            pd.testing.assert_frame_equal(pd.read_parquet(seq / f"{name}.parquet"),
                                          pd.read_parquet(other / f"{name}.parquet"))
        assert (seq / "chosen.toml").read_text() == (other / "chosen.toml").read_text()
    # --resume re-played the search from the store: nothing was simulated again
    assert sorted(p.stat().st_mtime_ns for p in seq.rglob("r*.parquet")) == \
        optimized["shards"]


def test_report_plot_and_export_cover_an_optimization(optimized: dict[str, Any]) -> None:
    from openpyxl import load_workbook

    from analysis import load
    from analysis.plots import figure_makers

    par = optimized["par"]
    tables = load(par)
    assert {"candidates", "trials"} <= set(tables)  # results tables of their own
    manifest = json.loads((par / "manifest.json").read_text())
    assert "optimize_history" in [stem for stem, _, _ in figure_makers(tables, manifest)]
    assert main(["report", str(par), "--quiet"]) == 0
    html = (par / "report.html").read_text(encoding="utf-8")
    assert html.index('id="chosen"') < html.index('id="figures"')  # the answer first
    assert manifest["optimize"]["statement"].split(" (KN")[0] in html
    assert 'id="candidates"' in html and 'id="chosen-kpis"' in html
    assert main(["export", str(par), "--quiet"]) == 0
    assert load_workbook(par / "results.xlsx").sheetnames == [
        "candidates", "trials", "replications", "units", "about"]


@pytest.fixture(scope="module")
def two_objectives(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny optimization of ``optimized`` with a second objective."""
    tmp = tmp_path_factory.mktemp("pareto")
    out = tmp / "out"
    assert main(["optimize", "scenarios/baseline.toml", "--levers", str(_levers(tmp, LEVERS)),
                 *TINY, "-r", "2", "--budget-runs", "6", "--candidates", "2",
                 "--certify-runs", "2", "--quiet", "--constraint", "retention_rate>=0",
                 "--objective", "profit", "--objective", "retention_rate", "--out", str(out),
                 "--executor", "sequential"]) == 0
    return out


def test_several_objectives_search_on_the_first_and_mark_the_pareto_set(
        optimized: dict[str, Any], two_objectives: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from analysis import load
    from analysis.plots import figure_makers
    from sim.cli_optimize import print_optimum

    one = pd.read_parquet(optimized["seq"] / "candidates.parquet")
    two = pd.read_parquet(two_objectives / "candidates.parquet")
    # the first objective drives the search: the same trials, candidates and choice
    pd.testing.assert_frame_equal(pd.read_parquet(optimized["seq"] / "trials.parquet"),
                                  pd.read_parquet(two_objectives / "trials.parquet"))
    pd.testing.assert_frame_equal(one, two[one.columns])
    assert set(two.columns) - set(one.columns) == {"search_mean_retention_rate", "pareto"}
    # the Pareto set, recomputed by brute force on the search means
    points = two[["search_mean", "search_mean_retention_rate"]].to_numpy()
    feasible = two["feasible"].to_numpy()
    expected = [bool(feasible[i]) and not any(
        feasible[j] and (points[j] >= points[i]).all() and (points[j] > points[i]).any()
        for j in range(len(two))) for i in range(len(two))]
    assert two["pareto"].tolist() == expected and any(expected)
    record = json.loads((two_objectives / "manifest.json").read_text())["optimize"]
    assert record["objective"] == "profit"
    assert record["objectives"] == ["profit", "retention_rate"]
    assert [p["candidate"] for p in record["pareto"]] == two.loc[two["pareto"],
                                                                 "candidate"].tolist()
    first = record["pareto"][0]
    row = two.set_index("candidate").loc[first["candidate"]]
    assert first["params"] == {k: row[k] for k in first["params"]}
    assert first["search_means"]["retention_rate"] == row["search_mean_retention_rate"]
    assert "pareto" not in json.loads((optimized["seq"] / "manifest.json").read_text())[
        "optimize"]  # one objective: the record as before
    assert (two_objectives / "figures" / "optimize_pareto.png").is_file()
    stems = [stem for stem, _, _ in figure_makers(load(two_objectives), {"optimize": record})]
    assert stems[:2] == ["optimize_history", "optimize_pareto"]
    print_optimum(record, two, two_objectives)
    text = capsys.readouterr().out
    assert f"Pareto set on profit, retention_rate: {len(record['pareto'])} feasible" in text
    # the objective's unit, money with thousands separators (no exponent)
    assert text.startswith("Optimize profit (money per year; higher is better)")
    assert "e+0" not in text, text[text.find("e+0") - 200:text.find("e+0") + 50]
    assert " money per year (default" in text  # delta with its unit
    print_optimum(record, two, two_objectives, currency="EUR")  # the base's money.currency
    text = capsys.readouterr().out
    assert text.startswith("Optimize profit (EUR per year; higher is better)")
    assert " EUR per year (default" in text
    for point in record["pareto"]:
        assert f"providers.count = {point['params']['providers.count']}" in text
    # the report sets out the Pareto set (one row per candidate); one objective, none
    assert main(["report", str(two_objectives), "--format", "md", "--quiet"]) == 0
    report = (two_objectives / "report.md").read_text(encoding="utf-8").replace("\\_", "_")
    assert f"The Pareto set on profit, retention_rate: the {len(record['pareto'])} " in report
    after = report[report.index("The Pareto set on"):].splitlines()[2:]  # caption, blank
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), after))
    assert len(rows) == 2 + len(record["pareto"])  # header, rule, one per candidate
    assert [r.split("|")[1].strip() for r in rows[2:]] == [
        str(p["candidate"]) for p in sorted(record["pareto"],
                                            key=lambda p: -p["search_means"]["profit"])]
