"""The Python API for notebooks: small functions that return DataFrames.

>>> from sim.api import run, compare, sweep          # doctest: +SKIP
>>> run("scenarios/baseline.toml", replications=5)   # KPI means with 95 % intervals
>>> compare("scenarios/baseline.toml", ["scenarios/reliability_high.toml"], replications=10)
>>> sweep("scenarios/sweeps/reliability_empowerment.toml")
>>> optimize("scenarios/baseline.toml", "levers.toml", budget_runs=60)  # spc optimize
>>> calibrate("firm.csv", "scenarios/baseline.toml", "priors.toml")   # spc calibrate

Results are stored as by the command line, in ``out`` or else a fresh temporary
directory, which is kept: every function says where on stderr (unless ``quiet=True``), and
the returned DataFrame carries it as ``df.attrs["results"]``; :func:`analysis.load` reads it
again.  A progress bar shows on a terminal and in Jupyter (tqdm; ``quiet=True`` hides it).

Scripts that use the ``processes`` or ``dask`` executor must call these functions under
``if __name__ == "__main__":`` on macOS and Windows (and with Dask everywhere), where worker
processes start by re-running the script; without the guard the workers leave at once and
the call stops with a message saying so.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.executors import Executor, leave_if_starting_worker, make_executor
from sim.experiment.runner import (
    MAIN_KPIS,
    Experiment,
    run_comparison,
    run_replications,
    run_sweep,
)
from sim.scenario import Scenario, load_scenario, variants


def _scenario(scenario: str | Path | Scenario, overrides: Sequence[str] | None) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario.with_overrides(list(overrides)) if overrides else scenario
    return load_scenario(scenario, list(overrides or []))


def _executor(executor: str | Executor | None, workers: int | None,
              scheduler: str | None) -> Executor:
    # first thing of every call: a worker re-running an unguarded script leaves here,
    # before it makes a results directory of its own
    leave_if_starting_worker()
    if executor is None or isinstance(executor, str):
        return make_executor(executor, workers, scheduler)
    return executor


def _out(out: str | Path | None, name: str) -> Path:
    return Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"spc-{name}-"))


def _told(exp: Experiment, options: dict[str, Any]) -> Experiment:
    """``exp``, after saying on stderr where its results are (unless ``quiet``)."""
    if not options.get("quiet", False):
        print(f"spc: results in {exp.out}", file=sys.stderr)
    return exp


def _with_results(frame: pd.DataFrame, exp: Experiment) -> pd.DataFrame:
    """``frame`` carrying its results directory as ``frame.attrs["results"]``."""
    frame.attrs["results"] = str(exp.out)
    return frame


def _shown(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with progress shown unless the caller said ``quiet=True``."""
    return {"quiet": False, **options}


def run_experiment(
    scenario: str | Path | Scenario,
    replications: int | str = 10,
    executor: str | Executor | None = "sequential",
    *,
    overrides: Sequence[str] | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    panel: bool = False,
    **options: Any,
) -> Experiment:
    """Replications of a scenario, returning the whole :class:`Experiment` (tables, store).
    ``panel=True`` also writes the customer-level ``customers`` and ``panel`` tables."""
    runner = _executor(executor, workers, scheduler)
    sc = _scenario(scenario, overrides)
    options = _shown(options)
    return _told(run_replications(sc, _out(out, sc.name), replications, runner, panel=panel,
                                  **options), options)


def run(
    scenario: str | Path | Scenario,
    replications: int | str = 10,
    executor: str | Executor | None = "sequential",
    **kwargs: Any,
) -> pd.DataFrame:
    """KPI means with 95 % t intervals over replications: columns kpi, mean, ci_low,
    ci_high, n.  ``replications="auto"`` chooses the number (``precision``, ``kpis``,
    ``budget``); ``warmup`` in days or ``"auto"``; ``executor`` "sequential",
    "processes" or "dask" (or an executor object)."""

    exp = run_experiment(scenario, replications, executor, **kwargs)
    from sim.statistics.output_analysis import summarise_replications  # lazy: scipy is slow to load
    return _with_results(summarise_replications(exp.summary), exp)


