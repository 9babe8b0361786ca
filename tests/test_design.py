"""Sweep files and their designs: validation, sizes, determinism, strata, integer rounding."""

from __future__ import annotations

import itertools
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError
from sim.experiment.design import (
    MORRIS_LEVELS,
    design_points,
    invalid_points,
    load_sweep,
    point_overrides,
    point_scenario,
    toml_literal,
)
from sim.scenario.paths import file_key

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scenarios" / "baseline.toml"
SHIPPED = sorted((ROOT / "scenarios" / "sweeps").glob("*.toml"))

FACTORIAL = """
description = "test"
base = "{base}"
design = "factorial"
replications = 2
kpis = ["retention_rate"]
overrides = ["run.years=2.0", "run.warmup_years=0.5"]
[factors]
"organization.reliability" = { levels = [0.85, 0.9, 0.95] }
"organization.empowerment" = { low = 0.1, high = 0.9, levels = 3 }
"organization.service_model" = { levels = ["encounter", "relationship"] }
"""


def sweep_file(tmp_path: Path, body: str, name: str = "s.toml") -> Path:
    """A sweep file in ``tmp_path`` whose ``{base}`` is the baseline, relative to it."""
    path = tmp_path / name
    path.write_text(body.replace("{base}", os.path.relpath(BASELINE, tmp_path)))
    return path


def sampled(design: str, factors: str, samples: int = 8, seed: int = 7) -> str:
    return f"""
base = "{{base}}"
design = "{design}"
samples = {samples}
seed = {seed}
kpis = ["retention_rate", "profit"]
[factors]
{factors}
"""


TWO_RANGES = """
"organization.reliability" = { low = 0.85, high = 0.95 }
"organization.empowerment" = { low = 0.1, high = 0.9 }
"market.competition" = { low = 0.2, high = 0.8 }
"""


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_sweeps_load_and_every_point_is_a_valid_scenario(path: Path) -> None:
    spec = load_sweep(path)
    assert spec.description, f"{path.name}: say what it studies"
    assert spec.name == path.stem and spec.kpis
    assert spec.base == BASELINE.resolve()
    points = design_points(spec)
    k, n = len(spec.factors), spec.samples or 0
    expected = {
        "factorial": math.prod(len(f.levels) for f in spec.factors),
        "lhs": n, "sobol": n * (k + 2), "morris": n * (k + 1),
    }[spec.design]
    assert len(points) == expected
    assert invalid_points(spec) == {}


def test_the_shipped_sweeps_cover_every_design() -> None:
    assert {load_sweep(p).design for p in SHIPPED} == {"factorial", "lhs", "sobol", "morris"}


def test_a_factorial_sweep_loads_with_its_defaults_and_levels(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, FACTORIAL, "my_study.toml"))
    assert spec.name == "my_study"
    assert spec.path == (tmp_path / "my_study.toml").resolve()
    assert spec.overrides == ("run.years=2.0", "run.warmup_years=0.5")
    assert spec.factor_names == (
        "organization.reliability", "organization.empowerment", "organization.service_model"
    )
    reliability, empowerment, model = spec.factors
    assert reliability.levels == (0.85, 0.9, 0.95) and reliability.kind == "continuous"
    assert empowerment.levels == (0.1, 0.5, 0.9)
    assert model.levels == ("encounter", "relationship") and model.kind == "categorical"
    # what the runner records in its manifest
    assert json.loads(json.dumps(spec.model_dump(mode="json")))["factors"][2]["levels"] == [
        "encounter", "relationship"
    ]


def test_factorial_points_are_the_product_first_factor_slowest(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, FACTORIAL))
    points = design_points(spec)
    assert len(points) == 3 * 3 * 2
    assert [p["organization.service_model"] for p in points[:2]] == ["encounter", "relationship"]
    assert [p["organization.reliability"] for p in points[::6]] == [0.85, 0.9, 0.95]
    assert len({tuple(p.values()) for p in points}) == len(points)
    assert points == design_points(load_sweep(sweep_file(tmp_path, FACTORIAL)))


