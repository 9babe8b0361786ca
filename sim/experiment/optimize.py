"""Choosing a policy under uncertainty: an Optuna search, then a KN certification.

1. **Search.**  Optuna's TPE sampler (Bergstra et al. 2011; Watanabe 2023), seeded from
   the scenario's root seed, proposes values of the levers (:mod:`sim.scenario.levers`).
   Each new candidate is simulated on replications ``0 .. n0-1`` of the base's root seed
   -- the same random numbers for every candidate (common random numbers) -- and the
   sampler is told the mean of the objective over them; the constraints (``KPI>=VALUE``
   on the mean) are passed to the sampler as constraint values, so that it learns where
   the feasible region is.  A candidate proposed again is not simulated again.  The
   search stops when ``budget_runs`` simulation runs have been spent (or the grid of the
   levers is exhausted).  The base's own lever values, when inside the ranges, are the
   first candidate.
2. **Certification.**  The best ``k`` feasible candidates (on their search means) go to
   KN (:func:`sim.statistics.selection.kn_select`), whose first stage is the search's
   ``n0`` replications, or ``first_stage`` of them (the search's, then replications
   ``n0 .. first_stage - 1`` of each); each further stage adds the next replication of the
   survivors, on the same seeds.  The chosen policy is within ``delta`` of the best of
   those ``k`` candidates with probability at least ``1 - alpha`` (under KN's
   assumptions: normal observations; the search's selection of the ``k`` is not part of
   the guarantee).
3. **Several objectives.**  When more than one objective is given, the first drives the
   search and is the one KN certifies; the others are recorded for every candidate, and
   :func:`pareto_front` marks the feasible candidates that no other feasible candidate
   dominates on the search means of all the objectives (the same ``n0`` common random
   numbers for every candidate), each objective in its own better direction.

:func:`search_and_certify` is the procedure on any noisy function (a test problem, or
the simulation); :func:`run_optimize` runs it on the simulation, storing every
replication in a :class:`~sim.experiment.store.ResultsStore` so that ``--resume``
re-plays the search (the sampler is seeded and every value it was told is read back
from the store) and simulates only what is missing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sim.errors import UserError
from sim.experiment.executors import Executor, SequentialExecutor
from sim.experiment.jobs import jobs_for
from sim.experiment.runner import (
    _finish,
    _open,
    check_decision,
    execute,
    progress_bar,
    releasing_locks,
    scenario_record,
    seeds_record,
)
from sim.experiment.store import ResultsStore
from sim.output import flat_kpis
from sim.scenario import Scenario
from sim.scenario.levers import Lever, LeversSpec
from sim.scenario.paths import toml_literal
from sim.streams import Streams

if TYPE_CHECKING:
    import optuna

    from sim.statistics.decision import Constraint

#: Values of one candidate: ``{kpi: [value of replication 0, 1, ...]}``.
Values = dict[str, list[float]]
#: Evaluates candidates (lever values) on replications; one :data:`Values` each.
Evaluate = Callable[[Sequence[dict[str, Any]], range], list[Values]]

#: The sampler (recorded in the manifest).
SAMPLER = ("optuna TPESampler (multivariate, constraints_func), seeded from the named "
           "stream optimize.sampler of the root seed")

#: How many proposals the search may make per distinct candidate before it stops (TPE
#: proposes an already simulated candidate again when the grid is small).
MAX_PROPOSALS_PER_CANDIDATE = 20


@dataclass
class Candidate:
    """A distinct policy the search simulated: its lever values and its observations."""

    index: int  # order of first proposal (the design point in the results store)
    params: dict[str, Any]
    values: Values
    trial: int  # the first trial that proposed it

    def mean(self, kpi: str) -> float:
        return float(np.mean(self.values[kpi]))


@dataclass
class Optimum:
    """What :func:`search_and_certify` found: every candidate, the trials, and KN's choice."""

    candidates: list[Candidate]
    trials: pd.DataFrame
    certified: list[int]  # candidate indices sent to KN, best search mean first
    chosen: int  # candidate index
    delta: float
    alpha: float
    n0: int
    search_runs: int
    certify_runs: int
    eta: float
    eliminated_at: dict[int, int | None] = field(default_factory=dict)
    feasible_found: bool = True
    complete: bool = True  # False: the certification budget stopped KN early
    first_stage: int = 0  # KN's first stage per certified candidate (n0 or more)

    @property
    def evaluations(self) -> int:
        return self.search_runs + self.certify_runs


