"""Sensitivity analysis on synthetic outputs with known answers.

The response Y = 4 x1 + x2 (+ noise) on the unit cube has first-order and
total Sobol' indices 16/17, 1/17 and 0, Morris elementary effects 4, 1 and 0
per unit range, and the same main-effect shares on a symmetric 3-level
factorial; the Ishigami function (Ishigami & Homma 1990) has an interaction-only
factor (S1 = 0, ST = 0.244).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from SALib.test_functions import Ishigami
from scipy.stats import qmc

from sim.statistics.sensitivity import (
    COLUMNS,
    INDICES,
    mark_invalid,
    noise_share,
    precision_message,
    samples_needed,
    sensitivity,
    violations,
)

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["x1", "x2", "x3"]
UNIT = {"num_vars": 3, "names": NAMES, "bounds": [[0.0, 1.0]] * 3}
TRUE_SHARES = np.array([16 / 17, 1 / 17, 0.0])
PRIMARY = {"sobol": "ST", "morris": "mu_star", "factorial": "main_effect", "lhs": "SRC2"}


def design_matrix(design: str) -> np.ndarray:
    if design == "sobol":
        return np.asarray(sobol_sample.sample(UNIT, 64, calc_second_order=False, seed=2))
    if design == "morris":
        return np.asarray(morris_sample.sample(UNIT, 10, num_levels=4, seed=2))
    if design == "lhs":
        return qmc.LatinHypercube(d=3, seed=2).random(60)
    return np.array(list(itertools.product([0.0, 0.5, 1.0], repeat=3)))


def linear(x: np.ndarray) -> np.ndarray:
    return 4 * x[:, 0] + x[:, 1]


def results(x: np.ndarray, y: np.ndarray, reps: int, noise: float, seed: int = 1,
            names: list[str] = NAMES) -> pd.DataFrame:
    """One row per (point, replication): the factors and KPI ``y`` with normal noise."""
    shocks = np.random.default_rng(seed).standard_normal((len(x), reps))
    frame = pd.DataFrame({
        "point": np.repeat(np.arange(len(x)), reps),
        "replication": np.tile(np.arange(reps), len(x)),
        "y": (y[:, None] + noise * shocks).ravel(),
    })
    for j, name in enumerate(names):
        frame[name] = np.repeat(x[:, j], reps)
    return frame


def index(table: pd.DataFrame, name: str, kpi: str = "y") -> pd.DataFrame:
    return table[(table["index"] == name) & (table["kpi"] == kpi)].set_index("factor")


def analyse(design: str, reps: int = 2, noise: float = 0.0, **kw: object) -> pd.DataFrame:
    x = design_matrix(design)
    return sensitivity({"design": design, "factors": NAMES}, results(x, linear(x), reps, noise),
                       ["y"], **kw)  # type: ignore[arg-type]


def test_sobol_indices_of_a_linear_response() -> None:
    table = analyse("sobol")
    for name in ("S1", "ST"):
        got = index(table, name)
        assert np.allclose(got.loc[NAMES, "value"], TRUE_SHARES, atol=0.05), got
        assert (got["conf"] >= 0).all()


def test_morris_effects_of_a_linear_response_are_its_slopes() -> None:
    table = analyse("morris")
    assert np.allclose(index(table, "mu_star").loc[NAMES, "value"], [4, 1, 0], atol=1e-9)
    assert np.allclose(index(table, "mu").loc[NAMES, "value"], [4, 1, 0], atol=1e-9)
    assert np.allclose(index(table, "sigma").loc[NAMES, "value"], 0, atol=1e-9)  # additive


def test_factorial_main_effects_are_exact_variance_shares() -> None:
    table = analyse("factorial")
    assert np.allclose(index(table, "main_effect").loc[NAMES, "value"], TRUE_SHARES, atol=1e-12)


def test_lhs_squared_standardized_regression_coefficients() -> None:
    got = index(analyse("lhs"), "SRC2").loc[NAMES, "value"]
    assert np.allclose(got, TRUE_SHARES, atol=0.05)
    assert got["x3"] < 0.005


def ishigami(samples: int, seed: int) -> pd.DataFrame:
    """The Sobol' indices of the Ishigami function from a Saltelli design of N = ``samples``."""
    bounds = {**UNIT, "bounds": [[-math.pi, math.pi]] * 3}
    x = np.asarray(sobol_sample.sample(bounds, samples, calc_second_order=False, seed=seed))
    return sensitivity({"design": "sobol", "factors": NAMES},
                       results(x, Ishigami.evaluate(x), 1, 0.0), ["y"])