def test_point_overrides_are_toml_literals_that_build_the_point(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, FACTORIAL))
    point = design_points(spec)[-1]
    assert point_overrides(spec, point) == [
        "organization.reliability=0.95",
        "organization.empowerment=0.9",
        'organization.service_model="relationship"',
    ]
    scenario = point_scenario(spec, point)
    flat = scenario.flat()
    assert {k: flat[k] for k in point} == point
    assert flat["run.years"] == 2.0  # the sweep's overrides apply too


def test_keys_of_parameter_table_files_are_written_as_in_the_file() -> None:
    """One rule for sweep, levers and priors files: table paths quoted, list entries
    indexed."""
    assert file_key(("factors", "providers.count", "low"), "factors") == \
        'factors."providers.count".low'
    assert file_key(("levers", "providers.count"), "levers") == 'levers."providers.count"'
    assert file_key(("kpis", 0), "factors") == "kpis[0]"
    assert file_key(("design",), "factors") == "design"


def test_toml_literals() -> None:
    assert toml_literal(True) == "true"
    assert toml_literal(np.int64(7)) == "7"
    assert toml_literal(0.1) == "0.1"
    assert toml_literal('say "hi"') == '"say \\"hi\\""'


def test_integer_parameters_get_rounded_levels(tmp_path: Path) -> None:
    body = FACTORIAL.split("[factors]")[0] + """[factors]
"providers.count" = { low = 6, high = 9, levels = 3 }
"""
    spec = load_sweep(sweep_file(tmp_path, body))
    assert spec.factors[0].kind == "integer"
    levels = [p["providers.count"] for p in design_points(spec)]
    assert levels == [6, 8, 9]  # 7.5 rounds half up
    assert all(type(v) is int for v in levels)
    assert point_overrides(spec, {"providers.count": 8}) == ["providers.count=8"]


def test_integer_levels_that_collide_after_rounding_are_refused(tmp_path: Path) -> None:
    body = FACTORIAL.split("[factors]")[0] + """[factors]
"providers.count" = { low = 6, high = 7, levels = 4 }
"""
    with pytest.raises(ScenarioError, match="repeated levels"):
        load_sweep(sweep_file(tmp_path, body))


def test_sampled_integers_take_every_integer_equally_often(tmp_path: Path) -> None:
    factors = '"providers.count" = { low = 6, high = 10 }\n' + TWO_RANGES
    spec = load_sweep(sweep_file(tmp_path, sampled("lhs", factors, samples=50)))
    counts = [p["providers.count"] for p in design_points(spec)]
    assert all(type(v) is int for v in counts)
    assert sorted(set(counts)) == [6, 7, 8, 9, 10]
    assert all(counts.count(v) == 10 for v in range(6, 11))  # one stratum of five each


def test_lhs_points_hit_each_stratum_once_within_the_ranges(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, sampled("lhs", TWO_RANGES, samples=12)))
    points = design_points(spec)
    assert len(points) == 12
    for factor in spec.factors:
        assert factor.low is not None and factor.high is not None
        values = np.array([p[factor.path] for p in points])
        assert np.all((values >= factor.low) & (values <= factor.high))
        strata = np.floor((values - factor.low) / (factor.high - factor.low) * 12)
        assert sorted(strata.astype(int)) == list(range(12))


def test_sobol_has_n_times_k_plus_two_points_determined_by_the_seed(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, sampled("sobol", TWO_RANGES, samples=16)))
    points = design_points(spec)
    assert len(points) == 16 * (3 + 2)
    assert points == design_points(spec)
    other = load_sweep(sweep_file(tmp_path, sampled("sobol", TWO_RANGES, 16, seed=8), "o.toml"))
    assert design_points(other) != points
    # Saltelli's blocks: A, then A with column j from B, ..., then B
    a, ab1, b = points[0], points[1], points[4]
    assert ab1["organization.reliability"] == b["organization.reliability"]
    assert ab1["organization.empowerment"] == a["organization.empowerment"]


