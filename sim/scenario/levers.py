"""Levers files: the decision variables of ``spc optimize`` and their ranges.

A levers file (TOML) lists scenario parameters that a policy search may set, each with
its range (numbers) or its choices (any parameter, and the only form for categorical
ones such as ``organization.service_model``)::

    description = "staffing and reliability"

    [levers]
    "providers.count" = { low = 4, high = 10 }                 # an integer parameter
    "organization.reliability" = { low = 0.85, high = 0.97, step = 0.01 }
    "organization.service_model" = { choices = ["encounter", "relationship"] }

:func:`load_levers` validates it against the scenario schema on a base scenario: every key
must be a scenario parameter (as ``--set`` accepts it), every bound and choice a value the
scenario accepts there.  What a lever costs is not declared here: the model's own money
mechanisms (wages per provider, the cost of reliability, of training and empowerment) put
it into the profit and cost KPIs.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError
from sim.scenario.loader import Scenario, _describe_allowed, read_toml_file, resolve_path
from sim.scenario.paths import (
    ParameterKind,
    checked,
    file_error,
    toml_literal,
    varied_parameter_kind,
    whole,
)
from sim.scenario.schema import SECTIONS

LeverKind = ParameterKind


class _LeverTable(BaseModel):
    """One entry of ``[levers]`` as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: list[bool | int | float | str] | None = None


class _LeversFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    description: str = ""
    levers: dict[str, _LeverTable] = Field(min_length=1)


_ALLOWED = {
    "description": "a string",
    "levers": 'a table of levers keyed by scenario parameter path, e.g. '
              '"providers.count" = { low = 4, high = 10 }',
    "low": "a number (the lowest value the search may set)",
    "high": "a number above low (the highest value the search may set)",
    "step": "a positive number (the search's grid step from low; integers for an integer "
            "parameter)",
    "choices": "a non-empty list of distinct values the parameter accepts",
}


class Lever(BaseModel):
    """A validated lever: a numeric range (with an optional step) or a list of choices."""

    model_config = ConfigDict(frozen=True)

    path: str
    kind: LeverKind
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple[Any, ...] = ()

    def grid_size(self) -> int | None:
        """How many values an exhaustive grid over this lever has (None: a continuous
        range without a step has no grid)."""
        if self.kind == "categorical":
            return len(self.choices)
        assert self.low is not None and self.high is not None
        step = self.step or (1.0 if self.kind == "integer" else None)
        if step is None:
            return None
        return math.floor((self.high - self.low) / step + 1e-9) + 1

    def describe(self) -> str:
        """The lever's range as the docs write it: ``4..10``, ``[0.85, 0.97] step 0.01``,
        ``'encounter' | 'relationship'``."""
        if self.kind == "categorical":
            return " | ".join(toml_literal(c) for c in self.choices)
        if self.kind == "integer":
            return f"{self.low:g}..{self.high:g}" + (f" step {self.step:g}" if self.step else "")
        return f"[{self.low:g}, {self.high:g}]" + (f" step {self.step:g}" if self.step else "")


class LeversSpec(BaseModel):
    """A validated levers file."""

    model_config = ConfigDict(frozen=True)

    path: Path
    description: str
    levers: tuple[Lever, ...]

    def grid_size(self) -> int | None:
        """Points of the exhaustive grid over every lever (None if some range has none)."""
        sizes = [lever.grid_size() for lever in self.levers]
        if any(s is None for s in sizes):
            return None
        return math.prod(s for s in sizes if s is not None)

    def record(self) -> list[dict[str, Any]]:
        """The levers as JSON-safe records (for the manifest and the plan)."""
        return [lever.model_dump(mode="json") for lever in self.levers]


def _lever(source: str, base: Scenario, path: str, table: _LeverTable) -> Lever:
    key = f'levers."{path}"'
    kind = varied_parameter_kind(source, key, path, "lever")
    section, _, name = path.partition(".")
    described = _describe_allowed(SECTIONS[section], name)
    has_range = table.low is not None or table.high is not None or table.step is not None
    if table.choices is not None:
        if has_range:
            raise ScenarioError(source, key, "both choices and a range",
                                "either choices = [...] or low and high (and step)")
        if not table.choices:
            raise ScenarioError(source, f"{key}.choices", "no choices", _ALLOWED["choices"])
        choices = [checked(source, base, f"{key}.choices", path, c) for c in table.choices]
        if len(set(map(repr, choices))) != len(choices):
            raise ScenarioError(source, f"{key}.choices", f"repeated choices {choices}",
                                _ALLOWED["choices"])
        return Lever(path=path, kind="categorical", choices=tuple(choices))
    if kind == "categorical":
        raise ScenarioError(source, key, f"{path} is categorical: it has no range",
                            f"choices = [...] ({described})")
    if table.low is None or table.high is None:
        raise ScenarioError(source, key, "a numeric lever needs low and high (or choices)",
                            f"low < high, within {described}")
    if not table.low < table.high:
        raise ScenarioError(source, f"{key}.high",
                            f"low ({table.low:g}) must be below high ({table.high:g})",
                            "low < high")
    low = float(checked(source, base, f"{key}.low", path, whole(kind, table.low)))
    high = float(checked(source, base, f"{key}.high", path, whole(kind, table.high)))
    step = table.step
    if step is not None and not (0 < step <= high - low
                                 and (kind != "integer" or float(step).is_integer())):
        raise ScenarioError(source, f"{key}.step", f"step {step:g} is not accepted",
                            f"{_ALLOWED['step']}, at most high - low = {high - low:g}")
    return Lever(path=path, kind=kind, low=low, high=high, step=step)


def _file_error(exc: ValidationError, source: str) -> ScenarioError:
    return file_error(exc, source, "levers", "lever", (_LeverTable, _LeversFile), _ALLOWED)


def load_levers(path: str | Path, base: Scenario) -> LeversSpec:
    """Read and validate a levers file against the schema, on ``base`` (every bound and
    choice must be a value ``base`` accepts at that key)."""
    path = resolve_path(Path(path), None)
    source = str(path)
    try:
        raw = _LeversFile.model_validate(read_toml_file(path, what="levers file"))
    except ValidationError as exc:
        raise _file_error(exc, source) from None
    levers = tuple(_lever(source, base, p, t) for p, t in raw.levers.items())
    return LeversSpec(path=path, description=raw.description.strip(), levers=levers)


__all__ = ["Lever", "LeverKind", "LeversSpec", "load_levers"]
