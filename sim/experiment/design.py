"""Sweep designs: which parameter values a sweep runs (factorial, LHS, Sobol', Morris).

A sweep file (TOML) names a base scenario, the factors (scenario parameters) to
vary with their levels or ranges, the design that places points among them and
the KPIs to analyse.  :func:`load_sweep` validates it against the scenario
schema (every level and range end, applied to the base scenario);
:func:`design_points` lists the factor values of each point and
:func:`point_overrides` turns a point into ``key.path=value`` assignments for
:func:`sim.scenario.load_scenario`, applied after the sweep's ``overrides`` (a
factor wins over an override of the same key).  A combination of valid levels
can still break a rule across keys; :func:`invalid_points` lists such points,
which fail when they run.

Sampled designs use their libraries' samplers: ``scipy.stats.qmc.LatinHypercube``
(McKay, Beckman & Conover 1979), SALib's Saltelli scheme for Sobol' indices
(Saltelli et al. 2010) and SALib's Morris trajectories (Morris 1991).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy.stats import qmc

from sim.errors import ScenarioError, clipped
from sim.kpis import KPI_LIST_HINT, KpiError, check_scenario_kpis
from sim.scenario.loader import (
    Scenario,
    _describe_allowed,
    is_file,
    load_scenario,
    read_toml_file,
    resolve_path,
)
from sim.scenario.paths import (
    ParameterKind,
    checked,
    file_error,
    toml_literal,
    varied_parameter_kind,
    whole,
)
from sim.scenario.schema import SAFE_NAME_RULE, SECTIONS, name_problem

Design = Literal["factorial", "lhs", "sobol", "morris"]
DESIGNS: tuple[str, ...] = ("factorial", "lhs", "sobol", "morris")
MORRIS_LEVELS = 4
"""Grid levels of the Morris design (``num_levels`` of SALib's sampler and analysis)."""

FactorKind = ParameterKind


class _FactorTable(BaseModel):
    """One entry of ``[factors]`` as written in the file."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    levels: list[bool | int | float | str] | int | None = None
    low: float | None = None
    high: float | None = None


class _SweepFile(BaseModel):
    """A sweep file as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    name: str | None = None
    description: str = ""
    base: str
    design: Design
    replications: int = Field(1, ge=1, le=100_000)
    samples: int | None = Field(None, ge=2, le=1_000_000)
    seed: int | None = Field(None, ge=0, lt=2**63)
    kpis: list[str] = Field(min_length=1)
    overrides: list[str] = []
    factors: dict[str, _FactorTable] = Field(min_length=1)


_ALLOWED = {
    "name": "a string",
    "description": "a string",
    "base": "a scenario file path, relative to the sweep file",
    "design": "one of " + ", ".join(repr(d) for d in DESIGNS),
    "replications": "an integer >= 1 (replications per design point)",
    "samples": "an integer >= 2 (lhs: points; sobol: N, a power of 2; morris: trajectories)",
    "seed": "an integer in [0, 2**63) (the seed of the design's sampling)",
    "kpis": f"a non-empty list of KPI names of the run summary ({KPI_LIST_HINT})",
    "overrides": "a list of 'key.path=value' strings",
    "factors": "a table of factors keyed by scenario parameter path, e.g. "
    '"organization.reliability" = { low = 0.85, high = 0.95 }',
    "levels": "a list of values, or (with low and high) a count >= 2 of evenly spaced levels",
    "low": "a number",
    "high": "a number",
}


class Factor(BaseModel):
    """A scenario parameter varied by a sweep: its factorial levels and/or its range."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: FactorKind
    levels: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None


class SweepSpec(BaseModel):
    """A validated sweep: base scenario, overrides, factors, design and KPIs."""

    model_config = ConfigDict(frozen=True)

    name: str
    description: str
    path: Path
    base: Path
    design: Design
    replications: int
    samples: int | None
    seed: int | None
    kpis: tuple[str, ...]
    overrides: tuple[str, ...]
    """Applied to the base before the factors: the file's, then the command line's."""
    factors: tuple[Factor, ...]

    @property
    def factor_names(self) -> tuple[str, ...]:
        """The factors' parameter paths, in the file's order (the design's columns)."""
        return tuple(f.path for f in self.factors)

    def problem(self) -> dict[str, Any]:
        """The SALib problem of a sampled design (names and [low, high] bounds)."""
        return {
            "num_vars": len(self.factors),
            "names": list(self.factor_names),
            "bounds": [[f.low, f.high] for f in self.factors],
        }


def _file_error(exc: ValidationError, source: str) -> ScenarioError:
    return file_error(exc, source, "factors", "factor", (_FactorTable, _SweepFile), _ALLOWED,
                      file_noun="a sweep file")


def _read(path: Path) -> dict[str, Any]:
    return read_toml_file(path, what="sweep file")


def _parameter_kind(source: str, path: str) -> FactorKind:
    """The kind of the scenario parameter at ``path``, or an error naming the allowed paths."""
    return varied_parameter_kind(source, f'factors."{path}"', path, "factor")


def _checked(source: str, base: Scenario, path: str, field: str, value: Any) -> Any:
    """``value`` as the scenario validates it at ``path`` (an error names the factor)."""
    return checked(source, base, f'factors."{path}".{field}', path, value)


def _rounded(values: np.ndarray) -> list[int]:
    """Round half up (not to even): 6.5 -> 7."""
    return [math.floor(v + 0.5) for v in values]


def _tidy(values: np.ndarray) -> list[float]:
    """Floats to 12 significant digits: 0.93, not 0.9299999999999999."""
    return [float(f"{v:.12g}") for v in values]


def _factor(source: str, design: str, base: Scenario, path: str, table: _FactorTable) -> Factor:
    """A factor of the sweep, checked against the design and the scenario schema."""
    kind = _parameter_kind(source, path)
    key = f'factors."{path}"'
    section, _, name = path.partition(".")
    described = _describe_allowed(SECTIONS[section], name)
    listed = isinstance(table.levels, list)
    has_range = table.low is not None or table.high is not None
    low = high = math.nan
    if has_range:
        if kind == "categorical":
            raise ScenarioError(source, key, f"{path} is categorical: it has no range",
                                f"a list of levels ({described}) in a factorial design")
        if table.low is None or table.high is None:
            raise ScenarioError(source, key, "a range needs both low and high", "low < high")
        if not table.low < table.high:
            raise ScenarioError(source, f"{key}.high",
                                f"low ({table.low:g}) must be below high ({table.high:g})",
                                "low < high")
        low = float(_checked(source, base, path, "low", whole(kind, table.low)))
        high = float(_checked(source, base, path, "high", whole(kind, table.high)))
    if design != "factorial":
        if kind == "categorical" or (listed and not has_range):
            what = f"{path} is categorical" if kind == "categorical" else "a list of levels"
            raise ScenarioError(
                source, key, f"{what}, which the {design} design cannot sample",
                f"a numeric range (low < high); categorical factors in factorial designs only"
                f" ({path}: {described})",
            )
        if not has_range:
            raise ScenarioError(source, key, f"the {design} design needs a range",
                                "low and high, low < high")
        if kind == "integer" and design == "morris" and high - low < MORRIS_LEVELS - 1:
            raise ScenarioError(source, f"{key}.high",
                                f"integer range too narrow for {MORRIS_LEVELS} Morris levels",
                                f"high - low >= {MORRIS_LEVELS - 1}")
        return Factor(path=path, kind=kind, low=low, high=high)
    if listed and has_range:
        raise ScenarioError(source, key, "both a list of levels and a range",
                            "either levels = [...] or low, high and a count levels = n")
    if isinstance(table.levels, list):
        if not table.levels:
            raise ScenarioError(source, f"{key}.levels", "no levels", _ALLOWED["levels"])
        levels = [_checked(source, base, path, "levels", v) for v in table.levels]
    elif has_range and isinstance(table.levels, int):
        if table.levels < 2:
            raise ScenarioError(source, f"{key}.levels", f"{table.levels} levels",
                                "a count >= 2 of evenly spaced levels from low to high")
        grid = np.linspace(low, high, table.levels)
        levels = _rounded(grid) if kind == "integer" else _tidy(grid)
    else:
        raise ScenarioError(source, key, "a factorial design needs levels",
                            "levels = [...], or low, high and a count levels = n")
    if len(set(map(repr, levels))) != len(levels):
        raise ScenarioError(source, f"{key}.levels", f"repeated levels {levels}",
                            "distinct levels (integer parameters are rounded)")
    return Factor(path=path, kind=kind, levels=tuple(levels),
                  low=low if has_range else None, high=high if has_range else None)


def _design_rules(source: str, raw: _SweepFile) -> None:
    if raw.design == "factorial":
        return
    if raw.samples is None:
        raise ScenarioError(source, "samples", f"the {raw.design} design needs samples",
                            _ALLOWED["samples"])
    if raw.seed is None:
        raise ScenarioError(source, "seed", f"the {raw.design} design needs a seed",
                            _ALLOWED["seed"])
    if raw.design == "sobol" and raw.samples & (raw.samples - 1):
        raise ScenarioError(source, "samples", f"{raw.samples} is not a power of 2",
                            "a power of 2 (the base sample N of Saltelli's scheme)")


def _check_settings(settings: Sequence[str], factors: dict[str, _FactorTable]) -> None:
    """Command-line overrides may not set a factor: the design gives its values."""
    for assignment in settings:
        key = assignment.partition("=")[0].strip()
        if key in factors:
            raise ScenarioError(
                "--set", key, "is a factor of this sweep (the design gives its values)",
                "a parameter that is not one of its factors: " + ", ".join(factors))


def load_sweep(path: str | Path, settings: Sequence[str] = ()) -> SweepSpec:
    """Read and validate a sweep file; every level and range end is checked on the base.

    ``settings`` are command-line overrides (``--set``, ``--seed``): applied after the
    file's ``overrides`` (they win over them) and before the factors, which may not be
    among them; the spec's ``overrides`` holds both, the file's first."""
    path = resolve_path(Path(path), None)
    source = str(path)
    try:
        raw = _SweepFile.model_validate(_read(path))
    except ValidationError as exc:
        raise _file_error(exc, source) from None
    _design_rules(source, raw)
    if raw.name is not None and (problem := name_problem(raw.name)) is not None:
        raise ScenarioError(source, "name", f"the name {raw.name[:60]!r} {problem}",
                            SAFE_NAME_RULE)
    base_path = resolve_path(path.parent / raw.base, source, key="base")
    if not is_file(base_path):
        raise ScenarioError(source, "base", f"scenario file not found: {clipped(str(base_path))}",
                            _ALLOWED["base"])
    try:
        base = load_scenario(base_path).with_overrides(list(raw.overrides))
    except ScenarioError as exc:
        if not exc.source.startswith("--set"):
            raise  # the base file itself: its own error names it
        raise ScenarioError(source, "overrides", f"{exc.key}: {exc.problem}",
                            exc.allowed) from None
    if settings:  # an error names --set and the key, not the sweep file
        _check_settings(settings, raw.factors)
        base = base.with_overrides(list(settings))
    try:
        check_scenario_kpis(raw.kpis, source, "kpis", base)
    except KpiError as exc:  # reported like every other mistake in the sweep file
        raise ScenarioError(source, "kpis", exc.problem, exc.allowed) from None
    return SweepSpec(
        name=raw.name or path.stem,
        description=raw.description.strip(),
        path=path,
        base=base_path,
        design=raw.design,
        replications=raw.replications,
        samples=raw.samples,
        seed=raw.seed,
        kpis=tuple(raw.kpis),
        overrides=(*raw.overrides, *settings),
        factors=tuple(_factor(source, raw.design, base, p, t) for p, t in raw.factors.items()),
    )


def _unit_sample(spec: SweepSpec) -> np.ndarray:
    """The design's points in the unit cube (one row per point, one column per factor)."""
    k = len(spec.factors)
    n = spec.samples or 0
    unit = {"num_vars": k, "names": list(spec.factor_names), "bounds": [[0.0, 1.0]] * k}
    if spec.design == "lhs":
        return qmc.LatinHypercube(d=k, seed=spec.seed).random(n)
    if spec.design == "sobol":
        return sobol_sample.sample(unit, n, calc_second_order=False, seed=spec.seed)
    return morris_sample.sample(unit, n, num_levels=MORRIS_LEVELS, seed=spec.seed)


def _scaled(factor: Factor, u: np.ndarray, grid: bool) -> list[Any]:
    """Unit-cube coordinates as values of ``factor``.

    Continuous factors scale linearly to [low, high] (to 12 significant
    digits).  Integer factors of a sampled design take each integer of
    low..high with equal probability (the cube is cut into high - low + 1
    equal slices); on the Morris grid they are the grid values rounded.
    """
    low, high = float(factor.low or 0.0), float(factor.high or 0.0)
    if factor.kind != "integer":
        return _tidy(u * (high - low) + low)
    if grid:
        return _rounded(u * (high - low) + low)
    slices = np.floor(u * (high - low + 1) + low)
    return [int(v) for v in np.clip(slices, low, high)]


def design_points(spec: SweepSpec) -> list[dict[str, Any]]:
    """The factor values of each design point, ``{path: value}``, in design order.

    factorial: every combination of levels, the first factor varying slowest;
    lhs: ``samples`` points; sobol: N (k + 2) points of Saltelli's scheme without
    second-order terms; morris: ``samples`` trajectories of k + 1 points.
    """
    names = spec.factor_names
    if spec.design == "factorial":
        combos = itertools.product(*(f.levels for f in spec.factors))
        return [dict(zip(names, combo, strict=True)) for combo in combos]
    u = _unit_sample(spec)
    columns = [_scaled(f, u[:, j], spec.design == "morris") for j, f in enumerate(spec.factors)]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def point_overrides(spec: SweepSpec, point: dict[str, Any]) -> list[str]:
    """The ``key.path=value`` assignments of a design point (TOML literals)."""
    return [f"{name}={toml_literal(point[name])}" for name in spec.factor_names]


def invalid_points(spec: SweepSpec) -> dict[int, str]:
    """The design points whose combination of values no scenario accepts, with the reason.

    Each level is valid on its own (:func:`load_sweep` checks that), but a
    combination can break a rule across keys (warm-up within the horizon,
    encounter weights summing to 1); such points fail when they run.
    """
    base = load_scenario(spec.base, list(spec.overrides))
    out = {}
    for index, point in enumerate(design_points(spec)):
        try:
            base.with_overrides(point_overrides(spec, point))
        except ScenarioError as exc:
            out[index] = exc.problem
    return out


def point_scenario(spec: SweepSpec, point: dict[str, Any]) -> Scenario:
    """The scenario of a design point: the base, the sweep's overrides, the point's values."""
    return load_scenario(spec.base, [*spec.overrides, *point_overrides(spec, point)])