def test_morris_trajectories_move_one_factor_at_a_time_on_the_grid(tmp_path: Path) -> None:
    spec = load_sweep(sweep_file(tmp_path, sampled("morris", TWO_RANGES, samples=5)))
    points = design_points(spec)
    k = len(spec.factors)
    assert len(points) == 5 * (k + 1)
    assert points == design_points(spec)
    for factor in spec.factors:
        assert factor.low is not None and factor.high is not None
        grid = np.linspace(factor.low, factor.high, MORRIS_LEVELS)
        for p in points:
            assert np.isclose(grid, p[factor.path]).any()
    for t in range(5):
        trajectory = points[t * (k + 1):(t + 1) * (k + 1)]
        for before, after in itertools.pairwise(trajectory):
            moved = [name for name in spec.factor_names if before[name] != after[name]]
            assert len(moved) == 1


def test_a_factor_also_set_in_the_overrides_wins(tmp_path: Path) -> None:
    body = FACTORIAL.replace('"run.warmup_years=0.5"', '"run.warmup_years=0.5", '
                                                         '"organization.reliability=0.5"')
    spec = load_sweep(sweep_file(tmp_path, body))
    point = design_points(spec)[0]
    assert point_scenario(spec, point).params.organization.reliability == 0.85


def test_invalid_combinations_of_valid_levels_are_listed(tmp_path: Path) -> None:
    body = FACTORIAL.split("[factors]")[0] + """[factors]
"run.years" = { levels = [2.0, 0.8] }
"run.warmup_years" = { levels = [0.25, 1.0] }
"""
    spec = load_sweep(sweep_file(tmp_path, body))
    problems = invalid_points(spec)
    assert list(problems) == [3] and "warmup_years" in problems[3]