def _suggest(trial: optuna.Trial, lever: Lever) -> Any:
    if lever.kind == "categorical":
        return trial.suggest_categorical(lever.path, list(lever.choices))
    assert lever.low is not None and lever.high is not None
    if lever.kind == "integer":
        return trial.suggest_int(lever.path, int(lever.low), int(lever.high),
                                 step=int(lever.step or 1))
    value = trial.suggest_float(lever.path, lever.low, lever.high, step=lever.step)
    return float(f"{value:.12g}")  # on a step grid: 0.91, not 0.9099999999999999


def _key(params: dict[str, Any]) -> str:
    return repr(sorted(params.items()))


def _violations(values: Values, constraints: Sequence[Constraint]) -> list[float]:
    """Optuna's constraint values (<= 0 when met) of the mean of each constrained KPI."""
    out = []
    for c in constraints:
        mean = float(np.mean(values[c.kpi]))
        out.append(c.value - mean if c.op == ">=" else mean - c.value)
    return out


def pareto_front(means: pd.DataFrame, maximize: dict[str, bool],
                 feasible: Sequence[bool] | pd.Series | None = None) -> pd.Series:
    """Which rows of ``means`` (one column per objective) are Pareto-optimal among the
    ``feasible`` rows: no other feasible row is at least as good on every objective and
    strictly better on one (``maximize[kpi]``: higher is better).  Infeasible rows, and
    rows with a missing mean, are never on the front.  Pure: no simulation."""
    signed = np.column_stack([means[k].to_numpy(float) * (1.0 if up else -1.0)
                              for k, up in maximize.items()])  # higher is better on all
    ok = np.ones(len(means), bool) if feasible is None else np.array(feasible, bool)
    ok &= ~np.isnan(signed).any(axis=1)
    front = ok.copy()
    for i in np.flatnonzero(ok):
        others = signed[ok]
        dominated = ((others >= signed[i]).all(axis=1) & (others > signed[i]).any(axis=1))
        front[i] = not dominated.any()
    return pd.Series(front, index=means.index, name="pareto")


def sampler_seed(root_seed: int) -> int:
    """The TPE sampler's seed: drawn from the named stream ``optimize.sampler``."""
    return int(Streams(root_seed).generator("optimize.sampler").integers(2**31 - 1))


def _base_params(levers: LeversSpec, base: dict[str, Any]) -> dict[str, Any] | None:
    """The base scenario's lever values, if every one is inside its lever's range."""
    params = {}
    for lever in levers.levers:
        value: Any = base.get(lever.path)
        if lever.kind == "categorical":
            if value not in lever.choices:
                return None
        else:
            assert lever.low is not None and lever.high is not None
            if not lever.low <= value <= lever.high:
                return None
            steps = (value - lever.low) / lever.step if lever.step else 0.0
            if abs(steps - round(steps)) > 1e-9:  # off the lever's grid
                return None
        params[lever.path] = value
    return params


