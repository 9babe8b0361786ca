"""Running experiments: replications (fixed or sequential), comparisons and sweeps.

Every experiment is a list of jobs written into a :class:`ResultsStore` by an
executor.  Replication ``i`` of every scenario uses the streams of replication
``i`` of the root seed, so scenarios compared with the same seed share common
random numbers, and a result never depends on the executor or the number of
workers.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import pandas as pd
from tqdm import tqdm
from tqdm.auto import tqdm as auto_tqdm

from sim.errors import UserError
from sim.experiment.executors import Executor, SequentialExecutor
from sim.experiment.jobs import Job, jobs_for, run_job
from sim.experiment.store import ResultsStore
from sim.kpis import check_scenario_kpis
from sim.output import environment, json_safe
from sim.results.lock import command_line, released_afterwards
from sim.results.manifest import Manifest
from sim.scenario import Scenario
from sim.streams import Streams

if TYPE_CHECKING:
    from sim.statistics.decision import Constraint

MAIN_KPIS = ("retention_rate", "promoter_share", "satisfaction_index", "nps")
SEED_DERIVATION = ("numpy SeedSequence(entropy=root_seed, spawn_key=(replication, "
                   "*blake2b-64(stream name))) per named stream")
P = ParamSpec("P")
R = TypeVar("R")


def releasing_locks(func: Callable[P, R]) -> Callable[P, R]:
    """``func`` releases the results directory's lock when it returns or raises."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with released_afterwards():
            return func(*args, **kwargs)

    return wrapper


@dataclass
class Experiment:
    """What an experiment produced: where, its tables, and anything that failed."""

    out: Path
    tables: dict[str, pd.DataFrame]
    failures: list[dict[str, Any]]
    replications: int
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def periods(self) -> pd.DataFrame:
        return self.tables["periods"]


def in_notebook() -> bool:
    """Is this a Jupyter (IPython kernel) session, where progress shows as a widget?"""
    return "ipykernel" in sys.modules


def progress_bar(total: int, done: int, quiet: bool, label: str, unit: str = "run") -> tqdm:
    """A progress bar: tqdm's notebook widget in Jupyter, else text on stderr (``tqdm.auto``
    chooses); silent under ``quiet`` and when stderr is neither a terminal nor a notebook's
    (a log file, a pipe)."""
    shown = not quiet and (sys.stderr.isatty() or in_notebook())
    return auto_tqdm(total=total, initial=done, desc=label, unit=unit, file=sys.stderr,
                     disable=not shown, dynamic_ncols=True)


def execute(jobs: Sequence[Job], store: ResultsStore, executor: Executor, quiet: bool = True,
            label: str = "replications") -> None:
    """Run the jobs that have no complete shard yet; store each outcome as it arrives.

    A shard that is there but cannot be used (foreign scenario hash, corrupted or
    truncated bytes) is recomputed, and a message on stderr says which and why."""
    hashes: dict[tuple[str, int], str | None] = {}
    todo = []
    for job in jobs:
        key = (job.scenario, job.point)
        if key not in hashes:
            hashes[key] = _scenario_hash(job)
        problem = store.shard_problem(job, hashes[key])
        if problem is None:
            continue
        if problem != "missing":
            where = store.shard_path(job).relative_to(store.root)
            print(f"spc: {store.root / where}: recomputing this replication ({problem})",
                  file=sys.stderr)
        todo.append(job)
    with progress_bar(len(jobs), len(jobs) - len(todo), quiet, label) as bar:
        for outcome in executor.map_unordered(run_job, todo):
            store.write_outcome(outcome)
            bar.update(1)


def _scenario_hash(job: Job) -> str | None:
    """The hash of the scenario ``job`` runs (None if its parameters are invalid: the job
    will fail and say why)."""
    try:
        return job.resolve().hash
    except Exception:
        return None


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    return {"name": scenario.name, "path": str(scenario.path) if scenario.path else None,
            "hash": scenario.hash, "overrides": list(scenario.overrides),
            "description": scenario.description,
            "parameters": scenario.params.model_dump(mode="json")}


def seeds_record(scenarios: Sequence[Scenario], replications: int | str) -> dict[str, Any]:
    return {"root_seeds": {s.name: s.params.run.seed for s in scenarios},
            "replications": replications, "derivation": SEED_DERIVATION}