def _refused(path: Path, key: str, problem: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    err = info.value
    assert err.source == str(path.resolve()), str(err)
    assert err.key == key, str(err)
    assert problem in str(err), str(err)
    return err


REFUSALS = {
    "unknown top-level key": (
        FACTORIAL.replace("replications = 2", "replicates = 2"), "replicates", "unknown key"),
    "unknown factor key": (
        FACTORIAL.replace("{ levels = [0.85", "{ level = [0.85"),
        'factors."organization.reliability".level', "unknown key"),
    "bad factor path": (
        FACTORIAL.replace('"organization.reliability"', '"organization.reliabilty"'),
        'factors."organization.reliabilty"', "not a scenario parameter"),
    "bad section": (
        FACTORIAL.replace('"organization.reliability"', '"org.reliability"'),
        'factors."org.reliability"', "not a scenario parameter"),
    "the seed as a factor": (
        FACTORIAL.replace('"organization.reliability"', '"run.seed"'),
        'factors."run.seed"', "replications own the seeds"),
    "out-of-range level": (
        FACTORIAL.replace("0.95]", "1.2]"),
        'factors."organization.reliability".levels', "1.2 is not accepted"),
    "unknown category": (
        FACTORIAL.replace('"relationship"]', '"friendship"]'),
        'factors."organization.service_model".levels', "'friendship' is not accepted"),
    "fractional provider count": (
        FACTORIAL.replace('"organization.reliability" = { levels = [0.85, 0.9, 0.95] }',
                          '"providers.count" = { levels = [6, 7.5] }'),
        'factors."providers.count".levels', "7.5 is not accepted"),
    "low >= high": (
        FACTORIAL.replace("low = 0.1, high = 0.9", "low = 0.9, high = 0.1"),
        'factors."organization.empowerment".high', "must be below high"),
    "range out of bounds": (
        FACTORIAL.replace("low = 0.1, high = 0.9", "low = -0.1, high = 0.9"),
        'factors."organization.empowerment".low', "not accepted"),
    "range and list": (
        FACTORIAL.replace("levels = [0.85, 0.9, 0.95]", "levels = [0.85], low = 0.8, high = 1.0"),
        'factors."organization.reliability"', "both a list of levels and a range"),
    "true as a number": (
        FACTORIAL.replace("low = 0.1", "low = true"),
        'factors."organization.empowerment".low', "not accepted"),
    "missing base key": (FACTORIAL.replace('base = "{base}"', ""), "base", "missing"),
    "missing base file": (
        FACTORIAL.replace('base = "{base}"', 'base = "nowhere.toml"'), "base", "not found"),
    "unknown design": (FACTORIAL.replace('"factorial"', '"taguchi"'), "design", "taguchi"),
    "no replications": (
        FACTORIAL.replace("replications = 2", "replications = 0"), "replications", "0"),
    "no kpis": (FACTORIAL.replace('["retention_rate"]', "[]"), "kpis", "not accepted"),
    "a kpi that is no name": (FACTORIAL.replace('["retention_rate"]', "[3]"), "kpis[0]",
                              "not accepted"),
    "bad override": (
        FACTORIAL.replace('"run.years=2.0"', '"run.years=-1"'), "overrides", "run.years"),
    "categorical factor in an lhs design": (
        sampled("lhs", '"organization.service_model" = { levels = ["encounter", "relationship"] }'),
        'factors."organization.service_model"', "categorical"),
    "list of levels in a sobol design": (
        sampled("sobol", '"organization.reliability" = { levels = [0.85, 0.9] }'),
        'factors."organization.reliability"', "cannot sample"),
    "no range in a morris design": (
        sampled("morris", '"organization.reliability" = { levels = 3 }'),
        'factors."organization.reliability"', "needs a range"),
    "narrow integer morris range": (
        sampled("morris", '"providers.count" = { low = 6, high = 8 }'),
        'factors."providers.count".high', "too narrow"),
    "sobol N not a power of 2": (sampled("sobol", TWO_RANGES, samples=10), "samples", "power of 2"),
    "sampled design without samples": (
        sampled("lhs", TWO_RANGES).replace("samples = 8", ""), "samples", "needs samples"),
    "sampled design without a seed": (
        sampled("lhs", TWO_RANGES).replace("seed = 7", ""), "seed", "needs a seed"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals_name_the_sweep_file_and_the_key(tmp_path: Path, case: str) -> None:
    body, key, problem = REFUSALS[case]
    _refused(sweep_file(tmp_path, body), key, problem)


def test_refusals_say_what_is_allowed(tmp_path: Path) -> None:
    body = FACTORIAL
    err = _refused(sweep_file(tmp_path, body.replace("0.95]", "1.2]")),
                   'factors."organization.reliability".levels', "not accepted")
    assert err.allowed == "a number in [0, 1] (share)"
    err = _refused(sweep_file(tmp_path, body.replace('"organization.reliability"',
                                                     '"organization.reliabilty"')),
                   'factors."organization.reliabilty"', "not a scenario parameter")
    assert err.allowed is not None and "empowerment" in err.allowed
    err = _refused(sweep_file(tmp_path, body.replace("replications = 2", "replicates = 2")),
                   "replicates", "unknown key")
    assert err.allowed is not None and "replications" in err.allowed


def test_a_missing_or_broken_sweep_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="sweep file not found"):
        load_sweep(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("design = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_sweep(broken)


def test_an_invalid_base_scenario_names_the_base_file(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text("[organization]\nreliability = 3.0\n")
    body = FACTORIAL.replace("{base}", "base.toml")
    path = tmp_path / "s.toml"
    path.write_text(body)
    with pytest.raises(ScenarioError) as info:
        load_sweep(path)
    assert info.value.source == str(base.resolve())
    assert info.value.key == "organization.reliability"