def test_ishigami_first_order_and_total_indices() -> None:
    table = ishigami(1024, 7)
    assert np.allclose(index(table, "S1").loc[NAMES, "value"], [0.314, 0.442, 0.0], atol=0.05)
    assert np.allclose(index(table, "ST").loc[NAMES, "value"], [0.558, 0.442, 0.244], atol=0.05)


@pytest.mark.parametrize("design", list(PRIMARY))
def test_without_noise_intervals_collapse_and_noise_share_is_zero(design: str) -> None:
    table = analyse(design, reps=2, noise=0.0)
    assert (table["noise_share"] == 0).all()
    assert np.allclose(table["low"], table["value"]) and np.allclose(table["high"], table["value"])


@pytest.mark.parametrize("design", list(PRIMARY))
def test_the_strong_factor_ranks_first_and_the_inert_one_last_under_noise(design: str) -> None:
    got = index(analyse(design, reps=3, noise=0.3), PRIMARY[design])["value"]
    assert got["x1"] > got["x2"] > got["x3"]
    assert got["x3"] < 0.1 * got["x1"]


@pytest.mark.parametrize("design", list(PRIMARY))
def test_the_bootstrap_interval_widens_with_replication_noise(design: str) -> None:
    quiet = index(analyse(design, reps=3, noise=0.1), PRIMARY[design])
    loud = index(analyse(design, reps=3, noise=1.0), PRIMARY[design])
    for factor in ("x1", "x2"):
        assert (loud.loc[factor, "high"] - loud.loc[factor, "low"]) > \
            2 * (quiet.loc[factor, "high"] - quiet.loc[factor, "low"]) > 0


@pytest.mark.parametrize("design", list(PRIMARY))
def test_noise_share_is_small_for_small_noise_and_large_for_big_noise(design: str) -> None:
    assert analyse(design, reps=3, noise=0.05)["noise_share"].iloc[0] < 0.05
    assert analyse(design, reps=3, noise=5.0)["noise_share"].iloc[0] > 0.5


def test_noise_share_estimates_noise_over_signal_plus_noise() -> None:
    x = qmc.LatinHypercube(d=3, seed=4).random(400)
    sigma, reps = 1.0, 4
    table = sensitivity({"design": "lhs", "factors": NAMES},
                        results(x, linear(x), reps, sigma), ["y"])
    noise = sigma**2 / reps
    expected = noise / (17 / 12 + noise)  # var(4 x1 + x2) = 17/12 on the unit cube
    assert table["noise_share"].iloc[0] == pytest.approx(expected, abs=0.04)


def test_noise_share_is_about_one_when_the_factors_do_nothing() -> None:
    x = qmc.LatinHypercube(d=3, seed=5).random(400)
    frame = results(x, np.zeros(len(x)), 5, 1.0)
    replicates = frame.pivot(index="point", columns="replication", values="y").to_numpy()
    assert noise_share(replicates) == pytest.approx(1.0, abs=0.2)  # sd about 0.07


def test_one_replication_gives_estimates_without_noise_intervals() -> None:
    table = analyse("sobol", reps=1, noise=0.3)
    assert table["value"].notna().all() and table["conf"].notna().all()
    assert table[["low", "high", "noise_share"]].isna().all().all()
    assert (table["replications"] == 1).all()