def _plan_scenarios(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario records a plan names."""
    return list(plan.get("scenarios") or []) or [plan["scenario"]]


def _manifest(store: ResultsStore, plan: dict[str, Any], complete: bool,
              **fields: Any) -> dict[str, Any]:
    """The typed manifest (:class:`sim.results.manifest.Manifest`) as written."""
    kind = store.kind or ("replications" if plan["kind"] == "run" else plan["kind"])
    scenarios = [fields["scenario"]] if "scenario" in fields else _plan_scenarios(plan)
    seeds = fields.get("seeds") or {}
    root_seeds = list((seeds.get("root_seeds") or {}).values())
    manifest = Manifest.model_validate({
        **environment(), "kind": kind, "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command_line(), "complete": complete, "plan": json_safe(plan),
        "scenarios": scenarios, "root_seed": root_seeds[0] if root_seeds else None,
        **store.about, **fields})
    return manifest.as_json()


def _finish(store: ResultsStore, plan: dict[str, Any], executor: Executor, started: float,
            fmt: str, order: list[str], extra: dict[str, Any],
            extra_tables: dict[str, pd.DataFrame] | None = None) -> Experiment:
    tables = store.consolidate(fmt, order, extra_tables)
    failures = store.errors()
    manifest = _manifest(store, plan, True, **executor.describe(),
                         wall_seconds=time.perf_counter() - started, failures=len(failures),
                         format=fmt, streams=store.stream_names(), **extra)
    store.write_manifest(manifest)
    store.close()
    n = int(tables["summary"]["replication"].nunique()) if not tables["summary"].empty else 0
    return Experiment(store.root, tables, failures, n, manifest)


def _open(store: ResultsStore, plan: dict[str, Any], resume: bool, force: bool) -> None:
    store.open_for_run(plan, resume, force, command_line())
    if not (store.root / "manifest.json").exists():
        store.write_manifest(_manifest(store, plan, False))


def pilot_warmup(scenario: Scenario, executor: Executor, replications: int,
                 kpis: Sequence[str]) -> float:
    """MSER-5 on a pilot without warm-up: the warm-up to use, in days."""

    pilot = scenario.with_overrides(["run.warmup_years=0"])
    outcomes = list(executor.map_unordered(run_job, jobs_for(pilot, range(replications))))
    bad = [o for o in outcomes if not o.ok]
    if bad:
        raise UserError(f"the warm-up pilot failed:\n{bad[0].error}")
    frames = []
    for o in sorted(outcomes, key=lambda o: o.job.replication):
        df = pd.DataFrame(o.periods)
        df = df[df["unit"] == "all"] if "unit" in df else df
        frames.append(df.assign(replication=o.job.replication))
    periods = pd.concat(frames, ignore_index=True)
    from sim.statistics.output_analysis import detect_warmup  # lazy: scipy is slow to load
    return float(detect_warmup(periods, [k for k in kpis if k in periods.columns]))


@releasing_locks
def run_replications(
    scenario: Scenario,
    out: str | Path,
    replications: int | str = 1,
    executor: Executor | None = None,
    *,
    precision: float = 0.05,
    kpis: Sequence[str] = MAIN_KPIS,
    budget: int = 100,
    warmup: float | str | None = None,
    resume: bool = False,
    force: bool = False,
    events: bool = False,
    fmt: str = "parquet",
    quiet: bool = True,
    kind: str | None = None,
    about: dict[str, Any] | None = None,
    panel: bool = False,
) -> Experiment:
    """Replications of one scenario: a fixed number, or ``"auto"`` (Hoad, Robinson & Davies
    2010: until the named KPIs' 95 % intervals are within ``precision`` of their means, at
    most ``budget``).  ``warmup`` in days, or ``"auto"`` (MSER-5 on a pilot)."""
    if replications == "auto":  # before anything is written or simulated
        kpis = check_scenario_kpis(kpis, "kpis", None, scenario)
    executor = executor or SequentialExecutor()
    store = ResultsStore(out, kind, about)
    started = time.perf_counter()
    plan: dict[str, Any] = {"kind": "run", "scenario": scenario_record(scenario),
                            "replications": replications, "warmup": warmup, "events": events}
    if panel:  # recorded only when asked: the plans of other runs stay as they were
        plan["panel"] = True
    if replications == "auto":
        plan.update(precision=precision, kpis=list(kpis), budget=budget)
    _open(store, plan, resume, force)
    extra: dict[str, Any] = {}
    with executor:
        if warmup == "auto":
            days = pilot_warmup(scenario, executor, min(5, budget), MAIN_KPIS)
            extra["warmup_chosen_days"] = days
            scenario = scenario.with_overrides([f"run.warmup_years={days / 365.0!r}"])
        elif warmup is not None:
            scenario = scenario.with_overrides([f"run.warmup_years={float(warmup) / 365.0!r}"])
        if replications == "auto":
            from sim.statistics.output_analysis import ReplicationPlanner
            planner = ReplicationPlanner(precision=precision, kpis=list(kpis),
                                         max_replications=budget)
            n = 0
            while True:
                summary = store.load([scenario.name])["summary"]
                more = planner.needed(summary) if n else planner.min_replications
                if more <= 0:
                    break
                more = min(more, budget - n)
                execute(jobs_for(scenario, range(n, n + more), events=events, panel=panel),
                        store, executor, quiet)
                n += more
            extra["replication_planner"] = planner.report()
        else:
            count = int(replications)
            if count < 1:
                raise UserError(f"--replications {count}: must be at least 1 (or auto)")
            execute(jobs_for(scenario, range(count), events=events, panel=panel), store,
                    executor, quiet)
    extra.update(scenario=scenario_record(scenario), seeds=seeds_record([scenario], replications))
    return _finish(store, plan, executor, started, fmt, [scenario.name], extra)


def align_seeds(base: Scenario, others: Sequence[Scenario], seed: int | None) -> list[Scenario]:
    """Every scenario on the same root seed (the base's, or ``seed``): common random numbers."""
    root = base.params.run.seed if seed is None else seed
    return [s if s.params.run.seed == root else s.with_overrides([f"run.seed={root}"])
            for s in (base, *others)]


@releasing_locks
def run_comparison(
    base: Scenario,
    others: Sequence[Scenario],
    out: str | Path,
    replications: int = 10,
    executor: Executor | None = None,
    *,
    seed: int | None = None,
    resume: bool = False,
    force: bool = False,
    fmt: str = "parquet",
    quiet: bool = True,
    kind: str | None = None,
    about: dict[str, Any] | None = None,
    objective: str | None = None,
    constraints: Sequence[Constraint | str] = (),
    panel: bool = False,
) -> Experiment:
    """All scenarios on the same replication seeds, then paired differences against the
    base for every KPI, and the decision summary (:mod:`sim.statistics.decision`): the
    scenarios ranked on ``objective`` (default :func:`default_objective`) under
    ``constraints``; with ``panel``, every run also writes its customers and review panel."""

    if replications < 2:
        raise UserError(f"--replications {replications}: a comparison needs at least 2")
    names = [base.name, *(o.name for o in others)]
    if len(set(names)) != len(names):
        raise UserError(f"scenario names must differ to be compared: {', '.join(names)}")
    objective, rules = check_decision(base, objective, constraints)
    scenarios = align_seeds(base, others, seed)
    executor = executor or SequentialExecutor()
    store = ResultsStore(out, kind, about)
    started = time.perf_counter()
    plan = {"kind": "compare", "base": base.name, "replications": replications,
            "scenarios": [scenario_record(s) for s in scenarios]}
    if panel:  # recorded only when asked: the plans of other runs stay as they were
        plan["panel"] = True
    _open(store, plan, resume, force)
    jobs = [job for s in scenarios for job in jobs_for(s, range(replications), panel=panel)]
    with executor:
        execute(jobs, store, executor, quiet, label="compare")
    loaded = store.load(names)["summary"]
    frames = []
    base_rows = loaded[loaded["scenario"] == base.name]
    for other in scenarios[1:]:
        from sim.statistics.output_analysis import paired_comparison  # lazy: scipy is slow to load
        comp = paired_comparison(base_rows, loaded[loaded["scenario"] == other.name])
        frames.append(comp.assign(scenario=other.name))
    comparisons = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    from sim.statistics.decision import METHOD  # lazy: scipy is slow to load

    decision = decide(loaded, base.name, names, objective, rules,
                      scenarios[0].params.run.seed)
    extra = {"seeds": seeds_record(scenarios, replications),
             "differences": scenario_differences(scenarios[0], scenarios[1:]),
             "decision": {"objective": objective,
                          "constraints": [str(c) for c in rules], "method": METHOD}}
    return _finish(store, plan, executor, started, fmt, names, extra,
                   {"comparisons": comparisons, "decision": decision})


def default_objective(scenario: Scenario) -> str:
    """The KPI a comparison is decided on unless the user names one: profit (behaviour
    mode), the mean wait (queue mode, which has no money)."""
    return "profit" if scenario.params.run.mode == "behaviour" else "mean_wait"


def check_decision(base: Scenario, objective: str | None,
                   constraints: Sequence[Constraint | str]) -> tuple[str, list[Constraint]]:
    """The objective (default :func:`default_objective`) and the constraints (parsed from
    ``KPI>=VALUE`` text) of a comparison, checked against the run summary of ``base``
    before anything runs: the objective must be an outcome KPI with a better direction."""
    from sim.kpis import is_outcome, lookup
    from sim.statistics.decision import parse_constraint

    objective = objective or default_objective(base)
    check_scenario_kpis([objective], "--objective", None, base)
    entry = lookup(objective, "summary")
    if entry is not None and not is_outcome(objective):  # outcomes all have a direction
        raise UserError(f"--objective {objective}: not an outcome KPI with a better direction "
                        f"(it is a {entry.kind.value}, {entry.direction.value}); allowed: an "
                        "outcome KPI such as profit, retention_rate, nps or satisfaction_index")
    rules = []
    for item in constraints:
        if isinstance(item, str):
            try:
                item = parse_constraint(item)
            except ValueError as exc:
                raise UserError(f"--constraint {exc}") from None
        check_scenario_kpis([item.kpi], "--constraint", None, base)
        rules.append(item)
    return objective, rules


def decide(summary: pd.DataFrame, base: str, names: Sequence[str], objective: str,
           constraints: Sequence[Constraint], root_seed: int) -> pd.DataFrame:
    """The decision table of a comparison (its bootstrap draws from the named stream
    ``decision.bootstrap`` of the root seed); empty if a replication is missing."""
    from sim.statistics.decision import decision_table  # lazy: scipy is slow to load

    rng = Streams(root_seed).generator("decision.bootstrap")
    try:
        return decision_table(summary, base, names, objective, rng, constraints)
    except ValueError:  # fewer than 2 replications of some scenario survived
        return pd.DataFrame()


def scenario_differences(base: Scenario, others: Sequence[Scenario]) -> dict[str, dict[str, Any]]:
    """For each other scenario, the parameters whose values differ from the base's:
    ``{name: {key: [base value, other value]}}``."""
    flat = base.flat()
    out = {}
    for other in others:
        theirs = other.flat()
        out[other.name] = {k: [flat.get(k), v] for k, v in theirs.items() if flat.get(k) != v}
    return out


@releasing_locks
def run_sweep(
    spec_path: str | Path,
    out: str | Path,
    executor: Executor | None = None,
    *,
    resume: bool = False,
    force: bool = False,
    fmt: str = "parquet",
    quiet: bool = True,
    kind: str | None = None,
    about: dict[str, Any] | None = None,
    overrides: Sequence[str] = (),
    panel: bool = False,
) -> Experiment:
    """A sweep file's design points, each replicated, then sensitivity indices of its KPIs.

    ``overrides`` (``--set``, ``--seed``) apply to the base after the file's own and are
    checked with the file, before anything runs (:func:`~sim.experiment.design.load_sweep`);
    the plan records them as ``set``.  With ``panel``, every run also writes its customers
    and review panel."""
    from sim.experiment.design import design_points, load_sweep, point_overrides
    from sim.scenario import load_scenario

    spec = load_sweep(spec_path, overrides)
    base = load_scenario(spec.base, list(spec.overrides))
    points = design_points(spec)
    executor = executor or SequentialExecutor()
    store = ResultsStore(out, kind, about)
    started = time.perf_counter()
    plan: dict[str, Any] = {"kind": "sweep", "sweep": spec.model_dump(mode="json"),
                            "scenario": scenario_record(base), "points": points}
    if overrides:  # recorded only when given: the plans of other sweeps stay as they were
        plan["set"] = list(overrides)
    if panel:
        plan["panel"] = True
    _open(store, plan, resume, force)
    jobs = [
        job
        for i, point in enumerate(points)
        for job in jobs_for(base, range(spec.replications), point=i,
                            point_overrides=tuple(point_overrides(spec, point)), panel=panel)
    ]
    with executor:
        execute(jobs, store, executor, quiet, label="sweep")
    tables = store.load([base.name])
    design = pd.DataFrame(points).assign(point=range(len(points)))
    summary = tables["summary"]
    if not summary.empty:
        summary = summary.merge(design, on="point", how="left")
    extra_tables = {"summary": summary, "design": design}
    complete = summary.dropna(subset=[k for k in spec.kpis if k in summary.columns]) \
        if not summary.empty else summary
    if not complete.empty and complete["point"].nunique() == len(points):
        from sim.statistics.sensitivity import sensitivity  # lazy: scipy is slow to load
        extra_tables["sensitivity"] = sensitivity(spec, complete, list(spec.kpis))
    extra = {"seeds": seeds_record([base], spec.replications), "design": spec.design,
             "design_points": len(points)}
    return _finish(store, plan, executor, started, fmt, [base.name], extra, extra_tables)