def search(
    levers: LeversSpec,
    evaluate: Evaluate,
    objective: str,
    maximize: bool,
    constraints: Sequence[Constraint],
    n0: int,
    budget_runs: int,
    seed: int,
    start: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Candidate], pd.DataFrame]:
    """The search stage: candidates simulated on replications ``0..n0-1``, at most
    ``budget_runs`` runs in all; the trials table (one row per proposal)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    # optuna 5 records constraints on the trial (Trial.set_constraint); optuna 4 asks the
    # sampler's constraints_func for them
    per_trial = hasattr(optuna.trial.Trial, "set_constraint")

    def constraints_of(trial: optuna.trial.FrozenTrial) -> Sequence[float]:
        return tuple(trial.user_attrs.get("constraints", ()))

    sampler = optuna.samplers.TPESampler(
        seed=seed, multivariate=True,
        constraints_func=constraints_of if constraints and not per_trial else None,
        n_startup_trials=max(5, 2 * len(levers.levers)))
    study = optuna.create_study(direction="maximize" if maximize else "minimize",
                                sampler=sampler)
    if start is not None:
        study.enqueue_trial(start)
    grid = levers.grid_size()
    limit = budget_runs // n0 if grid is None else min(budget_runs // n0, grid)
    seen: dict[str, Candidate] = {}
    rows = []
    proposals = 0
    while len(seen) < limit and proposals < MAX_PROPOSALS_PER_CANDIDATE * max(limit, 1):
        trial = study.ask()
        params = {lever.path: _suggest(trial, lever) for lever in levers.levers}
        key = _key(params)
        new = key not in seen
        if new:
            values = evaluate([params], range(n0))[0]
            seen[key] = Candidate(len(seen), params, values, trial.number)
            if progress is not None:
                progress(n0)
        cand = seen[key]
        mean = cand.mean(objective)
        violations = _violations(cand.values, constraints)
        trial.set_user_attr("constraints", violations)
        if per_trial:
            for rule, violation in zip(constraints, violations, strict=True):
                trial.set_constraint(str(rule), violation)
        study.tell(trial, mean)
        rows.append({"trial": trial.number, "candidate": cand.index, "new": new, **params,
                     "mean": mean, "feasible": all(v <= 0 for v in violations)})
        proposals += 1
    return list(seen.values()), pd.DataFrame(rows)


def search_and_certify(
    levers: LeversSpec,
    evaluate: Evaluate,
    objective: str,
    maximize: bool = True,
    constraints: Sequence[Constraint] = (),
    *,
    n0: int = 5,
    budget_runs: int = 100,
    candidates: int = 5,
    delta: float | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    start: dict[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
    certify_runs: int | None = None,
    first_stage: int | None = None,
) -> Optimum:
    """Search (:func:`search`), then KN on the best ``candidates`` feasible ones, with at
    most ``certify_runs`` further runs (None: as many as KN needs).

    KN's first stage is ``first_stage`` replications of each certified candidate (None:
    the search's ``n0``); the replications ``n0 .. first_stage - 1`` are run before KN's
    first elimination and count among the certification's runs.

    ``delta`` (the indifference zone, in the objective's unit) defaults to 1 % of the
    absolute search mean of the best candidate (recorded with the result)."""
    from sim.statistics.selection import kn_select  # lazy: scipy-free but numpy-heavy

    if n0 < 2:
        raise UserError(f"--replications {n0}: KN needs at least 2 first-stage replications")
    stage = first_stage_size(first_stage, n0)
    found, trials = search(levers, evaluate, objective, maximize, constraints, n0, budget_runs,
                           seed, start, progress)
    sign = 1.0 if maximize else -1.0
    feasible = [c for c in found if all(v <= 0 for v in _violations(c.values, constraints))]
    pool = feasible or found
    ranked = sorted(pool, key=lambda c: (-sign * c.mean(objective), c.index))
    top = ranked[:max(1, candidates)]
    if delta is None:
        delta = 0.01 * abs(top[0].mean(objective)) or 1.0
    if len(top) == 1:
        return Optimum(found, trials, [top[0].index], top[0].index, delta, alpha, n0,
                       len(found) * n0, 0, 0.0, {top[0].index: None}, bool(feasible),
                       first_stage=n0)
    extra = 0

    def certify(chosen: Sequence[Candidate], reps: range) -> list[Values]:
        """Replications ``reps`` of the ``chosen`` candidates, added to their values and
        counted as the certification's runs."""
        nonlocal extra
        values = evaluate([c.params for c in chosen], reps)
        extra += len(chosen) * len(reps)
        if progress is not None:
            progress(len(chosen) * len(reps))
        for c, v in zip(chosen, values, strict=True):
            for kpi, xs in v.items():
                c.values[kpi].extend(xs)
        return values

    def more(alive: Sequence[int], r: int) -> list[float]:
        return [v[objective][0] for v in certify([top[i] for i in alive], range(r, r + 1))]

    if stage > n0:  # the rest of KN's first stage, on the next seeds
        certify(top, range(n0, stage))
    budget = None if certify_runs is None else max(0, certify_runs - extra)
    first = np.array([c.values[objective][:stage] for c in top])
    selection = kn_select(first, more, delta, alpha, maximize, budget)
    return Optimum(found, trials, [c.index for c in top], top[selection.chosen].index, delta,
                   alpha, n0, len(found) * n0, extra, selection.eta,
                   {top[i].index: selection.eliminated_at[i] for i in range(len(top))},
                   bool(feasible), selection.complete, first_stage=stage)


def first_stage_size(first_stage: int | None, n0: int) -> int:
    """KN's first stage: ``first_stage`` replications (None: the search's ``n0``), which
    must include the search's."""
    if first_stage is None:
        return n0
    if first_stage < n0:
        raise UserError(f"--first-stage {first_stage}: allowed: at least --replications "
                        f"({n0}), whose runs are the first stage's first")
    return first_stage


def lever_overrides(params: dict[str, Any]) -> list[str]:
    """A candidate's ``key.path=value`` assignments (TOML literals)."""
    return [f"{path}={toml_literal(value)}" for path, value in params.items()]


def statement(opt: Optimum, objective: str) -> str:
    """The certification in one sentence."""
    k = len(opt.certified)
    if not opt.complete:
        return (f"not certified: the certification budget ran out with several candidates "
                f"left; candidate {opt.chosen} has the best mean among them, with no "
                "probability guarantee (raise --certify-runs or --delta)")
    if k == 1:
        return (f"candidate {opt.chosen} is the only candidate certified: no selection "
                "guarantee")
    return (f"candidate {opt.chosen} is within delta = {opt.delta:.6g} ({objective}) of the "
            f"best of the {k} candidates certified (the best {k} of the "
            f"{len(opt.candidates)} examined), with probability >= {1 - opt.alpha:.3g} "
            "(KN, Kim & Nelson 2001)")


# -- on the simulation --------------------------------------------------------------------
def _store_values(store: ResultsStore, name: str, point: int, reps: range,
                  kpis: Sequence[str]) -> Values:
    """The ``kpis`` of replications ``reps`` of candidate ``point``, read from the store
    (a failed replication is a :class:`UserError` naming it)."""
    out: Values = {k: [] for k in kpis}
    for r in reps:
        if not store.shard_path(jobs_for_key(name, point, r)).is_file():
            errors = [e for e in store.errors()
                      if e.get("point") == point and e.get("replication") == r]
            last = (errors[0].get("error") or "").strip().splitlines()[-1:] if errors else []
            raise UserError(f"candidate {point} replication {r} failed"
                            f"{': ' + last[0] if last else ''} (traceback in "
                            f"{store.root / 'errors'}); completed replications are kept "
                            "(--resume continues)")
        _, summary = store.stored_summary(name, point, r)
        flat = flat_kpis(summary)
        for k in kpis:
            out[k].append(float(flat.get(k, math.nan)))
    return out


def jobs_for_key(name: str, point: int, replication: int) -> Any:
    """A job key (for the store's paths) without parameters."""
    from sim.experiment.jobs import Job

    return Job(name, {}, replication, point)


@releasing_locks
def run_optimize(
    base: Scenario,
    levers: LeversSpec,
    out: str | Path,
    executor: Executor | None = None,
    *,
    objective: str | Sequence[str] | None = None,
    constraints: Sequence[Constraint | str] = (),
    replications: int = 5,
    budget_runs: int = 100,
    candidates: int = 5,
    delta: float | None = None,
    alpha: float = 0.05,
    certify_runs: int | None = None,
    first_stage: int | None = None,
    resume: bool = False,
    force: bool = False,
    fmt: str = "parquet",
    quiet: bool = True,
) -> Any:
    """:func:`search_and_certify` on the simulation of ``base`` with the ``levers``; the
    results directory holds every replication (design point = candidate), the ``trials``,
    ``candidates`` and ``certification`` tables, the manifest's ``optimize`` record and
    ``chosen.toml``, the chosen policy as a scenario file.

    ``objective`` may be a list of KPIs: the first drives the search and KN; with more
    than one, the ``candidates`` table gains each other objective's means and a
    ``pareto`` column, and the ``optimize`` record the ``objectives`` and the ``pareto``
    candidates (:func:`pareto_front`)."""
    objective, others, rules = check_objectives(base, objective, constraints)
    if replications < 2:
        raise UserError(f"--replications {replications}: KN needs at least 2 first-stage "
                        "replications")
    if budget_runs < replications:
        raise UserError(f"--budget-runs {budget_runs}: at least one candidate's replications "
                        f"(--replications {replications})")
    if not 0 < alpha < 1:
        raise UserError(f"--alpha {alpha}: allowed: a probability in (0, 1), e.g. 0.05")
    if delta is not None and not (math.isfinite(delta) and delta > 0):
        raise UserError(f"--delta {delta}: allowed: a positive number in the objective's unit")
    topping = candidates * (first_stage_size(first_stage, replications) - replications)
    if certify_runs is not None and certify_runs < topping:
        raise UserError(f"--certify-runs {certify_runs}: the first stage alone needs up to "
                        f"{topping} runs ({candidates} candidates x {first_stage} - "
                        f"{replications} replications); allowed: at least {topping}, or a "
                        "smaller --first-stage")
    from sim.statistics.decision import better_is_higher

    maximize = better_is_higher(objective)
    kpis = list(dict.fromkeys([objective, *others, *(c.kpi for c in rules)]))
    executor = executor or SequentialExecutor()
    store = ResultsStore(out)
    started = time.perf_counter()
    seed = base.params.run.seed
    plan = {"kind": "optimize", "scenario": scenario_record(base), "levers": levers.record(),
            "objective": objective, "constraints": [str(c) for c in rules],
            "replications": replications, "budget_runs": budget_runs,
            "candidates": candidates, "delta": delta, "alpha": alpha,
            "certify_runs": certify_runs}
    if others:  # several objectives (with one, the plan is as it always was)
        plan["objectives"] = [objective, *others]
    if first_stage is not None:  # (without it, the plan is as it always was)
        plan["first_stage"] = first_stage
    _open(store, plan, resume, force)

    def evaluate(points: Sequence[dict[str, Any]], reps: range) -> list[Values]:
        indices = [index_of(p) for p in points]
        jobs = [job for p, i in zip(points, indices, strict=True)
                for job in jobs_for(base, reps, point=i,
                                    point_overrides=tuple(lever_overrides(p)))]
        execute(jobs, store, executor, quiet=True)
        return [_store_values(store, base.name, i, reps, kpis) for i in indices]

    known: dict[str, int] = {}

    def index_of(params: dict[str, Any]) -> int:
        return known.setdefault(_key(params), len(known))

    with executor, progress_bar(budget_runs, 0, quiet, "optimize") as bar:
        opt = search_and_certify(
            levers, evaluate, objective, maximize, rules, n0=replications,
            budget_runs=budget_runs, candidates=candidates, delta=delta, alpha=alpha,
            seed=sampler_seed(seed), start=_base_params(levers, base.flat()),
            progress=lambda n: _advance(bar, n), certify_runs=certify_runs,
            first_stage=first_stage)
    chosen = opt.candidates[opt.chosen]
    chosen_scenario = base.with_overrides(lever_overrides(chosen.params))
    tables = optimize_tables(opt, objective, rules, others)
    said = statement(opt, objective)
    record: dict[str, Any] = {"objective": objective, "maximize": maximize,
              "constraints": [str(c) for c in rules], "chosen": chosen.index,
              "chosen_params": chosen.params, "delta": opt.delta,
              "delta_given": delta is not None, "alpha": opt.alpha,
              "n0": opt.n0, "first_stage": opt.first_stage, "eta": opt.eta,
              "certified": opt.certified,
              "search_runs": opt.search_runs, "certify_runs": opt.certify_runs,
              "feasible_found": opt.feasible_found, "certified_complete": opt.complete,
              "grid_size": levers.grid_size(),
              "statement": said, "sampler": SAMPLER,
              "sampler_seed": sampler_seed(seed), "levers_file": str(levers.path)}
    from sim.statistics.selection import METHOD

    record["method"] = METHOD
    if others:
        record.update(pareto_record(tables["candidates"], [objective, *others],
                                    [lever.path for lever in levers.levers]))
    write_chosen(Path(out) / "chosen.toml", base, chosen.params, said)
    extra = {"seeds": seeds_record([base], replications), "optimize": record,
             "chosen_scenario": scenario_record(chosen_scenario)}
    return _finish(store, plan, executor, started, fmt, [base.name], extra, tables)


def _advance(bar: Any, n: int) -> None:
    if bar.total is not None and bar.n + n > bar.total:
        bar.total = bar.n + n  # certification runs come on top of the search's budget
    bar.update(n)


def check_objectives(base: Scenario, objective: str | Sequence[str] | None,
                     constraints: Sequence[Constraint | str],
                     ) -> tuple[str, list[str], list[Constraint]]:
    """The first objective, the other objectives and the constraints, each objective
    checked like the first (:func:`~sim.experiment.runner.check_decision`: a known outcome
    KPI) before anything runs.  ``objective`` is a KPI, a list of KPIs or None (default)."""
    names: list[str | None] = [objective] if objective is None or isinstance(objective, str) \
        else list(objective) or [None]
    if len(names) > 1 and not all(isinstance(n, str) and n for n in names):
        raise UserError(f"--objective {','.join(map(str, names))}: an empty name; allowed: "
                        "outcome KPIs such as profit, retention_rate, nps or "
                        "satisfaction_index")
    first, rules = check_decision(base, names[0], constraints)
    others = []
    for name in names[1:]:
        assert isinstance(name, str)  # checked above
        checked, _ = check_decision(base, name, ())
        if checked == first or checked in others:
            raise UserError(f"--objective {checked}: given twice; allowed: each objective "
                            "once")
        others.append(checked)
    return first, others, rules


def pareto_record(candidates: pd.DataFrame, objectives: Sequence[str],
                  levers: Sequence[str]) -> dict[str, Any]:
    """The manifest's ``objectives`` and ``pareto`` (the Pareto candidates: index, values
    of the ``levers``, search means of the objectives) of a ``candidates`` table with a
    ``pareto`` column."""
    front = []
    for row in candidates[candidates["pareto"]].to_dict("records"):
        front.append({"candidate": int(row["candidate"]),
                      "params": {k: _plain(row[k]) for k in levers},
                      "search_means": {k: float(row[_search_column(k, objectives)])
                                       for k in objectives}})
    return {"objectives": list(objectives), "pareto": front}


def _search_column(kpi: str, objectives: Sequence[str]) -> str:
    """The candidates table's column of the search mean of objective ``kpi``."""
    return "search_mean" if kpi == objectives[0] else f"search_mean_{kpi}"


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value (for JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def optimize_tables(opt: Optimum, objective: str, constraints: Sequence[Constraint],
                    others: Sequence[str] = ()) -> dict[str, pd.DataFrame]:
    """The ``trials`` table (one row per proposal) and the ``candidates`` table (one row
    per distinct candidate: lever values, replications, means, certification).  With
    ``others`` (objectives after the first): ``mean_<kpi>`` and ``search_mean_<kpi>`` of
    each and the ``pareto`` column (:func:`pareto_front` on the search means)."""
    rows = []
    for c in opt.candidates:
        row: dict[str, Any] = {"candidate": c.index, "first_trial": c.trial, **c.params,
                               "n": len(c.values[objective]),
                               "mean": c.mean(objective),
                               "search_mean": float(np.mean(c.values[objective][:opt.n0]))}
        for rule in constraints:
            row[f"mean_{rule.kpi}"] = c.mean(rule.kpi)
        for kpi in others:
            row[f"mean_{kpi}"] = c.mean(kpi)
            row[f"search_mean_{kpi}"] = float(np.mean(c.values[kpi][:opt.n0]))
        row["feasible"] = all(v <= 0 for v in _violations(c.values, constraints))
        row["certified"] = c.index in opt.certified
        row["eliminated_at"] = opt.eliminated_at.get(c.index) if c.index in opt.certified \
            else None
        row["chosen"] = c.index == opt.chosen
        rows.append(row)
    table = pd.DataFrame(rows)
    if others:
        from sim.statistics.decision import better_is_higher

        objectives = [objective, *others]
        means = pd.DataFrame({k: table[_search_column(k, objectives)] for k in objectives})
        table["pareto"] = pareto_front(means, {k: better_is_higher(k) for k in objectives},
                                       table["feasible"])
    return {"trials": opt.trials, "candidates": table}


def write_chosen(path: Path, base: Scenario, params: dict[str, Any], said: str) -> None:
    """The chosen policy as a scenario file: ``extends`` the base file, with the base's
    overrides and the levers' values (``spc run`` and ``spc compare`` accept it)."""
    write_extending(path, base, params, f"{base.name}-optimized",
                    f"The policy spc optimize chose: {said}.")


def write_extending(path: Path, base: Scenario, params: dict[str, Any], name: str,
                    description: str) -> None:
    """A scenario file named ``name`` that ``extends`` the base file, with the base's
    overrides and then ``params`` (``{section.key: value}``) set."""
    from sim.results.files import atomic_write_text

    values = {**_override_values(base.overrides), **{k: toml_literal(v)
                                                     for k, v in params.items()}}
    sections: dict[str, list[str]] = {}
    for key, literal in values.items():
        section, _, entry = key.partition(".")
        sections.setdefault(section, []).append(f"{entry} = {literal}")
    lines = [f"name = {toml_literal(name)}",
             f'description = """{description}"""']
    if base.path is not None:
        lines.append(f"extends = {toml_literal(str(Path(base.path).resolve()))}")
    for section, entries in sections.items():
        lines += ["", f"[{section}]", *entries]
    atomic_write_text(path, "\n".join(lines) + "\n", "")


def _override_values(overrides: Sequence[str]) -> dict[str, str]:
    """``key.path=value`` assignments as ``{key.path: literal}`` (the last one wins)."""
    out = {}
    for text in overrides:
        key, _, value = text.partition("=")
        out[key.strip()] = value.strip()
    return out
