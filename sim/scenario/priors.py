"""Priors files: the parameters ``spc calibrate`` fits to a firm's data, and what is
believed about them before the data are seen.

A priors file (TOML) lists continuous scenario parameters, each with a distribution and
the bounds it lives in::

    description = "what the firm's managers and the literature say"

    [priors."customers.complaint_propensity"]
    distribution = "loguniform"         # flat in the logarithm (uniform: flat)
    low = 0.001
    high = 0.02

    [priors."providers.annual_quit_rate"]
    distribution = "normal"             # normal(mean, sd) truncated to [low, high]
    mean = 0.18
    sd = 0.06
    low = 0.05
    high = 0.5

:func:`load_priors` validates it against the scenario schema on a base scenario: every
key must be a continuous scenario parameter (as ``--set`` accepts it, not one of
``[run]``, which defines the periods rather than the firm), and both bounds values the
scenario accepts there.  ``scenarios/priors/default.toml`` is a documented default set
for the most uncertain parameters.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError
from sim.scenario.loader import Scenario, read_toml_file, resolve_path
from sim.scenario.paths import checked, file_error, parameter_kind

if TYPE_CHECKING:
    from scipy.stats._distn_infrastructure import rv_continuous_frozen

Distribution = Literal["uniform", "loguniform", "normal"]
DISTRIBUTIONS: tuple[str, ...] = ("uniform", "loguniform", "normal")

#: Sections whose parameters cannot be fitted: they define the periods, not the firm.
NOT_FITTED = ("run",)


class _PriorTable(BaseModel):
    """One entry of ``[priors]`` as written."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    distribution: Distribution
    low: float
    high: float
    mean: float | None = None
    sd: float | None = None


class _PriorsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    description: str = ""
    priors: dict[str, _PriorTable] = Field(min_length=1)


_ALLOWED = {
    "description": "a string",
    "priors": 'a table of priors keyed by scenario parameter path, e.g. '
              '"organization.reliability" = { distribution = "uniform", low = 0.85, '
              'high = 0.97 }',
    "distribution": "uniform (flat on [low, high]), loguniform (flat in the logarithm, "
                    "0 < low) or normal (mean, sd, truncated to [low, high])",
    "low": "a number (the lowest value the parameter may take)",
    "high": "a number above low (the highest value the parameter may take)",
    "mean": "a number in [low, high] (normal only)",
    "sd": "a positive number (normal only)",
}


