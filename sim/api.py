"""The Python API for notebooks: small functions that return DataFrames.

>>> from sim.api import run, compare, sweep          # doctest: +SKIP
>>> run("scenarios/baseline.toml", replications=5)   # KPI means with 95 % intervals
>>> compare("scenarios/baseline.toml", ["scenarios/reliability_high.toml"], replications=10)
>>> sweep("scenarios/sweeps/reliability_empowerment.toml")

Results are stored as by the command line (in ``out``, or a fresh temporary
directory) and can be loaded again with :func:`analysis.load`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiment.executors import Executor, make_executor
from sim.experiment.runner import (
    MAIN_KPIS,
    Experiment,
    run_comparison,
    run_replications,
    run_sweep,
)
from sim.scenario import Scenario, load_scenario


def _scenario(scenario: str | Path | Scenario, overrides: Sequence[str] | None) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario.with_overrides(list(overrides)) if overrides else scenario
    return load_scenario(scenario, list(overrides or []))


def _executor(executor: str | Executor | None, workers: int | None,
              scheduler: str | None) -> Executor:
    if executor is None or isinstance(executor, str):
        return make_executor(executor, workers, scheduler)
    return executor


def _out(out: str | Path | None, name: str) -> Path:
    return Path(out) if out is not None else Path(tempfile.mkdtemp(prefix=f"spc-{name}-"))


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
    sc = _scenario(scenario, overrides)
    return run_replications(sc, _out(out, sc.name), replications,
                            _executor(executor, workers, scheduler), panel=panel, **options)


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
    return summarise_replications(exp.summary)


def compare(
    base: str | Path | Scenario,
    others: Sequence[str | Path | Scenario],
    replications: int = 10,
    executor: str | Executor | None = "sequential",
    *,
    overrides: Sequence[str] | None = None,
    out: str | Path | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Paired comparison of each other scenario with the base on common random numbers:
    one row per (scenario, kpi) with base_mean, other_mean, diff, ci_low, ci_high, verdict
    and crn_ratio.  ``objective="profit"`` and ``constraints=["retention_rate>=0.8"]``
    (options) set the decision summary, stored as the ``decision`` table of ``out``."""
    b = _scenario(base, overrides)
    exp = run_comparison(b, [_scenario(o, overrides) for o in others],
                         _out(out, f"compare-{b.name}"), replications,
                         _executor(executor, workers, scheduler), **options)
    return exp.tables["comparisons"]


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
    return sweep_experiment(spec, executor, out=out, workers=workers, scheduler=scheduler,
                            **options).summary


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
    return run_sweep(spec, _out(out, f"sweep-{Path(spec).stem}"),
                     _executor(executor, workers, scheduler), **options)


__all__ = ["MAIN_KPIS", "compare", "run", "run_experiment", "sweep", "sweep_experiment"]
