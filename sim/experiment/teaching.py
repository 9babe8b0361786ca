"""Teaching experiments: replicable, numbered experiments with a question and a page.

Each experiment is a folder ``scenarios/experiments/NN_name/`` holding its
scenario or sweep files and a manifest, ``experiment.toml``::

    number = 2
    title = "Reliability and retention"
    question = "..."
    kind = "compare"           # compare (first scenario is the base), sweep or replications
    scenarios = ["baseline.toml", "reliability_low.toml", "reliability_high.toml"]
    replications = 3
    analysis = "compare"       # how analysis.teaching turns the results into numbers
    kpis = ["satisfaction_index", "retention_rate", "profit"]   # the headline KPIs
    overrides = ["run.years=1.5", ...]                          # applied to every scenario
    panel = false              # also the customers table and the review panel (--panel)

A sweep experiment names its sweep file instead (``sweep = "x.toml"``; the
sweep file holds its replications and overrides).  :func:`run_teaching` runs an
experiment with the runner of :mod:`sim.experiment.runner`, so it is stored,
seeded and resumable like any ``spc compare`` or ``spc sweep``; the numbers and
the page are made by :mod:`analysis.teaching`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.errors import ScenarioError, UserError
from sim.experiment.executors import Executor, SequentialExecutor
from sim.experiment.runner import Experiment, run_comparison, run_replications, run_sweep
from sim.kpis import check_kpis
from sim.scenario import Scenario, load_scenario
from sim.scenario.library import experiments_dir

MANIFEST = "experiment.toml"
EXPERIMENTS_DIR = experiments_dir()
"""The shipped experiments (of the installed package, else of the source checkout)."""

#: the teaching market: the calibrated default market scaled to 0.4 of its customers in
#: slower time, the overrides that every experiment on customers' behaviour spells out in
#: its manifest (or sweep file).  Customers and paid acquisitions x 0.4; every duration of
#: the service desk (service, patience, tolerance of waiting, wait target, cover) and
#: every amount per event (revenue per visit, compensation per recovery, cost per paid
#: acquisition) and root-cause learning per complaint x 2.5.  The same 8 providers then
#: see the same utilisation and waits relative to patience (a queue in slower time is the
#: same queue), and the organization the same revenue and costs, in 0.4 of the encounters.
SCALED_COPY: tuple[str, ...] = (
    "customers.initial=2000", "growth.paid_per_month=40",
    "providers.service_time_mean=62.5", "customers.patience_mean=50",
    "customers.wait_tolerance=20", "organization.wait_target=12.5",
    "encounter.relationship_cover_minutes=12.5", "money.revenue_per_visit=21.25",
    "recovery.compensation=62.5", "money.acquisition_cost=375",
    "organization.failure_learning=0.00075",
)

Kind = Literal["compare", "sweep", "replications"]


class TeachingSpec(BaseModel):
    """One teaching experiment, as its manifest declares it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    number: int = Field(ge=1, le=99)
    title: str
    question: str
    kind: Kind
    analysis: str
    kpis: tuple[str, ...] = Field(min_length=1)
    scenarios: tuple[str, ...] = ()
    sweep: str | None = None
    replications: int = Field(3, ge=1, le=1000)
    overrides: tuple[str, ...] = ()
    events: bool = False
    panel: bool = False
    folder: Path = Path()

    @property
    def name(self) -> str:
        """The folder's name, e.g. ``02_reliability``: the experiment's name."""
        return self.folder.name

    @property
    def command(self) -> str:
        """The command that runs it."""
        return f"spc experiment run {self.name}"

    def scenario_objects(self) -> list[Scenario]:
        """The experiment's scenarios, with its overrides applied (compare, replications)."""
        return [load_scenario(self.folder / s, list(self.overrides)) for s in self.scenarios]

    def sweep_path(self) -> Path:
        if self.sweep is None:
            raise UserError(f"{self.folder / MANIFEST}: a sweep experiment needs 'sweep'")
        return self.folder / self.sweep


def load_spec(folder: str | Path) -> TeachingSpec:
    """Read and check an experiment folder's manifest."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise UserError(f"{folder}: not a teaching experiment (no {MANIFEST})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), None, f"not valid TOML ({exc})") from None
    try:
        spec = TeachingSpec.model_validate({**raw, "folder": folder},
                                           strict=False)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        raise ScenarioError(str(path), key, err["msg"], None) from None
    if spec.kind == "sweep" and spec.sweep is None:
        raise ScenarioError(str(path), "sweep", "a sweep experiment names its sweep file",
                            "a path relative to the folder")
    if spec.kind != "sweep" and not spec.scenarios:
        raise ScenarioError(str(path), "scenarios", f"a {spec.kind} experiment lists scenarios",
                            "a list of scenario files relative to the folder")
    check_kpis(spec.kpis, str(path), "kpis")  # a misspelt KPI fails before anything runs
    return spec


def list_experiments(root: str | Path = EXPERIMENTS_DIR) -> list[TeachingSpec]:
    """Every experiment under ``root``, in the order of their numbers."""
    root = Path(root)
    specs = [load_spec(p.parent) for p in sorted(root.glob(f"*/{MANIFEST}"))]
    return sorted(specs, key=lambda s: s.number)


def find_experiment(name: str, root: str | Path = EXPERIMENTS_DIR) -> TeachingSpec:
    """The experiment named ``name``: its folder's name (``02_reliability``) or number (``2``)."""
    specs = list_experiments(root)
    wanted = name.strip()
    for spec in specs:
        if wanted == spec.name or (wanted.isdigit() and int(wanted) == spec.number):
            return spec
    allowed = ", ".join(s.name for s in specs)
    raise UserError(f"no teaching experiment {name!r}; allowed: {allowed} "
                    f"(or their numbers 1-{len(specs)})")


def run_teaching(
    spec: TeachingSpec,
    out: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    force: bool = False,
    quiet: bool = True,
) -> Experiment:
    """Run an experiment with its published settings; results stored in ``out``."""
    executor = executor or SequentialExecutor()
    # stored like any compare, sweep or replications, with the manifest's kind "teaching"
    about = {"teaching": {"name": spec.name, "number": spec.number, "title": spec.title}}
    if spec.kind == "sweep":
        return run_sweep(spec.sweep_path(), out, executor, resume=resume, force=force,
                         quiet=quiet, kind="teaching", about=about, panel=spec.panel)
    scenarios = spec.scenario_objects()
    if spec.kind == "compare":
        return run_comparison(scenarios[0], scenarios[1:], out, spec.replications, executor,
                              resume=resume, force=force, quiet=quiet, kind="teaching",
                              about=about, panel=spec.panel)
    if len(scenarios) != 1:
        raise UserError(f"{spec.folder / MANIFEST}: a replications experiment has one scenario")
    return run_replications(scenarios[0], out, spec.replications, executor, events=spec.events,
                            resume=resume, force=force, quiet=quiet, kind="teaching",
                            about=about, panel=spec.panel)


__all__ = ["EXPERIMENTS_DIR", "SCALED_COPY", "TeachingSpec", "find_experiment", "list_experiments",
           "load_spec", "run_teaching"]