def test_uneven_replications_report_the_fewest() -> None:
    x = design_matrix("factorial")
    frame = results(x, linear(x), 3, 0.2)
    frame = frame.drop(frame.index[(frame["point"] == 5) & (frame["replication"] > 0)])
    frame.loc[(frame["point"] == 6) & (frame["replication"] == 1), "y"] = np.nan  # a failure
    table = sensitivity({"design": "factorial", "factors": NAMES}, frame, ["y"])
    assert (table["replications"] == 1).all() and (table["n_points"] == 27).all()
    assert table["value"].notna().all() and table["low"].notna().all()


@pytest.mark.parametrize("design", ["sobol", "morris"])
def test_sobol_and_morris_need_every_design_point(design: str) -> None:
    x = design_matrix(design)
    frame = results(x, linear(x), 2, 0.0)
    with pytest.raises(ValueError, match="every design point"):
        sensitivity({"design": design, "factors": NAMES}, frame[frame["point"] != 3], ["y"])


def test_a_kpi_missing_from_the_results_is_named() -> None:
    x = design_matrix("lhs")
    with pytest.raises(ValueError, match="'retention'"):
        sensitivity({"design": "lhs", "factors": NAMES}, results(x, linear(x), 2, 0.0),
                    ["y", "retention"])


def test_a_constant_kpi_has_no_indices() -> None:
    x = design_matrix("lhs")
    frame = results(x, linear(x), 2, 0.0).assign(flat=1.0)
    table = sensitivity({"design": "lhs", "factors": NAMES}, frame, ["flat", "y"])
    assert index(table, "SRC2", "flat")["value"].isna().all()
    assert index(table, "SRC2", "y")["value"].notna().all()


@pytest.mark.parametrize("design", list(PRIMARY))
def test_the_table_is_tidy_one_row_per_kpi_factor_and_index(design: str) -> None:
    x = design_matrix(design)
    frame = results(x, linear(x), 2, 0.1).assign(z=lambda f: -f["y"])
    table = sensitivity({"design": design, "factors": NAMES}, frame, ["y", "z"], bootstrap=20)
    assert list(table.columns) == list(COLUMNS)
    assert len(table) == 2 * len(NAMES) * len(INDICES[design])
    assert not table.duplicated(["kpi", "factor", "index"]).any()
    assert set(table["index"]) == set(INDICES[design])


def test_results_are_determined_by_the_seed() -> None:
    first, again = analyse("sobol", 3, 0.5, seed=3), analyse("sobol", 3, 0.5, seed=3)
    pd.testing.assert_frame_equal(first, again)
    other = analyse("sobol", 3, 0.5, seed=4)
    assert not np.allclose(first["low"], other["low"])
    assert np.allclose(first["value"], other["value"])


def test_a_categorical_factor_has_a_main_effect() -> None:
    levels = list(itertools.product([0.0, 1.0], ["encounter", "relationship"], [0.0, 1.0]))
    x = pd.DataFrame(levels, columns=["a", "model", "c"])
    y = x["a"].to_numpy() + 2.0 * (x["model"] == "relationship").to_numpy()
    frame = pd.DataFrame({"point": range(len(x)), "replication": 0, "y": y}).join(x)
    table = sensitivity({"design": "factorial", "factors": ["a", "model", "c"]}, frame, ["y"])
    got = index(table, "main_effect")["value"]
    assert got.to_dict() == pytest.approx({"a": 0.2, "model": 0.8, "c": 0.0})