def compare(
    base: str | Path | Scenario,
    others: Sequence[str | Path | Scenario] = (),
    replications: int = 10,
    executor: str | Executor | None = "sequential",
    *,
    overrides: Sequence[str] | None = None,
    vary: Sequence[str] = (),
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Paired comparison of each other scenario with the base on common random numbers:
    one row per (scenario, kpi) with base_mean, other_mean, diff, ci_low, ci_high, verdict
    and crn_ratio.  ``vary=["organization.reliability=0.9,0.95"]`` adds variants of the base,
    one per value (as ``spc compare --vary``).  ``objective="profit"`` and
    ``constraints=["retention_rate>=0.8"]`` (options) set the decision summary, stored as
    the ``decision`` table of the results: ``analysis.load(df.attrs["results"])``."""
    runner = _executor(executor, workers, scheduler)
    b = _scenario(base, overrides)
    alternatives = [_scenario(o, overrides) for o in others]
    alternatives += [v for spec in vary for v in variants(b, spec, "vary")]
    options = _shown(options)
    exp = _told(run_comparison(b, alternatives, _out(out, f"compare-{b.name}"), replications,
                               runner, **options), options)
    return _with_results(exp.tables["comparisons"], exp)


def sweep(
    spec: str | Path,
    executor: str | Executor | None = "sequential",
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """A sweep file's results: one row per design point and replication, with the factor
    values and every KPI (the sensitivity table is in the results directory and in
    :func:`sweep_experiment`)."""
    exp = sweep_experiment(spec, executor, out=out, workers=workers, scheduler=scheduler,
                           **options)
    return _with_results(exp.summary, exp)


def sweep_experiment(
    spec: str | Path,
    executor: str | Executor | None = "sequential",
    *,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> Experiment:
    """Like :func:`sweep`, returning the whole :class:`Experiment` (incl. ``sensitivity``)."""
    runner = _executor(executor, workers, scheduler)
    options = _shown(options)
    return _told(run_sweep(spec, _out(out, f"sweep-{Path(spec).stem}"), runner, **options),
                 options)


def optimize(
    base: str | Path | Scenario,
    levers: str | Path,
    executor: str | Executor | None = "sequential",
    *,
    overrides: Sequence[str] | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> Experiment:
    """``spc optimize``: an Optuna search over the levers file's parameters on common random
    numbers, then KN certification of the best candidates.  Options as the command's:
    ``objective``, ``constraints``, ``replications`` (n0), ``budget_runs``, ``candidates``,
    ``delta``, ``alpha``, ``certify_runs``, ``first_stage`` (KN's, at least n0),
    ``resume``; ``objective`` may be a list of KPIs (the first searched and certified, the
    Pareto set of all in ``manifest["optimize"]["pareto"]`` and the ``pareto`` column).
    The returned experiment's ``manifest["optimize"]`` holds the chosen policy and the
    statement; its tables ``candidates`` and ``trials`` the search; ``out/chosen.toml`` the
    chosen scenario."""
    from sim.experiment.optimize import run_optimize
    from sim.scenario.levers import load_levers

    runner = _executor(executor, workers, scheduler)
    b = _scenario(base, overrides)
    options = _shown(options)
    return _told(run_optimize(b, load_levers(levers, b), _out(out, f"optimize-{b.name}"),
                              runner, **options), options)


def calibrate(
    data: str | Path,
    base: str | Path | Scenario,
    priors: str | Path = "scenarios/priors/default.toml",
    executor: str | Executor | None = "sequential",
    *,
    overrides: Sequence[str] | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """``spc calibrate``: ABC-SMC (pyabc) fit of the priors file's parameters of ``base``
    to the observed period KPIs in ``data`` (CSV: period, kpi, value, optional se).
    Options as the command's: ``population``, ``generations``, ``draws``, ``resume``.
    Returns the ``intervals`` table (prior and posterior 90 % intervals, posterior median,
    narrowing, identified); ``analysis.load(df.attrs["results"])`` has ``posterior`` and
    ``predictive``, the manifest's ``calibrate`` record the misfit warning, and
    ``out/calibrated.toml`` is the scenario at the posterior median."""
    from sim.experiment.calibrate import run_calibrate
    from sim.experiment.observed import load_observed
    from sim.scenario.library import locate
    from sim.scenario.priors import load_priors

    runner = _executor(executor, workers, scheduler)
    b = _scenario(base, overrides)
    spec = load_priors(locate(Path(priors)), b)
    observed = load_observed(data, b)
    options = _shown(options)
    exp = _told(run_calibrate(b, spec, observed, _out(out, f"calibrate-{b.name}"), runner,
                              **options), options)
    if exp.manifest["calibrate"]["misfit"] and not options.get("quiet", False):
        print(f"spc: warning: {exp.manifest['calibrate']['misfit']}", file=sys.stderr)
    return _with_results(exp.tables["intervals"], exp)


__all__ = ["MAIN_KPIS", "calibrate", "compare", "optimize", "run", "run_experiment", "sweep",
           "sweep_experiment"]