class Prior(BaseModel):
    """A validated prior of one continuous parameter."""

    model_config = ConfigDict(frozen=True)

    path: str
    distribution: Distribution
    low: float
    high: float
    mean: float | None = None
    sd: float | None = None

    def scipy(self) -> rv_continuous_frozen:
        """The prior as a frozen scipy.stats distribution (uniform or truncnorm)."""
        from scipy import stats  # lazy: scipy is slow to load

        if self.distribution == "uniform":
            return stats.uniform(self.low, self.high - self.low)
        if self.distribution == "loguniform":
            return stats.loguniform(self.low, self.high)
        assert self.mean is not None and self.sd is not None
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def pyabc(self) -> Any:
        """The prior as a ``pyabc.RV`` (the same scipy distribution)."""
        import pyabc  # lazy: pyabc is slow to import

        if self.distribution == "uniform":
            return pyabc.RV("uniform", self.low, self.high - self.low)
        if self.distribution == "loguniform":
            return pyabc.RV("loguniform", self.low, self.high)
        assert self.mean is not None and self.sd is not None
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return pyabc.RV("truncnorm", a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        """``uniform [0.85, 0.97]``, ``loguniform [0.001, 0.02]`` or ``normal(0.18, 0.06)
        on [0.05, 0.5]``."""
        if self.distribution in ("uniform", "loguniform"):
            return f"{self.distribution} [{self.low:g}, {self.high:g}]"
        return f"normal({self.mean:g}, {self.sd:g}) on [{self.low:g}, {self.high:g}]"


class PriorsSpec(BaseModel):
    """A validated priors file."""

    model_config = ConfigDict(frozen=True)

    path: Path
    description: str
    priors: tuple[Prior, ...]

    @property
    def paths(self) -> list[str]:
        return [p.path for p in self.priors]

    def record(self) -> list[dict[str, Any]]:
        """The priors as JSON-safe records (for the manifest and the plan)."""
        return [p.model_dump(mode="json") for p in self.priors]


def _prior(source: str, base: Scenario, path: str, table: _PriorTable) -> Prior:
    key = f'priors."{path}"'
    kind = parameter_kind(source, key, path)
    if path.partition(".")[0] in NOT_FITTED:
        raise ScenarioError(source, key, "cannot be fitted ([run] defines the horizon, the "
                            "periods and the seeds, not the firm)",
                            "a continuous parameter of another section")
    if kind != "continuous":
        raise ScenarioError(source, key, f"{path} is {kind}: only continuous parameters "
                            "can be fitted", "a parameter whose value is a real number")
    if not (math.isfinite(table.low) and math.isfinite(table.high)):
        raise ScenarioError(source, key, "bounds must be finite numbers",
                            f"{_ALLOWED['low']}; {_ALLOWED['high']}")
    if not table.low < table.high:
        raise ScenarioError(source, f"{key}.high",
                            f"low ({table.low:g}) must be below high ({table.high:g})",
                            "low < high")
    low = float(checked(source, base, f"{key}.low", path, float(table.low)))
    high = float(checked(source, base, f"{key}.high", path, float(table.high)))
    if table.distribution in ("uniform", "loguniform"):
        for name in ("mean", "sd"):
            if getattr(table, name) is not None:
                raise ScenarioError(source, f"{key}.{name}", f"a {table.distribution} prior "
                                    f"has no {name}", 'distribution = "normal" for mean and sd')
        if table.distribution == "loguniform" and low <= 0:
            raise ScenarioError(source, f"{key}.low", f"{low:g}: a loguniform prior needs "
                                "positive bounds", "0 < low < high")
        return Prior(path=path, distribution=table.distribution, low=low, high=high)
    if table.mean is None or table.sd is None:
        missing = "mean" if table.mean is None else "sd"
        raise ScenarioError(source, f"{key}.{missing}", "missing (a normal prior needs mean "
                            "and sd)", _ALLOWED[missing])
    if not (math.isfinite(table.mean) and low <= table.mean <= high):
        raise ScenarioError(source, f"{key}.mean", f"{table.mean:g} is outside "
                            f"[{low:g}, {high:g}]", _ALLOWED["mean"])
    if not (math.isfinite(table.sd) and table.sd > 0):
        raise ScenarioError(source, f"{key}.sd", f"{table.sd:g} is not accepted",
                            _ALLOWED["sd"])
    return Prior(path=path, distribution="normal", low=low, high=high,
                 mean=float(table.mean), sd=float(table.sd))


def _file_error(exc: ValidationError, source: str) -> ScenarioError:
    return file_error(exc, source, "priors", "prior", (_PriorTable, _PriorsFile), _ALLOWED)


def load_priors(path: str | Path, base: Scenario) -> PriorsSpec:
    """Read and validate a priors file against the schema, on ``base`` (both bounds of
    every prior must be values ``base`` accepts at that key)."""
    path = resolve_path(Path(path), None)
    source = str(path)
    data = read_toml_file(path, what="priors file")
    for name, table in (data.get("priors") or {}).items():  # TOML integers are numbers too
        if isinstance(table, dict):
            data["priors"][name] = {k: float(v) if isinstance(v, int)
                                    and not isinstance(v, bool) else v
                                    for k, v in table.items()}
    try:
        raw = _PriorsFile.model_validate(data)
    except ValidationError as exc:
        raise _file_error(exc, source) from None
    priors = tuple(_prior(source, base, p, t) for p, t in raw.priors.items())
    return PriorsSpec(path=path, description=raw.description.strip(), priors=priors)


__all__ = ["DISTRIBUTIONS", "NOT_FITTED", "Prior", "PriorsSpec", "load_priors"]