def test_a_sweep_spec_and_its_json_record_give_the_same_table() -> None:
    from sim.experiment.design import design_points, load_sweep

    spec = load_sweep(ROOT / "scenarios" / "sweeps" / "policy_morris.toml")
    points = pd.DataFrame(design_points(spec))
    y = (10 * points["organization.reliability"] + points["organization.empowerment"]).to_numpy()
    frame = results(points.to_numpy(dtype=float), y, 2, 0.0, names=list(points.columns))
    table = sensitivity(spec, frame, ["y"])
    pd.testing.assert_frame_equal(table, sensitivity(spec.model_dump(mode="json"), frame, ["y"]))
    # elementary effects per whole range: 10 x (0.97 - 0.85) and 1 x (0.9 - 0.1); others inert
    got = index(table, "mu_star")["value"]
    assert got["organization.reliability"] == pytest.approx(1.2)
    assert got["organization.empowerment"] == pytest.approx(0.8)
    assert got.drop(["organization.reliability", "organization.empowerment"]).abs().max() < 1e-9


# -- invalid Sobol' indices ------------------------------------------------------------------
def sobol_table(s1: list[float], s1_conf: list[float], st: list[float],
                st_conf: list[float], n: int = 8) -> pd.DataFrame:
    """A sensitivity table of three factors with these S1 and ST (a base sample N = ``n``)."""
    rows = [{"kpi": "y", "factor": f, "index": index, "value": v, "conf": c,
             "n_points": n * 5}
            for index, values, confs in (("S1", s1, s1_conf), ("ST", st, st_conf))
            for f, v, c in zip(NAMES, values, confs, strict=True)]
    return mark_invalid(pd.DataFrame(rows))


def flagged(table: pd.DataFrame) -> dict[tuple[str, str], str]:
    marked = table[table["invalid"] != ""]
    return {(r.factor, r.index): r.invalid for r in marked.itertuples()}


def test_indices_inside_their_range_within_their_intervals_are_not_flagged() -> None:
    # S1 below 0, S1 above ST and the S1 summing above 1, each within the intervals
    table = sobol_table([-0.08, 0.7, 0.45], [0.1, 0.1, 0.1], [0.05, 0.6, 0.5], [0.1, 0.1, 0.1])
    assert flagged(table) == {} and table["samples_needed"].isna().all()
    assert violations(table) == []


def test_s1_below_zero_beyond_its_interval_is_flagged_with_the_samples_needed() -> None:
    table = sobol_table([-0.3, 0.5, 0.2], [0.2, 0.1, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.1])
    assert flagged(table) == {("x1", "S1"): "S1 < 0"}
    (v,) = violations(table)
    # the error is at least 0.3 (the distance to 0), more than the half-width 0.2:
    # 8 x (0.3 / 0.05)² = 288, rounded up to a power of 2
    assert v.samples_needed == 512 == table.loc[0, "samples_needed"]
    assert v.message() == ("y: S1 of x1 is -0.3 ± 0.2, below 0 beyond its interval: invalid; "
                           "about N = 512 base samples (2,560 design points; now N = 8) would "
                           "bring its error to ±0.05")


def test_s1_above_st_beyond_both_intervals_flags_both() -> None:
    table = sobol_table([0.1, 0.6, 0.1], [0.05, 0.05, 0.05], [0.15, 0.3, 0.2],
                        [0.05, 0.05, 0.05])
    assert flagged(table) == {("x2", "S1"): "S1 > ST", ("x2", "ST"): "S1 > ST"}
    (v,) = violations(table)
    assert "S1 of x2 (0.6 ± 0.05) exceeds its ST (0.3 ± 0.05)" in v.message()
    assert v.samples_needed == 8 * 64  # (0.3 / 0.05)² = 36 -> 64


def test_s1_summing_above_one_beyond_their_intervals_flags_every_s1() -> None:
    table = sobol_table([0.7, 0.5, 0.1], [0.05, 0.05, 0.05], [0.8, 0.6, 0.2],
                        [0.05, 0.05, 0.05])
    assert flagged(table) == {(f, "S1"): "sum S1 > 1" for f in NAMES}
    (v,) = violations(table)
    assert v.factor == "" and "the S1 of the 3 factors sum to 1.3 ± 0.15" in v.message()
    several = sobol_table([1.4, 0.1, 0.1], [0.05, 0.05, 0.05], [1.2, 0.2, 0.2],
                          [0.05, 0.05, 0.05])
    assert flagged(several)[("x1", "S1")] == "S1 > ST; sum S1 > 1"
    assert flagged(several)[("x1", "ST")] == "S1 > ST; ST > 1"


