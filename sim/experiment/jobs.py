"""Jobs: one replication of one scenario at one design point, runnable anywhere.

A job carries the resolved parameters (not a file path), so a worker on another
machine needs nothing but the package.  Running a job never raises: an error
becomes part of the outcome, with its traceback, so that one failing
replication does not stop a batch.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from sim.model.system import EVENT_COLUMNS, simulate
from sim.scenario import Scenario, scenario_from_dict


@dataclass(frozen=True)
class Job:
    """One replication of one scenario (with a design point's overrides applied)."""

    scenario: str  # the scenario's name, as it appears in the results
    parameters: dict[str, Any] = field(hash=False, compare=False)
    replication: int = 0
    point: int = 0  # design point (0 outside sweeps)
    point_overrides: tuple[str, ...] = ()
    events: bool = False
    panel: bool = False  # also the customers table and the review panel

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.scenario, self.point, self.replication)

    def resolve(self) -> Scenario:
        """The job's scenario, validated (raises on invalid point overrides)."""
        return scenario_from_dict(self.parameters, self.scenario, list(self.point_overrides))


def jobs_for(
    scenario: Scenario,
    replications: range,
    point: int = 0,
    point_overrides: tuple[str, ...] = (),
    events: bool = False,
    panel: bool = False,
) -> list[Job]:
    """The jobs of ``replications`` of ``scenario`` at one design point."""
    params = scenario.params.model_dump(mode="json")
    return [Job(scenario.name, params, r, point, point_overrides, events, panel)
            for r in replications]


@dataclass
class Outcome:
    """What a job produced: its tables, or the error that stopped it."""

    job: Job
    scenario_hash: str = ""
    seed: int = 0
    periods: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stream_names: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    error: str | None = None
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)  # columnar tables (panel)

    @property
    def ok(self) -> bool:
        return self.error is None


def run_job(job: Job) -> Outcome:
    """Run one job; never raises (errors are returned with their traceback)."""
    try:
        scenario = job.resolve()
        result = simulate(scenario, job.replication, events=job.events, panel=job.panel)
    except Exception as exc:
        text = "".join(traceback.format_exception(exc))
        return Outcome(job, error=text)
    tables = dict(result.tables)
    if result.events is not None:
        tables["events"] = [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in result.events]
    return Outcome(
        job,
        scenario_hash=scenario.hash,
        seed=scenario.params.run.seed,
        periods=result.periods,
        summary=result.summary,
        tables=tables,
        stream_names=result.stream_names,
        wall_seconds=result.wall_seconds,
        columns=dict(result.panel or {}),
    )