def test_the_precision_message_names_the_widest_interval_and_the_samples_for_all() -> None:
    table = sobol_table([0.1, 0.5, 0.2], [0.04, 0.21, 0.1], [0.1, 0.6, 0.3], [0.03, 0.1, 0.1])
    assert precision_message(table) == (
        "The widest interval is ±0.21 (S1 of x2 for y): about N = 256 base samples (1,280 "
        "design points; now N = 8) would bring every half-width to ±0.05.")
    narrow = sobol_table([0.1, 0.5, 0.2], [0.01] * 3, [0.1, 0.6, 0.3], [0.05] * 3)
    assert precision_message(narrow) == "Every S1 and ST is known to within ±0.05."
    assert precision_message(analyse("morris", reps=1)) is None


def test_samples_needed_scales_n_by_the_squared_ratio_of_half_widths() -> None:
    assert samples_needed(8, 0.2) == 128  # 8 x (0.2 / 0.05)²
    assert samples_needed(8, 0.21) == 256  # 141 rounded up to a power of 2
    assert samples_needed(8, 0.1, excess=0.3) == 512  # the larger of the two
    assert samples_needed(64, 0.01) == 128  # at least twice as many
    assert samples_needed(64, 0.1, target=0.1) == 128


@pytest.mark.parametrize(("seed", "constraint"), [(2, "S1 > ST"), (11, "S1 < 0")])
def test_an_undersampled_ishigami_is_flagged_and_the_suggested_samples_clear_it(
        seed: int, constraint: str) -> None:
    few = ishigami(4, seed)
    assert constraint in set(few["invalid"])
    assert few["conf"].notna().all() and (few["conf"] > 0).all()  # SALib's, carried
    needed = int(few["samples_needed"].max())
    assert needed > 4 and needed == max(v.samples_needed for v in violations(few))
    enough = ishigami(needed, seed)
    assert (enough["invalid"] == "").all() and enough["samples_needed"].isna().all()


def test_other_designs_are_never_flagged() -> None:
    for design in ("morris", "factorial", "lhs"):
        table = analyse(design, reps=1, noise=1.0)
        assert (table["invalid"] == "").all() and table["samples_needed"].isna().all()


def test_spc_sweep_prints_and_lists_the_invalid_indices(
        capsys: pytest.CaptureFixture[str]) -> None:
    from sim.cli_experiment import invalid_indices, print_sensitivity

    table = sobol_table([-0.3, 0.5, 0.2], [0.2, 0.1, 0.1], [0.1, 0.6, 0.3], [0.1, 0.1, 0.1])
    print_sensitivity(table)
    out = capsys.readouterr().out
    assert "conf" in out.splitlines()[0] and "invalid" in out.splitlines()[0]
    assert "Invalid Sobol' indices (1)" in out
    assert "  y: S1 of x1 is -0.3 ± 0.2, below 0 beyond its interval: invalid; about N = 512" \
        in out
    assert invalid_indices(table) == [{
        "kpi": "y", "factor": "x1", "constraint": "S1 < 0", "samples_needed": 512,
        "message": violations(table)[0].message()}]
    print_sensitivity(sobol_table([0.1, 0.5, 0.2], [0.2, 0.1, 0.1], [0.1, 0.6, 0.3],
                                  [0.1, 0.1, 0.1]))
    printed = capsys.readouterr().out
    assert "Every S1 and ST is in its valid range within its interval" in printed
    assert printed.rstrip().endswith("would bring every half-width to ±0.05.")
    assert invalid_indices(table.iloc[:0]) == []
